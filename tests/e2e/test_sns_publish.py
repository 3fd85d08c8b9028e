"""SNS Publish and PublishBatch delivered to SQS queues of the same server: the envelope AWS writes,
raw delivery, fan-out, per-protocol messages, size limits, and FIFO topics into FIFO queues."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse

from sns_e2e import TIMESTAMP_RE, UUID_RE, expect_sns_error, unique_name

ENVELOPE_KEYS_IN_ORDER = ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                          "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]


def topic_with_queue(sns, sns_queues, *, raw: bool = False, topic_attributes: dict | None = None,
                     queue_attributes: dict | None = None):
    topic = sns.create_topic(Name=unique_name(), Attributes=topic_attributes or {})["TopicArn"]
    url, queue_arn = sns_queues.create(attributes=queue_attributes)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                        Attributes={"RawMessageDelivery": "true"} if raw else {})["SubscriptionArn"]
    return topic, url, sub


def test_envelope_fields(sns, sns_queues, mallard):
    topic, url, sub = topic_with_queue(sns, sns_queues)
    message_id = sns.publish(TopicArn=topic, Message="hello \u00e9\u00e8 \"quoted\"\n", Subject="the subject",
                             MessageAttributes={
                                 "s": {"DataType": "String", "StringValue": "text"},
                                 "n": {"DataType": "Number", "StringValue": "12.5"},
                                 "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
                                 "a": {"DataType": "String.Array", "StringValue": '["x", 1]'},
                             })["MessageId"]
    assert UUID_RE.match(message_id), message_id
    [message] = sns_queues.receive(url, 1)
    body = message["Body"]
    envelope = json.loads(body)
    present = [k for k in ENVELOPE_KEYS_IN_ORDER if k in envelope]
    assert list(envelope) == present, f"members out of AWS's order: {list(envelope)}"
    assert set(envelope) == set(ENVELOPE_KEYS_IN_ORDER)
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == message_id
    assert envelope["TopicArn"] == topic
    assert envelope["Subject"] == "the subject"
    assert envelope["Message"] == "hello \u00e9\u00e8 \"quoted\"\n"
    assert TIMESTAMP_RE.match(envelope["Timestamp"]), envelope["Timestamp"]
    assert envelope["SignatureVersion"] == "1"
    assert base64.b64decode(envelope["Signature"], validate=True)
    assert envelope["SigningCertURL"].startswith(mallard.endpoint + "/") and envelope["SigningCertURL"].endswith(".pem")
    unsubscribe = urllib.parse.urlsplit(envelope["UnsubscribeURL"])
    assert f"{unsubscribe.scheme}://{unsubscribe.netloc}" == mallard.endpoint
    query = urllib.parse.parse_qs(unsubscribe.query)
    assert query == {"Action": ["Unsubscribe"], "SubscriptionArn": [sub]}
    assert envelope["MessageAttributes"] == {
        "s": {"Type": "String", "Value": "text"},
        "n": {"Type": "Number", "Value": "12.5"},
        "b": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01\xff").decode()},
        "a": {"Type": "String.Array", "Value": '["x", 1]'},
    }
    # AWS writes one member per line, "Name" : value.
    assert body.startswith('{\n  "Type" : "Notification",\n  "MessageId" : ')
    assert hashlib.md5(body.encode()).hexdigest() == message["MD5OfBody"]
    assert "MessageAttributes" not in message  # enveloped: the attributes are in the body only


def test_envelope_without_subject_or_attributes(sns, sns_queues):
    topic, url, _ = topic_with_queue(sns, sns_queues)
    sns.publish(TopicArn=topic, Message="plain")
    envelope = sns_queues.one_envelope(url)
    assert "Subject" not in envelope
    assert "MessageAttributes" not in envelope
    assert envelope["Message"] == "plain"


def test_unsubscribe_url_unsubscribes_by_get(sns, sns_queues, mallard):
    from sns_e2e import confirm_by_get

    topic, url, sub = topic_with_queue(sns, sns_queues)
    sns.publish(TopicArn=topic, Message="one")
    envelope = sns_queues.one_envelope(url)
    status, body = confirm_by_get(envelope["UnsubscribeURL"])
    assert status == 200, body
    assert b"UnsubscribeResponse" in body
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    sns.publish(TopicArn=topic, Message="two")
    assert sns_queues.receive_now(url) == []


def test_raw_delivery_with_message_attributes(sns, sns_queues):
    topic, url, _ = topic_with_queue(sns, sns_queues, raw=True)
    sns.publish(TopicArn=topic, Message="raw body", Subject="ignored in raw",
                MessageAttributes={"s": {"DataType": "String", "StringValue": "text"},
                                   "n": {"DataType": "Number", "StringValue": "7"},
                                   "b": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
                                   "a": {"DataType": "String.Array", "StringValue": '["x"]'}})
    [message] = sns_queues.receive(url, 1)
    assert message["Body"] == "raw body"
    attrs = message["MessageAttributes"]
    assert attrs["s"] == {"DataType": "String", "StringValue": "text"}
    assert attrs["n"] == {"DataType": "Number", "StringValue": "7"}
    assert attrs["b"] == {"DataType": "Binary", "BinaryValue": b"\x01\x02"}
    # SQS has no String.Array: AWS delivers it as a String.
    assert attrs["a"]["StringValue"] == '["x"]'


def test_fan_out_to_three_queues(sns, sns_queues):
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    queues = []
    for raw in (False, True, False):
        url, arn = sns_queues.create()
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                      Attributes={"RawMessageDelivery": "true"} if raw else {})
        queues.append((url, raw))
    message_id = sns.publish(TopicArn=topic, Message="to all")["MessageId"]
    for url, raw in queues:
        # Publish answers only once every queue has its copy: nothing to wait for.
        [message] = sns_queues.receive_now(url)
        if raw:
            assert message["Body"] == "to all"
        else:
            envelope = json.loads(message["Body"])
            assert envelope["Message"] == "to all" and envelope["MessageId"] == message_id


def test_message_structure_json(sns, sns_queues):
    topic, url, _ = topic_with_queue(sns, sns_queues)
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "for others", "sqs": "for sqs", "http": "for http"}))
    assert sns_queues.one_envelope(url)["Message"] == "for sqs"
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "only default"}))
    assert sns_queues.one_envelope(url)["Message"] == "only default"
    expect_sns_error(lambda: sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"sqs": "x"})),
                     "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
    expect_sns_error(lambda: sns.publish(TopicArn=topic, MessageStructure="json", Message="{not json"),
                     "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse")
    assert sns_queues.receive_now(url) == []


def test_empty_message_and_bad_subjects(sns, sns_queues):
    topic, url, _ = topic_with_queue(sns, sns_queues)
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message=""), "InvalidParameter", "Invalid parameter: Empty message")
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", Subject="line\nbreak"), "InvalidParameter",
                     "Invalid parameter: Subject")
    # The API reference says "less than 100 characters"; AWS accepts exactly 100 and refuses 101
    # (recorded in getmoto/moto#1503).
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", Subject="s" * 101), "InvalidParameter",
                     "Invalid parameter: Subject")
    # "ASCII text that begins with a letter, number, or punctuation mark; no line breaks or control characters".
    for bad in (" leading space", "tab\there", "caf\u00e9"):
        expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", Subject=bad), "InvalidParameter",
                         "Invalid parameter: Subject")
    sns.publish(TopicArn=topic, Message="m", Subject="s" * 100)
    assert sns_queues.one_envelope(url)["Subject"] == "s" * 100


def test_message_size_limits(sns, sns_queues):
    topic, url, _ = topic_with_queue(sns, sns_queues, raw=True,
                                     queue_attributes={"MaximumMessageSize": "1048576"})
    sns.publish(TopicArn=topic, Message="x" * 262_144)
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="x" * 262_145), "InvalidParameter",
                     "Invalid parameter: Message too long")
    # Message and attributes count together.
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="x" * 262_140,
                                         MessageAttributes={"k": {"DataType": "String", "StringValue": "long enough"}}),
                     "InvalidParameter", "Invalid parameter: Message too long")
    [message] = sns_queues.receive(url, 1)
    assert len(message["Body"]) == 262_144
    # MaximumMessageSize raises the topic's limit up to 1 MiB.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="MaximumMessageSize", AttributeValue="1048576")
    sns.publish(TopicArn=topic, Message="y" * 1_048_576)
    [message] = sns_queues.receive(url, 1)
    assert message["Body"] == "y" * 1_048_576
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="y" * 1_048_577), "InvalidParameter",
                     "Invalid parameter: Message too long")


def test_publish_batch(sns, sns_queues):
    topic, url, _ = topic_with_queue(sns, sns_queues, raw=True)
    entries = [{"Id": f"id-{i}", "Message": f"m{i}",
                "MessageAttributes": {"i": {"DataType": "Number", "StringValue": str(i)}}} for i in range(10)]
    answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert answer["Failed"] == []
    assert sorted(s["Id"] for s in answer["Successful"]) == sorted(e["Id"] for e in entries)
    assert len({s["MessageId"] for s in answer["Successful"]}) == 10
    assert all(UUID_RE.match(s["MessageId"]) for s in answer["Successful"])
    received = sns_queues.receive(url, 10)
    assert sorted(m["Body"] for m in received) == sorted(f"m{i}" for i in range(10))
    assert {m["Body"]: m["MessageAttributes"]["i"]["StringValue"] for m in received} == {f"m{i}": str(i) for i in range(10)}


def test_publish_batch_errors(sns, sns_nv, sns_queues):
    topic, url, _ = topic_with_queue(sns, sns_queues)
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": "m"} for i in range(11)]),
        "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible.")
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "same", "Message": "a"}, {"Id": "same", "Message": "b"}]),
        "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "msg@123#test", "Message": "a"}]),
        "InvalidBatchEntryId", "The Id of a batch entry in the batch request contains an impermissible character: msg@123#test")
    expect_sns_error(lambda: sns_nv.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[]),
                     "EmptyBatchRequest", message_prefix="The batch request doesn't contain any entries")
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": "x" * 30_000} for i in range(9)]),
        "BatchRequestTooLong", "The length of all the messages put together is more than the limit.")
    assert sns_queues.receive_now(url) == []


# ---------------------------------------------------------------------------------------------
# FIFO topics into FIFO queues
# ---------------------------------------------------------------------------------------------


def fifo_topic_with_queue(sns, sns_queues, *, content_dedup: bool = False, raw: bool = True):
    attributes = {"FifoTopic": "true"}
    if content_dedup:
        attributes["ContentBasedDeduplication"] = "true"
    topic = sns.create_topic(Name=unique_name() + ".fifo", Attributes=attributes)["TopicArn"]
    url, arn = sns_queues.create(fifo=True)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                  Attributes={"RawMessageDelivery": "true"} if raw else {})
    return topic, url


def test_fifo_order_per_group_and_sequence_numbers(sns, sns_queues):
    topic, url = fifo_topic_with_queue(sns, sns_queues)
    sequence_numbers = []
    for i in range(50):
        group = f"g{i % 3}"
        answer = sns.publish(TopicArn=topic, Message=f"{group}:{i}", MessageGroupId=group, MessageDeduplicationId=f"d{i}")
        sequence_numbers.append(int(answer["SequenceNumber"]))
    assert sequence_numbers == sorted(sequence_numbers) and len(set(sequence_numbers)) == 50
    received = sns_queues.receive(url, 50, timeout=10)
    assert len(received) == 50
    per_group: dict[str, list[int]] = {}
    for message in received:
        group, index = message["Body"].split(":")
        assert message["Attributes"]["MessageGroupId"] == group
        assert message["Attributes"]["MessageDeduplicationId"] == f"d{index}"
        per_group.setdefault(group, []).append(int(index))
    for group, indexes in per_group.items():
        assert indexes == sorted(indexes), f"group {group} out of order: {indexes}"
    assert sum(len(v) for v in per_group.values()) == 50


def test_fifo_envelope_has_sequence_number(sns, sns_queues):
    topic, url = fifo_topic_with_queue(sns, sns_queues, raw=False)
    answer = sns.publish(TopicArn=topic, Message="m", MessageGroupId="g", MessageDeduplicationId="d")
    envelope = sns_queues.one_envelope(url)
    assert envelope["SequenceNumber"] == answer["SequenceNumber"]
    assert envelope["MessageId"] == answer["MessageId"]


def test_fifo_requires_group_and_dedup(sns, sns_queues):
    topic, url = fifo_topic_with_queue(sns, sns_queues)
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", MessageDeduplicationId="d"), "InvalidParameter",
                     "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    expect_sns_error(lambda: sns.publish(TopicArn=topic, Message="m", MessageGroupId="g"), "InvalidParameter",
                     "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
                     "MessageDeduplicationId provided explicitly")
    standard = sns.create_topic(Name=unique_name())["TopicArn"]
    expect_sns_error(lambda: sns.publish(TopicArn=standard, Message="m", MessageDeduplicationId="d"), "InvalidParameter",
                     "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                     "parameter that is not valid for this topic type")
    assert sns_queues.receive_now(url) == []


def test_fifo_deduplication_by_id(sns, sns_queues):
    topic, url = fifo_topic_with_queue(sns, sns_queues)
    first = sns.publish(TopicArn=topic, Message="once", MessageGroupId="g", MessageDeduplicationId="same")
    again = sns.publish(TopicArn=topic, Message="different body", MessageGroupId="g", MessageDeduplicationId="same")
    assert again["MessageId"] == first["MessageId"]  # a duplicate is answered with the first message's id
    other = sns.publish(TopicArn=topic, Message="next", MessageGroupId="g", MessageDeduplicationId="other")
    assert int(other["SequenceNumber"]) > int(first["SequenceNumber"])
    received = sns_queues.receive_now(url)  # both are there when Publish answers; no third may come
    assert [m["Body"] for m in received] == ["once", "next"]


def test_fifo_content_based_deduplication(sns, sns_queues):
    topic, url = fifo_topic_with_queue(sns, sns_queues, content_dedup=True)
    a = sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g")
    b = sns.publish(TopicArn=topic, Message="same body", MessageGroupId="g")
    sns.publish(TopicArn=topic, Message="other body", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    received = sns_queues.receive_now(url)  # both are there when Publish answers; no third may come
    assert [m["Body"] for m in received] == ["same body", "other body"]
    # The deduplication id SQS sees is the SHA-256 of the message body.
    assert received[0]["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same body").hexdigest()


def test_fifo_publish_batch(sns, sns_queues):
    topic, url = fifo_topic_with_queue(sns, sns_queues)
    answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": f"e{i}", "Message": f"b{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"bd{i}"} for i in range(10)])
    assert answer["Failed"] == []
    numbers = [int(s["SequenceNumber"]) for s in sorted(answer["Successful"], key=lambda s: int(s["Id"][1:]))]
    assert numbers == sorted(numbers) and len(set(numbers)) == 10
    assert [m["Body"] for m in sns_queues.receive(url, 10)] == [f"b{i}" for i in range(10)]
    # An entry without a group id fails the whole request, as AWS answers (recorded in LocalStack's
    # test_publish_batch_exceptions snapshot), and nothing of it is delivered.
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "ok", "Message": "fine", "MessageGroupId": "g", "MessageDeduplicationId": "x1"},
        {"Id": "bad", "Message": "no group", "MessageDeduplicationId": "x2"}]), "InvalidParameter",
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "no dedup id", "MessageGroupId": "g"}]),
        "InvalidParameter", "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
                            "MessageDeduplicationId provided explicitly")
    expect_sns_error(lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": json.dumps({"sqs": "x"}), "MessageStructure": "json", "MessageGroupId": "g",
         "MessageDeduplicationId": "x3"}]),
        "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
    assert sns_queues.receive_now(url) == []


def test_fifo_topic_to_standard_queue_is_allowed(sns, sns_queues):
    # AWS lets a standard queue subscribe to a FIFO topic (it loses the ordering guarantees).
    topic = sns.create_topic(Name=unique_name() + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    url, arn = sns_queues.create()
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=topic, Message="to standard", MessageGroupId="g", MessageDeduplicationId="d")
    assert [m["Body"] for m in sns_queues.receive(url, 1)] == ["to standard"]


# ---------------------------------------------------------------------------------------------
# --sns-queue-policy strict: a queue receives only if its policy lets the topic send, as on AWS.
# ---------------------------------------------------------------------------------------------


def queue_policy_for(queue_arn: str, topic_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "topic-may-send", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]})


def test_strict_queue_policy(tmp_path):
    from conftest import start_server, stop_server
    from sns_e2e import SnsQueues, sns_client

    server = start_server(tmp_path / "strict.log", ["--sns-queue-policy", "strict"])
    try:
        sns = sns_client(server.endpoint)
        queues = SnsQueues(boto_sqs_for(server))
        topic = sns.create_topic(Name=unique_name())["TopicArn"]
        other_topic = topic + "-other"
        allowed_url, allowed_arn = queues.create()
        queues.sqs.set_queue_attributes(QueueUrl=allowed_url, Attributes={"Policy": queue_policy_for(allowed_arn, topic)})
        bare_url, bare_arn = queues.create()
        wrong_url, wrong_arn = queues.create()
        queues.sqs.set_queue_attributes(QueueUrl=wrong_url, Attributes={"Policy": queue_policy_for(wrong_arn, other_topic)})
        for arn in (allowed_arn, bare_arn, wrong_arn):
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        sns.publish(TopicArn=topic, Message="only where allowed")
        assert [m["Body"] for m in queues.receive_now(allowed_url)] == ["only where allowed"]
        assert queues.receive_now(bare_url) == []
        assert queues.receive_now(wrong_url) == []
    finally:
        rc, _ = stop_server(server)
        assert rc == 0, server.log_text()[-3000:]


def boto_sqs_for(server):
    """An SQS client of that server (conftest's boto_sqs caches one client per region, for the session server)."""
    import boto3
    from botocore.config import Config

    from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY
    return boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                                 region_name=REGION).client(
        "sqs", endpoint_url=server.endpoint, config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def test_deleted_queue_sends_to_dead_letter_queue(sns, sns_queues):
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    url, arn = sns_queues.create()
    dlq_url, dlq_arn = sns_queues.create()
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                  Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    sns_queues.sqs.delete_queue(QueueUrl=url)
    message_id = sns.publish(TopicArn=topic, Message="nowhere to go")["MessageId"]
    [dead] = sns_queues.receive(dlq_url, 1, timeout=5)
    envelope = json.loads(dead["Body"])
    assert (envelope["Message"], envelope["MessageId"], envelope["TopicArn"]) == ("nowhere to go", message_id, topic)
