"""Hand-made HTTP requests: the error shapes of both protocols and requests no SDK would send.
Requests are SigV4-signed like an SDK's unless a test says otherwise."""

from __future__ import annotations

import json
import socket
import urllib.parse

import pytest

from sqs_e2e import ACCOUNT, NS, SQS_XMLNS, md5_hex, parse_query_error, sign_headers, unique

FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def json_headers(op: str) -> dict[str, str]:
    return {"X-Amz-Target": f"AmazonSQS.{op}", "Content-Type": "application/x-amz-json-1.0"}


def query(params: dict[str, str]) -> str:
    return urllib.parse.urlencode({"Version": "2012-11-05", **params})


def assert_json_error(response, status: int, code: str | None, query_code: str | None):
    """awsJson error: HTTP status, {"__type": "...#Code", "message"}, x-amzn-query-error, request id."""
    assert response.status == status, (response.status, response.body[:500])
    assert response.headers.get("x-amzn-requestid"), response.headers
    body = response.json()
    assert isinstance(body.get("__type"), str) and body["__type"], body
    assert isinstance(body.get("message", body.get("Message")), str), body
    # SQS names the error in x-amzn-ErrorType exactly as in `__type`, namespace included.
    assert response.headers.get("x-amzn-errortype") == body["__type"], (response.headers, body)
    if code is not None:
        assert body["__type"].split("#")[-1] == code, body
        assert body["__type"] == f"com.amazonaws.sqs#{code}", body
    if query_code is not None:
        assert response.headers.get("x-amzn-query-error") == f"{query_code};Sender", response.headers
    return body


def assert_query_error(response, status: int, code: str | None):
    """awsQuery error: HTTP status, <ErrorResponse xmlns=...><Error><Type>Sender</Type><Code>..."""
    assert response.status == status, (response.status, response.body[:500])
    assert response.headers.get("x-amzn-requestid"), response.headers
    error = parse_query_error(response.body)
    assert error["Type"] == "Sender", error
    assert error["Code"], error
    assert error["Message"], error
    assert error["RequestId"] == response.headers["x-amzn-requestid"], error
    if code is not None:
        assert error["Code"] == code, error
    return error


# --- Successful shapes ---------------------------------------------------------------------------


def test_json_create_and_send(raw_post, mallard):
    name = unique("raw")
    created = raw_post(json_headers("CreateQueue"), json.dumps({"QueueName": name}))
    assert created.status == 200, created.body
    assert created.headers["content-type"].startswith("application/x-amz-json-1.0")
    assert created.headers.get("x-amzn-requestid")
    url = created.json()["QueueUrl"]
    assert url == f"http://127.0.0.1:{mallard.port}/{ACCOUNT}/{name}"
    sent = raw_post(json_headers("SendMessage"), json.dumps({"QueueUrl": url, "MessageBody": "raw"}))
    assert sent.status == 200
    assert sent.json()["MD5OfMessageBody"] == md5_hex("raw")


def test_queue_url_uses_host_header(mallard):
    """The queue URL is built from the Host header the client used."""
    from sqs_e2e import http_request

    name = unique("host")
    # Connect to 127.0.0.1 but claim another host name, as a client behind a proxy would.
    body = query({"Action": "CreateQueue", "QueueName": name}).encode()
    sock = socket.create_connection(("127.0.0.1", mallard.port), timeout=10)
    try:
        request = (f"POST / HTTP/1.1\r\nHost: sqs.example.test:4566\r\n"
                   f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
                   f"Connection: close\r\n\r\n").encode() + body
        sock.sendall(request)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data[:300]
    assert f"<QueueUrl>http://sqs.example.test:4566/{ACCOUNT}/{name}</QueueUrl>".encode() in payload
    # Through the loopback address the same queue has the loopback URL.
    listed = http_request(mallard.port, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
                          query({"Action": "GetQueueUrl", "QueueName": name}), sign=True)
    assert listed.xml().findtext("sqs:GetQueueUrlResult/sqs:QueueUrl", namespaces=NS) == mallard.queue_url(name)


# --- Malformed requests --------------------------------------------------------------------------


