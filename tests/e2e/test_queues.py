"""Queue management: CreateQueue, DeleteQueue, GetQueueUrl, ListQueues, Get/SetQueueAttributes,
PurgeQueue, tags and permissions. Tests taking `sqs` run over both protocols."""

from __future__ import annotations

import json
import time

import pytest

from sqs_e2e import ACCOUNT, REGION, unique


# --- CreateQueue / GetQueueUrl / DeleteQueue ---------------------------------------------------


def test_create_queue_returns_url_and_arn(sqs, mallard):
    name = unique("create")
    url = sqs.create_queue(name)
    assert url == f"{mallard.endpoint}/{ACCOUNT}/{name}"
    assert sqs.queue_arn(url) == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    assert sqs.call("GetQueueUrl", QueueName=name)["QueueUrl"] == url


def test_create_queue_with_attributes(sqs):
    url = sqs.create_queue(attributes={"VisibilityTimeout": "45", "DelaySeconds": "3",
                                       "MaximumMessageSize": "2048", "MessageRetentionPeriod": "600",
                                       "ReceiveMessageWaitTimeSeconds": "2"})
    attrs = sqs.queue_attributes(url, "VisibilityTimeout", "DelaySeconds", "MaximumMessageSize",
                                 "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds")
    assert attrs == {"VisibilityTimeout": "45", "DelaySeconds": "3", "MaximumMessageSize": "2048",
                     "MessageRetentionPeriod": "600", "ReceiveMessageWaitTimeSeconds": "2"}


def test_create_queue_defaults(sqs):
    url = sqs.create_queue()
    attrs = sqs.queue_attributes(url, "VisibilityTimeout", "DelaySeconds", "MessageRetentionPeriod",
                                 "ReceiveMessageWaitTimeSeconds")
    assert attrs == {"VisibilityTimeout": "30", "DelaySeconds": "0", "MessageRetentionPeriod": "345600",
                     "ReceiveMessageWaitTimeSeconds": "0"}


def test_create_queue_idempotent_with_same_attributes(sqs):
    name = unique("idem")
    first = sqs.create_queue(name, {"VisibilityTimeout": "60"})
    second = sqs.create_queue(name, {"VisibilityTimeout": "60"})
    assert first == second
    urls = sqs.call("ListQueues", QueueNamePrefix=name).get("QueueUrls", [])
    assert urls == [first]


def test_create_queue_with_different_attributes_fails(sqs):
    name = unique("idem")
    sqs.create_queue(name, {"VisibilityTimeout": "60"})
    error = sqs.expect_error("QueueNameExists", "CreateQueue", QueueName=name, Attributes={"VisibilityTimeout": "61"})
    # AWS names the attribute (recorded: "…a different value for attribute DelaySeconds", no period).
    assert error.message == "A queue already exists with the same name and a different value for attribute VisibilityTimeout"


@pytest.mark.parametrize("name", ["x" * 81, "has space", "bad!char", "dot.name", "slash/name", "\u00fcnicode"])
def test_create_queue_invalid_name(sqs, name):
    sqs.expect_error("InvalidParameterValue", "CreateQueue", QueueName=name)


def test_create_queue_name_limits_accepted(sqs):
    longest = "a" * 70 + "-_" + "B" * 7 + "9"
    assert len(longest) == 80
    assert sqs.create_queue(longest).endswith("/" + longest)
    fifo = "Z-_" * 25 + ".fifo"  # 75 + 5 = 80 characters including the suffix
    assert len(fifo) == 80
    url = sqs.create_queue(fifo, {"FifoQueue": "true"})
    assert url.endswith("/" + fifo)
    assert sqs.queue_attributes(url, "FifoQueue") == {"FifoQueue": "true"}


def test_fifo_name_without_fifo_attribute_rejected(sqs):
    sqs.expect_error("InvalidParameterValue", "CreateQueue", QueueName=unique("nofifoattr") + ".fifo")


