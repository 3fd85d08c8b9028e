"""SNS SMS and mobile push, recorded not sent, read back through LocalStack's inspection endpoints
(/_aws/sns/sms-messages, /_aws/sns/platform-endpoint-messages, /_aws/sns/subscription-tokens/{arn},
/_aws/sns/phone-opt-outs), as suites written for LocalStack use them."""

from __future__ import annotations

import json
import urllib.parse

from sns_e2e import ACCOUNT, REGION, expect_sns_error, subscribe_http, unique_name, wait_for
from sqs_e2e import http_request


def inspect(mallard, method: str, path: str, **query):
    if query:
        path += "?" + urllib.parse.urlencode(query)
    response = http_request(mallard.port, method, path, timeout=10)
    return response.status, (response.json() if response.body else None)


def test_sms_messages_recorded_and_cleared(sns, mallard):
    sns.publish(PhoneNumber="+15551234567", Message="code 1234",
                MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}})
    message_id = sns.publish(PhoneNumber="+15557654321", Message="other")["MessageId"]
    status, body = inspect(mallard, "GET", "/_aws/sns/sms-messages")
    assert status == 200
    assert body["region"] == REGION
    messages = body["sms_messages"]
    assert set(messages) == {"+15551234567", "+15557654321"}
    [first] = messages["+15551234567"]
    assert first["PhoneNumber"] == "+15551234567"
    assert first["Message"] == "code 1234"
    # LocalStack records the request's attribute map as it came (DataType/StringValue).
    assert first["MessageAttributes"]["AWS.SNS.SMS.SMSType"] == {"DataType": "String", "StringValue": "Transactional"}
    assert messages["+15557654321"][0]["MessageId"] == message_id
    # Filtered by number.
    status, body = inspect(mallard, "GET", "/_aws/sns/sms-messages", phoneNumber="+15557654321")
    assert list(body["sms_messages"]) == ["+15557654321"]
    # Another region holds nothing.
    status, body = inspect(mallard, "GET", "/_aws/sns/sms-messages", region="eu-west-1")
    assert body == {"sms_messages": {}, "region": "eu-west-1"}
    status, _ = inspect(mallard, "DELETE", "/_aws/sns/sms-messages", phoneNumber="+15551234567")
    assert status == 204
    status, body = inspect(mallard, "GET", "/_aws/sns/sms-messages")
    assert list(body["sms_messages"]) == ["+15557654321"]
    assert inspect(mallard, "DELETE", "/_aws/sns/sms-messages")[0] == 204
    assert inspect(mallard, "GET", "/_aws/sns/sms-messages")[1]["sms_messages"] == {}


def test_sms_subscription_of_a_topic(sns, mallard):
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15550001111")["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="via topic")
    record = wait_for(lambda: inspect(mallard, "GET", "/_aws/sns/sms-messages")[1]["sms_messages"].get("+15550001111"),
                      what="the sms record")
    assert record[0]["Message"] == "via topic"
    assert record[0]["TopicArn"] == topic
    assert record[0]["SubscriptionArn"] == sub


def test_invalid_phone_numbers(sns):
    expect_sns_error(lambda: sns.publish(PhoneNumber="+1a234", Message="m"), "InvalidParameter",
                     "Invalid parameter: PhoneNumber Reason: +1a234 is not valid to publish to")
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="invalid-number"),
                     "InvalidParameter", "Invalid SMS endpoint: invalid-number")


def test_phone_opt_out(sns, mallard):
    number = "+15559990000"
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False
    response = http_request(mallard.port, "POST", "/_aws/sns/phone-opt-outs",
                            {"Content-Type": "application/json"}, json.dumps({"phoneNumber": number}), timeout=10)
    assert response.status == 204, response.body
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is True
    assert number in sns.list_phone_numbers_opted_out()["phoneNumbers"]
    sns.publish(PhoneNumber=number, Message="not delivered")
    assert inspect(mallard, "GET", "/_aws/sns/sms-messages", phoneNumber=number)[1]["sms_messages"] == {number: []}
    sns.opt_in_phone_number(phoneNumber=number)
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False


def test_sms_attributes(sns):
    sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Mallard"})
    attrs = sns.get_sms_attributes()["attributes"]
    assert attrs["DefaultSMSType"] == "Transactional"
    assert attrs["DefaultSenderID"] == "Mallard"
    expect_sns_error(lambda: sns.set_sms_attributes(attributes={"DefaultSMSType": "Loud"}), "InvalidParameter",
                     "DefaultSMSType is invalid")


