#!/usr/bin/env python3
"""Writes s3_signed_requests.jsonl: S3 requests signed by botocore, the reference signer that
sigv4_s3_test.cpp verifies against (an implementation Mallard shares nothing with).

Run once and commit the output; the seed makes it reproducible for a given botocore:
    python3 tests/unit/protocol/data/make_s3_signed_requests.py [--seed 19] [--count 400]
(generated with botocore 1.43.11 from /root/.pyenv/versions/3.11.7).

Each line is one request as it would reach the server: method, the path as sent (keys encoded as
botocore encodes them: every byte but unreserved ones and '/'), the raw query, the headers, the
body (hex), the time it was signed at, and the credentials. Covered: header signatures (S3SigV4Auth)
with every payload mode S3 accepts (the body's SHA-256, UNSIGNED-PAYLOAD and the STREAMING-*
literals), presigned URLs (S3SigV4QueryAuth), SigV2 header and presigned signatures (HmacV1Auth,
HmacV1QueryAuth); keys with spaces, '+', '~', '$', unicode, "//" and "/./"; sub-resource and
ordinary query parameters; session tokens.
"""
import argparse
import datetime
import json
import random
from email.utils import formatdate
from urllib.parse import quote

import botocore
from botocore.auth import HmacV1Auth, HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLETOKEN+/=="
HOST = "localhost:4566"
NOW = 1767225600 + 3 * 86400 + 4321  # 2026-01-04T01:12:01Z

KEY_PIECES = ["a", "key", "dir/", "with space", "plus+sign", "tilde~", "dollar$", "caf\u00e9", "\u65e5\u672c",
              "//", "/./", "..", "per%cent", "q?mark", "hash#", "emoji\U0001F600", "amp&er", "eq=", "colon:", "'quote'",
              "(paren)", "star*", "comma,", "semi;", "at@", "x"]
QUERY_OPTIONS = [("uploads", None), ("versioning", None), ("prefix", "a b/c"), ("list-type", "2"), ("delimiter", "/"),
                 ("versionId", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"), ("max-keys", "10"), ("encoding-type", "url"),
                 ("uploadId", "VXBsb2FkIElE"), ("partNumber", "3"), ("response-content-type", "text/plain; charset=utf-8"),
                 ("tagging", ""), ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")]
HEADER_OPTIONS = [("Content-Type", "application/octet-stream"), ("x-amz-meta-note", "a   b  c"),
                  ("Range", "bytes=0-9"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                  ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="), ("x-amz-acl", "private"),
                  ("If-None-Match", "*"), ("x-amz-checksum-crc32", "AAAAAA==")]
PAYLOAD_MODES = ["hash", "UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
                 "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"]


class FixedClockSigV4(S3SigV4Auth):
    def __init__(self, credentials, mode):
        super().__init__(credentials, "s3", "us-east-1")
        self._mode = mode

    def payload(self, request):
        return super().payload(request) if self._mode == "hash" else self._mode


class FixedClockV1(HmacV1Auth):
    def _get_date(self):
        return formatdate(NOW, usegmt=True)


class FixedClockV1Query(HmacV1QueryAuth):
    def _get_date(self):
        return str(NOW + int(self._expires))


def random_key(rng):
    return "".join(rng.choice(KEY_PIECES) for _ in range(rng.randint(1, 4)))


def random_query(rng):
    chosen = rng.sample(QUERY_OPTIONS, rng.randint(0, 3))
    parts = []
    for name, value in chosen:
        parts.append(quote(name, safe="-_.~") if value is None else
                     quote(name, safe="-_.~") + "=" + quote(value, safe="-_.~"))
    return "&".join(parts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--out", default=__file__.rsplit("/", 1)[0] + "/s3_signed_requests.jsonl")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    botocore.auth.get_current_datetime = lambda *a, **k: datetime.datetime.utcfromtimestamp(NOW)
    with open(args.out, "w") as out:
        for index in range(args.count):
            kind = rng.choice(["v4-header", "v4-header", "v4-header", "v4-query", "v4-query", "v2-header", "v2-query"])
            method = rng.choice(["GET", "PUT", "HEAD", "DELETE", "POST"])
            path = "/bucket-" + str(rng.randint(0, 9)) + "/" + quote(random_key(rng), safe="/~")
            query = random_query(rng)
            body = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 1, 13, 100]))) if method in ("PUT", "POST") else b""
            token = SESSION_TOKEN if rng.random() < 0.2 else None
            credentials = Credentials(ACCESS_KEY, SECRET, token)
            url = "http://" + HOST + path + ("?" + query if query else "")
            headers = dict(rng.sample(HEADER_OPTIONS, rng.randint(0, 3)))
            # A presigned URL signs no payload: its body (sent, as a presigned PUT's is) is not given to
            # the signer, whose query variants would try to read it as a form.
            signed_body = body if kind.endswith("header") else b""
            request = AWSRequest(method=method, url=url, data=signed_body, headers=headers)
            mode = None
            expires = None
            if kind == "v4-header":
                mode = rng.choice(PAYLOAD_MODES)
                FixedClockSigV4(credentials, mode).add_auth(request)
            elif kind == "v4-query":
                expires = rng.choice([1, 60, 3600, 604800])
                S3SigV4QueryAuth(credentials, "s3", "us-east-1", expires=expires).add_auth(request)
            elif kind == "v2-header":
                FixedClockV1(credentials).add_auth(request)
            else:
                expires = rng.choice([1, 60, 3600])
                FixedClockV1Query(credentials, expires=expires).add_auth(request)
            signed_url = request.url
            target = signed_url[len("http://" + HOST):]
            wire_path, _, wire_query = target.partition("?")
            # HmacV1QueryAuth leaves its Expires in a Date header that a URL's user never sends.
            sent_headers = [["host", HOST]] + [[name.lower(), value if isinstance(value, str) else value.decode()]
                                                for name, value in request.headers.items()
                                                if not (kind == "v2-query" and name.lower() == "date")]
            out.write(json.dumps({
                "name": f"{index}-{kind}-{mode or ''}".rstrip("-"),
                "kind": kind,
                "payload_mode": mode or "",
                "method": method,
                "path": wire_path,
                "query": wire_query,
                "headers": sent_headers,
                "body_hex": body.hex(),
                "now_millis": NOW * 1000,
                "expires": expires or 0,
                "session_token": token or "",
            }, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
