"""The AWS CLI round trip, boto3 <-> JS SDK interoperability, and per-region state."""

from __future__ import annotations

import pytest

from sqs_e2e import ACCOUNT, OTHER_REGION, REGION, CliError, md5_hex, md5_of_message_attributes, unique


# --- AWS CLI -------------------------------------------------------------------------------------


def test_aws_cli_round_trip(aws_cli, mallard):
    name = unique("cli")
    created = aws_cli("sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=40")
    assert not isinstance(created, CliError), created
    url = created["QueueUrl"]
    assert url == f"{mallard.endpoint}/{ACCOUNT}/{name}"

    sent = aws_cli("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli",
                   "--message-attributes", '{"a":{"DataType":"String","StringValue":"b"}}')
    assert not isinstance(sent, CliError), sent
    assert sent["MD5OfMessageBody"] == md5_hex("from the cli")
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes(
        {"a": {"DataType": "String", "StringValue": "b"}})

    attrs = aws_cli("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
    assert not isinstance(attrs, CliError), attrs
    assert attrs["Attributes"]["VisibilityTimeout"] == "40"
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "1"
    assert attrs["Attributes"]["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"

    received = aws_cli("sqs", "receive-message", "--queue-url", url, "--message-attribute-names", "All",
                       "--attribute-names", "All")
    assert not isinstance(received, CliError), received
    assert len(received["Messages"]) == 1
    message = received["Messages"][0]
    assert message["Body"] == "from the cli"
    assert message["MessageAttributes"]["a"]["StringValue"] == "b"
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"

    deleted = aws_cli("sqs", "delete-queue", "--queue-url", url)
    assert not isinstance(deleted, CliError), deleted
    listed = aws_cli("sqs", "list-queues")
    assert not isinstance(listed, CliError), listed
    assert url not in listed.get("QueueUrls", [])


def test_aws_cli_error(aws_cli):
    result = aws_cli("sqs", "get-queue-url", "--queue-name", unique("missing"))
    assert isinstance(result, CliError), result
    assert result.returncode != 0
    assert result.code == "AWS.SimpleQueueService.NonExistentQueue", result.stderr


# --- Interoperability ----------------------------------------------------------------------------


ATTRS = {
    "s": {"DataType": "String", "StringValue": "str \u00e9"},
    "n": {"DataType": "Number", "StringValue": "12.5"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x10\xff"},
}


@pytest.mark.parametrize("sender,receiver", [("query", "json"), ("json", "query")])
def test_send_with_one_protocol_receive_with_other(make_client, sender, receiver):
    send_client = make_client(sender)
    receive_client = make_client(receiver)
    url = send_client.create_queue(unique("interop"))
    assert receive_client.call("GetQueueUrl", QueueName=url.rsplit("/", 1)[1])["QueueUrl"] == url
    body = f"sent over {sender} \u4e2d"
    sent = send_client.send(url, body, MessageAttributes=ATTRS)
    messages = receive_client.receive(url, MessageAttributeNames=["All"], AttributeNames=["All"])
    assert len(messages) == 1
    message = messages[0]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == body
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"] == md5_hex(body)
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"] == md5_of_message_attributes(ATTRS)
    assert bytes(message["MessageAttributes"]["b"]["BinaryValue"]) == b"\x00\x10\xff"
    assert message["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "12.5"}
    # Delete through the first protocol with the handle the second one got.
    send_client.call("DeleteMessage", QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert send_client.queue_attributes(url, "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessagesNotVisible": "0"}


def test_attributes_set_with_one_protocol_read_with_other(make_client):
    query, json_ = make_client("query"), make_client("json")
    url = json_.create_queue(attributes={"VisibilityTimeout": "77"}, tags={"via": "json"})
    assert query.queue_attributes(url, "VisibilityTimeout") == {"VisibilityTimeout": "77"}
    assert query.call("ListQueueTags", QueueUrl=url)["Tags"] == {"via": "json"}
    query.call("SetQueueAttributes", QueueUrl=url, Attributes={"DelaySeconds": "4"})
    assert json_.queue_attributes(url, "DelaySeconds") == {"DelaySeconds": "4"}


# --- Regions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["query", "json"])
def test_state_is_partitioned_by_region(make_client, mallard, protocol):
    east = make_client(protocol, REGION)
    west = make_client(protocol, OTHER_REGION)
    name = unique("regional")
    url = east.create_queue(name, {"VisibilityTimeout": "10"})
    assert east.queue_arn(url) == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"

    west.expect_error("QueueDoesNotExist", "GetQueueUrl", QueueName=name)
    assert url not in west.call("ListQueues").get("QueueUrls", [])
    west.expect_error("QueueDoesNotExist", "SendMessage", QueueUrl=url, MessageBody="x")

    # The same name in the other region is a different queue (different attributes are fine).
    west_url = west.create_queue(name, {"VisibilityTimeout": "20"})
    assert west_url == url  # same host, account and name
    assert west.queue_arn(west_url) == f"arn:aws:sqs:{OTHER_REGION}:{ACCOUNT}:{name}"
    assert west.queue_attributes(west_url, "VisibilityTimeout") == {"VisibilityTimeout": "20"}
    assert east.queue_attributes(url, "VisibilityTimeout") == {"VisibilityTimeout": "10"}

    east.send(url, "east")
    west.send(url, "west")
    assert east.receive_bodies(url, MaxNumberOfMessages=10) == ["east"]
    assert west.receive_bodies(url, MaxNumberOfMessages=10) == ["west"]

    east.call("DeleteQueue", QueueUrl=url)
    assert west.call("GetQueueUrl", QueueName=name)["QueueUrl"] == url


def test_region_partition_across_sdks(make_client):
    query_west = make_client("query", OTHER_REGION)
    json_west = make_client("json", OTHER_REGION)
    json_east = make_client("json", REGION)
    url = query_west.create_queue(unique("west"))
    assert json_west.queue_arn(url).startswith(f"arn:aws:sqs:{OTHER_REGION}:")
    json_east.expect_error("QueueDoesNotExist", "GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])


def test_aws_cli_region(aws_cli, make_client):
    name = unique("cliwest")
    created = aws_cli("sqs", "create-queue", "--queue-name", name, region=OTHER_REGION)
    assert not isinstance(created, CliError), created
    missing = aws_cli("sqs", "get-queue-url", "--queue-name", name, region=REGION)
    assert isinstance(missing, CliError) and missing.code == "AWS.SimpleQueueService.NonExistentQueue"
    assert make_client("query", OTHER_REGION).call("GetQueueUrl", QueueName=name)["QueueUrl"] == \
        created["QueueUrl"]