@pytest.mark.parametrize("attribute,value,message", [
    ("FifoQueue", "false", "Unknown Attribute FifoQueue."),
    ("ContentBasedDeduplication", "false", "Unknown Attribute ContentBasedDeduplication."),
    ("DeduplicationScope", "queue", "You can specify the DeduplicationScope only when FifoQueue is set to true."),
    ("FifoThroughputLimit", "perQueue", "You can specify the FifoThroughputLimit only when FifoQueue is set to true."),
])
def test_standard_queue_refuses_fifo_attributes_as_aws_words_it(sqs, attribute, value, message):
    # AWS-recorded (LocalStack's test_create_standard_queue_with_fifo_attribute_raises_error).
    error = sqs.expect_error("InvalidAttributeName", "CreateQueue", QueueName=unique("std"),
                             Attributes={attribute: value})
    assert error.message == message


def test_fifo_queue_attribute_can_be_set_again_but_not_changed(sqs):
    # AWS-recorded (LocalStack's test_set_unsupported_attribute_fifo / _standard).
    standard = sqs.create_queue()
    for value in ("true", "false"):
        error = sqs.expect_error("InvalidAttributeName", "SetQueueAttributes", QueueUrl=standard,
                                 Attributes={"FifoQueue": value})
        assert error.message == "Unknown Attribute FifoQueue."
    fifo = sqs.create_queue(unique("fifo") + ".fifo", {"FifoQueue": "true"})
    sqs.call("SetQueueAttributes", QueueUrl=fifo, Attributes={"FifoQueue": "true"})
    error = sqs.expect_error("InvalidAttributeValue", "SetQueueAttributes", QueueUrl=fifo,
                             Attributes={"FifoQueue": "false"})
    assert error.message == "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
    assert sqs.queue_attributes(fifo, "FifoQueue") == {"FifoQueue": "true"}


def test_fifo_attribute_without_fifo_suffix_rejected(sqs):
    sqs.expect_error("InvalidParameterValue", "CreateQueue", QueueName=unique("nosuffix"),
                     Attributes={"FifoQueue": "true"})


def test_create_queue_unknown_attribute(sqs):
    sqs.expect_error("InvalidAttributeName", "CreateQueue", QueueName=unique(),
                     Attributes={"NoSuchAttribute": "1"})


def test_create_queue_invalid_attribute_value(sqs):
    sqs.expect_error("InvalidAttributeValue", "CreateQueue", QueueName=unique(),
                     Attributes={"VisibilityTimeout": "43201"})


def test_get_queue_url_missing(sqs):
    sqs.expect_error("QueueDoesNotExist", "GetQueueUrl", QueueName=unique("missing"))


def test_bare_queue_name_as_queue_url(sqs):
    # SQS accepts the queue's name instead of its URL: a queue of the caller's account.
    name = unique("bare")
    url = sqs.create_queue(name)
    sqs.send(name, "by name")
    assert sqs.receive_bodies(url) == ["by name"]
    assert sqs.queue_attributes(name, "QueueArn")["QueueArn"].endswith(":" + name)
    sqs.expect_error("QueueDoesNotExist", "SendMessage", QueueUrl=unique("nobody"), MessageBody="x")


def test_delete_queue(sqs):
    name = unique("del")
    url = sqs.create_queue(name)
    sqs.call("DeleteQueue", QueueUrl=url)
    assert url not in sqs.call("ListQueues").get("QueueUrls", [])
    sqs.expect_error("QueueDoesNotExist", "GetQueueUrl", QueueName=name)
    sqs.expect_error("QueueDoesNotExist", "SendMessage", QueueUrl=url, MessageBody="x")


def test_delete_missing_queue(sqs, mallard):
    sqs.expect_error("QueueDoesNotExist", "DeleteQueue", QueueUrl=mallard.queue_url(unique("never")))


