"""Drop-in compatibility details that tools and test fixtures expect of a local AWS endpoint:
moto's and LocalStack's admin paths, root probes, CORS for browser code, gzip and chunked request
bodies, gzip responses, queue URLs from any host, and malformed input that must never be a 5xx."""
import gzip
import json
import socket

import pytest

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
    # CORS headers answer requests that carry an Origin (browser code); others get none, as AWS sends none.
    status, headers, body = raw_post({**_json_headers("ListQueues"), "Origin": "http://app.local"}, b"{}")
    assert status == 200, body
    assert headers["access-control-allow-origin"] == "*"
    assert "x-amzn-RequestId" in headers["access-control-expose-headers"]
    status, headers, body = raw_post(_json_headers("ListQueues"), b"{}")
    assert status == 200, body
    assert "access-control-allow-origin" not in headers


def test_gzip_request_body_is_accepted(raw_post, sqs_query):
    payload = gzip.compress(json.dumps({"QueueName": "gzipped"}).encode())
    status, _, body = raw_post({**_json_headers("CreateQueue"), "Content-Encoding": "gzip"}, payload)
    assert status == 200, body
    assert json.loads(body)["QueueUrl"].endswith("/000000000000/gzipped")
    assert sqs_query.get_queue_url(QueueName="gzipped")["QueueUrl"].endswith("/gzipped")


def test_corrupt_gzip_body_is_a_500_as_aws_answers_it(raw_post):
    # DynamoDB answers a body that is not in its Content-Encoding with a 500 (ScyllaDB's AWS-verified
    # test/alternator/test_compressed_request.py::test_broken_gzip_content); never a crash or a hang.
    status, _, body = raw_post({**_json_headers("ListQueues"), "Content-Encoding": "gzip"}, b"not gzip at all")
    assert status == 500, body


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


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("sign", [False, True])
def test_root_probe_answers_200(raw_post, method, sign):
    status, _, body = raw_post({}, b"", method=method, sign=sign)
    assert status == 200, body
    if method == "GET":
        assert body


def test_chunked_request_body(mallard):
    body = json.dumps({"QueueName": "chunked"}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:7], body[7:])) + b"0\r\n\r\n"
    request = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{mallard.port}\r\nContent-Type: application/x-amz-json-1.0\r\n"
               f"X-Amz-Target: AmazonSQS.CreateQueue\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", mallard.port), timeout=10) as sock:
        sock.sendall(request + chunks)
        reply = b""
        while piece := sock.recv(65536):
            reply += piece
    assert reply.startswith(b"HTTP/1.1 200"), reply[:300]
    assert b"/000000000000/chunked" in reply


def test_queue_url_with_a_different_host_is_accepted(sqs_query):
    url = sqs_query.create_queue(QueueName="elsewhere")["QueueUrl"]
    foreign = "http://sqs.container-name.internal:9999/000000000000/elsewhere"
    sqs_query.send_message(QueueUrl=foreign, MessageBody="via another host name")
    messages = sqs_query.receive_message(QueueUrl=url).get("Messages", [])
    assert [m["Body"] for m in messages] == ["via another host name"]


GARBAGE = [b"", b"{", b"[]", b"null", b'{"QueueName": {"nested": [1, 2, {"x": null}]}}', b"\xff\xfe\x00garbage",
           b'{"QueueUrl": 5, "MessageBody": ["x"]}', b'{"Entries": "not a list", "QueueUrl": "u"}',
           b'{"Attributes": {"VisibilityTimeout": {"a": 1}}, "QueueName": "q"}', b"[" * 5000]


@pytest.mark.parametrize("op", ["CreateQueue", "SendMessage", "SendMessageBatch", "SetQueueAttributes",
                                "ReceiveMessage", "DeleteMessageBatch", "ListQueues"])
def test_malformed_json_never_a_server_error(raw_post, op):
    for body in GARBAGE:
        status, _, reply = raw_post(_json_headers(op), body)
        assert status < 500, (op, body[:40], reply[:300])


@pytest.mark.parametrize("body", ["Action=SendMessage&QueueUrl=%ZZ", "Action=SendMessageBatch&Entries=x&"
                                  "SendMessageBatchRequestEntry.x.Id=1", "Action=CreateQueue&QueueName=",
                                  "Action=ReceiveMessage&MaxNumberOfMessages=9999999999999999999999",
                                  "Action=CreateQueue&Attribute.1.Value=5", "&&&=&=", "Action"])
def test_malformed_form_never_a_server_error(raw_post, body):
    status, _, reply = raw_post({"Content-Type": "application/x-www-form-urlencoded"}, body)
    assert 400 <= status < 500, (body, reply[:300])


