"""S3 refuses a request signed for another region than its bucket's, as AWS does, and tells the client
which region to sign for: AuthorizationHeaderMalformed (Authorization header),
AuthorizationQueryParametersError (presigned URL) and InvalidArgument (POST form), each with a
Region element; a HEAD answer, which has no body, carries x-amz-bucket-region. The texts are the ones
AWS sends (seen in public bug reports: "The authorization header is malformed; the region 'us-east-1'
is wrong; expecting 'eu-west-1'"). boto3 and the AWS CLI read the region from the error and retry
there, so a client configured for the wrong region still works, one round trip later."""

from __future__ import annotations

import urllib.parse
import xml.etree.ElementTree as ET

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import requests

from s3_e2e import OTHER_REGION, bucket_name, expect_error, s3, s3_cli, s3_client  # noqa: F401
from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY


def signed(method: str, url: str, region: str, body: bytes = b"") -> requests.Response:
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                             headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    botocore.auth.S3SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY), "s3", region).add_auth(request)
    return requests.request(method, url, headers=dict(request.headers.items()), data=body, timeout=30)


def error_of(response: requests.Response) -> dict[str, str]:
    root = ET.fromstring(response.content)
    return {child.tag: child.text or "" for child in root}


def wrong_region(signed_for: str, expected: str) -> str:
    return f"the region '{signed_for}' is wrong; expecting '{expected}'"


def western_bucket(mallard) -> str:
    name = bucket_name("west")
    s3_client(mallard.endpoint, OTHER_REGION).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": OTHER_REGION})
    s3_client(mallard.endpoint, OTHER_REGION).put_object(Bucket=name, Key="k.txt", Body=b"from the west")
    return name


def test_header_signed_for_another_region_is_refused_with_the_bucket_region(mallard):
    name = western_bucket(mallard)
    url = f"{mallard.endpoint}/{name}/k.txt"
    for method, body in [("GET", b""), ("PUT", b"new"), ("DELETE", b"")]:
        response = signed(method, url, REGION, body)
        assert response.status_code == 400, (method, response.text)
        error = error_of(response)
        assert error["Code"] == "AuthorizationHeaderMalformed"
        assert error["Message"] == "The authorization header is malformed; " + wrong_region(REGION, OTHER_REGION)
        assert error["Region"] == OTHER_REGION
        assert error.get("RequestId") and response.headers.get("x-amz-request-id")
    # Nothing was changed by the refused PUT and DELETE; the right region is served.
    response = signed("GET", url, OTHER_REGION)
    assert response.status_code == 200 and response.content == b"from the west"
    # A bucket-level operation is refused the same way.
    response = signed("GET", f"{mallard.endpoint}/{name}?list-type=2", "ap-south-1")
    assert response.status_code == 400
    assert error_of(response)["Message"].endswith(wrong_region("ap-south-1", OTHER_REGION))


def test_head_gets_no_body_but_the_region_header(mallard):
    name = western_bucket(mallard)
    for url in (f"{mallard.endpoint}/{name}", f"{mallard.endpoint}/{name}/k.txt"):
        response = signed("HEAD", url, REGION)
        assert response.status_code == 400
        assert response.content == b""
        assert response.headers.get("x-amz-bucket-region") == OTHER_REGION


def test_presigned_url_for_another_region_is_refused_in_its_own_words(mallard):
    name = western_bucket(mallard)
    eastern = s3_client(mallard.endpoint, REGION)
    url = eastern.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "k.txt"}, ExpiresIn=300)
    assert "%2Fus-east-1%2Fs3%2F" in url  # really signed for the client's region
    response = requests.get(url, timeout=30)
    assert response.status_code == 400
    error = error_of(response)
    assert error["Code"] == "AuthorizationQueryParametersError"
    assert error["Message"] == "Error parsing the X-Amz-Credential parameter; " + wrong_region(REGION, OTHER_REGION)
    assert error["Region"] == OTHER_REGION
    western = s3_client(mallard.endpoint, OTHER_REGION)
    url = western.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "k.txt"}, ExpiresIn=300)
    assert requests.get(url, timeout=30).content == b"from the west"


def test_post_form_signed_for_another_region_is_an_invalid_argument(mallard):
    name = western_bucket(mallard)
    presigned = s3_client(mallard.endpoint, REGION).generate_presigned_post(name, "posted.txt", ExpiresIn=300)
    response = requests.post(presigned["url"], data=presigned["fields"], files={"file": ("f.txt", b"posted")},
                             timeout=30, allow_redirects=False)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == wrong_region(REGION, OTHER_REGION)
    assert error["ArgumentName"] == "X-Amz-Credential"
    assert error["ArgumentValue"] == presigned["fields"]["x-amz-credential"]
    assert error["Region"] == OTHER_REGION
    expect_error(lambda: s3_client(mallard.endpoint, OTHER_REGION).head_object(Bucket=name, Key="posted.txt"),
                 "404", 404, check_message=False)
    presigned = s3_client(mallard.endpoint, OTHER_REGION).generate_presigned_post(name, "posted.txt", ExpiresIn=300)
    response = requests.post(presigned["url"], data=presigned["fields"], files={"file": ("f.txt", b"posted")},
                             timeout=30, allow_redirects=False)
    assert response.status_code == 204, response.text


def test_what_any_region_may_do(mallard):
    name = western_bucket(mallard)
    # GetBucketLocation is how a client finds the region; ListBuckets has no bucket; a missing bucket
    # has no region to expect, so it is NoSuchBucket whatever the signature says.
    response = signed("GET", f"{mallard.endpoint}/{name}?location", REGION)
    assert response.status_code == 200 and OTHER_REGION.encode() in response.content
    assert signed("GET", f"{mallard.endpoint}/", "ap-south-1").status_code == 200
    response = signed("GET", f"{mallard.endpoint}/{bucket_name('missing')}/k", "ap-south-1")
    assert response.status_code == 404 and error_of(response)["Code"] == "NoSuchBucket"


def test_boto3_and_the_cli_follow_the_region_they_are_told(mallard, s3_cli, tmp_path):
    name = western_bucket(mallard)
    eastern = s3_client(mallard.endpoint, REGION)  # no retries: only the region redirect resends
    eastern.put_object(Bucket=name, Key="via-east.txt", Body=b"redirected")
    assert eastern.get_object(Bucket=name, Key="via-east.txt")["Body"].read() == b"redirected"
    assert eastern.head_object(Bucket=name, Key="via-east.txt")["ContentLength"] == len(b"redirected")
    target = tmp_path / "copy.txt"
    s3_cli("s3", "cp", f"s3://{name}/via-east.txt", str(target), region=REGION)
    assert target.read_bytes() == b"redirected"
    listed = s3_cli("s3api", "list-objects-v2", "--bucket", name, region=REGION)
    assert "via-east.txt" in str(listed)


def test_a_request_to_a_bucket_in_its_own_region_is_not_refused_after_a_refusal(mallard):
    # The check is per request: a refused one leaves nothing behind for the next, in either region.
    name = western_bucket(mallard)
    url = f"{mallard.endpoint}/{name}/k.txt?" + urllib.parse.urlencode({"x": "1"})
    assert signed("GET", url, REGION).status_code == 400
    assert signed("GET", url, OTHER_REGION).status_code == 200
    assert signed("GET", url, REGION).status_code == 400
