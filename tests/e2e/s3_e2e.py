"""Helpers and fixtures for the S3 end-to-end tests (test_s3_*.py).

The expectations come from AWS's documented behaviour and from the error texts real AWS sent
(.notes/s3-aws-errors.txt), not from Mallard's code:

  s3_client(endpoint, ...)      boto3 S3 client (Debian's boto3 1.26), path-style by default
  s3 / bucket fixtures          a client and a fresh bucket per test
  expect_error(call, code, status, message)   checks an S3 error's code, HTTP status and message
  s3_cli fixture                /usr/bin/aws (Debian's CLI) against the session server
  JsS3Helper / js_s3 fixture    the node helper driving @aws-sdk/client-s3 + lib-storage (js/s3_client.mjs)
  pattern_file(path, size, seed)  a file of reproducible bytes, written in chunks (never one big bytes object)
  file_server fixture           a server of our own with --backend-s3 file://DIR

Fixtures are imported into each test module (`from s3_e2e import ...`): conftest.py is shared by every
service and stays untouched.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import uuid
import zlib
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import start_server, stop_server
from sqs_e2e import ACCESS_KEY, JS_DIR, REGION, REPO_ROOT, SECRET_KEY, JsSqsHelper

OTHER_REGION = "eu-west-1"
MIB = 1024 * 1024

# Messages real AWS sends (.notes/s3-aws-errors.txt).
MSG = {
    "NoSuchBucket": "The specified bucket does not exist",
    "NoSuchKey": "The specified key does not exist.",
    "BucketAlreadyOwnedByYou": "Your previous request to create the named bucket succeeded and you already own it.",
    "BucketNotEmpty": "The bucket you tried to delete is not empty",
    "InvalidBucketName": "The specified bucket is not valid.",
    "InvalidRange": "The requested range is not satisfiable",
    "PreconditionFailed": "At least one of the pre-conditions you specified did not hold",
    "BadDigest": "The Content-MD5 you specified did not match what we received.",
    "InvalidDigest": "The Content-MD5 you specified was invalid.",
    "NoSuchVersion": "The specified version does not exist.",
    "NoSuchUpload": "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
                    "aborted or completed.",
    "EntityTooSmall": "Your proposed upload is smaller than the minimum allowed size",
    "InvalidPartOrder": "The list of parts was not in ascending order. Parts must be ordered by part number.",
    "InvalidPart": "One or more of the specified parts could not be found.  The part may not have been uploaded, or "
                   "the specified entity tag may not match the part's entity tag.",
}


def require_request_id(http_response, model, **_):
    """S3 puts x-amz-request-id on every answer (success, error, 304, HEAD): checked on every boto3 call."""
    if not http_response.headers.get("x-amz-request-id"):
        raise AssertionError(f"{model.name} answered {http_response.status_code} without x-amz-request-id: "
                             f"{dict(http_response.headers)!r}")


def s3_client(endpoint: str, region: str = REGION, *, virtual: bool = False, **config):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                    region_name=region)
    client = session.client(
        "s3", endpoint_url=endpoint,
        config=Config(s3={"addressing_style": "virtual" if virtual else "path"},
                      signature_version="s3v4",
                      **{"retries": {"max_attempts": 1, "mode": "standard"}, "connect_timeout": 5, "read_timeout": 120,
                         **config}))
    client.meta.events.register("after-call.s3", require_request_id)
    return client


def bucket_name(prefix: str = "e2e") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def expect_error(call, code: str, status: int, message: str | None = None, *, check_message: bool = True) -> dict:
    """Run call(); it must fail with this S3 error code and HTTP status, and with AWS's message for that code
    (MSG, or `message`). HEAD answers carry no body: pass check_message=False (boto3 then names the error
    by its status). Every answer must carry x-amz-request-id. Returns the error response."""
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    error = response.get("Error", {})
    got_status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert (error.get("Code"), got_status) == (code, status), f"expected {code}/{status}, got {response!r}"
    expected_message = message if message is not None else MSG.get(code)
    if check_message and expected_message is not None:
        assert error.get("Message") == expected_message, f"{code}: message {error.get('Message')!r}"
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    assert headers.get("x-amz-request-id"), f"no x-amz-request-id on the {code} answer: {headers!r}"
    return response


def pattern_chunks(size: int, seed: int, chunk: int = MIB):
    """Reproducible pseudo-random bytes, chunk by chunk (a 1 MiB block re-keyed per chunk: cheap and not
    periodic at a power of two that a store could dedupe by accident)."""
    rng = random.Random(seed)
    block = rng.randbytes(chunk)
    produced = 0
    index = 0
    while produced < size:
        n = min(chunk, size - produced)
        prefix = index.to_bytes(8, "big") + seed.to_bytes(8, "big")
        piece = (prefix + block[len(prefix):])[:n]
        yield piece
        produced += n
        index += 1


def pattern_file(path: Path, size: int, seed: int = 1) -> tuple[Path, str]:
    """Write `size` reproducible bytes to path; returns (path, md5 hex)."""
    digest = hashlib.md5()
    with open(path, "wb") as f:
        for piece in pattern_chunks(size, seed):
            digest.update(piece)
            f.write(piece)
    return path, digest.hexdigest()


def file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for piece in iter(lambda: f.read(MIB), b""):
            digest.update(piece)
    return digest.hexdigest()


def crc32_b64(data: bytes) -> str:
    import base64
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def multipart_etag(part_bytes: list[bytes]) -> str:
    """The ETag S3 gives a completed multipart upload: md5 of the parts' binary md5s, then -N."""
    joined = b"".join(hashlib.md5(p).digest() for p in part_bytes)
    return f'"{hashlib.md5(joined).hexdigest()}-{len(part_bytes)}"'


