"""Shared helpers for the SNS end-to-end tests (imported by conftest.py and the test_sns_* modules).

- sns_client(endpoint, region): a boto3 SNS client (awsQuery), cached per endpoint and region.
- expect_sns_error(call, code, message, status): the call fails with exactly that error.
- SnsQueues: SQS queues of the same server to subscribe, and reading what they received.
- HttpEndpoint: a loopback HTTP server a test starts in a thread; it records every request and
  answers from a script of statuses (or stalls), so delivery, retries and confirmations can be seen.
- Signature checks over AWS's canonical string, built here independently of the server.
- JsSnsHelper: the long-running node helper driving @aws-sdk/client-sns (js/sns_client.mjs).

Everything here talks only to 127.0.0.1.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from sqs_e2e import ACCESS_KEY, ACCOUNT, REGION, SECRET_KEY, JsSqsHelper, _from_wire, http_request

SNS_XMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

_clients: dict[tuple[str, str, bool], Any] = {}


def sns_client(endpoint: str, region: str = REGION, *, validate: bool = True):
    """boto3 SNS client; validate=False turns off botocore's parameter validation so the server answers."""
    key = (endpoint, region, validate)
    client = _clients.get(key)
    if client is None:
        session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                        region_name=region)
        client = session.client(
            "sns", endpoint_url=endpoint,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30,
                          max_pool_connections=20, parameter_validation=validate))
        _clients[key] = client
    return client


def unique_name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def topic_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def expect_sns_error(call: Callable[[], Any], code: str, message: str | None = None, status: int = 400,
                     *, message_prefix: str | None = None) -> dict:
    """Run call(); it must fail with error `code`, HTTP `status` and exactly `message` (or a message
    starting with message_prefix). Returns botocore's error dict."""
    try:
        result = call()
    except ClientError as e:
        error = e.response.get("Error", {})
        got_status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        described = f"HTTP {got_status} {error.get('Code')}: {error.get('Message')!r}"
        assert error.get("Code") == code, f"expected {code}, got {described}"
        if message is not None:
            assert error.get("Message") == message, f"expected message {message!r}, got {described}"
        if message_prefix is not None:
            assert (error.get("Message") or "").startswith(message_prefix), \
                f"expected a message starting {message_prefix!r}, got {described}"
        assert got_status == status, f"expected HTTP {status}, got {described}"
        assert error.get("Type") == "Sender", f"expected <Type>Sender</Type>, got {error.get('Type')!r} ({described})"
        return error
    raise AssertionError(f"expected {code} ({message!r}), but the call succeeded: {result!r}")


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


# ---------------------------------------------------------------------------------------------
# SQS queues of the same server, as subscribers.
# ---------------------------------------------------------------------------------------------


class SnsQueues:
    """Creates queues through the SQS API of the server under test and reads what arrived."""

    def __init__(self, sqs):
        self.sqs = sqs

    def create(self, name: str | None = None, *, fifo: bool = False, attributes: dict | None = None) -> tuple[str, str]:
        name = name or unique_name("q")
        attrs = dict(attributes or {})
        if fifo:
            if not name.endswith(".fifo"):
                name += ".fifo"
            attrs["FifoQueue"] = "true"
        url = self.sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def receive(self, url: str, expected: int, *, timeout: float = 5.0, delete: bool = True) -> list[dict]:
        """Receive until `expected` messages arrived or the timeout passed (then returns what came);
        messages are deleted, so a FIFO group's next message becomes visible."""
        got: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(got) < expected:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            answer = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30,
                                              WaitTimeSeconds=min(1, max(0, int(remaining))),
                                              MessageAttributeNames=["All"], AttributeNames=["All"])
            messages = answer.get("Messages", [])
            got.extend(messages)
            if delete and messages:
                self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
        return got

    def receive_now(self, url: str) -> list[dict]:
        """Everything visible right now (Publish answers only once every queue holds its copy)."""
        got: list[dict] = []
        while True:
            messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30,
                                                MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
            if not messages:
                return got
            got.extend(messages)

    def one_envelope(self, url: str, timeout: float = 5.0) -> dict:
        messages = self.receive(url, 1, timeout=timeout)
        assert len(messages) == 1, f"expected one message in {url}, got {messages!r}"
        return json.loads(messages[0]["Body"])


# ---------------------------------------------------------------------------------------------
# A loopback HTTP endpoint, as an SNS http subscriber.
# ---------------------------------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    at: float

    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))

    @property
    def message_type(self) -> str | None:
        return self.headers.get("x-amz-sns-message-type")


