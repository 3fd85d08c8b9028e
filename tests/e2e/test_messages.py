"""Messages on standard queues: SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch),
ChangeMessageVisibility(Batch), MD5s, attributes, delays, visibility timeouts and long polling.
Tests taking `sqs` run over both protocols."""

from __future__ import annotations

import json
import threading
import time

import pytest

from sqs_e2e import SqsError, check_error, md5_hex, md5_of_message_attributes, unique

TRACE_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

ATTRIBUTES = {
    "color": {"DataType": "String", "StringValue": "blue \u00e9\u4e2d"},
    "count": {"DataType": "Number", "StringValue": "42"},
    "price": {"DataType": "Number.float", "StringValue": "-1.5e3"},
    "blob": {"DataType": "Binary", "BinaryValue": bytes([0, 1, 2, 253, 254, 255])},
    "custom": {"DataType": "String.json", "StringValue": "{\"a\":1}"},
}


# --- SendMessage ---------------------------------------------------------------------------------


def test_send_receive_delete(sqs):
    url = sqs.create_queue()
    body = "hello \u00e9\u4e2d\U0001f600 <xml> & \"quotes\""
    sent = sqs.send(url, body)
    assert sent["MD5OfMessageBody"] == md5_hex(body)
    assert sent["MessageId"]
    assert "MD5OfMessageAttributes" not in sent
    messages = sqs.receive(url)
    assert len(messages) == 1
    message = messages[0]
    assert message["Body"] == body
    assert message["MessageId"] == sent["MessageId"]
    assert message["MD5OfBody"] == md5_hex(body)
    assert message["ReceiptHandle"]
    sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert sqs.queue_attributes(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_send_message_attributes_md5(sqs):
    url = sqs.create_queue()
    sent = sqs.send(url, "with attributes", MessageAttributes=ATTRIBUTES)
    assert sent["MD5OfMessageBody"] == md5_hex("with attributes")
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes(ATTRIBUTES)
    messages = sqs.receive(url, MessageAttributeNames=["All"])
    assert len(messages) == 1
    message = messages[0]
    assert message["MD5OfMessageAttributes"] == md5_of_message_attributes(ATTRIBUTES)
    received = message["MessageAttributes"]
    assert set(received) == set(ATTRIBUTES)
    for name, attr in ATTRIBUTES.items():
        assert received[name]["DataType"] == attr["DataType"]
        if "BinaryValue" in attr:
            assert bytes(received[name]["BinaryValue"]) == attr["BinaryValue"]
        else:
            assert received[name]["StringValue"] == attr["StringValue"]


@pytest.mark.parametrize("data_type,value", [("String", "s"), ("Number", "7"), ("Binary", b"\x00\xff")])
def test_send_single_attribute_md5(sqs, data_type, value):
    url = sqs.create_queue()
    attr = {"DataType": data_type, ("BinaryValue" if data_type == "Binary" else "StringValue"): value}
    sent = sqs.send(url, "one", MessageAttributes={"a": attr})
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes({"a": attr})


def test_message_system_attribute_trace_header(sqs):
    url = sqs.create_queue()
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}}
    sent = sqs.send(url, "traced", MessageSystemAttributes=system)
    assert sent["MD5OfMessageSystemAttributes"] == md5_of_message_attributes(system)
    if sqs.is_json:
        messages = sqs.receive(url, MessageSystemAttributeNames=["AWSTraceHeader"])
    else:  # botocore 1.29 only knows the older AttributeNames parameter
        messages = sqs.receive(url, AttributeNames=["AWSTraceHeader"])
    assert len(messages) == 1
    assert messages[0]["Attributes"] == {"AWSTraceHeader": TRACE_HEADER}


def test_send_message_delay_seconds(sqs):
    url = sqs.create_queue()
    sqs.send(url, "later", DelaySeconds=1)
    assert sqs.receive(url) == []
    assert sqs.queue_attributes(url, "ApproximateNumberOfMessagesDelayed") == \
        {"ApproximateNumberOfMessagesDelayed": "1"}
    time.sleep(1.3)
    assert sqs.receive_bodies(url, WaitTimeSeconds=2) == ["later"]


def test_send_message_delay_out_of_range(sqs):
    url = sqs.create_queue()
    sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x", DelaySeconds=901)


