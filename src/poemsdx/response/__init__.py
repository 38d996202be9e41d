"""Treatment response: per follow-up time point, per domain, with every definition's source
and verification tag; discordant markers as observations; followed labs as series to plot.

::

    from poemsdx.response import assess_response, timeline
    report = assess_response(case, kb)          # ResponseReport; report.to_dict() is JSON
    five = report.at(months=5)
    five.domain("vegf").result("vegf-gentile-2024").category   # "complete"
    series = timeline(case, kb)                 # list[Series] for plots

Definitions are data (``data/response.yaml``); see ``poemsdx.response.definitions``.
"""

from .assess import BASELINE_RULE, assess_response
from .definitions import ResponseDefinitions, load_definitions
from .report import (
    DefinitionResult,
    Discordance,
    DomainResponse,
    FindingChange,
    MarkerChange,
    ResponseReport,
    TimePointResponse,
    TreatmentRef,
    ValueRef,
)
from .series import Band, Series, SeriesPoint, TreatmentMark, timeline, treatment_marks

__all__ = [
    "BASELINE_RULE",
    "Band",
    "DefinitionResult",
    "Discordance",
    "DomainResponse",
    "FindingChange",
    "MarkerChange",
    "ResponseDefinitions",
    "ResponseReport",
    "Series",
    "SeriesPoint",
    "TimePointResponse",
    "TreatmentMark",
    "TreatmentRef",
    "ValueRef",
    "assess_response",
    "load_definitions",
    "timeline",
    "treatment_marks",
]
