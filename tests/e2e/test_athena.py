"""Athena end-to-end: the query lifecycle on DuckDB through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
import uuid

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.exceptions import ClientError

from sqlengine_e2e import OUTPUT, athena_rows, athena_run, athena_wait, client, ensure_output_bucket
from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY


@pytest.fixture
def athena(mallard):
    return client("athena", mallard.endpoint)


class AthenaJsonApi:
    """Signed awsJson calls by operation name, for operations and members newer than the system's
    botocore (capacity reservations, EnableMinimumEncryptionConfiguration): `api.get_work_group(...)`
    posts AmazonAthena.GetWorkGroup and returns the parsed body, or raises ClientError as boto3 does
    (modelled error members such as ResourceName at the top level of the response)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.region_name = REGION

    def __getattr__(self, snake_name: str):
        operation = "".join(part.capitalize() for part in snake_name.split("_"))

        def call(**params):
            body = json.dumps(params).encode()
            request = botocore.awsrequest.AWSRequest(
                method="POST", url=self.endpoint + "/", data=body,
                headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AmazonAthena.{operation}"})
            botocore.auth.SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY), "athena",
                                    REGION).add_auth(request)
            prepared = urllib.request.Request(self.endpoint + "/", data=body, method="POST",
                                              headers=dict(request.headers.items()))
            try:
                with urllib.request.urlopen(prepared, timeout=30) as response:
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as failure:
                payload = json.loads(failure.read() or b"{}")
                code = re.sub(r"^.*#", "", payload.pop("__type", ""))
                message = payload.pop("message", payload.pop("Message", ""))
                raise ClientError({"Error": {"Code": code, "Message": message}, **payload}, operation) from None

        return call


@pytest.fixture
def athena_api(mallard):
    return AthenaJsonApi(mallard.endpoint)


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
    ensure_output_bucket(athena.meta.endpoint_url, "wg-bucket")  # a missing bucket refuses the query
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


def test_aws_cli_runs_a_query(aws_cli, mallard):
    ensure_output_bucket(mallard.endpoint)  # Athena fails a query whose output bucket is missing
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


# ---- issue 15: database DDL, work group shapes, tags and capacity reservations ---------------------


def database_names(athena, catalog="AwsDataCatalog") -> list[str]:
    return [d["Name"] for d in athena.list_databases(CatalogName=catalog)["DatabaseList"]]


def test_create_and_drop_database_as_athena_does(athena):
    # Backticks, IF NOT EXISTS, lower-cased names, COMMENT/LOCATION/DBPROPERTIES accepted.
    created = athena_run(athena, "CREATE DATABASE `Sales_DB` COMMENT 'team sales' LOCATION 's3://b/sales/' "
                                 "WITH DBPROPERTIES ('creator' = 'me')")
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"]
    assert created["StatementType"] == "DDL"
    assert "sales_db" in database_names(athena)
    database = athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="SALES_DB")["Database"]
    assert database == {"Name": "sales_db", "Description": "team sales", "Parameters": {}}
    assert athena_run(athena, "CREATE DATABASE IF NOT EXISTS sales_db")["Status"]["State"] == "SUCCEEDED"
    assert athena_run(athena, "CREATE DATABASE sales_db")["Status"]["State"] == "FAILED"
    # Table names are lower-cased too, and looked up case-insensitively.
    athena_run(athena, "CREATE TABLE Orders (id INT)", database="sales_db")
    tables = athena.list_table_metadata(CatalogName="awsdatacatalog", DatabaseName="sales_db")["TableMetadataList"]
    assert [t["Name"] for t in tables] == ["orders"]
    assert athena.get_table_metadata(CatalogName="AWSDATACATALOG", DatabaseName="Sales_Db",
                                     TableName="ORDERS")["TableMetadata"]["Name"] == "orders"
    # DROP without CASCADE keeps a database that has tables; CASCADE drops it with them.
    assert athena_run(athena, "DROP DATABASE sales_db")["Status"]["State"] == "FAILED"
    dropped = athena_run(athena, "DROP DATABASE `sales_db` CASCADE;")
    assert dropped["Status"]["State"] == "SUCCEEDED", dropped["Status"]
    assert "sales_db" not in database_names(athena)
    assert athena_run(athena, "DROP DATABASE IF EXISTS sales_db")["Status"]["State"] == "SUCCEEDED"
    assert athena_run(athena, "DROP SCHEMA never_made")["Status"]["State"] == "FAILED"
    failed = athena_run(athena, "DROP DATABASE default")
    assert failed["Status"]["State"] == "FAILED" and "default" in failed["Status"]["StateChangeReason"]
    malformed = athena_run(athena, "CREATE DATABASE")
    assert malformed["Status"]["State"] == "FAILED"


