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


# --- Federation: web identity, SAML, federated users; key info ----------------------------------------


def query_error(body: bytes) -> tuple[str, str]:
    import xml.etree.ElementTree as ET
    ns = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
    root = ET.fromstring(body)
    return root.find("sts:Error/sts:Code", ns).text, root.find("sts:Error/sts:Message", ns).text


def jwt(claims: dict) -> str:
    """An unsigned-looking JWT with these claims (the endpoint reads tokens, it does not verify them)."""
    import base64

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def saml_assertion(session: str | None = "alice-session") -> str:
    import base64
    role_session = ("" if session is None else
                    '<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
                    f'<saml2:AttributeValue>{session}</saml2:AttributeValue></saml2:Attribute>')
    document = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">https://idp.example.com/metadata</saml2:Issuer>'
        '<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">'
        '<saml2:Issuer>https://idp.example.com/metadata</saml2:Issuer><saml2:Subject>'
        '<saml2:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice@example.com</saml2:NameID>'
        '<saml2:SubjectConfirmation><saml2:SubjectConfirmationData Recipient="https://signin.aws.amazon.com/saml"/>'
        '</saml2:SubjectConfirmation></saml2:Subject><saml2:AttributeStatement>'
        '<saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">'
        '<saml2:AttributeValue>arn:aws:iam::111122223333:role/saml-role,'
        'arn:aws:iam::111122223333:saml-provider/corp-idp</saml2:AttributeValue></saml2:Attribute>'
        f'{role_session}</saml2:AttributeStatement></saml2:Assertion></samlp:Response>')
    return base64.b64encode(document.encode()).decode()


