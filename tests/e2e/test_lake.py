"""DuckLake attached to the SQL engine: tables written by `mallard lake` are views in schema
`lake` for Athena and Redshift Data, `AT (VERSION => n)` / `AT (TIMESTAMP => …)` reads a past
snapshot, and a PostgreSQL catalog shared with another process stays current."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from conftest import mallard_bin, server_env, start_server, stop_server
from pg_e2e import PostgresServer
from sqlengine_e2e import athena_rows, athena_run, client, redshift_records, redshift_run


def lake_cli(catalog: str, *args: str, data_path: Path | None = None) -> str:
    cmd = [str(mallard_bin()), "lake", "--catalog", catalog]
    if data_path is not None:
        cmd += ["--data-path", str(data_path)]
    result = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120, env=server_env())
    assert result.returncode == 0, f"{' '.join(cmd + list(args))}: {result.stderr}"
    return result.stdout


def write_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture
def fruit_lake(tmp_path):
    catalog = str(tmp_path / "lake.duckdb")
    lake_cli(catalog, "load", "fruit", str(write_csv(tmp_path / "a.csv", "id,name,price",
                                                     ["1,apple,1.50", "2,pear,2.25", "3,fig,0.50"])))
    lake_cli(catalog, "load", "fruit", str(write_csv(tmp_path / "b.csv", "id,name,price", ["4,kiwi,3.00"])))
    return catalog


def test_lake_tables_are_views_for_athena_and_redshift(tmp_path, fruit_lake):
    snapshots = lake_cli(fruit_lake, "snapshots").splitlines()
    assert [line.split("\t")[0] for line in snapshots] == ["0", "1", "2"]
    assert snapshots[1].endswith('created_table:"main"."fruit",inserted_into_table:1')
    server = start_server(tmp_path / "mallard.log", ["--lake-catalog", fruit_lake])
    try:
        athena = client("athena", server.endpoint)
        redshift = client("redshift-data", server.endpoint)
        _, rows = athena_rows(athena, "SELECT id, name, price FROM lake.fruit ORDER BY id")
        assert rows == [["id", "name", "price"], ["1", "apple", "1.5"], ["2", "pear", "2.25"], ["3", "fig", "0.5"],
                        ["4", "kiwi", "3.0"]]
        # Athena's database `lake` is the lake's main schema.
        _, rows = athena_rows(athena, "SELECT count(*) AS n FROM fruit", database="lake")
        assert rows == [["n"], ["4"]]
        tables = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="lake")["TableMetadataList"]
        assert [t["Name"] for t in tables] == ["fruit"]
        assert [c["Name"] for c in tables[0]["Columns"]] == ["id", "name", "price"]
        # A table, not a view, to clients (the engine reads it through a view over its files).
        assert tables[0]["TableType"] == "EXTERNAL_TABLE"
        assert tables[0]["Parameters"]["table_type"] == "DUCKLAKE"
        listed = redshift.list_tables(Database="dev", WorkgroupName="mallard", SchemaPattern="lake")["Tables"]
        assert [(t["name"], t["type"]) for t in listed] == [("fruit", "TABLE")]
        _, records = redshift_records(redshift, "SELECT name FROM lake.fruit WHERE price > 2 ORDER BY name")
        assert [r[0]["stringValue"] for r in records] == ["kiwi", "pear"]

        # Time travel, with the ducklake extension's syntax.
        _, rows = athena_rows(athena, "SELECT count(*) AS n FROM lake.fruit AT (VERSION => 1)")
        assert rows == [["n"], ["3"]]
        _, records = redshift_records(redshift, "SELECT f.name FROM lake.fruit AT (version => 2) AS f WHERE f.id = 4")
        assert records == [[{"stringValue": "kiwi"}]]
        _, rows = athena_rows(athena, "SELECT count(*) AS n FROM lake.fruit AT (TIMESTAMP => '2999-01-01 00:00:00+00')")
        assert rows == [["n"], ["4"]]
        failed = athena_run(athena, "SELECT * FROM lake.fruit AT (VERSION => 0)")
        assert failed["Status"]["State"] == "FAILED"
        assert "does not exist at snapshot 0" in failed["Status"]["StateChangeReason"]
        failed = athena_run(athena, "SELECT * FROM lake.fruit AT (TIMESTAMP => '1990-01-01 00:00:00+00')")
        assert failed["Status"]["State"] == "FAILED"
        assert "no snapshot was committed" in failed["Status"]["StateChangeReason"]
        # Lake tables join engine tables.
        assert athena_run(athena, "CREATE TABLE stock AS SELECT 4 AS id, 10 AS qty")["Status"]["State"] == "SUCCEEDED"
        _, rows = athena_rows(athena, "SELECT f.name, s.qty FROM lake.fruit f JOIN stock s USING (id)")
        assert rows == [["name", "qty"], ["kiwi", "10"]]
    finally:
        stop_server(server)
    # Maintenance afterwards (a DuckDB-file catalog has one writer process at a time).
    assert "files rewritten 2" in lake_cli(fruit_lake, "compact", "fruit")
    assert "snapshots expired 3" in lake_cli(fruit_lake, "expire", "--keep", "1")
    assert "files deleted 2" in lake_cli(fruit_lake, "cleanup", "--min-age", "0")
    assert lake_cli(fruit_lake, "scan", "fruit").splitlines() == [
        "id,name,price", "1,apple,1.5", "2,pear,2.25", "3,fig,0.5", "4,kiwi,3.0"]


def test_postgres_catalog_shared_with_another_writer(tmp_path):
    postgres = PostgresServer().start()
    try:
        postgres.psql("CREATE DATABASE lake_catalog")
        catalog = postgres.url("lake_catalog")
        data = tmp_path / "data"
        lake_cli(catalog, "load", "events", str(write_csv(tmp_path / "e1.csv", "id,kind", ["1,open", "2,close"])),
                 data_path=data)
        # The catalog is plain PostgreSQL tables, readable by anyone.
        assert postgres.psql("SELECT value FROM ducklake_metadata WHERE key = 'version'", "lake_catalog") == "1.0"
        server = start_server(tmp_path / "mallard.log", ["--lake-catalog", catalog])
        try:
            athena = client("athena", server.endpoint)
            _, rows = athena_rows(athena, "SELECT count(*) AS n FROM lake.events")
            assert rows == [["n"], ["2"]]
            # Another process commits while the server runs: the next query sees it.
            lake_cli(catalog, "load", "events", str(write_csv(tmp_path / "e2.csv", "id,kind", ["3,open"])))
            lake_cli(catalog, "load", "audit", str(write_csv(tmp_path / "a.csv", "who", ["me"])))
            _, rows = athena_rows(athena, "SELECT count(*) AS n FROM lake.events")
            assert rows == [["n"], ["3"]]
            _, rows = athena_rows(athena, "SELECT who FROM lake.audit")
            assert rows == [["who"], ["me"]]
            _, rows = athena_rows(athena, "SELECT count(*) AS n FROM lake.events AT (VERSION => 1)")
            assert rows == [["n"], ["2"]]
        finally:
            stop_server(server)
    finally:
        postgres.stop()


def test_lake_needs_the_duckdb_engine(tmp_path):
    log = tmp_path / "mallard.log"
    result = subprocess.run([str(mallard_bin()), "serve", "--port", "0", "--sqlengine-duckdb", "off", "--lake-catalog",
                             str(tmp_path / "x.duckdb")], capture_output=True, text=True, timeout=30, env=server_env())
    assert result.returncode == 2
    assert "--lake-catalog needs the DuckDB SQL engine" in result.stdout + result.stderr
