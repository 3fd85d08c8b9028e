"""Drop-in compatibility details that tools and test fixtures expect of a local AWS endpoint:
moto's and LocalStack's admin paths, CORS for browser code, gzip request and response bodies."""
import gzip
import json

from sqs_e2e import REGION

JSON_SQS = {"Content-Type": "application/x-amz-json-1.0"}


def _json_headers(op: str) -> dict[str, str]:
    return {**JSON_SQS, "X-Amz-Target": f"AmazonSQS.{op}"}


def test_moto_reset_path_clears_state(raw_post, sqs_query):
    sqs_query.create_queue(QueueName="before-moto-reset")
    status, _, body = raw_post({}, b"", path="/moto-api/reset", sign=False)
    assert status == 200, body
    assert sqs_query.list_queues().get("QueueUrls", []) == []


def test_localstack_health_shape(raw_post):
    status, headers, body = raw_post({}, b"", path="/_localstack/health", sign=False, method="GET")
    assert status == 200, body
    document = json.loads(body)
    assert document["services"]["sqs"] == "running"
    assert headers.get("x-amzn-requestid")


def test_cors_preflight_and_exposed_headers(raw_post):
    status, headers, _ = raw_post(
        {"Origin": "http://app.local", "Access-Control-Request-Method": "POST",
         "Access-Control-Request-Headers": "content-type,x-amz-target,authorization"},
        b"", method="OPTIONS", sign=False)
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "x-amz-target" in headers["access-control-allow-headers"]
    status, headers, body = raw_post(_json_headers("ListQueues"), b"{}")
    assert status == 200, body
    assert headers["access-control-allow-origin"] == "*"
    assert "x-amzn-RequestId" in headers["access-control-expose-headers"]


def test_gzip_request_body_is_accepted(raw_post, sqs_query):
    payload = gzip.compress(json.dumps({"QueueName": "gzipped"}).encode())
    status, _, body = raw_post({**_json_headers("CreateQueue"), "Content-Encoding": "gzip"}, payload)
    assert status == 200, body
    assert json.loads(body)["QueueUrl"].endswith("/000000000000/gzipped")
    assert sqs_query.get_queue_url(QueueName="gzipped")["QueueUrl"].endswith("/gzipped")


def test_corrupt_gzip_body_is_a_client_error(raw_post):
    status, _, body = raw_post({**_json_headers("ListQueues"), "Content-Encoding": "gzip"}, b"not gzip at all")
    assert 400 <= status < 500, body


def test_gzip_response_when_asked(raw_post, sqs_query):
    url = sqs_query.create_queue(QueueName="big")["QueueUrl"]
    sqs_query.send_message(QueueUrl=url, MessageBody="x" * 4000)
    request = json.dumps({"QueueUrl": url, "MessageAttributeNames": ["All"]}).encode()
    status, headers, body = raw_post({**_json_headers("ReceiveMessage"), "Accept-Encoding": "gzip"}, request)
    assert status == 200
    assert headers.get("content-encoding") == "gzip"
    assert json.loads(gzip.decompress(body))["Messages"][0]["Body"] == "x" * 4000
    status, headers, body = raw_post({**_json_headers("ListQueues")}, b"{}", region=REGION)
    assert status == 200 and "content-encoding" not in headers
