"""S3 event notifications end to end with boto3: a bucket configured with a queue (and a topic with
an SQS subscription) receives S3's s3:TestEvent, then AWS's event JSON for puts, copies, multipart
completions, deletes and delete markers, filtered by prefix and suffix; configurations are validated
as AWS validates them (unparseable ARNs, missing queues, Lambda, FIFO, overlapping configurations).
Expectations come from AWS's documentation and recorded AWS answers, not from Mallard's code."""

from __future__ import annotations

import hashlib
import json

import pytest

from s3_e2e import bucket, bucket_name, s3, s3_client  # noqa: F401
from sns_e2e import SnsQueues, sns_client, unique_name


@pytest.fixture
def queues(sqs_query) -> SnsQueues:
    return SnsQueues(sqs_query)


def records(messages: list[dict]) -> list[dict]:
    return [json.loads(m["Body"])["Records"][0] for m in messages]


def configure_queue(s3, bucket: str, arn: str, events: list[str], rules: list[tuple[str, str]] | None = None,
                    config_id: str | None = None, **extra):
    config = {"QueueArn": arn, "Events": events}
    if config_id:
        config["Id"] = config_id
    if rules:
        config["Filter"] = {"Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in rules]}}
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [config]}, **extra)


def test_test_event_then_put_copy_and_delete_events(s3, bucket, queues):
    url, arn = queues.create()
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], config_id="all")
    test_event = json.loads(queues.receive(url, 1)[0]["Body"])
    assert test_event["Service"] == "Amazon S3"
    assert test_event["Event"] == "s3:TestEvent"
    assert test_event["Bucket"] == bucket
    assert test_event["Time"].endswith("Z") and test_event["RequestId"] and test_event["HostId"]

    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"] == [
        {"Id": "all", "QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}]

    body = b"hello events"
    s3.put_object(Bucket=bucket, Key="dir/my file+1.txt", Body=body)
    s3.copy_object(Bucket=bucket, Key="copy.txt", CopySource={"Bucket": bucket, "Key": "dir/my file+1.txt"})
    s3.delete_object(Bucket=bucket, Key="copy.txt")
    events = records(queues.receive(url, 3))
    assert [e["eventName"] for e in events] == ["ObjectCreated:Put", "ObjectCreated:Copy", "ObjectRemoved:Delete"]
    put = events[0]
    assert put["eventVersion"] == "2.1"
    assert put["eventSource"] == "aws:s3"
    assert put["awsRegion"] == "us-east-1"
    assert put["eventTime"].endswith("Z") and "." in put["eventTime"]
    assert put["userIdentity"]["principalId"]
    assert "sourceIPAddress" in put["requestParameters"]
    assert set(put["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    assert put["s3"]["s3SchemaVersion"] == "1.0"
    assert put["s3"]["configurationId"] == "all"
    assert put["s3"]["bucket"]["name"] == bucket
    assert put["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert put["s3"]["bucket"]["ownerIdentity"]["principalId"]
    obj = put["s3"]["object"]
    assert obj["key"] == "dir/my+file%2B1.txt"
    assert obj["size"] == len(body)
    assert obj["eTag"] == hashlib.md5(body).hexdigest()
    assert "versionId" not in obj
    removed = events[2]["s3"]["object"]
    assert removed["key"] == "copy.txt"
    assert "size" not in removed and "eTag" not in removed
    sequencers = [e["s3"]["object"]["sequencer"] for e in events]
    assert all(len(s) == len(sequencers[0]) for s in sequencers)
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3


def test_prefix_suffix_filters_multipart_and_delete_markers(s3, bucket, queues):
    url, arn = queues.create()
    configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*", "s3:ObjectRemoved:DeleteMarkerCreated"],
                    rules=[("prefix", "in/"), ("suffix", ".csv")])
    queues.receive(url, 1)  # the test event
    rules = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][0]["Filter"]["Key"]
    assert rules["FilterRules"] == [{"Name": "Prefix", "Value": "in/"}, {"Name": "Suffix", "Value": ".csv"}]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for key in ["in/a.csv", "in/a.json", "out/a.csv", "In/b.csv", "in/deep/c.csv"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="in/multi.csv")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="in/multi.csv", UploadId=upload, PartNumber=1, Body=b"y" * 10)
    s3.complete_multipart_upload(Bucket=bucket, Key="in/multi.csv", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    s3.delete_object(Bucket=bucket, Key="in/a.csv")
    s3.delete_object(Bucket=bucket, Key="out/a.csv")
    events = records(queues.receive(url, 5))
    assert [(e["eventName"], e["s3"]["object"]["key"]) for e in events] == [
        ("ObjectCreated:Put", "in/a.csv"),
        ("ObjectCreated:Put", "in/deep/c.csv"),
        ("ObjectCreated:CompleteMultipartUpload", "in/multi.csv"),
        ("ObjectRemoved:DeleteMarkerCreated", "in/a.csv"),
    ][: len(events)]
    assert len(events) == 4
    assert all(e["s3"]["object"].get("versionId") for e in events)
    assert events[2]["s3"]["object"]["eTag"].endswith("-1")
    assert queues.receive(url, 1, timeout=1.5) == []


def test_topic_destination_reaches_a_subscribed_queue(s3, bucket, queues, mallard):
    sns = sns_client(mallard.endpoint)
    topic = sns.create_topic(Name=unique_name("s3events"))["TopicArn"]
    url, arn = queues.create()
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "false"})
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:Put"]}]})
    test_envelope = json.loads(queues.receive(url, 1)[0]["Body"])
    assert test_envelope["Subject"] == "Amazon S3 Notification"
    assert json.loads(test_envelope["Message"])["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=bucket, Key="k", Body=b"abc")
    envelope = json.loads(queues.receive(url, 1)[0]["Body"])
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == topic
    assert envelope["Subject"] == "Amazon S3 Notification"
    record = json.loads(envelope["Message"])["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["object"]["key"] == "k"
    assert record["s3"]["object"]["size"] == 3


def error_of(call) -> dict:
    with pytest.raises(Exception) as raised:
        call()
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return response["Error"]


def test_configurations_are_validated_as_aws_does(s3, bucket, queues):
    _, arn = queues.create()
    missing = arn.rsplit(":", 1)[0] + ":" + unique_name("missing")
    put = s3.put_bucket_notification_configuration

    error = error_of(lambda: configure_queue(s3, bucket, "invalid-queue", ["s3:ObjectCreated:*"]))
    assert error["Code"] == "InvalidArgument"
    assert error["Message"] == "The ARN could not be parsed"
    assert error["ArgumentName"] == "Queue" and error["ArgumentValue"] == "invalid-queue"

    error = error_of(lambda: configure_queue(s3, bucket, missing, ["s3:ObjectCreated:*"]))
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert error["ArgumentName1"] == missing
    assert error["ArgumentValue1"] == "The destination queue does not exist"

    function = "arn:aws:lambda:us-east-1:000000000000:function:f"
    error = error_of(lambda: put(Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [
        {"LambdaFunctionArn": function, "Events": ["s3:ObjectCreated:*"]}]}))
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert error["ArgumentValue1"] == f"Not authorized to invoke function [{function}]"

    error = error_of(lambda: configure_queue(s3, bucket, arn, ["s3:ObjectCreated:Nope"]))
    assert error["Code"] == "InvalidArgument"

    error = error_of(lambda: configure_queue(s3, bucket, arn, ["s3:ObjectCreated:*"], rules=[("middle", "x")]))
    assert error["Message"] == "filter rule name must be either prefix or suffix"

    error = error_of(lambda: put(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}, {"QueueArn": arn, "Events": ["s3:ObjectCreated:Put"]}]}))
    assert error["Message"] == ("Configurations overlap. Configurations on the same bucket cannot share a common "
                                "event type.")

    _, fifo_arn = queues.create(fifo=True)
    error = error_of(lambda: configure_queue(s3, bucket, fifo_arn, ["s3:ObjectCreated:*"]))
    assert error["Message"] == "Unable to validate the following destination configurations"

    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    # Skipped validation stores what it is given.
    configure_queue(s3, bucket, missing, ["s3:ObjectCreated:*"], SkipDestinationValidation=True)
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][0]["QueueArn"] == missing
    # An empty configuration turns notifications off.
    put(Bucket=bucket, NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