def test_send_message_max_size(sqs):
    """AWS's limit since 2025 (SendMessage in the API reference: "The maximum size is 1 MiB or
    1,048,576 bytes"), also the default MaximumMessageSize; one more byte is rejected."""
    url = sqs.create_queue()
    body = "x" * 1048576
    sent = sqs.send(url, body)
    assert sent["MD5OfMessageBody"] == md5_hex(body)
    error = sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x" * 1048577)
    assert error.message == "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."


def test_send_message_size_counts_attributes_against_one_mib(sqs):
    # Body plus the attribute's name, type and value: one byte over 1 MiB in total.
    url = sqs.create_queue()
    attributes = {"k": {"DataType": "String", "StringValue": "x"}}
    sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url,
                     MessageBody="a" * (1048576 - len("kStringx") + 1), MessageAttributes=attributes)
    sqs.send(url, "a" * (1048576 - len("kStringx")), MessageAttributes=attributes)


def test_send_message_over_queue_maximum_size(sqs):
    url = sqs.create_queue(attributes={"MaximumMessageSize": "1024"})
    sqs.send(url, "y" * 1024)
    sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="y" * 1025)


def test_send_message_size_counts_utf8_bytes(sqs):
    url = sqs.create_queue(attributes={"MaximumMessageSize": "1024"})
    # 513 two-byte characters = 1026 bytes: over the limit although only 513 characters.
    sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="\u00e9" * 513)


@pytest.mark.parametrize("bad", ["\x00", "a\x01b", "\x08", "\uffff", "\x1f"])
def test_send_message_invalid_characters(sqs, bad):
    url = sqs.create_queue()
    sqs.expect_error("InvalidMessageContents", "SendMessage", QueueUrl=url, MessageBody=bad)


def test_send_message_too_many_attributes(sqs):
    url = sqs.create_queue()
    attributes = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x",
                     MessageAttributes=attributes)
    ten = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    assert sqs.send(url, "ten", MessageAttributes=ten)["MD5OfMessageAttributes"] == md5_of_message_attributes(ten)


@pytest.mark.parametrize("attribute", [
    {"DataType": "Number", "StringValue": "not a number"},
    {"DataType": "String", "StringValue": ""},
    {"DataType": "Weird", "StringValue": "x"},
], ids=["non-numeric-number", "empty-string", "unknown-type"])
def test_send_message_invalid_attribute(sqs, attribute):
    url = sqs.create_queue()
    sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x",
                     MessageAttributes={"attr": attribute})
    assert sqs.receive(url) == []


def test_send_message_attribute_names_as_aws_judges_them(sqs):
    # AWS's own baseline: Latin-1 letters are allowed in names; the refusals are worded per rule.
    url = sqs.create_queue()
    valid = {"attr.1\u00f8\u00df\u00e4": {"StringValue": "Valida", "DataType": "String"}}
    assert sqs.send(url, "ok", MessageAttributes=valid)["MD5OfMessageAttributes"] == md5_of_message_attributes(valid)
    error = sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x",
                             MessageAttributes={"AMAZON.-Invalid-attr": {"StringValue": "v", "DataType": "String"}})
    assert error.message.startswith("You can't use message attribute names beginning with 'AWS.' or 'Amazon.'.")
    error = sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x",
                             MessageAttributes={"Invalid-!-attr": {"StringValue": "v", "DataType": "String"}})
    assert error.message.startswith("Message (user) attributes name can only contain")
    error = sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x",
                             MessageAttributes={"ErrorDetails": {"StringValue": "", "DataType": "String"}})
    assert error.message == "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."


def test_send_message_allowed_control_characters(sqs):
    url = sqs.create_queue()
    body = "tab\there\nnewline\rcr \ue000 \ufffd \U0010ffff"
    assert sqs.send(url, body)["MD5OfMessageBody"] == md5_hex(body)
    assert sqs.receive_bodies(url) == [body]


# --- SendMessageBatch ----------------------------------------------------------------------------


def test_send_message_batch(sqs):
    url = sqs.create_queue()
    entries = [{"Id": f"e{i}", "MessageBody": f"body-{i}"} for i in range(10)]
    entries[3]["MessageAttributes"] = {"k": {"DataType": "String", "StringValue": "v"}}
    out = sqs.call("SendMessageBatch", QueueUrl=url, Entries=entries)
    assert out.get("Failed", []) == []
    successful = {e["Id"]: e for e in out["Successful"]}
    assert set(successful) == {f"e{i}" for i in range(10)}
    for i in range(10):
        assert successful[f"e{i}"]["MD5OfMessageBody"] == md5_hex(f"body-{i}")
        assert successful[f"e{i}"]["MessageId"]
    assert successful["e3"]["MD5OfMessageAttributes"] == md5_of_message_attributes(entries[3]["MessageAttributes"])
    bodies = sorted(m["Body"] for m in sqs.drain(url, 10))
    assert bodies == sorted(f"body-{i}" for i in range(10))


