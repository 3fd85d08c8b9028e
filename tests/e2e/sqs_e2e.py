"""Shared helpers for the SQS end-to-end tests (imported by conftest.py and the test modules).

Everything here talks only to 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import struct
import subprocess
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.exceptions import ClientError

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
JS_DIR = E2E_DIR / "js"

ACCOUNT = "000000000000"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
SQS_XMLNS = "http://queue.amazonaws.com/doc/2012-11-05/"
NS = {"sqs": SQS_XMLNS}

# The SQS error catalogue: JSON (awsJson1.0) shape name -> (legacy awsQuery code, HTTP status).
# Taken from the awsQueryError traits of the SQS Smithy model (as shipped in @aws-sdk/client-sqs and
# botocore's service-2.json); errors without such a trait keep their name as the query code and
# answer HTTP 400.
ERRORS: dict[str, tuple[str, int]] = {
    "QueueDoesNotExist": ("AWS.SimpleQueueService.NonExistentQueue", 400),
    "QueueNameExists": ("QueueAlreadyExists", 400),
    "QueueDeletedRecently": ("AWS.SimpleQueueService.QueueDeletedRecently", 400),
    "ReceiptHandleIsInvalid": ("ReceiptHandleIsInvalid", 404),
    "MessageNotInflight": ("AWS.SimpleQueueService.MessageNotInflight", 400),
    "PurgeQueueInProgress": ("AWS.SimpleQueueService.PurgeQueueInProgress", 403),
    "EmptyBatchRequest": ("AWS.SimpleQueueService.EmptyBatchRequest", 400),
    "TooManyEntriesInBatchRequest": ("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400),
    "BatchEntryIdsNotDistinct": ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400),
    "BatchRequestTooLong": ("AWS.SimpleQueueService.BatchRequestTooLong", 400),
    "InvalidBatchEntryId": ("AWS.SimpleQueueService.InvalidBatchEntryId", 400),
    "UnsupportedOperation": ("AWS.SimpleQueueService.UnsupportedOperation", 400),
    "OverLimit": ("OverLimit", 403),
    "ResourceNotFoundException": ("ResourceNotFoundException", 404),
    "InvalidAttributeName": ("InvalidAttributeName", 400),
    "InvalidAttributeValue": ("InvalidAttributeValue", 400),
    "InvalidParameterValue": ("InvalidParameterValue", 400),
    "MissingParameter": ("MissingParameter", 400),
    "InvalidMessageContents": ("InvalidMessageContents", 400),
}


def unique(prefix: str = "q") -> str:
    """A queue name no other test uses (names are 1-80 chars of [A-Za-z0-9_-])."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def md5_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.md5(data).hexdigest()


def md5_of_message_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """MD5 of message (or message system) attributes, per the SQS Developer Guide
    ("Calculating the MD5 message digest for message attributes"):
    sort by name; for each: 4-byte big-endian length + UTF-8 name, length + UTF-8 data type,
    one transport byte (1 = String/Number, 2 = Binary), length + value bytes."""
    buf = bytearray()

    def put(raw: bytes) -> None:
        buf.extend(struct.pack(">I", len(raw)))
        buf.extend(raw)

    for name in sorted(attributes):
        attr = attributes[name]
        data_type = attr["DataType"]
        put(name.encode("utf-8"))
        put(data_type.encode("utf-8"))
        if data_type.startswith("Binary"):
            buf.append(2)
            put(bytes(attr["BinaryValue"]))
        else:
            buf.append(1)
            put(attr["StringValue"].encode("utf-8"))
    return hashlib.md5(bytes(buf)).hexdigest()


# ---------------------------------------------------------------------------------------------
# Plain HTTP to the server (hand-made requests, optionally SigV4-signed like a real SDK would).
# ---------------------------------------------------------------------------------------------


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)

    def __iter__(self):  # allows `status, headers, body = raw_post(...)`
        return iter((self.status, self.headers, self.body))