@pytest.mark.parametrize("body", ['{"QueueName": ', "not json at all", "[1, 2, 3]", '"just a string"'])
def test_json_malformed_body(raw_post, body):
    response = raw_post(json_headers("CreateQueue"), body)
    assert_json_error(response, 400, None, None)


def test_json_empty_body_is_missing_parameter(raw_post):
    response = raw_post(json_headers("GetQueueUrl"), "{}")
    assert_json_error(response, 400, "MissingRequiredParameterException", "MissingParameter")


def test_json_wrong_parameter_type(raw_post):
    response = raw_post(json_headers("ListQueues"), json.dumps({"MaxResults": "ten"}))
    assert 400 <= response.status < 500, response.body
    assert_json_error(response, response.status, None, None)


def test_query_malformed_percent_escape(raw_post):
    response = raw_post(FORM, "Action=ListQueues&Version=2012-11-05&QueueNamePrefix=%ZZ")
    assert_query_error(response, 400, None)


def test_query_truncated_percent_escape(raw_post):
    response = raw_post(FORM, "Action=CreateQueue&Version=2012-11-05&QueueName=abc%4")
    assert_query_error(response, 400, None)


def test_unknown_query_action(raw_post):
    response = raw_post(FORM, query({"Action": "FrobnicateQueue"}))
    assert_query_error(response, 400, "InvalidAction")


def test_unknown_json_operation(raw_post):
    response = raw_post(json_headers("FrobnicateQueue"), "{}")
    body = assert_json_error(response, 400, None, "InvalidAction")
    # AWS's JSON endpoints call this UnknownOperationException; the query-compatible code is InvalidAction.
    assert body["__type"].split("#")[-1] in ("InvalidAction", "UnknownOperationException"), body


def test_query_missing_parameter(raw_post):
    response = raw_post(FORM, query({"Action": "GetQueueUrl"}))
    assert_query_error(response, 400, "MissingParameter")


def test_query_send_message_missing_body(raw_post, query_client):
    url = query_client.create_queue()
    response = raw_post(FORM, query({"Action": "SendMessage", "QueueUrl": url}))
    assert_query_error(response, 400, "MissingParameter")


def test_json_send_message_missing_body(raw_post, query_client):
    url = query_client.create_queue()
    response = raw_post(json_headers("SendMessage"), json.dumps({"QueueUrl": url}))
    assert_json_error(response, 400, "MissingRequiredParameterException", "MissingParameter")


def test_query_oversize_message(raw_post, query_client):
    url = query_client.create_queue()
    response = raw_post(FORM, query({"Action": "SendMessage", "QueueUrl": url, "MessageBody": "o" * 1048577}))
    assert_query_error(response, 400, "InvalidParameterValue")


def test_json_oversize_message(raw_post, query_client):
    url = query_client.create_queue()
    response = raw_post(json_headers("SendMessage"), json.dumps({"QueueUrl": url, "MessageBody": "o" * 1048577}))
    assert_json_error(response, 400, "InvalidParameterValueException", "InvalidParameterValue")


def test_query_bad_receipt_handle(raw_post, query_client):
    url = query_client.create_queue()
    response = raw_post(FORM, query({"Action": "DeleteMessage", "QueueUrl": url, "ReceiptHandle": "bogus"}))
    assert_query_error(response, 404, "ReceiptHandleIsInvalid")