def test_send_message_batch_partial_failure(sqs):
    url = sqs.create_queue()
    out = sqs.call("SendMessageBatch", QueueUrl=url, Entries=[
        {"Id": "good1", "MessageBody": "fine"},
        {"Id": "bad", "MessageBody": "bad \x00 char"},
        {"Id": "good2", "MessageBody": "also fine"},
    ])
    assert sorted(e["Id"] for e in out["Successful"]) == ["good1", "good2"]
    assert len(out["Failed"]) == 1
    failed = out["Failed"][0]
    assert failed["Id"] == "bad"
    assert failed["SenderFault"] is True
    assert failed["Code"] == "InvalidMessageContents"
    assert sorted(m["Body"] for m in sqs.drain(url, 2)) == ["also fine", "fine"]


def test_send_message_batch_too_many_entries(sqs):
    url = sqs.create_queue()
    entries = [{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)]
    sqs.expect_error("TooManyEntriesInBatchRequest", "SendMessageBatch", QueueUrl=url, Entries=entries)
    assert sqs.receive(url) == []


def test_send_message_batch_ids_not_distinct(sqs):
    url = sqs.create_queue()
    sqs.expect_error("BatchEntryIdsNotDistinct", "SendMessageBatch", QueueUrl=url,
                     Entries=[{"Id": "same", "MessageBody": "a"}, {"Id": "same", "MessageBody": "b"}])


def test_send_message_batch_too_long(sqs):
    url = sqs.create_queue()
    # Every entry fits on its own, together they exceed 1,048,576 bytes.
    entries = [{"Id": f"e{i}", "MessageBody": "z" * 160000} for i in range(7)]
    error = sqs.expect_error("BatchRequestTooLong", "SendMessageBatch", QueueUrl=url, Entries=entries)
    assert error.message == "Batch requests cannot be longer than 1048576 bytes. You have sent 1120000 bytes."
    assert sqs.receive(url) == []


def test_send_message_batch_total_counts_attributes_and_fails_whole_request(sqs):
    # AWS's case: one entry of exactly 1 MiB with its attribute, one more byte in a second entry.
    url = sqs.create_queue()
    attributes = {"k": {"DataType": "String", "StringValue": "x"}}
    entries = [{"Id": "1", "MessageBody": "a" * (1048576 - len("kStringx")), "MessageAttributes": attributes},
               {"Id": "2", "MessageBody": "a"}]
    error = sqs.expect_error("BatchRequestTooLong", "SendMessageBatch", QueueUrl=url, Entries=entries)
    assert error.message == "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes."
    assert sqs.receive(url) == []


def test_send_message_batch_entry_over_queue_maximum_is_a_failed_entry(sqs):
    url = sqs.create_queue(attributes={"MaximumMessageSize": "1024"})
    result = sqs.call("SendMessageBatch", QueueUrl=url, Entries=[{"Id": "fits", "MessageBody": "a" * 1024},
                                                                 {"Id": "over", "MessageBody": "a" * 1025}])
    assert [entry["Id"] for entry in result["Successful"]] == ["fits"]
    assert result["Failed"] == [{"Id": "over", "SenderFault": True, "Code": "InvalidParameterValue",
                                 "Message": "One or more parameters cannot be validated. Reason: Message must be "
                                            "shorter than 1024 bytes."}]


def test_send_message_batch_empty(sqs):
    url = sqs.create_queue()
    sqs.expect_error("EmptyBatchRequest", "SendMessageBatch", QueueUrl=url, Entries=[])


@pytest.mark.parametrize("bad_id", ["has space", "dot.id", "x" * 81, "semi;colon"])
def test_send_message_batch_invalid_entry_id(sqs, bad_id):
    url = sqs.create_queue()
    sqs.expect_error("InvalidBatchEntryId", "SendMessageBatch", QueueUrl=url,
                     Entries=[{"Id": bad_id, "MessageBody": "a"}])


