"""The web surfaces of poemsdx: the CDS Hooks 2.0 service (``cdshooks``) and, later, the
web app and REST API. Needs the ``web`` extra (``pip install 'poemsdx[web]'``)."""
