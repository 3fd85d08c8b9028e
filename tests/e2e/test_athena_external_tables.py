"""Athena DDL over data in Mallard's S3, through boto3 as a user would: objects put with S3's API,
CREATE EXTERNAL TABLE over them (CSV, OpenCSV, JSON, Parquet), new files seen by the next query, an
empty location read as no rows, Hive partitions (ADD/DROP PARTITION, MSCK REPAIR TABLE, partition
projection), CTAS / INSERT INTO / UNLOAD writing objects (listed with boto3, read back through an
external table over them), SHOW/DESCRIBE, the catalog APIs, and the errors. Query results are
compared with the rows the test wrote, computed in Python (MALLARD_ATHENA_EXTERNAL_SEED replays
the random tables)."""

from __future__ import annotations

import gzip
import json
import os
import random

import boto3
import pytest
from botocore.config import Config

from sqlengine_e2e import OUTPUT, athena_run, client
from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY

BUCKET = "athena-lake"
SEED = int(os.environ.get("MALLARD_ATHENA_EXTERNAL_SEED", random.randrange(1 << 30)))


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


def run(athena, sql: str, **kwargs) -> dict:
    return athena_run(athena, sql, **kwargs)


def ok(athena, sql: str, **kwargs) -> list[list[str | None]]:
    """Runs a statement that must succeed; returns its rows (a SELECT's header row dropped)."""
    execution = run(athena, sql, **kwargs)
    assert execution["Status"]["State"] == "SUCCEEDED", (sql, execution["Status"])
    rows: list[list[str | None]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution["QueryExecutionId"]):
        rows.extend([datum.get("VarCharValue") for datum in row["Data"]] for row in page["ResultSet"]["Rows"])
    if execution["StatementType"] != "DDL" and rows:
        rows = rows[1:]
    return rows


def failed(athena, sql: str, **kwargs) -> str:
    execution = run(athena, sql, **kwargs)
    assert execution["Status"]["State"] == "FAILED", (sql, execution["Status"])
    return execution["Status"]["StateChangeReason"]


def keys(s3, prefix: str) -> list[str]:
    listed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        listed.extend(item["Key"] for item in page.get("Contents", []))
    return listed


def random_rows(rng: random.Random, count: int, first_id: int = 0) -> list[tuple[int, str, float | None]]:
    rows = []
    for i in range(count):
        name = "".join(rng.choice("abcdefgh xyz") for _ in range(rng.randrange(0, 8))).strip() or "n"
        score = None if rng.random() < 0.2 else rng.randrange(-400, 400) / 4
        rows.append((first_id + i, name, score))
    return rows


def text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)


def expected(rows) -> list[list[str | None]]:
    return [[text(v) for v in row] for row in sorted(rows)]


def csv_body(rows) -> bytes:
    return "".join(f"{i},{name},{'' if score is None else score}\n" for i, name, score in rows).encode()


def test_csv_table_reads_its_files_and_new_ones(athena, s3):
    rng = random.Random(SEED)
    first, second, third = random_rows(rng, 40), random_rows(rng, 25, 100), random_rows(rng, 5, 200)
    s3.put_object(Bucket=BUCKET, Key="people/part-0.csv", Body=csv_body(first))
    s3.put_object(Bucket=BUCKET, Key="people/_SUCCESS", Body=b"")
    s3.put_object(Bucket=BUCKET, Key="people/.part-0.csv.crc", Body=b"not,csv,at all\x00")
    s3.put_object(Bucket=BUCKET, Key="people/_temporary/0/part-9.csv", Body=b"999,hidden,1\n")
    ok(athena, f"CREATE EXTERNAL TABLE people (id int, name string, score double) ROW FORMAT DELIMITED "
               f"FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION 's3://{BUCKET}/people/'")
    # Empty text is NULL for a double, '' stays '' for a string (LazySimpleSerDe).
    assert ok(athena, "SELECT id, name, score FROM people ORDER BY id") == expected(first), f"seed {SEED}"
    # A new file, and one in a new subdirectory: the next query reads both.
    s3.put_object(Bucket=BUCKET, Key="people/part-1.csv", Body=csv_body(second))
    s3.put_object(Bucket=BUCKET, Key="people/late/part-2.csv", Body=csv_body(third))
    assert ok(athena, "SELECT id, name, score FROM people ORDER BY id") == expected(first + second + third)
    total = sum(score for _, _, score in first + second + third if score is not None)
    assert ok(athena, "SELECT count(*), count(score), sum(score) FROM default.people") == [
        [str(len(first + second + third)), str(sum(1 for r in first + second + third if r[2] is not None)), text(total)]]
    # A statement that writes files reads the table as it stands too (a new directory, no SELECT between).
    s3.put_object(Bucket=BUCKET, Key="people/newer/part-3.csv", Body=b"300,late,1.5\n")
    ok(athena, f"UNLOAD (SELECT id FROM people WHERE id = 300) TO 's3://{BUCKET}/people-export/' WITH (format = 'JSON')")
    exported = [s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys(s3, "people-export/")]
    assert [json.loads(line) for body in exported for line in gzip.decompress(body).decode().splitlines()] == [{"id": 300}]
    s3.delete_object(Bucket=BUCKET, Key="people/newer/part-3.csv")
    # Its view now names a directory without files until the next query rebuilds it: the catalog
    # APIs still list the table.
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default")["TableMetadataList"]
    assert "people" in [table["Name"] for table in listed]
    # Columns added later read as NULL where the files have none; REPLACE COLUMNS renames by position.
    ok(athena, "ALTER TABLE people ADD COLUMNS (extra string)")
    assert ok(athena, "SELECT count(extra) FROM people") == [["0"]]
    assert "Duplicate column name" in failed(athena, "ALTER TABLE people ADD COLUMNS (name string)")
    ok(athena, "ALTER TABLE people REPLACE COLUMNS (ident int, label string)")
    assert ok(athena, "SELECT ident, label FROM people WHERE ident = 0") == [["0", first[0][1]]]
    ok(athena, "ALTER TABLE people REPLACE COLUMNS (id int, name string, score double)")
    # Deleting objects is seen too.
    s3.delete_object(Bucket=BUCKET, Key="people/late/part-2.csv")
    assert ok(athena, "SELECT count(*) FROM people") == [[str(len(first + second))]]
    # DROP TABLE of an external table keeps its files.
    ok(athena, "DROP TABLE people")
    assert "people/part-0.csv" in keys(s3, "people/")
    assert "does not exist" in failed(athena, "SELECT * FROM people") or "not found" in failed(athena, "SELECT * FROM people").lower()