def test_database_ddl_stays_inside_the_sql_sandbox(athena):
    # A database is an engine schema: nothing is attached, no file appears, and file access stays shut.
    count_databases = "SELECT count(*) FROM duckdb_databases()"
    before = athena_rows(athena, count_databases)[1]
    assert athena_run(athena, "CREATE DATABASE boxed")["Status"]["State"] == "SUCCEEDED"
    assert athena_rows(athena, count_databases)[1] == before
    escaped = athena_run(athena, "CREATE DATABASE `x'; ATTACH '/tmp/escape.db` ")
    assert escaped["Status"]["State"] == "FAILED"
    assert athena_run(athena, "SELECT * FROM read_csv('/etc/passwd')", database="boxed")["Status"]["State"] == "FAILED"


def test_database_created_in_a_catalog_is_listed_under_it(athena):
    athena.create_data_catalog(Name="other", Type="GLUE", Parameters={"catalog-id": "123456789012"})
    query_id = athena.start_query_execution(QueryString="CREATE DATABASE in_other",
                                            QueryExecutionContext={"Catalog": "other"},
                                            ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    assert athena_wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert database_names(athena, "other") == ["in_other"]
    assert "in_other" not in database_names(athena)
    athena.get_database(CatalogName="other", DatabaseName="in_other")
    with pytest.raises(ClientError) as excinfo:
        athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="in_other")
    assert error_of(excinfo)["Code"] == "MetadataException"
    # An unknown catalog lists no databases, as Athena answers.
    assert athena.list_databases(CatalogName="no_such_catalog")["DatabaseList"] == []
    # awsdatacatalog in any case is the account's catalog.
    assert database_names(athena, "awsdatacatalog") == database_names(athena, "AwsDataCatalog")
    query_id = athena.start_query_execution(QueryString="SELECT 1", QueryExecutionContext={"Catalog": "awsdatacatalog"},
                                            ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    assert athena_wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert athena.get_data_catalog(Name="AWSDATACATALOG")["DataCatalog"]["Name"] == "AwsDataCatalog"


def test_default_database_has_a_description(athena):
    listed = athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]
    assert {"Name": "default", "Description": "Default Hive database", "Parameters": {}} in listed
    assert athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="default")["Database"] == {
        "Name": "default", "Description": "Default Hive database", "Parameters": {}}


def test_work_group_configuration_and_messages_as_aws_returns_them(athena, athena_api):
    primary = athena_api.get_work_group(WorkGroup="primary")["WorkGroup"]
    assert primary["Configuration"] == {
        "ResultConfiguration": {},
        "EnforceWorkGroupConfiguration": False,
        "PublishCloudWatchMetricsEnabled": False,
        "RequesterPaysEnabled": False,
        "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        "EnableMinimumEncryptionConfiguration": False,
    }
    # A bucket that exists (a missing one refuses the query; "wg" is too short a bucket name for S3).
    ensure_output_bucket(athena.meta.endpoint_url, "wg-enforced")
    athena.create_work_group(Name="enforced",
                             Configuration={"ResultConfiguration": {"OutputLocation": "s3://wg-enforced/out/"}})
    configuration = athena.get_work_group(WorkGroup="enforced")["WorkGroup"]["Configuration"]
    assert configuration["EnforceWorkGroupConfiguration"] is True
    # Enforced: the work group's output location wins over the request's.
    query_id = athena.start_query_execution(QueryString="SELECT 1", WorkGroup="enforced",
                                            ResultConfiguration={"OutputLocation": OUTPUT})["QueryExecutionId"]
    assert athena_wait(athena, query_id)["ResultConfiguration"]["OutputLocation"].startswith("s3://wg-enforced/out/")
    with pytest.raises(ClientError) as excinfo:
        athena.create_work_group(Name="enforced")
    assert (error_of(excinfo)["Code"], error_of(excinfo)["Message"]) == ("InvalidRequestException",
                                                                         "WorkGroup already exists")
    for call in (lambda: athena.get_work_group(WorkGroup="nobody"),
                 lambda: athena.start_query_execution(QueryString="SELECT 1", WorkGroup="nobody",
                                                      ResultConfiguration={"OutputLocation": OUTPUT})):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert (error_of(excinfo)["Code"], error_of(excinfo)["Message"]) == ("InvalidRequestException",
                                                                             "WorkGroup does not exist")
    athena.create_data_catalog(Name="dup", Type="GLUE", Parameters={"catalog-id": "123456789012"})
    for name in ("dup", "awsdatacatalog"):
        with pytest.raises(ClientError) as excinfo:
            athena.create_data_catalog(Name=name, Type="GLUE")
        assert (error_of(excinfo)["Code"], error_of(excinfo)["Message"]) == ("InvalidRequestException",
                                                                             "DataCatalog already exists")


