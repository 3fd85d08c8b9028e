"""Dead-letter queues: RedrivePolicy, RedriveAllowPolicy, ListDeadLetterSourceQueues and the
message move tasks (StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask, which only
the JS SDK has: botocore 1.29 predates them)."""

from __future__ import annotations

import json
import time

import pytest

from sqs_e2e import SqsError, unique, wait_until


def redrive(arn: str, max_receive: int) -> str:
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": str(max_receive)})


def make_pair(sqs, max_receive: int = 2, *, fifo: bool = False):
    suffix = ".fifo" if fifo else ""
    extra = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    dlq = sqs.create_queue(unique("dlq") + suffix, dict(extra) or None)
    dlq_arn = sqs.queue_arn(dlq)
    source = sqs.create_queue(unique("src") + suffix, {**extra, "RedrivePolicy": redrive(dlq_arn, max_receive)})
    return source, dlq, dlq_arn


def count(sqs, url, name="ApproximateNumberOfMessages") -> int:
    return int(sqs.queue_attributes(url, name)[name])


# --- RedrivePolicy -------------------------------------------------------------------------------


def test_redrive_policy_attribute(sqs):
    source, dlq, dlq_arn = make_pair(sqs, 3)
    policy = json.loads(sqs.queue_attributes(source, "RedrivePolicy")["RedrivePolicy"])
    assert policy["deadLetterTargetArn"] == dlq_arn
    assert int(policy["maxReceiveCount"]) == 3