def test_open_csv_serde_with_quotes_and_header(athena, s3):
    body = 'id,label,amount\n1,"a, quoted ""label""",10\n2,plain,\n3,"",7\n'
    s3.put_object(Bucket=BUCKET, Key="open/data.csv", Body=body.encode())
    ok(athena, f"""CREATE EXTERNAL TABLE open_csv (id int, label string, amount bigint)
        ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
        WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"', 'escapeChar' = '\\\\')
        STORED AS TEXTFILE LOCATION 's3://{BUCKET}/open/' TBLPROPERTIES ('skip.header.line.count'='1')""")
    assert ok(athena, "SELECT id, label, amount FROM open_csv ORDER BY id") == [
        ["1", 'a, quoted "label"', "10"], ["2", "plain", None], ["3", "", "7"]]
    # INSERT INTO writes files the same serde reads back. Like Athena it writes no header line, and
    # skip.header.line.count applies to every file: the table stops skipping one first.
    ok(athena, "ALTER TABLE open_csv SET TBLPROPERTIES ('skip.header.line.count' = '0')")
    s3.put_object(Bucket=BUCKET, Key="open/data.csv", Body=body.split("\n", 1)[1].encode())
    ok(athena, """INSERT INTO open_csv VALUES (4, 'with "quotes", and commas', 5)""")
    assert ok(athena, "SELECT label FROM open_csv WHERE id = 4") == [['with "quotes", and commas']]


def test_json_table_by_name(athena, s3):
    rng = random.Random(SEED + 1)
    records = []
    for i in range(30):
        record = {"id": i, "tags": [rng.choice("xyz") for _ in range(rng.randrange(0, 3))]}
        if rng.random() < 0.7:
            record["name"] = f"n{i}"
        if rng.random() < 0.3:
            record["extra"] = {"ignored": True}
        records.append(record)
    s3.put_object(Bucket=BUCKET, Key="json/a.json", Body="\n".join(json.dumps(r) for r in records[:15]).encode())
    s3.put_object(Bucket=BUCKET, Key="json/b.json", Body="\n".join(json.dumps(r) for r in records[15:]).encode())
    ok(athena, f"CREATE EXTERNAL TABLE events (name string, id int, tags array<string>) "
               f"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{BUCKET}/json/'")
    got = ok(athena, "SELECT id, name, cardinality(tags) FROM events ORDER BY id")
    assert got == [[str(r["id"]), r.get("name"), str(len(r["tags"]))] for r in records], f"seed {SEED}"
    ok(athena, f"CREATE EXTERNAL TABLE events_hcat (id int, name string) "
               f"ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe' LOCATION 's3://{BUCKET}/json/'")
    assert ok(athena, "SELECT count(*), count(name) FROM events_hcat") == [
        [str(len(records)), str(sum(1 for r in records if "name" in r))]]
    # Keys in any case (CloudTrail's eventName reads as eventname), scalars from their text, openx's
    # mapping.<column>, and malformed lines: an error, or NULL rows with ignore.malformed.json.
    s3.put_object(Bucket=BUCKET, Key="trail/1.json",
                  Body=b'{"eventName": "PutObject", "eventTime": "2024-05-01T10:00:00Z", "Count": "7", '
                       b'"user": {"name": "u"}, "src-ip": "10.0.0.1"}\n{"EVENTNAME": "GetObject", "count": 2}\n')
    ok(athena, f"""CREATE EXTERNAL TABLE trail (eventname string, eventtime timestamp, count int,
        user struct<name:string>, ip string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
        WITH SERDEPROPERTIES ('mapping.ip' = 'src-ip') LOCATION 's3://{BUCKET}/trail/'""")
    assert ok(athena, "SELECT eventname, eventtime, count, user.name, ip FROM trail ORDER BY eventname") == [
        ["GetObject", None, "2", None, None], ["PutObject", "2024-05-01 10:00:00.000", "7", "u", "10.0.0.1"]]
    s3.put_object(Bucket=BUCKET, Key="trail/2.json", Body=b"this is not json\n")
    failed(athena, "SELECT count(*) FROM trail")
    ok(athena, f"""CREATE EXTERNAL TABLE lenient (eventname string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
        WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true') LOCATION 's3://{BUCKET}/trail/'""")
    assert ok(athena, "SELECT count(*), count(eventname) FROM lenient") == [["3", "2"]]


