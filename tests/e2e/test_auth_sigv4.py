"""--auth sigv4: signatures verified as AWS verifies them, errors in each protocol's shape.

One server per module runs with --auth sigv4 and keys from a credentials file and a --credential flag;
the session server (default --auth none) shows that wrong, garbage and missing signatures still pass
there. Expected codes and statuses are AWS's: SQS/STS answer awsQuery codes with 403, DynamoDB the coral
exception names with 400, SQS over awsJson the coral names with 403 and x-amzn-query-error; an unsigned
SQS request is the anonymous principal (AccessDenied), an unsigned STS or DynamoDB request misses its
authentication token.
"""
from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import types
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import contextlib
from contextlib import contextmanager
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import start_server, stop_server
from sqs_e2e import REGION, http_request

KEY = "AKIDMALLARDAUTH1"
SECRET = "right/secret+KEY1"
ACCOUNT = "111122223333"
SECOND_KEY = "AKIDMALLARDAUTH2"
SECOND_SECRET = "second-secret"
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("auth")
    credentials = directory / "credentials"
    credentials.write_text(f"# the file an SDK signs with\n[default]\naws_access_key_id = {KEY}\n"
                           f"aws_secret_access_key = {SECRET}\naws_account_id = {ACCOUNT}\n\n"
                           "[sso-profile]\nsso_start_url = https://example.invalid\n")
    handle = start_server(directory / "mallard.log", ["--auth", "sigv4", "--credentials-file", str(credentials),
                                                     "--credential", f"{SECOND_KEY}:{SECOND_SECRET}"])
    yield handle
    stop_server(handle)


def client(server, service, key=KEY, secret=SECRET, token=None):
    return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token, config=NO_RETRY)


def error_of(call):
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def signed(server, service, method, path, headers=None, body=b"", key=KEY, secret=SECRET, token=None,
           unsigned_payload=False):
    """A request signed by botocore's own SigV4Auth, sent as it is: (status, headers, body)."""
    request = AWSRequest(method=method, url=f"{server.endpoint}{path}", data=body, headers=headers or {})
    auth = botocore.auth.SigV4Auth(Credentials(key, secret, token), service, REGION)
    if unsigned_payload:
        request.headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
        auth.payload = lambda _request: "UNSIGNED-PAYLOAD"
    auth.add_auth(request)
    prepared = request.prepare()
    response = http_request(server.port, method, path, {k: v for k, v in prepared.headers.items() if k.lower() != "host"},
                            prepared.body or b"")
    return response.status, response.headers, response.body