def sign_headers(method: str, url: str, headers: dict[str, str], body: bytes, region: str = REGION) -> dict[str, str]:
    request = botocore.awsrequest.AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY), "sqs", region).add_auth(request)
    return dict(request.headers.items())


def http_request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | str = b"",
    *,
    sign: bool = False,
    region: str = REGION,
    timeout: float = 30.0,
) -> RawResponse:
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = dict(headers or {})
    host = f"127.0.0.1:{port}"
    if sign:
        headers = sign_headers(method, f"http://{host}{path}", headers, body, region)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body or method in ("POST", "PUT"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        if body:
            conn.send(body)
        response = conn.getresponse()
        data = response.read()
        return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


def parse_query_error(body: bytes, *, sqs_namespace: bool = True) -> dict[str, str]:
    """Parse an awsQuery <ErrorResponse> into {Type, Code, Message, RequestId}; asserts its shape.
    With sqs_namespace=False (a request the server could not attribute to SQS) any namespace is accepted."""
    root = ET.fromstring(body)
    namespace = SQS_XMLNS if sqs_namespace else (root.tag[1:].split("}")[0] if root.tag.startswith("{") else "")
    qualify = (lambda name: f"{{{namespace}}}{name}") if namespace else (lambda name: name)
    assert root.tag == qualify("ErrorResponse"), f"not an SQS ErrorResponse: {body[:300]!r}"
    error = root.find(qualify("Error"))
    assert error is not None, f"ErrorResponse without <Error>: {body[:300]!r}"
    out = {}
    for name in ("Type", "Code", "Message"):
        node = error.find(qualify(name))
        out[name] = node.text if node is not None and node.text is not None else None
    request_id = root.find(qualify("RequestId"))
    out["RequestId"] = request_id.text if request_id is not None else None
    return out


# ---------------------------------------------------------------------------------------------
# Uniform SQS client over both protocols.
# ---------------------------------------------------------------------------------------------


class SqsError(Exception):
    """An error the service returned, as an SDK reported it.

    code:       what the SDK calls the error. boto3 (awsQuery): the legacy query code,
                e.g. AWS.SimpleQueueService.NonExistentQueue. JS SDK (awsJson): the error name,
                e.g. QueueDoesNotExist.
    query_code: the legacy query code (boto3: same as code; JS SDK: from x-amzn-query-error).
    """

    def __init__(self, protocol, op, code, query_code, status, message, error_type=None, headers=None, raw=None):
        super().__init__(f"{protocol} {op}: HTTP {status} {code} ({query_code}): {message}")
        self.protocol = protocol
        self.op = op
        self.code = code
        self.query_code = query_code
        self.status = status
        self.message = message
        self.error_type = error_type
        self.headers = headers or {}
        self.raw = raw


class SdkClientSideError(AssertionError):
    """The JS SDK raised an error of its own (e.g. an MD5 checksum mismatch or a parse failure)."""


def _to_wire(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {k: _to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_wire(v) for v in value]
    return value


def _from_wire(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        return {k: _from_wire(v) for k, v in value.items() if k != "$metadata"}
    if isinstance(value, list):
        return [_from_wire(v) for v in value]
    return value


class JsSqsHelper:
    """The long-running node process driving @aws-sdk/client-sqs (see js/sqs_json_client.mjs); other
    SDK clients speak the same line protocol (js/sns_client.mjs) through `script` and `label`."""

    def __init__(self, endpoint: str, env: dict[str, str], stderr_path: Path, *,
                 script_name: str = "sqs_json_client.mjs", label: str = "SQS"):
        script = JS_DIR / script_name
        self.label = label
        self.stderr_path = stderr_path
        self._stderr = open(stderr_path, "wb")
        child_env = dict(env)
        child_env["MALLARD_ENDPOINT"] = endpoint
        child_env["NODE_NO_WARNINGS"] = "1"  # e.g. the SDK's "node >= 22 soon" notice
        self.proc = subprocess.Popen(
            ["node", str(script)],
            cwd=str(JS_DIR),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=child_env,
        )
        self._lock = threading.Lock()
        self._pending: dict[int, dict] = {}
        self._next_id = 0
        self._ready = threading.Event()
        self._dead: str | None = None
        self._reader = threading.Thread(target=self._read_loop, name=f"js-{label.lower()}-reader", daemon=True)
        self._reader.start()
        if not self._ready.wait(30):
            self.close()
            raise RuntimeError(f"the node {label} helper did not start; stderr: {self.stderr_tail()}")
        if self._dead:
            raise RuntimeError(f"the node {label} helper died: {self._dead}; stderr: {self.stderr_tail()}")

    def stderr_tail(self, limit: int = 4000) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def _read_loop(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                answer = json.loads(line)
            except ValueError:
                continue
            if answer.get("id") == "ready":
                self._ready.set()
                continue
            with self._lock:
                slot = self._pending.get(answer.get("id"))
            if slot is not None:
                slot["answer"] = answer
                slot["event"].set()
        self._dead = f"exited with {self.proc.wait()}"
        self._ready.set()
        with self._lock:
            for slot in self._pending.values():
                slot["event"].set()

    def request(self, op: str, input: dict | None = None, *, region: str = REGION, capture: bool = False,
                timeout: float = 60.0) -> dict:
        """Send one operation; returns the helper's raw answer {ok, output|error, wire?}."""
        if self._dead:
            raise RuntimeError(f"the node {self.label} helper is gone ({self._dead}); stderr: {self.stderr_tail()}")
        event = threading.Event()
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            slot = {"event": event, "answer": None}
            self._pending[request_id] = slot
        line = json.dumps({"id": request_id, "op": op, "input": _to_wire(input or {}), "region": region,
                           "capture": capture}) + "\n"
        try:
            assert self.proc.stdin is not None
            with self._lock:
                self.proc.stdin.write(line.encode("utf-8"))
                self.proc.stdin.flush()
            if not event.wait(timeout):
                raise TimeoutError(f"JS SDK {op} did not answer within {timeout}s")
            if slot["answer"] is None:
                raise RuntimeError(f"the node {self.label} helper died during {op}; stderr: {self.stderr_tail()}")
            return slot["answer"]
        finally:
            with self._lock:
                self._pending.pop(request_id, None)

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(5)
        except Exception:
            self.proc.kill()
        finally:
            self._stderr.close()


class SqsClient:
    """One SQS client (protocol + region) with a uniform call(op, **input) -> output dict API."""

    def __init__(self, protocol: str, region: str, boto_client=None, js: JsSqsHelper | None = None):
        assert protocol in ("query", "json")
        self.protocol = protocol
        self.region = region
        self._boto = boto_client
        self._js = js

    def __repr__(self) -> str:
        return f"SqsClient({self.protocol}, {self.region})"

    @property
    def is_json(self) -> bool:
        return self.protocol == "json"

    def call(self, op: str, **input: Any) -> dict:
        if self.protocol == "query":
            method = getattr(self._boto, botocore.xform_name(op))
            try:
                result = method(**input)
            except ClientError as e:
                error = e.response.get("Error", {})
                meta = e.response.get("ResponseMetadata", {})
                raise SqsError("query", op, error.get("Code"), error.get("Code"), meta.get("HTTPStatusCode"),
                               error.get("Message"), error.get("Type"), meta.get("HTTPHeaders"), e.response) from None
            result = dict(result)
            result.pop("ResponseMetadata", None)
            return result
        answer = self._js.request(op, input, region=self.region)
        if answer["ok"]:
            return _from_wire(answer["output"])
        error = answer["error"]
        if error.get("clientSide"):
            raise SdkClientSideError(f"JS SDK {op} failed on the client side: {error.get('name')}: "
                                     f"{error.get('message')}\n{error.get('stack')}")
        raise SqsError("json", op, error.get("name"), error.get("Code"), error.get("httpStatusCode"),
                       error.get("message"), error.get("Type"), error.get("headers"), error)

    # Conveniences used by many tests --------------------------------------------------------

    def create_queue(self, name: str | None = None, attributes: dict | None = None, tags: dict | None = None) -> str:
        input: dict[str, Any] = {"QueueName": name or unique()}
        if attributes:
            input["Attributes"] = attributes
        if tags:
            input["tags"] = tags
        return self.call("CreateQueue", **input)["QueueUrl"]

    def queue_attributes(self, url: str, *names: str) -> dict[str, str]:
        return self.call("GetQueueAttributes", QueueUrl=url, AttributeNames=list(names or ["All"])).get("Attributes", {})

    def queue_arn(self, url: str) -> str:
        return self.queue_attributes(url, "QueueArn")["QueueArn"]

    def send(self, url: str, body: str, **kwargs: Any) -> dict:
        return self.call("SendMessage", QueueUrl=url, MessageBody=body, **kwargs)

    def receive(self, url: str, **kwargs: Any) -> list[dict]:
        return self.call("ReceiveMessage", QueueUrl=url, **kwargs).get("Messages", [])

    def receive_bodies(self, url: str, **kwargs: Any) -> list[str]:
        return [m["Body"] for m in self.receive(url, **kwargs)]

    def drain(self, url: str, expected: int, *, timeout: float = 5.0, **kwargs: Any) -> list[dict]:
        """Receive until `expected` messages arrived (or the timeout); hides them (VisibilityTimeout 30)."""
        got: list[dict] = []
        deadline = time.monotonic() + timeout
        while len(got) < expected and time.monotonic() < deadline:
            got.extend(self.receive(url, MaxNumberOfMessages=10, VisibilityTimeout=30, **kwargs))
        return got

    def expect_error(self, expected: str, op: str, **input: Any) -> SqsError:
        """Call op and assert it fails with the catalogued error `expected` (a JSON shape name, see
        ERRORS): boto3 must report the legacy query code, the JS SDK the error name and (through
        x-amzn-query-error) the legacy code; both the catalogued HTTP status."""
        try:
            output = self.call(op, **input)
        except SqsError as e:
            check_error(e, expected)
            return e
        raise AssertionError(f"{self.protocol} {op} succeeded ({output!r}) but {expected} was expected")


def check_error(e: SqsError, expected: str) -> None:
    query_code, status = ERRORS[expected]
    if e.protocol == "query":
        assert e.code == query_code, f"expected query code {query_code}, got {e}"
        assert e.error_type == "Sender", f"expected <Type>Sender</Type>, got {e.error_type!r} in {e}"
    else:
        assert e.code == expected, f"expected JSON error {expected}, got {e}"
        assert e.query_code == query_code, (
            f"expected x-amzn-query-error {query_code};Sender, got headers {e.headers!r} ({e})")
        assert e.error_type == "Sender", f"expected x-amzn-query-error type Sender, got {e.error_type!r} ({e})"
    assert e.status == status, f"expected HTTP {status} for {expected}, got {e}"


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


@dataclass
class CliError:
    returncode: int
    stderr: str
    stdout: str
    code: str | None = None


@dataclass
class ServerHandle:
    proc: subprocess.Popen
    port: int
    log_path: Path
    extra: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def queue_url(self, name: str) -> str:
        return f"{self.endpoint}/{ACCOUNT}/{name}"

    def log_size(self) -> int:
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_text(self, offset: int = 0, limit: int = 20000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError as e:
            return f"<cannot read {self.log_path}: {e}>"
        text = data.decode("utf-8", errors="replace")
        if len(text) > limit:
            text = "...\n" + text[-limit:]
        return text
