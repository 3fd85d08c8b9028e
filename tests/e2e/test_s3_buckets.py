"""S3 buckets end to end with boto3 (Debian's 1.26): create/head/list/delete, location constraints, the
bucket errors AWS documents (code, status and AWS's own message), and virtual-hosted addressing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

from s3_e2e import MSG, OTHER_REGION, bucket, bucket_name, expect_error, s3, s3_client  # noqa: F401

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def test_create_head_list_delete_round_trip(s3):
    names = sorted(bucket_name() for _ in range(3))
    for name in names:
        created = s3.create_bucket(Bucket=name)
        assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert created["Location"] == f"/{name}"
        assert created["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id")
    head = s3.head_bucket(Bucket=names[0])
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 200
    listed = s3.list_buckets()
    listed_names = [b["Name"] for b in listed["Buckets"]]
    assert [n for n in listed_names if n in names] == names, "ListBuckets is in name order"
    assert all("CreationDate" in b for b in listed["Buckets"])
    assert listed["Owner"].get("ID")
    for name in names:
        deleted = s3.delete_bucket(Bucket=name)
        assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert not {b["Name"] for b in s3.list_buckets()["Buckets"]} & set(names)
    expect_error(lambda: s3.head_bucket(Bucket=names[0]), "404", 404, check_message=False)


def test_no_such_bucket_names_the_bucket(s3):
    name = bucket_name()
    response = expect_error(lambda: s3.list_objects_v2(Bucket=name), "NoSuchBucket", 404)
    assert response["Error"].get("BucketName") == name
    expect_error(lambda: s3.get_object(Bucket=name, Key="k"), "NoSuchBucket", 404)
    expect_error(lambda: s3.put_object(Bucket=name, Key="k", Body=b"x"), "NoSuchBucket", 404)
    expect_error(lambda: s3.delete_bucket(Bucket=name), "NoSuchBucket", 404)
    expect_error(lambda: s3.get_bucket_location(Bucket=name), "NoSuchBucket", 404)


def test_location_constraint_and_already_owned_outside_us_east_1(mallard):
    regional = s3_client(mallard.endpoint, OTHER_REGION)
    name = bucket_name()
    regional.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": OTHER_REGION})
    assert regional.get_bucket_location(Bucket=name)["LocationConstraint"] == OTHER_REGION
    head = regional.head_bucket(Bucket=name)
    assert head["ResponseMetadata"]["HTTPHeaders"].get("x-amz-bucket-region") == OTHER_REGION
    response = expect_error(
        lambda: regional.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": OTHER_REGION}),
        "BucketAlreadyOwnedByYou", 409)
    assert response["Error"].get("BucketName") == name


def test_us_east_1_recreate_is_ok_and_location_is_null(s3):
    # AWS documents the legacy us-east-1 behaviour: re-creating your own bucket there answers 200.
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    assert s3.create_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_location(Bucket=name).get("LocationConstraint") is None


def test_bucket_not_empty(s3, bucket):
    s3.put_object(Bucket=bucket, Key="a/b", Body=b"1")
    response = expect_error(lambda: s3.delete_bucket(Bucket=bucket), "BucketNotEmpty", 409, check_message=False)
    assert response["Error"]["Message"].startswith(MSG["BucketNotEmpty"])
    assert response["Error"].get("BucketName") == bucket
    s3.delete_object(Bucket=bucket, Key="a/b")
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper-case", "a..b", "192.168.5.4", "-leading", "trailing-",
                                  "under_score", "xn--punycode", "name-s3alias"])
def test_invalid_bucket_names(s3, name):
    response = expect_error(lambda: s3.create_bucket(Bucket=name), "InvalidBucketName", 400)
    assert response["Error"].get("BucketName") == name


def test_versioning_configuration(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


# --- virtual-hosted addressing: the bucket in the Host header ------------------------------------------


@pytest.mark.parametrize("host_form", ["{bucket}.s3.localhost:{port}", "{bucket}.localhost:{port}"])
def test_virtual_hosted_put_get_list(mallard, s3, bucket, host_form):
    host = host_form.format(bucket=bucket, port=mallard.port)
    url = f"http://127.0.0.1:{mallard.port}"
    put = requests.put(f"{url}/dir/virtual%20key.txt", data=b"virtual body", headers={"Host": host}, timeout=10)
    assert put.status_code == 200, put.text
    assert put.headers.get("ETag") == '"' + __import__("hashlib").md5(b"virtual body").hexdigest() + '"'
    assert put.headers.get("x-amz-request-id")
    # The same object through path-style boto3.
    assert s3.get_object(Bucket=bucket, Key="dir/virtual key.txt")["Body"].read() == b"virtual body"
    got = requests.get(f"{url}/dir/virtual%20key.txt", headers={"Host": host}, timeout=10)
    assert (got.status_code, got.content) == (200, b"virtual body")
    listing = requests.get(f"{url}/?list-type=2&prefix=dir/", headers={"Host": host}, timeout=10)
    assert listing.status_code == 200, listing.text
    root = ET.fromstring(listing.content)
    assert root.tag == f"{S3_NS}ListBucketResult"
    assert root.findtext(f"{S3_NS}Name") == bucket
    assert [c.findtext(f"{S3_NS}Key") for c in root.findall(f"{S3_NS}Contents")] == ["dir/virtual key.txt"]
    missing = requests.get(f"{url}/nope", headers={"Host": host}, timeout=10)
    assert missing.status_code == 404
    error = ET.fromstring(missing.content)
    assert (error.findtext("Code"), error.findtext("Key")) == ("NoSuchKey", "nope")
    assert missing.headers.get("x-amz-request-id")


def test_virtual_hosted_unknown_bucket(mallard):
    name = bucket_name()
    response = requests.get(f"http://127.0.0.1:{mallard.port}/key",
                            headers={"Host": f"{name}.s3.localhost:{mallard.port}"}, timeout=10)
    assert response.status_code == 404
    error = ET.fromstring(response.content)
    assert (error.findtext("Code"), error.findtext("Message"), error.findtext("BucketName")) == \
        ("NoSuchBucket", MSG["NoSuchBucket"], name)
