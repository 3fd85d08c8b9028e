"""Harness for the end-to-end tests (every service, the pipeline, the admin endpoints).

Starts one `mallard serve` per session on a free loopback port, resets its state before every test,
and offers clients for both SQS wire protocols:

  sqs_query  - boto3 (Debian's python3-boto3 1.26 / botocore 1.29), awsQuery protocol
  sqs_json   - @aws-sdk/client-sqs v3 driven through a long-running node helper, awsJson1.0 protocol
  sqs        - parametrized over both (a test using it runs once per protocol)
  aws_cli    - /usr/bin/aws (awscli 2.9), awsQuery protocol
  raw_post   - hand-made HTTP requests

Run: /usr/bin/python3 -m pytest tests/e2e      (server binary: $MALLARD_BIN, default build/mallard)
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

import ddb_e2e  # noqa: E402
import sns_e2e  # noqa: E402
from sqs_e2e import (  # noqa: E402
    ACCESS_KEY,
    JS_DIR,
    REGION,
    REPO_ROOT,
    SECRET_KEY,
    CliError,
    JsSqsHelper,
    ServerHandle,
    SqsClient,
    http_request,
)

# ---------------------------------------------------------------------------------------------
# Isolate every client from the user's AWS configuration and from proxies: nothing may talk to
# anything but 127.0.0.1. Done at import time so boto3 sessions created later see it.
# ---------------------------------------------------------------------------------------------

_ISOLATION_DIR = Path(tempfile.mkdtemp(prefix="mallard-e2e-aws-"))
(_ISOLATION_DIR / "config").write_text("")
(_ISOLATION_DIR / "credentials").write_text("")

for _name in list(os.environ):
    if _name.startswith("AWS_") or _name.lower() in ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy"):
        del os.environ[_name]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(_ISOLATION_DIR / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(_ISOLATION_DIR / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }
)

STARTUP_TIMEOUT = 15.0
SHUTDOWN_TIMEOUT = 5.0


def mallard_bin() -> Path:
    return Path(os.environ.get("MALLARD_BIN") or REPO_ROOT / "build" / "mallard")


def server_env() -> dict[str, str]:
    """The server's environment: ours without MALLARD_* (so no stray config/port/limits leak in).
    DynamoDB tables become ACTIVE at once (MALLARD_DDB_TABLE_TRANSITION_MS=0): tests that do not test
    the CREATING/UPDATING/DELETING transitions stay fast and deterministic; the tests that do pass
    --ddb-table-transition-ms, which wins over the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLARD_")}
    env["MALLARD_DDB_TABLE_TRANSITION_MS"] = "0"
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log_path: Path, extra_args: list[str] | None = None) -> ServerHandle:
    """Start `mallard serve` on a free port and wait for /_mallard/health; fails the test on error."""
    binary = mallard_bin()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"Mallard server binary not found or not executable: {binary}\n"
            f"Build it (cmake -B build && cmake --build build) or point MALLARD_BIN at it.",
            pytrace=False,
        )
    last_error = ""
    for _attempt in range(3):
        port = free_port()
        log = open(log_path, "ab")
        cmd = [str(binary), "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "info",
               *(extra_args or [])]
        log.write(("$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=server_env(), start_new_session=True)
        log.close()
        handle = ServerHandle(proc, port, log_path)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                last_error = f"mallard exited with {proc.returncode} during start-up"
                break
            try:
                response = http_request(port, "GET", "/_mallard/health", timeout=2)
            except OSError:
                time.sleep(0.05)
                continue
            if response.status == 200:
                try:
                    health = response.json()
                except ValueError:
                    health = None
                if not isinstance(health, dict) or not isinstance(health.get("services"), dict) \
                        or "sqs" not in health["services"]:
                    stop_server(handle)
                    pytest.fail(f"/_mallard/health answered 200 without services.sqs: {response.body[:500]!r}",
                                pytrace=False)
                handle.extra["health"] = health
                return handle
            time.sleep(0.05)
        else:
            last_error = f"/_mallard/health did not answer 200 within {STARTUP_TIMEOUT}s"
        stop_server(handle)
        if "ddress already in use" not in handle.log_text():
            break
    pytest.fail(f"could not start mallard: {last_error}\n--- server log ---\n{handle.log_text()[-5000:]}",
                pytrace=False)


def stop_server(handle: ServerHandle, timeout: float = SHUTDOWN_TIMEOUT) -> tuple[int | None, float]:
    """SIGTERM; returns (exit code or None if it had to be killed, seconds it took)."""
    started = time.monotonic()
    if handle.proc.poll() is not None:
        return handle.proc.returncode, 0.0
    handle.proc.send_signal(signal.SIGTERM)
    try:
        rc = handle.proc.wait(timeout)
        return rc, time.monotonic() - started
    except subprocess.TimeoutExpired:
        handle.proc.kill()
        handle.proc.wait(5)
        return None, time.monotonic() - started


# ---------------------------------------------------------------------------------------------
# Session fixtures
# ---------------------------------------------------------------------------------------------

_SESSION: dict = {}


def external_endpoint_port() -> int | None:
    """MALLARD_E2E_ENDPOINT=http://127.0.0.1:PORT: use that running endpoint (e.g. moto_server, to check a
    test's expectations) instead of starting mallard. Loopback only; state is reset via POST /moto-api/reset."""
    value = os.environ.get("MALLARD_E2E_ENDPOINT")
    if not value:
        return None
    match = re.fullmatch(r"http://(127\.0\.0\.1|localhost):(\d+)/?", value)
    if not match:
        pytest.fail(f"MALLARD_E2E_ENDPOINT must be http://127.0.0.1:PORT, got {value!r}", pytrace=False)
    return int(match.group(2))


@pytest.fixture(scope="session")
def mallard(tmp_path_factory) -> ServerHandle:
    log_dir = tmp_path_factory.mktemp("mallard")
    port = external_endpoint_port()
    if port is not None:
        (log_dir / "mallard.log").write_text("(external endpoint: no server log)\n")
        yield ServerHandle(None, port, log_dir / "mallard.log", {"external": True})
        return
    # MALLARD_E2E_SERVER_ARGS runs the whole suite against other backends, e.g.
    # "--backend-sqs redis://127.0.0.1:6379/0 --backend-dynamodb redis://127.0.0.1:6379/0".
    handle = start_server(log_dir / "mallard.log", shlex.split(os.environ.get("MALLARD_E2E_SERVER_ARGS", "")))
    _SESSION["server"] = handle
    yield handle
    rc, took = stop_server(handle)
    _SESSION["shutdown"] = (rc, took)
    if rc is None:
        pytest.fail(f"mallard did not exit within {SHUTDOWN_TIMEOUT}s of SIGTERM (killed)\n"
                    f"--- server log tail ---\n{handle.log_text()[-3000:]}", pytrace=False)
    if rc != 0:
        pytest.fail(f"mallard exited with {rc} after SIGTERM\n--- server log tail ---\n{handle.log_text()[-3000:]}",
                    pytrace=False)


@pytest.fixture(autouse=True)
def _reset_state(request, mallard):
    """Every test starts from an empty server: POST /_mallard/reset must answer 200."""
    request.node._mallard_log_offset = mallard.log_size()
    reset_path = "/moto-api/reset" if mallard.extra.get("external") else "/_mallard/reset"
    response = http_request(mallard.port, "POST", reset_path, timeout=10)
    assert response.status == 200, f"/_mallard/reset answered {response.status}: {response.body[:300]!r}"
    yield


_boto_clients: dict[str, object] = {}


def boto_sqs(mallard: ServerHandle, region: str = REGION):
    client = _boto_clients.get(region)
    if client is None:
        session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                        region_name=region)
        client = session.client(
            "sqs",
            endpoint_url=mallard.endpoint,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=40,
                          max_pool_connections=20),
        )
        _boto_clients[region] = client
    return client


