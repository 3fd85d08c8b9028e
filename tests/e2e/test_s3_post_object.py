"""S3 POST Object (browser-based uploads) end to end: boto3's generate_presigned_post signs a policy
and `requests.post(files=...)` sends the form as a browser would. Expectations are AWS's documented
behaviour (RESTObjectPOST, "Creating a POST policy") and the error texts AWS sent
(.notes/s3-aws-errors.txt): 204 by default, 201 with a PostResponse document, 303 to a redirect
with bucket, key and etag; EntityTooLarge past content-length-range; AccessDenied for an expired
policy or a field the policy does not allow."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.parse
import xml.etree.ElementTree as ET

import requests

from s3_e2e import bucket, bucket_name, s3, s3_client  # noqa: F401


def error_of(response: requests.Response) -> tuple[str, str]:
    root = ET.fromstring(response.content)
    return root.findtext("Code"), root.findtext("Message")


def post(presigned: dict, content: bytes, filename: str = "upload.bin", extra: dict | None = None):
    fields = dict(presigned["fields"])
    fields.update(extra or {})
    # requests puts `data` fields before `files`: the file is the last field, as S3 requires.
    return requests.post(presigned["url"], data=fields, files={"file": (filename, content)}, timeout=30,
                         allow_redirects=False)


def test_presigned_post_default_204_and_the_object_reads_back(s3, bucket):
    content = os.urandom(100_000) + b"\r\n--boundary-like--\r\n"
    presigned = s3.generate_presigned_post(bucket, "uploads/${filename}", ExpiresIn=300)
    response = post(presigned, content, filename="photo.jpg")
    assert response.status_code == 204, response.text
    assert response.headers["ETag"] == f'"{hashlib.md5(content).hexdigest()}"'
    assert response.headers.get("x-amz-request-id")
    got = s3.get_object(Bucket=bucket, Key="uploads/photo.jpg")
    assert got["Body"].read() == content
    assert got["ETag"] == response.headers["ETag"]


def test_presigned_post_201_returns_post_response(s3, bucket):
    presigned = s3.generate_presigned_post(
        bucket, "doc.txt",
        Fields={"success_action_status": "201", "Content-Type": "text/plain", "x-amz-meta-owner": "alice"},
        Conditions=[{"success_action_status": "201"}, {"Content-Type": "text/plain"}, {"x-amz-meta-owner": "alice"}],
        ExpiresIn=300)
    response = post(presigned, b"hello form")
    assert response.status_code == 201, response.text
    root = ET.fromstring(response.content)
    assert root.tag.endswith("PostResponse")
    assert root.findtext("Bucket") == bucket
    assert root.findtext("Key") == "doc.txt"
    assert root.findtext("ETag") == f'"{hashlib.md5(b"hello form").hexdigest()}"'
    assert root.findtext("Location").endswith(f"/{bucket}/doc.txt")
    head = s3.head_object(Bucket=bucket, Key="doc.txt")
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"owner": "alice"}


def test_presigned_post_redirect_303(s3, bucket):
    target = "http://app.example.test/done"
    presigned = s3.generate_presigned_post(bucket, "r.txt", Fields={"success_action_redirect": target},
                                           Conditions=[{"success_action_redirect": target}], ExpiresIn=300)
    response = post(presigned, b"redirect me")
    assert response.status_code == 303, response.text
    location = urllib.parse.urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == target
    query = urllib.parse.parse_qs(location.query)
    assert query["bucket"] == [bucket]
    assert query["key"] == ["r.txt"]
    assert query["etag"] == [f'"{hashlib.md5(b"redirect me").hexdigest()}"']


def test_content_length_range_violated(s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "small.bin", Conditions=[["content-length-range", 1, 10]],
                                           ExpiresIn=300)
    response = post(presigned, b"x" * 11)
    assert response.status_code == 400, response.text
    assert error_of(response) == ("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert post(presigned, b"x" * 10).status_code == 204


def test_expired_policy(s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "late.txt", ExpiresIn=-60)
    response = post(presigned, b"too late")
    assert response.status_code == 403, response.text
    assert error_of(response) == ("AccessDenied", "Invalid according to Policy: Policy expired.")


def test_field_outside_the_policy_and_condition_failed(s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "k.txt", ExpiresIn=300)
    response = post(presigned, b"x", extra={"x-amz-meta-sneaky": "1"})
    assert response.status_code == 403, response.text
    assert error_of(response) == ("AccessDenied", "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky")
    # boto3 writes the key as a simple condition {"key": ...}: S3 quotes it as ["eq", "key", ...].
    response = post(presigned, b"x", extra={"key": "other.txt"})
    assert response.status_code == 403, response.text
    assert error_of(response) == ("AccessDenied",
                                  'Invalid according to Policy: Policy Condition failed: ["eq", "key", "k.txt"]')


def test_missing_signature_field_and_not_a_form(s3, bucket):
    presigned = s3.generate_presigned_post(bucket, "k.txt", ExpiresIn=300)
    fields = dict(presigned["fields"])
    fields.pop("x-amz-signature")
    response = requests.post(presigned["url"], data=fields, files={"file": ("f", b"x")}, timeout=30)
    assert response.status_code == 400
    assert error_of(response) == (
        "InvalidArgument",
        "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of "
        "the fields.")
    response = requests.post(presigned["url"], data=b"key=k", headers={"Content-Type": "text/plain"}, timeout=30)
    assert response.status_code == 412
    assert error_of(response)[0] == "PreconditionFailed"


def test_malformed_form_body(s3, bucket):
    url = s3.generate_presigned_post(bucket, "k")["url"]
    body = b'--B\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--B\r\nContent-Disposition: form-data'
    response = requests.post(url, data=body, headers={"Content-Type": "multipart/form-data; boundary=B"}, timeout=30)
    assert response.status_code == 400
    assert error_of(response) == ("MalformedPOSTRequest",
                                  "The body of your POST request is not well-formed multipart/form-data.")


def test_large_file_streams_past_the_buffered_body_limit(s3, bucket):
    # 20 MiB: more than the server buffers for a whole request (16 MiB), so the form must stream.
    content = os.urandom(1024 * 1024) * 20
    presigned = s3.generate_presigned_post(bucket, "big.bin", Conditions=[["content-length-range", 0, 64 * 1024 * 1024]],
                                           ExpiresIn=300)
    response = post(presigned, content)
    assert response.status_code == 204, response.text
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(content)
    assert head["ETag"] == f'"{hashlib.md5(content).hexdigest()}"'
