"""Helpers for the change-data-capture tests: a `mallard pipe` process against a throw-away
PostgreSQL, reading the lake back with `mallard lake scan`, and comparing it with the source."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import free_port, mallard_bin, server_env
from pg_e2e import PostgresServer

FLUSH_ARGS = ["--flush-interval-ms", "100"]


# Fixtures of the pipe tests; a test module imports them (`from pipe_e2e import postgres, ...`)
# and gets a PostgreSQL server of its own.
@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def database(postgres, request):
    """A source database of the test's own (slots are per cluster: one sync group per database).
    Parametrised tests differ only at the end of their names: a hash of the whole name keeps them apart."""
    node = request.node.name.lower()
    readable = "".join(c if c.isalnum() else "_" for c in node)[5:30]
    name = f"db_{readable}_{hashlib.sha1(node.encode()).hexdigest()[:6]}"
    postgres.psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'mallard_{name}'")
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    postgres.psql(f"CREATE DATABASE {name}")
    yield name
    drop_slots_of(postgres, name)


def drop_slots_of(postgres: PostgresServer, database: str, timeout: float = 30) -> None:
    """Drops the replication slots of `database` (the sync group's and any snapshot slot a killed
    pipe left): slots are per cluster and a module's tests share one, so a module of more pipe
    tests than max_replication_slots ran out of them."""
    deadline = time.monotonic() + timeout
    where = f"database = '{database}'"
    while True:
        try:
            postgres.psql(f"SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE {where} "
                          "AND active_pid IS NOT NULL")
            postgres.psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE {where} AND NOT active")
        except AssertionError as e:  # a slot taken again between the two: once more
            problem = str(e)
        else:
            problem = "still there"
        left = postgres.psql(f"SELECT string_agg(slot_name, ', ') FROM pg_replication_slots WHERE {where}")
        if not left:
            return
        assert time.monotonic() < deadline, f"the replication slots {left} of {database} stay: {problem}"
        time.sleep(0.1)


@pytest.fixture
def lake_catalog(postgres, database):
    """A PostgreSQL lake catalog, readable while the pipe runs."""
    name = database + "_lake"
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    postgres.psql(f"CREATE DATABASE {name}")
    return postgres.url(name)


class Pipe:
    """One `mallard pipe` process; its REST API on a free port."""

    def __init__(self, source: str, catalog: str, data_path: Path, work: Path, log: Path, *args: str,
                 group: str = "default"):
        self.api_port = free_port()
        self.log = log
        cmd = [str(mallard_bin()), "pipe", "--source", source, "--lake-catalog", catalog, "--lake-data-path",
               str(data_path), "--work-dir", str(work), "--group", group, "--api-port", str(self.api_port),
               *(FLUSH_ARGS if "--flush-interval-ms" not in args else []), *args]
        handle = open(log, "ab")
        handle.write(("$ " + " ".join(cmd) + "\n").encode())
        handle.flush()
        self.proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=server_env(), start_new_session=True)
        handle.close()

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> tuple[int, dict | str]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.api_port}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                text = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            status = e.code
        try:
            return status, json.loads(text)
        except json.JSONDecodeError:
            return status, text

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"mallard pipe exited with {self.proc.returncode}:\n{self.log.read_text()[-4000:]}")
            try:
                status, _ = self.api("GET", "/health", timeout=2)
                if status == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"mallard pipe not ready after {timeout}s:\n{self.log.read_text()[-4000:]}")

    def status(self) -> dict:
        status, body = self.api("GET", "/status")
        assert status == 200, body
        return body

    def table(self, label: str) -> dict:
        for table in self.status()["tables"]:
            if table["source"] == label:
                return table
        raise AssertionError(f"{label} not in status")

    def wait_state(self, label: str, state: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.table(label)
            if last["state"] == state:
                return last
            time.sleep(0.05)
        raise AssertionError(f"{label} is {last} after {timeout}s, want {state}")

    def stop(self, kill: bool = False) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL if kill else signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


def run_pipe_expecting_failure(source: str, catalog: str, data_path: Path, work: Path, *args: str,
                               group: str = "default") -> str:
    cmd = [str(mallard_bin()), "pipe", "--source", source, "--lake-catalog", catalog, "--lake-data-path",
           str(data_path), "--work-dir", str(work), "--group", group, "--api-port", "-1", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=server_env())
    assert result.returncode != 0, f"pipe should have failed:\n{result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def lake_rows(catalog: str, table: str, schema: str = "public", snapshot: int | None = None) -> list[str]:
    cmd = [str(mallard_bin()), "lake", "--catalog", catalog, "scan", table, "--schema", schema]
    if snapshot is not None:
        cmd += ["--snapshot", str(snapshot)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=server_env())
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[1:]


def lake_cli(catalog: str, *args: str) -> str:
    result = subprocess.run([str(mallard_bin()), "lake", "--catalog", catalog, *args], capture_output=True, text=True,
                            timeout=120, env=server_env())
    assert result.returncode == 0, result.stderr
    return result.stdout


def source_rows(postgres: PostgresServer, sql: str, database: str = "postgres") -> list[str]:
    result = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-F", ",", "-v", "ON_ERROR_STOP=1",
                             postgres.conninfo(database), "-c", sql], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line != ""]


def wait_equal(read_lake, read_source, timeout: float = 90) -> list[str]:
    """Polls until the lake's rows equal the source's; fails with the first differences."""
    deadline = time.monotonic() + timeout
    lake, source = [], []
    while time.monotonic() < deadline:
        source = read_source()
        try:
            lake = read_lake()
        except AssertionError as e:
            # The pipe creates the lake table with its first snapshot commit: until then, no rows.
            if "does not exist" not in str(e):
                raise
            lake = []
        if lake == source:
            return lake
        time.sleep(0.2)
    missing = sorted(set(source) - set(lake))[:5]
    extra = sorted(set(lake) - set(source))[:5]
    raise AssertionError(f"lake ({len(lake)} rows) != source ({len(source)} rows); missing {missing}, extra {extra}")


class Writer(threading.Thread):
    """Runs a server-side loop of small committed transactions while a test does other things."""

    def __init__(self, postgres: PostgresServer, sql: str, database: str = "postgres"):
        super().__init__(daemon=True)
        self.postgres, self.sql, self.database = postgres, sql, database
        self.error: str | None = None

    def run(self) -> None:
        result = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.postgres.conninfo(self.database),
                                 "-c", self.sql], capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            self.error = result.stderr

    def finish(self, timeout: float = 600) -> None:
        self.join(timeout)
        assert not self.is_alive(), "writer still running"
        assert self.error is None, self.error
