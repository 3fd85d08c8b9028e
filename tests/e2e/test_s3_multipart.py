"""S3 multipart uploads end to end with boto3, from AWS's documented rules: the 5 MiB minimum for every
part but the last, part order, ETags of md5-of-md5s-N, ListParts / ListMultipartUploads, Abort,
UploadPartCopy with a range, and GET by partNumber."""

from __future__ import annotations

import hashlib

from s3_e2e import MIB, MSG, bucket, expect_error, multipart_etag, pattern_chunks, s3  # noqa: F401


def part_bytes(size: int, seed: int) -> bytes:
    return b"".join(pattern_chunks(size, seed))


def test_create_upload_list_complete(s3, bucket):
    key = "multi/part file ü.bin"
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-test",
                                        Metadata={"origin": "e2e"})
    upload_id = upload["UploadId"]
    assert upload["Bucket"] == bucket and upload["Key"] == key and upload_id
    parts = [part_bytes(5 * MIB, 1), part_bytes(5 * MIB, 2), b"tail!"]
    etags = []
    for number, data in enumerate(parts, start=1):
        answer = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
        assert answer["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
        etags.append(answer["ETag"])
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed["Parts"]] == \
        [(i + 1, etags[i], len(parts[i])) for i in range(3)]
    uploads = s3.list_multipart_uploads(Bucket=bucket)
    assert [(u["Key"], u["UploadId"]) for u in uploads["Uploads"]] == [(key, upload_id)]
    # Not visible as an object until completed.
    expect_error(lambda: s3.head_object(Bucket=bucket, Key=key), "404", 404, check_message=False)
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": etags[i]} for i in range(3)]})
    assert done["ETag"] == multipart_etag(parts)
    assert (done["Bucket"], done["Key"]) == (bucket, key)
    got = s3.get_object(Bucket=bucket, Key=key)
    assert hashlib.md5(got["Body"].read()).hexdigest() == hashlib.md5(b"".join(parts)).hexdigest()
    assert (got["ETag"], got["ContentType"], got["Metadata"]) == (done["ETag"], "application/x-test", {"origin": "e2e"})
    assert got["ContentLength"] == 10 * MIB + 5
    second = s3.get_object(Bucket=bucket, Key=key, PartNumber=2)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert second["ContentRange"] == f"bytes {5 * MIB}-{10 * MIB - 1}/{10 * MIB + 5}"
    assert second["PartsCount"] == 3
    assert second["Body"].read() == parts[1]
    assert s3.head_object(Bucket=bucket, Key=key, PartNumber=3)["ContentLength"] == 5
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    response = expect_error(lambda: s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id), "NoSuchUpload", 404)
    assert response["Error"].get("UploadId") == upload_id


def test_complete_with_a_subset_of_parts_in_order(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    parts = {n: part_bytes(5 * MIB, n) if n < 9 else b"last" for n in (2, 5, 9)}
    etags = {n: s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=n, Body=d)["ETag"]
             for n, d in parts.items()}
    # Part 1 re-uploaded twice: the last upload wins.
    s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1, Body=b"discard")
    etags[1] = s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=1,
                              Body=part_bytes(5 * MIB, 11))["ETag"]
    parts[1] = part_bytes(5 * MIB, 11)
    chosen = [1, 5, 9]  # part 2 uploaded but left out
    done = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": etags[n]} for n in chosen]})
    assert done["ETag"] == multipart_etag([parts[n] for n in chosen])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"".join(parts[n] for n in chosen)


def test_entity_too_small(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    first = s3.upload_part(Bucket=bucket, Key="small", UploadId=upload_id, PartNumber=1, Body=b"a" * 1024)["ETag"]
    second = s3.upload_part(Bucket=bucket, Key="small", UploadId=upload_id, PartNumber=2, Body=b"b")["ETag"]
    response = expect_error(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="small", UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first}, {"PartNumber": 2, "ETag": second}]}),
        "EntityTooSmall", 400)
    assert response["Error"].get("PartNumber") == "1"
    assert response["Error"].get("MinSizeAllowed") == str(5 * MIB)
    assert response["Error"].get("ProposedSize") == "1024"
    # A single small part is fine (the last part has no minimum).
    done = s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=upload_id,
                                        MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": second}]})
    assert done["ETag"] == multipart_etag([b"b"])


