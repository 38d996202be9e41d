"""CDS Hooks feedback: which cards were accepted or overridden, kept in a small SQLite
table (the standard library's ``sqlite3``; ``:memory:`` by default).

Only ids, outcomes, reason codes and times are stored — no patient data and no free-text
comment (a user's comment may name the patient).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cds_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    override_reason TEXT,
    outcome_timestamp TEXT NOT NULL,
    received_at REAL NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    service: str
    card: str
    outcome: str
    accepted_suggestions: tuple[str, ...]
    override_reason: str | None
    outcome_timestamp: str


class FeedbackStore:
    """Thread-safe append-only store of feedback rows."""

    def __init__(self, path: str = ":memory:") -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._conn:
            self._conn.execute(_SCHEMA)

    def add(self, row: FeedbackRow) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO cds_feedback (service, card, outcome, accepted_suggestions,"
                " override_reason, outcome_timestamp, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    row.service,
                    row.card,
                    row.outcome,
                    json.dumps(list(row.accepted_suggestions)),
                    row.override_reason,
                    row.outcome_timestamp,
                    time.time(),
                ),
            )

    def rows(self, service: str | None = None) -> list[FeedbackRow]:
        query = (
            "SELECT service, card, outcome, accepted_suggestions, override_reason,"
            " outcome_timestamp FROM cds_feedback"
        )
        args: tuple[Any, ...] = ()
        if service is not None:
            query += " WHERE service = ?"
            args = (service,)
        with self._lock:
            found = self._conn.execute(query + " ORDER BY id", args).fetchall()
        return [FeedbackRow(s, c, o, tuple(json.loads(a)), r, t) for s, c, o, a, r, t in found]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