def test_oversized_headers_get_an_error_not_a_reset(mallard):
    request = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{mallard.port}\r\nX-Padding: {'a' * 200_000}\r\n"
               f"Content-Length: 0\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", mallard.port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while piece := sock.recv(65536):
            reply += piece
    assert reply.startswith(b"HTTP/1.1 4"), reply[:200]


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS"])
def test_js_sdk_finds_mallard_through_endpoint_environment(mallard, tmp_path, variable):
    """The JavaScript SDK v3 reads AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE>: no code change needed."""
    import subprocess
    from pathlib import Path
    script = ("import { SQSClient, CreateQueueCommand } from '@aws-sdk/client-sqs';"
              "const out = await new SQSClient({}).send(new CreateQueueCommand({ QueueName: 'from-env' }));"
              "console.log(out.QueueUrl);")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION, variable: f"http://127.0.0.1:{mallard.port}",
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    result = subprocess.run(["node", "--input-type=module", "-e", script], cwd=Path(__file__).parent / "js", env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"http://127.0.0.1:{mallard.port}/000000000000/from-env"


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"])
def test_js_sdk_dynamodb_through_endpoint_environment(mallard, tmp_path, variable):
    """A current DynamoDB client (JavaScript SDK v3) finds Mallard from the environment alone and round-trips an
    item with an exact 38-digit number."""
    import json
    import subprocess
    from pathlib import Path
    script = """
import { DynamoDBClient, CreateTableCommand, PutItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({});
await client.send(new CreateTableCommand({ TableName: 'from-env', BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] }));
await client.send(new PutItemCommand({ TableName: 'from-env',
  Item: { pk: { S: 'k' }, n: { N: '12345678901234567890123456789012345678' } } }));
const got = await client.send(new GetItemCommand({ TableName: 'from-env', Key: { pk: { S: 'k' } } }));
console.log(JSON.stringify(got.Item));
"""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION, variable: f"http://127.0.0.1:{mallard.port}",
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    result = subprocess.run(["node", "--input-type=module", "-e", script], cwd=Path(__file__).parent / "js", env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {"pk": {"S": "k"}, "n": {"N": "12345678901234567890123456789012345678"}}


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS"])
def test_js_sdk_sts_identity_and_assumed_role_credentials(mallard, tmp_path, variable):
    """The JavaScript SDK's STS client checks its credentials against Mallard, and credentials from
    AssumeRole work on another service under the role's account."""
    import json
    import subprocess
    from pathlib import Path
    script = """
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { SQSClient, CreateQueueCommand } from '@aws-sdk/client-sqs';
const sts = new STSClient({});
const me = await sts.send(new GetCallerIdentityCommand({}));
const role = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::210987654321:role/deployer',
  RoleSessionName: 'js-session' }));
const creds = role.Credentials;
const sqs = new SQSClient({ endpoint: process.env.MALLARD_URL, credentials: { accessKeyId: creds.AccessKeyId,
  secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken } });
const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'as-role' }));
console.log(JSON.stringify({ account: me.Account, arn: me.Arn, roleUser: role.AssumedRoleUser.Arn,
  keyPrefix: creds.AccessKeyId.slice(0, 4), queue: queue.QueueUrl }));
"""
    url = f"http://127.0.0.1:{mallard.port}"
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION, variable: url, "MALLARD_URL": url,
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    result = subprocess.run(["node", "--input-type=module", "-e", script], cwd=Path(__file__).parent / "js", env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout)
    assert out["account"] == "000000000000"
    assert out["arn"] == "arn:aws:iam::000000000000:root"
    assert out["roleUser"] == "arn:aws:sts::210987654321:assumed-role/deployer/js-session"
    assert out["keyPrefix"] == "ASIA"
    assert out["queue"] == f"{url}/210987654321/as-role"


# --- DynamoDB input bounded as AWS bounds it --------------------------------------------------


def test_dynamodb_expression_longer_than_4kb_is_refused(dynamodb):
    from ddb_e2e import create_table, validation
    table = create_table(dynamodb)
    long_condition = "attribute_not_exists(pk) OR " + " OR ".join(["attribute_exists(a)"] * 200)
    assert len(long_condition) > 4096
    validation(dynamodb.put_item, contains=["Invalid ConditionExpression",
                                            "Expression size has exceeded the maximum allowed size; expression size: "
                                            + str(len(long_condition))],
               TableName=table, Item={"pk": {"S": "x"}}, ConditionExpression=long_condition)
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "x"}})


def test_dynamodb_item_nested_deeper_than_32_levels_is_refused(dynamodb):
    from ddb_e2e import create_table, validation

    def nested(levels: int) -> dict:
        value: dict = {"S": "leaf"}
        for _ in range(levels):
            value = {"M": {"m": value}}
        return value

    table = create_table(dynamodb)
    # 32 levels of containers are allowed; one more is refused with AWS's message.
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "ok"}, "deep": nested(31)})
    validation(dynamodb.put_item, contains="Nesting Levels have exceeded supported limits",
               TableName=table, Item={"pk": {"S": "too-deep"}, "deep": nested(33)})
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "too-deep"}})


def test_dynamodb_json_depth_bomb_is_a_client_error(mallard):
    from ddb_e2e import raw_call
    # 100,000 nested lists: the parser's depth bound answers at once, never a 5xx or a hang.
    bomb = ('{"TableName": "t", "Item": {"pk": ' + '{"L": [' * 100_000 + ']}' * 100_000 + "}}").encode()
    result = raw_call(mallard.port, "PutItem", bomb)
    assert 400 <= result.status < 500, (result.status, result.body[:200])
    assert result.json()["__type"].endswith(("SerializationException", "ValidationException"))
