"""Start-up hygiene of `mallard pipe`: a pipe that cannot start (API port taken, lake unreachable,
privileges missing, a table missing) says why and leaves no publication or replication slot behind
(a forgotten slot holds WAL on the source for ever); with exactly the privileges the README lists
(REPLICATION and SELECT, the publication made by the tables' owner) it syncs."""

from __future__ import annotations

import socket
import subprocess

import pytest

from conftest import mallard_bin, server_env
from pipe_e2e import Pipe, lake_rows, source_rows, wait_equal
from pipe_e2e import database, postgres  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def table_t(postgres, database):
    postgres.psql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5) g",
                  database)


def leftovers(postgres, database) -> tuple[str, str]:
    slots = postgres.psql(f"SELECT string_agg(slot_name, ',') FROM pg_replication_slots WHERE slot_name LIKE 'mallard_%'")
    publications = postgres.psql("SELECT string_agg(pubname, ',') FROM pg_publication", database)
    return slots, publications


def run_pipe(source: str, catalog: str, tmp_path, group: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [str(mallard_bin()), "pipe", "--source", source, "--lake-catalog", catalog, "--lake-data-path",
           str(tmp_path / "data"), "--work-dir", str(tmp_path / "work"), "--group", group, "--tables", "public.t", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=server_env())


def test_busy_api_port_fails_before_creating_anything(postgres, database, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_pipe(postgres.conninfo(database), str(tmp_path / "lake.duckdb"), tmp_path, database,
                          "--api-port", str(port))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stdout + result.stderr
    assert leftovers(postgres, database) == ("", ""), "a pipe that could not listen left a slot or publication"


def test_unreachable_lake_fails_before_creating_anything(postgres, database, tmp_path):
    catalog = postgres.url("no_such_database_here")
    result = run_pipe(postgres.conninfo(database), catalog, tmp_path, database, "--api-port", "-1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the lake is unreachable" in result.stdout + result.stderr
    assert leftovers(postgres, database) == ("", "")


def test_missing_table_fails_before_creating_anything(postgres, database, tmp_path):
    result = run_pipe(postgres.conninfo(database), str(tmp_path / "lake.duckdb"), tmp_path, database, "--api-port", "-1",
                      "--tables", "public.t,public.nope")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nope" in result.stdout + result.stderr
    assert leftovers(postgres, database) == ("", "")


def test_missing_privileges_are_listed_and_documented_privileges_suffice(postgres, database, tmp_path):
    role = database + "_repl"
    postgres.psql(f"DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN")
    source = f"host=127.0.0.1 port={postgres.port} user={role} dbname={database}"
    # Nothing granted: every missing privilege is named, with the statement that grants it.
    result = run_pipe(source, str(tmp_path / "lake.duckdb"), tmp_path, database, "--api-port", "-1")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"ALTER ROLE {role} REPLICATION" in output.replace('"', ""), output
    assert "GRANT SELECT ON" in output, output
    assert "CREATE PUBLICATION" in output, output
    assert leftovers(postgres, database) == ("", "")
    # REPLICATION and SELECT are not enough on their own: the publication needs the tables' owner.
    postgres.psql(f"ALTER ROLE {role} REPLICATION; GRANT SELECT ON t TO {role}", database)
    result = run_pipe(source, str(tmp_path / "lake.duckdb"), tmp_path, database, "--api-port", "-1")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "ownership of" in output and "CREATE PUBLICATION" in output, output
    assert "REPLICATION (" not in output and "GRANT SELECT" not in output, output
    assert leftovers(postgres, database) == ("", "")
    # What the README lists: the owner creates the publication; REPLICATION + SELECT then suffice.
    postgres.psql(f"CREATE PUBLICATION mallard_{database} FOR TABLE t WITH (publish_via_partition_root = true)", database)
    pipe = Pipe(source, str(tmp_path / "lake.duckdb"), tmp_path / "data", tmp_path / "work", tmp_path / "pipe.log",
                "--tables", "public.t", group=database)
    try:
        pipe.wait_ready()
        pipe.wait_state("public.t", "STREAMING")
        postgres.psql("INSERT INTO t VALUES (6, 'six'); UPDATE t SET v = 'one' WHERE id = 1", database)
        # Read while the pipe holds the DuckDB-file catalog: `mallard lake scan` reads a copy.
        wait_equal(lambda: lake_rows(str(tmp_path / "lake.duckdb"), "t"),
                   lambda: source_rows(postgres, "SELECT id, v FROM t ORDER BY id", database), timeout=30)
    finally:
        pipe.stop()
        postgres.psql(f"SELECT pg_drop_replication_slot('mallard_{database}') FROM pg_replication_slots "
                      f"WHERE slot_name = 'mallard_{database}'")
        postgres.psql(f"DROP PUBLICATION IF EXISTS mallard_{database}", database)
        postgres.psql(f"DROP OWNED BY {role}", database)
        postgres.psql(f"DROP ROLE {role}")
