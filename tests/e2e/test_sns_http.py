"""SNS delivery to HTTP endpoints (a loopback server the test starts): confirmation by GET of the
SubscribeURL, AWS's headers, raw delivery, retries by DeliveryPolicy, the dead-letter queue, a
stalled endpoint delaying nobody, UnsubscribeConfirmation; and message signatures verified with
`cryptography` over AWS's canonical string, built here from the documented algorithm."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import pytest
from cryptography.exceptions import InvalidSignature

from sns_e2e import (SNS_XMLNS, TIMESTAMP_RE, UUID_RE, HttpEndpoint, canonical_string, confirm_by_get,
                     expect_sns_error, fetch_certificate, subscribe_http, unique_name, verify_envelope)

FAST_RETRIES = {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 2}}


def test_subscription_confirmation_then_notification(sns, http_endpoint, mallard):
    endpoint = http_endpoint()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)["SubscriptionArn"] == "pending confirmation"
    [request] = endpoint.wait(1, "SubscriptionConfirmation")
    assert request.method == "POST"
    assert request.path == "/sns"
    assert request.headers["content-type"] == "text/plain; charset=UTF-8"
    body = request.json()
    assert request.headers["x-amz-sns-message-id"] == body["MessageId"]
    assert request.headers["x-amz-sns-topic-arn"] == topic
    assert "x-amz-sns-subscription-arn" not in request.headers
    assert list(body) == ["Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp",
                          "SignatureVersion", "Signature", "SigningCertURL"]
    assert body["Type"] == "SubscriptionConfirmation"
    assert UUID_RE.match(body["MessageId"])
    assert body["TopicArn"] == topic
    assert body["Message"] == (f"You have chosen to subscribe to the topic {topic}.\n"
                               "To confirm the subscription, visit the SubscribeURL included in this message.")
    assert TIMESTAMP_RE.match(body["Timestamp"])
    assert body["SubscribeURL"].startswith(mallard.endpoint + "/?Action=ConfirmSubscription&")
    assert body["Token"] in body["SubscribeURL"]

    [listed] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert listed["SubscriptionArn"] == "PendingConfirmation"
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attrs["SubscriptionsPending"], attrs["SubscriptionsConfirmed"]) == ("1", "0")

    # A plain GET of the SubscribeURL confirms, as a browser or curl would.
    status, answer = confirm_by_get(body["SubscribeURL"])
    assert status == 200, answer
    root = ET.fromstring(answer)
    assert root.tag == f"{{{SNS_XMLNS}}}ConfirmSubscriptionResponse"
    sub = root.find(f"{{{SNS_XMLNS}}}ConfirmSubscriptionResult/{{{SNS_XMLNS}}}SubscriptionArn").text
    assert sub.startswith(topic + ":")
    sub_attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert sub_attrs["PendingConfirmation"] == "false"
    assert sub_attrs["Endpoint"] == endpoint.url
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (attrs["SubscriptionsPending"], attrs["SubscriptionsConfirmed"]) == ("0", "1")

    message_id = sns.publish(TopicArn=topic, Message="hello http", Subject="subj",
                             MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})["MessageId"]
    [notification] = endpoint.wait(1, "Notification")
    assert notification.headers["x-amz-sns-subscription-arn"] == sub
    assert notification.headers["x-amz-sns-topic-arn"] == topic
    assert notification.headers["x-amz-sns-message-id"] == message_id
    assert notification.headers["content-type"] == "text/plain; charset=UTF-8"
    envelope = notification.json()
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == message_id
    assert envelope["Message"] == "hello http"
    assert envelope["Subject"] == "subj"
    assert envelope["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert envelope["UnsubscribeURL"].endswith("SubscriptionArn=" + sub)


def test_pending_subscription_receives_no_notifications(sns, http_endpoint):
    endpoint = http_endpoint()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    subscribe_http(sns, topic, endpoint, confirm=False)
    sns.publish(TopicArn=topic, Message="not yet")
    time.sleep(0.5)
    assert endpoint.of_type("Notification") == []


def test_confirm_subscription_by_api(sns, http_endpoint):
    endpoint = http_endpoint()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    pending = subscribe_http(sns, topic, endpoint, confirm=False)
    token = endpoint.of_type("SubscriptionConfirmation")[0].json()["Token"]
    # AWS (LocalStack's snapshot test_sns_confirm_subscription_wrong_token): a malformed token is
    # "Invalid token", a well-formed one it does not know "Invalid parameter: Token".
    expect_sns_error(lambda: sns.confirm_subscription(TopicArn=topic, Token="randomtoken"), "InvalidParameter",
                     "Invalid token")
    well_formed = "51b2ff3edb475b7d91550e0ab6edf0c1de2a34e6ebaf6c2262a001bcb7e051c43aa00022ceecce70bd2a67b2042da8d8eb" \
                  "47fef7a4e4e942d23e7fa56146b9ee35da040b4b8af564cc4184a7391c834cb75d75c22981f776ad1ce8805e9bab29da2" \
                  "329985337bb8095627907b46c8577c8440556b6f86582a954758026f41fc62041c4b3f67b0f5921232b5dae5aaca1"
    expect_sns_error(lambda: sns.confirm_subscription(TopicArn=topic, Token=well_formed), "InvalidParameter",
                     "Invalid parameter: Token")
    sub = sns.confirm_subscription(TopicArn=topic, Token=token, AuthenticateOnUnsubscribe="true")["SubscriptionArn"]
    assert sub == pending
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    assert attrs["ConfirmationWasAuthenticated"] == "true"


def test_raw_delivery_header(sns, http_endpoint):
    endpoint = http_endpoint()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    sub = subscribe_http(sns, topic, endpoint, {"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message='{"raw": true}')
    [notification] = endpoint.wait(1, "Notification")
    assert notification.body == b'{"raw": true}'
    assert notification.headers["x-amz-sns-rawdelivery"] == "true"
    assert notification.headers["x-amz-sns-subscription-arn"] == sub


def test_retries_follow_the_delivery_policy(sns, http_endpoint):
    # Request 0 is the confirmation; then the notification fails twice and succeeds on the third attempt.
    endpoint = http_endpoint(script=[200, 500, 500], default_status=200)
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    subscribe_http(sns, topic, endpoint, {"DeliveryPolicy": json.dumps(FAST_RETRIES)})
    sns.publish(TopicArn=topic, Message="flaky")
    attempts = endpoint.wait(3, "Notification", timeout=8)
    assert [a.json()["Message"] for a in attempts] == ["flaky"] * 3
    assert len({a.json()["MessageId"] for a in attempts}) == 1
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:])]
    assert all(0.8 <= gap <= 3.0 for gap in gaps), f"retry gaps {gaps}, policy asks for 1 s"
    time.sleep(1.5)
    assert len(endpoint.of_type("Notification")) == 3, "delivered again after a 200"


def test_client_error_is_not_retried(sns, http_endpoint):
    endpoint = http_endpoint(script=[200], default_status=400)
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    subscribe_http(sns, topic, endpoint, {"DeliveryPolicy": json.dumps(FAST_RETRIES)})
    sns.publish(TopicArn=topic, Message="refused")
    endpoint.wait(1, "Notification")
    time.sleep(1.5)
    assert len(endpoint.of_type("Notification")) == 1


def test_failed_delivery_goes_to_the_dead_letter_queue(sns, sns_queues, http_endpoint):
    endpoint = http_endpoint(script=[200], default_status=500)
    dlq_url, dlq_arn = sns_queues.create()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    policy = {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 1}}
    subscribe_http(sns, topic, endpoint, {"DeliveryPolicy": json.dumps(policy),
                                          "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    message_id = sns.publish(TopicArn=topic, Message="undeliverable")["MessageId"]
    endpoint.wait(2, "Notification", timeout=6)
    [dead] = sns_queues.receive(dlq_url, 1, timeout=6)
    envelope = json.loads(dead["Body"])
    assert envelope["Message"] == "undeliverable"
    assert envelope["MessageId"] == message_id
    assert envelope["TopicArn"] == topic
    assert len(endpoint.of_type("Notification")) == 2


def test_stalled_endpoint_delays_nobody(sns, sns_queues, http_endpoint):
    stalled = http_endpoint(script=[200], default_status=None)  # confirms, then never answers
    healthy = http_endpoint()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    subscribe_http(sns, topic, stalled)
    subscribe_http(sns, topic, healthy)
    url, arn = sns_queues.create()
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    for i in range(3):
        started = time.monotonic()
        sns.publish(TopicArn=topic, Message=f"m{i}")
        assert time.monotonic() - started < 1.0, "Publish waited for a stalled HTTP endpoint"
        assert [m["Body"] for m in sns_queues.receive_now(url)] == [f"m{i}"]
    healthy.wait(3, "Notification", timeout=2)
    stalled.wait(1, "Notification", timeout=2)
    # Other services are not held up either.
    started = time.monotonic()
    sns_queues.sqs.list_queues()
    assert time.monotonic() - started < 1.0


def test_unsubscribe_sends_unsubscribe_confirmation(sns, http_endpoint):
    endpoint = http_endpoint()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    sub = subscribe_http(sns, topic, endpoint)
    sns.unsubscribe(SubscriptionArn=sub)
    [request] = endpoint.wait(1, "UnsubscribeConfirmation")
    body = request.json()
    assert body["Type"] == "UnsubscribeConfirmation"
    assert body["TopicArn"] == topic
    assert body["Message"] == (f"You have chosen to deactivate subscription {sub}.\n"
                               "To cancel this operation and restore the subscription, visit the SubscribeURL "
                               "included in this message.")
    assert "Token" in body and "SubscribeURL" in body
    verify_envelope(body)
    sns.publish(TopicArn=topic, Message="after")
    time.sleep(0.3)
    assert endpoint.of_type("Notification") == []


def test_http_subscription_validation(sns):
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="http", Endpoint="https://127.0.0.1/x"),
                     "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol")
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="http://127.0.0.1/x"),
                     "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol")


# ---------------------------------------------------------------------------------------------
# Signatures
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
def test_sqs_envelope_signature_verifies(sns, sns_queues, version):
    topic = sns.create_topic(Name=unique_name(), Attributes={"SignatureVersion": version})["TopicArn"]
    url, arn = sns_queues.create()
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="signed \u00fc\n{json}", Subject="with subject")
    sns.publish(TopicArn=topic, Message="no subject",
                MessageAttributes={"k": {"DataType": "String", "StringValue": "not signed"}})
    envelopes = [json.loads(m["Body"]) for m in sns_queues.receive(url, 2)]
    assert len(envelopes) == 2
    for envelope in envelopes:
        assert envelope["SignatureVersion"] == version
        verify_envelope(envelope)
        tampered = dict(envelope, Message=envelope["Message"] + "!")
        with pytest.raises(InvalidSignature):
            verify_envelope(tampered)
        # The other hash must not verify: version 1 is SHA1, version 2 SHA256.
        with pytest.raises(InvalidSignature):
            verify_envelope(dict(envelope, SignatureVersion="2" if version == "1" else "1"))


def test_http_messages_signatures_verify(sns, http_endpoint):
    endpoint = http_endpoint()
    topic = sns.create_topic(Name=unique_name(), Attributes={"SignatureVersion": "2"})["TopicArn"]
    subscribe_http(sns, topic, endpoint)
    confirmation = endpoint.of_type("SubscriptionConfirmation")[0].json()
    verify_envelope(confirmation)
    with pytest.raises(InvalidSignature):
        verify_envelope(dict(confirmation, Token=confirmation["Token"][:-1] + "x"))
    sns.publish(TopicArn=topic, Message="over http", Subject="s")
    notification = endpoint.wait(1, "Notification")[0].json()
    verify_envelope(notification)
    with pytest.raises(InvalidSignature):
        verify_envelope(dict(notification, Subject="other"))


def test_signing_certificate_is_served(sns, sns_queues, mallard):
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    url, arn = sns_queues.create()
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="m")
    envelope = sns_queues.one_envelope(url)
    certificate = fetch_certificate(envelope["SigningCertURL"])
    assert certificate.public_key().key_size >= 2048
    # The canonical string is what this test builds: keys in byte order, Subject only when present.
    assert canonical_string(envelope).startswith(b"Message\nm\nMessageId\n")


def test_no_delay_retries_come_first(sns, http_endpoint):
    endpoint = http_endpoint(script=[200, 500, 500, 500], default_status=200)
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    policy = {"healthyRetryPolicy": {"numRetries": 3, "numNoDelayRetries": 1, "minDelayTarget": 1,
                                     "maxDelayTarget": 1}}
    subscribe_http(sns, topic, endpoint, {"DeliveryPolicy": json.dumps(policy)})
    sns.publish(TopicArn=topic, Message="phases")
    attempts = endpoint.wait(4, "Notification", timeout=8)
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:])]
    assert gaps[0] < 0.5, f"the no-delay retry waited: gaps {gaps}"
    assert all(0.8 <= gap <= 3.0 for gap in gaps[1:]), f"gaps {gaps}, the policy asks for 1 s"


def test_throttle_policy_spaces_deliveries(sns, http_endpoint):
    endpoint = http_endpoint()
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    subscribe_http(sns, topic, endpoint, {"DeliveryPolicy": json.dumps(
        {"healthyRetryPolicy": {"numRetries": 0}, "throttlePolicy": {"maxReceivesPerSecond": 2}})})
    for i in range(6):
        sns.publish(TopicArn=topic, Message=f"t{i}")
    deliveries = endpoint.wait(6, "Notification", timeout=8)
    span = deliveries[-1].at - deliveries[0].at
    # Whatever the limiter (sliding or fixed windows, bursts or even spacing), 6 deliveries at 2 per
    # second span at least one second; unthrottled they arrive within milliseconds.
    assert span >= 0.95, f"6 deliveries at 2 per second took {span:.2f} s"
    assert sorted(d.json()["Message"] for d in deliveries) == [f"t{i}" for i in range(6)]


def test_https_subscriber_with_a_self_signed_certificate(sns):
    """An https endpoint (TLS, a self-signed certificate, as local endpoints have) is confirmed and
    receives its notifications, signed, like an http one."""
    endpoint = HttpEndpoint(tls=True)
    try:
        topic = sns.create_topic(Name=unique_name())["TopicArn"]
        subscription = subscribe_http(sns, topic, endpoint)
        assert endpoint.url.startswith("https://")
        attributes = sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]
        assert attributes["Protocol"] == "https" and attributes["PendingConfirmation"] == "false"
        message_id = sns.publish(TopicArn=topic, Message="over tls", Subject="tls")["MessageId"]
        [notification] = endpoint.wait(1, "Notification")
        envelope = notification.json()
        assert envelope["MessageId"] == message_id and envelope["Message"] == "over tls"
        assert notification.headers["x-amz-sns-subscription-arn"] == subscription
        verify_envelope(envelope)
    finally:
        endpoint.close()
