"""The web surfaces of poemsdx: the web app and REST API (``app``), and the CDS Hooks 2.0
service (``cdshooks``). Needs the ``web`` extra (``pip install 'poemsdx[web]'``)."""
