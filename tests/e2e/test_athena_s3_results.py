"""Athena writes each query's result files to its OutputLocation in Mallard's S3, as Athena does:
`ID.csv` (DML) or `ID.txt` (DDL) plus `….metadata`, before the query reads SUCCEEDED; a missing
bucket fails the query. The CSV is checked against GetQueryResults through an independent renderer
(and Python's csv module), over fixed awkward values and a seeded random table."""

from __future__ import annotations

import random
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sqlengine_e2e import athena_wait, client
from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY

BUCKET = "athena-s3-results"
LOCATION = f"s3://{BUCKET}/runs/"


@pytest.fixture
def athena(mallard):
    return client("athena", mallard.endpoint)


@pytest.fixture
def s3(mallard):
    made = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                 region_name=REGION).client(
        "s3", endpoint_url=mallard.endpoint,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}))
    made.create_bucket(Bucket=BUCKET)
    return made


def start(athena, sql: str, location: str = LOCATION, **kwargs) -> str:
    return athena.start_query_execution(QueryString=sql, ResultConfiguration={"OutputLocation": location},
                                        **kwargs)["QueryExecutionId"]


def result_rows(athena, query_id: str) -> list[list[str | None]]:
    rows = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=query_id):
        rows.extend([datum.get("VarCharValue") for datum in row["Data"]] for row in page["ResultSet"]["Rows"])
    return rows


def athena_csv(rows: list[list[str | None]]) -> bytes:
    """Athena's CSV as its documentation and result files show it: every value quoted, quotes doubled,
    NULL an empty unquoted field, "\\n" after every line (the header row is rows[0])."""
    lines = []
    for row in rows:
        lines.append(",".join("" if value is None else '"' + value.replace('"', '""') + '"' for value in row))
    return "".join(line + "\n" for line in lines).encode()


def read_protobuf(data: bytes) -> list[tuple[int, int | bytes]]:
    """The fields of one protobuf message (varint and length-delimited wire types only)."""
    fields, position = [], 0

    def varint() -> int:
        nonlocal position
        value, shift = 0, 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while position < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields.append((number, varint()))
        elif wire == 2:
            length = varint()
            fields.append((number, data[position:position + length]))
            position += length
        else:
            raise AssertionError(f"unexpected wire type {wire}")
    return fields


def metadata_columns(data: bytes) -> tuple[str, list[dict]]:
    query_id, columns = "", []
    for number, value in read_protobuf(data):
        if number == 1:
            query_id = value.decode()
        elif number == 4:
            column = {"Precision": 0, "Scale": 0, "CaseSensitive": False}
            for field, item in read_protobuf(value):
                name = {1: "CatalogName", 4: "Name", 5: "Label", 6: "Type", 7: "Precision", 8: "Scale",
                        9: "Nullable", 10: "CaseSensitive"}.get(field)
                if name in ("CatalogName", "Name", "Label", "Type"):
                    column[name] = item.decode()
                elif name == "Nullable":
                    column[name] = {1: "NOT_NULL", 2: "NULLABLE", 3: "UNKNOWN"}[item]
                elif name == "CaseSensitive":
                    column[name] = item == 1
                elif name:
                    column[name] = item
            columns.append(column)
    return query_id, columns


def get_body(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_select_result_is_written_as_athena_csv_with_metadata(athena, s3):
    sql = ("SELECT * FROM (VALUES (1, 'plain', CAST(NULL AS VARCHAR), 2.5, TRUE), "
           "(2, 'say \"hi\", then\nleave', '', -0.0, FALSE), (3, 'ünïcødé ✓', ',', 1e20, NULL)) "
           "AS t(id, text, maybe, num, flag) ORDER BY id")
    query_id = start(athena, sql)
    execution = athena_wait(athena, query_id)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{LOCATION}{query_id}.csv"
    rows = result_rows(athena, query_id)
    assert rows[0] == ["id", "text", "maybe", "num", "flag"]
    body = get_body(s3, f"runs/{query_id}.csv")
    assert body == athena_csv(rows)
    # The empty string is quoted, NULL is not.
    assert b'"2","say ""hi"", then\nleave","",' in body
    head = s3.head_object(Bucket=BUCKET, Key=f"runs/{query_id}.csv")
    assert head["ContentType"] == "text/csv"
    assert head["ContentLength"] == len(body)

    engine_id, columns = metadata_columns(get_body(s3, f"runs/{query_id}.csv.metadata"))
    assert len(engine_id.split("_")) == 4 and engine_id[:8].isdigit()
    page = athena.get_query_results(QueryExecutionId=query_id)
    keys = ("CatalogName", "Name", "Label", "Type", "Precision", "Scale", "Nullable", "CaseSensitive")
    expected = [{key: column[key] for key in keys} for column in page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    assert [{key: column.get(key) for key in keys} for column in columns] == expected


def test_seeded_random_values_round_trip_through_the_csv(athena, s3):
    import csv
    import io

    rng = random.Random(19)
    alphabet = ['a', 'Z', '0', ' ', ',', '"', '""', "'", '\n', '\r\n', '\t', '\\', 'é', '✓', '😀', ';']
    values = []
    for _ in range(200):
        values.append(None if rng.random() < 0.1 else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))))
    literals = ", ".join(f"({i}, {'NULL' if v is None else chr(39) + v.replace(chr(39), chr(39) * 2) + chr(39)})"
                         for i, v in enumerate(values))
    query_id = start(athena, f"SELECT v FROM (VALUES {literals}) AS t(i, v) ORDER BY i")
    execution = athena_wait(athena, query_id)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = result_rows(athena, query_id)
    assert [row[0] for row in rows[1:]] == values
    body = get_body(s3, f"runs/{query_id}.csv")
    assert body == athena_csv(rows)
    parsed = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert parsed[0] == ["v"]
    # csv cannot tell NULL from "": both come back empty.
    assert [row[0] if row else "" for row in parsed[1:]] == ["" if v is None else v for v in values]


