"""Reading clinical text in English, Japanese and Chinese into a ``Case``.

Deterministic and fast, with no models to download: one module per technique —
``encoding`` (bytes → text), ``normalise`` (NFKC, PDF artefacts, offsets back to the
original), ``language``, ``sections``, ``sentences``, ``terms`` (a trie over the
lexicons), ``context`` (negation, uncertainty, history, family, hypothetical), ``labs``
(values, units, reference ranges, M-protein typing), ``ncs`` (nerve-conduction tables),
``timeline`` (dates, relative times, treatment events), ``doctype`` (patient record or
disease description), and ``pipeline`` / ``assemble`` / ``merge`` putting it together.
Every observation carries evidence pointing at the original characters::

    from poemsdx import load_knowledge
    from poemsdx.extract import extract_text
    case = extract_text("57歳男性。肝脾腫はなかった。", load_knowledge())

``find_mentions`` stops half way: the concepts named in the statements about the patient,
each with its context (present, absent, uncertain; history, family...), for screening
many notes quickly.
"""

from .pipeline import MAX_CHARS, FoundMention, extract_file, extract_text, find_mentions

__all__ = ["MAX_CHARS", "FoundMention", "extract_file", "extract_text", "find_mentions"]
