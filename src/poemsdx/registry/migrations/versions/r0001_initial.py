"""Initial registry: cases, versions, observations, documents, assessments, audit.

Every table except ``cases`` is append-only: triggers refuse UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE) so that stored assessments and the audit trail cannot be rewritten.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPEND_ONLY = ("case_versions", "observations", "documents", "assessments", "audit")
_TS = sa.DateTime(timezone=True)
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("deleted_at", _TS, nullable=True),
        sa.Column("deleted_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_external_id", "cases", ["external_id"])
    op.create_index("ix_cases_updated_at", "cases", ["updated_at"])
    op.create_table(
        "case_versions",
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("case_json", sa.Text(), nullable=False),
        sa.Column("case_sha256", sa.String(64), nullable=False),
        sa.Column("change", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_versions_case_id_cases"),
        sa.PrimaryKeyConstraint("case_id", "version", name="pk_case_versions"),
    )
    op.create_index("ix_case_versions_case_sha256", "case_versions", ["case_sha256"])
    _version_fk = ("case_id", "version"), ("case_versions.case_id", "case_versions.version")
    op.create_table(
        "observations",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("concept", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("specimen", sa.String(32), nullable=True),
        sa.Column("time_label", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("phase", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(
            list(_version_fk[0]),
            list(_version_fk[1]),
            name="fk_observations_case_id_version_case_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_observations"),
    )
    op.create_index("ix_observations_concept_case", "observations", ["concept", "case_id"])
    op.create_index("ix_observations_case_version", "observations", ["case_id", "version"])
    op.create_table(
        "documents",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("language", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_sha256", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(
            list(_version_fk[0]),
            list(_version_fk[1]),
            name="fk_documents_case_id_version_case_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
    )
    op.create_index("ix_documents_case_version", "documents", ["case_id", "version"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("knowledge_version", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.String(64), nullable=False),
        sa.Column("parameters_json", sa.Text(), nullable=False),
        sa.Column("input_sha256", sa.String(64), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.Column("result_sha256", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id", "case_version"],
            ["case_versions.case_id", "case_versions.version"],
            name="fk_assessments_case_id_case_version_case_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
    )
    op.create_index("ix_assessments_case_id", "assessments", ["case_id"])
    op.create_table(
        "audit",
        sa.Column("id", _SERIAL, autoincrement=True, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(32), nullable=True),
        sa.Column("case_version", sa.Integer(), nullable=True),
        sa.Column("assessment_id", sa.String(32), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "action IN ('created', 'changed', 'evaluated', 'exported', 'deleted')",
            name="ck_audit_action",
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_audit_case_id_cases"),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"], name="fk_audit_assessment_id_assessments"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_case_id", "audit", ["case_id"])
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    for table in ("audit", "assessments", "documents", "observations", "case_versions", "cases"):
        op.drop_table(table)


def _create_append_only_triggers() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION poemsdx_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'poemsdx: rows of % are written once and never changed or deleted',
                    TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
            END
            $$
            """
        )
        for table in _APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION poemsdx_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION poemsdx_append_only()"
            )
    elif dialect == "sqlite":
        for table in _APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, 'poemsdx: rows of {table} are written once and never "
                    "changed or deleted'); END"
                )


def _drop_append_only_triggers() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS poemsdx_append_only()")
    elif dialect == "sqlite":
        for table in _APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
