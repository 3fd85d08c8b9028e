"""FIFO queues: message groups, ordering, in-flight group blocking, deduplication, sequence numbers.
Tests taking `sqs` run over both protocols."""

from __future__ import annotations

import pytest

from sqs_e2e import md5_hex, unique


def fifo_queue(sqs, content_based: bool = False, **attributes) -> str:
    attrs = {"FifoQueue": "true", **attributes}
    if content_based:
        attrs["ContentBasedDeduplication"] = "true"
    return sqs.create_queue(unique("fifo") + ".fifo", attrs)


def test_fifo_queue_attributes(sqs):
    url = fifo_queue(sqs)
    attrs = sqs.queue_attributes(url, "All")
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    url2 = fifo_queue(sqs, content_based=True)
    assert sqs.queue_attributes(url2, "ContentBasedDeduplication") == {"ContentBasedDeduplication": "true"}


def test_fifo_requires_message_group_id(sqs):
    url = fifo_queue(sqs, content_based=True)
    sqs.expect_error("MissingParameter", "SendMessage", QueueUrl=url, MessageBody="no group")


def test_fifo_requires_deduplication_id_without_content_based(sqs):
    url = fifo_queue(sqs)
    sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x", MessageGroupId="g")


def test_fifo_batch_entry_without_group_id_fails_whole_request(sqs):
    # AWS refuses the request (HTTP 400), not the entry: nothing of the batch is sent.
    url = fifo_queue(sqs)
    entries = [{"Id": "ok", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
               {"Id": "nogroup", "MessageBody": "b", "MessageDeduplicationId": "d2"}]
    error = sqs.expect_error("InvalidParameterValue", "SendMessageBatch", QueueUrl=url, Entries=entries)
    assert error.message == "The request must contain the parameter MessageGroupId."
    assert sqs.receive(url) == []


def test_fifo_batch_entry_without_deduplication_id_fails_whole_request(sqs):
    url = fifo_queue(sqs)
    entries = [{"Id": "ok", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
               {"Id": "nodedup", "MessageBody": "b", "MessageGroupId": "g"}]
    error = sqs.expect_error("InvalidParameterValue", "SendMessageBatch", QueueUrl=url, Entries=entries)
    assert error.message == ("The queue should either have ContentBasedDeduplication enabled or "
                             "MessageDeduplicationId provided explicitly")
    assert sqs.receive(url) == []
    # With content-based deduplication the id may be left out.
    url = fifo_queue(sqs, content_based=True)
    out = sqs.call("SendMessageBatch", QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "a", "MessageGroupId": "g"}])
    assert [entry["Id"] for entry in out["Successful"]] == ["a"]


def test_fifo_rejects_per_message_delay(sqs):
    url = fifo_queue(sqs, content_based=True)
    sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x", MessageGroupId="g",
                     DelaySeconds=5)