def test_succeeded_is_never_reported_before_the_object_exists(athena, s3):
    ids = [start(athena, f"SELECT {n} AS n, rpad('', 1000, 'x') AS pad FROM range(2000)") for n in range(6)]
    pending = set(ids)
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        for query_id in list(pending):
            state = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"]
            if state == "SUCCEEDED":
                # Both objects exist the moment SUCCEEDED is reported.
                s3.head_object(Bucket=BUCKET, Key=f"runs/{query_id}.csv")
                s3.head_object(Bucket=BUCKET, Key=f"runs/{query_id}.csv.metadata")
                pending.discard(query_id)
            else:
                assert state in ("QUEUED", "RUNNING"), state
    assert not pending
    assert len(get_body(s3, f"runs/{ids[0]}.csv").splitlines()) == 2001


def test_missing_bucket_refuses_the_query_as_athena_does(athena, s3):
    with pytest.raises(ClientError) as failure:
        start(athena, "SELECT 1 AS x", location="s3://no-such-results-bucket/x/")
    error = failure.value.response["Error"]
    assert error["Code"] == "InvalidRequestException"
    assert error["Message"] == "Unable to verify/create output bucket no-such-results-bucket"
    assert athena.list_query_executions()["QueryExecutionIds"] == []


def test_bucket_deleted_while_the_query_runs_fails_it(athena, s3):
    s3.create_bucket(Bucket="vanishing-results")
    query_id = start(athena, "SELECT sum(i * 2) AS s FROM range(400000000) t(i)",
                     location="s3://vanishing-results/x/")
    s3.delete_bucket(Bucket="vanishing-results")  # empty: the query has not written yet
    execution = athena_wait(athena, query_id)
    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert status["StateChangeReason"] == "Unable to verify/create output bucket vanishing-results"
    assert status["AthenaError"]["ErrorMessage"] == status["StateChangeReason"]
    with pytest.raises(ClientError) as failure:
        athena.get_query_results(QueryExecutionId=query_id)
    assert failure.value.response["Error"]["Code"] == "InvalidRequestException"


def test_failed_sql_writes_nothing(athena, s3):
    query_id = start(athena, "SELECT * FROM no_such_table_anywhere")
    assert athena_wait(athena, query_id)["Status"]["State"] == "FAILED"
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"runs/{query_id}")
    assert listed.get("KeyCount", 0) == 0


def test_ddl_writes_a_text_file_and_its_metadata(athena, s3):
    created = start(athena, "CREATE TABLE s3_results_ddl (a INTEGER, b VARCHAR)")
    execution = athena_wait(athena, created)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{LOCATION}{created}.txt"
    assert get_body(s3, f"runs/{created}.txt") == b""
    metadata_columns(get_body(s3, f"runs/{created}.txt.metadata"))
    with pytest.raises(ClientError):
        s3.head_object(Bucket=BUCKET, Key=f"runs/{created}.csv")

    shown = start(athena, "SHOW TABLES")
    assert athena_wait(athena, shown)["Status"]["State"] == "SUCCEEDED"
    rows = result_rows(athena, shown)
    text = get_body(s3, f"runs/{shown}.txt").decode()
    assert text == "".join("\t".join(value or "" for value in row) + "\n" for row in rows)
    assert "s3_results_ddl\n" in text


def test_location_without_prefix_and_work_group_location(athena, s3):
    query_id = start(athena, "SELECT 'a' AS c", location=f"s3://{BUCKET}")
    assert athena_wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert get_body(s3, f"{query_id}.csv") == b'"c"\n"a"\n'

    athena.create_work_group(Name="s3results", Configuration={
        "ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/group"}, "EnforceWorkGroupConfiguration": True})
    grouped = start(athena, "SELECT 2 AS n", WorkGroup="s3results")
    execution = athena_wait(athena, grouped)
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://{BUCKET}/group/{grouped}.csv"
    assert get_body(s3, f"group/{grouped}.csv") == b'"n"\n"2"\n'


def test_prepare_statement_writes_an_empty_result(athena, s3):
    query_id = start(athena, "PREPARE s3_results_stmt FROM SELECT ? AS v", WorkGroup="primary")
    assert athena_wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    assert get_body(s3, f"runs/{query_id}.csv") == b""


def test_aws_cli_copies_the_result_to_stdout(athena, s3, mallard):
    import os
    import subprocess

    query_id = start(athena, "SELECT 'x,y' AS pair, 7 AS n")
    assert athena_wait(athena, query_id)["Status"]["State"] == "SUCCEEDED"
    proc = subprocess.run(["/usr/bin/aws", "s3", "cp", f"{LOCATION}{query_id}.csv", "-", "--endpoint-url",
                           mallard.endpoint, "--region", REGION], capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL, env={**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                                                         "AWS_SECRET_ACCESS_KEY": SECRET_KEY})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b'"pair","n"\n"x,y","7"\n'
