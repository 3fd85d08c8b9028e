"""Redshift COPY and UNLOAD through the Data API, over Mallard's S3 (boto3 for both).

Every COPY is checked against the rows the test wrote (kept in Python, the independent reference);
every UNLOAD is read back with boto3 and parsed here. The data are seeded random
(MALLARD_COPY_UNLOAD_SEED=n replays)."""

from __future__ import annotations

import csv
import datetime
import decimal
import gzip
import io
import json
import os
import random

import pytest

from s3_e2e import bucket_name, s3_client
from sqlengine_e2e import REDSHIFT_TARGET, client, redshift_records, redshift_run, redshift_wait

SEED = int(os.environ.get("MALLARD_COPY_UNLOAD_SEED", "20261206"))
ROLE = "IAM_ROLE 'arn:aws:iam::123456789012:role/RedshiftCopy'"
LOAD_FAILED = "ERROR: Load into table '{}' failed.  Check 'stl_load_errors' system table for details."


@pytest.fixture
def redshift(mallard):
    return client("redshift-data", mallard.endpoint)


@pytest.fixture
def s3(mallard):
    return s3_client(mallard.endpoint)


@pytest.fixture
def bucket(s3) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name


def run_ok(redshift, sql: str) -> dict:
    described = redshift_run(redshift, sql)
    assert described["Status"] == "FINISHED", described.get("Error")
    return described


def run_failed(redshift, sql: str) -> str:
    described = redshift_run(redshift, sql)
    assert described["Status"] == "FAILED", described
    return described["Error"]


def field(value: dict):
    if value.get("isNull"):
        return None
    for key in ("longValue", "doubleValue", "booleanValue", "stringValue"):
        if key in value:
            return value[key]
    raise AssertionError(value)


def rows(redshift, sql: str) -> list[tuple]:
    _, records = redshift_records(redshift, sql)
    return [tuple(field(v) for v in record) for record in records]


def random_rows(rng: random.Random, count: int) -> list[tuple]:
    """(id, name, amount, day, flag): names with the delimiter, quotes, blanks and empties."""
    pieces = ["a", "b c", "x,y", 'say "hi"', "it's", "|pipe|", "  ", "", "é", "tab\tin"]
    out = []
    for i in range(count):
        name = None if rng.random() < 0.1 else "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))
        amount = None if rng.random() < 0.1 else decimal.Decimal(rng.randint(-99999, 99999)) / 100
        day = None if rng.random() < 0.1 else datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randint(0, 2000))
        flag = None if rng.random() < 0.1 else rng.random() < 0.5
        out.append((i, name, amount, day, flag))
    return out


def expected(rows_written: list[tuple]) -> list[tuple]:
    """What Redshift Data gives back for the rows: decimals and dates as strings."""
    return [(i, name, None if amount is None else f"{amount:.2f}", None if day is None else day.isoformat(), flag)
            for i, name, amount, day, flag in rows_written]


CREATE_SALES = "CREATE TABLE {} (id INTEGER, name VARCHAR(200), amount DECIMAL(10,2), day DATE, flag BOOLEAN)"