def test_fifo_strict_order_and_sequence_numbers(sqs):
    url = fifo_queue(sqs)
    sequence = []
    for i in range(6):
        sent = sqs.send(url, f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        assert sent["MD5OfMessageBody"] == md5_hex(f"m{i}")
        sequence.append(int(sent["SequenceNumber"]))
    assert sequence == sorted(sequence) and len(set(sequence)) == 6, f"not increasing: {sequence}"
    received = []
    while len(received) < 6:
        batch = sqs.receive(url, MaxNumberOfMessages=4, AttributeNames=["All"])
        assert batch, f"stopped after {len(received)} messages"
        for message in batch:
            received.append(message)
            sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert [m["Body"] for m in received] == [f"m{i}" for i in range(6)]
    assert [int(m["Attributes"]["SequenceNumber"]) for m in received] == sequence
    first = received[0]["Attributes"]
    assert first["MessageGroupId"] == "g"
    assert first["MessageDeduplicationId"] == "d0"


def test_fifo_group_blocked_while_in_flight(sqs):
    url = fifo_queue(sqs, content_based=True)
    sqs.send(url, "a1", MessageGroupId="A")
    sqs.send(url, "a2", MessageGroupId="A")
    first = sqs.receive(url, MaxNumberOfMessages=1, VisibilityTimeout=30)
    assert [m["Body"] for m in first] == ["a1"]
    # a2 must wait until a1 is deleted or visible again.
    assert sqs.receive(url, MaxNumberOfMessages=10) == []
    sqs.send(url, "b1", MessageGroupId="B")
    assert sqs.receive_bodies(url, MaxNumberOfMessages=10, VisibilityTimeout=30) == ["b1"]
    sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert sqs.receive_bodies(url, MaxNumberOfMessages=10) == ["a2"]


def test_fifo_group_unblocked_when_visible_again(sqs):
    url = fifo_queue(sqs, content_based=True)
    sqs.send(url, "x1", MessageGroupId="X")
    sqs.send(url, "x2", MessageGroupId="X")
    handle = sqs.receive(url, VisibilityTimeout=30)[0]["ReceiptHandle"]
    sqs.call("ChangeMessageVisibility", QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    # x1 is visible again and comes first, before x2.
    assert sqs.receive_bodies(url, MaxNumberOfMessages=1) == ["x1"]


def test_fifo_groups_are_independent(sqs):
    url = fifo_queue(sqs, content_based=True)
    for group in ("g1", "g2"):
        for i in range(3):
            sqs.send(url, f"{group}-{i}", MessageGroupId=group)
    got = []
    while True:
        batch = sqs.receive(url, MaxNumberOfMessages=10)
        if not batch:
            break
        for message in batch:
            got.append(message["Body"])
            sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert len(got) <= 6
    assert sorted(got) == sorted(f"{g}-{i}" for g in ("g1", "g2") for i in range(3))
    for group in ("g1", "g2"):
        assert [b for b in got if b.startswith(group)] == [f"{group}-{i}" for i in range(3)]


def test_fifo_explicit_deduplication(sqs):
    url = fifo_queue(sqs)
    first = sqs.send(url, "original", MessageGroupId="g", MessageDeduplicationId="same")
    again = sqs.send(url, "duplicate", MessageGroupId="g", MessageDeduplicationId="same")
    assert again["MessageId"] == first["MessageId"]
    assert sqs.receive_bodies(url, MaxNumberOfMessages=10) == ["original"]
    assert sqs.queue_attributes(url, "ApproximateNumberOfMessages")["ApproximateNumberOfMessages"] == "0"


def test_fifo_deduplication_survives_delete(sqs):
    url = fifo_queue(sqs)
    first = sqs.send(url, "once", MessageGroupId="g", MessageDeduplicationId="dd")
    message = sqs.receive(url)[0]
    sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    again = sqs.send(url, "once", MessageGroupId="g", MessageDeduplicationId="dd")
    assert again["MessageId"] == first["MessageId"]
    assert sqs.receive(url) == []


def test_fifo_content_based_deduplication(sqs):
    url = fifo_queue(sqs, content_based=True)
    first = sqs.send(url, "same body", MessageGroupId="g")
    again = sqs.send(url, "same body", MessageGroupId="g")
    other = sqs.send(url, "other body", MessageGroupId="g")
    assert again["MessageId"] == first["MessageId"]
    assert other["MessageId"] != first["MessageId"]
    messages = sqs.receive(url, MaxNumberOfMessages=10, AttributeNames=["MessageDeduplicationId"])
    assert [m["Body"] for m in messages] == ["same body", "other body"]
    # The generated deduplication ids (SHA-256 based) differ for different bodies.
    ids = [m["Attributes"]["MessageDeduplicationId"] for m in messages]
    assert all(ids) and ids[0] != ids[1]


def test_fifo_explicit_id_overrides_content_based(sqs):
    url = fifo_queue(sqs, content_based=True)
    a = sqs.send(url, "body", MessageGroupId="g", MessageDeduplicationId="one")
    b = sqs.send(url, "body", MessageGroupId="g", MessageDeduplicationId="two")
    assert a["MessageId"] != b["MessageId"]
    assert len(sqs.receive(url, MaxNumberOfMessages=10)) == 2


def test_fifo_send_message_batch(sqs):
    url = fifo_queue(sqs)
    entries = [{"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g", "MessageDeduplicationId": f"d{i}"}
               for i in range(4)]
    entries.append({"Id": "dup", "MessageBody": "dup", "MessageGroupId": "g", "MessageDeduplicationId": "d0"})
    out = sqs.call("SendMessageBatch", QueueUrl=url, Entries=entries)
    assert out.get("Failed", []) == []
    by_id = {e["Id"]: e for e in out["Successful"]}
    numbers = [int(by_id[f"e{i}"]["SequenceNumber"]) for i in range(4)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 4
    assert by_id["dup"]["MessageId"] == by_id["e0"]["MessageId"]
    assert sqs.receive_bodies(url, MaxNumberOfMessages=10) == ["b0", "b1", "b2", "b3"]


@pytest.mark.parametrize("attribute,value", [("MessageGroupId", "has space"), ("MessageDeduplicationId", "x" * 129),
                                             ("MessageDeduplicationId", "")])
def test_fifo_invalid_ids(sqs, attribute, value):
    url = fifo_queue(sqs)
    kwargs = {"MessageGroupId": "g", "MessageDeduplicationId": "d"}
    kwargs[attribute] = value
    error = sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x", **kwargs)
    # AWS-recorded wording, an empty id included ("Value  for parameter MessageDeduplicationId …").
    assert error.message == (f"Value {value} for parameter {attribute} is invalid. Reason: {attribute} can only "
                             "include alphanumeric and punctuation characters. 1 to 128 in length.")


@pytest.mark.parametrize("group", ["", "a" * 129, "group 123"])
def test_standard_queue_invalid_message_group_id(sqs, group):
    url = sqs.create_queue()
    error = sqs.expect_error("InvalidParameterValue", "SendMessage", QueueUrl=url, MessageBody="x", MessageGroupId=group)
    assert error.message == (f"Value {group} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only "
                             "include alphanumeric and punctuation characters. 1 to 128 in length.")


def test_fifo_attribute_cannot_be_set_on_standard_queue(sqs):
    url = sqs.create_queue()
    sqs.expect_error("InvalidAttributeName", "SetQueueAttributes", QueueUrl=url,
                     Attributes={"ContentBasedDeduplication": "true"})