@dataclass
class HttpEndpoint:
    """Records requests; answers statuses from `script` in order, then `default_status`.
    A status of None stalls the request (no answer) until close()."""

    script: list[int | None] = field(default_factory=list)
    default_status: int | None = 200
    requests: list[ReceivedRequest] = field(default_factory=list)
    tls: bool = False  # https://, with a self-signed certificate made for the endpoint

    def __post_init__(self):
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._released = threading.Event()
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status = endpoint._record(ReceivedRequest(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic()))
                if status is None:
                    endpoint._released.wait(60)
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST
            do_PUT = do_POST

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self.tls:
            import ssl
            import tempfile
            directory = Path(tempfile.mkdtemp(prefix="mallard-sns-tls-"))
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-keyout", str(directory / "key.pem"),
                            "-out", str(directory / "cert.pem")], check=True, capture_output=True)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="sns-http-endpoint", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self._server.server_address[1]}/sns"

    def _record(self, request: ReceivedRequest) -> int | None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()
            index = len(self.requests) - 1
            return self.script[index] if index < len(self.script) else self.default_status

    def of_type(self, message_type: str) -> list[ReceivedRequest]:
        with self._lock:
            return [r for r in self.requests if r.message_type == message_type]

    def wait(self, count: int, message_type: str | None = None, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Wait until `count` requests (of that message type) arrived; returns them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                matching = [r for r in self.requests if message_type is None or r.message_type == message_type]
                if len(matching) >= count:
                    return matching
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.url} got {len(matching)} {message_type or 'request'}(s), "
                                         f"expected {count} within {timeout}s; all: "
                                         f"{[(r.message_type, r.body[:120]) for r in self.requests]!r}")
                self._changed.wait(remaining)

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()


def confirm_by_get(url: str) -> tuple[int, bytes]:
    """GET a SubscribeURL/UnsubscribeURL as a subscriber would (plain, unsigned)."""
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname == "127.0.0.1", f"the URL does not point back at the server under test: {url}"
    path = parts.path + ("?" + parts.query if parts.query else "")
    response = http_request(parts.port, "GET", path, timeout=10)
    return response.status, response.body


def subscribe_http(sns, topic: str, endpoint: HttpEndpoint, attributes: dict | None = None,
                   *, confirm: bool = True) -> str:
    """Subscribe `endpoint`, wait for its SubscriptionConfirmation and (by default) confirm it by GET."""
    before = len(endpoint.of_type("SubscriptionConfirmation"))
    kwargs: dict[str, Any] = {"TopicArn": topic, "Protocol": "https" if endpoint.tls else "http", "Endpoint": endpoint.url,
                              "ReturnSubscriptionArn": True}
    if attributes:
        kwargs["Attributes"] = attributes
    arn = sns.subscribe(**kwargs)["SubscriptionArn"]
    confirmation = endpoint.wait(before + 1, "SubscriptionConfirmation")[-1].json()
    if confirm:
        status, body = confirm_by_get(confirmation["SubscribeURL"])
        assert status == 200, f"GET SubscribeURL answered {status}: {body[:300]!r}"
    return arn


# ---------------------------------------------------------------------------------------------
# Signatures, per "Verifying the signatures of Amazon SNS messages" (SNS Developer Guide).
# ---------------------------------------------------------------------------------------------

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def canonical_string(envelope: dict) -> bytes:
    """Each signed key (in this byte order) then its value, each on its own line; Subject only when present."""
    keys = NOTIFICATION_KEYS if envelope["Type"] == "Notification" else CONFIRMATION_KEYS
    out = ""
    for key in keys:
        if key == "Subject" and key not in envelope:
            continue
        out += f"{key}\n{envelope[key]}\n"
    return out.encode("utf-8")


def fetch_certificate(cert_url: str):
    from cryptography import x509

    parts = urllib.parse.urlsplit(cert_url)
    assert parts.scheme == "http" and parts.hostname == "127.0.0.1", f"SigningCertURL is not served locally: {cert_url}"
    response = http_request(parts.port, "GET", parts.path, timeout=10)
    assert response.status == 200, f"GET {cert_url} answered {response.status}: {response.body[:200]!r}"
    return x509.load_pem_x509_certificate(response.body)


def verify_envelope(envelope: dict) -> None:
    """Raises cryptography's InvalidSignature if the envelope's signature does not verify."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    version = envelope["SignatureVersion"]
    assert version in ("1", "2"), f"unknown SignatureVersion {version!r}"
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    certificate = fetch_certificate(envelope["SigningCertURL"])
    certificate.public_key().verify(base64.b64decode(envelope["Signature"]), canonical_string(envelope),
                                    padding.PKCS1v15(), algorithm)


# ---------------------------------------------------------------------------------------------
# The JS SDK v3 (@aws-sdk/client-sns), through js/sns_client.mjs.
# ---------------------------------------------------------------------------------------------


class JsSnsHelper(JsSqsHelper):
    """The node process driving @aws-sdk/client-sns (js/sns_client.mjs), on the SQS helper's line protocol."""

    def __init__(self, endpoint: str, env: dict[str, str], stderr_path: Path):
        super().__init__(endpoint, env, stderr_path, script_name="sns_client.mjs", label="SNS")

    def call(self, op: str, input: dict | None = None, *, region: str = REGION, timeout: float = 30.0) -> dict:
        """The helper's answer: {"ok": true, "output": {..., "$metadata": ...}} or {"ok": false, "error": {...}}."""
        answer = self.request(op, input, region=region, timeout=timeout)
        if answer.get("ok"):
            metadata = answer["output"].get("$metadata")
            answer["output"] = _from_wire(answer["output"])
            answer["output"]["$metadata"] = metadata
        return answer
