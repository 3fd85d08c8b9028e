"""Redshift Data API end-to-end on DuckDB through boto3 and the AWS CLI."""

from __future__ import annotations

import base64
import time

import pytest
from botocore.exceptions import ClientError

from sqlengine_e2e import REDSHIFT_TARGET, client, redshift_records, redshift_run, redshift_wait


@pytest.fixture
def redshift(mallard):
    return client("redshift-data", mallard.endpoint)


def test_statement_lifecycle_and_typed_fields(redshift):
    started = redshift.execute_statement(Sql="SELECT 1 AS one, 'x' AS s", StatementName="first", **REDSHIFT_TARGET)
    assert started["Database"] == "dev" and started["WorkgroupName"] == "mallard"
    described = redshift_wait(redshift, started["Id"])
    assert described["Status"] == "FINISHED"
    assert described["HasResultSet"] is True
    assert described["ResultRows"] == 1
    assert described["QueryString"] == "SELECT 1 AS one, 'x' AS s"
    assert described["Duration"] >= 0
    result = redshift.get_statement_result(Id=started["Id"])
    assert result["TotalNumRows"] == 1
    assert result["Records"] == [[{"longValue": 1}, {"stringValue": "x"}]]
    assert [(c["name"], c["typeName"]) for c in result["ColumnMetadata"]] == [("one", "int4"), ("s", "varchar")]


def test_every_type_maps_to_redshift_names_and_fields(redshift):
    metadata, records = redshift_records(redshift, """
        SELECT true AS b, 300::SMALLINT AS si, 70000 AS i, 9000000000 AS bi, 1.5::REAL AS r, 0.25::DOUBLE AS d,
               123.45::DECIMAL(10,2) AS dec, 'txt' AS v, 'ab'::BLOB AS bl, DATE '2024-02-29' AS dt,
               TIME '13:14:15' AS t, TIMESTAMP '2024-01-02 03:04:05.5' AS ts,
               TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, INTERVAL '1 month 2 days 03:00:00' AS iv,
               [1, 2] AS l, {'x': 1, 'y': 'z'} AS st, MAP {'k': 2} AS m, NULL::INTEGER AS n,
               170141183460469231731687303715884105727::HUGEINT AS hi
    """)
    names = {c["name"]: c["typeName"] for c in metadata}
    assert names == {"b": "bool", "si": "int2", "i": "int4", "bi": "int8", "r": "float4", "d": "float8",
                     "dec": "numeric", "v": "varchar", "bl": "varbyte", "dt": "date", "t": "time", "ts": "timestamp",
                     "tz": "timestamptz", "iv": "interval", "l": "super", "st": "super", "m": "super", "n": "int4",
                     "hi": "numeric"}
    decimal = next(c for c in metadata if c["name"] == "dec")
    assert (decimal["precision"], decimal["scale"]) == (10, 2)
    fields = dict(zip(names, records[0]))
    assert fields == {
        "b": {"booleanValue": True}, "si": {"longValue": 300}, "i": {"longValue": 70000},
        "bi": {"longValue": 9000000000}, "r": {"doubleValue": 1.5}, "d": {"doubleValue": 0.25},
        "dec": {"stringValue": "123.45"}, "v": {"stringValue": "txt"}, "bl": {"blobValue": b"ab"},
        "dt": {"stringValue": "2024-02-29"}, "t": {"stringValue": "13:14:15"},
        "ts": {"stringValue": "2024-01-02 03:04:05.5"}, "tz": {"stringValue": "2024-01-02 03:04:05+00"},
        "iv": {"stringValue": "1 mon 2 days 03:00:00"}, "l": {"stringValue": "[1,2]"},
        "st": {"stringValue": '{"x":1,"y":"z"}'}, "m": {"stringValue": '{"k":2}'}, "n": {"isNull": True},
        "hi": {"stringValue": "170141183460469231731687303715884105727"}}


def test_named_parameters_are_bound_not_pasted(redshift):
    redshift_run(redshift, "CREATE TABLE accounts (id INTEGER, owner VARCHAR)")
    redshift_run(redshift, "INSERT INTO accounts VALUES (1, 'ann'), (2, 'bob')")
    _, records = redshift_records(redshift, "SELECT owner FROM accounts WHERE id = :id AND owner <> :name",
                                  [{"name": "id", "value": "2"}, {"name": "name", "value": "x' OR '1'='1"}])
    assert records == [[{"stringValue": "bob"}]]
    _, records = redshift_records(redshift, "SELECT ':id' AS literal, 3::int AS cast_kept")
    assert records == [[{"stringValue": ":id"}, {"longValue": 3}]]
    described = redshift_run(redshift, "SELECT :missing AS m")
    assert described["Status"] == "FAILED"
    assert "missing" in described["Error"]


