"""The harness itself and the wire protocols: health/reset endpoints, that each client really speaks
the protocol it is meant to exercise, request ids, and graceful shutdown."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse

from conftest import start_server, stop_server
from sqs_e2e import ACCOUNT, NS, SQS_XMLNS, http_request, unique


def test_health_lists_sqs(mallard):
    response = http_request(mallard.port, "GET", "/_mallard/health")
    assert response.status == 200
    health = response.json()
    assert isinstance(health["services"], dict)
    assert "sqs" in health["services"]


def test_reset_clears_queues(mallard, sqs_query):
    sqs_query.create_queue(QueueName=unique("before-reset"))
    assert sqs_query.list_queues().get("QueueUrls")
    response = http_request(mallard.port, "POST", "/_mallard/reset")
    assert response.status == 200
    assert sqs_query.list_queues().get("QueueUrls", []) == []


def test_boto3_speaks_query_protocol(mallard, sqs_query):
    """boto3 1.26 must send form-encoded Action= bodies (awsQuery), never X-Amz-Target."""
    seen = []

    def capture(request, **kwargs):
        seen.append(request)

    sqs_query.meta.events.register("before-send.sqs.CreateQueue", capture)
    try:
        name = unique("wire")
        url = sqs_query.create_queue(QueueName=name)["QueueUrl"]
    finally:
        sqs_query.meta.events.unregister("before-send.sqs.CreateQueue", capture)
    assert url == mallard.queue_url(name)
    assert len(seen) == 1
    request = seen[0]
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
    assert "x-amz-target" not in headers
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    form = urllib.parse.parse_qs(body)
    assert form["Action"] == ["CreateQueue"]
    assert form["Version"] == ["2012-11-05"]
    assert form["QueueName"] == [name]
    assert "/us-east-1/sqs/aws4_request" in headers["authorization"]


def test_js_sdk_speaks_json_protocol(mallard, sqs_json):
    """@aws-sdk/client-sqs v3 must send awsJson1.0: X-Amz-Target AmazonSQS.<Op> and a JSON body."""
    name = unique("wire")
    answer = sqs_json.request("CreateQueue", {"QueueName": name}, capture=True)
    assert answer["ok"], answer
    assert answer["output"]["QueueUrl"] == mallard.queue_url(name)
    request = answer["wire"]["request"]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["x-amz-target"] == "AmazonSQS.CreateQueue"
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert json.loads(request["body"]) == {"QueueName": name}
    assert "Action=" not in request["body"]
    assert request["hostname"] == "127.0.0.1" and request["port"] == mallard.port
    # The server answers in kind, with a request id.
    response = answer["wire"]["response"]
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"].startswith("application/x-amz-json-1.0")
    assert response["headers"].get("x-amzn-requestid")
    assert answer["output"]["$metadata"]["requestId"] == response["headers"]["x-amzn-requestid"]


def test_aws_cli_speaks_query_protocol(aws_cli):
    out = aws_cli("sqs", "list-queues", "--debug")
    assert isinstance(out, dict), out
    assert "'Action': 'ListQueues'" in out["stderr"]
    assert "X-Amz-Target" not in out["stderr"]


def test_query_response_carries_request_id(raw_post):
    response = raw_post({"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                        "Action=ListQueues&Version=2012-11-05")
    assert response.status == 200
    header_id = response.headers.get("x-amzn-requestid")
    assert header_id
    root = response.xml()
    assert root.tag == f"{{{SQS_XMLNS}}}ListQueuesResponse"
    assert root.find("sqs:ListQueuesResult", NS) is not None
    assert root.findtext("sqs:ResponseMetadata/sqs:RequestId", namespaces=NS) == header_id


def test_query_get_request_is_accepted(raw_post):
    """The awsQuery API also accepts GET with the parameters in the query string."""
    name = unique("get")
    created = raw_post({}, b"", method="GET",
                       path=f"/?Action=CreateQueue&QueueName={name}&Version=2012-11-05")
    assert created.status == 200, created.body
    url = created.xml().findtext("sqs:CreateQueueResult/sqs:QueueUrl", namespaces=NS)
    assert url is not None and url.endswith(f"/{ACCOUNT}/{name}")


def test_query_queue_addressed_by_path(raw_post, query_client):
    """Query requests may address the queue by the request path (the queue URL) instead of a QueueUrl
    parameter, as the SQS API reference examples do."""
    name = unique("path")
    url = query_client.create_queue(name)
    form = "Action=SendMessage&Version=2012-11-05&MessageBody=by-path"
    response = raw_post({"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, form,
                        path=f"/{ACCOUNT}/{name}")
    assert response.status == 200, response.body
    assert response.xml().findtext("sqs:SendMessageResult/sqs:MessageId", namespaces=NS)
    assert query_client.receive_bodies(url) == ["by-path"]


def test_graceful_shutdown_on_sigterm(tmp_path):
    """A second server, stopped with SIGTERM, must exit 0 within a few seconds."""
    handle = start_server(tmp_path / "second.log")
    try:
        response = http_request(handle.port, "POST", "/",
                                {"Content-Type": "application/x-www-form-urlencoded"},
                                "Action=ListQueues&Version=2012-11-05", sign=True)
        assert response.status == 200
    finally:
        started = time.monotonic()
        rc, took = stop_server(handle)
    assert rc == 0, f"exit code {rc} after SIGTERM; log:\n{handle.log_text()}"
    assert took < 5, f"took {took:.1f}s to stop"
    assert time.monotonic() - started < 10


def test_shutdown_answers_parked_long_poll(tmp_path):
    """SIGTERM while a long poll is parked: the server still exits promptly and the poller gets an
    HTTP answer (an empty receive, or 503), not a dropped connection."""
    handle = start_server(tmp_path / "third.log")
    outcome: dict = {}
    try:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        created = http_request(handle.port, "POST", "/", form,
                               urllib.parse.urlencode({"Action": "CreateQueue", "QueueName": "parked",
                                                       "Version": "2012-11-05"}), sign=True)
        assert created.status == 200, created.body
        url = created.xml().findtext("sqs:CreateQueueResult/sqs:QueueUrl", namespaces=NS)

        def poll():
            try:
                outcome["response"] = http_request(
                    handle.port, "POST", "/", form,
                    urllib.parse.urlencode({"Action": "ReceiveMessage", "QueueUrl": url, "WaitTimeSeconds": "20",
                                            "Version": "2012-11-05"}), sign=True, timeout=30)
            except Exception as e:  # noqa: BLE001 - recorded and asserted on below
                outcome["error"] = e

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.5)
    finally:
        rc, took = stop_server(handle)
    poller.join(30)
    assert rc == 0, f"exit code {rc}; log:\n{handle.log_text()}"
    assert took < 5, f"took {took:.1f}s to stop with a parked long poll"
    assert "error" not in outcome, f"the long poll got no HTTP answer: {outcome.get('error')!r}"
    response = outcome["response"]
    assert response.status in (200, 503), response.body[:300]
    if response.status == 200:
        assert response.xml().find("sqs:ReceiveMessageResult/sqs:Message", NS) is None


def test_sigterm_under_load_on_many_keep_alive_connections_exits_cleanly(tmp_path):
    """SIGTERM while many keep-alive connections are mid-request or idle, several times over: every
    server exits 0 (shutdown cancels idle connections while network threads serve the others)."""
    import http.client

    for round_ in range(8):
        handle = start_server(tmp_path / f"load-{round_}.log", ["--threads", "2"])
        stop = threading.Event()

        def client():
            while not stop.is_set():
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", handle.port, timeout=5)
                    for _ in range(50):
                        if stop.is_set():
                            break
                        connection.request("POST", "/", "{}", {
                            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.ListTables",
                            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/dynamodb/"
                                             "aws4_request, SignedHeaders=host, Signature=00"})
                        connection.getresponse().read()
                    connection.close()
                except (OSError, http.client.HTTPException):
                    time.sleep(0.01)  # the server is going away: expected

        threads = [threading.Thread(target=client) for _ in range(12)]
        for thread in threads:
            thread.start()
        time.sleep(0.3 + 0.05 * round_)
        rc, took = stop_server(handle)
        stop.set()
        for thread in threads:
            thread.join(10)
        assert rc == 0, f"round {round_}: exit code {rc} after SIGTERM under load; log:\n{handle.log_text()[-3000:]}"
