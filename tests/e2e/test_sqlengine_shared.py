"""One DuckDB catalogue behind Athena and Redshift Data: what one creates the other reads; a file
path persists it across restarts; `--sqlengine-duckdb off` falls back to the in-memory backend."""

from __future__ import annotations

import pytest

from conftest import start_server, stop_server
from sqlengine_e2e import athena_rows, athena_run, client, redshift_records, redshift_run
from sqs_e2e import http_request


def test_table_created_through_athena_is_read_through_redshift(mallard):
    athena = client("athena", mallard.endpoint)
    redshift = client("redshift-data", mallard.endpoint)
    assert athena_run(athena, "CREATE TABLE shared_from_athena AS SELECT range AS n FROM range(3)")[
        "Status"]["State"] == "SUCCEEDED"
    _, records = redshift_records(redshift, "SELECT n FROM shared_from_athena ORDER BY n")
    assert [r[0]["longValue"] for r in records] == [0, 1, 2]


def test_table_created_through_redshift_is_read_through_athena(mallard):
    athena = client("athena", mallard.endpoint)
    redshift = client("redshift-data", mallard.endpoint)
    assert redshift_run(redshift, "CREATE TABLE shared_from_redshift (city VARCHAR, pop INTEGER)")["Status"] == "FINISHED"
    assert redshift_run(redshift, "INSERT INTO shared_from_redshift VALUES ('Lyon', 500000)")["Status"] == "FINISHED"
    _, rows = athena_rows(athena, "SELECT city, pop FROM shared_from_redshift", database="default")
    assert rows == [["city", "pop"], ["Lyon", "500000"]]
    tables = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default")["TableMetadataList"]
    assert "shared_from_redshift" in [t["Name"] for t in tables]


def test_athena_databases_are_redshift_schemas_both_ways(mallard):
    # CREATE/DROP DATABASE through Athena is a schema Redshift Data sees (lower-cased, as both
    # services name it), and a schema made through Redshift Data is an AwsDataCatalog database.
    athena = client("athena", mallard.endpoint)
    redshift = client("redshift-data", mallard.endpoint)
    target = {"WorkgroupName": "mallard", "Database": "dev"}
    assert athena_run(athena, "CREATE DATABASE `Shared_Db`")["Status"]["State"] == "SUCCEEDED"
    assert "shared_db" in redshift.list_schemas(**target)["Schemas"]
    assert redshift_run(redshift, "CREATE TABLE shared_db.t AS SELECT 1 AS x")["Status"] == "FINISHED"
    _, rows = athena_rows(athena, "SELECT x FROM t", database="SHARED_DB")
    assert rows == [["x"], ["1"]]
    assert redshift_run(redshift, "CREATE SCHEMA from_redshift")["Status"] == "FINISHED"
    names = [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert "from_redshift" in names and "shared_db" in names
    assert athena_run(athena, "DROP DATABASE shared_db CASCADE")["Status"]["State"] == "SUCCEEDED"
    assert "shared_db" not in redshift.list_schemas(**target)["Schemas"]


def test_file_database_persists_across_restart(tmp_path):
    database = tmp_path / "catalog.duckdb"
    log = tmp_path / "mallard.log"
    server = start_server(log, ["--sqlengine-duckdb", str(database)])
    try:
        athena = client("athena", server.endpoint)
        assert athena_run(athena, "CREATE TABLE kept (v VARCHAR)")["Status"]["State"] == "SUCCEEDED"
        assert athena_run(athena, "INSERT INTO kept VALUES ('survives')")["Status"]["State"] == "SUCCEEDED"
    finally:
        assert stop_server(server)[0] == 0
    server = start_server(log, ["--sqlengine-duckdb", str(database)])
    try:
        redshift = client("redshift-data", server.endpoint)
        _, records = redshift_records(redshift, "SELECT v FROM kept")
        assert records == [[{"stringValue": "survives"}]]
    finally:
        assert stop_server(server)[0] == 0


def test_fallback_when_duckdb_is_off(tmp_path):
    server = start_server(tmp_path / "mallard.log", ["--sqlengine-duckdb", "off"])
    try:
        health = http_request(server.port, "GET", "/_mallard/health").json()
        assert health["services"]["athena"]["backend"] == "memory"
        assert health["services"]["redshift-data"]["backend"] == "memory"
        athena = client("athena", server.endpoint)
        execution = athena_run(athena, "SELECT * FROM anything_at_all")
        assert execution["Status"]["State"] == "SUCCEEDED"
        results = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
        assert results["ResultSet"]["Rows"] == []
        redshift = client("redshift-data", server.endpoint)
        described = redshift_run(redshift, "SELECT 1")
        assert described["Status"] == "FINISHED"
        result = redshift.get_statement_result(Id=described["Id"])
        assert result["Records"] == [] and result["TotalNumRows"] == 0
    finally:
        assert stop_server(server)[0] == 0


def test_default_backend_is_duckdb(mallard):
    health = http_request(mallard.port, "GET", "/_mallard/health").json()
    if health["build"]["duckdb"] is None:
        pytest.skip("this build has no DuckDB")
    assert health["services"]["athena"]["backend"] == "duckdb"
    assert health["services"]["redshift-data"]["backend"] == "duckdb"
