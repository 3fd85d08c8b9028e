"""SNS on the Redis store: several `mallard serve` processes on one Redis are one SNS.

Topics and subscriptions made through one server publish through another, and an HTTP/S delivery
whose server is killed with SIGKILL mid-attempt is taken over by the other server once its lease
ends (--sns-delivery-lease-ms), so a message accepted by a server that died is still delivered.
The module starts its own redis-server (redis_e2e.py)."""

from __future__ import annotations

import json
import signal
import time

import pytest

from conftest import start_server, stop_server
from redis_e2e import boto_client, redis_server, unique_prefix  # noqa: F401
from sns_e2e import HttpEndpoint, subscribe_http

LEASE_MS = 2000


@pytest.fixture
def start_pair(tmp_path, redis_server):
    """start_pair(prefix) -> two servers with SNS and SQS on the module's Redis under `prefix`."""
    started = []

    def start(prefix: str):
        url = redis_server.url(prefix)
        for _ in range(2):
            started.append(start_server(tmp_path / f"mallard-{len(started)}.log",
                                        ["--backend-sns", url, "--backend-sqs", url,
                                         "--sns-delivery-lease-ms", str(LEASE_MS)]))
        return started[-2], started[-1]

    yield start
    for handle in started:
        if handle.proc.poll() is None:
            rc, _ = stop_server(handle)
            assert rc == 0, f"mallard did not stop cleanly\n{handle.log_text()[-3000:]}"


def test_a_topic_made_through_one_server_fans_out_through_the_other(start_pair):
    a, b = start_pair(unique_prefix())
    sns_a, sns_b, sqs_b = boto_client("sns", a), boto_client("sns", b), boto_client("sqs", b)
    topic = sns_a.create_topic(Name="shared")["TopicArn"]
    url = sqs_b.create_queue(QueueName="q")["QueueUrl"]
    arn = sqs_b.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    assert [t["TopicArn"] for t in sns_b.list_topics()["Topics"]] == [topic]
    sns_b.publish(TopicArn=topic, Message="through b")
    [message] = sqs_b.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
    assert message["Body"] == "through b"


def test_a_delivery_whose_server_is_killed_is_taken_over(start_pair):
    a, b = start_pair(unique_prefix())
    sns_a = boto_client("sns", a)
    topic = sns_a.create_topic(Name="takeover")["TopicArn"]
    # The confirmation is answered; the first notification attempt stalls (the endpoint never
    # answers), so the server attempting it still holds it when it dies.
    endpoint = HttpEndpoint(script=[200, None])
    try:
        subscription = subscribe_http(sns_a, topic, endpoint)
        # b is paused while a accepts the publish, so a is the server that claims the attempt.
        b.proc.send_signal(signal.SIGSTOP)
        try:
            message_id = sns_a.publish(TopicArn=topic, Message="survives")["MessageId"]
            first = endpoint.wait(1, "Notification", timeout=10)[0]
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait(10)
            killed_at = time.monotonic()
        finally:
            b.proc.send_signal(signal.SIGCONT)
        # b takes the delivery over once a's lease ends, and it succeeds.
        second = endpoint.wait(2, "Notification", timeout=LEASE_MS / 1000 + 10)[1]
        assert json.loads(second.body)["MessageId"] == message_id == json.loads(first.body)["MessageId"]
        assert second.headers["x-amz-sns-subscription-arn"] == subscription
        assert second.at - killed_at < LEASE_MS / 1000 + 5
        # And it is delivered once: the task is complete, nothing more comes.
        time.sleep(LEASE_MS / 1000 + 1)
        assert len(endpoint.of_type("Notification")) == 2
    finally:
        endpoint.close()