def test_operations_on_missing_queue(sqs, mallard):
    url = mallard.queue_url(unique("never"))
    sqs.expect_error("QueueDoesNotExist", "SendMessage", QueueUrl=url, MessageBody="x")
    sqs.expect_error("QueueDoesNotExist", "ReceiveMessage", QueueUrl=url)
    sqs.expect_error("QueueDoesNotExist", "GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])
    sqs.expect_error("QueueDoesNotExist", "PurgeQueue", QueueUrl=url)


# --- ListQueues ----------------------------------------------------------------------------------


def test_list_queues_prefix(sqs):
    stem = unique("lp")
    wanted = sorted(sqs.create_queue(f"{stem}-a{i}") for i in range(3))
    other = sqs.create_queue(unique("other"))
    listed = sqs.call("ListQueues", QueueNamePrefix=stem).get("QueueUrls", [])
    assert sorted(listed) == wanted
    everything = sqs.call("ListQueues").get("QueueUrls", [])
    assert set(wanted) | {other} == set(everything)


def test_list_queues_prefix_without_match(sqs):
    sqs.create_queue(unique("exists"))
    out = sqs.call("ListQueues", QueueNamePrefix="zz-nothing-starts-like-this")
    assert out.get("QueueUrls", []) == []


def test_list_queues_paging(sqs):
    stem = unique("page")
    created = {sqs.create_queue(f"{stem}-{i}") for i in range(5)}
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs = {"QueueNamePrefix": stem, "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        out = sqs.call("ListQueues", **kwargs)
        page = out.get("QueueUrls", [])
        assert 1 <= len(page) <= 2
        seen.extend(page)
        pages += 1
        token = out.get("NextToken")
        if not token:
            break
        assert pages < 10, "paging does not terminate"
    assert pages == 3
    assert len(seen) == 5 and set(seen) == created


def test_list_queues_max_results_without_more(sqs):
    stem = unique("one")
    url = sqs.create_queue(stem)
    out = sqs.call("ListQueues", QueueNamePrefix=stem, MaxResults=10)
    assert out.get("QueueUrls") == [url]
    assert not out.get("NextToken")


# --- GetQueueAttributes / SetQueueAttributes ----------------------------------------------------


def test_get_queue_attributes_only_requested(sqs):
    url = sqs.create_queue()
    assert sqs.queue_attributes(url, "VisibilityTimeout") == {"VisibilityTimeout": "30"}
    assert set(sqs.queue_attributes(url, "DelaySeconds", "QueueArn")) == {"DelaySeconds", "QueueArn"}


def test_get_queue_attributes_all(sqs):
    name = unique("all")
    url = sqs.create_queue(name)
    before = int(time.time())
    attrs = sqs.queue_attributes(url, "All")
    expected = {"QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
                "VisibilityTimeout", "MaximumMessageSize", "MessageRetentionPeriod", "DelaySeconds",
                "ReceiveMessageWaitTimeSeconds"}
    assert expected <= set(attrs), f"missing: {expected - set(attrs)}"
    assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
    assert abs(int(attrs["CreatedTimestamp"]) - before) <= 60
    assert int(attrs["LastModifiedTimestamp"]) >= int(attrs["CreatedTimestamp"])
    assert attrs["ApproximateNumberOfMessages"] == "0"
    # A standard queue has no FIFO attributes and no policies until set.
    assert "FifoQueue" not in attrs and "ContentBasedDeduplication" not in attrs
    assert "RedrivePolicy" not in attrs


def test_get_queue_attributes_no_names_returns_none(sqs):
    url = sqs.create_queue()
    out = sqs.call("GetQueueAttributes", QueueUrl=url)
    assert out.get("Attributes", {}) == {}


def test_get_queue_attributes_unknown_name(sqs):
    url = sqs.create_queue()
    sqs.expect_error("InvalidAttributeName", "GetQueueAttributes", QueueUrl=url, AttributeNames=["Bogus"])


def test_message_counts(sqs):
    url = sqs.create_queue()
    for i in range(3):
        sqs.send(url, f"m{i}")
    sqs.send(url, "delayed", DelaySeconds=60)
    counts = sqs.queue_attributes(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                  "ApproximateNumberOfMessagesDelayed")
    assert counts == {"ApproximateNumberOfMessages": "3", "ApproximateNumberOfMessagesNotVisible": "0",
                      "ApproximateNumberOfMessagesDelayed": "1"}
    got = sqs.receive(url, MaxNumberOfMessages=2, VisibilityTimeout=60)
    assert len(got) == 2
    counts = sqs.queue_attributes(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                  "ApproximateNumberOfMessagesDelayed")
    assert counts == {"ApproximateNumberOfMessages": "1", "ApproximateNumberOfMessagesNotVisible": "2",
                      "ApproximateNumberOfMessagesDelayed": "1"}
    sqs.call("DeleteMessage", QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    assert sqs.queue_attributes(url, "ApproximateNumberOfMessagesNotVisible") == \
        {"ApproximateNumberOfMessagesNotVisible": "1"}


def test_set_queue_attributes(sqs):
    url = sqs.create_queue()
    sqs.call("SetQueueAttributes", QueueUrl=url, Attributes={"VisibilityTimeout": "100", "DelaySeconds": "5"})
    assert sqs.queue_attributes(url, "VisibilityTimeout", "DelaySeconds") == \
        {"VisibilityTimeout": "100", "DelaySeconds": "5"}


VALID_RANGES = {
    "VisibilityTimeout": (0, 43200),
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
}


@pytest.mark.parametrize("attribute", sorted(VALID_RANGES))
def test_set_queue_attributes_boundaries_accepted(sqs, attribute):
    url = sqs.create_queue()
    low, high = VALID_RANGES[attribute]
    for value in (low, high):
        sqs.call("SetQueueAttributes", QueueUrl=url, Attributes={attribute: str(value)})
        assert sqs.queue_attributes(url, attribute) == {attribute: str(value)}


@pytest.mark.parametrize("attribute,value", [
    ("VisibilityTimeout", "-1"), ("VisibilityTimeout", "43201"),
    ("DelaySeconds", "-1"), ("DelaySeconds", "901"),
    ("MaximumMessageSize", "1023"), ("MaximumMessageSize", "1048577"),
    ("MessageRetentionPeriod", "59"), ("MessageRetentionPeriod", "1209601"),
    ("ReceiveMessageWaitTimeSeconds", "-1"), ("ReceiveMessageWaitTimeSeconds", "21"),
    ("VisibilityTimeout", "abc"), ("DelaySeconds", "1.5"),
])
def test_set_queue_attributes_out_of_range(sqs, attribute, value):
    url = sqs.create_queue()
    sqs.expect_error("InvalidAttributeValue", "SetQueueAttributes", QueueUrl=url, Attributes={attribute: value})
    # The rejected value was not stored.
    default = {"VisibilityTimeout": "30", "DelaySeconds": "0", "MaximumMessageSize": "1048576",
               "MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0"}[attribute]
    assert sqs.queue_attributes(url, attribute) == {attribute: default}


def test_set_queue_attributes_unknown_name(sqs):
    url = sqs.create_queue()
    sqs.expect_error("InvalidAttributeName", "SetQueueAttributes", QueueUrl=url, Attributes={"Bogus": "1"})


def test_set_policy_attribute_round_trip(sqs):
    url = sqs.create_queue()
    arn = sqs.queue_arn(url)
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "s1", "Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}]}
    sqs.call("SetQueueAttributes", QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    assert json.loads(sqs.queue_attributes(url, "Policy")["Policy"]) == policy


# --- PurgeQueue ----------------------------------------------------------------------------------


def test_purge_queue(sqs):
    url = sqs.create_queue()
    for i in range(4):
        sqs.send(url, f"p{i}")
    assert len(sqs.receive(url, VisibilityTimeout=60)) == 1  # one in flight too
    sqs.call("PurgeQueue", QueueUrl=url)
    counts = sqs.queue_attributes(url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
    assert counts == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    assert sqs.receive(url, MaxNumberOfMessages=10) == []


def test_purge_twice_within_60s(sqs):
    url = sqs.create_queue()
    sqs.call("PurgeQueue", QueueUrl=url)
    error = sqs.expect_error("PurgeQueueInProgress", "PurgeQueue", QueueUrl=url)
    name = url.rsplit("/", 1)[1]
    assert error.message == f"Only one PurgeQueue operation on {name} is allowed every 60 seconds."


def test_missing_queue_is_worded_per_protocol(sqs, mallard):
    # AWS-recorded: awsQuery still says "…for this wsdl version.", awsJson does not.
    error = sqs.expect_error("QueueDoesNotExist", "GetQueueAttributes", QueueUrl=mallard.queue_url(unique("gone")))
    expected = {"query": "The specified queue does not exist for this wsdl version.",
                "json": "The specified queue does not exist."}[sqs.protocol]
    assert error.message == expected


# --- Tags ----------------------------------------------------------------------------------------


def test_tags(sqs):
    url = sqs.create_queue(tags={"team": "core", "env": "test"})
    assert sqs.call("ListQueueTags", QueueUrl=url).get("Tags") == {"team": "core", "env": "test"}
    sqs.call("TagQueue", QueueUrl=url, Tags={"env": "prod", "cost": "42"})
    assert sqs.call("ListQueueTags", QueueUrl=url).get("Tags") == {"team": "core", "env": "prod", "cost": "42"}
    sqs.call("UntagQueue", QueueUrl=url, TagKeys=["team", "cost"])
    assert sqs.call("ListQueueTags", QueueUrl=url).get("Tags") == {"env": "prod"}
    sqs.call("UntagQueue", QueueUrl=url, TagKeys=["env"])
    assert sqs.call("ListQueueTags", QueueUrl=url).get("Tags", {}) == {}


def test_untag_queue_empty_tag_keys(sqs):
    url = sqs.create_queue(tags={"team": "core"})
    error = sqs.expect_error("InvalidParameterValue", "UntagQueue", QueueUrl=url, TagKeys=[])
    assert error.message == "Tag keys must be between 1 and 128 characters in length."
    assert sqs.call("ListQueueTags", QueueUrl=url).get("Tags") == {"team": "core"}


@pytest.mark.parametrize("operation", ["CreateQueue", "GetQueueUrl"])
def test_empty_queue_name_is_invalid_parameter_value(sqs, operation):
    error = sqs.expect_error("InvalidParameterValue", operation, QueueName="")
    assert error.message == "Value for parameter QueueName is invalid. Reason: Must specify a queue name."


def test_tags_on_missing_queue(sqs, mallard):
    sqs.expect_error("QueueDoesNotExist", "ListQueueTags", QueueUrl=mallard.queue_url(unique("never")))


# --- Permissions ---------------------------------------------------------------------------------


def _statements(sqs, url):
    policy = sqs.queue_attributes(url, "Policy").get("Policy")
    return json.loads(policy)["Statement"] if policy else []


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_add_and_remove_permission(sqs):
    url = sqs.create_queue()
    arn = sqs.queue_arn(url)
    sqs.call("AddPermission", QueueUrl=url, Label="AllowSend", AWSAccountIds=["111122223333"],
             Actions=["SendMessage", "ReceiveMessage"])
    statements = _statements(sqs, url)
    assert [s["Sid"] for s in statements] == ["AllowSend"]
    statement = statements[0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == arn
    assert sorted(_as_list(statement["Action"])) == ["SQS:ReceiveMessage", "SQS:SendMessage"]
    assert _as_list(statement["Principal"]["AWS"]) == ["arn:aws:iam::111122223333:root"]

    sqs.call("AddPermission", QueueUrl=url, Label="AllowAll", AWSAccountIds=["444455556666"], Actions=["*"])
    assert sorted(s["Sid"] for s in _statements(sqs, url)) == ["AllowAll", "AllowSend"]

    sqs.call("RemovePermission", QueueUrl=url, Label="AllowSend")
    assert [s["Sid"] for s in _statements(sqs, url)] == ["AllowAll"]
    sqs.call("RemovePermission", QueueUrl=url, Label="AllowAll")
    assert _statements(sqs, url) == []


def test_add_permission_duplicate_label(sqs):
    url = sqs.create_queue()
    sqs.call("AddPermission", QueueUrl=url, Label="dup", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    sqs.expect_error("InvalidParameterValue", "AddPermission", QueueUrl=url, Label="dup",
                     AWSAccountIds=["111122223333"], Actions=["SendMessage"])


def test_remove_unknown_permission(sqs):
    url = sqs.create_queue()
    error = sqs.expect_error("InvalidParameterValue", "RemovePermission", QueueUrl=url, Label="nope")
    assert error.message == "Value nope for parameter Label is invalid. Reason: can't find label."


def test_add_permission_empty_account_ids(sqs):
    url = sqs.create_queue()
    error = sqs.expect_error("InvalidParameterValue", "AddPermission", QueueUrl=url, Label="none",
                             AWSAccountIds=[], Actions=["SendMessage"])
    assert error.message == "Value [] for parameter PrincipalId is invalid. Reason: Unable to verify."
    assert _statements(sqs, url) == []
