"""The SQL engine behind Athena and Redshift Data is sandboxed: client SQL reads the lake's files
and nothing else of the host, writes no files, loads no extensions and cannot change engine
settings for other clients. Each attack fails as that service fails a query (Athena FAILED with a
reason, Redshift Data FAILED with an Error) and the server keeps answering everyone else.
--sql-allow-host-files opens the host's files again, but settings stay locked."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import mallard_bin, server_env, start_server, stop_server
from sqlengine_e2e import athena_rows, athena_run, client, redshift_records, redshift_run

SECRET_LINE = "mallard-sandbox-secret-4711"
# DuckDB refuses the file itself, or Mallard the statement before it runs.
DENIED = ("Permission Error", "not available")


def lake_cli(catalog: str, *args: str) -> None:
    result = subprocess.run([str(mallard_bin()), "lake", "--catalog", catalog, *args], capture_output=True,
                            text=True, timeout=120, env=server_env())
    assert result.returncode == 0, result.stderr


@pytest.fixture
def host_files(tmp_path) -> dict[str, Path]:
    secret = tmp_path / "host" / "secret.csv"
    secret.parent.mkdir()
    secret.write_text(f"line\n{SECRET_LINE}\n")
    other_db = tmp_path / "host" / "other.duckdb"
    return {"secret": secret, "dir": secret.parent, "other_db": other_db, "out": tmp_path / "host" / "out.csv"}


@pytest.fixture
def lake_server(tmp_path, host_files):
    catalog = str(tmp_path / "lake.duckdb")
    csv = tmp_path / "fruit.csv"
    csv.write_text("id,name\n1,apple\n2,pear\n")
    lake_cli(catalog, "load", "fruit", str(csv))
    server = start_server(tmp_path / "mallard.log", ["--lake-catalog", catalog,
                                                     "--sqlengine-duckdb", str(tmp_path / "engine.duckdb")])
    yield server, catalog
    stop_server(server)


UNRECOGNIZED = ('unrecognized configuration parameter',)


def attacks(files: dict[str, Path], catalog: str) -> list[tuple[str, str | tuple[str, ...]]]:
    """(SQL, a fragment the failure reason must contain, or alternatives)."""
    return [
        (f"SELECT * FROM read_text('{files['secret']}')", "Permission Error"),
        ("SELECT * FROM read_text('/etc/passwd')", "Permission Error"),
        (f"SELECT * FROM read_csv('{files['secret']}')", "Permission Error"),
        (f"SELECT * FROM glob('{files['dir']}/*')", "Permission Error"),
        ("SELECT * FROM glob('/root/*')", "Permission Error"),
        # Redshift's COPY is its own statement (a table FROM S3): DuckDB's form is a syntax error there.
        (f"COPY (SELECT 1 AS a) TO '{files['out']}'", DENIED + ('syntax error at or near "("',)),
        (f"ATTACH '{files['other_db']}' AS other", DENIED),
        (f"ATTACH '{catalog}' AS catalog_file", DENIED),
        ("ATTACH ':memory:' AS scratch", DENIED),
        ("INSTALL httpfs", "not available"),
        ("LOAD httpfs", "not available"),
        # Redshift's dialect refuses DuckDB's settings before the engine sees them, as Redshift does
        # for a parameter it does not have; Athena's reaches the locked engine.
        ("SET enable_external_access = true", ("locked",) + UNRECOGNIZED),
        ("SET memory_limit = '1MB'", ("locked",) + UNRECOGNIZED),
        ("PRAGMA threads = 1", "locked"),
        ("SET lock_configuration = false", ("locked",) + UNRECOGNIZED),
        ("RESET lock_configuration", ("locked",) + UNRECOGNIZED),
        ("CALL enable_logging(storage => 'file', storage_path => '/tmp')", "not available"),
        ("SELECT * FROM query('SELECT * FROM enable' || '_logging()')", "not available"),
        ("PRAGMA enable_profiling", "not available"),
    ]


def mentions(text: str, reason: str | tuple[str, ...]) -> bool:
    return any(r in text for r in ((reason,) if isinstance(reason, str) else reason))


def test_attacks_fail_through_athena_and_redshift_and_the_lake_still_works(lake_server, host_files):
    server, catalog = lake_server
    athena = client("athena", server.endpoint)
    redshift = client("redshift-data", server.endpoint)
    # A file inside the lake's data directory is reachable; reading it through the view is the point.
    lake_files = sorted(Path(catalog + ".files").rglob("*.parquet"))
    assert lake_files
    for sql, reason in attacks(host_files, catalog):
        execution = athena_run(athena, sql)
        assert execution["Status"]["State"] == "FAILED", (sql, execution["Status"])
        assert mentions(execution["Status"]["StateChangeReason"], reason), (sql, execution["Status"])
        assert SECRET_LINE not in execution["Status"]["StateChangeReason"]
        described = redshift_run(redshift, sql)
        assert described["Status"] == "FAILED", (sql, described)
        assert mentions(described["Error"], reason), (sql, described)
    assert not host_files["out"].exists()
    assert not host_files["other_db"].exists()
    # Nothing changed for the next client: settings, logging and the lake are as before.
    # (Athena's SQL has no current_setting; DuckDB's settings table passes through as a table function.)
    _, rows = athena_rows(athena, "SELECT name, value FROM duckdb_settings() "
                                  "WHERE name IN ('enable_external_access', 'lock_configuration') ORDER BY name")
    assert rows == [["name", "value"], ["enable_external_access", "false"], ["lock_configuration", "true"]]
    _, rows = athena_rows(athena, "SELECT id, name FROM lake.fruit ORDER BY id")
    assert rows == [["id", "name"], ["1", "apple"], ["2", "pear"]]
    _, rows = athena_rows(athena, f"SELECT count(*) AS n FROM read_parquet('{lake_files[0]}')")
    assert rows == [["n"], ["2"]]
    _, rows = athena_rows(athena, "PRAGMA version")  # informational pragmas still work
    assert any((cell or "").startswith("v1.") for row in rows for cell in row), rows
    _, records = redshift_records(redshift, "SELECT name FROM lake.fruit WHERE id = 2")
    assert records == [[{"stringValue": "pear"}]]
    # The engine's own database file still works (tables, checkpoint, larger sorts).
    assert athena_run(athena, "CREATE TABLE t AS SELECT range AS i FROM range(200000)")["Status"]["State"] == "SUCCEEDED"
    assert athena_run(athena, "CHECKPOINT")["Status"]["State"] == "SUCCEEDED"
    _, rows = athena_rows(athena, "SELECT max(i) AS m FROM (SELECT i FROM t ORDER BY i DESC)")
    assert rows == [["m"], ["199999"]]


def test_allow_host_files_reads_a_local_csv_but_settings_stay_locked(tmp_path, host_files):
    server = start_server(tmp_path / "mallard.log", ["--sql-allow-host-files"])
    try:
        athena = client("athena", server.endpoint)
        redshift = client("redshift-data", server.endpoint)
        _, rows = athena_rows(athena, f"SELECT line FROM read_csv('{host_files['secret']}')")
        assert rows == [["line"], [SECRET_LINE]]
        _, records = redshift_records(redshift, f"SELECT count(*) FROM read_csv('{host_files['secret']}')")
        assert records == [[{"longValue": 1}]]
        for sql in ["SET memory_limit = '1MB'", "SET enable_external_access = false", "INSTALL httpfs",
                    "CALL enable_logging()"]:
            execution = athena_run(athena, sql)
            assert execution["Status"]["State"] == "FAILED", (sql, execution["Status"])
    finally:
        stop_server(server)


def test_without_a_lake_no_host_file_is_readable(tmp_path, host_files):
    server = start_server(tmp_path / "mallard.log")
    try:
        athena = client("athena", server.endpoint)
        execution = athena_run(athena, f"SELECT * FROM read_csv('{host_files['secret']}')")
        assert execution["Status"]["State"] == "FAILED"
        assert "Permission Error" in execution["Status"]["StateChangeReason"]
        _, rows = athena_rows(athena, "SELECT 1 AS one")
        assert rows == [["one"], ["1"]]
    finally:
        stop_server(server)


def test_config_file_sets_the_option(tmp_path, host_files):
    config = tmp_path / "mallard.toml"
    config.write_text("[backends]\nsql_allow_host_files = true\n")
    server = start_server(tmp_path / "mallard.log", ["--config", str(config)])
    try:
        athena = client("athena", server.endpoint)
        _, rows = athena_rows(athena, f"SELECT line FROM read_csv('{host_files['secret']}')")
        assert rows == [["line"], [SECRET_LINE]]
    finally:
        stop_server(server)