def test_message_moves_to_dlq_after_max_receives(sqs):
    source, dlq, _ = make_pair(sqs, 2)
    sent = sqs.send(source, "poison", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    for expected_count in ("1", "2"):
        messages = sqs.receive(source, VisibilityTimeout=0, AttributeNames=["ApproximateReceiveCount"])
        assert [m["Body"] for m in messages] == ["poison"]
        assert messages[0]["Attributes"]["ApproximateReceiveCount"] == expected_count
    # A third receive would exceed maxReceiveCount=2: the message goes to the DLQ instead.
    assert sqs.receive(source, VisibilityTimeout=0) == []
    moved = sqs.receive(dlq, MessageAttributeNames=["All"])
    assert [m["Body"] for m in moved] == ["poison"]
    assert moved[0]["MessageId"] == sent["MessageId"]
    assert moved[0]["MessageAttributes"]["k"]["StringValue"] == "v"
    assert count(sqs, source) == 0


def test_message_moves_to_dlq_after_visibility_expiry(sqs):
    source, dlq, _ = make_pair(sqs, 1)
    sqs.send(source, "slow")
    assert sqs.receive_bodies(source, VisibilityTimeout=1) == ["slow"]
    time.sleep(1.3)
    assert sqs.receive(source) == []
    assert sqs.receive_bodies(dlq) == ["slow"]


def test_fifo_message_moves_to_fifo_dlq(sqs):
    source, dlq, _ = make_pair(sqs, 1, fifo=True)
    sent = sqs.send(source, "fifo poison", MessageGroupId="grp")
    assert sqs.receive_bodies(source, VisibilityTimeout=0) == ["fifo poison"]
    assert sqs.receive(source, VisibilityTimeout=0) == []
    moved = sqs.receive(dlq, AttributeNames=["All"])
    assert [m["Body"] for m in moved] == ["fifo poison"]
    assert moved[0]["MessageId"] == sent["MessageId"]
    assert moved[0]["Attributes"]["MessageGroupId"] == "grp"


def test_redrive_policy_with_missing_dlq(sqs):
    missing_arn = f"arn:aws:sqs:us-east-1:000000000000:{unique('nodlq')}"
    sqs.expect_error("InvalidParameterValue", "CreateQueue", QueueName=unique("src"),
                     Attributes={"RedrivePolicy": redrive(missing_arn, 2)})


@pytest.mark.parametrize("max_receive", [0, 1001])
def test_redrive_policy_max_receive_count_range(sqs, max_receive):
    dlq = sqs.create_queue(unique("dlq"))
    source = sqs.create_queue(unique("src"))
    sqs.expect_error("InvalidParameterValue", "SetQueueAttributes", QueueUrl=source,
                     Attributes={"RedrivePolicy": redrive(sqs.queue_arn(dlq), max_receive)})


def test_redrive_policy_queue_types_must_match(sqs):
    fifo_dlq = sqs.create_queue(unique("fdlq") + ".fifo", {"FifoQueue": "true"})
    source = sqs.create_queue(unique("src"))
    sqs.expect_error("InvalidParameterValue", "SetQueueAttributes", QueueUrl=source,
                     Attributes={"RedrivePolicy": redrive(sqs.queue_arn(fifo_dlq), 2)})


def test_remove_redrive_policy(sqs):
    source, dlq, _ = make_pair(sqs, 2)
    sqs.call("SetQueueAttributes", QueueUrl=source, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in sqs.queue_attributes(source, "All")
    assert sqs.call("ListDeadLetterSourceQueues", QueueUrl=dlq).get("queueUrls", []) == []


def test_list_dead_letter_source_queues(sqs):
    source, dlq, dlq_arn = make_pair(sqs, 2)
    second = sqs.create_queue(unique("src2"), {"RedrivePolicy": redrive(dlq_arn, 5)})
    sqs.create_queue(unique("unrelated"))
    urls = sqs.call("ListDeadLetterSourceQueues", QueueUrl=dlq).get("queueUrls", [])
    assert sorted(urls) == sorted([source, second])
    assert sqs.call("ListDeadLetterSourceQueues", QueueUrl=source).get("queueUrls", []) == []


def test_list_dead_letter_source_queues_paging(sqs):
    dlq = sqs.create_queue(unique("dlq"))
    arn = sqs.queue_arn(dlq)
    sources = {sqs.create_queue(unique(f"s{i}"), {"RedrivePolicy": redrive(arn, 2)}) for i in range(3)}
    first = sqs.call("ListDeadLetterSourceQueues", QueueUrl=dlq, MaxResults=2)
    assert len(first["queueUrls"]) == 2
    assert first.get("NextToken")
    second = sqs.call("ListDeadLetterSourceQueues", QueueUrl=dlq, MaxResults=2, NextToken=first["NextToken"])
    assert len(second["queueUrls"]) == 1
    assert not second.get("NextToken")
    assert set(first["queueUrls"]) | set(second["queueUrls"]) == sources


def test_list_dead_letter_source_queues_missing_queue(sqs, mallard):
    sqs.expect_error("QueueDoesNotExist", "ListDeadLetterSourceQueues", QueueUrl=mallard.queue_url(unique("x")))


# --- RedriveAllowPolicy --------------------------------------------------------------------------


def test_redrive_allow_policy_deny_all(sqs):
    dlq = sqs.create_queue(unique("dlq"), {"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})})
    assert json.loads(sqs.queue_attributes(dlq, "RedriveAllowPolicy")["RedriveAllowPolicy"]) == \
        {"redrivePermission": "denyAll"}
    source = sqs.create_queue(unique("src"))
    sqs.expect_error("InvalidParameterValue", "SetQueueAttributes", QueueUrl=source,
                     Attributes={"RedrivePolicy": redrive(sqs.queue_arn(dlq), 2)})
    assert "RedrivePolicy" not in sqs.queue_attributes(source, "All")


def test_redrive_allow_policy_by_queue(sqs):
    allowed = sqs.create_queue(unique("allowed"))
    refused = sqs.create_queue(unique("refused"))
    policy = {"redrivePermission": "byQueue", "sourceQueueArns": [sqs.queue_arn(allowed)]}
    dlq = sqs.create_queue(unique("dlq"), {"RedriveAllowPolicy": json.dumps(policy)})
    dlq_arn = sqs.queue_arn(dlq)
    sqs.call("SetQueueAttributes", QueueUrl=allowed, Attributes={"RedrivePolicy": redrive(dlq_arn, 2)})
    sqs.expect_error("InvalidParameterValue", "SetQueueAttributes", QueueUrl=refused,
                     Attributes={"RedrivePolicy": redrive(dlq_arn, 2)})
    assert sqs.call("ListDeadLetterSourceQueues", QueueUrl=dlq).get("queueUrls") == [allowed]


def test_redrive_allow_policy_allow_all(sqs):
    dlq = sqs.create_queue(unique("dlq"), {"RedriveAllowPolicy": json.dumps({"redrivePermission": "allowAll"})})
    source = sqs.create_queue(unique("src"), {"RedrivePolicy": redrive(sqs.queue_arn(dlq), 2)})
    assert sqs.call("ListDeadLetterSourceQueues", QueueUrl=dlq).get("queueUrls") == [source]


def test_redrive_allow_policy_invalid(sqs):
    sqs.expect_error("InvalidParameterValue", "CreateQueue", QueueName=unique("dlq"),
                     Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "sometimes"})})


# --- Message move tasks (JS SDK only) -----------------------------------------------------------


def fill_dlq(sqs, n: int):
    """A source queue with maxReceiveCount=1 whose n messages have all been moved to its DLQ."""
    source, dlq, dlq_arn = make_pair(sqs, 1)
    bodies = [f"m{i}" for i in range(n)]
    for i in range(0, n, 10):
        sqs.call("SendMessageBatch", QueueUrl=source,
                 Entries=[{"Id": f"e{j}", "MessageBody": bodies[j]} for j in range(i, min(i + 10, n))])
    seen: set[str] = set()
    deadline = time.monotonic() + 10
    while len(seen) < n and time.monotonic() < deadline:
        seen.update(m["MessageId"] for m in sqs.receive(source, MaxNumberOfMessages=10, VisibilityTimeout=0))
    assert len(seen) == n, "could not receive every message once"
    wait_until(lambda: (sqs.receive(source, MaxNumberOfMessages=10, VisibilityTimeout=0) == []
                        and count(sqs, dlq) == n), timeout=10, what=f"{n} messages in the DLQ")
    return source, dlq, dlq_arn, bodies


def tasks(sqs, source_arn):
    return sqs.call("ListMessageMoveTasks", SourceArn=source_arn).get("Results", [])


def test_move_task_back_to_source(json_client):
    sqs = json_client
    source, dlq, dlq_arn, bodies = fill_dlq(sqs, 5)
    started = sqs.call("StartMessageMoveTask", SourceArn=dlq_arn)
    assert started["TaskHandle"]
    before = int(time.time() * 1000)
    done = wait_until(lambda: [t for t in tasks(sqs, dlq_arn) if t["Status"] == "COMPLETED"], timeout=10,
                      what="the move task to complete")
    task = done[0]
    assert task["SourceArn"] == dlq_arn
    assert task["ApproximateNumberOfMessagesMoved"] == 5
    assert task.get("ApproximateNumberOfMessagesToMove", 5) == 5
    assert abs(int(task["StartedTimestamp"]) - before) < 60_000
    assert "TaskHandle" not in task  # only running tasks carry a handle
    assert count(sqs, dlq) == 0
    received = sqs.drain(source, 5)
    assert sorted(m["Body"] for m in received) == sorted(bodies)


def test_move_task_to_explicit_destination(json_client):
    sqs = json_client
    source, dlq, dlq_arn, bodies = fill_dlq(sqs, 3)
    destination = sqs.create_queue(unique("dest"))
    dest_arn = sqs.queue_arn(destination)
    sqs.call("StartMessageMoveTask", SourceArn=dlq_arn, DestinationArn=dest_arn)
    done = wait_until(lambda: [t for t in tasks(sqs, dlq_arn) if t["Status"] == "COMPLETED"], timeout=10,
                      what="the move task to complete")
    assert done[0]["DestinationArn"] == dest_arn
    assert done[0]["ApproximateNumberOfMessagesMoved"] == 3
    assert sorted(m["Body"] for m in sqs.drain(destination, 3)) == sorted(bodies)
    assert sqs.receive(source) == []


def test_cancel_move_task(json_client):
    sqs = json_client
    n = 20
    source, dlq, dlq_arn, _ = fill_dlq(sqs, n)
    handle = sqs.call("StartMessageMoveTask", SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    running = tasks(sqs, dlq_arn)
    assert running and running[0]["Status"] == "RUNNING"
    assert running[0]["TaskHandle"] == handle
    assert running[0]["MaxNumberOfMessagesPerSecond"] == 1
    # Only one active task per queue.
    with pytest.raises(SqsError) as second:
        sqs.call("StartMessageMoveTask", SourceArn=dlq_arn)
    assert 400 <= second.value.status < 500
    cancelled = sqs.call("CancelMessageMoveTask", TaskHandle=handle)
    assert 0 <= cancelled["ApproximateNumberOfMessagesMoved"] < n
    final = wait_until(lambda: [t for t in tasks(sqs, dlq_arn) if t["Status"] == "CANCELLED"], timeout=5,
                       what="the task to be CANCELLED")[0]
    moved = final["ApproximateNumberOfMessagesMoved"]
    assert moved < n
    time.sleep(1.2)  # nothing moves after the cancellation
    assert count(sqs, source) == moved
    assert count(sqs, dlq) == n - moved


def test_start_move_task_missing_source(json_client):
    json_client.expect_error("ResourceNotFoundException", "StartMessageMoveTask",
                             SourceArn=f"arn:aws:sqs:us-east-1:000000000000:{unique('nothing')}")


def test_start_move_task_on_queue_that_is_not_a_dlq(json_client):
    plain = json_client.create_queue(unique("plain"))
    with pytest.raises(SqsError) as error:
        json_client.call("StartMessageMoveTask", SourceArn=json_client.queue_arn(plain))
    assert 400 <= error.value.status < 500
