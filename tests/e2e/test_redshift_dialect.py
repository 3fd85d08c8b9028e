"""Redshift Data speaks Redshift's SQL: every statement file of tests/sql/redshift/ (format:
tests/sql/README.md) runs through the Redshift Data API with boto3 against a served Mallard (DuckDB
engine), one pytest case per file, each file one statement at a time (each ExecuteStatement is a
session of its own, as the Data API runs it). A failure names each record that differed as
file:line.

    MALLARD_BIN=$PWD/build/mallard /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/e2e/test_redshift_dialect.py -s

With -s each file prints `SQLFILE redshift/x.test: passed/total`.

Values are compared as text: a longValue as its digits, a doubleValue as Python's repr (2.0,
0.25), a booleanValue as true/false, a stringValue as sent, isNull as NULL.
"""

from __future__ import annotations

import pytest

from sql_statement_files import Outcome, run_file, statement_files
from sqlengine_e2e import client, redshift_run

FILES = statement_files("redshift")


def field_text(field: dict) -> str | None:
    if field.get("isNull"):
        return None
    if "longValue" in field:
        return str(field["longValue"])
    if "doubleValue" in field:
        return repr(float(field["doubleValue"]))
    if "booleanValue" in field:
        return "true" if field["booleanValue"] else "false"
    if "blobValue" in field:
        return field["blobValue"].hex()
    return field.get("stringValue", "")


def redshift_executor(redshift):
    def execute(sql: str) -> Outcome:
        described = redshift_run(redshift, sql)
        if described["Status"] != "FINISHED":
            return Outcome(error=described.get("Error", described["Status"]))
        if not described.get("HasResultSet"):
            return Outcome()
        columns: list[str] = []
        rows: list[list[str | None]] = []
        for page in redshift.get_paginator("get_statement_result").paginate(Id=described["Id"]):
            columns = [column["name"] for column in page["ColumnMetadata"]]
            for record in page["Records"]:
                rows.append([field_text(field) for field in record])
        return Outcome(columns=columns, rows=rows)

    return execute


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_statement_file(mallard, path):
    redshift = client("redshift-data", mallard.endpoint)
    result = run_file(path, redshift_executor(redshift))
    print(f"SQLFILE redshift/{path.name}: {result.passed}/{result.total} (known gaps: {result.known_gaps})")
    assert not result.failures, f"{len(result.failures)} of {result.total} records failed:\n" + "\n".join(result.failures)


def test_redshift_catalog_is_read_only_to_clients(mallard):
    """The hidden catalog of Redshift's macros and system relations serves every client: no client
    may replace or drop what the others' translated SQL calls (it is named only as a call)."""
    redshift = client("redshift-data", mallard.endpoint)
    for sql in ("CREATE OR REPLACE MACRO mallard_redshift.main.crc32(s) AS 'x'",
                "DROP MACRO mallard_redshift.main.crc32",
                "SELECT 'mallard_redshift'",
                "USE mallard_redshift"):
        described = redshift_run(redshift, sql)
        assert described["Status"] == "FAILED", (sql, described)
        assert "read-only" in described["Error"], (sql, described)
    described = redshift_run(redshift, "SELECT CRC32('Amazon Redshift') AS v")
    assert described["Status"] == "FINISHED", described
    assert redshift.get_statement_result(Id=described["Id"])["Records"] == [[{"stringValue": "f2726906"}]]


def test_batch_is_one_session_and_search_path_reaches_later_statements(mallard):
    """A BatchExecuteStatement is one Redshift session: SET search_path applies to the statements
    after it; the next ExecuteStatement starts again from the default path."""
    from sqlengine_e2e import REDSHIFT_TARGET, redshift_wait

    redshift = client("redshift-data", mallard.endpoint)
    batch = redshift.batch_execute_statement(Sqls=[
        "CREATE SCHEMA analytics",
        "SET search_path TO analytics, public",
        "CREATE TABLE visits (n INTEGER)",
        "INSERT INTO visits VALUES (7)",
        "SELECT n, current_schema() AS s FROM visits",
    ], **REDSHIFT_TARGET)
    described = redshift_wait(redshift, batch["Id"])
    assert described["Status"] == "FINISHED", described
    result = redshift.get_statement_result(Id=batch["Id"] + ":5")
    assert result["Records"] == [[{"longValue": 7}, {"stringValue": "analytics"}]]
    # The table went to analytics, the first schema of the path; a new session's path is the default.
    described = redshift_run(redshift, "SELECT count(*) FROM analytics.visits")
    assert described["Status"] == "FINISHED", described
    described = redshift_run(redshift, "SELECT n FROM visits")
    assert described["Status"] == "FAILED" and 'relation "visits" does not exist' in described["Error"], described