def test_text_collections(athena, s3):
    s3.put_object(Bucket=BUCKET, Key="coll/a.txt",
                  Body=b"1\tx,y\tk1=1,k2=2\t7,seven\n2\t\t\t\n3\n")
    ok(athena, f"""CREATE EXTERNAL TABLE coll (id int, tags array<string>, counts map<string,int>,
        pair struct<n:int,s:string>) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t'
        COLLECTION ITEMS TERMINATED BY ',' MAP KEYS TERMINATED BY '=' LOCATION 's3://{BUCKET}/coll/'""")
    rows = ok(athena, "SELECT id, cardinality(tags), element_at(counts, 'k2'), pair.n, pair.s FROM coll ORDER BY id")
    # Hive's text: collections split on the collection delimiter, map keys on the map-key delimiter;
    # a missing field is NULL.
    assert rows[0] == ["1", "2", "2", "7", "seven"]
    assert rows[2] == ["3", None, None, None, None]


def test_empty_location_reads_no_rows_until_files_arrive(athena, s3):
    ok(athena, f"CREATE EXTERNAL TABLE later (a int, b string) ROW FORMAT DELIMITED FIELDS TERMINATED BY '|' "
               f"LOCATION 's3://{BUCKET}/later/'")
    assert ok(athena, "SELECT * FROM later") == []
    s3.put_object(Bucket=BUCKET, Key="later/_SUCCESS", Body=b"")
    assert ok(athena, "SELECT * FROM later") == []
    s3.put_object(Bucket=BUCKET, Key="later/x", Body=b"1|one\n2|two\n")
    assert ok(athena, "SELECT a, b FROM later ORDER BY a") == [["1", "one"], ["2", "two"]]
    # SET LOCATION points the table elsewhere; the next query reads there.
    s3.put_object(Bucket=BUCKET, Key="moved/y", Body=b"3|three\n")
    ok(athena, f"ALTER TABLE later SET LOCATION 's3://{BUCKET}/moved/'")
    assert ok(athena, "SELECT a, b FROM later") == [["3", "three"]]
    assert [f"  's3://{BUCKET}/moved/'"] in ok(athena, "SHOW CREATE TABLE later")


def test_ctas_parquet_read_back_through_an_external_table(athena, s3):
    rng = random.Random(SEED + 2)
    rows = random_rows(rng, 50)
    s3.put_object(Bucket=BUCKET, Key="src/rows.csv", Body=csv_body(rows))
    ok(athena, f"CREATE EXTERNAL TABLE src (id int, name string, score double) ROW FORMAT DELIMITED "
               f"FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/src/'")
    ok(athena, f"""CREATE TABLE by_parity WITH (format = 'PARQUET', write_compression = 'SNAPPY',
        external_location = 's3://{BUCKET}/ctas/by_parity/', partitioned_by = ARRAY['parity'],
        bucketed_by = ARRAY['id'], bucket_count = 4)
        AS SELECT id, name, score, id % 2 AS parity FROM src""")
    written = keys(s3, "ctas/by_parity/")
    assert written and all(k.startswith(("ctas/by_parity/parity=0/", "ctas/by_parity/parity=1/")) for k in written)
    assert ok(athena, "SHOW PARTITIONS by_parity") == [["parity=0"], ["parity=1"]]
    assert ok(athena, "SELECT id, name, score FROM by_parity ORDER BY id") == expected(rows)
    assert ok(athena, "SELECT count(*) FROM by_parity WHERE parity = 1") == [[str(sum(1 for r in rows if r[0] % 2))]]
    # An external table of our own over the Parquet files CTAS wrote (columns by name, one missing).
    ok(athena, f"CREATE EXTERNAL TABLE parquet_view (score double, id bigint, missing string) "
               f"PARTITIONED BY (parity int) STORED AS PARQUET LOCATION 's3://{BUCKET}/ctas/by_parity/'")
    assert ok(athena, "SELECT * FROM parquet_view") == []  # no partition registered yet
    assert ok(athena, "MSCK REPAIR TABLE parquet_view")[0][0].startswith("Partitions not in metastore:")
    got = ok(athena, "SELECT id, score, missing, parity FROM parquet_view ORDER BY id")
    assert got == [[str(i), text(score), None, str(i % 2)] for i, _, score in sorted(rows)]
    # Athena refuses to write into a location that holds objects.
    reason = failed(athena, f"CREATE TABLE again WITH (external_location = 's3://{BUCKET}/ctas/by_parity/') AS SELECT 1 AS x")
    assert reason.startswith("HIVE_PATH_ALREADY_EXISTS")
    # Without external_location: a table under the output location's tables/<query id>/.
    execution = run(athena, "CREATE TABLE managed WITH (format = 'JSON') AS SELECT id, name FROM src WHERE id < 5")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert ok(athena, "SELECT id, name FROM managed ORDER BY id") == [[str(i), n] for i, n, _ in sorted(rows) if i < 5]
    output_bucket, output_prefix = OUTPUT[len("s3://"):].split("/", 1)
    managed = s3.list_objects_v2(Bucket=output_bucket, Prefix=f"{output_prefix}tables/{execution['QueryExecutionId']}/")
    assert managed.get("KeyCount", 0) >= 1


