"""Crash safety: every case id a writer reported as committed survives a SIGKILL.

A writer process (``crash_writer.py``) creates cases in a loop and prints each id after
its transaction commits. Mid-stream we SIGKILL

* the writer, on SQLite (the process holding the file) and on the shared PostgreSQL
  server (the server itself must not be killed: other test runs use it);
* a PostgreSQL server — a private instance started for this test from the installed
  binaries (initdb into a temporary folder, postgres on a free loopback port, run as the
  ``postgres`` user when the tests run as root) — killed with its whole process group,
  then restarted so it recovers from its write-ahead log.

Then the registry is reopened: every reported id must read back with the content the
writer gave it, ``check_integrity`` must find nothing, and at most one case per kill (committed,
killed before it was printed) may exist beyond those reported.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from poemsdx import Case, Knowledge
from poemsdx.registry import Registry

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("crash_writer.py")
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _writer_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crash_writer", WRITER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_case(n: int) -> Case:
    case: Case = _writer_module().crash_case(n)
    return case


class Writer:
    """The writer subprocess, its output read by a thread (so waiting has a deadline)."""

    def __init__(self, url: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), url, "100000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.err = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.committed()) < count:
            if self.proc.poll() is not None and not self._reader.is_alive():
                self.finish()
                pytest.fail(f"writer stopped early: {self.err}")
            if time.monotonic() > deadline:
                self.proc.kill()
                self.finish()
                pytest.fail(f"writer too slow: {len(self.committed())} ids in {timeout} s")
            time.sleep(0.005)

    def finish(self, timeout: float = 60) -> int:
        """Wait for the writer to end; collect its stderr and close the pipes."""
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code

    def committed(self) -> list[tuple[int, str]]:
        """(n, case id) of every complete line: printed only after the commit."""
        out = []
        for line in self.lines:
            parts = line.split()
            if line.endswith("\n") and len(parts) == 2 and len(parts[1]) == 32:
                out.append((int(parts[0]), parts[1]))
        return out


def check_survivors(
    url: str, committed: list[tuple[int, str]], kb: Knowledge, kills: int = 1
) -> None:
    """Each kill may leave one case committed but not yet printed; no more."""
    assert len(committed) >= 20
    with Registry.open(url, kb=kb) as reg:
        for n, case_id in committed:
            assert reg.get_case(case_id) == expected_case(n), n
        assert reg.check_integrity() == []
        total = reg.count_cases()
        assert len(committed) <= total <= len(committed) + kills
        # and the registry still takes writes
        reg.create_case(expected_case(-1), actor="after-crash")
        assert reg.count_cases() == total + 1


def _kill_writer_mid_stream(url: str, kb: Knowledge, rounds: int) -> None:
    committed: list[tuple[int, str]] = []
    for r in range(rounds):
        writer = Writer(url)
        writer.wait_for(20 + 7 * r)
        os.kill(writer.proc.pid, signal.SIGKILL)
        assert writer.finish() == -signal.SIGKILL
        committed += writer.committed()
    check_survivors(url, committed, kb, kills=rounds)


def test_sigkill_writer_on_sqlite(tmp_path: Path, kb: Knowledge) -> None:
    _kill_writer_mid_stream(f"sqlite:///{tmp_path / 'crash.sqlite3'}", kb, rounds=2)


def test_sigkill_writer_on_postgresql(pg_schema_url: str, kb: Knowledge) -> None:
    _kill_writer_mid_stream(pg_schema_url, kb, rounds=1)


# -- a private PostgreSQL server, killed ------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster owned by this test."""

    def __init__(self, datadir: Path, run_as: str | None) -> None:
        self.datadir = datadir
        self.run_as = run_as
        self.port = _free_port()
        self.log = datadir.parent / f"{datadir.name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_user(self) -> dict[str, object]:
        if self.run_as is None:
            return {}
        return {"user": self.run_as, "group": self.run_as, "extra_groups": []}

    def initdb(self) -> None:
        subprocess.run(
            [str(PG_BIN / "initdb"), "-D", str(self.datadir), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            check=True,
            capture_output=True,
            **self._as_user(),  # type: ignore[arg-type]
        )  # fmt: skip

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(PG_BIN / "postgres"), "-D", str(self.datadir), "-p", str(self.port),
                 "-k", str(self.datadir), "-c", "listen_addresses=127.0.0.1",
                 "-c", "fsync=on", "-c", "max_connections=20", "-c", "shared_buffers=16MB"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg reaches every backend
                **self._as_user(),  # type: ignore[arg-type]
            )  # fmt: skip
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(
                    host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                    connect_timeout=1,
                ):  # fmt: skip
                    return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"private PostgreSQL did not start: {self.log.read_text()[-2000:]}")
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the postmaster and all its backends at once."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGQUIT)  # immediate shutdown: the cluster is discarded
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN}")
    run_as = None
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run a server as")
        run_as = "postgres"
    base = Path(tempfile.mkdtemp(prefix="poemsdx-pg-", dir="/tmp"))
    datadir = base / "data"
    try:
        if run_as:
            shutil.chown(base, run_as, run_as)
        server = PrivatePostgres(datadir, run_as)
        server.initdb()
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_sigkill_postgresql_server(private_postgres: PrivatePostgres, kb: Knowledge) -> None:
    Registry.open(private_postgres.url, kb=kb).close()  # migrate before the writer starts
    writer = Writer(private_postgres.url)
    writer.wait_for(25)
    private_postgres.kill()
    assert writer.finish() != 0  # the writer's next call fails: the server is gone
    assert "RegistryError" in writer.err
    private_postgres.start()  # crash recovery replays the write-ahead log
    check_survivors(private_postgres.url, writer.committed(), kb)