def account_of(athena) -> str:
    return athena.get_data_catalog(Name="AwsDataCatalog")["DataCatalog"]["Parameters"]["catalog-id"]


def test_tags_on_work_groups_catalogs_and_reservations(athena_api):
    athena = athena_api
    account = account_of(athena)
    athena.create_work_group(Name="tagged", Tags=[{"Key": "team", "Value": "data"}])
    athena.create_data_catalog(Name="tagged_catalog", Type="GLUE", Parameters={"catalog-id": account},
                               Tags=[{"Key": "a", "Value": "1"}])
    athena.create_capacity_reservation(Name="tagged-res", TargetDpus=24, Tags=[{"Key": "r", "Value": ""}])
    region = REGION
    group_arn = f"arn:aws:athena:{region}:{account}:workgroup/tagged"
    catalog_arn = f"arn:aws:athena:{region}:{account}:datacatalog/tagged_catalog"
    reservation_arn = f"arn:aws:athena:{region}:{account}:capacity-reservation/tagged-res"
    assert athena.list_tags_for_resource(ResourceARN=group_arn)["Tags"] == [{"Key": "team", "Value": "data"}]
    assert athena.list_tags_for_resource(ResourceARN=catalog_arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    assert athena.list_tags_for_resource(ResourceARN=reservation_arn)["Tags"] == [{"Key": "r", "Value": ""}]
    athena.tag_resource(ResourceARN=group_arn, Tags=[{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "dev"}])
    assert athena.list_tags_for_resource(ResourceARN=group_arn)["Tags"] == [
        {"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "dev"}]
    athena.untag_resource(ResourceARN=group_arn, TagKeys=["team", "absent"])
    assert athena.list_tags_for_resource(ResourceARN=group_arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    # primary and AwsDataCatalog exist from the start and can be tagged.
    athena.tag_resource(ResourceARN=f"arn:aws:athena:{region}:{account}:workgroup/primary",
                        Tags=[{"Key": "k", "Value": "v"}])

    # Validation: malformed ARN → InvalidRequestException; a well-formed ARN naming nothing →
    # ResourceNotFoundException with ResourceName; limits of the model and of Athena.
    with pytest.raises(ClientError) as excinfo:
        athena.list_tags_for_resource(ResourceARN="not-an-arn")
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    missing = f"arn:aws:athena:{region}:{account}:workgroup/missing"
    for call in (lambda: athena.list_tags_for_resource(ResourceARN=missing),
                 lambda: athena.tag_resource(ResourceARN=missing, Tags=[{"Key": "k", "Value": "v"}]),
                 lambda: athena.untag_resource(ResourceARN=missing, TagKeys=["k"])):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)["Code"] == "ResourceNotFoundException"
        assert excinfo.value.response["ResourceName"] == missing
    bad_tags = [
        [{"Key": "k" * 129, "Value": "v"}],
        [{"Key": "", "Value": "v"}],
        [{"Key": "k", "Value": "v" * 257}],
        [{"Key": "bad#key", "Value": "v"}],
        [{"Key": "aws:reserved", "Value": "v"}],
        [{"Key": f"k{i}", "Value": "v"} for i in range(51)],
    ]
    for tags in bad_tags:
        with pytest.raises(ClientError) as excinfo:
            athena.tag_resource(ResourceARN=group_arn, Tags=tags)
        assert error_of(excinfo)["Code"] == "InvalidRequestException", tags
    with pytest.raises(ClientError) as excinfo:
        athena.tag_resource(ResourceARN=group_arn, Tags=[{"Key": "k" * 129, "Value": "v"}])
    assert error_of(excinfo)["Message"] == (
        f"1 validation error detected: Value '{'k' * 129}' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must have length less than or equal to 128")
    # 49 more tags reach the limit of 50 with the one there; one more is refused.
    athena.tag_resource(ResourceARN=group_arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    with pytest.raises(ClientError) as excinfo:
        athena.tag_resource(ResourceARN=group_arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    with pytest.raises(ClientError) as excinfo:
        athena.list_tags_for_resource(ResourceARN=group_arn, MaxResults=10)
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    first = athena.list_tags_for_resource(ResourceARN=group_arn, MaxResults=75)
    assert len(first["Tags"]) == 50 and "NextToken" not in first
    # Deleting a resource drops its tags.
    athena.delete_work_group(WorkGroup="tagged")
    athena.create_work_group(Name="tagged")
    assert athena.list_tags_for_resource(ResourceARN=group_arn)["Tags"] == []


def wait_reservation(athena, name: str, status: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        reservation = athena.get_capacity_reservation(Name=name)["CapacityReservation"]
        if reservation["Status"] == status:
            return reservation
        assert time.monotonic() < deadline, reservation
        time.sleep(0.05)


def test_capacity_reservation_lifecycle(athena_api):
    athena = athena_api
    athena.create_capacity_reservation(Name="res-1", TargetDpus=24)
    reservation = athena.get_capacity_reservation(Name="res-1")["CapacityReservation"]
    assert (reservation["Status"], reservation["TargetDpus"], reservation["AllocatedDpus"]) == ("PENDING", 24, 0)
    assert reservation["LastAllocation"]["Status"] == "PENDING"
    active = wait_reservation(athena, "res-1", "ACTIVE")
    assert active["AllocatedDpus"] == 24 and active["LastAllocation"]["Status"] == "SUCCEEDED"
    assert "LastSuccessfulAllocationTime" in active
    assert [r["Name"] for r in athena.list_capacity_reservations()["CapacityReservations"]] == ["res-1"]

    athena.update_capacity_reservation(Name="res-1", TargetDpus=32)
    updated = athena.get_capacity_reservation(Name="res-1")["CapacityReservation"]
    assert updated["TargetDpus"] == 32 and updated["Status"] == "UPDATE_PENDING"
    assert wait_reservation(athena, "res-1", "ACTIVE")["AllocatedDpus"] == 32

    athena.create_work_group(Name="reserved")
    athena.put_capacity_assignment_configuration(CapacityReservationName="res-1",
                                                 CapacityAssignments=[{"WorkGroupNames": ["reserved", "primary"]}])
    assert athena.get_capacity_assignment_configuration(CapacityReservationName="res-1")[
        "CapacityAssignmentConfiguration"] == {"CapacityReservationName": "res-1",
                                               "CapacityAssignments": [{"WorkGroupNames": ["reserved", "primary"]}]}
    with pytest.raises(ClientError) as excinfo:
        athena.put_capacity_assignment_configuration(CapacityReservationName="res-1",
                                                     CapacityAssignments=[{"WorkGroupNames": ["nobody"]}])
    assert error_of(excinfo)["Code"] == "InvalidRequestException"

    # Delete needs a cancelled reservation; cancelling takes CANCELLING → CANCELLED.
    with pytest.raises(ClientError) as excinfo:
        athena.delete_capacity_reservation(Name="res-1")
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    athena.cancel_capacity_reservation(Name="res-1")
    assert athena.get_capacity_reservation(Name="res-1")["CapacityReservation"]["Status"] == "CANCELLING"
    with pytest.raises(ClientError) as excinfo:
        athena.update_capacity_reservation(Name="res-1", TargetDpus=40)
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    cancelled = wait_reservation(athena, "res-1", "CANCELLED")
    assert cancelled["AllocatedDpus"] == 0
    with pytest.raises(ClientError) as excinfo:
        athena.cancel_capacity_reservation(Name="res-1")
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    # A cancelled reservation keeps its name until deleted.
    with pytest.raises(ClientError) as excinfo:
        athena.create_capacity_reservation(Name="res-1", TargetDpus=24)
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    athena.delete_capacity_reservation(Name="res-1")
    assert athena.list_capacity_reservations()["CapacityReservations"] == []
    with pytest.raises(ClientError) as excinfo:
        athena.get_capacity_reservation(Name="res-1")
    assert error_of(excinfo)["Code"] == "InvalidRequestException"


def test_capacity_reservation_validation(athena_api):
    athena = athena_api
    with pytest.raises(ClientError) as excinfo:
        athena.create_capacity_reservation(Name="small", TargetDpus=8)
    assert error_of(excinfo) == {**error_of(excinfo), "Code": "InvalidRequestException",
                                 "Message": "1 validation error detected: Value '8' at 'targetDpus' failed to satisfy "
                                            "constraint: Member must have value greater than or equal to 24"}
    with pytest.raises(ClientError) as excinfo:
        athena.create_capacity_reservation(Name="bad name!", TargetDpus=24)
    assert error_of(excinfo)["Code"] == "InvalidRequestException"
    assert "regular expression pattern" in error_of(excinfo)["Message"]
    for call in (lambda: athena.get_capacity_reservation(Name="absent"),
                 lambda: athena.cancel_capacity_reservation(Name="absent"),
                 lambda: athena.delete_capacity_reservation(Name="absent"),
                 lambda: athena.update_capacity_reservation(Name="absent", TargetDpus=24),
                 lambda: athena.get_capacity_assignment_configuration(CapacityReservationName="absent")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)["Code"] == "InvalidRequestException"