def test_partitions_add_drop_and_repair(athena, s3):
    rng = random.Random(SEED + 3)
    layout = {}
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        for region in ("eu", "us"):
            rows = random_rows(rng, rng.randrange(1, 6), len(layout) * 10)
            layout[(day, region)] = rows
            s3.put_object(Bucket=BUCKET, Key=f"logs/dt={day}/region={region}/f.csv", Body=csv_body(rows))
    elsewhere = random_rows(rng, 3, 900)
    s3.put_object(Bucket=BUCKET, Key="archive/old.csv", Body=csv_body(elsewhere))
    ok(athena, f"CREATE EXTERNAL TABLE logs (id int, name string, score double) PARTITIONED BY (dt date, region string) "
               f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/logs/'")
    assert ok(athena, "SELECT count(*) FROM logs") == [["0"]]
    ok(athena, "ALTER TABLE logs ADD PARTITION (dt = '2024-01-02', region = 'eu')")
    assert ok(athena, "SELECT id, name, score FROM logs ORDER BY id") == expected(layout[("2024-01-02", "eu")])
    assert "already exists" in failed(athena, "ALTER TABLE logs ADD PARTITION (dt = '2024-01-02', region = 'eu')")
    ok(athena, "ALTER TABLE logs ADD IF NOT EXISTS PARTITION (dt = '2024-01-02', region = 'eu') "
               f"PARTITION (dt = '1999-12-31', region = 'old') LOCATION 's3://{BUCKET}/archive/'")
    assert ok(athena, "SELECT dt, region, count(*) FROM logs GROUP BY 1, 2 ORDER BY 1, 2") == [
        ["1999-12-31", "old", "3"], ["2024-01-02", "eu", str(len(layout[("2024-01-02", "eu")]))]]
    ok(athena, "MSCK REPAIR TABLE logs")
    assert ok(athena, "SHOW PARTITIONS logs") == [["dt=1999-12-31/region=old"]] + [
        [f"dt={d}/region={r}"] for d, r in sorted(layout)]
    all_rows = [row for rows in layout.values() for row in rows] + elsewhere
    assert ok(athena, "SELECT id, name, score FROM logs ORDER BY id") == expected(all_rows), f"seed {SEED}"
    ok(athena, "ALTER TABLE logs DROP PARTITION (dt = '2024-01-01')")
    assert ok(athena, "SELECT count(*) FROM logs WHERE dt = DATE '2024-01-01'") == [["0"]]
    assert "Partition not found" in failed(athena, "ALTER TABLE logs DROP PARTITION (dt = '2030-01-01')")
    ok(athena, "ALTER TABLE logs DROP IF EXISTS PARTITION (dt = '2030-01-01')")


def test_partition_projection(athena, s3):
    for day in ("2024-03-01", "2024-03-02", "2024-03-05"):
        for shard in (1, 2):
            s3.put_object(Bucket=BUCKET, Key=f"proj/{day.replace('-', '/')}/shard-{shard}/data.json",
                          Body=json.dumps({"v": f"{day}#{shard}"}).encode())
    s3.put_object(Bucket=BUCKET, Key="proj/2024/02/28/shard-1/data.json", Body=b'{"v": "before the range"}')
    ok(athena, f"""CREATE EXTERNAL TABLE projected (v string) PARTITIONED BY (day string, shard int)
        ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://{BUCKET}/proj/'
        TBLPROPERTIES ('projection.enabled' = 'true',
          'projection.day.type' = 'date', 'projection.day.format' = 'yyyy/MM/dd',
          'projection.day.range' = '2024/03/01,NOW', 'projection.day.interval' = '1',
          'projection.day.interval.unit' = 'DAYS',
          'projection.shard.type' = 'integer', 'projection.shard.range' = '1,2',
          'storage.location.template' = 's3://{BUCKET}/proj/${{day}}/shard-${{shard}}/')""")
    got = ok(athena, "SELECT day, shard, v FROM projected ORDER BY v")
    assert got == [[d.replace("-", "/"), str(s), f"{d}#{s}"] for d in ("2024-03-01", "2024-03-02", "2024-03-05")
                   for s in (1, 2)]
    assert ok(athena, "SHOW PARTITIONS projected") == []  # projected partitions are not registered
    reason = failed(athena, "ALTER TABLE projected SET TBLPROPERTIES ('projection.shard.type' = 'nonsense')")
    assert "projection.shard.type" in reason
    ok(athena, "ALTER TABLE projected SET TBLPROPERTIES ('projection.enabled' = 'false')")
    assert ok(athena, "SELECT count(*) FROM projected") == [["0"]]


def test_insert_into_external_tables(athena, s3):
    ok(athena, f"CREATE EXTERNAL TABLE sink (id int, label string) STORED AS PARQUET LOCATION 's3://{BUCKET}/sink/'")
    ok(athena, "INSERT INTO sink VALUES (1, 'one'), (2, 'two')")
    ok(athena, "INSERT INTO sink (label, id) SELECT 'three', 3")
    ok(athena, "INSERT INTO sink (id) VALUES (4)")
    assert ok(athena, "SELECT id, label FROM sink ORDER BY id") == [["1", "one"], ["2", "two"], ["3", "three"], ["4", None]]
    assert len(keys(s3, "sink/")) == 3
    execution = run(athena, "INSERT INTO sink VALUES (5, 'five')")
    manifest_bucket, manifest_key = execution["Statistics"]["DataManifestLocation"][len("s3://"):].split("/", 1)
    listed = s3.get_object(Bucket=manifest_bucket, Key=manifest_key)["Body"].read().decode().splitlines()
    assert len(listed) == 1 and listed[0].startswith(f"s3://{BUCKET}/sink/{execution['QueryExecutionId']}")
    assert "DataManifestLocation" not in run(athena, "SELECT 1")["Statistics"]
    ok(athena, f"CREATE EXTERNAL TABLE psink (id int) PARTITIONED BY (dt string) ROW FORMAT DELIMITED "
               f"FIELDS TERMINATED BY '\\t' LOCATION 's3://{BUCKET}/psink/'")
    ok(athena, "INSERT INTO psink VALUES (1, 'a'), (2, 'b'), (3, 'a')")
    assert ok(athena, "SHOW PARTITIONS psink") == [["dt=a"], ["dt=b"]]
    assert ok(athena, "SELECT dt, sum(id) FROM psink GROUP BY dt ORDER BY dt") == [["a", "4"], ["b", "2"]]
    assert all(k.startswith(("psink/dt=a/", "psink/dt=b/")) for k in keys(s3, "psink/"))
    assert "mismatched column" in failed(athena, "INSERT INTO sink VALUES (1, 'x', 'extra')")


def test_unload_formats_and_a_non_empty_target(athena, s3):
    rows = [(i, f"name {i}", i / 2) for i in range(20)]
    s3.put_object(Bucket=BUCKET, Key="u/src.csv", Body=csv_body(rows))
    ok(athena, f"CREATE EXTERNAL TABLE usrc (id int, name string, score double) ROW FORMAT DELIMITED "
               f"FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/u/'")
    execution = run(athena, f"UNLOAD (SELECT id, name FROM usrc WHERE id < 10 ORDER BY id) TO 's3://{BUCKET}/out/text/' "
                            f"WITH (format = 'TEXTFILE', field_delimiter = ',', compression = 'GZIP')")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["StatementType"] == "DML"
    written = keys(s3, "out/text/")
    # The data manifest at the output location lists exactly the files written.
    manifest = execution["Statistics"]["DataManifestLocation"]
    assert manifest == f"{OUTPUT}{execution['QueryExecutionId']}-manifest.csv"
    manifest_bucket, manifest_key = manifest[len("s3://"):].split("/", 1)
    listed = s3.get_object(Bucket=manifest_bucket, Key=manifest_key)["Body"].read().decode().splitlines()
    assert sorted(listed) == sorted(f"s3://{BUCKET}/{key}" for key in written)
    lines = []
    for key in written:
        lines.extend(gzip.decompress(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).decode().splitlines())
    assert sorted(lines) == sorted(f"{i},name {i}" for i in range(10))
    reason = failed(athena, f"UNLOAD (SELECT 1) TO 's3://{BUCKET}/out/text/' WITH (format = 'JSON')")
    assert reason.startswith("HIVE_PATH_ALREADY_EXISTS")
    ok(athena, f"UNLOAD (SELECT id, score FROM usrc) TO 's3://{BUCKET}/out/json/' WITH (format = 'JSON', compression = 'NONE')")
    records = [json.loads(line) for key in keys(s3, "out/json/")
               for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()]
    assert sorted((r["id"], r["score"]) for r in records) == [(i, s) for i, _, s in rows]
    ok(athena, f"UNLOAD (SELECT id, name, id % 3 AS bucket FROM usrc) TO 's3://{BUCKET}/out/parquet/' "
               f"WITH (format = 'PARQUET', partitioned_by = ARRAY['bucket'])")
    assert {k.split("/")[2] for k in keys(s3, "out/parquet/")} == {"bucket=0", "bucket=1", "bucket=2"}
    ok(athena, f"CREATE EXTERNAL TABLE unloaded (id int, name string) PARTITIONED BY (bucket int) STORED AS PARQUET "
               f"LOCATION 's3://{BUCKET}/out/parquet/'")
    ok(athena, "MSCK REPAIR TABLE unloaded")
    assert ok(athena, "SELECT bucket, count(*) FROM unloaded GROUP BY 1 ORDER BY 1") == [
        [str(b), str(sum(1 for i in range(20) if i % 3 == b))] for b in range(3)]
    assert "NOT_SUPPORTED" in failed(athena, f"UNLOAD (SELECT 1) TO 's3://{BUCKET}/out/orc/' WITH (format = 'ORC')")
    assert "NoSuchBucket" in failed(athena, "UNLOAD (SELECT 1) TO 's3://no-such-bucket-here/x/'")
    assert "NoSuchBucket" in failed(athena, "CREATE TABLE nowhere WITH (external_location = 's3://no-such-bucket-here/x/') "
                                            "AS SELECT 1 AS a")


def test_show_and_describe(athena, s3):
    ok(athena, "CREATE DATABASE showdb")
    ok(athena, f"""CREATE EXTERNAL TABLE showdb.`Orders` (`id` bigint COMMENT 'order id', items array<struct<sku:string,qty:int>>)
        COMMENT 'all orders' PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://{BUCKET}/orders/'
        TBLPROPERTIES ('classification' = 'parquet', 'owner' = 'me')""")
    ok(athena, f"CREATE EXTERNAL TABLE showdb.other (a int) LOCATION 's3://{BUCKET}/other/'")
    assert ok(athena, "SHOW TABLES IN showdb") == [["orders"], ["other"]]
    assert ok(athena, "SHOW TABLES IN showdb 'ord*'") == [["orders"]]
    assert ok(athena, "SHOW TABLES", database="showdb") == [["orders"], ["other"]]
    databases = [row[0] for row in ok(athena, "SHOW DATABASES")]
    assert "default" in databases and "showdb" in databases and not any(d.startswith("_mallard") for d in databases)
    assert ok(athena, "SHOW COLUMNS IN showdb.orders") == [["id"], ["items"], ["dt"]]
    described = ok(athena, "DESCRIBE showdb.orders")
    assert described[:3] == [["id", "bigint", "order id"], ["items", "array<struct<sku:string,qty:int>>", ""],
                             ["dt", "string", ""]]
    assert ["# Partition Information", "", ""] in described
    statement = "\n".join(row[0] for row in ok(athena, "SHOW CREATE TABLE showdb.orders"))
    assert statement.startswith("CREATE EXTERNAL TABLE `showdb`.`orders`(")
    assert "`id` bigint COMMENT 'order id'" in statement and "PARTITIONED BY (" in statement
    assert "'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'" in statement
    assert f"LOCATION\n  's3://{BUCKET}/orders/'" in statement and "'owner'='me'" in statement
    properties = dict((row[0], row[1]) for row in ok(athena, "SHOW TBLPROPERTIES showdb.orders"))
    assert properties["owner"] == "me" and properties["EXTERNAL"] == "TRUE"
    # The engine's own tables answer SHOW/DESCRIBE too.
    ok(athena, "CREATE TABLE native_t AS SELECT 1 AS a, 'x' AS b")
    assert ok(athena, "DESCRIBE native_t") == [["a", "int", ""], ["b", "string", ""]]
    assert ["native_t"] in ok(athena, "SHOW TABLES")
    assert "Table not found" in failed(athena, "DESCRIBE nowhere")
    # DROP DATABASE … CASCADE takes its external tables' metadata along; the files stay.
    assert run(athena, "DROP DATABASE showdb")["Status"]["State"] == "FAILED"  # not empty
    ok(athena, "DROP DATABASE showdb CASCADE")
    ok(athena, "CREATE DATABASE showdb")
    ok(athena, "CREATE TABLE showdb.other AS SELECT 1 AS a")  # a table of the engine's own, same name
    assert ok(athena, "SELECT a FROM showdb.other") == [["1"]]
    assert ok(athena, "SELECT count(*) FROM _mallard_athena.external_tables WHERE database_name = 'showdb'") == [["0"]]


def test_catalog_apis_report_external_tables(athena, s3, mallard):
    ok(athena, f"CREATE EXTERNAL TABLE cat_t (a int COMMENT 'the a', b string) PARTITIONED BY (dt string) "
               f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/cat/' "
               f"TBLPROPERTIES ('skip.header.line.count' = '1')")
    table = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default", TableName="cat_t")["TableMetadata"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["Columns"] == [{"Name": "a", "Type": "int", "Comment": "the a"}, {"Name": "b", "Type": "string"}]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    parameters = table["Parameters"]
    assert parameters["EXTERNAL"] == "TRUE" and parameters["location"] == f"s3://{BUCKET}/cat/"
    assert parameters["serde.serialization.lib"] == "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
    assert parameters["inputformat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert parameters["classification"] == "csv" and parameters["skip.header.line.count"] == "1"
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default")["TableMetadataList"]
    assert [t["Name"] for t in listed if t["TableType"] == "EXTERNAL_TABLE"] == ["cat_t"]
    databases = [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert not any(name.startswith("_mallard") for name in databases)
    redshift = client("redshift-data", mallard.endpoint)
    schemas = redshift.list_schemas(WorkgroupName="mallard", Database="dev")["Schemas"]
    assert not any(name.startswith("_mallard") for name in schemas)


def test_errors(athena, s3):
    reason = failed(athena, "CREATE EXTERNAL TABLE bad (a int) STORED AS PARQUET")
    assert reason == "line 1:52: mismatched input '<EOF>'. Expecting: LOCATION"
    assert failed(athena, "CREATE EXTERNAL TABLE bad (a strin) LOCATION 's3://x/'").startswith("line 1:30: unknown type")
    ok(athena, f"CREATE EXTERNAL TABLE twice (a int) LOCATION 's3://{BUCKET}/twice/'")
    assert "already exists" in failed(athena, f"CREATE EXTERNAL TABLE twice (a int) LOCATION 's3://{BUCKET}/twice/'")
    ok(athena, f"CREATE EXTERNAL TABLE IF NOT EXISTS twice (a int) LOCATION 's3://{BUCKET}/twice/'")
    assert "Database does not exist" in failed(athena, f"CREATE EXTERNAL TABLE nodb.t (a int) LOCATION 's3://{BUCKET}/t/'")
    # A table over a bucket that is not there: the query fails when it reads.
    ok(athena, "CREATE EXTERNAL TABLE lost (a int) LOCATION 's3://no-such-bucket-here/x/'")
    assert "NoSuchBucket" in failed(athena, "SELECT * FROM lost")
    # ORC: the DDL is recorded, reading files fails with NOT_SUPPORTED (no ORC reader in the engine).
    s3.put_object(Bucket=BUCKET, Key="orc/part-0.orc", Body=b"ORC\x00\x01")
    ok(athena, f"CREATE EXTERNAL TABLE orc_t (a int) STORED AS ORC LOCATION 's3://{BUCKET}/orc/'")
    assert failed(athena, "SELECT * FROM orc_t").startswith("NOT_SUPPORTED")
    # A serde without a reader here (ALB logs' RegexSerDe): recorded, reading fails clearly.
    s3.put_object(Bucket=BUCKET, Key="alb/log.txt", Body=b"http 2024-01-01T00:00:00Z app/x 1.2.3.4:5\n")
    ok(athena, f"""CREATE EXTERNAL TABLE alb (type string, time string) ROW FORMAT SERDE
        'org.apache.hadoop.hive.serde2.RegexSerDe' WITH SERDEPROPERTIES ('input.regex' = '([^ ]*) ([^ ]*).*')
        LOCATION 's3://{BUCKET}/alb/'""")
    assert failed(athena, "SELECT * FROM alb").startswith("NOT_SUPPORTED: the serde org.apache.hadoop.hive.serde2.RegexSerDe")
    assert "Table not found" in failed(athena, "MSCK REPAIR TABLE nothing_here")
    assert "not a partitioned table" in failed(athena, "SHOW PARTITIONS twice")
    assert "Duplicate property" in failed(athena, "UNLOAD (SELECT 1) TO 's3://x/y/' WITH (format='JSON', format='JSON')")
    # Writing statements cannot be steered outside the S3 store: locations are s3:// without '..',
    # and the query must be one balanced statement (it is pasted into the engine's COPY).
    assert "not an S3 location" in failed(athena, "UNLOAD (SELECT 1) TO '/tmp/mallard-escape/' WITH (format = 'JSON')")
    assert "'..'" in failed(athena, f"UNLOAD (SELECT 1) TO 's3://{BUCKET}/../../tmp/x/' WITH (format = 'JSON')")
    ok(athena, f"CREATE EXTERNAL TABLE target (a int) STORED AS PARQUET LOCATION 's3://{BUCKET}/target/'")
    reason = failed(athena, "INSERT INTO target SELECT 1) TO '/tmp/mallard-escape.csv' (FORMAT csv) --")
    assert reason.startswith("line 1:")
    assert not os.path.exists("/tmp/mallard-escape.csv") and not os.path.exists("/tmp/mallard-escape")
    execution = run(athena, f"CREATE EXTERNAL TABLE st (a int) LOCATION 's3://{BUCKET}/st/'")
    assert (execution["StatementType"], execution.get("SubstatementType", "CREATE_TABLE")) == ("DDL", "CREATE_TABLE")


def test_metadata_survives_a_restart_with_a_file_engine_and_goes_with_reset(tmp_path):
    from conftest import start_server, stop_server
    from sqs_e2e import http_request

    store, engine_file = tmp_path / "s3", tmp_path / "engine.duckdb"
    store.mkdir()
    args = ["--backend-s3", f"file://{store}", "--sqlengine-duckdb", str(engine_file)]

    def serve(name: str):
        handle = start_server(tmp_path / f"{name}.log", args)
        return handle, client("athena", handle.endpoint)

    handle, athena = serve("first")
    try:
        lake = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                     region_name=REGION).client(
            "s3", endpoint_url=handle.endpoint, config=Config(s3={"addressing_style": "path"}))
        lake.create_bucket(Bucket=BUCKET)
        lake.put_object(Bucket=BUCKET, Key="kept/dt=1/a.csv", Body=b"1,x\n")
        lake.put_object(Bucket=BUCKET, Key="kept/dt=2/a.csv", Body=b"2,y\n")
        ok(athena, f"CREATE EXTERNAL TABLE kept (a int, b string) PARTITIONED BY (dt int) ROW FORMAT DELIMITED "
                   f"FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/kept/' TBLPROPERTIES ('note' = 'stays')")
        ok(athena, "ALTER TABLE kept ADD PARTITION (dt = 1)")
    finally:
        stop_server(handle)
    handle, athena = serve("second")
    try:
        assert ok(athena, "SELECT a, b, dt FROM kept") == [["1", "x", "1"]]
        assert ok(athena, "SHOW PARTITIONS kept") == [["dt=1"]]
        ok(athena, "MSCK REPAIR TABLE kept")
        assert ok(athena, "SELECT a FROM kept ORDER BY a") == [["1"], ["2"]]
        table = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default", TableName="kept")
        assert table["TableMetadata"]["Parameters"]["note"] == "stays"
        assert http_request(handle.port, "POST", "/_mallard/reset", timeout=10).status == 200
        athena = client("athena", handle.endpoint)
        assert "Table not found" in failed(athena, "SHOW PARTITIONS kept")
        assert ok(athena, "SHOW TABLES") == []
    finally:
        stop_server(handle)


def test_memory_s3_store_refuses_external_tables_clearly(tmp_path):
    from conftest import start_server, stop_server

    handle = start_server(tmp_path / "memory.log", ["--backend-s3", "memory"])
    try:
        athena = client("athena", handle.endpoint)
        reason = failed(athena, "CREATE EXTERNAL TABLE m (a int) LOCATION 's3://somewhere/m/'")
        assert "in memory" in reason and "--backend-s3" in reason
    finally:
        stop_server(handle)


def test_concurrent_partition_changes_all_land(athena, s3):
    import concurrent.futures

    ok(athena, f"CREATE EXTERNAL TABLE busy (a int) PARTITIONED BY (x string) LOCATION 's3://{BUCKET}/busy/'")
    for i in range(12):
        s3.put_object(Bucket=BUCKET, Key=f"busy/x={i}/f", Body=f"{i}\n".encode())

    def add(i: int) -> str:
        return run(athena, f"ALTER TABLE busy ADD PARTITION (x = '{i}')")["Status"]["State"]

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        assert list(pool.map(add, range(12))) == ["SUCCEEDED"] * 12
    assert sorted(row[0] for row in ok(athena, "SHOW PARTITIONS busy")) == sorted(f"x={i}" for i in range(12))
    assert ok(athena, "SELECT sum(a) FROM busy") == [[str(sum(range(12)))]]
    # The stored definition (what a restart reads) has every partition too.
    definition = json.loads(ok(athena, "SELECT definition FROM _mallard_athena.external_tables WHERE table_name = 'busy'")[0][0])
    assert len(definition["partitions"]) == 12


def test_redshift_data_sees_new_directories_without_an_athena_query(athena, s3, mallard):
    """Redshift Data reads an external table's view too: Athena's refresher (registered with the
    shared engine) rebuilds it before a Redshift query when its directories changed, so no Athena
    query has to name the table first."""
    from sqlengine_e2e import redshift_run
    redshift = client("redshift-data", mallard.endpoint)

    def redshift_rows(sql: str) -> list[list]:
        described = redshift_run(redshift, sql)
        assert described["Status"] == "FINISHED", (sql, described.get("Error"))
        records = redshift.get_statement_result(Id=described["Id"])["Records"]
        return [[next(iter(field.values())) for field in record] for record in records]

    s3.put_object(Bucket=BUCKET, Key="shared/p1.csv", Body=b"1,a\n2,b\n")
    ok(athena, f"CREATE EXTERNAL TABLE shared_t (a int, b string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
               f"LOCATION 's3://{BUCKET}/shared/'")
    assert redshift_rows("SELECT count(*) FROM shared_t") == [[2]]
    s3.put_object(Bucket=BUCKET, Key="shared/p2.csv", Body=b"3,c\n")  # same directory
    assert redshift_rows("SELECT count(*) FROM public.shared_t") == [[3]]
    s3.put_object(Bucket=BUCKET, Key="shared/sub/p3.csv", Body=b"4,d\n")  # a directory the view did not read
    assert redshift_rows("SELECT a, b FROM shared_t ORDER BY a") == [[1, "a"], [2, "b"], [3, "c"], [4, "d"]]
    for key in ("shared/p1.csv", "shared/p2.csv", "shared/sub/p3.csv"):
        s3.delete_object(Bucket=BUCKET, Key=key)
    assert redshift_rows("SELECT count(*) FROM dev.public.shared_t") == [[0]]  # emptied: zero rows, not an error
    # Athena still refreshes for itself, after Redshift did.
    s3.put_object(Bucket=BUCKET, Key="shared/again/p4.csv", Body=b"5,e\n")
    assert ok(athena, "SELECT count(*) FROM shared_t") == [["1"]]
    assert redshift_rows("SELECT count(*) FROM shared_t") == [[1]]
