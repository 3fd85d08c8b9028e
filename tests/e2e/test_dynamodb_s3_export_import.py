"""DynamoDB ExportTableToPointInTime and ImportTable through Mallard's S3: the export's layout
(_started, manifest-summary.json, manifest-files.json, their .md5 files, gzip'd data files) read
back with boto3 S3 and compared with a Scan; imports of CSV, DynamoDB JSON (gzip) and Ion into new
tables compared with the source items; the failures (missing bucket, PITR off, table exists)."""

from __future__ import annotations

import base64
import decimal
import gzip
import hashlib
import json
import random
import subprocess
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY

BUCKET = "ddb-transfers"


@pytest.fixture
def s3(mallard):
    made = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                 region_name=REGION).client(
        "s3", endpoint_url=mallard.endpoint,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}))
    made.create_bucket(Bucket=BUCKET)
    return made


def make_table(dynamodb, name: str, pitr: bool = True, sort: bool = True) -> str:
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
    arn = dynamodb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=attributes,
                                BillingMode="PAY_PER_REQUEST")["TableDescription"]["TableArn"]
    if pitr:
        dynamodb.update_continuous_backups(TableName=name,
                                           PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return arn


def random_item(rng: random.Random, index: int) -> dict:
    def text() -> str:
        return "".join(rng.choice("abcé\"\\,\n\t日本🙂xyz") for _ in range(rng.randint(1, 12)))

    def number() -> str:
        return str(decimal.Decimal(rng.randint(-10**12, 10**12)).scaleb(rng.randint(-6, 6)).normalize())

    def value(depth: int = 0) -> dict:
        kinds = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS"] + (["L", "M"] if depth < 3 else [])
        kind = rng.choice(kinds)
        if kind == "S":
            return {"S": text()}
        if kind == "N":
            return {"N": number()}
        if kind == "B":
            return {"B": rng.randbytes(rng.randint(1, 20))}
        if kind == "BOOL":
            return {"BOOL": rng.random() < 0.5}
        if kind == "NULL":
            return {"NULL": True}
        if kind == "SS":
            return {"SS": list({text() for _ in range(rng.randint(1, 4))})}
        if kind == "NS":
            return {"NS": list({str(rng.randint(-999, 999)) for _ in range(rng.randint(1, 4))})}
        if kind == "BS":
            return {"BS": list({rng.randbytes(rng.randint(1, 8)) for _ in range(rng.randint(1, 4))})}
        if kind == "L":
            return {"L": [value(depth + 1) for _ in range(rng.randint(0, 3))]}
        return {"M": {f"m{i}": value(depth + 1) for i in range(rng.randint(0, 3))}}

    item = {"pk": {"S": f"p{index % 7}-{text()}"}, "sk": {"N": str(index)}}
    for attribute in range(rng.randint(0, 6)):
        item[f"a{attribute}"] = value()
    return item


def normalized(item: dict) -> str:
    """An order-free, type-exact text of an item (sets sorted, numbers as Decimals, binaries as bytes)."""
    def norm(value):
        (kind, inner), = value.items()
        if kind in ("SS", "BS"):
            return [kind, sorted(bytes(v).hex() if kind == "BS" else v for v in inner)]
        if kind == "NS":
            return [kind, sorted(str(decimal.Decimal(v).normalize()) for v in inner)]
        if kind == "N":
            return [kind, str(decimal.Decimal(inner).normalize())]
        if kind == "B":
            return [kind, bytes(inner).hex()]
        if kind == "L":
            return [kind, [norm(v) for v in inner]]
        if kind == "M":
            return [kind, {k: norm(v) for k, v in sorted(inner.items())}]
        return [kind, inner]
    return json.dumps({k: norm(v) for k, v in sorted(item.items())}, sort_keys=True)


def scan_all(dynamodb, table: str) -> list[dict]:
    items = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        items.extend(page["Items"])
    return items


def wire_json(item: dict) -> dict:
    """boto3's low-level item (bytes for B/BS) as DynamoDB JSON (base64 strings)."""
    def convert(value):
        (kind, inner), = value.items()
        if kind == "B":
            return {"B": base64.b64encode(inner).decode()}
        if kind == "BS":
            return {"BS": [base64.b64encode(v).decode() for v in inner]}
        if kind == "L":
            return {"L": [convert(v) for v in inner]}
        if kind == "M":
            return {"M": {k: convert(v) for k, v in inner.items()}}
        return {kind: inner}
    return {k: convert(v) for k, v in item.items()}


def from_wire_json(item: dict) -> dict:
    def convert(value):
        (kind, inner), = value.items()
        if kind == "B":
            return {"B": base64.b64decode(inner)}
        if kind == "BS":
            return {"BS": [base64.b64decode(v) for v in inner]}
        if kind == "L":
            return {"L": [convert(v) for v in inner]}
        if kind == "M":
            return {"M": {k: convert(v) for k, v in inner.items()}}
        return {kind: inner}
    return {k: convert(v) for k, v in item.items()}


def wait_export(dynamodb, arn: str) -> dict:
    deadline = time.time() + 30
    while time.time() < deadline:
        description = dynamodb.describe_export(ExportArn=arn)["ExportDescription"]
        if description["ExportStatus"] != "IN_PROGRESS":
            return description
        time.sleep(0.05)
    raise AssertionError("export still IN_PROGRESS")


def wait_import(dynamodb, arn: str) -> dict:
    deadline = time.time() + 30
    while time.time() < deadline:
        description = dynamodb.describe_import(ImportArn=arn)["ImportTableDescription"]
        if description["ImportStatus"] != "IN_PROGRESS":
            return description
        time.sleep(0.05)
    raise AssertionError("import still IN_PROGRESS")


def body(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def put_items(dynamodb, table: str, items: list[dict]) -> None:
    for item in items:
        dynamodb.put_item(TableName=table, Item=item)


def test_export_layout_and_data_match_scan(dynamodb, s3):
    arn = make_table(dynamodb, "exported")
    rng = random.Random(19_01)
    put_items(dynamodb, "exported", [random_item(rng, i) for i in range(150)])
    started = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix="exports/run1",
                                                     ExportFormat="DYNAMODB_JSON")["ExportDescription"]
    assert started["ExportStatus"] in ("IN_PROGRESS", "COMPLETED")
    assert started["ExportArn"].startswith(arn + "/export/")
    done = wait_export(dynamodb, started["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    assert done["ItemCount"] == 150
    export_id = started["ExportArn"].rsplit("/", 1)[1]
    base = f"exports/run1/AWSDynamoDB/{export_id}/"
    assert done["ExportManifest"] == base + "manifest-summary.json"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=base)["Contents"]}
    for name in ("_started", "manifest-summary.json", "manifest-summary.md5", "manifest-files.json",
                 "manifest-files.md5"):
        assert base + name in keys
    assert body(s3, base + "_started") == b""
    summary_bytes = body(s3, base + "manifest-summary.json")
    assert body(s3, base + "manifest-summary.md5").decode() == hashlib.md5(summary_bytes).hexdigest()
    summary = json.loads(summary_bytes)
    assert summary["exportArn"] == started["ExportArn"]
    assert summary["itemCount"] == 150 and summary["outputFormat"] == "DYNAMODB_JSON"
    assert summary["manifestFilesS3Key"] == base + "manifest-files.json"
    files_bytes = body(s3, base + "manifest-files.json")
    assert body(s3, base + "manifest-files.md5").decode() == hashlib.md5(files_bytes).hexdigest()
    exported = []
    for line in files_bytes.decode().splitlines():
        entry = json.loads(line)
        assert entry["dataFileS3Key"].startswith(base + "data/") and entry["dataFileS3Key"].endswith(".json.gz")
        data = body(s3, entry["dataFileS3Key"])
        assert base64.b64decode(entry["md5"]) == hashlib.md5(data).digest()
        lines = gzip.decompress(data).decode().splitlines()
        assert len(lines) == entry["itemCount"]
        exported.extend(from_wire_json(json.loads(text)["Item"]) for text in lines)
    assert sorted(map(normalized, exported)) == sorted(map(normalized, scan_all(dynamodb, "exported")))
    listed = dynamodb.list_exports(TableArn=arn)["ExportSummaries"]
    assert [(e["ExportArn"], e["ExportStatus"]) for e in listed] == [(started["ExportArn"], "COMPLETED")]


def test_export_ion_then_import_ion_round_trips(dynamodb, s3):
    arn = make_table(dynamodb, "ionsource")
    rng = random.Random(19_02)
    source = [random_item(rng, i) for i in range(60)]
    put_items(dynamodb, "ionsource", source)
    started = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix="ion",
                                                     ExportFormat="ION")["ExportDescription"]
    done = wait_export(dynamodb, started["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    export_id = started["ExportArn"].rsplit("/", 1)[1]
    data_prefix = f"ion/AWSDynamoDB/{export_id}/data/"
    data_keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=data_prefix)["Contents"]]
    assert data_keys and all(k.endswith(".ion.gz") for k in data_keys)
    first_line = gzip.decompress(body(s3, data_keys[0])).decode().splitlines()[0]
    assert first_line.startswith("$ion_1_0 {Item:{")
    imported = dynamodb.import_table(
        S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": data_prefix}, InputFormat="ION",
        InputCompressionType="GZIP",
        TableCreationParameters={"TableName": "ioncopy", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                        {"AttributeName": "sk", "KeyType": "RANGE"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                          {"AttributeName": "sk", "AttributeType": "N"}],
                                 "BillingMode": "PAY_PER_REQUEST"})["ImportTableDescription"]
    finished = wait_import(dynamodb, imported["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["ImportedItemCount"] == 60 and finished["ErrorCount"] == 0
    assert sorted(map(normalized, scan_all(dynamodb, "ioncopy"))) == sorted(map(normalized, source))


def test_import_dynamodb_json_gzip_and_errors(dynamodb, s3):
    rng = random.Random(19_03)
    items = [random_item(rng, i) for i in range(80)]
    lines = [json.dumps({"Item": wire_json(item)}) for item in items]
    lines.insert(10, '{"Item":{"sk":{"N":"1"}}}')      # no partition key: an error
    lines.insert(20, 'not json')                         # unparseable: an error
    s3.put_object(Bucket=BUCKET, Key="in/json/part-1.json.gz", Body=gzip.compress("\n".join(lines[:40]).encode()))
    s3.put_object(Bucket=BUCKET, Key="in/json/part-2.json.gz", Body=gzip.compress("\n".join(lines[40:]).encode()))
    imported = dynamodb.import_table(
        S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "in/json/"}, InputFormat="DYNAMODB_JSON",
        InputCompressionType="GZIP", ClientToken="token-1",
        TableCreationParameters={"TableName": "jsoncopy", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                         {"AttributeName": "sk", "KeyType": "RANGE"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                          {"AttributeName": "sk", "AttributeType": "N"}],
                                 "BillingMode": "PAY_PER_REQUEST"})["ImportTableDescription"]
    assert imported["ImportArn"].startswith(imported["TableArn"] + "/import/")
    finished = wait_import(dynamodb, imported["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["ImportedItemCount"] == 80
    assert finished["ErrorCount"] == 2 and finished["ProcessedItemCount"] == 82
    assert finished["ProcessedSizeBytes"] > 0
    assert sorted(map(normalized, scan_all(dynamodb, "jsoncopy"))) == sorted(map(normalized, items))
    summaries = dynamodb.list_imports(TableArn=imported["TableArn"])["ImportSummaryList"]
    assert [s["ImportArn"] for s in summaries] == [imported["ImportArn"]]


def test_import_zstd_ion_and_json(dynamodb, s3):
    """ZSTD input (made by the zstd CLI, independent of the server's library), two frames in one object."""
    rng = random.Random(19_04)
    items = [random_item(rng, i) for i in range(40)]
    lines = [json.dumps({"Item": wire_json(item)}) for item in items]
    def zstd(data: bytes) -> bytes:
        return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout
    s3.put_object(Bucket=BUCKET, Key="in/zst/a.json.zst",
                  Body=zstd("\n".join(lines[:25]).encode() + b"\n") + zstd("\n".join(lines[25:]).encode()))
    s3.put_object(Bucket=BUCKET, Key="in/zst/b.json.zst", Body=b"this is not zstd")
    imported = dynamodb.import_table(
        S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "in/zst/"}, InputFormat="DYNAMODB_JSON",
        InputCompressionType="ZSTD",
        TableCreationParameters={"TableName": "zstdcopy", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                                         {"AttributeName": "sk", "KeyType": "RANGE"}],
                                 "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                                          {"AttributeName": "sk", "AttributeType": "N"}],
                                 "BillingMode": "PAY_PER_REQUEST"})["ImportTableDescription"]
    finished = wait_import(dynamodb, imported["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["ImportedItemCount"] == 40 and finished["ErrorCount"] == 1  # the damaged object
    assert sorted(map(normalized, scan_all(dynamodb, "zstdcopy"))) == sorted(map(normalized, items))


def test_import_csv_with_header_list_and_delimiter(dynamodb, s3):
    rows = [("u1", "7", "Ann, \"the\" first"), ("u2", "12", ""), ("u3", "-3.5", "multi\nline")]
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ';"\n') else text
    s3.put_object(Bucket=BUCKET, Key="in/csv/a.csv",
                  Body="\r\n".join(";".join(cell(c) for c in row) for row in rows).encode())
    imported = dynamodb.import_table(
        S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "in/csv/"}, InputFormat="CSV",
        InputFormatOptions={"Csv": {"Delimiter": ";", "HeaderList": ["id", "score", "name"]}},
        TableCreationParameters={"TableName": "csvcopy", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"},
                                                                        {"AttributeName": "score", "KeyType": "RANGE"}],
                                 "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
                                                          {"AttributeName": "score", "AttributeType": "N"}],
                                 "BillingMode": "PAY_PER_REQUEST"})["ImportTableDescription"]
    finished = wait_import(dynamodb, imported["ImportArn"])
    assert finished["ImportStatus"] == "COMPLETED", finished
    assert finished["ImportedItemCount"] == 3 and finished["ErrorCount"] == 0
    got = {item["id"]["S"]: item for item in scan_all(dynamodb, "csvcopy")}
    assert got["u1"] == {"id": {"S": "u1"}, "score": {"N": "7"}, "name": {"S": 'Ann, "the" first'}}
    assert got["u2"] == {"id": {"S": "u2"}, "score": {"N": "12"}}  # an empty cell is an absent attribute
    assert got["u3"]["name"] == {"S": "multi\nline"} and got["u3"]["score"] == {"N": "-3.5"}


