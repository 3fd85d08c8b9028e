"""STS: the identity calls tools make first, and temporary credentials that map to the same account."""
import json
import subprocess

import boto3
import pytest
from botocore.exceptions import ClientError

from sqs_e2e import REGION


def sts_client(mallard, key="test", secret="test", token=None):
    return boto3.client("sts", endpoint_url=f"http://127.0.0.1:{mallard.port}", region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)


def sqs_client(mallard, key, secret, token=None):
    return boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{mallard.port}", region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)


def test_get_caller_identity_default_account(mallard):
    identity = sts_client(mallard).get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert identity["UserId"]


def test_twelve_digit_access_key_is_its_account(mallard):
    assert sts_client(mallard, key="123456789012").get_caller_identity()["Account"] == "123456789012"


def test_assume_role_credentials_map_to_the_role_account(mallard):
    response = sts_client(mallard).assume_role(RoleArn="arn:aws:iam::111122223333:role/deployer",
                                               RoleSessionName="ci-run", DurationSeconds=900)
    credentials = response["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert response["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/deployer/ci-run"
    as_role = sts_client(mallard, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    identity = as_role.get_caller_identity()
    assert identity["Account"] == "111122223333"
    assert identity["Arn"] == response["AssumedRoleUser"]["Arn"]
    sqs = sqs_client(mallard, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    url = sqs.create_queue(QueueName="role-queue")["QueueUrl"]
    assert url.endswith("/111122223333/role-queue")


def test_session_token_keeps_the_caller_account(mallard):
    credentials = sts_client(mallard, key="444455556666").get_session_token()["Credentials"]
    again = sts_client(mallard, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert again.get_caller_identity()["Account"] == "444455556666"


@pytest.mark.parametrize("kwargs", [
    {"RoleArn": "arn:aws:iam::12:role/not-an-account", "RoleSessionName": "s1"},
    {"RoleArn": "arn:aws:iam::111122223333:role/r", "RoleSessionName": "bad name!"},
])
def test_assume_role_validation(mallard, kwargs):
    with pytest.raises(ClientError) as caught:
        sts_client(mallard).assume_role(**kwargs)
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_assume_role_duration_below_minimum_is_rejected(raw_post):
    # boto3 refuses this client-side, so send it by hand.
    status, _, body = raw_post({"Content-Type": "application/x-www-form-urlencoded"},
                               "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fr"
                               "&RoleSessionName=ok&DurationSeconds=60", sign=False)
    assert status == 400, body
    assert b"<Code>ValidationError</Code>" in body and b"sts.amazonaws.com/doc/2011-06-15/" in body


def test_get_caller_identity_json_response(raw_post):
    status, headers, body = raw_post({"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
                                     "Action=GetCallerIdentity&Version=2011-06-15", sign=False)
    assert status == 200, body
    result = json.loads(body)["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
    assert result["Account"] == "000000000000"


def test_aws_cli_get_caller_identity(mallard, tmp_path):
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    output = subprocess.run(["/usr/bin/aws", "--endpoint-url", f"http://127.0.0.1:{mallard.port}", "sts",
                             "get-caller-identity", "--output", "json"], env=env, capture_output=True, text=True,
                            timeout=60, check=True).stdout
    assert json.loads(output)["Account"] == "000000000000"


def test_get_caller_identity_over_aws_json(raw_post):
    status, _, body = raw_post({"Content-Type": "application/x-amz-json-1.0",
                                "X-Amz-Target": "AWSSecurityTokenServiceV20110615.GetCallerIdentity"}, b"{}")
    assert status == 200, body
    assert json.loads(body)["Account"] == "000000000000"


def test_account_settings_map_access_keys(tmp_path):
    """--default-account (e.g. moto's 123456789012) and --account KEY=ACCOUNT mappings."""
    from conftest import start_server, stop_server
    handle = start_server(tmp_path / "accounts.log",
                          ["--default-account", "123456789012", "--account", "AKIAMAPPEDKEY=210987654321"])
    try:
        assert sts_client(handle).get_caller_identity()["Account"] == "123456789012"
        assert sts_client(handle, key="AKIAMAPPEDKEY").get_caller_identity()["Account"] == "210987654321"
        url = sqs_client(handle, "AKIAMAPPEDKEY", "secret").create_queue(QueueName="mapped")["QueueUrl"]
        assert url == f"http://127.0.0.1:{handle.port}/210987654321/mapped"
        attributes = sqs_client(handle, "AKIAMAPPEDKEY", "secret").get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        assert attributes["QueueArn"] == "arn:aws:sqs:us-east-1:210987654321:mapped"
    finally:
        stop_server(handle)