def test_json_bad_receipt_handle(raw_post, query_client):
    url = query_client.create_queue()
    response = raw_post(json_headers("DeleteMessage"), json.dumps({"QueueUrl": url, "ReceiptHandle": "bogus"}))
    assert_json_error(response, 404, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid")


def test_json_nonexistent_queue_error_shape(raw_post, mallard):
    response = raw_post(json_headers("GetQueueUrl"), json.dumps({"QueueName": unique("none")}))
    assert_json_error(response, 400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue")


def test_query_nonexistent_queue_error_shape(raw_post):
    response = raw_post(FORM, query({"Action": "GetQueueUrl", "QueueName": unique("none")}))
    assert_query_error(response, 400, "AWS.SimpleQueueService.NonExistentQueue")
    assert response.headers["content-type"].startswith("text/xml")
    root = response.xml()
    assert root.tag == f"{{{SQS_XMLNS}}}ErrorResponse"


def test_request_without_routing_information(raw_post):
    """No X-Amz-Target, no Action, no signature: an AWS-style client error, never a 5xx or a hang.
    Nothing identifies the service, so the XML namespace is not checked."""
    response = raw_post({"Content-Type": "text/plain"}, "hello", sign=False, timeout=10)
    assert 400 <= response.status < 500, (response.status, response.body[:300])
    assert response.headers.get("x-amzn-requestid")
    if response.body.lstrip().startswith(b"<"):
        error = parse_query_error(response.body, sqs_namespace=False)
        assert error["Code"] and error["Type"] == "Sender", error
    else:
        assert response.json().get("__type"), response.body


def test_form_request_without_action(raw_post):
    """A signed form request (so the service is known) without Action."""
    response = raw_post(FORM, "QueueName=abc&Version=2012-11-05", timeout=10)
    assert_query_error(response, 400, None)


def test_empty_post_without_signature(raw_post):
    response = raw_post({}, b"", sign=False, timeout=10)
    assert 400 <= response.status < 500, (response.status, response.body[:300])


OVER_LIMIT = 32 * 1024 * 1024  # the server's default --body-limit is 16 MiB


def _post_huge(port: int, headers: dict[str, str], body: bytes) -> bytes:
    """Send a request whose body is over the limit; return everything the server answered."""
    head = f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    sock = socket.create_connection(("127.0.0.1", port), timeout=15)
    data = b""
    try:
        sock.sendall(head.encode())
        try:
            view = memoryview(body)
            for offset in range(0, len(body), 1 << 20):
                sock.sendall(view[offset:offset + (1 << 20)])
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # the server may stop reading once it has answered; its answer must still arrive
        try:
            while len(data) < _expected_length(data):
                piece = sock.recv(65536)
                if not piece:
                    break
                data += piece
        except ConnectionResetError as e:
            raise AssertionError(f"connection reset instead of an HTTP 413 answer (got {data[:200]!r})") from e
    finally:
        sock.close()
    return data


def _expected_length(data: bytes) -> int:
    head, sep, _ = data.partition(b"\r\n\r\n")
    if not sep:
        return 1 << 62
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(head) + 4 + int(line.split(b":", 1)[1])
    return 1 << 62


def _split(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, payload


def test_query_body_over_limit_gets_413(mallard):
    """A signed awsQuery request over the body limit: an SQS ErrorResponse with HTTP 413, not a reset."""
    body = query({"Action": "SendMessage", "QueueUrl": mallard.queue_url("q"),
                  "MessageBody": "x" * OVER_LIMIT}).encode()
    headers = sign_headers("POST", f"http://127.0.0.1:{mallard.port}/",
                           {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, body)
    status, headers, payload = _split(_post_huge(mallard.port, headers, body))
    assert status == 413, payload[:300]
    assert headers.get("x-amzn-requestid")
    error = parse_query_error(payload)
    assert error["Code"] and error["Type"] == "Sender", error


def test_json_body_over_limit_gets_413(mallard):
    """The same over awsJson: a JSON error body with __type, HTTP 413."""
    body = json.dumps({"QueueUrl": mallard.queue_url("q"), "MessageBody": "x" * OVER_LIMIT}).encode()
    headers = sign_headers("POST", f"http://127.0.0.1:{mallard.port}/", json_headers("SendMessage"), body)
    status, headers, payload = _split(_post_huge(mallard.port, headers, body))
    assert status == 413, payload[:300]
    assert headers.get("x-amzn-requestid")
    error = json.loads(payload)
    assert error.get("__type"), error


def test_keep_alive_connection_serves_many_requests(mallard):
    """An SDK reuses its connection: several requests on one keep-alive connection all get answers."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", mallard.port, timeout=10)
    try:
        for _ in range(5):
            conn.request("POST", "/", body=query({"Action": "ListQueues"}), headers=FORM)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
    finally:
        conn.close()
