"""Athena end-to-end: the query lifecycle on DuckDB through boto3 and the AWS CLI."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from sqlengine_e2e import OUTPUT, athena_rows, athena_run, athena_wait, client


@pytest.fixture
def athena(mallard):
    return client("athena", mallard.endpoint)


def error_of(excinfo) -> dict:
    return excinfo.value.response["Error"]


def test_query_lifecycle_reports_states_timestamps_and_statistics(athena):
    query_id = athena.start_query_execution(QueryString="SELECT 42 AS answer",
                                            ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    execution = athena_wait(athena, query_id)
    status = execution["Status"]
    assert status["State"] == "SUCCEEDED"
    assert status["CompletionDateTime"] >= status["SubmissionDateTime"]
    assert execution["StatementType"] == "DML"
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUTPUT}{query_id}.csv"
    assert execution["WorkGroup"] == "primary"
    statistics = execution["Statistics"]
    for key in ("EngineExecutionTimeInMillis", "DataScannedInBytes", "TotalExecutionTimeInMillis",
                "QueryQueueTimeInMillis"):
        assert statistics[key] >= 0
    results = athena.get_query_results(QueryExecutionId=query_id)
    assert results["ResultSet"]["Rows"] == [{"Data": [{"VarCharValue": "answer"}]},
                                            {"Data": [{"VarCharValue": "42"}]}]
    info = results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [("answer", "integer")]


def test_output_location_is_required_without_a_work_group_setting(athena):
    with pytest.raises(ClientError) as excinfo:
        athena.start_query_execution(QueryString="SELECT 1")
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    assert "output location" in error_of(excinfo)["Message"]


def test_sql_error_fails_the_query_with_duckdbs_message(athena):
    execution = athena_run(athena, "SELECT * FROM table_that_does_not_exist")
    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert "table_that_does_not_exist" in status["StateChangeReason"]
    assert status["AthenaError"]["ErrorCategory"] == 2
    assert status["AthenaError"]["ErrorMessage"] == status["StateChangeReason"]
    with pytest.raises(ClientError) as excinfo:
        athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert error_of(excinfo)["Code"] == "InvalidRequestException"


def test_unknown_query_id_is_an_invalid_request(athena):
    missing = str(uuid.uuid4())
    with pytest.raises(ClientError) as excinfo:
        athena.get_query_execution(QueryExecutionId=missing)
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    assert excinfo.value.response.get("AthenaErrorCode") == "INVALID_INPUT"


def test_paging_over_ten_thousand_rows(athena):
    execution = athena_run(athena, "SELECT range AS n, 'row ' || range AS label FROM range(10000) ORDER BY n")
    query_id = execution["QueryExecutionId"]
    pages = []
    token = None
    while True:
        kwargs = {"QueryExecutionId": query_id, "MaxResults": 1000}
        if token:
            kwargs["NextToken"] = token
        page = athena.get_query_results(**kwargs)
        pages.append(page["ResultSet"]["Rows"])
        token = page.get("NextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [1000] * 10 + [1]
    rows = [[d.get("VarCharValue") for d in r["Data"]] for p in pages for r in p]
    assert rows[0] == ["n", "label"]
    assert rows[1:] == [[str(i), f"row {i}"] for i in range(10000)]
    with pytest.raises(ClientError) as excinfo:
        athena.get_query_results(QueryExecutionId=query_id, MaxResults=1001)
    assert error_of(excinfo)["Code"] == "InvalidRequestException"


def test_every_type_maps_to_athena_names_and_text(athena):
    info, rows = athena_rows(athena, """
        SELECT true AS b, 7::TINYINT AS ti, 300::SMALLINT AS si, 70000 AS i, 9000000000 AS bi,
               170141183460469231731687303715884105727::HUGEINT AS hi, 1.25::REAL AS r, 0.1::DOUBLE AS d,
               1e20::DOUBLE AS big_d, 123.45::DECIMAL(10,2) AS dec, 'text' AS v, 'abc'::BLOB AS bl,
               DATE '2024-02-29' AS dt, TIME '13:14:15' AS t, TIMESTAMP '2024-01-02 03:04:05.123' AS ts,
               TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz, INTERVAL '1 day 2 hours' AS iv,
               '5a2d3a3c-7a0d-4b8a-9d2e-0f0e0d0c0b0a'::UUID AS u, [1, NULL, 3] AS l,
               {'x': 1, 'y': 'z'} AS st, MAP {'k': 2} AS m, NULL::INTEGER AS n
    """)
    types = {c["Name"]: (c["Type"], c["Precision"], c["Scale"]) for c in info}
    assert types == {
        "b": ("boolean", 0, 0), "ti": ("tinyint", 3, 0), "si": ("smallint", 5, 0), "i": ("integer", 10, 0),
        "bi": ("bigint", 19, 0), "hi": ("decimal", 38, 0), "r": ("float", 17, 0), "d": ("double", 17, 0),
        "big_d": ("double", 17, 0), "dec": ("decimal", 10, 2), "v": ("varchar", 2147483647, 0),
        "bl": ("varbinary", 1073741824, 0), "dt": ("date", 0, 0), "t": ("time", 3, 0),
        "ts": ("timestamp", 3, 0), "tz": ("timestamp with time zone", 3, 0),
        "iv": ("interval day to second", 0, 0), "u": ("uuid", 0, 0), "l": ("array", 0, 0), "st": ("row", 0, 0),
        "m": ("map", 0, 0), "n": ("integer", 10, 0)}
    values = dict(zip(rows[0], rows[1]))
    assert values == {
        "b": "true", "ti": "7", "si": "300", "i": "70000", "bi": "9000000000",
        "hi": "170141183460469231731687303715884105727", "r": "1.25", "d": "0.1", "big_d": "1.0E20",
        "dec": "123.45", "v": "text", "bl": "61 62 63", "dt": "2024-02-29", "t": "13:14:15.000",
        "ts": "2024-01-02 03:04:05.123", "tz": "2024-01-02 03:04:05.000 UTC", "iv": "1 02:00:00.000",
        "u": "5a2d3a3c-7a0d-4b8a-9d2e-0f0e0d0c0b0a", "l": "[1, null, 3]", "st": "{x=1, y=z}", "m": "{k=2}",
        "n": None}


def test_execution_parameters_bind_literals_without_injection(athena):
    athena_run(athena, "CREATE TABLE people (name VARCHAR, age INTEGER)")
    athena_run(athena, "INSERT INTO people VALUES ('ann', 31), ('bob', 40)")
    _, rows = athena_rows(athena, "SELECT name FROM people WHERE age > ? AND name <> ? ORDER BY name",
                          parameters=["30", "'x''; DROP TABLE people; --'"])
    assert rows == [["name"], ["ann"], ["bob"]]
    _, rows = athena_rows(athena, "SELECT count(*) AS c FROM people")
    assert rows[1] == ["2"]
    _, rows = athena_rows(athena, "SELECT ? AS d, ? AS s, ? AS x", parameters=["DATE '2024-03-01'", "'it''s'", "1.50"])
    assert rows[1] == ["2024-03-01", "it's", "1.50"]
    failed = athena_run(athena, "SELECT ? AS a", parameters=["1", "2"])
    assert failed["Status"]["State"] == "FAILED"


def test_stop_interrupts_a_long_query_without_blocking_the_server(athena):
    query_id = athena.start_query_execution(
        QueryString="SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
        ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    deadline = time.monotonic() + 10
    while athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # The long query holds a worker, not the server: a small query still completes meanwhile.
    _, rows = athena_rows(athena, "SELECT 1 AS one")
    assert rows == [["one"], ["1"]]
    started = time.monotonic()
    athena.stop_query_execution(QueryExecutionId=query_id)
    execution = athena_wait(athena, query_id, timeout=15)
    assert execution["Status"]["State"] == "CANCELLED"
    assert time.monotonic() - started < 10
    athena.stop_query_execution(QueryExecutionId=query_id)  # stopping again is accepted


def test_list_batch_get_and_client_request_token(athena):
    token = "t" * 40
    first = athena.start_query_execution(QueryString="SELECT 1", ClientRequestToken=token,
                                         ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    again = athena.start_query_execution(QueryString="SELECT 1", ClientRequestToken=token,
                                         ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    assert again == first
    with pytest.raises(ClientError) as excinfo:
        athena.start_query_execution(QueryString="SELECT 2", ClientRequestToken=token,
                                     ResultConfiguration={"OutputLocation": OUTPUT})
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    second = athena_run(athena, "SELECT 2")["QueryExecutionId"]
    listed = athena.list_query_executions()["QueryExecutionIds"]
    assert listed[:2] == [second, first]
    page = athena.list_query_executions(MaxResults=1)
    assert page["QueryExecutionIds"] == [second] and "NextToken" in page
    missing = str(uuid.uuid4())
    batch = athena.batch_get_query_execution(QueryExecutionIds=[first, missing])
    assert [e["QueryExecutionId"] for e in batch["QueryExecutions"]] == [first]
    assert batch["UnprocessedQueryExecutionIds"][0]["QueryExecutionId"] == missing


def test_work_groups_named_queries_and_prepared_statements(athena):
    athena.create_work_group(Name="analysts", Description="team",
                             Configuration={"ResultConfiguration": {"OutputLocation": "s3://wg-bucket/out"}})
    group = athena.get_work_group(WorkGroup="analysts")["WorkGroup"]
    assert group["State"] == "ENABLED" and group["Description"] == "team"
    names = [g["Name"] for g in athena.list_work_groups()["WorkGroups"]]
    assert names == ["analysts", "primary"]
    # The work group's output location applies when the request gives none.
    query_id = athena.start_query_execution(QueryString="SELECT 1", WorkGroup="analysts")["QueryExecutionId"]
    assert athena_wait(athena, query_id)["ResultConfiguration"]["OutputLocation"].startswith("s3://wg-bucket/out/")
    athena.update_work_group(WorkGroup="analysts", State="DISABLED")
    with pytest.raises(ClientError) as excinfo:
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup="analysts")
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    with pytest.raises(ClientError):
        athena.get_work_group(WorkGroup="nobody")

    named_id = athena.create_named_query(Name="top", Database="default", QueryString="SELECT 1")["NamedQueryId"]
    assert athena.get_named_query(NamedQueryId=named_id)["NamedQuery"]["QueryString"] == "SELECT 1"
    assert athena.list_named_queries()["NamedQueryIds"] == [named_id]
    batch = athena.batch_get_named_query(NamedQueryIds=[named_id, "missing-id"])
    assert len(batch["NamedQueries"]) == 1 and batch["UnprocessedNamedQueryIds"][0]["NamedQueryId"] == "missing-id"
    athena.delete_named_query(NamedQueryId=named_id)
    assert athena.list_named_queries()["NamedQueryIds"] == []

    athena.create_prepared_statement(StatementName="by_n", WorkGroup="primary",
                                     QueryStatement="SELECT ? + 1 AS next")
    assert athena.get_prepared_statement(StatementName="by_n", WorkGroup="primary")["PreparedStatement"][
        "QueryStatement"] == "SELECT ? + 1 AS next"
    _, rows = athena_rows(athena, "EXECUTE by_n USING 41")
    assert rows == [["next"], ["42"]]
    _, rows = athena_rows(athena, "EXECUTE by_n", parameters=["9"])
    assert rows == [["next"], ["10"]]
    listed = athena.list_prepared_statements(WorkGroup="primary")["PreparedStatements"]
    assert [s["StatementName"] for s in listed] == ["by_n"]
    athena.delete_prepared_statement(StatementName="by_n", WorkGroup="primary")
    with pytest.raises(ClientError) as excinfo:
        athena.get_prepared_statement(StatementName="by_n", WorkGroup="primary")
    assert error_of(excinfo)["Code"] == "ResourceNotFoundException"


def test_catalogue_apis_reflect_the_engine(athena):
    athena_run(athena, "CREATE SCHEMA sales")
    athena_run(athena, "CREATE TABLE orders (id BIGINT, amount DECIMAL(12,2), tags VARCHAR[], placed DATE)",
               database="sales")
    athena_run(athena, "CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100", database="sales")
    catalogs = athena.list_data_catalogs()["DataCatalogsSummary"]
    assert {"CatalogName": "AwsDataCatalog", "Type": "GLUE"} in catalogs
    databases = [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert "default" in databases and "sales" in databases
    tables = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales")["TableMetadataList"]
    assert {t["Name"]: t["TableType"] for t in tables} == {"big_orders": "VIRTUAL_VIEW", "orders": "EXTERNAL_TABLE"}
    table = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales",
                                      TableName="orders")["TableMetadata"]
    assert [(c["Name"], c["Type"]) for c in table["Columns"]] == [
        ("id", "bigint"), ("amount", "decimal(12,2)"), ("tags", "array<string>"), ("placed", "date")]
    with pytest.raises(ClientError) as excinfo:
        athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales", TableName="nope")
    assert error_of(excinfo)["Code"] == "MetadataException"
    athena.create_data_catalog(Name="lake", Type="HIVE", Parameters={"metadata-function": "arn:aws:lambda:x"})
    assert athena.get_data_catalog(Name="lake")["DataCatalog"]["Type"] == "HIVE"


def test_aws_cli_runs_a_query(aws_cli):
    started = aws_cli("athena", "start-query-execution", "--query-string", "SELECT 'cli' AS source",
                      "--result-configuration", f"OutputLocation={OUTPUT}")
    query_id = started["QueryExecutionId"]
    deadline = time.monotonic() + 30
    while True:
        state = aws_cli("athena", "get-query-execution", "--query-execution-id", query_id)[
            "QueryExecution"]["Status"]["State"]
        if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state == "SUCCEEDED"
    results = aws_cli("athena", "get-query-results", "--query-execution-id", query_id)
    assert [r["Data"][0]["VarCharValue"] for r in results["ResultSet"]["Rows"]] == ["source", "cli"]