def test_export_failures(dynamodb, s3):
    arn = make_table(dynamodb, "nopitr", pitr=False)
    with pytest.raises(ClientError) as error:
        dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET)
    assert error.value.response["Error"]["Code"] == "PointInTimeRecoveryUnavailableException"
    arn = make_table(dynamodb, "tonowhere")
    started = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket-19")["ExportDescription"]
    done = wait_export(dynamodb, started["ExportArn"])
    assert done["ExportStatus"] == "FAILED" and done["FailureCode"] == "S3NoSuchBucket"
    with pytest.raises(ClientError) as error:
        dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ExportTime=time.time() - 86400 * 40)
    assert error.value.response["Error"]["Code"] == "InvalidExportTimeException"
    with pytest.raises(ClientError) as error:
        dynamodb.describe_export(ExportArn=arn + "/export/01234567890123-deadbeef")
    assert error.value.response["Error"]["Code"] == "ExportNotFoundException"
    # The same ClientToken answers the same export.
    first = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ClientToken="t")["ExportDescription"]
    again = dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ClientToken="t")["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"]
    with pytest.raises(ClientError) as error:
        dynamodb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ClientToken="t", S3Prefix="other")
    assert error.value.response["Error"]["Code"] == "ExportConflictException"


def test_import_failures(dynamodb, s3):
    make_table(dynamodb, "taken", pitr=False)
    parameters = {"TableName": "taken", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                  "BillingMode": "PAY_PER_REQUEST"}
    with pytest.raises(ClientError) as error:
        dynamodb.import_table(S3BucketSource={"S3Bucket": BUCKET}, InputFormat="CSV",
                              TableCreationParameters=parameters)
    assert error.value.response["Error"]["Code"] == "ResourceInUseException"
    imported = dynamodb.import_table(S3BucketSource={"S3Bucket": "no-such-bucket-19"}, InputFormat="CSV",
                                     TableCreationParameters=dict(parameters, TableName="fresh"))["ImportTableDescription"]
    finished = wait_import(dynamodb, imported["ImportArn"])
    assert finished["ImportStatus"] == "FAILED" and finished["FailureCode"] == "S3NoSuchBucket"
    # A reused ClientToken answers the first import; with other parameters it is a conflict.
    source = {"S3Bucket": BUCKET, "S3KeyPrefix": "nothing/"}
    first = dynamodb.import_table(S3BucketSource=source, InputFormat="CSV", ClientToken="c",
                                  TableCreationParameters=dict(parameters, TableName="tokened"))["ImportTableDescription"]
    again = dynamodb.import_table(S3BucketSource=source, InputFormat="CSV", ClientToken="c",
                                  TableCreationParameters=dict(parameters, TableName="tokened"))["ImportTableDescription"]
    assert again["ImportArn"] == first["ImportArn"]
    assert wait_import(dynamodb, first["ImportArn"])["ImportedItemCount"] == 0
    with pytest.raises(ClientError) as error:
        dynamodb.import_table(S3BucketSource=source, InputFormat="ION", ClientToken="c",
                              TableCreationParameters=dict(parameters, TableName="tokened2"))
    assert error.value.response["Error"]["Code"] == "ImportConflictException"
