"""Shared helpers for the DynamoDB / DynamoDB Streams end-to-end tests (imported by conftest.py and the
test_dynamodb_*.py modules). Everything here talks only to 127.0.0.1.

Expected behaviour and error messages come from AWS's documentation (API Reference, Developer Guide) and
from messages real DynamoDB returned as quoted in public bug reports and in test suites that are run against
real DynamoDB; where a test relies on such a quote it says so.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
import uuid
import zlib
from decimal import Decimal
from typing import Any, Callable

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCESS_KEY = "test"
SECRET_KEY = "test"
REGION = "us-east-1"
ACCOUNT = "000000000000"

NOT_FOUND = "Requested resource not found"


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------

_clients: dict[tuple, Any] = {}


def _client(service: str, endpoint: str, validate: bool = True):
    key = (service, endpoint, validate)
    client = _clients.get(key)
    if client is None:
        session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                        region_name=REGION)
        client = session.client(
            service,
            endpoint_url=endpoint,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60,
                          max_pool_connections=32, parameter_validation=validate),
        )
        _clients[key] = client
    return client


def ddb_client(endpoint: str, validate: bool = True):
    return _client("dynamodb", endpoint, validate)


def streams_client(endpoint: str, validate: bool = True):
    return _client("dynamodbstreams", endpoint, validate)


# ---------------------------------------------------------------------------------------------
# AttributeValue conversion (explicit, no float anywhere: numbers are Decimal or str)
# ---------------------------------------------------------------------------------------------


def av(value: Any) -> dict:
    """Python -> AttributeValue. str->S, int/Decimal->N, bool->BOOL, None->NULL, bytes->B, list->L, dict->M,
    set/frozenset of str/int/Decimal/bytes -> SS/NS/BS."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, Decimal)):
        return {"N": str(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if isinstance(value, (list, tuple)):
        return {"L": [av(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: av(v) for k, v in value.items()}}
    if isinstance(value, (set, frozenset)):
        members = list(value)
        if all(isinstance(m, str) for m in members):
            return {"SS": sorted(members)}
        if all(isinstance(m, (bytes, bytearray)) for m in members):
            return {"BS": sorted(bytes(m) for m in members)}
        if all(isinstance(m, (int, Decimal)) and not isinstance(m, bool) for m in members):
            return {"NS": [str(m) for m in members]}
    raise TypeError(f"cannot convert {value!r}")


def item(**attrs) -> dict:
    return {k: av(v) for k, v in attrs.items()}


def py(value: dict) -> Any:
    """AttributeValue -> Python (N -> Decimal, sets -> set, B -> bytes)."""
    (kind, v), = value.items()
    if kind == "S":
        return v
    if kind == "N":
        return Decimal(v)
    if kind == "B":
        return bytes(v)
    if kind == "BOOL":
        return v
    if kind == "NULL":
        return None
    if kind == "L":
        return [py(x) for x in v]
    if kind == "M":
        return {k: py(x) for k, x in v.items()}
    if kind == "SS":
        return set(v)
    if kind == "NS":
        return {Decimal(x) for x in v}
    if kind == "BS":
        return {bytes(x) for x in v}
    raise AssertionError(f"unknown AttributeValue type {kind}")


def plain(attrs: dict | None) -> dict | None:
    """An item (attribute map) as Python values."""
    if attrs is None:
        return None
    return {k: py(v) for k, v in attrs.items()}


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_table(ddb, name: str | None = None, hash_key: tuple[str, str] = ("pk", "S"),
                 range_key: tuple[str, str] | None = None, *, extra_attrs: list[tuple[str, str]] = (),
                 **kwargs) -> str:
    """Create a PAY_PER_REQUEST table (unless kwargs say otherwise) and return its name."""
    name = name or unique()
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    attrs = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    if range_key:
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
        attrs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
    for attr_name, attr_type in extra_attrs:
        attrs.append({"AttributeName": attr_name, "AttributeType": attr_type})
    params = {"TableName": name, "KeySchema": schema, "AttributeDefinitions": attrs}
    if "ProvisionedThroughput" not in kwargs:
        params["BillingMode"] = "PAY_PER_REQUEST"
    params.update(kwargs)
    ddb.create_table(**params)
    wait_active(ddb, name)
    return name


def wait_active(ddb, name: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        table = ddb.describe_table(TableName=name)["Table"]
        indexes_active = all(g.get("IndexStatus", "ACTIVE") == "ACTIVE"
                             for g in table.get("GlobalSecondaryIndexes", []))
        if table["TableStatus"] == "ACTIVE" and indexes_active:
            return table
        if time.monotonic() > deadline:
            raise AssertionError(f"table {name} not ACTIVE after {timeout}s: {table}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def call_error(fn: Callable, *args, **kwargs) -> ClientError:
    """Call fn; it must fail with a ClientError, which is returned."""
    try:
        result = fn(*args, **kwargs)
    except ClientError as e:
        return e
    pytest.fail(f"expected an error, got success: {str(result)[:500]}")


def expect_error(fn: Callable, code: str, message: str | None = None, *, contains: str | list | None = None,
                 status: int = 400, **kwargs) -> ClientError:
    """Call fn(**kwargs): it must fail with error `code`, HTTP `status`, and message equal to `message`
    (if given) and/or containing every string in `contains`."""
    e = call_error(fn, **kwargs)
    error = e.response.get("Error", {})
    meta = e.response.get("ResponseMetadata", {})
    assert error.get("Code") == code, f"expected {code}, got {error.get('Code')}: {error.get('Message')!r}"
    if status is not None:
        assert meta.get("HTTPStatusCode") == status, (meta.get("HTTPStatusCode"), error)
    if message is not None:
        assert error.get("Message") == message, f"message {error.get('Message')!r} != expected {message!r}"
    for part in ([contains] if isinstance(contains, str) else (contains or [])):
        assert part in (error.get("Message") or ""), f"{part!r} not in message {error.get('Message')!r}"
    return e


def validation(fn: Callable, message: str | None = None, *, contains=None, **kwargs) -> ClientError:
    return expect_error(fn, "ValidationException", message, contains=contains, **kwargs)


# ---------------------------------------------------------------------------------------------
# Raw, signed DynamoDB requests (to check headers such as x-amz-crc32)
# ---------------------------------------------------------------------------------------------


class RawResult:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def raw_call(port: int, operation: str, payload: dict | bytes, *, prefix: str = "DynamoDB_20120810",
             extra_headers: dict | None = None) -> RawResult:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    host = f"127.0.0.1:{port}"
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"{prefix}.{operation}",
               **(extra_headers or {})}
    request = botocore.awsrequest.AWSRequest(method="POST", url=f"http://{host}/", headers=headers, data=body)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb",
                            REGION).add_auth(request)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("POST", "/", skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        for k, v in request.headers.items():
            conn.putheader(k, v)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        conn.send(body)
        response = conn.getresponse()
        data = response.read()
        return RawResult(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


def crc32_ok(result: RawResult) -> bool:
    return result.headers.get("x-amz-crc32") == str(zlib.crc32(result.body) & 0xFFFFFFFF)


# ---------------------------------------------------------------------------------------------
# Streams
# ---------------------------------------------------------------------------------------------


def stream_arn(ddb, table: str) -> str:
    return ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]


def shards(streams, arn: str) -> list[dict]:
    out, start = [], None
    while True:
        kwargs = {"StreamArn": arn}
        if start:
            kwargs["ExclusiveStartShardId"] = start
        desc = streams.describe_stream(**kwargs)["StreamDescription"]
        out.extend(desc["Shards"])
        start = desc.get("LastEvaluatedShardId")
        if not start:
            return out


def drain_shard(streams, iterator: str | None, max_calls: int = 50, limit: int | None = None) -> list[dict]:
    """GetRecords from iterator until a call returns no records (or the shard is closed)."""
    records = []
    for _ in range(max_calls):
        if not iterator:
            break
        kwargs = {"ShardIterator": iterator}
        if limit:
            kwargs["Limit"] = limit
        response = streams.get_records(**kwargs)
        records.extend(response["Records"])
        iterator = response.get("NextShardIterator")
        if not response["Records"]:
            break
    return records


def read_stream(streams, arn: str) -> list[dict]:
    """Every record currently in the stream, TRIM_HORIZON of every shard, shards in parent-first order."""
    records = []
    for shard in shards(streams, arn):
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records.extend(drain_shard(streams, iterator))
    return records


def wait_records(streams, arn: str, count: int, timeout: float = 5.0) -> list[dict]:
    """Poll the stream until it holds at least `count` records (AWS publishes in near real time)."""
    deadline = time.monotonic() + timeout
    while True:
        records = read_stream(streams, arn)
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.1)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
