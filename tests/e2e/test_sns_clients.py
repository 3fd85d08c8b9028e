"""SNS through the AWS CLI (/usr/bin/aws 2.9) and the JS SDK v3 (@aws-sdk/client-sns, js/sns_client.mjs)."""

from __future__ import annotations

from sns_e2e import ACCOUNT, REGION, UUID_RE, topic_arn, unique_name
from sqs_e2e import CliError


def test_aws_cli(aws_cli, sns_queues):
    name = unique_name()
    created = aws_cli("sns", "create-topic", "--name", name)
    assert created == {"TopicArn": topic_arn(name)}
    url, queue_arn = sns_queues.create()
    sub = aws_cli("sns", "subscribe", "--topic-arn", created["TopicArn"], "--protocol", "sqs",
                  "--notification-endpoint", queue_arn, "--attributes", "RawMessageDelivery=true")
    assert sub["SubscriptionArn"].startswith(created["TopicArn"] + ":")
    published = aws_cli("sns", "publish", "--topic-arn", created["TopicArn"], "--message", "from the cli",
                        "--message-attributes", '{"k": {"DataType": "String", "StringValue": "v"}}')
    assert UUID_RE.match(published["MessageId"])
    [message] = sns_queues.receive(url, 1)
    assert message["Body"] == "from the cli"
    assert message["MessageAttributes"]["k"]["StringValue"] == "v"
    listed = aws_cli("sns", "list-subscriptions-by-topic", "--topic-arn", created["TopicArn"])
    assert listed["Subscriptions"] == [{"SubscriptionArn": sub["SubscriptionArn"], "Owner": ACCOUNT, "Protocol": "sqs",
                                        "Endpoint": queue_arn, "TopicArn": created["TopicArn"]}]
    missing = aws_cli("sns", "get-topic-attributes", "--topic-arn", topic_arn(unique_name()))
    assert isinstance(missing, CliError) and missing.code == "NotFound", missing
    assert "Topic does not exist" in missing.stderr


def test_js_sdk(js_sns, sns_queues):
    name = unique_name()
    created = js_sns.call("CreateTopic", {"Name": name, "Tags": [{"Key": "k", "Value": "v"}]})
    assert created["ok"], created
    topic = created["output"]["TopicArn"]
    assert topic == topic_arn(name)
    assert created["output"]["$metadata"]["httpStatusCode"] == 200
    url, queue_arn = sns_queues.create()
    sub = js_sns.call("Subscribe", {"TopicArn": topic, "Protocol": "sqs", "Endpoint": queue_arn,
                                    "Attributes": {"RawMessageDelivery": "true"}, "ReturnSubscriptionArn": True})
    assert sub["ok"], sub
    published = js_sns.call("Publish", {"TopicArn": topic, "Message": "from js", "MessageAttributes": {
        "s": {"DataType": "String", "StringValue": "text"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}})
    assert published["ok"], published
    assert UUID_RE.match(published["output"]["MessageId"])
    [message] = sns_queues.receive(url, 1)
    assert message["Body"] == "from js"
    assert message["MessageAttributes"]["s"] == {"DataType": "String", "StringValue": "text"}
    assert message["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": "42"}
    assert message["MessageAttributes"]["b"] == {"DataType": "Binary", "BinaryValue": b"\x00\xff"}

    batch = js_sns.call("PublishBatch", {"TopicArn": topic, "PublishBatchRequestEntries": [
        {"Id": f"e{i}", "Message": f"batch {i}"} for i in range(3)]})
    assert batch["ok"], batch
    assert sorted(s["Id"] for s in batch["output"]["Successful"]) == ["e0", "e1", "e2"]
    assert batch["output"].get("Failed", []) == []
    assert sorted(m["Body"] for m in sns_queues.receive(url, 3)) == ["batch 0", "batch 1", "batch 2"]

    subs = js_sns.call("ListSubscriptionsByTopic", {"TopicArn": topic})
    assert [s["SubscriptionArn"] for s in subs["output"]["Subscriptions"]] == [sub["output"]["SubscriptionArn"]]
    tags = js_sns.call("ListTagsForResource", {"ResourceArn": topic})
    assert tags["output"]["Tags"] == [{"Key": "k", "Value": "v"}]

    missing = js_sns.call("GetTopicAttributes", {"TopicArn": topic_arn(unique_name())})
    assert not missing["ok"]
    error = missing["error"]
    assert not error.get("clientSide"), error
    assert error["name"] == "NotFoundException"  # the model's shape for the query code NotFound
    assert error["message"] == "Topic does not exist"
    assert error["httpStatusCode"] == 404
    bad = js_sns.call("Publish", {"TopicArn": topic, "Message": ""})
    assert bad["error"]["name"] == "InvalidParameterException", bad
    assert bad["error"]["message"] == "Invalid parameter: Empty message"
    assert bad["error"]["httpStatusCode"] == 400


def test_js_sdk_other_region(js_sns):
    created = js_sns.call("CreateTopic", {"Name": "regional"}, region="eu-west-1")
    assert created["output"]["TopicArn"] == topic_arn("regional", region="eu-west-1")
    listed = js_sns.call("ListTopics", {}, region=REGION)
    assert listed["output"].get("Topics", []) == []
    assert listed["output"]["$metadata"]["httpStatusCode"] == 200
