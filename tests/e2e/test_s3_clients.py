"""S3 through real clients: Debian's `aws` CLI (`aws s3` mb/ls/cp/sync/rm/rb round trips and `aws s3api`
head/get with ranges and conditions) and the JS SDK v3 (@aws-sdk/client-s3 with its default CRC32 checksums,
as a header and as an aws-chunked trailer; @aws-sdk/lib-storage's multipart Upload; GetObject with
ChecksumMode ENABLED), driven through js/s3_client.mjs."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from s3_e2e import (  # noqa: F401
    MIB, bucket, bucket_name, crc32_b64, file_md5, js_s3, multipart_etag, pattern_chunks, pattern_file, s3,
    s3_cli,
)

NAMES = ["plain.txt", "with space.txt", "ünïcödé 日本.bin", "a+b=c.dat", "dir/sub dir/nested+ü.txt"]
SIZES = {"plain.txt": 0, "with space.txt": 1, "ünïcödé 日本.bin": 5 * MIB, "a+b=c.dat": 20 * MIB,
         "dir/sub dir/nested+ü.txt": 1000}


@pytest.fixture
def tree(tmp_path):
    """A local directory of files of 0 B, 1 B, 5 MiB, 20 MiB (multipart for the CLI) and 1000 B, with
    awkward names; returns (root, {relative name: md5})."""
    root = tmp_path / "up"
    digests = {}
    for seed, name in enumerate(NAMES, start=1):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        digests[name] = pattern_file(path, SIZES[name], seed=seed)[1]
    return root, digests


def local_digests(root) -> dict[str, str]:
    return {str(p.relative_to(root)): file_md5(p) for p in sorted(root.rglob("*")) if p.is_file()}


def test_cli_mb_cp_ls_rm_rb_round_trip(s3_cli, s3, tree, tmp_path):
    root, digests = tree
    name = bucket_name("cli")
    assert f"make_bucket: {name}" in s3_cli("s3", "mb", f"s3://{name}").stdout
    assert name in s3_cli("s3", "ls").stdout
    for relative in NAMES:
        s3_cli("s3", "cp", str(root / relative), f"s3://{name}/{relative}")
    for relative in NAMES:
        head = s3.head_object(Bucket=name, Key=relative)
        assert head["ContentLength"] == SIZES[relative], relative
        if SIZES[relative] < 8 * MIB:  # the CLI's multipart threshold is 8 MiB
            assert head["ETag"] == f'"{digests[relative]}"', relative
        else:
            assert head["ETag"].endswith('-3"'), f"20 MiB in 8 MiB parts: {head['ETag']}"
    listing = s3_cli("s3", "ls", "--recursive", f"s3://{name}").stdout
    for relative in NAMES:
        assert f"{SIZES[relative]:>10} {relative}" in listing, (relative, listing)
    top = s3_cli("s3", "ls", f"s3://{name}/").stdout
    assert "PRE dir/" in top
    down = tmp_path / "down"
    for relative in NAMES:
        s3_cli("s3", "cp", f"s3://{name}/{relative}", str(down / relative))
    assert local_digests(down) == digests
    s3_cli("s3", "rm", f"s3://{name}/with space.txt")
    assert "with space.txt" not in s3_cli("s3", "ls", "--recursive", f"s3://{name}").stdout
    refused = s3_cli("s3", "rb", f"s3://{name}", check=False)
    assert refused.returncode != 0 and "BucketNotEmpty" in refused.stderr
    s3_cli("s3", "rm", "--recursive", f"s3://{name}")
    assert f"remove_bucket: {name}" in s3_cli("s3", "rb", f"s3://{name}").stdout
    assert name not in s3_cli("s3", "ls").stdout


def test_cli_sync_both_ways_and_delete(s3_cli, tree, tmp_path):
    root, digests = tree
    name = bucket_name("sync")
    s3_cli("s3", "mb", f"s3://{name}")
    s3_cli("s3", "sync", str(root), f"s3://{name}/mirror")
    down = tmp_path / "down"
    s3_cli("s3", "sync", f"s3://{name}/mirror", str(down))
    assert local_digests(down) == digests
    # A second sync uploads nothing (sizes and times match).
    assert s3_cli("s3", "sync", str(root), f"s3://{name}/mirror").stdout.strip() == ""
    (root / "plain.txt").write_bytes(b"changed")
    (root / "with space.txt").unlink()
    out = s3_cli("s3", "sync", "--delete", str(root), f"s3://{name}/mirror").stdout
    assert "upload:" in out and "plain.txt" in out and "delete:" in out and "with space.txt" in out
    s3_cli("s3", "sync", "--delete", f"s3://{name}/mirror", str(down))
    assert local_digests(down) == local_digests(root)


def test_s3api_head_and_get_with_ranges_and_conditions(s3_cli, s3, bucket, tmp_path):
    body = bytes(range(256)) * 8
    s3.put_object(Bucket=bucket, Key="api/obj", Body=body, Metadata={"k": "v"})
    head = json.loads(s3_cli("s3api", "head-object", "--bucket", bucket, "--key", "api/obj", "--output", "json").stdout)
    assert head["ContentLength"] == len(body) and head["Metadata"] == {"k": "v"}
    etag = head["ETag"]
    out = tmp_path / "part.bin"
    got = json.loads(s3_cli("s3api", "get-object", "--bucket", bucket, "--key", "api/obj", "--range", "bytes=100-299",
                            str(out), "--output", "json").stdout)
    assert got["ContentRange"] == f"bytes 100-299/{len(body)}"
    assert out.read_bytes() == body[100:300]
    s3_cli("s3api", "get-object", "--bucket", bucket, "--key", "api/obj", "--if-match", etag, str(out))
    assert out.read_bytes() == body
    failed = s3_cli("s3api", "get-object", "--bucket", bucket, "--key", "api/obj", "--if-match", '"nope"', str(out),
                    check=False)
    assert failed.returncode != 0 and "PreconditionFailed" in failed.stderr
    not_modified = s3_cli("s3api", "get-object", "--bucket", bucket, "--key", "api/obj", "--if-none-match", etag,
                          str(out), check=False)
    assert not_modified.returncode != 0 and "304" in not_modified.stderr
    bad_range = s3_cli("s3api", "get-object", "--bucket", bucket, "--key", "api/obj", "--range", "bytes=99999-",
                       str(out), check=False)
    assert bad_range.returncode != 0 and "InvalidRange" in bad_range.stderr
    missing = s3_cli("s3api", "head-object", "--bucket", bucket, "--key", "nope", check=False)
    assert missing.returncode != 0 and "404" in missing.stderr


# --- the JS SDK v3 ----------------------------------------------------------------------------------------


def ok(answer: dict) -> dict:
    assert answer["ok"], f"JS SDK error: {answer.get('error')}"
    return answer["output"]


def header(wire: dict, name: str):
    return {k.lower(): v for k, v in wire["headers"].items()}.get(name)


def test_js_put_get_with_default_crc32_header(js_s3, bucket):
    body = b"".join(pattern_chunks(300_000, seed=5))
    answer = js_s3.call("PutObject", {"Bucket": bucket, "Key": "js/header.bin", "Body": body}, capture=True)
    output = ok(answer)
    assert header(answer["wire"], "x-amz-checksum-crc32") == crc32_b64(body), "the SDK sent CRC32 (default)"
    assert output["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert output.get("ChecksumCRC32") == crc32_b64(body)
    got = ok(js_s3.call("GetObject", {"Bucket": bucket, "Key": "js/header.bin", "ChecksumMode": "ENABLED"}))
    assert base64.b64decode(got["Body"]["$bytes"]) == body
    assert got["ChecksumCRC32"] == crc32_b64(body)
    assert got.get("ChecksumType") in (None, "FULL_OBJECT")


def test_js_put_streamed_aws_chunked_with_trailer(js_s3, s3, bucket):
    body = b"".join(pattern_chunks(200_000, seed=6))
    answer = js_s3.call("PutObject", {"Bucket": bucket, "Key": "js/chunked.bin", "ContentLength": len(body),
                                      "Body": {"$stream": body}}, capture=True)
    output = ok(answer)
    wire = answer["wire"]
    assert "aws-chunked" in (header(wire, "content-encoding") or ""), wire["headers"]
    assert header(wire, "x-amz-trailer") == "x-amz-checksum-crc32", wire["headers"]
    assert header(wire, "x-amz-decoded-content-length") == str(len(body))
    assert output["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    # The stored object is the decoded payload, without the chunk framing or a content-encoding of aws-chunked.
    got = s3.get_object(Bucket=bucket, Key="js/chunked.bin")
    assert got["Body"].read() == body
    assert "aws-chunked" not in (got.get("ContentEncoding") or "")
    js_got = ok(js_s3.call("GetObject", {"Bucket": bucket, "Key": "js/chunked.bin", "ChecksumMode": "ENABLED"}))
    assert js_got["ChecksumCRC32"] == crc32_b64(body)


def test_js_lib_storage_upload_12_mib_in_5_mib_parts(js_s3, s3, bucket, tmp_path):
    path, digest = pattern_file(tmp_path / "upload.bin", 12 * MIB, seed=9)
    output = ok(js_s3.call("Upload", {"params": {"Bucket": bucket, "Key": "js/upload 12.bin", "Body": {"$file": str(path)},
                                                 "ContentType": "application/x-upload"},
                                      "partSize": 5 * MIB, "queueSize": 2}, timeout=180))
    data = path.read_bytes()
    parts = [data[i:i + 5 * MIB] for i in range(0, len(data), 5 * MIB)]
    assert output["ETag"] == multipart_etag(parts)
    head = s3.head_object(Bucket=bucket, Key="js/upload 12.bin")
    assert head["ContentLength"] == 12 * MIB and head["ContentType"] == "application/x-upload"
    got = ok(js_s3.call("GetObject", {"Bucket": bucket, "Key": "js/upload 12.bin"}))
    assert (got["BodyLength"], got["BodyMd5"]) == (12 * MIB, digest)
    # The SDK's multipart upload sends CRC32 per part: the object's checksum is COMPOSITE or FULL_OBJECT CRC32.
    checked = ok(js_s3.call("GetObject", {"Bucket": bucket, "Key": "js/upload 12.bin", "ChecksumMode": "ENABLED"}))
    if checked.get("ChecksumType") == "FULL_OBJECT":
        assert checked["ChecksumCRC32"] == crc32_b64(data)
    elif checked.get("ChecksumCRC32"):
        assert checked["ChecksumCRC32"].endswith("-3"), checked["ChecksumCRC32"]


def test_js_errors(js_s3, bucket):
    missing = js_s3.call("GetObject", {"Bucket": bucket, "Key": "nope"})
    assert not missing["ok"]
    assert (missing["error"]["name"], missing["error"]["httpStatusCode"]) == ("NoSuchKey", 404)
    assert missing["error"]["message"] == "The specified key does not exist."
    assert missing["error"]["requestId"]
    no_bucket = js_s3.call("ListObjectsV2", {"Bucket": bucket_name()})
    assert (no_bucket["error"]["name"], no_bucket["error"]["httpStatusCode"]) == ("NoSuchBucket", 404)
    bad = js_s3.call("PutObject", {"Bucket": bucket, "Key": "bad", "Body": b"abc",
                                   "ChecksumCRC32": crc32_b64(b"xyz")})
    assert not bad["ok"] and bad["error"]["name"] == "BadDigest", bad
    assert bad["error"]["message"] == "The CRC32 you specified did not match the calculated checksum."
    listed = ok(js_s3.call("ListObjectsV2", {"Bucket": bucket}))
    assert listed["KeyCount"] == 0

