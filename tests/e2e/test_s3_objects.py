"""S3 objects end to end with boto3 (Debian's 1.26) and raw HTTP: put/get/head/delete with metadata and
content headers, Content-MD5, storage class and tagging, ranges and conditions, presigned URLs,
upload_file/download_file through multipart, versioning, and a 1 GiB object streamed through a server
with `--backend-s3 file://DIR` whose RSS must stay flat and whose bytes must appear as DIR/bucket/key."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import threading
import time
import urllib.parse

import requests
from boto3.s3.transfer import TransferConfig

from s3_e2e import (  # noqa: F401
    MIB, MSG, bucket, bucket_name, expect_error, file_md5, file_server, multipart_etag, pattern_chunks,
    pattern_file, rss_bytes, s3, s3_client,
)


def md5_etag(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest()}"'


def headers_of(response) -> dict:
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers.get("x-amz-request-id"), f"no x-amz-request-id: {headers!r}"
    return headers


def test_put_get_head_delete_with_metadata_and_content_headers(s3, bucket):
    body = b"hello, mallard\n" * 100
    expires = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    put = s3.put_object(
        Bucket=bucket, Key="docs/readme.txt", Body=body, Metadata={"color": "blue", "Mixed-Case": "Value 1"},
        ContentType="text/plain; charset=utf-8", ContentDisposition='attachment; filename="r.txt"',
        ContentEncoding="identity", ContentLanguage="en-GB", CacheControl="max-age=60", Expires=expires,
        StorageClass="STANDARD_IA", Tagging="team=data&stage=test%20one")
    assert put["ETag"] == md5_etag(body)
    headers_of(put)
    got = s3.get_object(Bucket=bucket, Key="docs/readme.txt")
    assert got["Body"].read() == body
    assert got["ETag"] == md5_etag(body)
    assert got["ContentLength"] == len(body)
    assert got["Metadata"] == {"color": "blue", "mixed-case": "Value 1"}
    assert got["ContentType"] == "text/plain; charset=utf-8"
    assert got["ContentDisposition"] == 'attachment; filename="r.txt"'
    assert got["ContentEncoding"] == "identity"
    assert got["ContentLanguage"] == "en-GB"
    assert got["CacheControl"] == "max-age=60"
    assert got["Expires"] == expires
    assert got["StorageClass"] == "STANDARD_IA"
    assert got["TagCount"] == 2
    assert got["AcceptRanges"] == "bytes"
    assert isinstance(got["LastModified"], dt.datetime)
    head = s3.head_object(Bucket=bucket, Key="docs/readme.txt")
    for field in ("ETag", "ContentLength", "Metadata", "ContentType", "StorageClass", "LastModified"):
        assert head[field] == got[field], field
    tags = s3.get_object_tagging(Bucket=bucket, Key="docs/readme.txt")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("stage", "test one"), ("team", "data")]
    deleted = s3.delete_object(Bucket=bucket, Key="docs/readme.txt")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    response = expect_error(lambda: s3.get_object(Bucket=bucket, Key="docs/readme.txt"), "NoSuchKey", 404)
    assert response["Error"].get("Key") == "docs/readme.txt"
    expect_error(lambda: s3.head_object(Bucket=bucket, Key="docs/readme.txt"), "404", 404, check_message=False)
    # Deleting what is not there is still a 204.
    assert s3.delete_object(Bucket=bucket, Key="never")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_default_content_type_and_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentLength"] == 0
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert got["ContentType"] in ("binary/octet-stream", "application/octet-stream")


def test_content_md5_good_bad_and_invalid(s3, bucket):
    body = b"digest me"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    assert s3.put_object(Bucket=bucket, Key="k", Body=body, ContentMD5=good)["ETag"] == md5_etag(body)
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    expect_error(lambda: s3.put_object(Bucket=bucket, Key="k2", Body=body, ContentMD5=wrong), "BadDigest", 400)
    expect_error(lambda: s3.put_object(Bucket=bucket, Key="k3", Body=body, ContentMD5="not-base64-md5"),
                 "InvalidDigest", 400)
    # A failed upload leaves nothing behind.
    expect_error(lambda: s3.head_object(Bucket=bucket, Key="k2"), "404", 404, check_message=False)


def test_invalid_storage_class(s3, bucket):
    expect_error(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", StorageClass="PLATINUM"),
                 "InvalidStorageClass", 400, "The storage class you specified is not valid")


def test_ranges(s3, bucket):
    body = bytes(range(256)) * 4  # 1024 bytes
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    cases = {"bytes=0-9": (0, 9), "bytes=1000-": (1000, 1023), "bytes=-24": (1000, 1023),
             "bytes=1020-5000": (1020, 1023), "bytes=5-5": (5, 5)}
    for header, (first, last) in cases.items():
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206, header
        assert got["ContentRange"] == f"bytes {first}-{last}/1024", header
        assert got["Body"].read() == body[first:last + 1], header
        assert got["ContentLength"] == last - first + 1
    response = expect_error(lambda: s3.get_object(Bucket=bucket, Key="r", Range="bytes=1024-2000"),
                            "InvalidRange", 416)
    assert response["Error"].get("ActualObjectSize") == "1024"
    assert response["Error"].get("RangeRequested") == "bytes=1024-2000"
    # A range S3 cannot parse is ignored: the whole object, 200.
    whole = s3.get_object(Bucket=bucket, Key="r", Range="bytes=abc")
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 200 and whole["Body"].read() == body


def test_conditions(s3, bucket):
    body = b"conditional"
    etag = s3.put_object(Bucket=bucket, Key="c", Body=body)["ETag"]
    last_modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    past = last_modified - dt.timedelta(days=1)
    future = last_modified + dt.timedelta(days=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == body
    response = expect_error(lambda: s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"'), "PreconditionFailed", 412)
    assert response["Error"].get("Condition") == "If-Match"
    expect_error(lambda: s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past), "PreconditionFailed", 412)
    expect_error(lambda: s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag), "304", 304, check_message=False)
    expect_error(lambda: s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future), "304", 304,
                 check_message=False)
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == body
    # RFC 7232 / S3: If-Match true and If-Unmodified-Since false -> 200.
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=past)["Body"].read() == body
    # If-None-Match false and If-Modified-Since true -> 304.
    expect_error(lambda: s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=past), "304", 304,
                 check_message=False)
    expect_error(lambda: s3.head_object(Bucket=bucket, Key="c", IfMatch='"0000"'), "412", 412, check_message=False)
    expect_error(lambda: s3.head_object(Bucket=bucket, Key="c", IfNoneMatch=etag), "304", 304, check_message=False)


def test_conditional_write_if_none_match_star(s3, bucket):
    def add_if_none_match(request, **_):
        request.headers["If-None-Match"] = "*"

    client = s3_client(s3.meta.endpoint_url)
    client.meta.events.register("before-sign.s3.PutObject", add_if_none_match)
    client.put_object(Bucket=bucket, Key="once", Body=b"first")
    expect_error(lambda: client.put_object(Bucket=bucket, Key="once", Body=b"second"), "PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"


def test_response_header_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="o", ResponseContentType="application/json",
                        ResponseContentDisposition="inline", ResponseCacheControl="no-cache")
    assert (got["ContentType"], got["ContentDisposition"], got["CacheControl"]) == \
        ("application/json", "inline", "no-cache")


def test_delete_objects_quiet_and_verbose(s3, bucket):
    keys = [f"d/{i}" for i in range(25)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    verbose = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[:10] + ["nope"]]})
    assert sorted(d["Key"] for d in verbose["Deleted"]) == sorted(keys[:10] + ["nope"])
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[10:]], "Quiet": True})
    assert not quiet.get("Deleted") and not quiet.get("Errors")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_presigned_get_and_put(s3, bucket):
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre signed/ü+.bin"},
                                        ExpiresIn=300)
    body = bytes(range(256)) * 40
    put = requests.put(put_url, data=body, timeout=10)
    assert put.status_code == 200, put.text
    assert put.headers.get("ETag") == md5_etag(body)
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre signed/ü+.bin"},
                                        ExpiresIn=300)
    got = requests.get(get_url, timeout=10)
    assert (got.status_code, got.content) == (200, body)
    assert got.headers.get("x-amz-request-id")
    ranged = requests.get(get_url, headers={"Range": "bytes=10-19"}, timeout=10)
    assert (ranged.status_code, ranged.content) == (206, body[10:20])


def test_upload_file_and_download_file_multipart(s3, bucket, tmp_path):
    source, digest = pattern_file(tmp_path / "src.bin", 12 * MIB + 123, seed=7)
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=4)
    s3.upload_file(str(source), bucket, "big/file.bin", Config=config)
    head = s3.head_object(Bucket=bucket, Key="big/file.bin")
    assert head["ContentLength"] == 12 * MIB + 123
    data = source.read_bytes()
    parts = [data[i:i + 5 * MIB] for i in range(0, len(data), 5 * MIB)]
    assert head["ETag"] == multipart_etag(parts)
    target = tmp_path / "dst.bin"
    s3.download_file(bucket, "big/file.bin", str(target), Config=config)  # ranged GETs in parallel
    assert file_md5(target) == digest
    small, small_digest = pattern_file(tmp_path / "small.bin", 1000, seed=8)
    s3.upload_file(str(small), bucket, "small.bin", Config=config)
    assert s3.head_object(Bucket=bucket, Key="small.bin")["ETag"] == f'"{small_digest}"'


def test_versioning_put_twice_list_get_delete_marker(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="v", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="v", Body=b"two")["VersionId"]
    assert v1 and v2 and v1 != v2
    versions = s3.list_object_versions(Bucket=bucket)
    listed = [(v["Key"], v["VersionId"], v["IsLatest"]) for v in versions["Versions"]]
    assert listed == [("v", v2, True), ("v", v1, False)], "newest first"
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="v")["VersionId"] == v2
    marker = s3.delete_object(Bucket=bucket, Key="v")
    assert marker["DeleteMarker"] is True and marker["VersionId"]
    response = expect_error(lambda: s3.get_object(Bucket=bucket, Key="v"), "NoSuchKey", 404)
    assert response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker") == "true"
    versions = s3.list_object_versions(Bucket=bucket)
    assert [(m["VersionId"], m["IsLatest"]) for m in versions["DeleteMarkers"]] == [(marker["VersionId"], True)]
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=v2)["Body"].read() == b"two"
    expect_error(lambda: s3.delete_bucket(Bucket=bucket), "BucketNotEmpty", 409, check_message=False)
    # Removing the marker makes v2 current again.
    s3.delete_object(Bucket=bucket, Key="v", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="v", VersionId=v2)
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"one"


def test_copy_object_metadata_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", Metadata={"a": "1"}, ContentType="text/x-src")
    other = bucket_name()
    s3.create_bucket(Bucket=other)
    copied = s3.copy_object(Bucket=other, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == md5_etag(b"copy me")
    got = s3.get_object(Bucket=other, Key="dst")
    assert (got["Body"].read(), got["Metadata"], got["ContentType"]) == (b"copy me", {"a": "1"}, "text/x-src")
    s3.copy_object(Bucket=other, Key="dst2", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="text/x-new")
    got = s3.get_object(Bucket=other, Key="dst2")
    assert (got["Metadata"], got["ContentType"]) == ({"b": "2"}, "text/x-new")
    expect_error(lambda: s3.copy_object(Bucket=other, Key="dst3", CopySource={"Bucket": bucket, "Key": "src"},
                                        CopySourceIfMatch='"0000"'), "PreconditionFailed", 412)
    expect_error(lambda: s3.copy_object(Bucket=other, Key="dst3", CopySource={"Bucket": bucket, "Key": "nope"}),
                 "NoSuchKey", 404)


# --- a 1 GiB object through a file store -------------------------------------------------------------------

GIB = 1024 * MIB
RSS_GROWTH_LIMIT = 200 * MIB


class RssSampler:
    """Samples a process's RSS every 20 ms in a thread; peak - baseline is the growth."""

    def __init__(self, pid: int):
        self.pid = pid
        self.baseline = rss_bytes(pid)
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_bytes(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak - self.baseline


def test_one_gib_put_and_get_stream_through_a_file_store_in_bounded_memory(file_server):
    handle, store_dir = file_server
    client = s3_client(handle.endpoint)
    name = bucket_name()
    client.create_bucket(Bucket=name)
    key = "large/one gib.bin"
    put_url = urllib.parse.urlsplit(client.generate_presigned_url(
        "put_object", Params={"Bucket": name, "Key": key}, ExpiresIn=600))
    sampler = RssSampler(handle.proc.pid)
    digest = hashlib.md5()
    conn = http.client.HTTPConnection("127.0.0.1", handle.port, timeout=120)
    conn.putrequest("PUT", f"{put_url.path}?{put_url.query}", skip_accept_encoding=True)
    conn.putheader("Content-Length", str(GIB))
    conn.endheaders()
    for piece in pattern_chunks(GIB, seed=1234):
        digest.update(piece)
        conn.send(piece)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    put_growth = sampler.stop()
    assert response.status == 200, body[:500]
    assert response.getheader("ETag") == f'"{digest.hexdigest()}"'
    assert put_growth < RSS_GROWTH_LIMIT, f"RSS grew by {put_growth / MIB:.0f} MiB during a 1 GiB PUT"

    # The current version is the plain file DIR/bucket/key.
    plain = store_dir / name / key
    assert plain.is_file(), f"no plain file at {plain}"
    assert plain.stat().st_size == GIB
    assert file_md5(plain) == digest.hexdigest()

    get_url = urllib.parse.urlsplit(client.generate_presigned_url(
        "get_object", Params={"Bucket": name, "Key": key}, ExpiresIn=600))
    sampler = RssSampler(handle.proc.pid)
    conn = http.client.HTTPConnection("127.0.0.1", handle.port, timeout=120)
    conn.request("GET", f"{get_url.path}?{get_url.query}")
    response = conn.getresponse()
    assert response.status == 200
    got = hashlib.md5()
    received = 0
    started = time.monotonic()
    while True:
        piece = response.read(MIB)
        if not piece:
            break
        received += len(piece)
        got.update(piece)
        if received < 64 * MIB:
            time.sleep(0.001)  # a slow reader at first: the server must not buffer ahead without bound
    conn.close()
    get_growth = sampler.stop()
    assert received == GIB and got.hexdigest() == digest.hexdigest(), f"took {time.monotonic() - started:.1f}s"
    assert get_growth < RSS_GROWTH_LIMIT, f"RSS grew by {get_growth / MIB:.0f} MiB during a 1 GiB GET"


def test_empty_upload_then_next_upload_on_the_same_connection(mallard, bucket):
    """botocore sends `Expect: 100-continue` with every file-like body, an empty one too, as `aws s3 cp/sync`
    of an empty file does. The next upload on that keep-alive connection must not stall. botocore has a known
    bug here (boto/botocore#3755: the empty PUT's final answer, arriving without an interim 100 Continue,
    poisons the pooled connection and the next PUT waits for the read timeout); S3 sends 100 Continue, so
    clients never hit it against AWS, and Debian's `aws s3 sync` of a tree with an empty file stalls 60 s."""
    import io

    client = s3_client(mallard.endpoint, read_timeout=10)
    bodies = [b"", b"1", b"", b"x" * 2000, b"", b""]
    for index, body in enumerate(bodies):  # back to back: each PUT reuses the previous one's connection
        started = time.monotonic()
        client.put_object(Bucket=bucket, Key=f"expect/{index}", Body=io.BytesIO(body))
        took = time.monotonic() - started
        assert took < 3, f"PUT #{index} of {len(body)} bytes took {took:.1f}s right after an empty PUT"
    for index, body in enumerate(bodies):
        assert client.get_object(Bucket=bucket, Key=f"expect/{index}")["Body"].read() == body


def test_delete_unknown_version_ids_as_s3_answers_them(s3, bucket):
    # S3 decodes a version id before looking it up. DeleteObject: an id that names no version is
    # deleted as far as S3 says (204, the id echoed), an id S3 could not have issued is InvalidArgument.
    # DeleteObjects reports both as NoSuchVersion (LocalStack's AWS-validated snapshot).
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"kept")["VersionId"]
    unknown = "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD"
    answer = s3.delete_object(Bucket=bucket, Key="k", VersionId=unknown)
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 204 and answer["VersionId"] == unknown
    assert "DeleteMarker" not in answer
    for malformed in ("abc", "non_existing_version_id", "x" * 33, "HPniJFCxqTsMuIH9KX8K8wEjNUgmAB/D"):
        response = expect_error(lambda: s3.delete_object(Bucket=bucket, Key="k", VersionId=malformed),
                                "InvalidArgument", 400, check_message=False)
        assert response["Error"]["Message"] == "Invalid version id specified"
        assert response["Error"]["ArgumentName"] == "versionId"
        assert response["Error"]["ArgumentValue"] == malformed
    # Nothing was deleted and no delete marker was made.
    versions = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in versions["Versions"]] == [kept] and "DeleteMarkers" not in versions
    batch = s3.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "k", "VersionId": unknown}, {"Key": "k", "VersionId": "abc"}, {"Key": "gone", "VersionId": unknown}]})
    assert "Deleted" not in batch
    assert [(e["Key"], e["VersionId"], e["Code"], e["Message"]) for e in batch["Errors"]] == [
        ("k", unknown, "NoSuchVersion", "The specified version does not exist."),
        ("k", "abc", "NoSuchVersion", "The specified version does not exist."),
        ("gone", unknown, "NoSuchVersion", "The specified version does not exist."),
    ]
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"
    # "null" is well formed: in a versioned bucket with no null version it deletes nothing, successfully.
    assert s3.delete_object(Bucket=bucket, Key="k", VersionId="null")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"