@contextmanager
def signing_clock(moment: datetime.datetime):
    """botocore signs with this time: both its Python signer (botocore.auth) and, when awscrt is installed,
    the CRT one boto3 clients then use (botocore.crt.auth) read datetime.datetime.utcnow / now."""

    class Frozen(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return moment.replace(tzinfo=None)

        @classmethod
        def now(cls, tz=None):
            return moment if tz else moment.replace(tzinfo=None)

    shim = types.SimpleNamespace(datetime=Frozen, timezone=datetime.timezone, timedelta=datetime.timedelta)
    with contextlib.ExitStack() as patches:
        patches.enter_context(mock.patch.object(botocore.auth, "datetime", shim))
        try:
            import botocore.crt.auth as crt_auth
        except ImportError:
            crt_auth = None
        if crt_auth is not None:
            patches.enter_context(mock.patch.object(crt_auth, "datetime", shim))
        yield


def query_error(body: bytes) -> dict:
    root = ET.fromstring(body)
    namespace = root.tag[1:].split("}")[0]
    error = root.find(f"{{{namespace}}}Error")
    return {child.tag.split("}")[1]: child.text for child in error} | {"xmlns": namespace}


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


# --- the right key passes ------------------------------------------------------------------------------


def test_right_secret_passes_on_sqs_dynamodb_and_sts(auth_server):
    sqs = client(auth_server, "sqs")
    url = sqs.create_queue(QueueName="signed")["QueueUrl"]
    assert f"/{ACCOUNT}/signed" in url, "the credentials file's aws_account_id names the key's account"
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hello"
    assert client(auth_server, "dynamodb").list_tables()["TableNames"] == []
    assert client(auth_server, "sts").get_caller_identity()["Account"] == ACCOUNT
    # The --credential key, without an account: the default one.
    assert client(auth_server, "sts", SECOND_KEY, SECOND_SECRET).get_caller_identity()["Account"] == "000000000000"


def test_large_signed_body_is_verified(auth_server):
    dynamodb = client(auth_server, "dynamodb")
    dynamodb.create_table(TableName="big", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    item = {"id": {"S": "a"}, "blob": {"S": "x" * 300_000}}  # above the worker-pool threshold
    dynamodb.put_item(TableName="big", Item=item)
    assert len(dynamodb.get_item(TableName="big", Key={"id": {"S": "a"}})["Item"]["blob"]["S"]) == 300_000
    code, status, _ = error_of(lambda: client(auth_server, "dynamodb", secret="wrong").put_item(TableName="big", Item=item))
    assert (code, status) == ("InvalidSignatureException", 400)


# --- wrong secret, unknown key, no signature ------------------------------------------------------------


def test_wrong_secret_is_signature_does_not_match_on_query_protocols(auth_server):
    for service, call in (("sqs", lambda c: c.list_queues()), ("sts", lambda c: c.get_caller_identity())):
        code, status, message = error_of(lambda: call(client(auth_server, service, secret="wrong")))
        assert (code, status) == ("SignatureDoesNotMatch", 403), service
        assert message.startswith(MISMATCH + "\n\nThe Canonical String for this request should have been\n'POST\n/\n")
        assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in message


def test_wrong_secret_is_invalid_signature_exception_on_dynamodb(auth_server):
    status, headers, body = signed(auth_server, "dynamodb", "POST", "/",
                                   {"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                    "Content-Type": "application/x-amz-json-1.0"}, b"{}", secret="wrong")
    assert status == 400
    error = json.loads(body)
    assert error["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert error["message"].startswith(MISMATCH)
    code, status, _ = error_of(lambda: client(auth_server, "dynamodb", secret="wrong").list_tables())
    assert (code, status) == ("InvalidSignatureException", 400)


def test_sqs_json_protocol_errors_carry_the_query_codes(auth_server):
    headers = {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}
    status, response_headers, body = signed(auth_server, "sqs", "POST", "/", headers, b"{}", secret="wrong")
    assert status == 403
    assert json.loads(body)["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert response_headers["x-amzn-query-error"] == "SignatureDoesNotMatch;Sender"
    status, response_headers, body = signed(auth_server, "sqs", "POST", "/", headers, b"{}", key="AKIDNOBODY")
    assert status == 403
    assert json.loads(body)["__type"] == "com.amazon.coral.service#UnrecognizedClientException"
    assert response_headers["x-amzn-query-error"] == "InvalidClientTokenId;Sender"
    unsigned = http_request(auth_server.port, "POST", "/", headers, b"{}")
    assert unsigned.status == 403
    assert json.loads(unsigned.body)["__type"] == "com.amazon.coral.service#AccessDeniedException"
    assert unsigned.headers["x-amzn-query-error"] == "AccessDenied;Sender"
    assert signed(auth_server, "sqs", "POST", "/", headers, b"{}")[0] == 200


def test_unknown_key(auth_server):
    for service, call, expected in (("sqs", lambda c: c.list_queues(), ("InvalidClientTokenId", 403)),
                                    ("sts", lambda c: c.get_caller_identity(), ("InvalidClientTokenId", 403)),
                                    ("dynamodb", lambda c: c.list_tables(), ("UnrecognizedClientException", 400))):
        code, status, message = error_of(lambda: call(client(auth_server, service, key="AKIDNOBODY")))
        assert (code, status) == expected, service
        assert message == "The security token included in the request is invalid."


def test_unsigned_requests(auth_server):
    sqs = http_request(auth_server.port, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
                       "Action=ListQueues&Version=2012-11-05")
    assert sqs.status == 403
    error = query_error(sqs.body)
    assert (error["Code"], error["Type"]) == ("AccessDenied", "Sender")
    assert error["Message"] == f"Access to the resource http://127.0.0.1:{auth_server.port}/ is denied."
    sts = http_request(auth_server.port, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
                       "Action=GetCallerIdentity&Version=2011-06-15")
    assert sts.status == 403
    error = query_error(sts.body)
    assert (error["Code"], error["Message"]) == ("MissingAuthenticationToken", "Request is missing Authentication Token")
    assert error["xmlns"] == "https://sts.amazonaws.com/doc/2011-06-15/"
    dynamodb = http_request(auth_server.port, "POST", "/", {"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                                            "Content-Type": "application/x-amz-json-1.0"}, b"{}")
    assert dynamodb.status == 400
    assert json.loads(dynamodb.body) == {"__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
                                         "message": "Request is missing Authentication Token"}


def test_incomplete_signature(auth_server):
    response = http_request(auth_server.port, "POST", "/",
                            {"Content-Type": "application/x-www-form-urlencoded",
                             "Authorization": f"AWS4-HMAC-SHA256 Credential={KEY}/20240101/us-east-1/sqs/aws4_request"},
                            "Action=ListQueues")
    assert response.status == 400
    error = query_error(response.body)
    assert error["Code"] == "IncompleteSignature"
    assert error["Message"].startswith("Authorization header requires 'Signature' parameter. ")


# --- payload hash ---------------------------------------------------------------------------------------


def test_unsigned_payload_and_declared_body_hash(auth_server):
    body = b"Action=ListQueues&Version=2012-11-05"
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    assert signed(auth_server, "sqs", "POST", "/", form, body, unsigned_payload=True)[0] == 200
    # A declared hash must be the body's.
    request = AWSRequest(method="POST", url=f"{auth_server.endpoint}/", data=body,
                         headers={**form, "X-Amz-Content-SHA256": "0" * 64})
    auth = botocore.auth.SigV4Auth(Credentials(KEY, SECRET), "sqs", REGION)
    auth.payload = lambda _request: "0" * 64
    auth.add_auth(request)
    prepared = request.prepare()
    response = http_request(auth_server.port, "POST", "/",
                            {k: v for k, v in prepared.headers.items() if k.lower() != "host"}, body)
    assert response.status == 403
    error = query_error(response.body)
    assert (error["Code"], error["Message"]) == (
        "SignatureDoesNotMatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")


# --- clocks and presigned URLs --------------------------------------------------------------------------


def test_skewed_clock_is_refused(auth_server):
    with signing_clock(utc_now() - datetime.timedelta(minutes=20)):
        code, status, message = error_of(lambda: client(auth_server, "sqs").list_queues())
        assert (code, status) == ("SignatureDoesNotMatch", 403)
        assert message.startswith("Signature expired: ") and message.endswith(" - 15 min.)")
        code, status, message = error_of(lambda: client(auth_server, "dynamodb").list_tables())
        assert (code, status) == ("InvalidSignatureException", 400)
        assert message.startswith("Signature expired: ")
    with signing_clock(utc_now() + datetime.timedelta(minutes=20)):
        code, status, message = error_of(lambda: client(auth_server, "sqs").list_queues())
        assert (code, status) == ("SignatureDoesNotMatch", 403)
        assert message.startswith("Signature not yet current: ")
    with signing_clock(utc_now() - datetime.timedelta(minutes=10)):
        client(auth_server, "sqs").list_queues()  # inside the window


def fetch(url, method="GET"):
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def presigned_get(server, query, expires):
    """A presigned GET built with botocore's SigV4QueryAuth (X-Amz-* parameters, only Host signed)."""
    request = AWSRequest(method="GET", url=f"{server.endpoint}/?{query}")
    botocore.auth.SigV4QueryAuth(Credentials(KEY, SECRET), "sqs", REGION, expires=expires).add_auth(request)
    return request.prepare().url


def test_presigned_url_passes_and_expires(auth_server):
    sqs = client(auth_server, "sqs")
    sqs.create_queue(QueueName="presigned")
    # botocore presigns awsQuery operations for POST (their HTTP method), parameters in the URL.
    url = sqs.generate_presigned_url("list_queues", Params={"QueueNamePrefix": "pre"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    status, body = fetch(url, "POST")
    assert status == 200, body
    assert b"/presigned</QueueUrl>" in body
    status, body = fetch(url.replace("QueueNamePrefix=pre", "QueueNamePrefix=pres"), "POST")
    assert (status, query_error(body)["Code"]) == (403, "SignatureDoesNotMatch")
    # A presigned GET, as a browser or curl would follow it.
    url = presigned_get(auth_server, "Action=ListQueues&Version=2012-11-05&QueueNamePrefix=pre", 300)
    status, body = fetch(url)
    assert status == 200, body
    assert b"/presigned</QueueUrl>" in body
    status, body = fetch(url, "POST")
    assert (status, query_error(body)["Code"]) == (403, "SignatureDoesNotMatch"), "the method is signed"
    # Signed ten minutes ago for five minutes: expired. For an hour: still good.
    with signing_clock(utc_now() - datetime.timedelta(minutes=10)):
        expired = presigned_get(auth_server, "Action=ListQueues&Version=2012-11-05", 300)
        longer = presigned_get(auth_server, "Action=ListQueues&Version=2012-11-05", 3600)
    status, body = fetch(expired)
    error = query_error(body)
    assert (status, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert error["Message"].startswith("Signature expired: ") and error["Message"].endswith(" - 300 sec.)")
    assert fetch(longer)[0] == 200
    too_long = presigned_get(auth_server, "Action=ListQueues&Version=2012-11-05", 604801)
    status, body = fetch(too_long)
    assert (status, query_error(body)["Code"]) == (400, "IncompleteSignature")


# --- STS session credentials ----------------------------------------------------------------------------


def test_assumed_role_credentials_need_their_session_token(auth_server):
    issued = client(auth_server, "sts").assume_role(RoleArn="arn:aws:iam::444455556666:role/deployer",
                                                    RoleSessionName="ci")["Credentials"]
    key, secret, token = issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"]
    as_role = client(auth_server, "sqs", key, secret, token)
    url = as_role.create_queue(QueueName="role-queue")["QueueUrl"]
    assert "/444455556666/role-queue" in url
    assert client(auth_server, "sts", key, secret, token).get_caller_identity()["Arn"] == \
        "arn:aws:sts::444455556666:assumed-role/deployer/ci"
    assert client(auth_server, "dynamodb", key, secret, token).list_tables()["TableNames"] == []
    for name, attempt in (("no token", client(auth_server, "sqs", key, secret)),
                          ("another token", client(auth_server, "sqs", key, secret, token[:-4] + "AAAA")),
                          ("wrong secret", client(auth_server, "sqs", key, "wrong", token))):
        code, status, _ = error_of(attempt.list_queues)
        expected = ("SignatureDoesNotMatch", 403) if name == "wrong secret" else ("InvalidClientTokenId", 403)
        assert (code, status) == expected, name
    code, status, _ = error_of(client(auth_server, "dynamodb", key, secret).list_tables)
    assert (code, status) == ("UnrecognizedClientException", 400)
    session = client(auth_server, "sts").get_session_token(DurationSeconds=900)["Credentials"]
    assert client(auth_server, "sqs", session["AccessKeyId"], session["SecretAccessKey"],
                  session["SessionToken"]).list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_long_term_key_with_a_session_token_is_refused(auth_server):
    code, status, _ = error_of(client(auth_server, "sqs", token="not-a-token").list_queues)
    assert (code, status) == ("InvalidClientTokenId", 403)


# --- AWS CLI --------------------------------------------------------------------------------------------


def aws(server, *args, secret=SECRET):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": secret}
    return subprocess.run(["/usr/bin/aws", *args, "--endpoint-url", server.endpoint, "--region", REGION,
                           "--output", "json", "--no-cli-pager"], capture_output=True, text=True, timeout=60,
                          env=env, stdin=subprocess.DEVNULL)


def test_aws_cli(auth_server):
    created = aws(auth_server, "sqs", "create-queue", "--queue-name", "cli")
    assert created.returncode == 0, created.stderr
    assert f"/{ACCOUNT}/cli" in json.loads(created.stdout)["QueueUrl"]
    assert aws(auth_server, "dynamodb", "list-tables").returncode == 0
    refused = aws(auth_server, "sqs", "list-queues", secret="wrong")
    assert refused.returncode != 0 and "(SignatureDoesNotMatch)" in refused.stderr
    refused = aws(auth_server, "dynamodb", "list-tables", secret="wrong")
    assert refused.returncode != 0 and "(InvalidSignatureException)" in refused.stderr


# --- the default stays open -----------------------------------------------------------------------------


def test_default_mode_accepts_any_signature(mallard):
    for secret in ("wrong", "garbage"):
        assert client(mallard, "sqs", key="anything", secret=secret).list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert client(mallard, "dynamodb", key="anything", secret=secret).list_tables()["TableNames"] == []
    unsigned = http_request(mallard.port, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
                            "Action=ListQueues&Version=2012-11-05")
    assert unsigned.status == 200
    with signing_clock(utc_now() - datetime.timedelta(days=2)):
        assert client(mallard, "sts").get_caller_identity()["Account"] == "000000000000"


# --- configuration errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["--auth", "sigv4"], "--auth sigv4 needs credentials"),
    (["--auth", "sigv4", "--credential", "AKID:secret:12345"], "the account must be 12 digits"),
    (["--auth", "sigv4", "--credential", f"{KEY}:a", "--credential", f"{KEY}:b"], "given twice with different secrets"),
    (["--auth", "sigv4", "--credential", f"{KEY}:a:111111111111", "--account", f"{KEY}=222222222222"],
     "belongs to account 222222222222 (--account) and 111111111111"),
    (["--auth", "sigv4", "--credentials-file", "/nonexistent/credentials"], "cannot read credentials file"),
])
def test_bad_auth_configuration_exits_2(tmp_path, args, message):
    from conftest import mallard_bin, server_env
    result = subprocess.run([str(mallard_bin()), "serve", "--port", "0", *args], capture_output=True, text=True,
                            timeout=30, env=server_env(), stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stdout + result.stderr


def test_bad_account_in_credentials_file_exits_2(tmp_path):
    from conftest import mallard_bin, server_env
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[ci]\naws_access_key_id = {KEY}\naws_secret_access_key = s\naws_account_id = 42\n")
    result = subprocess.run([str(mallard_bin()), "serve", "--port", "0", "--auth", "sigv4", "--credentials-file",
                             str(credentials)], capture_output=True, text=True, timeout=30, env=server_env(),
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert "profile [ci]: aws_account_id must be 12 digits" in result.stdout + result.stderr


def test_auth_from_the_toml_file(tmp_path):
    config = tmp_path / "mallard.toml"
    config.write_text(f'[auth]\nmode = "sigv4"\ncredentials = ["{SECOND_KEY}:{SECOND_SECRET}:999988887777"]\n')
    handle = start_server(tmp_path / "mallard.log", ["--config", str(config)])
    try:
        assert client(handle, "sts", SECOND_KEY, SECOND_SECRET).get_caller_identity()["Account"] == "999988887777"
        code, status, _ = error_of(client(handle, "sts", SECOND_KEY, "wrong").get_caller_identity)
        assert (code, status) == ("SignatureDoesNotMatch", 403)
    finally:
        stop_server(handle)


def test_presigned_url_with_session_credentials(auth_server):
    issued = client(auth_server, "sts").get_session_token(DurationSeconds=900)["Credentials"]
    credentials = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    request = AWSRequest(method="GET", url=f"{auth_server.endpoint}/?Action=ListQueues&Version=2012-11-05")
    botocore.auth.SigV4QueryAuth(credentials, "sqs", REGION, expires=60).add_auth(request)
    url = request.prepare().url
    assert "X-Amz-Security-Token=" in url
    assert fetch(url)[0] == 200
    status, body = fetch(url.replace("X-Amz-Security-Token=", "X-Amz-Security-Token=x"))
    assert (status, query_error(body)["Code"]) == (403, "SignatureDoesNotMatch"), "the token is signed"


def test_javascript_sdk_v3_signatures_verify(auth_server, tmp_path):
    """@aws-sdk/client-sqs (awsJson 1.0, its own signer) against the verifier."""
    import shutil
    from sqs_e2e import JS_DIR, JsSqsHelper
    if shutil.which("node") is None or not (JS_DIR / "node_modules" / "@aws-sdk" / "client-sqs").is_dir():
        pytest.skip("node or @aws-sdk/client-sqs is not installed")
    for secret, expected_ok in ((SECRET, True), ("wrong", False)):
        env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": secret}
        helper = JsSqsHelper(auth_server.endpoint, env, tmp_path / f"node-{expected_ok}.log")
        try:
            created = helper.request("CreateQueue", {"QueueName": "from-js"})
            sent = helper.request("ListQueues", {}, capture=True)
        finally:
            helper.close()
        assert created["ok"] is expected_ok, created
        if expected_ok:
            assert created["output"]["QueueUrl"].endswith(f"/{ACCOUNT}/from-js")
            assert sent["ok"], sent
        else:
            error = created["error"]
            assert error["httpStatusCode"] == 403, error
            assert "SignatureDoesNotMatch" in (error.get("Code"), error.get("name")), error


def test_unsigned_web_identity_and_saml_federation_need_no_credentials(auth_server):
    """AssumeRoleWithWebIdentity and AssumeRoleWithSAML are smithy.api#noAuth in STS's model: AWS takes
    them unsigned. The credentials they issue then sign requests like AssumeRole's do."""
    from test_sts import jwt, saml_assertion

    token = jwt({"iss": "https://issuer.example.com", "sub": "subject-1", "aud": "app", "exp": 4102444800})
    body = ("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2Fweb"
            f"&RoleSessionName=web-session&WebIdentityToken={token}&DurationSeconds=900")
    response = http_request(auth_server.port, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"}, body)
    assert response.status == 200, response.body
    root = ET.fromstring(response.body)
    ns = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
    key = root.find(".//sts:Credentials/sts:AccessKeyId", ns).text
    secret = root.find(".//sts:Credentials/sts:SecretAccessKey", ns).text
    session_token = root.find(".//sts:Credentials/sts:SessionToken", ns).text
    assert client(auth_server, "sts", key, secret, session_token).get_caller_identity()["Arn"] == \
        "arn:aws:sts::444455556666:assumed-role/web/web-session"
    url = client(auth_server, "sqs", key, secret, session_token).create_queue(QueueName="web-queue")["QueueUrl"]
    assert "/444455556666/web-queue" in url
    code, status, _ = error_of(client(auth_server, "sqs", key, "wrong", session_token).list_queues)
    assert (code, status) == ("SignatureDoesNotMatch", 403)

    saml = boto3.client("sts", endpoint_url=auth_server.endpoint, region_name=REGION,
                        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))
    issued = saml.assume_role_with_saml(RoleArn="arn:aws:iam::111122223333:role/saml-role",
                                        PrincipalArn="arn:aws:iam::111122223333:saml-provider/corp-idp",
                                        SAMLAssertion=saml_assertion())["Credentials"]
    assert client(auth_server, "sts", issued["AccessKeyId"], issued["SecretAccessKey"],
                  issued["SessionToken"]).get_caller_identity()["Account"] == "111122223333"
    # Every other STS call still needs a signature.
    unsigned = http_request(auth_server.port, "POST", "/", {"Content-Type": "application/x-www-form-urlencoded"},
                            "Action=GetFederationToken&Version=2011-06-15&Name=bob")
    assert unsigned.status == 403
    assert query_error(unsigned.body)["Code"] == "MissingAuthenticationToken"


# --- S3 POST Object under --auth sigv4: the form's own signature over its policy is verified.

def _form_post(server, presigned, content=b"form bytes", extra=None, drop=()):
    import requests
    fields = {k: v for k, v in presigned["fields"].items() if k not in drop}
    fields.update(extra or {})
    url = f"{server.endpoint}/{presigned['url'].rstrip('/').rsplit('/', 1)[-1]}"
    return requests.post(url, data=fields, files={"file": ("f.bin", content)}, timeout=30, allow_redirects=False)


def _s3_error(response):
    root = ET.fromstring(response.content)
    return root.findtext("Code"), response.status_code, root


@pytest.fixture(scope="module")
def form_bucket(auth_server):
    s3 = client(auth_server, "s3")
    s3.create_bucket(Bucket="form-auth-bucket")
    return "form-auth-bucket"


def _s3_signer(server, version, key=KEY, secret=SECRET, token=None):
    return boto3.client("s3", endpoint_url=server.endpoint, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(signature_version=version, s3={"addressing_style": "path"}))


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_post_object_with_a_rightly_signed_policy_is_stored(auth_server, form_bucket, version):
    presigned = _s3_signer(auth_server, version).generate_presigned_post(form_bucket, f"signed-{version}.bin",
                                                                         ExpiresIn=300)
    assert ("x-amz-signature" in presigned["fields"]) == (version == "s3v4")
    response = _form_post(auth_server, presigned, b"signed form")
    assert response.status_code == 204, response.text
    got = client(auth_server, "s3").get_object(Bucket=form_bucket, Key=f"signed-{version}.bin")
    assert got["Body"].read() == b"signed form"


@pytest.mark.parametrize("version", ["s3v4", "s3"])
def test_post_object_signed_with_a_wrong_secret_or_a_changed_policy_is_refused(auth_server, form_bucket, version):
    s3 = client(auth_server, "s3")
    wrong = _s3_signer(auth_server, version, secret="not-the-secret").generate_presigned_post(
        form_bucket, "wrong-secret.bin", ExpiresIn=300)
    code, status, root = _s3_error(_form_post(auth_server, wrong))
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert root.findtext("AWSAccessKeyId") == KEY
    assert root.findtext("StringToSign") == wrong["fields"]["policy"]
    # A policy edited after signing (a larger size range, another key prefix) no longer matches.
    right = _s3_signer(auth_server, version).generate_presigned_post(
        form_bucket, "changed.bin", Conditions=[["content-length-range", 1, 5]], ExpiresIn=300)
    policy = json.loads(base64.b64decode(right["fields"]["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")]
    edited = base64.b64encode(json.dumps(policy).encode()).decode()
    code, status, _ = _s3_error(_form_post(auth_server, right, b"more than five bytes", extra={"policy": edited}))
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    for key in ("wrong-secret.bin", "changed.bin"):
        with pytest.raises(ClientError):
            s3.head_object(Bucket=form_bucket, Key=key)


def test_post_object_with_an_unknown_key_or_without_a_policy_is_refused(auth_server, form_bucket):
    unknown = _s3_signer(auth_server, "s3v4", key="AKIDNOSUCHKEY000").generate_presigned_post(
        form_bucket, "unknown.bin", ExpiresIn=300)
    code, status, root = _s3_error(_form_post(auth_server, unknown))
    assert (code, status) == ("InvalidAccessKeyId", 403)
    assert root.findtext("AWSAccessKeyId") == "AKIDNOSUCHKEY000"
    # No policy and no signing fields: an anonymous upload, which no bucket policy here allows.
    anonymous = {"url": f"{auth_server.endpoint}/{form_bucket}", "fields": {"key": "anonymous.bin"}}
    code, status, _ = _s3_error(_form_post(auth_server, anonymous))
    assert (code, status) == ("AccessDenied", 403)
    # A wrong algorithm is named as S3 names a bad argument.
    right = _s3_signer(auth_server, "s3v4").generate_presigned_post(form_bucket, "algorithm.bin", ExpiresIn=300)
    code, status, root = _s3_error(_form_post(auth_server, right, extra={"x-amz-algorithm": "AWS4-HMAC-SHA1"}))
    assert (code, status) == ("InvalidArgument", 400)
    assert root.findtext("ArgumentName") == "X-Amz-Algorithm"
    with pytest.raises(ClientError):
        client(auth_server, "s3").head_object(Bucket=form_bucket, Key="anonymous.bin")


def test_post_object_with_session_credentials_needs_their_token(auth_server, form_bucket):
    issued = client(auth_server, "sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/form", RoleSessionName="form")
    creds = issued["Credentials"]
    signer = _s3_signer(auth_server, "s3v4", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                        token=creds["SessionToken"])
    presigned = signer.generate_presigned_post(form_bucket, "session.bin", ExpiresIn=300)
    assert presigned["fields"].get("x-amz-security-token") == creds["SessionToken"]
    response = _form_post(auth_server, presigned, b"session form")
    assert response.status_code == 204, response.text
    # The same form without its token (the policy is unchanged, so the signature still matches).
    code, status, _ = _s3_error(_form_post(auth_server, presigned, drop=("x-amz-security-token",)))
    assert (code, status) == ("InvalidToken", 400)


def test_an_unsigned_multipart_post_that_is_not_a_form_upload_is_refused(auth_server, form_bucket):
    import requests
    # A multipart/form-data POST that routes to CreateMultipartUpload: let through by the gateway as a
    # possible form upload, it must be refused, not run unauthenticated.
    response = requests.post(f"{auth_server.endpoint}/{form_bucket}/sneaky.bin?uploads", files={"file": ("f", b"x")},
                             timeout=30)
    code, status, _ = _s3_error(response)
    assert (code, status) == ("AccessDenied", 403)
    listed = client(auth_server, "s3").list_multipart_uploads(Bucket=form_bucket)
    assert not listed.get("Uploads")
