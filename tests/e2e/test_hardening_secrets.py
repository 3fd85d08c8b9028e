"""Secrets stay secret: a password in a Redis URL or a PostgreSQL connection string (URL or libpq
keyword/value string) appears in no log line or error message of `mallard serve`, `mallard pipe`
or `mallard lake`, and a keyword string given as a lake catalog is never taken for a file name
(which logged the password and created files named after it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import mallard_bin, server_env

PASSWORD = "Sup3r-s3cret-e2e"
# Nothing listens on port 1 of loopback: connections are refused at once.
KEYWORDS = f"host=127.0.0.1 port=1 dbname=lake user=u password={PASSWORD} connect_timeout=2"
QUOTED_KEYWORDS = f"host=127.0.0.1 port=1 dbname=lake password='{PASSWORD} x' connect_timeout=2"
URL = f"postgresql://u:{PASSWORD}@127.0.0.1:1/lake?connect_timeout=2"
QUERY_URL = f"postgresql://127.0.0.1:1/lake?user=u&password={PASSWORD}&connect_timeout=2"
BROKEN_KEYWORDS = f"host=127.0.0.1 password={PASSWORD} dbname"  # libpq: missing "=" after "dbname"


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(mallard_bin()), *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env=server_env(), stdin=subprocess.DEVNULL)


def check_masked(result: subprocess.CompletedProcess, cwd: Path) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert PASSWORD not in output, output
    assert PASSWORD.lower() not in output.lower()
    # Nothing named after the spec (a DuckDB catalog file, its WAL, its .files directory).
    assert sorted(p.name for p in cwd.iterdir()) == [], output
    return output


@pytest.fixture
def cwd(tmp_path) -> Path:
    directory = tmp_path / "cwd"
    directory.mkdir()
    return directory


@pytest.mark.parametrize("spec", [
    f"redis://:{PASSWORD}@127.0.0.1:notaport/0",
    f"redis://user:{PASSWORD}@127.0.0.1:6379/0?pool=0",
    f"redis://user:{PASSWORD}@127.0.0.1:6379/0?password={PASSWORD}",
    f"rediss://user:{PASSWORD}@127.0.0.1:6379/0",
], ids=["bad-port", "bad-parameter", "password-parameter", "unknown-scheme"])
@pytest.mark.parametrize("option", ["--backend-sqs", "--backend-dynamodb"])
def test_invalid_redis_url_is_reported_without_its_password(cwd, option, spec):
    result = run(cwd, "serve", "--port", "0", option, spec)
    output = check_masked(result, cwd)
    assert "backend" in output


@pytest.mark.parametrize("catalog", [KEYWORDS, QUOTED_KEYWORDS, URL, QUERY_URL],
                         ids=["keywords", "quoted-keywords", "url", "url-query"])
def test_serve_lake_catalog_connection_strings(cwd, tmp_path, catalog):
    result = run(cwd, "serve", "--port", "0", "--lake-catalog", catalog, "--lake-data-path", str(tmp_path / "data"))
    output = check_masked(result, cwd)
    # Taken for a PostgreSQL catalog: the connection is what failed.
    assert "PostgreSQL" in output, output


def test_lake_command_keyword_catalog(cwd, tmp_path):
    output = check_masked(run(cwd, "lake", "--catalog", KEYWORDS, "tables"), cwd)
    assert "PostgreSQL" in output, output


def test_a_keyword_string_libpq_cannot_parse_is_refused_with_the_accepted_forms(cwd, tmp_path):
    for args in (["serve", "--port", "0", "--lake-catalog", BROKEN_KEYWORDS],
                 ["lake", "--catalog", BROKEN_KEYWORDS, "tables"]):
        output = check_masked(run(cwd, *args), cwd)
        assert "postgres://USER:PASSWORD@HOST:PORT/DB" in output, output


def test_pipe_lake_catalog_and_source(cwd, tmp_path):
    data = str(tmp_path / "data")
    for args in (["pipe", "--source", KEYWORDS, "--lake-catalog", KEYWORDS, "--lake-data-path", data],
                 ["pipe", "--source", URL, "--lake-catalog", QUERY_URL, "--lake-data-path", data],
                 ["pipe", "--source", KEYWORDS, "--lake-catalog", BROKEN_KEYWORDS, "--lake-data-path", data]):
        check_masked(run(cwd, *args, "--work-dir", str(tmp_path / "work")), cwd)


def test_a_keyword_string_is_a_postgres_catalog(cwd, tmp_path):
    """The libpq keyword form works as a catalog (as postgres:// URLs do), in every command."""
    from conftest import start_server, stop_server
    from pg_e2e import PostgresServer
    from sqlengine_e2e import athena_rows, client

    postgres = PostgresServer().start()
    try:
        postgres.psql("CREATE DATABASE lake_kw")
        postgres.psql("CREATE DATABASE empty_kw")
        # Trust authentication ignores the password, which must stay out of every output all the same.
        catalog = postgres.conninfo("lake_kw") + f" password={PASSWORD}"
        data = tmp_path / "data"
        csv = tmp_path / "t.csv"
        csv.write_text("id\n1\n2\n")
        loaded = run(cwd, "lake", "--catalog", catalog, "--data-path", str(data), "load", "t", str(csv))
        assert loaded.returncode == 0, loaded.stderr
        assert PASSWORD not in loaded.stdout + loaded.stderr
        tables = run(cwd, "lake", "--catalog", catalog, "tables")
        assert tables.returncode == 0 and tables.stdout.startswith("main.t\t"), tables.stderr
        empty = check_masked(run(cwd, "lake", "--catalog", postgres.conninfo("empty_kw") + f" password={PASSWORD}",
                                 "tables"), cwd)
        assert "no DuckLake in that PostgreSQL database" in empty
        assert sorted(p.name for p in cwd.iterdir()) == []
        server = start_server(tmp_path / "mallard.log", ["--lake-catalog", catalog])
        try:
            _, rows = athena_rows(client("athena", server.endpoint), "SELECT count(*) AS n FROM lake.t")
            assert rows == [["n"], ["2"]]
        finally:
            stop_server(server)
        server_lines = [line for line in server.log_text().splitlines() if not line.startswith("$ ")]
        assert PASSWORD not in "\n".join(server_lines)
    finally:
        postgres.stop()