def test_invalid_part_order_and_invalid_part(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="o")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="o", UploadId=upload_id, PartNumber=n,
                            Body=part_bytes(5 * MIB, n))["ETag"] for n in (1, 2)]
    expect_error(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="o", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 2, "ETag": etags[1]}, {"PartNumber": 1, "ETag": etags[0]}]}),
        "InvalidPartOrder", 400)
    expect_error(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="o", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 2, "ETag": '"0123456789abcdef0123456789abcdef"'}]}),
        "InvalidPart", 400)
    expect_error(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="o", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 3, "ETag": etags[1]}]}),
        "InvalidPart", 400)
    expect_error(lambda: s3.upload_part(Bucket=bucket, Key="o", UploadId=upload_id, PartNumber=10001, Body=b"x"),
                 "InvalidArgument", 400, "Part number must be an integer between 1 and 10000, inclusive")
    # The upload survives failed completions.
    assert len(s3.list_parts(Bucket=bucket, Key="o", UploadId=upload_id)["Parts"]) == 2


def test_abort_and_no_such_upload(s3, bucket):
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="a")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="a", UploadId=upload_id, PartNumber=1, Body=b"x")
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="a", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    expect_error(lambda: s3.upload_part(Bucket=bucket, Key="a", UploadId=upload_id, PartNumber=2, Body=b"y"),
                 "NoSuchUpload", 404)
    expect_error(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="a", UploadId=upload_id,
                                                      MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"x"'}]}),
                 "NoSuchUpload", 404)
    expect_error(lambda: s3.abort_multipart_upload(Bucket=bucket, Key="a", UploadId="no-such-upload-id"),
                 "NoSuchUpload", 404)
    expect_error(lambda: s3.head_object(Bucket=bucket, Key="a"), "404", 404, check_message=False)


def test_upload_part_copy_with_range(s3, bucket):
    source = part_bytes(7 * MIB, 21)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="copied")["UploadId"]
    first = s3.upload_part_copy(Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "source"},
                                CopySourceRange=f"bytes=0-{5 * MIB - 1}")
    assert first["CopyPartResult"]["ETag"] == f'"{hashlib.md5(source[:5 * MIB]).hexdigest()}"'
    second = s3.upload_part_copy(Bucket=bucket, Key="copied", UploadId=upload_id, PartNumber=2,
                                 CopySource={"Bucket": bucket, "Key": "source"}, CopySourceRange="bytes=100-199")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="copied", UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]},
        {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    expected = source[:5 * MIB] + source[100:200]
    assert done["ETag"] == multipart_etag([source[:5 * MIB], source[100:200]])
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == expected


def test_list_multipart_uploads_prefix_and_paging(s3, bucket):
    ids = {}
    for key in ["a/1", "a/2", "b/1", "a/1"]:
        ids.setdefault(key, []).append(s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    listed = s3.list_multipart_uploads(Bucket=bucket, Prefix="a/")
    assert sorted(u["Key"] for u in listed["Uploads"]) == ["a/1", "a/1", "a/2"]
    assert [u["Key"] for u in listed["Uploads"]] == sorted(u["Key"] for u in listed["Uploads"]), "key order"
    rolled = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in rolled.get("CommonPrefixes", [])] == ["a/", "b/"]
    paginator = s3.get_paginator("list_multipart_uploads")
    seen = [(u["Key"], u["UploadId"]) for page in paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": 1})
            for u in page.get("Uploads", [])]
    assert sorted(seen) == sorted((k, i) for k, v in ids.items() for i in v)
