"""SQS on the Redis backend: several `mallard serve` processes on one Redis behave as one service.

The module starts its own redis-server (AOF, fsync on every write) on a free loopback port; each test
starts Mallard servers with `--backend-sqs redis://...?prefix=...` under a prefix of its own.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from redis_e2e import (boto_client, expect_5xx_while_redis_down, kill_9_under_load, redis_server,  # noqa: F401
                       serve_on_redis, unique_prefix)
from sqs_e2e import http_request, wait_until


@pytest.fixture
def start_mallard(tmp_path, redis_server):
    """start_mallard(prefix) -> a running `mallard serve` on the module's Redis under `prefix`."""
    yield from serve_on_redis(tmp_path, redis_server, "--backend-sqs")


def client(handle, read_timeout: float = 40):
    return boto_client("sqs", handle, read_timeout)


prefix = unique_prefix


def test_health_reports_the_redis_backend(start_mallard):
    server = start_mallard(prefix())
    health = server.extra["health"]
    assert health["services"]["sqs"]["backend"] == "redis"
    assert "redis" in health["build"]["backends"]["sqs"]


def test_a_message_sent_through_one_server_is_received_through_the_other_exactly_once(start_mallard):
    shared = prefix()
    a, b = client(start_mallard(shared)), client(start_mallard(shared))
    url = a.create_queue(QueueName="shared")["QueueUrl"]
    assert b.get_queue_url(QueueName="shared")["QueueUrl"].endswith("/shared")
    sent = {}
    for batch in range(10):
        entries = [{"Id": str(i), "MessageBody": f"m{batch}-{i}"} for i in range(10)]
        for ok in a.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]:
            sent[ok["MessageId"]] = ok
    assert len(sent) == 100

    received: list[str] = []
    lock = threading.Lock()

    def consume(sqs):
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=120,
                                           WaitTimeSeconds=1).get("Messages", [])
            if not messages:
                return
            with lock:
                received.extend(m["MessageId"] for m in messages)

    threads = [threading.Thread(target=consume, args=(sqs,)) for sqs in (a, b, a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(received) == len(set(received)), "a message was delivered twice within its visibility window"
    assert set(received) == set(sent)
    attributes = b.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "100"


def test_fifo_order_holds_across_servers(start_mallard):
    shared = prefix()
    a, b = client(start_mallard(shared)), client(start_mallard(shared))
    url = a.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    for i in range(12):
        a.send_message(QueueUrl=url, MessageBody=str(i), MessageGroupId="g", MessageDeduplicationId=str(i))
    # A duplicate sent through the other server is deduplicated there too.
    b.send_message(QueueUrl=url, MessageBody="0", MessageGroupId="g", MessageDeduplicationId="0")
    bodies = []
    for turn in range(12):
        sqs = (a, b)[turn % 2]
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=2).get("Messages", [])
        assert len(messages) == 1
        # While it is in flight the group delivers nothing through either server.
        assert (b, a)[turn % 2].receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
        bodies.append(messages[0]["Body"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    assert bodies == [str(i) for i in range(12)]


def test_a_long_poll_wakes_within_a_second_of_a_send_through_another_server(start_mallard):
    shared = prefix()
    a, b = client(start_mallard(shared)), client(start_mallard(shared))
    url = a.create_queue(QueueName="wake")["QueueUrl"]
    for _round in range(3):
        result = {}

        def poll():
            result["messages"] = b.receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", [])
            result["done"] = time.monotonic()

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.5)  # the poll is waiting on server B
        sent_at = time.monotonic()
        a.send_message(QueueUrl=url, MessageBody="wake up")
        poller.join(25)
        assert [m["Body"] for m in result["messages"]] == ["wake up"]
        latency = result["done"] - sent_at
        assert latency < 1.0, f"the long poll woke {latency:.2f} s after the send"
        b.delete_message(QueueUrl=url, ReceiptHandle=result["messages"][0]["ReceiptHandle"])


def test_kill_9_of_a_server_under_send_load_loses_no_acknowledged_message(start_mallard):
    shared = prefix()
    victim = start_mallard(shared)
    survivor = client(start_mallard(shared))
    url = survivor.create_queue(QueueName="durable")["QueueUrl"]
    acknowledged: set[str] = set()
    lock = threading.Lock()

    def send_load(worker: int, stop: threading.Event):
        sqs = client(victim, read_timeout=5)
        n = 0
        while not stop.is_set():
            try:
                if n % 2:
                    ids = [e["MessageId"] for e in sqs.send_message_batch(
                        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"{worker}-{n}-{i}"} for i in range(5)]
                    )["Successful"]]
                else:
                    ids = [sqs.send_message(QueueUrl=url, MessageBody=f"{worker}-{n}")["MessageId"]]
            except (ClientError, EndpointConnectionError, Exception):  # the server died mid-request
                return
            with lock:
                acknowledged.update(ids)
            n += 1

    kill_9_under_load(victim, send_load)
    assert len(acknowledged) > 50, "the load never got going"

    received: set[str] = set()
    while True:
        messages = survivor.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get(
            "Messages", [])
        if not messages:
            break
        received.update(m["MessageId"] for m in messages)
    lost = acknowledged - received
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged messages were lost"