def test_dml_reports_affected_rows(redshift):
    redshift_run(redshift, "CREATE TABLE t (n INTEGER)")
    described = redshift_run(redshift, "INSERT INTO t SELECT range FROM range(5)")
    assert described["Status"] == "FINISHED" and described["HasResultSet"] is False
    assert described["ResultRows"] == 5
    with pytest.raises(ClientError) as excinfo:
        redshift.get_statement_result(Id=described["Id"])
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_batch_runs_in_one_transaction(redshift):
    batch = redshift.batch_execute_statement(
        Sqls=["CREATE TABLE ledger (amount INTEGER)", "INSERT INTO ledger VALUES (10), (20)",
              "SELECT sum(amount) AS total FROM ledger"], **REDSHIFT_TARGET)
    described = redshift_wait(redshift, batch["Id"])
    assert described["Status"] == "FINISHED"
    subs = described["SubStatements"]
    assert [s["Id"] for s in subs] == [f"{batch['Id']}:{i}" for i in (1, 2, 3)]
    assert [s["Status"] for s in subs] == ["FINISHED"] * 3
    assert subs[2]["HasResultSet"] is True
    result = redshift.get_statement_result(Id=f"{batch['Id']}:3")
    assert result["Records"] == [[{"stringValue": "30"}]]  # SUM over INTEGER is HUGEINT → numeric

    failing = redshift.batch_execute_statement(
        Sqls=["CREATE TABLE never (x INTEGER)", "INSERT INTO never VALUES ('not a number')", "SELECT 1"],
        **REDSHIFT_TARGET)
    described = redshift_wait(redshift, failing["Id"])
    assert described["Status"] == "FAILED"
    assert [s["Status"] for s in described["SubStatements"]] == ["FINISHED", "FAILED", "ABORTED"]
    listed = redshift.list_tables(SchemaPattern="public", **REDSHIFT_TARGET)["Tables"]
    assert "never" not in [t["name"] for t in listed]  # rolled back with the batch


def test_cancel_aborts_a_long_statement(redshift):
    started = redshift.execute_statement(
        Sql="SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b", **REDSHIFT_TARGET)
    deadline = time.monotonic() + 10
    while redshift.describe_statement(Id=started["Id"])["Status"] != "STARTED":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert redshift.cancel_statement(Id=started["Id"])["Status"] is True
    described = redshift_wait(redshift, started["Id"], timeout=15)
    assert described["Status"] == "ABORTED"
    with pytest.raises(ClientError) as excinfo:
        redshift.cancel_statement(Id=started["Id"])
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_list_statements_and_catalogue(redshift):
    redshift_run(redshift, "CREATE SCHEMA finance")
    redshift_run(redshift, "CREATE TABLE finance.invoices (id BIGINT NOT NULL, total DECIMAL(8,2))")
    statements = redshift.list_statements()["Statements"]
    assert [s["QueryString"] for s in statements[:2]] == [
        "CREATE TABLE finance.invoices (id BIGINT NOT NULL, total DECIMAL(8,2))", "CREATE SCHEMA finance"]
    assert redshift.list_statements(Status="FAILED")["Statements"] == []
    assert redshift.list_databases(**REDSHIFT_TARGET)["Databases"] == ["dev"]
    schemas = redshift.list_schemas(**REDSHIFT_TARGET)["Schemas"]
    assert "public" in schemas and "finance" in schemas
    tables = redshift.list_tables(SchemaPattern="fin%", **REDSHIFT_TARGET)["Tables"]
    assert tables == [{"name": "invoices", "schema": "finance", "type": "TABLE"}]
    columns = redshift.describe_table(Schema="finance", Table="invoices", **REDSHIFT_TARGET)["ColumnList"]
    assert [(c["name"], c["typeName"], c["nullable"]) for c in columns] == [("id", "int8", 0), ("total", "numeric", 1)]


def test_validation_and_missing_statements(redshift):
    with pytest.raises(ClientError) as excinfo:
        redshift.execute_statement(Sql="SELECT 1", Database="dev")
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        redshift.describe_statement(Id="5b1b6f3c-0000-4000-8000-000000000000")
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    described = redshift_run(redshift, "SELEC nonsense")
    assert described["Status"] == "FAILED" and "syntax error" in described["Error"].lower()
    unknown_db = redshift.execute_statement(Sql="SELECT 1", WorkgroupName="mallard", Database="nowhere")
    assert redshift_wait(redshift, unknown_db["Id"])["Status"] == "FAILED"


def test_large_result_is_complete(redshift):
    metadata, records = redshift_records(redshift, "SELECT range AS n FROM range(10000) ORDER BY n")
    assert [r[0]["longValue"] for r in records] == list(range(10000))


def test_aws_cli_executes_a_statement(aws_cli):
    started = aws_cli("redshift-data", "execute-statement", "--workgroup-name", "mallard", "--database", "dev",
                      "--sql", "SELECT 'cli' AS source")
    deadline = time.monotonic() + 30
    while True:
        status = aws_cli("redshift-data", "describe-statement", "--id", started["Id"])["Status"]
        if status in ("FINISHED", "FAILED", "ABORTED"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert status == "FINISHED"
    result = aws_cli("redshift-data", "get-statement-result", "--id", started["Id"])
    assert result["Records"] == [[{"stringValue": "cli"}]]


def test_malformed_statement_id_is_validation_error_and_unknown_is_not_found(redshift):
    # The model's UUID pattern: a malformed id fails validation before any lookup, as Redshift Data
    # answers; a well-formed id (with or without a sub-statement suffix) that names nothing is
    # ResourceNotFoundException.
    pattern = "[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d{0,2})?"
    for malformed in ["not-a-statement-id", "5B1B6F3C-0000-4000-8000-000000000000", "5b1b6f3c-0000-4000-8000-000000000000:123"]:
        for call in (redshift.describe_statement, redshift.get_statement_result, redshift.cancel_statement):
            with pytest.raises(ClientError) as excinfo:
                call(Id=malformed)
            error = excinfo.value.response["Error"]
            assert error["Code"] == "ValidationException", (call, malformed)
            assert error["Message"] == (
                f"1 validation error detected: Value '{malformed}' at 'id' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )
    for unknown in ["5b1b6f3c-0000-4000-8000-000000000000", "5b1b6f3c-0000-4000-8000-000000000000:2"]:
        for call in (redshift.describe_statement, redshift.get_statement_result, redshift.cancel_statement):
            with pytest.raises(ClientError) as excinfo:
                call(Id=unknown)
            assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException", (call, unknown)
