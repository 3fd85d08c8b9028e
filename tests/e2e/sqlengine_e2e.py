"""Helpers for the Athena and Redshift Data end-to-end tests: boto3 clients against a Mallard
endpoint and waits for asynchronous queries (polling the public API, as clients do)."""

from __future__ import annotations

import time

import boto3
from botocore.config import Config

from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY

OUTPUT_BUCKET = "mallard-athena-results"
OUTPUT = f"s3://{OUTPUT_BUCKET}/e2e/"
TERMINAL_ATHENA = {"SUCCEEDED", "FAILED", "CANCELLED"}
TERMINAL_REDSHIFT = {"FINISHED", "FAILED", "ABORTED"}


def client(service: str, endpoint: str, region: str = REGION):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                    region_name=region)
    made = session.client(service, endpoint_url=endpoint,
                          config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                                        read_timeout=60))
    if service == "athena":
        ensure_output_bucket(endpoint)
    return made


def ensure_output_bucket(endpoint: str, bucket: str = OUTPUT_BUCKET) -> None:
    """Athena writes every result to OUTPUT's bucket and fails the query when the bucket is missing,
    as AWS does: an Athena client of these tests has it created (after the per-test reset)."""
    s3 = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                               region_name="us-east-1").client(
        "s3", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                                   s3={"addressing_style": "path"}))
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass


def athena_wait(athena, query_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in TERMINAL_ATHENA:
            return execution
        if time.monotonic() > deadline:
            raise AssertionError(f"query {query_id} still {execution['Status']['State']} after {timeout}s")
        time.sleep(0.02)


def athena_run(athena, sql: str, *, database: str | None = None, parameters: list[str] | None = None,
               work_group: str | None = None) -> dict:
    """Starts a query and waits for it; returns the final QueryExecution."""
    kwargs = {"QueryString": sql, "ResultConfiguration": {"OutputLocation": OUTPUT}}
    if database:
        kwargs["QueryExecutionContext"] = {"Database": database}
    if parameters is not None:
        kwargs["ExecutionParameters"] = parameters
    if work_group:
        kwargs["WorkGroup"] = work_group
    query_id = athena.start_query_execution(**kwargs)["QueryExecutionId"]
    return athena_wait(athena, query_id)


def athena_rows(athena, sql: str, **kwargs) -> tuple[list[dict], list[list[str | None]]]:
    """Runs a query that must succeed; returns (ColumnInfo, rows incl. the header row) over all pages."""
    execution = athena_run(athena, sql, **kwargs)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows: list[list[str | None]] = []
    column_info: list[dict] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution["QueryExecutionId"]):
        column_info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
        for row in page["ResultSet"]["Rows"]:
            rows.append([datum.get("VarCharValue") for datum in row["Data"]])
    return column_info, rows


REDSHIFT_TARGET = {"WorkgroupName": "mallard", "Database": "dev"}


def redshift_wait(redshift, statement_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = redshift.describe_statement(Id=statement_id)
        if described["Status"] in TERMINAL_REDSHIFT:
            return described
        if time.monotonic() > deadline:
            raise AssertionError(f"statement {statement_id} still {described['Status']} after {timeout}s")
        time.sleep(0.02)


def redshift_run(redshift, sql: str, parameters: list[dict] | None = None) -> dict:
    kwargs = {"Sql": sql, **REDSHIFT_TARGET}
    if parameters is not None:
        kwargs["Parameters"] = parameters
    statement_id = redshift.execute_statement(**kwargs)["Id"]
    return redshift_wait(redshift, statement_id)


def redshift_records(redshift, sql: str, parameters: list[dict] | None = None) -> tuple[list[dict], list[list[dict]]]:
    described = redshift_run(redshift, sql, parameters)
    assert described["Status"] == "FINISHED", described
    records: list[list[dict]] = []
    metadata: list[dict] = []
    for page in redshift.get_paginator("get_statement_result").paginate(Id=described["Id"]):
        metadata = page["ColumnMetadata"]
        records.extend(page["Records"])
    return metadata, records