def test_redis_restart_gives_5xx_and_the_servers_recover_by_themselves(start_mallard, redis_server):
    shared = prefix()
    server_a, server_b = start_mallard(shared), start_mallard(shared)
    a, b = client(server_a), client(server_b)
    url = a.create_queue(QueueName="restart")["QueueUrl"]
    before = a.send_message(QueueUrl=url, MessageBody="before the restart")["MessageId"]

    expect_5xx_while_redis_down(redis_server, (
        lambda: a.send_message(QueueUrl=url, MessageBody="x"),
        lambda: b.receive_message(QueueUrl=url),
        lambda: b.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])), ("ServiceUnavailable", "InternalFailure"))
    assert server_a.proc.poll() is None and server_b.proc.poll() is None, "a server died while Redis was down"

    def sends_again():
        try:
            return a.send_message(QueueUrl=url, MessageBody="after the restart")["MessageId"]
        except ClientError:
            return None

    after = wait_until(sends_again, timeout=15, what="server A to recover")
    wait_until(lambda: _receives(b, url), timeout=15, what="server B to recover")
    ids = set()
    while True:
        messages = b.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get("Messages", [])
        if not messages:
            break
        ids.update(m["MessageId"] for m in messages)
    assert {before, after} <= ids, "a message acknowledged before the restart was lost"

    # The subscription came back too: a long poll on B wakes on a send through A.
    result = {}
    poller = threading.Thread(target=lambda: result.update(
        messages=b.receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", []), done=time.monotonic()))
    poller.start()
    time.sleep(0.5)
    sent_at = time.monotonic()
    a.send_message(QueueUrl=url, MessageBody="wake")
    poller.join(25)
    assert [m["Body"] for m in result["messages"]] == ["wake"]
    assert result["done"] - sent_at < 1.0


def test_a_hung_redis_gives_5xx_after_the_command_timeout_not_a_hung_request(start_mallard, redis_server):
    server = start_mallard(prefix(), timeout_ms=500)
    sqs = client(server)
    url = sqs.create_queue(QueueName="hung")["QueueUrl"]
    redis_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(ClientError) as failure:
            sqs.send_message(QueueUrl=url, MessageBody="x")
        took = time.monotonic() - started
        assert failure.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        assert failure.value.response["Error"]["Code"] == "ServiceUnavailable"
        assert took < 3, f"the request took {took:.1f} s with a 500 ms command timeout"
        # The server's own endpoints still answer: no network thread waits on Redis.
        assert http_request(server.port, "GET", "/_mallard/health", timeout=2).status == 200
    finally:
        redis_server.resume()
    wait_until(lambda: _receives(sqs, url), timeout=10, what="the server to recover")
    sqs.send_message(QueueUrl=url, MessageBody="after")
    assert server.proc.poll() is None


def _receives(sqs, url) -> bool:
    try:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return True
    except ClientError:
        return False


def test_two_prefixes_on_one_redis_are_isolated(start_mallard, redis_server):
    first_server, second_server = start_mallard(prefix()), start_mallard(prefix())
    first, second = client(first_server), client(second_server)
    first_url = first.create_queue(QueueName="same-name")["QueueUrl"]
    second_url = second.create_queue(QueueName="same-name")["QueueUrl"]
    first.send_message(QueueUrl=first_url, MessageBody="only in the first deployment")
    assert second.receive_message(QueueUrl=second_url).get("Messages", []) == []
    first.create_queue(QueueName="first-only")
    assert [u.rsplit("/", 1)[1] for u in second.list_queues().get("QueueUrls", [])] == ["same-name"]

    # A reset clears only its own deployment's keys.
    assert http_request(first_server.port, "POST", "/_mallard/reset", timeout=10).status == 200
    assert first.list_queues().get("QueueUrls", []) == []
    assert [u.rsplit("/", 1)[1] for u in second.list_queues().get("QueueUrls", [])] == ["same-name"]


def _sqs_json(server, operation: str, **body) -> dict:
    """Move-task operations postdate Debian's boto3: call them as the current SDKs do (awsJson)."""
    import json
    response = http_request(server.port, "POST", "/", {"Content-Type": "application/x-amz-json-1.0",
                                                       "X-Amz-Target": f"AmazonSQS.{operation}"},
                            json.dumps(body), sign=True)
    assert response.status == 200, response.body
    return json.loads(response.body)


def _dlq_and_source(sqs):
    """A dead-letter queue `dead` and a queue `work` that redrives into it: (dlq url, dlq arn, work url, work arn)."""
    dlq = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    work = sqs.create_queue(QueueName="work", Attributes={
        "RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"1"}}'})["QueueUrl"]
    work_arn = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return dlq, dlq_arn, work, work_arn


def test_a_move_task_cancelled_through_another_server_stops(start_mallard):
    shared = prefix()
    server_a, server_b = start_mallard(shared), start_mallard(shared)
    a, b = client(server_a), client(server_b)
    dlq, dlq_arn, work, work_arn = _dlq_and_source(a)
    for batch in range(10):
        a.send_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"{batch}-{i}"} for i in range(10)])
    # One message a second: the task runs long enough to be cancelled through the other server.
    handle = _sqs_json(server_a, "StartMessageMoveTask", SourceArn=dlq_arn, DestinationArn=work_arn,
                       MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    time.sleep(1.5)
    _sqs_json(server_b, "CancelMessageMoveTask", TaskHandle=handle)
    time.sleep(0.5)
    left = int(b.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
               ["Attributes"]["ApproximateNumberOfMessages"])
    time.sleep(2.5)
    later = int(a.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
                ["Attributes"]["ApproximateNumberOfMessages"])
    assert later == left, "the runner on the first server kept moving after the cancel"
    assert 95 <= left < 100, "MaxNumberOfMessagesPerSecond=1 moves about one message a second"
    tasks = _sqs_json(server_a, "ListMessageMoveTasks", SourceArn=dlq_arn)["Results"]
    assert tasks[0]["Status"] == "CANCELLED"
    assert tasks[0]["ApproximateNumberOfMessagesMoved"] == 100 - left, "the count of moved messages accumulates"


def test_a_move_task_outlives_the_server_that_ran_it(start_mallard):
    """kill -9 of the server running a move task: after the task's lease (5 s) another server on the
    same Redis takes it over and finishes it; nothing is lost or moved twice, and the DLQ accepts a
    new task afterwards (a stuck RUNNING task would refuse it for ever)."""
    shared = prefix()
    victim, survivor = start_mallard(shared), start_mallard(shared)
    a, b = client(victim), client(survivor)
    dlq, dlq_arn, work, work_arn = _dlq_and_source(a)
    bodies = {f"{batch}-{i}" for batch in range(4) for i in range(10)}
    for batch in range(4):
        a.send_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": f"{batch}-{i}"} for i in range(10)])
    _sqs_json(victim, "StartMessageMoveTask", SourceArn=dlq_arn, DestinationArn=work_arn, MaxNumberOfMessagesPerSecond=5)
    time.sleep(1.5)
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(10)

    def dlq_count():
        return int(b.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
                   ["Attributes"]["ApproximateNumberOfMessages"])

    left_at_kill = dlq_count()
    assert 0 < left_at_kill < 40, "the task should have been mid-way when its server died"
    task = _sqs_json(survivor, "ListMessageMoveTasks", SourceArn=dlq_arn)["Results"][0]
    assert task["Status"] == "RUNNING"
    # Resumed at the same rate: 5 s lease + a 2 s sweep + ~8 s of moving at 5 a second.
    wait_until(lambda: _sqs_json(survivor, "ListMessageMoveTasks", SourceArn=dlq_arn)["Results"][0]["Status"]
               == "COMPLETED", timeout=40, interval=0.5, what="the orphaned task to complete")
    assert dlq_count() == 0
    assert "resuming message move task" in survivor.log_text()
    received = []
    while True:
        messages = b.receive_message(QueueUrl=work, MaxNumberOfMessages=10, VisibilityTimeout=120).get("Messages", [])
        if not messages:
            break
        received.extend(m["Body"] for m in messages)
    assert sorted(received) == sorted(bodies), "every message moved back exactly once"
    task = _sqs_json(survivor, "ListMessageMoveTasks", SourceArn=dlq_arn)["Results"][0]
    assert task["ApproximateNumberOfMessagesToMove"] == 40
    assert 0 < task["ApproximateNumberOfMessagesMoved"] <= 40
    b.send_message(QueueUrl=dlq, MessageBody="again")
    _sqs_json(survivor, "StartMessageMoveTask", SourceArn=dlq_arn, DestinationArn=work_arn)
    wait_until(lambda: b.receive_message(QueueUrl=work).get("Messages", []), timeout=10, what="a new task to run")