def platform_endpoint(sns, token: str = "device-token-1"):
    app = sns.create_platform_application(Name=unique_name("app"), Platform="GCM",
                                          Attributes={"PlatformCredential": "server-key"})["PlatformApplicationArn"]
    assert app == f"arn:aws:sns:{REGION}:{ACCOUNT}:app/GCM/" + app.rsplit("/", 1)[1]
    endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app, Token=token,
                                            CustomUserData="user-1")["EndpointArn"]
    return app, endpoint


def test_platform_endpoint_messages(sns, mallard):
    app, endpoint = platform_endpoint(sns)
    assert endpoint.startswith(f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/GCM/")
    # Idempotent per token.
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-token-1",
                                        CustomUserData="user-1")["EndpointArn"] == endpoint
    attrs = sns.get_endpoint_attributes(EndpointArn=endpoint)["Attributes"]
    assert attrs["Enabled"] == "true" and attrs["Token"] == "device-token-1" and attrs["CustomUserData"] == "user-1"
    assert [e["EndpointArn"] for e in sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]] \
        == [endpoint]
    message_id = sns.publish(TargetArn=endpoint, Message=json.dumps({"default": "d", "GCM": '{"data": {"k": "v"}}'}),
                             MessageStructure="json")["MessageId"]
    status, body = inspect(mallard, "GET", "/_aws/sns/platform-endpoint-messages")
    assert status == 200 and body["region"] == REGION
    [record] = body["platform_endpoint_messages"][endpoint]
    assert record["TargetArn"] == endpoint
    assert record["MessageId"] == message_id
    assert record["MessageStructure"] == "json"
    status, body = inspect(mallard, "GET", "/_aws/sns/platform-endpoint-messages", endpointArn=endpoint)
    assert list(body["platform_endpoint_messages"]) == [endpoint]
    assert inspect(mallard, "DELETE", "/_aws/sns/platform-endpoint-messages")[0] == 204
    assert inspect(mallard, "GET", "/_aws/sns/platform-endpoint-messages")[1]["platform_endpoint_messages"] == {}


def test_disabled_endpoint(sns):
    _, endpoint = platform_endpoint(sns)
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    expect_sns_error(lambda: sns.publish(TargetArn=endpoint, Message="m"), "EndpointDisabled", "Endpoint is disabled")
    sns.delete_endpoint(EndpointArn=endpoint)
    expect_sns_error(lambda: sns.publish(TargetArn=endpoint, Message="m"), "InvalidParameter",
                     "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")


def test_platform_application_validation(sns):
    expect_sns_error(lambda: sns.create_platform_application(Name=unique_name(), Platform="AAA",
                                                             Attributes={"PlatformCredential": "x"}),
                     "InvalidParameter", "Invalid parameter: Platform Reason: AAA is not supported")
    expect_sns_error(lambda: sns.create_platform_application(Name=unique_name(), Platform="APNS",
                                                             Attributes={"PlatformPrincipal": "x"}),
                     "InvalidParameter",
                     "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential")


def test_subscription_token_endpoint(sns, mallard, http_endpoint):
    endpoint = http_endpoint()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    pending = subscribe_http(sns, topic, endpoint, confirm=False)
    status, body = inspect(mallard, "GET", "/_aws/sns/subscription-tokens/" + urllib.parse.quote(pending, safe=""))
    assert status == 200, body
    assert body["subscription_arn"] == pending
    token = body["subscription_token"]
    assert token == endpoint.of_type("SubscriptionConfirmation")[0].json()["Token"]
    assert sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"] == pending
    assert sns.get_subscription_attributes(SubscriptionArn=pending)["Attributes"]["PendingConfirmation"] == "false"
    # Unknown and malformed ARNs.
    status, body = inspect(mallard, "GET", "/_aws/sns/subscription-tokens/" + topic + ":00000000-0000-0000-0000-000000000000")
    assert status == 404 and body["error"] == "The provided SubscriptionARN is not found"
    status, body = inspect(mallard, "GET", "/_aws/sns/subscription-tokens/not-an-arn")
    assert status == 400 and body["error"] == "The provided SubscriptionARN is invalid"
