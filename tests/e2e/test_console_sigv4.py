"""The console signs its requests with its own SigV4 code (console/lib/sigv4.js, WebCrypto). Here
that code, run by Node, signs seeded random requests — keys with spaces, reserved and non-ASCII
characters, query strings, headers with runs of blanks, bodies, session tokens — and every
signature must equal botocore's (an independent implementation) for the same request.
MALLARD_CONSOLE_SIGV4_SEED replays a run."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REPO_ROOT = Path(__file__).resolve().parents[2]
ALPHABET = "abcXYZ019 -_.~!*'()&=+;,:@$/?#[]%\"<>^`{|}\\é日本ü\t"


def random_text(rng: random.Random, low: int, high: int, alphabet: str = ALPHABET) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def make_case(rng: random.Random) -> dict:
    key = random_text(rng, 1, 30) if rng.random() < 0.9 else None
    query = [[random_text(rng, 1, 8, "abcdefgh-_.~ %&=é"), random_text(rng, 0, 10)] for _ in range(rng.randint(0, 4))]
    # Unique names (botocore's params are a dict), as the console never repeats a query name.
    query = list({name: [name, value] for name, value in query}.values())
    headers = {}
    for _ in range(rng.randint(0, 3)):
        headers["x-amz-meta-" + random_text(rng, 1, 6, "abcdef0123")] = (
            random_text(rng, 0, 3, " \t") + random_text(rng, 1, 12, "abc XYZ  019-_.") + random_text(rng, 0, 3, " "))
    if rng.random() < 0.5:
        headers["content-type"] = rng.choice(["application/octet-stream", "text/plain; charset=utf-8", "application/xml"])
    body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))) if rng.random() < 0.7 else None
    credentials = {"accessKeyId": "AKIA" + random_text(rng, 16, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
                   "secretAccessKey": random_text(rng, 40, 40, "abcdefABCDEF0123456789+/")}
    if rng.random() < 0.3:
        credentials["sessionToken"] = random_text(rng, 20, 60, "abcdefABCDEF0123456789+/=")
    return {
        "method": rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"]),
        "host": rng.choice(["127.0.0.1:4566", "localhost:45123", "[::1]:8080"]),
        "bucket": random_text(rng, 3, 12, "abcdefghij0123456789-."),
        "key": key,
        "query": query,
        "headers": headers,
        "body_hex": None if body is None else body.hex(),
        "service": "s3",
        "region": rng.choice(["us-east-1", "eu-west-2", "ap-southeast-1"]),
        "credentials": credentials,
        "epoch_ms": rng.randrange(1_500_000_000_000, 2_000_000_000_000) // 1000 * 1000,
    }


def botocore_authorization(case: dict, wire_path: str) -> str:
    body = b"" if case["body_hex"] is None else bytes.fromhex(case["body_hex"])
    when = datetime.datetime.fromtimestamp(case["epoch_ms"] / 1000, datetime.timezone.utc)
    timestamp = when.strftime("%Y%m%dT%H%M%SZ")
    request = AWSRequest(method=case["method"], url=f"http://{case['host']}{wire_path}", data=body,
                         params={name: value for name, value in case["query"]}, headers=dict(case["headers"]))
    request.headers["Host"] = case["host"]
    request.headers["X-Amz-Date"] = timestamp
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    creds = case["credentials"]
    if "sessionToken" in creds:
        request.headers["X-Amz-Security-Token"] = creds["sessionToken"]
    request.context["timestamp"] = timestamp
    auth = S3SigV4Auth(Credentials(creds["accessKeyId"], creds["secretAccessKey"], creds.get("sessionToken")),
                       case["service"], case["region"])
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    scope = f"{timestamp[:8]}/{case['region']}/{case['service']}/aws4_request"
    return (f"AWS4-HMAC-SHA256 Credential={creds['accessKeyId']}/{scope}, "
            f"SignedHeaders={auth.signed_headers(auth.headers_to_sign(request))}, Signature={signature}")


def test_console_signatures_equal_botocores_on_seeded_random_requests():
    if shutil.which("node") is None:
        pytest.fail("node is not installed; the console's signing test needs it", pytrace=False)
    seed = int(os.environ.get("MALLARD_CONSOLE_SIGV4_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    cases = [make_case(rng) for _ in range(400)]
    run = subprocess.run(["node", str(REPO_ROOT / "tests" / "browser" / "sign_cases.mjs")], input=json.dumps(cases),
                         capture_output=True, text=True, timeout=120, cwd=REPO_ROOT)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert len(results) == len(cases)
    for case, result in zip(cases, results):
        # The wire path: the bucket and each key segment percent-encoded once, RFC 3986 style.
        expected_path = "/" + urllib.parse.quote(case["bucket"], safe="-_.~") + (
            "" if case["key"] is None else "/" + urllib.parse.quote(case["key"], safe="/-_.~"))
        assert result["path"] == expected_path, (f"MALLARD_CONSOLE_SIGV4_SEED={seed}", case)
        assert result["authorization"] == botocore_authorization(case, result["path"]), (
            f"MALLARD_CONSOLE_SIGV4_SEED={seed}", case)