# --- ReceiveMessage ------------------------------------------------------------------------------


def test_receive_max_number_of_messages(sqs):
    url = sqs.create_queue()
    for i in range(15):
        sqs.send(url, f"m{i}")
    assert len(sqs.receive(url)) == 1  # default MaxNumberOfMessages is 1
    got = sqs.receive(url, MaxNumberOfMessages=10)
    assert 1 <= len(got) <= 10
    all_messages = sqs.drain(url, 14 - len(got))
    assert len(all_messages) + len(got) == 14


@pytest.mark.parametrize("value", [0, 11])
def test_receive_max_number_out_of_range(sqs, value):
    url = sqs.create_queue()
    sqs.expect_error("InvalidParameterValue", "ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=value)


def test_receive_wait_time_out_of_range(sqs):
    url = sqs.create_queue()
    sqs.expect_error("InvalidParameterValue", "ReceiveMessage", QueueUrl=url, WaitTimeSeconds=21)


def test_receive_visibility_timeout_out_of_range(sqs):
    url = sqs.create_queue()
    sqs.expect_error("InvalidParameterValue", "ReceiveMessage", QueueUrl=url, VisibilityTimeout=43201)


def test_receive_visibility_timeout_hides_message(sqs):
    url = sqs.create_queue()
    sqs.send(url, "v")
    first = sqs.receive(url, VisibilityTimeout=1)
    assert [m["Body"] for m in first] == ["v"]
    assert sqs.receive(url) == []
    time.sleep(1.3)
    again = sqs.receive(url, AttributeNames=["ApproximateReceiveCount"])
    assert [m["Body"] for m in again] == ["v"]
    assert again[0]["ReceiptHandle"] != first[0]["ReceiptHandle"]
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_queue_visibility_timeout_expiry(sqs):
    url = sqs.create_queue(attributes={"VisibilityTimeout": "1"})
    sqs.send(url, "expiring")
    assert sqs.receive_bodies(url) == ["expiring"]
    assert sqs.receive_bodies(url) == []
    assert sqs.queue_attributes(url, "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessagesNotVisible": "1"}
    time.sleep(1.3)
    assert sqs.receive_bodies(url) == ["expiring"]


def test_queue_delay_seconds(sqs):
    url = sqs.create_queue(attributes={"DelaySeconds": "1"})
    sqs.send(url, "queue-delayed")
    assert sqs.receive(url) == []
    assert sqs.queue_attributes(url, "ApproximateNumberOfMessagesDelayed") == \
        {"ApproximateNumberOfMessagesDelayed": "1"}
    time.sleep(1.3)
    assert sqs.receive_bodies(url) == ["queue-delayed"]


def test_message_delay_overrides_queue_delay(sqs):
    url = sqs.create_queue(attributes={"DelaySeconds": "60"})
    sqs.send(url, "now", DelaySeconds=0)
    assert sqs.receive_bodies(url) == ["now"]


def test_receive_attribute_names_filter(sqs):
    url = sqs.create_queue()
    sqs.send(url, "attrs", MessageAttributes=ATTRIBUTES)
    before_ms = int(time.time() * 1000) - 60_000
    messages = sqs.receive(url, AttributeNames=["SentTimestamp"], VisibilityTimeout=0)
    assert set(messages[0]["Attributes"]) == {"SentTimestamp"}
    assert int(messages[0]["Attributes"]["SentTimestamp"]) >= before_ms
    assert "MessageAttributes" not in messages[0] or messages[0]["MessageAttributes"] == {}

    messages = sqs.receive(url, AttributeNames=["All"], VisibilityTimeout=0)
    attributes = messages[0]["Attributes"]
    assert {"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"} <= \
        set(attributes)
    assert attributes["ApproximateReceiveCount"] == "2"
    assert "MessageGroupId" not in attributes  # a standard queue

    messages = sqs.receive(url, VisibilityTimeout=0)
    assert "Attributes" not in messages[0] or messages[0]["Attributes"] == {}


def test_receive_message_system_attribute_names_filter(json_client):
    """MessageSystemAttributeNames (the current name of AttributeNames) is only in the JSON SDK."""
    sqs = json_client
    url = sqs.create_queue()
    sqs.send(url, "sys")
    messages = sqs.receive(url, MessageSystemAttributeNames=["ApproximateReceiveCount", "SenderId"])
    assert set(messages[0]["Attributes"]) == {"ApproximateReceiveCount", "SenderId"}
    assert messages[0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_receive_message_system_attribute_names_all(json_client):
    sqs = json_client
    url = sqs.create_queue(unique("sysall") + ".fifo", {"FifoQueue": "true"})
    sqs.send(url, "fifo-sys", MessageGroupId="grp", MessageDeduplicationId="dedup")
    attributes = sqs.receive(url, MessageSystemAttributeNames=["All"])[0]["Attributes"]
    assert {"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
            "SequenceNumber", "MessageDeduplicationId", "MessageGroupId"} <= set(attributes)
    assert attributes["MessageGroupId"] == "grp"
    assert attributes["MessageDeduplicationId"] == "dedup"


def test_receive_message_attribute_names_filter(sqs):
    url = sqs.create_queue()
    sqs.send(url, "filtered", MessageAttributes=ATTRIBUTES)

    def received(names):
        messages = sqs.receive(url, MessageAttributeNames=names, VisibilityTimeout=0)
        assert len(messages) == 1
        return messages[0]

    only = received(["color"])
    assert set(only["MessageAttributes"]) == {"color"}
    assert only["MessageAttributes"]["color"]["StringValue"] == ATTRIBUTES["color"]["StringValue"]
    if "MD5OfMessageAttributes" in only:  # the digest covers what is returned
        assert only["MD5OfMessageAttributes"] == md5_of_message_attributes(
            {"color": ATTRIBUTES["color"]})
    assert set(received(["color", "blob"])["MessageAttributes"]) == {"color", "blob"}
    assert set(received(["All"])["MessageAttributes"]) == set(ATTRIBUTES)
    assert set(received([".*"])["MessageAttributes"]) == set(ATTRIBUTES)
    assert set(received(["c.*"])["MessageAttributes"]) == {"color", "count", "custom"}
    none = received(["nothing-like-this"])
    assert not none.get("MessageAttributes")
    plain = sqs.receive(url, VisibilityTimeout=0)[0]
    assert not plain.get("MessageAttributes")


def test_approximate_receive_count_increments(sqs):
    url = sqs.create_queue()
    sqs.send(url, "counted")
    counts = []
    first_receive = None
    for _ in range(3):
        messages = sqs.receive(url, AttributeNames=["ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"],
                               VisibilityTimeout=0)
        assert len(messages) == 1
        counts.append(messages[0]["Attributes"]["ApproximateReceiveCount"])
        stamp = messages[0]["Attributes"]["ApproximateFirstReceiveTimestamp"]
        first_receive = first_receive or stamp
        assert stamp == first_receive
    assert counts == ["1", "2", "3"]


def test_long_poll_returns_when_message_arrives(sqs, make_client):
    url = sqs.create_queue()
    other = make_client("json" if sqs.protocol == "query" else "query")

    def send_later():
        time.sleep(0.5)
        other.send(url, "woken")

    sender = threading.Thread(target=send_later)
    started = time.monotonic()
    sender.start()
    try:
        messages = sqs.receive(url, WaitTimeSeconds=10)
    finally:
        sender.join()
    elapsed = time.monotonic() - started
    assert [m["Body"] for m in messages] == ["woken"]
    assert elapsed < 3, f"long poll took {elapsed:.2f}s although the message arrived after 0.5s"


def test_long_poll_one_message_one_receiver(sqs, make_client):
    """Two consumers long-poll the same queue; one message wakes exactly one of them."""
    url = sqs.create_queue()
    results: dict[str, list] = {}

    def poll(key):
        results[key] = sqs.receive(url, WaitTimeSeconds=2, VisibilityTimeout=30)

    pollers = [threading.Thread(target=poll, args=(k,)) for k in ("a", "b")]
    started = time.monotonic()
    for t in pollers:
        t.start()
    time.sleep(0.4)
    make_client("query").send(url, "only one")
    for t in pollers:
        t.join(10)
    elapsed = time.monotonic() - started
    bodies = [m["Body"] for got in results.values() for m in got]
    assert bodies == ["only one"], results
    assert elapsed < 4, f"took {elapsed:.2f}s"


def test_long_poll_returns_when_in_flight_message_becomes_visible(sqs):
    url = sqs.create_queue()
    sqs.send(url, "comes back")
    assert sqs.receive_bodies(url, VisibilityTimeout=1) == ["comes back"]
    started = time.monotonic()
    messages = sqs.receive(url, WaitTimeSeconds=5)
    elapsed = time.monotonic() - started
    assert [m["Body"] for m in messages] == ["comes back"]
    assert elapsed < 3, f"the message was visible again after 1s but the long poll took {elapsed:.2f}s"


def test_long_poll_returns_when_delayed_message_becomes_available(sqs):
    url = sqs.create_queue()
    sqs.send(url, "delayed", DelaySeconds=1)
    started = time.monotonic()
    messages = sqs.receive(url, WaitTimeSeconds=5)
    elapsed = time.monotonic() - started
    assert [m["Body"] for m in messages] == ["delayed"]
    assert 0.8 <= elapsed < 3, f"a 1s delay, but the long poll returned after {elapsed:.2f}s"


def test_long_poll_waits_when_empty(sqs):
    url = sqs.create_queue()
    started = time.monotonic()
    assert sqs.receive(url, WaitTimeSeconds=1) == []
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3, f"WaitTimeSeconds=1 on an empty queue took {elapsed:.2f}s"


def test_queue_receive_wait_time_is_default_wait(sqs):
    url = sqs.create_queue(attributes={"ReceiveMessageWaitTimeSeconds": "1"})
    started = time.monotonic()
    assert sqs.receive(url) == []
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3, f"queue default wait of 1s took {elapsed:.2f}s"
    started = time.monotonic()
    assert sqs.receive(url, WaitTimeSeconds=0) == []
    assert time.monotonic() - started < 0.8, "WaitTimeSeconds=0 must override the queue's wait time"


def test_short_poll_on_empty_queue_returns_immediately(sqs):
    url = sqs.create_queue()
    started = time.monotonic()
    assert sqs.receive(url) == []
    assert time.monotonic() - started < 0.8


# --- DeleteMessage(Batch) ------------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["garbage", "AQEB" + "x" * 100])
def test_delete_message_invalid_handle(sqs, handle):
    url = sqs.create_queue()
    error = sqs.expect_error("ReceiptHandleIsInvalid", "DeleteMessage", QueueUrl=url, ReceiptHandle=handle)
    # DeleteMessage quotes the handle (AWS-recorded); ChangeMessageVisibility does not (below).
    assert error.message == f'The input receipt handle "{handle}" is not a valid receipt handle.'


def test_delete_message_with_stale_or_used_handle_succeeds(sqs):
    """DeleteMessage with a handle from an earlier receive succeeds (the API reference: "otherwise, the
    request succeeds, but the message will not be deleted"), and deleting twice is not an error."""
    url = sqs.create_queue()
    sqs.send(url, "twice")
    stale = sqs.receive(url, VisibilityTimeout=0)[0]["ReceiptHandle"]
    current = sqs.receive(url, VisibilityTimeout=30)[0]["ReceiptHandle"]
    assert stale != current
    sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=stale)
    sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=current)
    sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=current)
    assert sqs.queue_attributes(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_delete_message_handle_from_other_queue(sqs):
    url_a = sqs.create_queue()
    url_b = sqs.create_queue()
    sqs.send(url_a, "a")
    handle = sqs.receive(url_a)[0]["ReceiptHandle"]
    try:
        sqs.call("DeleteMessage", QueueUrl=url_b, ReceiptHandle=handle)
    except SqsError as e:
        check_error(e, "ReceiptHandleIsInvalid")
    # Whatever the answer, the message in queue A must not have been deleted through queue B.
    assert sqs.queue_attributes(url_a, "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessagesNotVisible": "1"}


def test_delete_message_batch(sqs):
    url = sqs.create_queue()
    for i in range(3):
        sqs.send(url, f"d{i}")
    messages = sqs.drain(url, 3)
    assert len(messages) == 3
    entries = [{"Id": f"ok{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    entries.append({"Id": "broken", "ReceiptHandle": "not-a-receipt-handle"})
    out = sqs.call("DeleteMessageBatch", QueueUrl=url, Entries=entries)
    assert sorted(e["Id"] for e in out["Successful"]) == ["ok0", "ok1", "ok2"]
    assert len(out["Failed"]) == 1
    assert out["Failed"][0]["Id"] == "broken"
    assert out["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    assert out["Failed"][0]["SenderFault"] is True
    assert sqs.queue_attributes(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def test_delete_message_batch_errors(sqs):
    url = sqs.create_queue()
    sqs.expect_error("EmptyBatchRequest", "DeleteMessageBatch", QueueUrl=url, Entries=[])
    sqs.expect_error("TooManyEntriesInBatchRequest", "DeleteMessageBatch", QueueUrl=url,
                     Entries=[{"Id": f"e{i}", "ReceiptHandle": "h"} for i in range(11)])
    sqs.expect_error("BatchEntryIdsNotDistinct", "DeleteMessageBatch", QueueUrl=url,
                     Entries=[{"Id": "x", "ReceiptHandle": "h1"}, {"Id": "x", "ReceiptHandle": "h2"}])
    sqs.expect_error("InvalidBatchEntryId", "DeleteMessageBatch", QueueUrl=url,
                     Entries=[{"Id": "bad id", "ReceiptHandle": "h1"}])


# --- ChangeMessageVisibility(Batch) --------------------------------------------------------------


def test_change_visibility_to_zero_makes_visible(sqs):
    url = sqs.create_queue()
    sqs.send(url, "cv")
    handle = sqs.receive(url, VisibilityTimeout=60)[0]["ReceiptHandle"]
    assert sqs.receive(url) == []
    sqs.call("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    assert sqs.receive_bodies(url) == ["cv"]


def test_change_visibility_extends_timeout(sqs):
    url = sqs.create_queue()
    sqs.send(url, "ext")
    handle = sqs.receive(url, VisibilityTimeout=1)[0]["ReceiptHandle"]
    sqs.call("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=30)
    time.sleep(1.3)
    assert sqs.receive(url) == []


def test_change_visibility_message_not_inflight(sqs):
    url = sqs.create_queue()
    sqs.send(url, "nif")
    handle = sqs.receive(url, VisibilityTimeout=60)[0]["ReceiptHandle"]
    sqs.call("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    # Now visible again, i.e. no longer in flight.
    sqs.expect_error("MessageNotInflight", "ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle,
                     VisibilityTimeout=10)


def test_change_visibility_invalid_handle(sqs):
    url = sqs.create_queue()
    error = sqs.expect_error("ReceiptHandleIsInvalid", "ChangeMessageVisibility", QueueUrl=url,
                             ReceiptHandle="garbage", VisibilityTimeout=10)
    assert error.message == "The input receipt handle is invalid."


def test_change_visibility_out_of_range(sqs):
    url = sqs.create_queue()
    sqs.send(url, "r")
    handle = sqs.receive(url)[0]["ReceiptHandle"]
    sqs.expect_error("InvalidParameterValue", "ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle,
                     VisibilityTimeout=43201)


def test_change_visibility_batch(sqs):
    url = sqs.create_queue()
    sqs.send(url, "b1")
    sqs.send(url, "b2")
    messages = sqs.drain(url, 2)
    assert len(messages) == 2
    entries = [{"Id": f"c{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
               for i, m in enumerate(messages)]
    entries.append({"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0})
    out = sqs.call("ChangeMessageVisibilityBatch", QueueUrl=url, Entries=entries)
    assert sorted(e["Id"] for e in out["Successful"]) == ["c0", "c1"]
    assert [f["Id"] for f in out["Failed"]] == ["bad"]
    assert out["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    assert out["Failed"][0]["Message"] == "The input receipt handle is invalid."
    assert out["Failed"][0]["SenderFault"] is True
    assert sorted(m["Body"] for m in sqs.drain(url, 2)) == ["b1", "b2"]


def test_change_visibility_batch_errors(sqs):
    url = sqs.create_queue()
    sqs.expect_error("EmptyBatchRequest", "ChangeMessageVisibilityBatch", QueueUrl=url, Entries=[])
    sqs.expect_error("TooManyEntriesInBatchRequest", "ChangeMessageVisibilityBatch", QueueUrl=url,
                     Entries=[{"Id": f"e{i}", "ReceiptHandle": "h", "VisibilityTimeout": 1} for i in range(11)])
    sqs.expect_error("BatchEntryIdsNotDistinct", "ChangeMessageVisibilityBatch", QueueUrl=url,
                     Entries=[{"Id": "x", "ReceiptHandle": "h", "VisibilityTimeout": 1},
                              {"Id": "x", "ReceiptHandle": "h", "VisibilityTimeout": 1}])


# --- Retention -----------------------------------------------------------------------------------


def test_retention_period_expiry(query_client):
    """MessageRetentionPeriod's minimum is 60 s, so this test spends about 68 s (once: one protocol).
    It checks, as AWS documents: in-flight messages expire too; a message redriven into a standard
    dead-letter queue keeps its original enqueue time (so it expires before a message sent to the DLQ
    directly but earlier in the DLQ's order); a message redriven into a FIFO dead-letter queue starts
    its retention period again."""
    sqs = query_client
    retention = {"MessageRetentionPeriod": "60"}
    plain = sqs.create_queue(unique("keep"), retention)
    dlq = sqs.create_queue(unique("dlq"), retention)
    source = sqs.create_queue(unique("src"), {"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": sqs.queue_arn(dlq), "maxReceiveCount": "1"})})
    fifo_attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    fifo_dlq = sqs.create_queue(unique("fdlq") + ".fifo", {**fifo_attrs, **retention})
    fifo_source = sqs.create_queue(unique("fsrc") + ".fifo", {**fifo_attrs, "RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": sqs.queue_arn(fifo_dlq), "maxReceiveCount": "1"})})

    def counts(url):
        attrs = sqs.queue_attributes(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def sleep_until(deadline):
        time.sleep(max(0.0, deadline - time.monotonic()))

    first_sent = time.monotonic()
    sqs.send(plain, "in flight")
    assert sqs.receive_bodies(plain, VisibilityTimeout=600) == ["in flight"]
    sqs.send(source, "redriven")
    assert sqs.receive_bodies(source, VisibilityTimeout=1) == ["redriven"]
    sqs.send(fifo_source, "fifo redriven", MessageGroupId="g")
    assert sqs.receive_bodies(fifo_source, VisibilityTimeout=1) == ["fifo redriven"]
    early_sends_done = time.monotonic()

    sleep_until(first_sent + 4)
    later_sent = time.monotonic()
    sqs.send(plain, "later")
    sqs.send(dlq, "direct")  # ahead of "redriven" in the DLQ's order, but enqueued after it
    # The second receives exceed maxReceiveCount: both messages move to their dead-letter queues.
    assert sqs.receive(source) == []
    assert sqs.receive(fifo_source) == []
    fifo_redriven_by = time.monotonic()
    assert counts(dlq) == (2, 0)
    assert counts(fifo_dlq) == (1, 0)
    assert counts(plain) == (1, 1)

    # Past 60 s from the first sends, before 60 s from the later ones.
    sleep_until(early_sends_done + 60.5)
    assert time.monotonic() < later_sent + 59, "the machine was too slow for this test's time windows"
    assert counts(plain) == (1, 0), "the in-flight message outlived the retention period"
    assert counts(dlq) == (1, 0), "a message redriven into a standard DLQ must keep its original enqueue time"
    assert sqs.receive_bodies(dlq) == ["direct"]
    assert counts(fifo_dlq) == (1, 0), "a FIFO DLQ restarts the retention period of a redriven message"

    sleep_until(max(later_sent, fifo_redriven_by) + 60.5)
    assert counts(plain) == (0, 0)
    assert sqs.receive(plain) == []
    assert counts(fifo_dlq) == (0, 0)
    assert sqs.receive(fifo_dlq) == []



def test_concurrent_producers_and_consumers_lose_nothing(make_client):
    """Several threads send and receive at once through both protocols: every message arrives."""
    query, json_ = make_client("query"), make_client("json")
    url = query.create_queue(unique("busy"))
    producers, per_producer = 4, 40
    expected = {f"p{p}-{i}" for p in range(producers) for i in range(per_producer)}
    received: set[str] = set()
    lock = threading.Lock()
    errors: list[BaseException] = []

    def produce(p):
        client = query if p % 2 else json_
        try:
            for i in range(0, per_producer, 10):
                out = client.call("SendMessageBatch", QueueUrl=url, Entries=[
                    {"Id": f"e{j}", "MessageBody": f"p{p}-{j}"} for j in range(i, i + 10)])
                assert not out.get("Failed"), out
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    def consume(c):
        client = json_ if c % 2 else query
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                with lock:
                    if received >= expected:
                        return
                batch = client.receive(url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=30)
                if batch:
                    client.call("DeleteMessageBatch", QueueUrl=url, Entries=[
                        {"Id": f"d{k}", "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(batch)])
                with lock:
                    received.update(m["Body"] for m in batch)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    threads += [threading.Thread(target=consume, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    assert received == expected, f"missing {len(expected - received)} messages"
    assert query.queue_attributes(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
