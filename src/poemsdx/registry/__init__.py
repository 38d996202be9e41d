"""The case registry: versioned cases, immutable assessments and an audit trail, in SQLite
(a per-user file by default) or PostgreSQL, with Alembic migrations shipped in the package.

::

    from poemsdx.registry import Registry
    with Registry.open() as reg:                 # or Registry.open("postgresql+psycopg://…")
        case_id = reg.create_case(case, actor="dr.sato")
        aid = reg.save_evaluation(case_id, evaluate(reg.get_case(case_id), kb=kb), "dr.sato")
        reg.verify_assessment(aid).reproduced    # True with the same knowledge and engine

Needs the ``web`` extra (SQLAlchemy, alembic, psycopg): ``pip install 'poemsdx[web]'``.
"""

from __future__ import annotations

try:
    import alembic  # noqa: F401
    import sqlalchemy  # noqa: F401
except ImportError as _exc:  # pragma: no cover - depends on the installed extras
    from ..errors import RegistryError

    raise RegistryError(
        f"the case registry needs SQLAlchemy and alembic ({_exc.name} is missing): "
        "pip install 'poemsdx[web]'"
    ) from _exc

from .db import head_revision
from .paths import ENV_VAR, default_database_path, default_database_url
from .records import (
    AuditEntry,
    CaseSummary,
    CaseVersionInfo,
    ObservationRecord,
    Reproduction,
    StoredAssessment,
)
from .store import ACTIONS, Registry

__all__ = [
    "ACTIONS",
    "ENV_VAR",
    "AuditEntry",
    "CaseSummary",
    "CaseVersionInfo",
    "ObservationRecord",
    "Registry",
    "Reproduction",
    "StoredAssessment",
    "default_database_path",
    "default_database_url",
    "head_revision",
]