@pytest.fixture
def dynamodb(mallard):
    """boto3 DynamoDB client (awsJson1.0) for us-east-1; see ddb_e2e.py for the variants."""
    return ddb_e2e.ddb_client(mallard.endpoint)


@pytest.fixture
def dynamodb_nv(mallard):
    """boto3 DynamoDB client with client-side parameter validation off, so the server's validation is what answers."""
    return ddb_e2e.ddb_client(mallard.endpoint, validate=False)


@pytest.fixture
def dynamodbstreams(mallard):
    """boto3 DynamoDB Streams client (target prefix DynamoDBStreams_20120810, signing name dynamodb)."""
    return ddb_e2e.streams_client(mallard.endpoint)


@pytest.fixture(scope="session")
def js_helper(mallard, tmp_path_factory) -> JsSqsHelper:
    if shutil.which("node") is None:
        pytest.fail("node is not installed; the awsJson tests need it", pytrace=False)
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-sqs").is_dir():
        pytest.fail(f"@aws-sdk/client-sqs is not installed: run `npm ci --prefix {JS_DIR.relative_to(REPO_ROOT)}`",
                    pytrace=False)
    helper = JsSqsHelper(mallard.endpoint, dict(os.environ),
                         tmp_path_factory.mktemp("node") / "sqs_json_client.stderr")
    _SESSION["js"] = helper
    yield helper
    helper.close()


@pytest.fixture
def sqs_query(mallard):
    """boto3 SQS client (awsQuery) for us-east-1."""
    return boto_sqs(mallard, REGION)


@pytest.fixture
def sqs_json(js_helper) -> JsSqsHelper:
    """The node helper driving the JS SDK (awsJson1.0): sqs_json.request(op, input, region=...)."""
    return js_helper


