"""HTTP as DynamoDB's endpoint speaks it (issue 15, item 13): the root health probe, a Date on every
response, CORS only for requests with an Origin, Content-Encoding, and the request line and header limits.
Hand-made requests (raw sockets, or signed with ddb_e2e.raw_call).

AWS's behaviour here is taken from suites run against real DynamoDB (ScyllaDB's test/alternator:
test_health.py, test_cors.py, test_compressed_request.py, test_http_headers.py, and its issue #23438 on
header limits; dynalite's test/connection.js) and from RFC 9110.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import socket
import time
import urllib.parse
import zlib

import pytest

from ddb_e2e import raw_call
from sqs_e2e import http_request, unique

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def query(params: dict[str, str]) -> str:
    return urllib.parse.urlencode({"Version": "2012-11-05", **params})

CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-credentials", "access-control-expose-headers",
                "access-control-max-age", "access-control-allow-methods", "access-control-allow-headers")


def _raw_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def _assert_recent_date(value: str | None):
    assert value, "no Date header"
    sent = email.utils.parsedate_to_datetime(value)
    assert value.endswith(" GMT"), value
    assert abs(sent.timestamp() - time.time()) < 300, value


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("sign", [False, True])
def test_root_probe_answers_healthy_and_the_host(mallard, method, sign):
    response = http_request(mallard.port, method, "/", sign=sign)
    assert response.status == 200, response.body
    if method == "GET":
        assert response.body == f"healthy: 127.0.0.1:{mallard.port} ".encode()
        assert response.headers["x-amz-crc32"] == str(zlib.crc32(response.body))
    assert response.headers.get("x-amzn-requestid")


def test_root_probe_names_the_host_the_client_used(mallard):
    reply = _raw_exchange(mallard.port, b"GET / HTTP/1.1\r\nHost: dynamodb.us-east-1.amazonaws.com\r\n"
                                        b"Connection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    assert reply.endswith(b"\r\n\r\nhealthy: dynamodb.us-east-1.amazonaws.com "), reply[-200:]


def test_json_health_stays_under_the_admin_path(mallard):
    response = http_request(mallard.port, "GET", "/_mallard/health")
    assert response.status == 200
    assert "dynamodb" in response.json()["services"]


def test_every_response_carries_a_date(mallard):
    answers = [
        http_request(mallard.port, "GET", "/"),
        http_request(mallard.port, "GET", "/_mallard/health"),
        http_request(mallard.port, "POST", "/_mallard/nothing-here"),
        raw_call(mallard.port, "ListTables", {}),
        raw_call(mallard.port, "DescribeTable", {"TableName": "no-such-table-anywhere"}),
        raw_call(mallard.port, "NoSuchOperation", {}),
        http_request(mallard.port, "POST", "/", FORM, query({"Action": "ListQueues"}), sign=True),
    ]
    for answer in answers:
        _assert_recent_date(answer.headers.get("date"))
    malformed = _raw_exchange(mallard.port, b"NOT HTTP AT ALL\r\n\r\n")
    assert malformed.startswith(b"HTTP/1.1 400"), malformed[:200]
    assert b"\r\nDate: " in malformed.split(b"\r\n\r\n")[0], malformed[:400]


@pytest.mark.parametrize("method", ["OPTIONS", "GET", "POST"])
def test_no_cors_headers_without_an_origin(mallard, method):
    response = http_request(mallard.port, method, "/", sign=method == "POST")
    assert not [name for name in response.headers if name in CORS_HEADERS], response.headers
    listed = raw_call(mallard.port, "ListTables", {})
    assert listed.status == 200
    assert not [name for name in listed.headers if name in CORS_HEADERS], listed.headers


def test_options_without_an_origin_is_not_a_preflight(mallard):
    response = http_request(mallard.port, "OPTIONS", "/")
    assert response.status == 404, response.body


def test_cors_preflight_echoes_what_was_requested(mallard):
    asked = {"Origin": "http://example.com/", "Access-Control-Request-Method": "dog",
             "Access-Control-Request-Headers": "cat, meerkat, mouse"}
    preflight = http_request(mallard.port, "OPTIONS", "/", asked)
    assert preflight.status == 200, preflight.body
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "dog"
    assert preflight.headers["access-control-allow-headers"] == "cat, meerkat, mouse"
    assert preflight.headers["access-control-max-age"] == "172800"
    assert "access-control-expose-headers" in preflight.headers
    for method in ("GET", "POST"):
        response = http_request(mallard.port, method, "/", asked, sign=method == "POST")
        assert response.headers["access-control-allow-origin"] == "*"
        assert "x-amzn-RequestId" in response.headers["access-control-expose-headers"]
        for only_preflight in ("access-control-max-age", "access-control-allow-methods",
                               "access-control-allow-headers"):
            assert only_preflight not in response.headers, (method, response.headers)


def _table_names(port: int) -> list[str]:
    listed = raw_call(port, "ListTables", {})
    assert listed.status == 200, listed.body
    return listed.json()["TableNames"]


def _create_table_payload(name: str) -> bytes:
    return json.dumps({"TableName": name, "BillingMode": "PAY_PER_REQUEST",
                       "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                       "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}).encode()


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize("encoding, encode", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("GZIP", gzip.compress),
    ("deflate", zlib.compress),          # RFC 9110's deflate: the zlib format
    ("deflate", _raw_deflate),           # raw deflate, as some clients send it
    ("gzip", lambda data: gzip.compress(data[:10]) + gzip.compress(data[10:])),  # two members
    ("gzip", lambda data: gzip.compress(data) + b"junk"),  # DynamoDB ignores bytes after the last member
    ("identity", lambda data: data),
], ids=["gzip", "x-gzip", "GZIP", "deflate-zlib", "deflate-raw", "gzip-two-members", "gzip-trailing-junk",
        "identity"])
def test_encoded_request_bodies_are_decoded(mallard, encoding, encode):
    name = unique("enc")
    created = raw_call(mallard.port, "CreateTable", encode(_create_table_payload(name)),
                       extra_headers={"Content-Encoding": encoding})
    assert created.status == 200, created.body
    assert created.json()["TableDescription"]["TableName"] == name


@pytest.mark.parametrize("encoding, encode", [
    ("garbage", lambda data: data),                      # a coding nobody knows
    ("br", lambda data: data),
    ("gzip", lambda data: data),                         # says gzip, is plain JSON
    ("gzip", lambda data: gzip.compress(data)[:-1]),     # truncated
    ("gzip", lambda data: b""),                          # empty is not gzip
    ("deflate", lambda data: data),
], ids=["garbage", "br", "gzip-not-gzip", "gzip-truncated", "gzip-empty", "deflate-not-deflate"])
def test_undecodable_bodies_are_a_500_and_do_nothing(mallard, encoding, encode):
    name = unique("undecodable")
    answer = raw_call(mallard.port, "CreateTable", encode(_create_table_payload(name)),
                      extra_headers={"Content-Encoding": encoding})
    assert answer.status == 500, (answer.status, answer.body)
    assert answer.headers.get("x-amzn-requestid")
    assert answer.json()["__type"].endswith("InternalFailure"), answer.body
    assert name not in _table_names(mallard.port)


def test_gzip_bomb_is_too_large_not_a_crash(mallard):
    bomb = gzip.compress(b"{" + b" " * (17 * 1024 * 1024) + b"}")
    answer = raw_call(mallard.port, "ListTables", bomb, extra_headers={"Content-Encoding": "gzip"})
    assert answer.status == 413, (answer.status, answer.body[:300])
    assert _table_names(mallard.port) is not None


def test_headers_up_to_16_kb_are_read(mallard):
    answer = raw_call(mallard.port, "ListTables", {}, extra_headers={"X-Padding": "p" * 15000})
    assert answer.status == 200, answer.body


def test_headers_over_16_kb_are_a_400(mallard):
    reply = _raw_exchange(mallard.port, b"POST / HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"p" * 17000 +
                          b"\r\nContent-Length: 2\r\n\r\n{}")
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]


def test_request_line_of_17000_bytes_is_a_400(mallard):
    reply = _raw_exchange(mallard.port, b"POST /" + b"x" * 17000 + b" HTTP/1.1\r\nHost: x\r\n"
                                        b"Content-Length: 2\r\n\r\n{}")
    assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
