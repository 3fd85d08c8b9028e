"""A throw-away PostgreSQL server for end-to-end tests (Debian's postgresql package), on a free
loopback port. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import free_port


class PostgresServer:
    def __init__(self) -> None:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not candidates:
            pytest.fail("PostgreSQL server binaries not found (apt install postgresql)", pytrace=False)
        self.bin = Path(candidates[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="mallard-pg-"))
        os.chmod(self.dir, 0o755)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.dir / "server.log"
            pytest.fail(f"{' '.join(args)} failed: {result.stderr}\n{log.read_text() if log.exists() else ''}",
                        pytrace=False)

    def start(self, wal_level: str = "logical") -> "PostgresServer":
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c wal_level={wal_level} "
                        "-c fsync=off -c max_connections=300 -c max_replication_slots=20 -c max_wal_senders=20")
        return self._start()

    def _start(self) -> "PostgresServer":
        options = self.options
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "server.log"), "-w",
                  "-t", "60", "-o", options, "start")
        return self

    def restart(self) -> None:
        """Stops the server abruptly (every connection drops) and starts it again on the same port."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        self._start()

    def restart_after(self, while_down, down_seconds: float = 0) -> None:
        """Stops the server abruptly, calls `while_down()`, keeps it down `down_seconds` more and
        starts it again on the same port."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        while_down()
        time.sleep(down_seconds)
        self._start()

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            # MALLARD_E2E_KEEP_POSTGRES=1 keeps the cluster (lake catalogs included) for a post-mortem:
            # start it again with pg_ctl -D <dir>/data as the postgres user.
            if os.environ.get("MALLARD_E2E_KEEP_POSTGRES") == "1":
                print(f"PostgreSQL cluster kept in {self.dir}")
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    def conninfo(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", self.conninfo(database), "-c", sql],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"psql failed: {result.stderr}")
        return result.stdout.strip()
