"""Athena speaks Athena's SQL: every statement file of tests/sql/athena/ (format:
tests/sql/README.md) runs through the Athena API with boto3 against a served Mallard (DuckDB
engine), one pytest case per file. A failure names each record that differed as file:line.

    MALLARD_BIN=$PWD/build/mallard /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_athena_dialect.py -s

With -s each file prints `SQLFILE athena/x.test: passed/total`.
"""

from __future__ import annotations

import pytest

from sql_statement_files import Outcome, run_file, statement_files
from sqlengine_e2e import athena_run, client

FILES = statement_files("athena")


def athena_executor(athena):
    def execute(sql: str) -> Outcome:
        execution = athena_run(athena, sql, database="default")
        status = execution["Status"]
        if status["State"] != "SUCCEEDED":
            return Outcome(error=status.get("StateChangeReason", status["State"]))
        columns: list[str] = []
        rows: list[list[str | None]] = []
        header = execution["StatementType"] == "DML"
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution["QueryExecutionId"]):
            columns = [info["Name"] for info in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
            for row in page["ResultSet"]["Rows"]:
                rows.append([datum.get("VarCharValue") for datum in row["Data"]])
        if header and rows:
            rows = rows[1:]
        return Outcome(columns=columns, rows=rows)

    return execute


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_statement_file(mallard, path):
    athena = client("athena", mallard.endpoint)
    result = run_file(path, athena_executor(athena))
    print(f"SQLFILE athena/{path.name}: {result.passed}/{result.total} (known gaps: {result.known_gaps})")
    assert not result.failures, f"{len(result.failures)} of {result.total} records failed:\n" + "\n".join(result.failures)


def test_lake_table_metadata_counts_rows(tmp_path):
    """GetTableMetadata's numRows for a lake table is its row count (a lake table is a view in the
    engine, which keeps no size for views; it used to say 0)."""
    from conftest import start_server, stop_server
    from test_lake import lake_cli, write_csv

    catalog = str(tmp_path / "lake.duckdb")
    lake_cli(catalog, "load", "fruit", str(write_csv(tmp_path / "a.csv", "id,name", ["1,apple", "2,pear", "3,fig"])))
    server = start_server(tmp_path / "mallard.log", ["--lake-catalog", catalog])
    try:
        athena = client("athena", server.endpoint)
        table = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="lake",
                                          TableName="fruit")["TableMetadata"]
        assert table["Parameters"]["numRows"] == "3"
        listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="lake")["TableMetadataList"]
        assert [t["Parameters"]["numRows"] for t in listed] == ["3"]
    finally:
        stop_server(server)