@pytest.fixture
def make_client(mallard, request):
    """make_client(protocol, region) -> SqsClient."""

    def make(protocol: str, region: str = REGION) -> SqsClient:
        if protocol == "query":
            return SqsClient("query", region, boto_client=boto_sqs(mallard, region))
        return SqsClient("json", region, js=request.getfixturevalue("js_helper"))

    return make


@pytest.fixture(params=["query", "json"])
def sqs(request, make_client) -> SqsClient:
    """A uniform SQS client; tests using it run once with boto3 (awsQuery) and once with the JS SDK (awsJson)."""
    return make_client(request.param)


@pytest.fixture
def query_client(make_client) -> SqsClient:
    return make_client("query")


@pytest.fixture
def json_client(make_client) -> SqsClient:
    return make_client("json")


@pytest.fixture
def sns(mallard):
    """boto3 SNS client (awsQuery) for us-east-1; see sns_e2e.py."""
    return sns_e2e.sns_client(mallard.endpoint)


@pytest.fixture
def sns_nv(mallard):
    """boto3 SNS client with client-side parameter validation off, so the server's validation is what answers."""
    return sns_e2e.sns_client(mallard.endpoint, validate=False)


@pytest.fixture
def sns_queues(mallard) -> sns_e2e.SnsQueues:
    """SQS queues of the same server as SNS subscribers: create(fifo=...) -> (url, arn), receive(url, n)."""
    return sns_e2e.SnsQueues(boto_sqs(mallard, REGION))


@pytest.fixture
def http_endpoint():
    """http_endpoint(script=[500, 200], default_status=200) -> a loopback sns_e2e.HttpEndpoint, closed after the test."""
    endpoints: list[sns_e2e.HttpEndpoint] = []

    def make(script=None, default_status=200) -> sns_e2e.HttpEndpoint:
        endpoint = sns_e2e.HttpEndpoint(list(script or []), default_status)
        endpoints.append(endpoint)
        return endpoint

    yield make
    for endpoint in endpoints:
        endpoint.close()


@pytest.fixture(scope="session")
def js_sns(mallard, tmp_path_factory) -> sns_e2e.JsSnsHelper:
    """The node helper driving @aws-sdk/client-sns: js_sns.call(op, input) -> {ok, output|error}."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed; the JS SDK tests need it", pytrace=False)
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-sns").is_dir():
        pytest.fail(f"@aws-sdk/client-sns is not installed: run `npm ci --prefix {JS_DIR.relative_to(REPO_ROOT)}`",
                    pytrace=False)
    helper = sns_e2e.JsSnsHelper(mallard.endpoint, dict(os.environ), tmp_path_factory.mktemp("node") / "sns_client.stderr")
    yield helper
    helper.close()


@pytest.fixture
def aws_cli(mallard):
    """aws_cli("sqs", "create-queue", "--queue-name", "x") -> parsed JSON output, or CliError."""

    def run(*args: str, region: str = REGION, timeout: float = 60):
        cmd = ["/usr/bin/aws", *args, "--endpoint-url", mallard.endpoint, "--region", region, "--output", "json",
               "--no-cli-pager"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ),
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            match = re.search(r"An error occurred \(([^)]+)\)", proc.stderr)
            return CliError(proc.returncode, proc.stderr, proc.stdout, match.group(1) if match else None)
        out = proc.stdout.strip()
        if "--debug" in args:
            return {"stdout": out, "stderr": proc.stderr}
        return json.loads(out) if out else {}

    return run


@pytest.fixture
def raw_post(mallard):
    """raw_post(headers, body, path="/", sign=True, region=..., method="POST") -> RawResponse
    (unpacks as (status, headers, body); headers lower-cased). Signed with SigV4 unless sign=False."""

    def post(headers: dict | None = None, body: bytes | str = b"", *, path: str = "/", sign: bool = True,
             region: str = REGION, method: str = "POST", timeout: float = 30):
        return http_request(mallard.port, method, path, headers or {}, body, sign=sign, region=region,
                            timeout=timeout)

    return post


# ---------------------------------------------------------------------------------------------
# Reporting: on failure, attach what the server (and the node helper) logged during the test.
# ---------------------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    server = _SESSION.get("server")
    if server is not None:
        offset = getattr(item, "_mallard_log_offset", 0)
        text = server.log_text(offset, limit=8000)
        report.sections.append(("mallard server log during this test", text or "<empty>"))
    js = _SESSION.get("js")
    if js is not None:
        tail = js.stderr_tail(2000)
        if tail.strip():
            report.sections.append(("node helper stderr (tail)", tail))


def pytest_terminal_summary(terminalreporter):
    server = _SESSION.get("server")
    if server is not None:
        terminalreporter.write_line(f"mallard server log: {server.log_path}")
    shutdown = _SESSION.get("shutdown")
    if shutdown is not None:
        rc, took = shutdown
        terminalreporter.write_line(f"mallard shutdown after SIGTERM: exit code {rc}, {took:.2f}s")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_ISOLATION_DIR, ignore_errors=True)