def test_assume_role_with_web_identity(mallard):
    token = jwt({"iss": "https://token.actions.githubusercontent.com", "sub": "repo:org/app:ref:refs/heads/main",
                 "aud": "sts.amazonaws.com", "exp": 4102444800})
    response = sts_client(mallard).assume_role_with_web_identity(
        RoleArn="arn:aws:iam::111122223333:role/gh-deploy", RoleSessionName="gh-run", WebIdentityToken=token,
        DurationSeconds=900)
    assert response["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/gh-deploy/gh-run"
    assert response["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert response["AssumedRoleUser"]["AssumedRoleId"].endswith(":gh-run")
    assert response["SubjectFromWebIdentityToken"] == "repo:org/app:ref:refs/heads/main"
    assert response["Provider"] == "https://token.actions.githubusercontent.com"
    assert response["Audience"] == "sts.amazonaws.com"
    credentials = response["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    as_role = sts_client(mallard, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert as_role.get_caller_identity()["Arn"] == response["AssumedRoleUser"]["Arn"]
    assert sts_client(mallard).get_access_key_info(AccessKeyId=credentials["AccessKeyId"])["Account"] == "111122223333"


def test_assume_role_with_web_identity_refuses_what_aws_refuses(mallard, raw_post):
    client = sts_client(mallard)
    role = "arn:aws:iam::111122223333:role/r"
    with pytest.raises(ClientError) as caught:
        client.assume_role_with_web_identity(RoleArn=role, RoleSessionName="s1", WebIdentityToken="not-a-real-jwt-token")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error if you sent an "
                                "Access Token)")
    with pytest.raises(ClientError) as caught:
        client.assume_role_with_web_identity(RoleArn=role, RoleSessionName="s1",
                                             WebIdentityToken=jwt({"sub": "x", "exp": 1000}))
    assert caught.value.response["Error"]["Code"] == "ExpiredTokenException"
    assert caught.value.response["Error"]["Message"].startswith("Token expired: current date/time ")
    # boto3 checks lengths client-side: by hand, every violation in one message, the token not echoed.
    status, _, body = raw_post({"Content-Type": "application/x-www-form-urlencoded"},
                               "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=short"
                               "&RoleSessionName=bad%20name!&WebIdentityToken=ab&DurationSeconds=50000", sign=False)
    assert status == 400, body
    assert query_error(body) == ("ValidationError",
                                 "4 validation errors detected: Value 'short' at 'roleArn' failed to satisfy constraint: "
                                 "Member must have length greater than or equal to 20; Value 'bad name!' at "
                                 "'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression "
                                 "pattern: [\\w+=,.@-]*; Value at 'webIdentityToken' failed to satisfy constraint: Member "
                                 "must have length greater than or equal to 4; Value '50000' at 'durationSeconds' failed "
                                 "to satisfy constraint: Member must have value less than or equal to 43200")
    status, _, body = raw_post({"Content-Type": "application/x-www-form-urlencoded"},
                               "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=s1", sign=False)
    assert status == 400
    assert "Value null at 'roleArn' failed to satisfy constraint: Member must not be null" in query_error(body)[1]


def test_assume_role_with_saml(mallard):
    response = sts_client(mallard).assume_role_with_saml(
        RoleArn="arn:aws:iam::111122223333:role/saml-role",
        PrincipalArn="arn:aws:iam::111122223333:saml-provider/corp-idp", SAMLAssertion=saml_assertion())
    assert response["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/saml-role/alice-session"
    assert response["Subject"] == "alice@example.com"
    assert response["SubjectType"] == "persistent"
    assert response["Issuer"] == "https://idp.example.com/metadata"
    assert response["Audience"] == "https://signin.aws.amazon.com/saml"
    import base64
    import hashlib
    expected = base64.b64encode(hashlib.sha1(b"https://idp.example.com/metadata111122223333/corp-idp").digest()).decode()
    assert response["NameQualifier"] == expected  # BASE64(SHA1(Issuer + account + "/" + provider)), as documented
    credentials = response["Credentials"]
    as_role = sts_client(mallard, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert as_role.get_caller_identity()["Account"] == "111122223333"


def test_assume_role_with_saml_refusals(mallard):
    client = sts_client(mallard)
    for assertion in ("!!!! not base64 !!!!", saml_assertion(session=None)):
        with pytest.raises(ClientError) as caught:
            client.assume_role_with_saml(RoleArn="arn:aws:iam::111122223333:role/saml-role",
                                         PrincipalArn="arn:aws:iam::111122223333:saml-provider/corp-idp",
                                         SAMLAssertion=assertion)
        assert caught.value.response["Error"]["Code"] == "InvalidIdentityToken"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as caught:
        client.assume_role_with_saml(RoleArn="arn:aws:iam::111122223333:role/saml-role",
                                     PrincipalArn="arn:aws:iam::111122223333:role/not-a-provider",
                                     SAMLAssertion=saml_assertion())
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_get_federation_token(mallard):
    response = sts_client(mallard, key="444455556666").get_federation_token(Name="bob", DurationSeconds=900)
    assert response["FederatedUser"] == {"FederatedUserId": "444455556666:bob",
                                         "Arn": "arn:aws:sts::444455556666:federated-user/bob"}
    credentials = response["Credentials"]
    federated = sts_client(mallard, credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert federated.get_caller_identity()["Arn"] == "arn:aws:sts::444455556666:federated-user/bob"
    # Temporary credentials cannot federate further.
    with pytest.raises(ClientError) as caught:
        federated.get_federation_token(Name="carol")
    assert (caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]) == \
        ("AccessDenied", 403)


def test_get_federation_token_validation(raw_post):
    status, _, body = raw_post({"Content-Type": "application/x-www-form-urlencoded"},
                               "Action=GetFederationToken&Version=2011-06-15&Name=b&DurationSeconds=129601", sign=False)
    assert status == 400
    assert query_error(body) == ("ValidationError",
                                 "2 validation errors detected: Value 'b' at 'name' failed to satisfy constraint: Member "
                                 "must have length greater than or equal to 2; Value '129601' at 'durationSeconds' "
                                 "failed to satisfy constraint: Member must have value less than or equal to 129600")


def test_decode_authorization_message_refuses_messages_it_never_issued(mallard):
    with pytest.raises(ClientError) as caught:
        sts_client(mallard).decode_authorization_message(EncodedMessage="bm90LWFuLWF3cy1tZXNzYWdl")
    assert caught.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_get_access_key_info(mallard):
    client = sts_client(mallard)
    assert client.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == "000000000000"
    with pytest.raises(ClientError) as caught:
        client.get_access_key_info(AccessKeyId="AKIA-has-dashes-in-it")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "Member must satisfy regular expression pattern: [\\w]*" in caught.value.response["Error"]["Message"]


def test_get_access_key_info_uses_the_account_map(tmp_path):
    from conftest import start_server, stop_server
    handle = start_server(tmp_path / "keyinfo.log", ["--account", "AKIAMAPPEDKEY00001=210987654321"])
    try:
        assert sts_client(handle).get_access_key_info(AccessKeyId="AKIAMAPPEDKEY00001")["Account"] == "210987654321"
    finally:
        stop_server(handle)


def test_federation_operations_over_aws_json(raw_post):
    status, _, body = raw_post({"Content-Type": "application/x-amz-json-1.0",
                                "X-Amz-Target": "AWSSecurityTokenServiceV20110615.GetAccessKeyInfo"},
                               json.dumps({"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}))
    assert status == 200, body
    assert json.loads(body) == {"Account": "000000000000"}
    status, headers, body = raw_post({"Content-Type": "application/x-amz-json-1.0",
                                      "X-Amz-Target": "AWSSecurityTokenServiceV20110615.AssumeRoleWithWebIdentity"},
                                     json.dumps({"RoleArn": "arn:aws:iam::111122223333:role/r",
                                                 "RoleSessionName": "s1", "WebIdentityToken": "opaque"}))
    assert status == 400, body
    assert json.loads(body)["__type"] == "com.amazonaws.sts#InvalidIdentityTokenException"
