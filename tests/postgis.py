"""A throwaway PostgreSQL 15 + PostGIS 3 cluster for tests and benchmarks.

The cluster lives in a temporary folder owned by the ``postgres`` user
(``initdb`` refuses to run as root, so when we are root every server command
runs through ``runuser -u postgres``). It listens only on 127.0.0.1, on a free
port, with its Unix socket inside the folder, trusts local connections, and
skips fsync: nothing in it is meant to outlive the test run.
:meth:`PostgresCluster.remove` stops it with ``pg_ctl stop -m immediate`` and
deletes the folder.

It never touches a cluster that Debian's ``postgresql`` package may have
created (``15/main``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

PG_BIN = Path(os.environ.get("CAMATLAS_PG_BIN", "/usr/lib/postgresql/15/bin"))
"""Where the PostgreSQL 15 server programs are (Debian's layout)."""

PG_USER = "postgres"
"""OS user that owns the cluster when the tests run as root."""

TEST_DATABASE = "camatlas_test"
"""Database with PostGIS installed that the tests put their atlases in (one schema each)."""


def missing() -> str | None:
    """Why a PostGIS cluster cannot be started here, or ``None`` when it can."""
    for program in ("initdb", "pg_ctl", "postgres", "pg_config"):
        if not (PG_BIN / program).is_file():
            return (
                f"PostgreSQL 15 is not installed ({PG_BIN / program} is missing); "
                "run `make setup` (Debian packages postgresql and postgresql-15-postgis-3)"
            )
    sharedir = subprocess.run(
        [str(PG_BIN / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not (Path(sharedir) / "extension" / "postgis.control").is_file():
        return (
            f"PostGIS is not installed for PostgreSQL 15 (no postgis.control in {sharedir}); "
            "run `make setup` (Debian package postgresql-15-postgis-3)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            return f"running as root, but there is no {PG_USER!r} user to own the test cluster"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One temporary PostgreSQL cluster; start it with :meth:`create`."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.data = root / "data"
        self.socket_dir = root / "socket"
        self.log = root / "server.log"

    # -- lifecycle -----------------------------------------------------------------

    @classmethod
    def create(cls, database: str = TEST_DATABASE) -> PostgresCluster:
        """initdb a cluster in a temporary folder, start it, create ``database`` with PostGIS."""
        reason = missing()
        if reason:
            raise RuntimeError(reason)
        # As root the folder goes in /tmp: the postgres user must be able to reach it,
        # which a $TMPDIR under /root would not allow.
        parent = "/tmp" if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="camatlas-pg-", dir=parent))
        cluster = cls(root, _free_port())
        try:
            cluster.socket_dir.mkdir()
            if os.geteuid() == 0:
                owner = pwd.getpwnam(PG_USER)
                for path in (root, cluster.socket_dir):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
            cluster._run(
                "initdb",
                "-D",
                str(cluster.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            )
            cluster.start()
            cluster.create_database(database)
        except BaseException:
            cluster.remove()
            raise
        return cluster

    def _as_owner(self, args: Sequence[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", PG_USER, "--", *args]
        return list(args)

    def _run(self, program: str, *args: str) -> None:
        proc = subprocess.run(
            self._as_owner([str(PG_BIN / program), *args]),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}\n{log}"
            )

    def start(self) -> None:
        """Start the server (again) and wait until it accepts connections."""
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.socket_dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=60",
                "-c shared_buffers=256MB",
                "-c max_wal_size=4GB",
                "-c checkpoint_timeout=30min",
            ]
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` aborts it like a crash would."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        """Stop the server and delete the whole cluster folder."""
        if self.running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases -----------------------------------------------------------------

    def url(
        self, database: str = TEST_DATABASE, schema: str | None = None, user: str = "postgres"
    ) -> str:
        """A ``postgresql://`` URL to ``database`` over TCP on 127.0.0.1."""
        url = f"postgresql://{user}@127.0.0.1:{self.port}/{database}"
        return url + (f"?schema={schema}" if schema else "")

    def connect(self, database: str = TEST_DATABASE) -> Any:
        """An autocommit psycopg connection as the superuser."""
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True)

    def execute(
        self, sql: str, params: Sequence[Any] = (), database: str = TEST_DATABASE
    ) -> list[Any]:
        """Run one statement as the superuser; return its rows (if any)."""
        with self.connect(database) as conn:
            cur = conn.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def create_database(self, name: str, postgis: bool = True) -> None:
        """Create ``name`` (with the PostGIS extension unless ``postgis`` is false)."""
        self.execute(f'CREATE DATABASE "{name}"', database="postgres")
        if postgis:
            self.execute("CREATE EXTENSION postgis", database=name)

    def wait_for(
        self,
        sql: str,
        params: Sequence[Any] = (),
        timeout_s: float = 60.0,
        database: str = TEST_DATABASE,
    ) -> list[Any]:
        """Poll ``sql`` every few milliseconds until it returns a row; return the rows."""
        deadline = time.monotonic() + timeout_s
        with self.connect(database) as conn:
            while True:
                rows = conn.execute(sql, params).fetchall()
                if rows:
                    return list(rows)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no row from {sql!r} within {timeout_s} s")
                time.sleep(0.003)


@contextlib.contextmanager
def temporary_cluster(database: str = TEST_DATABASE) -> Iterator[PostgresCluster]:
    """A cluster for the duration of a ``with`` block."""
    cluster = PostgresCluster.create(database)
    try:
        yield cluster
    finally:
        cluster.remove()


def atlas_sql(url: str, statement: str, params: Sequence[Any] = ()) -> list[Any]:
    """Run one SQL statement directly on the atlas at ``url``, bypassing camatlas.

    For tests that need to reach under the store (e.g. to fake an atlas from
    a newer camatlas): a GeoPackage through sqlite3, a PostGIS atlas through
    psycopg with the atlas schema first on the search path.
    """
    if not url.startswith(("postgresql://", "postgres://")):
        import sqlite3

        with contextlib.closing(sqlite3.connect(url)) as db, db:
            return list(db.execute(statement, tuple(params)).fetchall())
    import psycopg

    from camatlas.store.pgurl import parse_postgres_url

    parsed = parse_postgres_url(url)
    with psycopg.connect(parsed.conninfo, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{parsed.schema}", public')
        cur = conn.execute(statement, params)
        return list(cur.fetchall()) if cur.description else []