def csv_bytes(rows_written: list[tuple], *, header: bool, null: str, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writerow(["id", "name", "amount", "day", "flag"])
    for i, name, amount, day, flag in rows_written:
        writer.writerow([i, null if name is None else name, null if amount is None else amount,
                         null if day is None else day.isoformat(), null if flag is None else ("t" if flag else "f")])
    return buffer.getvalue().encode()


def test_copy_csv_with_header_quotes_null_as_delimiter_and_gzip(redshift, s3, bucket):
    rng = random.Random(SEED)
    written = random_rows(rng, 300)
    half = len(written) // 2
    s3.put_object(Bucket=bucket, Key="csv/sales-1.csv", Body=csv_bytes(written[:half], header=True, null="NULL"))
    s3.put_object(Bucket=bucket, Key="csv/sales-2.csv", Body=csv_bytes(written[half:], header=True, null="NULL"))
    run_ok(redshift, CREATE_SALES.format("sales"))
    described = run_ok(redshift, f"COPY sales FROM 's3://{bucket}/csv/sales' {ROLE} FORMAT AS CSV IGNOREHEADER 1 "
                                 f"NULL AS 'NULL' REGION 'us-east-1' COMPUPDATE OFF STATUPDATE OFF")
    assert described["ResultRows"] == len(written)
    assert described["HasResultSet"] is False
    assert rows(redshift, "SELECT * FROM sales ORDER BY id") == expected(written)

    # The same rows, semicolon-delimited and gzip-compressed, into public.sales2.
    body = gzip.compress(csv_bytes(written, header=False, null="NULL", delimiter=";"))
    s3.put_object(Bucket=bucket, Key="gz/all.csv.gz", Body=body)
    run_ok(redshift, CREATE_SALES.format("sales2"))
    run_ok(redshift, f"copy public.sales2 from 's3://{bucket}/gz/' {ROLE} csv delimiter ';' null as 'NULL' gzip")
    assert rows(redshift, "SELECT * FROM sales2 ORDER BY id") == expected(written)


def test_copy_default_text_is_pipe_delimited_with_backslash_n_nulls(redshift, s3, bucket):
    lines = ["1|alpha|2024-01-02", "2|\\N|\\N", "3||2024-03-04", "4|with space|2024-05-06"]
    s3.put_object(Bucket=bucket, Key="text/data.txt", Body=("\n".join(lines) + "\n").encode())
    run_ok(redshift, "CREATE TABLE notes (id INT, note VARCHAR(20), day DATE)")
    run_ok(redshift, f"COPY notes FROM 's3://{bucket}/text/' {ROLE}")
    assert rows(redshift, "SELECT * FROM notes ORDER BY id") == [
        (1, "alpha", "2024-01-02"), (2, None, None), (3, "", "2024-03-04"), (4, "with space", "2024-05-06")]
    # EMPTYASNULL turns the empty note into NULL.
    run_ok(redshift, "TRUNCATE notes")
    run_ok(redshift, f"COPY notes FROM 's3://{bucket}/text/' {ROLE} EMPTYASNULL")
    assert rows(redshift, "SELECT note FROM notes WHERE id = 3") == [(None,)]


def test_copy_json_auto_ignorecase_and_jsonpaths(redshift, s3, bucket):
    rng = random.Random(SEED + 1)
    written = [(i, rng.choice(["a", "b", 'q"uote', None]), rng.randint(-5, 5)) for i in range(50)]
    lines = []
    for i, name, score in written:
        record = {"id": i, "score": score, "ignored": {"nested": [1, 2]}}
        if name is not None:
            record["name"] = name
        lines.append(json.dumps(record))
    s3.put_object(Bucket=bucket, Key="json/part-1.json", Body=("\n".join(lines)).encode())
    run_ok(redshift, "CREATE TABLE people (id INT, name VARCHAR(10), score INT)")
    run_ok(redshift, f"COPY people FROM 's3://{bucket}/json/' {ROLE} FORMAT AS JSON 'auto'")
    assert rows(redshift, "SELECT * FROM people ORDER BY id") == written

    # Keys in another case: 'auto' misses them, 'auto ignorecase' finds them.
    s3.put_object(Bucket=bucket, Key="upper/p.json", Body=b'{"ID": 7, "Name": "seven", "SCORE": 3}\n')
    run_ok(redshift, "CREATE TABLE people2 (id INT, name VARCHAR(10), score INT)")
    run_ok(redshift, f"COPY people2 FROM 's3://{bucket}/upper/' {ROLE} JSON 'auto'")
    assert rows(redshift, "SELECT * FROM people2") == [(None, None, None)]
    run_ok(redshift, "TRUNCATE people2")
    run_ok(redshift, f"COPY people2 FROM 's3://{bucket}/upper/' {ROLE} JSON 'auto ignorecase'")
    assert rows(redshift, "SELECT * FROM people2") == [(7, "seven", 3)]

    # A JSONPaths file maps by position.
    s3.put_object(Bucket=bucket, Key="paths.json",
                  Body=json.dumps({"jsonpaths": ["$['ID']", "$.inner.label", "$.list[1]"]}).encode())
    s3.put_object(Bucket=bucket, Key="nested/n.json",
                  Body=b'{"ID": 1, "inner": {"label": "one"}, "list": [10, 20]}\n{"ID": 2, "inner": {}, "list": [30]}\n')
    run_ok(redshift, "CREATE TABLE people3 (id INT, name VARCHAR(10), score INT)")
    run_ok(redshift, f"COPY people3 FROM 's3://{bucket}/nested/' {ROLE} JSON 's3://{bucket}/paths.json'")
    assert rows(redshift, "SELECT * FROM people3 ORDER BY id") == [(1, "one", 20), (2, None, None)]


def test_copy_loads_every_object_under_the_prefix_not_a_directory(redshift, s3, bucket):
    s3.put_object(Bucket=bucket, Key="data/part-0001", Body=b"1\n")
    s3.put_object(Bucket=bucket, Key="data/partition/x", Body=b"2\n")
    s3.put_object(Bucket=bucket, Key="data/other", Body=b"3\n")
    s3.put_object(Bucket=bucket, Key="data2/part", Body=b"4\n")
    run_ok(redshift, "CREATE TABLE n (v INT)")
    assert run_ok(redshift, f"COPY n FROM 's3://{bucket}/data/part' {ROLE}")["ResultRows"] == 2
    assert rows(redshift, "SELECT v FROM n ORDER BY v") == [(1,), (2,)]
    error = run_failed(redshift, f"COPY n FROM 's3://{bucket}/data/nothing' {ROLE}")
    assert error == "ERROR: The specified S3 prefix 'data/nothing' does not exist"
    assert rows(redshift, "SELECT count(*) FROM n") == [(2,)]


def test_copy_with_a_manifest_and_its_mandatory_entries(redshift, s3, bucket):
    s3.put_object(Bucket=bucket, Key="m/a.csv", Body=b"1,a\n2,b\n")
    s3.put_object(Bucket=bucket, Key="m/b.csv", Body=b"3,c\n")
    s3.put_object(Bucket=bucket, Key="m/unlisted.csv", Body=b"9,z\n")
    manifest = {"entries": [{"url": f"s3://{bucket}/m/a.csv", "mandatory": True},
                            {"url": f"s3://{bucket}/m/b.csv"},
                            {"url": f"s3://{bucket}/m/gone.csv", "mandatory": False}]}
    s3.put_object(Bucket=bucket, Key="load.manifest", Body=json.dumps(manifest).encode())
    run_ok(redshift, "CREATE TABLE m (id INT, v VARCHAR(4))")
    described = run_ok(redshift, f"COPY m FROM 's3://{bucket}/load.manifest' {ROLE} CSV MANIFEST")
    assert described["ResultRows"] == 3
    assert rows(redshift, "SELECT * FROM m ORDER BY id") == [(1, "a"), (2, "b"), (3, "c")]
    manifest["entries"][2]["mandatory"] = True
    s3.put_object(Bucket=bucket, Key="load.manifest", Body=json.dumps(manifest).encode())
    error = run_failed(redshift, f"COPY m FROM 's3://{bucket}/load.manifest' {ROLE} CSV MANIFEST")
    assert f"s3://{bucket}/m/gone.csv" in error
    assert rows(redshift, "SELECT count(*) FROM m") == [(3,)]


def load_errors(redshift) -> list[tuple]:
    return rows(redshift, "SELECT filename, line_number, colname, raw_field_value, err_code "
                          "FROM stl_load_errors ORDER BY starttime, line_number")


def test_bad_rows_fail_the_copy_unless_maxerror_allows_them(redshift, s3, bucket):
    body = b"id,amount\n1,1.50\n2,oops\n3,2.25\n4,x\n"
    s3.put_object(Bucket=bucket, Key="bad/rows.csv", Body=body)
    run_ok(redshift, "CREATE TABLE money (id INT, amount DECIMAL(8,2))")
    error = run_failed(redshift, f"COPY money FROM 's3://{bucket}/bad/' {ROLE} CSV IGNOREHEADER 1")
    assert error == LOAD_FAILED.format("money")
    assert rows(redshift, "SELECT count(*) FROM money") == [(0,)]  # all or nothing
    recorded = load_errors(redshift)
    assert [(r[0], r[1], r[2], r[3]) for r in recorded] == [
        (f"s3://{bucket}/bad/rows.csv", 3, "amount", "oops"), (f"s3://{bucket}/bad/rows.csv", 5, "amount", "x")]
    assert all(r[4] == 1207 for r in recorded)

    # MAXERROR 1 is not enough for two bad rows; MAXERROR 2 loads the two good ones.
    assert run_failed(redshift, f"COPY money FROM 's3://{bucket}/bad/' {ROLE} CSV IGNOREHEADER 1 MAXERROR 1") == \
        LOAD_FAILED.format("money")
    described = run_ok(redshift, f"COPY money FROM 's3://{bucket}/bad/' {ROLE} CSV IGNOREHEADER 1 MAXERROR AS 2")
    assert described["ResultRows"] == 2
    assert rows(redshift, "SELECT id, amount FROM money ORDER BY id") == [(1, "1.50"), (3, "2.25")]


def test_copy_errors_speak_redshift(redshift, s3, bucket):
    s3.put_object(Bucket=bucket, Key="x/1", Body=b"1\n")
    run_ok(redshift, "CREATE TABLE e (v INT)")
    assert run_failed(redshift, f"COPY e FROM 's3://{bucket}/x/' {ROLE} BOGUS") == \
        'ERROR: syntax error at or near "BOGUS"\n  Position: ' + str(len(f"COPY e FROM 's3://{bucket}/x/' {ROLE} ") + 1)
    assert "AVRO" in run_failed(redshift, f"COPY e FROM 's3://{bucket}/x/' {ROLE} FORMAT AS AVRO 'auto'")
    assert "ORC" in run_failed(redshift, f"COPY e FROM 's3://{bucket}/x/' {ROLE} ORC")
    assert run_failed(redshift, f"COPY missing FROM 's3://{bucket}/x/' {ROLE}") == 'ERROR: relation "missing" does not exist'
    assert "bucket does not exist" in run_failed(redshift, f"COPY e FROM 's3://no-such-bucket-{SEED}/x' {ROLE}")


def test_copy_and_unload_stay_inside_the_s3_store(redshift, s3, bucket, tmp_path):
    run_ok(redshift, "CREATE TABLE leak (line VARCHAR(1000))")
    assert "LOAD source is not supported" in run_failed(redshift, f"COPY leak FROM '/etc/passwd' {ROLE}")
    assert "'..'" in run_failed(redshift, f"COPY leak FROM 's3://{bucket}/../../../etc/passwd' {ROLE}")
    manifest = {"entries": [{"url": "file:///etc/passwd", "mandatory": True}]}
    s3.put_object(Bucket=bucket, Key="evil.manifest", Body=json.dumps(manifest).encode())
    assert "file:///etc/passwd" in run_failed(redshift, f"COPY leak FROM 's3://{bucket}/evil.manifest' {ROLE} MANIFEST")
    outside = tmp_path / "out"
    assert "S3 path" in run_failed(redshift, f"UNLOAD ('select 1') TO '{outside}' {ROLE}")
    assert "'..'" in run_failed(redshift, f"UNLOAD ('select 1') TO 's3://{bucket}/../../x' {ROLE}")
    assert rows(redshift, "SELECT count(*) FROM leak") == [(0,)]
    assert not outside.exists()


def test_copy_inside_a_batch_is_one_transaction(redshift, s3, bucket):
    s3.put_object(Bucket=bucket, Key="b/1.csv", Body=b"1\n2\n3\n")
    started = redshift.batch_execute_statement(Sqls=[
        "CREATE TABLE batched (v INT)",
        f"COPY batched FROM 's3://{bucket}/b/' {ROLE} CSV",
        "SELECT CAST(sum(v) AS INTEGER) AS total FROM batched"], **REDSHIFT_TARGET)
    described = redshift_wait(redshift, started["Id"])
    assert described["Status"] == "FINISHED", described.get("Error")
    assert described["SubStatements"][1]["ResultRows"] == 3
    assert field(redshift.get_statement_result(Id=started["Id"] + ":3")["Records"][0][0]) == 6

    # A failing COPY rolls back the batch's earlier statements too.
    s3.put_object(Bucket=bucket, Key="bad/1.csv", Body=b"x\n")
    started = redshift.batch_execute_statement(Sqls=[
        "INSERT INTO batched VALUES (100)",
        f"COPY batched FROM 's3://{bucket}/bad/' {ROLE} CSV"], **REDSHIFT_TARGET)
    described = redshift_wait(redshift, started["Id"])
    assert described["Status"] == "FAILED"
    assert rows(redshift, "SELECT count(*) FROM batched") == [(3,)]


def test_copy_among_other_statements_of_one_text(redshift, s3, bucket):
    s3.put_object(Bucket=bucket, Key="multi/1.csv", Body=b"1,a\n2,b\n")
    run_ok(redshift, "CREATE TABLE multi (id INT, v VARCHAR(4))")
    run_ok(redshift, "INSERT INTO multi VALUES (9, 'z')")
    described = run_ok(redshift, f"TRUNCATE multi; COPY Public.Multi (ID, V) FROM 's3://{bucket}/multi/' {ROLE} CSV;")
    assert described["ResultRows"] == 2
    _, records = redshift_records(redshift, f"COPY multi FROM 's3://{bucket}/multi/' {ROLE} CSV; "
                                            f"SELECT count(*) AS n FROM public.multi")
    assert records == [[{"longValue": 4}]]


# ---- UNLOAD ---------------------------------------------------------------------------------


def object_keys(s3, bucket: str, prefix: str = "") -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def body(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture
def sales(redshift, s3, bucket):
    """A table of seeded random rows, and the rows (the reference)."""
    written = random_rows(random.Random(SEED + 2), 200)
    s3.put_object(Bucket=bucket, Key="seed/sales.csv", Body=csv_bytes(written, header=False, null="NULL"))
    run_ok(redshift, CREATE_SALES.format("sales"))
    run_ok(redshift, f"COPY sales FROM 's3://{bucket}/seed/' {ROLE} CSV NULL AS 'NULL'")
    return written


def text_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return f"{value:.2f}"
    return str(value)


def test_unload_default_text_parallel_off_and_header(redshift, s3, bucket, sales):
    described = run_ok(redshift, f"UNLOAD ('select * from sales where name is null or name <> ''x'' order by id') "
                                 f"TO 's3://{bucket}/out/sales_' {ROLE}")
    assert described["ResultRows"] == len(sales)
    assert object_keys(s3, bucket, "out/") == ["out/sales_0000_part_00"]
    lines = body(s3, bucket, "out/sales_0000_part_00").decode().split("\n")
    assert lines[-1] == ""
    assert lines[:-1] == ["|".join(text_value(v) for v in row) for row in sales]

    run_ok(redshift, f"UNLOAD ('select id, name from sales order by id') TO 's3://{bucket}/serial/' {ROLE} "
                     f"PARALLEL OFF HEADER DELIMITER AS ';' NULL AS 'null' GZIP")
    assert object_keys(s3, bucket, "serial/") == ["serial/000.gz"]
    text = gzip.decompress(body(s3, bucket, "serial/000.gz")).decode().split("\n")
    assert text[0] == "id;name"
    assert text[1:-1] == [f"{i};{'null' if name is None else name}" for i, name, *_ in sales]


def test_unload_csv_and_json_read_back(redshift, s3, bucket, sales):
    run_ok(redshift, f"UNLOAD ('select id, name, amount from sales order by id') TO 's3://{bucket}/csv/' {ROLE} "
                     f"FORMAT AS CSV HEADER")
    [key] = object_keys(s3, bucket, "csv/")
    parsed = list(csv.reader(io.StringIO(body(s3, bucket, key).decode())))
    assert parsed[0] == ["id", "name", "amount"]
    assert parsed[1:] == [[str(i), name or "", "" if amount is None else f"{amount:.2f}"] for i, name, amount, *_ in sales]

    run_ok(redshift, f"UNLOAD ('select id, name, flag from sales order by id') TO 's3://{bucket}/json/' {ROLE} JSON")
    [key] = object_keys(s3, bucket, "json/")
    records = [json.loads(line) for line in body(s3, bucket, key).decode().splitlines()]
    assert [(r["id"], r.get("name"), r.get("flag")) for r in records] == [(i, name, flag) for i, name, _, _, flag in sales]


def test_unload_parquet_reloads_with_copy(redshift, s3, bucket, sales):
    run_ok(redshift, f"UNLOAD ('select * from sales') TO 's3://{bucket}/pq/' {ROLE} FORMAT PARQUET")
    assert object_keys(s3, bucket, "pq/") == ["pq/0000_part_00.parquet"]
    assert body(s3, bucket, "pq/0000_part_00.parquet")[:4] == b"PAR1"
    run_ok(redshift, CREATE_SALES.format("sales_back"))
    assert run_ok(redshift, f"COPY sales_back FROM 's3://{bucket}/pq/' {ROLE} FORMAT AS PARQUET")["ResultRows"] == len(sales)
    assert rows(redshift, "SELECT * FROM sales_back ORDER BY id") == expected(sales)


def test_unload_refuses_to_overwrite_unless_told(redshift, s3, bucket, sales):
    run_ok(redshift, f"UNLOAD ('select id from sales') TO 's3://{bucket}/o/' {ROLE}")
    error = run_failed(redshift, f"UNLOAD ('select id from sales') TO 's3://{bucket}/o/' {ROLE}")
    assert error == ("ERROR: Specified unload destination on S3 is not empty. Consider using a different bucket / "
                     "prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option.")
    s3.put_object(Bucket=bucket, Key="o/stale", Body=b"old")
    run_ok(redshift, f"UNLOAD ('select id from sales where id < 5') TO 's3://{bucket}/o/' {ROLE} ALLOWOVERWRITE")
    assert object_keys(s3, bucket, "o/") == ["o/0000_part_00", "o/stale"]
    assert body(s3, bucket, "o/0000_part_00") == b"0\n1\n2\n3\n4\n"
    run_ok(redshift, f"UNLOAD ('select id from sales where id < 2') TO 's3://{bucket}/o/' {ROLE} CLEANPATH")
    assert object_keys(s3, bucket, "o/") == ["o/0000_part_00"]
    assert "ALLOWOVERWRITE and CLEANPATH" in run_failed(
        redshift, f"UNLOAD ('select 1') TO 's3://{bucket}/o/' {ROLE} ALLOWOVERWRITE CLEANPATH")


def test_unload_partition_by_and_manifest_verbose(redshift, s3, bucket, sales):
    run_ok(redshift, "CREATE TABLE parts AS SELECT id, id % 3 AS bucket_no, name FROM sales")
    run_ok(redshift, f"UNLOAD ('select id, bucket_no, name from parts') TO 's3://{bucket}/p/' {ROLE} "
                     f"PARQUET PARTITION BY (bucket_no) MANIFEST VERBOSE")
    keys = object_keys(s3, bucket, "p/")
    assert keys == ["p/bucket_no=0/0000_part_00.parquet", "p/bucket_no=1/0000_part_00.parquet",
                    "p/bucket_no=2/0000_part_00.parquet", "p/manifest"]
    manifest = json.loads(body(s3, bucket, "p/manifest"))
    assert sorted(e["url"] for e in manifest["entries"]) == [f"s3://{bucket}/{k}" for k in keys[:-1]]
    for entry in manifest["entries"]:
        key = entry["url"].split(f"s3://{bucket}/", 1)[1]
        assert entry["meta"]["content_length"] == s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    counts = {entry["url"].split("=")[1][0]: entry["meta"]["record_count"] for entry in manifest["entries"]}
    assert counts == {str(b): sum(1 for row in sales if row[0] % 3 == b) for b in range(3)}
    assert manifest["meta"]["record_count"] == len(sales)
    assert [e["name"] for e in manifest["schema"]["elements"]] == ["id", "bucket_no", "name"]
    assert manifest["author"] == {"name": "Amazon Redshift", "version": "1.0.0"}

    # Without INCLUDE the partition column is only in the path: reloading by position needs 2 columns.
    run_ok(redshift, "CREATE TABLE parts_back (id INT, name VARCHAR(200))")
    run_ok(redshift, f"COPY parts_back FROM 's3://{bucket}/p/bucket_no=1/' {ROLE} PARQUET")
    assert rows(redshift, "SELECT id, name FROM parts_back ORDER BY id") == \
        [(row[0], row[1]) for row in sales if row[0] % 3 == 1]

    # The plain manifest lists the files with their sizes only.
    run_ok(redshift, f"UNLOAD ('select id from sales') TO 's3://{bucket}/plain/x_' {ROLE} MANIFEST")
    plain = json.loads(body(s3, bucket, "plain/x_manifest"))
    assert plain == {"entries": [{"url": f"s3://{bucket}/plain/x_0000_part_00",
                                  "meta": {"content_length": len(body(s3, bucket, "plain/x_0000_part_00"))}}]}