# ---------------------------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def s3(mallard):
    return s3_client(mallard.endpoint)


@pytest.fixture
def bucket(s3) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_cli(mallard):
    """s3_cli("s3", "ls") -> CompletedProcess of Debian's /usr/bin/aws against the session server."""

    def run(*args: str, region: str = REGION, timeout: float = 120, check: bool = True):
        # A 30 s read timeout (the CLI's default is 60 s): no answer here should take more than a second,
        # so a stalled request fails the test sooner.
        cmd = ["/usr/bin/aws", *args, "--endpoint-url", mallard.endpoint, "--region", region, "--no-cli-pager",
               "--cli-read-timeout", "30"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ),
                              stdin=subprocess.DEVNULL)
        if check:
            assert proc.returncode == 0, f"{' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}"
        return proc

    return run


class JsS3Helper(JsSqsHelper):
    """The node process driving @aws-sdk/client-s3 and @aws-sdk/lib-storage (js/s3_client.mjs)."""

    def __init__(self, endpoint: str, env: dict[str, str], stderr_path: Path):
        super().__init__(endpoint, env, stderr_path, script_name="s3_client.mjs", label="S3")

    def call(self, op: str, input: dict | None = None, *, region: str = REGION, capture: bool = False,
             timeout: float = 120.0) -> dict:
        return self.request(op, input, region=region, capture=capture, timeout=timeout)


@pytest.fixture(scope="session")
def js_s3(mallard, tmp_path_factory) -> JsS3Helper:
    if shutil.which("node") is None:
        pytest.fail("node is not installed; the JS SDK tests need it", pytrace=False)
    for package in ("client-s3", "lib-storage"):
        if not (JS_DIR / "node_modules" / "@aws-sdk" / package).is_dir():
            pytest.fail(f"@aws-sdk/{package} is not installed: run `npm ci --prefix {JS_DIR.relative_to(REPO_ROOT)}`",
                        pytrace=False)
    helper = JsS3Helper(mallard.endpoint, dict(os.environ), tmp_path_factory.mktemp("node") / "s3_client.stderr")
    yield helper
    helper.close()


@pytest.fixture
def file_server(tmp_path):
    """A server of our own whose S3 store is `--backend-s3 file://DIR` (memory for the rest):
    yields (handle, DIR)."""
    store_dir = tmp_path / "s3store"
    store_dir.mkdir()
    handle = start_server(tmp_path / "mallard-file.log", ["--backend-s3", f"file://{store_dir}"])
    yield handle, store_dir
    stop_server(handle)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


@pytest.fixture(scope="module")
def memory_s3(tmp_path_factory):
    """A boto3 client on a server of our own with `--backend-s3 memory`, for tests that write thousands of
    objects: the file store syncs every PUT to disk (tens of ms each on CI disks), which would cost the
    suite's time budget without testing anything more."""
    log_dir = tmp_path_factory.mktemp("mallard-memory")
    handle = start_server(log_dir / "mallard-memory.log", ["--backend-s3", "memory"])
    yield s3_client(handle.endpoint)
    stop_server(handle)
