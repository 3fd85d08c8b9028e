"""SNS topics, permissions and tags, and subscriptions (boto3, awsQuery), against AWS's recorded answers."""

from __future__ import annotations

import json

import pytest

from sns_e2e import ACCOUNT, REGION, expect_sns_error, topic_arn, unique_name

DEFAULT_EFFECTIVE_DELIVERY_POLICY = {
    "http": {
        "defaultHealthyRetryPolicy": {
            "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3, "numMaxDelayRetries": 0,
            "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear",
        },
        "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
    }
}


# ---------------------------------------------------------------------------------------------
# Topics
# ---------------------------------------------------------------------------------------------


def test_create_topic_and_default_attributes(sns):
    name = unique_name()
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn == topic_arn(name)
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn
    assert attrs["Owner"] == ACCOUNT
    assert attrs["DisplayName"] == ""
    assert attrs["SubscriptionsConfirmed"] == "0"
    assert attrs["SubscriptionsPending"] == "0"
    assert attrs["SubscriptionsDeleted"] == "0"
    assert "FifoTopic" not in attrs
    assert json.loads(attrs["EffectiveDeliveryPolicy"]) == DEFAULT_EFFECTIVE_DELIVERY_POLICY
    policy = json.loads(attrs["Policy"])
    assert policy["Version"] == "2008-10-17"
    assert policy["Id"] == "__default_policy_ID"
    [statement] = policy["Statement"]
    assert statement["Sid"] == "__default_statement_ID"
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": "*"}
    assert statement["Resource"] == arn
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceOwner": ACCOUNT}}
    assert set(statement["Action"]) == {
        "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
        "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"}


def test_create_fifo_topic_with_attributes(sns):
    name = unique_name() + ".fifo"
    arn = sns.create_topic(Name=name, Attributes={"FifoTopic": "true", "DisplayName": "TestTopic",
                                                  "SignatureVersion": "2"})["TopicArn"]
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["FifoTopic"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DisplayName"] == "TestTopic"
    assert attrs["SignatureVersion"] == "2"


def test_create_topic_is_idempotent_for_equal_attributes(sns):
    name = unique_name()
    first = sns.create_topic(Name=name, Attributes={"DisplayName": "d"})["TopicArn"]
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "d"})["TopicArn"] == first
    assert sns.create_topic(Name=name)["TopicArn"] == first  # no attributes: no conflict
    expect_sns_error(lambda: sns.create_topic(Name=name, Attributes={"DisplayName": "other"}), "InvalidParameter",
                     "Invalid parameter: Attributes Reason: Topic already exists with different attributes")
    assert len([t for t in sns.list_topics()["Topics"] if t["TopicArn"] == first]) == 1


def test_create_topic_with_different_tags_is_refused(sns):
    name = unique_name()
    sns.create_topic(Name=name, Tags=[{"Key": "k", "Value": "v"}])
    expect_sns_error(lambda: sns.create_topic(Name=name, Tags=[{"Key": "k", "Value": "other"}]), "InvalidParameter",
                     "Invalid parameter: Tags Reason: Topic already exists with different tags")


@pytest.mark.parametrize("name, attributes", [
    ("has space", {}),
    ("a" * 257, {}),
    ("bad$char", {}),
    ("not-fifo.fifo", {}),                    # .fifo without FifoTopic
    ("fifo-without-suffix", {"FifoTopic": "true"}),
    ("", {}),
])
def test_create_topic_bad_names(sns_nv, name, attributes):
    expect_sns_error(lambda: sns_nv.create_topic(Name=name, Attributes=attributes), "InvalidParameter",
                     "Invalid parameter: Topic Name")


def test_topic_name_of_256_characters_is_accepted(sns):
    name = "a" * 256
    assert sns.create_topic(Name=name)["TopicArn"] == topic_arn(name)


def test_set_topic_attributes(sns):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="shown")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "shown"
    expect_sns_error(lambda: sns.set_topic_attributes(TopicArn=arn, AttributeName="FifoTopic", AttributeValue="true"),
                     "InvalidParameter", "Invalid parameter: AttributeName")
    expect_sns_error(lambda: sns.set_topic_attributes(TopicArn=arn, AttributeName="NoSuch", AttributeValue="x"),
                     "InvalidParameter", "Invalid parameter: AttributeName")


def test_unknown_and_malformed_topic_arns(sns):
    missing = topic_arn(unique_name())
    expect_sns_error(lambda: sns.get_topic_attributes(TopicArn=missing), "NotFound", "Topic does not exist", 404)
    expect_sns_error(lambda: sns.publish(TopicArn=missing, Message="m"), "NotFound", "Topic does not exist", 404)
    expect_sns_error(lambda: sns.get_topic_attributes(TopicArn="not-an-arn"), "InvalidParameter",
                     "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
    expect_sns_error(lambda: sns.get_topic_attributes(TopicArn="arn:aws:sns:us-east-1:000000000000"),
                     "InvalidParameter", "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 5")


def test_delete_topic_is_idempotent_and_removes_it(sns):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # AWS answers success for a topic that is gone
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    expect_sns_error(lambda: sns.get_topic_attributes(TopicArn=arn), "NotFound", "Topic does not exist", 404)


def test_list_topics_pages_of_100(sns):
    created = {sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(105)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100
    assert first.get("NextToken")
    second = sns.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    seen = [t["TopicArn"] for t in first["Topics"] + second["Topics"]]
    assert len(seen) == len(set(seen)) == 105
    assert set(seen) == created


def test_tags(sns):
    arn = sns.create_topic(Name=unique_name(), Tags=[{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}])["TopicArn"]
    assert sorted(sns.list_tags_for_resource(ResourceArn=arn)["Tags"], key=lambda t: t["Key"]) == [
        {"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]
    sns.untag_resource(ResourceArn=arn, TagKeys=["k1"])
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2b"}])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k2", "Value": "v2b"}]
    expect_sns_error(lambda: sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "d", "Value": "1"}, {"Key": "d", "Value": "2"}]),
                     "InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")
    # 50 tags per resource: k2 + 49 more fits, one more does not.
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": f"t{i}", "Value": "v"} for i in range(49)])
    assert len(sns.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 50
    expect_sns_error(lambda: sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "one-too-many", "Value": "v"}]),
                     "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
    expect_sns_error(lambda: sns.list_tags_for_resource(ResourceArn=topic_arn(unique_name())),
                     "ResourceNotFound", "Resource does not exist", 404)


def test_create_topic_with_51_tags_is_refused(sns):
    expect_sns_error(lambda: sns.create_topic(Name=unique_name(), Tags=[{"Key": f"t{i}", "Value": "v"} for i in range(51)]),
                     "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")


def test_add_and_remove_permission_edit_the_policy(sns):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    sns.add_permission(TopicArn=arn, Label="allow-other", AWSAccountId=["111122223333"], ActionName=["Publish"])
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    added = [s for s in statements if s["Sid"] == "allow-other"]
    assert len(added) == 1, statements
    assert added[0]["Effect"] == "Allow"
    assert added[0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert added[0]["Action"] in (["SNS:Publish"], "SNS:Publish")
    assert added[0]["Resource"] == arn
    expect_sns_error(lambda: sns.add_permission(TopicArn=arn, Label="allow-other", AWSAccountId=["111122223333"],
                                                ActionName=["Publish"]),
                     "InvalidParameter", "Invalid parameter: Statement already exists")
    sns.remove_permission(TopicArn=arn, Label="allow-other")
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["__default_statement_ID"]


# ---------------------------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------------------------


def test_sqs_subscription_is_confirmed_at_once(sns, sns_queues):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    _, queue_arn = sns_queues.create()
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    assert sub.startswith(arn + ":")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["SubscriptionArn"] == sub
    assert attrs["TopicArn"] == arn
    assert attrs["Protocol"] == "sqs"
    assert attrs["Endpoint"] == queue_arn
    assert attrs["Owner"] == ACCOUNT
    assert attrs["PendingConfirmation"] == "false"
    assert attrs["ConfirmationWasAuthenticated"] == "true"
    assert attrs["RawMessageDelivery"] == "false"
    topic_attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert topic_attrs["SubscriptionsConfirmed"] == "1"
    assert topic_attrs["SubscriptionsPending"] == "0"


def test_subscribe_is_idempotent_and_refuses_different_attributes(sns, sns_queues):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    _, queue_arn = sns_queues.create()
    first = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                          Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"]
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                         Attributes={"RawMessageDelivery": "true"})["SubscriptionArn"] == first
    expect_sns_error(lambda: sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                                           Attributes={"RawMessageDelivery": "false"}),
                     "InvalidParameter",
                     "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
    assert len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 1


def test_subscribe_validation(sns, sns_queues):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    _, queue_arn = sns_queues.create()
    expect_sns_error(lambda: sns.subscribe(TopicArn=arn, Protocol="test-protocol", Endpoint=queue_arn),
                     "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol")
    expect_sns_error(lambda: sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint="not-an-arn"),
                     "InvalidParameter", "Invalid parameter: SQS endpoint ARN")
    expect_sns_error(lambda: sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn,
                                           Attributes={"RawMessageDelivery": "wrongvalue"}),
                     "InvalidParameter",
                     "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.")
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic_arn(unique_name()), Protocol="sqs", Endpoint=queue_arn),
                     "NotFound", "Topic does not exist", 404)


def test_fifo_queue_cannot_subscribe_to_standard_topic(sns, sns_queues):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    _, queue_arn = sns_queues.create(fifo=True)
    expect_sns_error(lambda: sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn), "InvalidParameter",
                     "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")


def test_set_subscription_attributes(sns, sns_queues):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    _, queue_arn = sns_queues.create()
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true")
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RawMessageDelivery"] == "true"
    expect_sns_error(lambda: sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RawMessageDelivery",
                                                             AttributeValue="test-ValUe"),
                     "InvalidParameter", "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false.")
    expect_sns_error(lambda: sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope",
                                                             AttributeValue="RandomValue"),
                     "InvalidParameter",
                     "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes")
    expect_sns_error(lambda: sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                                             AttributeValue='{"deadLetterTargetArn": "x"}'),
                     "InvalidParameter", "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn")


def test_subscription_not_found_and_malformed(sns):
    missing = topic_arn(unique_name()) + ":0b9e3e4a-6a4c-4b8e-9d0a-6b5f8b0a1c2d"
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn=missing), "NotFound",
                     "Subscription does not exist", 404)
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn="nope"), "InvalidParameter",
                     "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")


def test_unsubscribe_twice_is_ok(sns, sns_queues):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    _, queue_arn = sns_queues.create()
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn=sub), "NotFound",
                     "Subscription does not exist", 404)


def test_list_subscriptions_pages_of_100(sns):
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    other = sns.create_topic(Name=unique_name())["TopicArn"]
    # Same-account queue ARNs; SNS does not check at Subscribe that the queue exists.
    subs = {sns.subscribe(TopicArn=arn, Protocol="sqs",
                          Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:sub-{i:03d}")["SubscriptionArn"] for i in range(103)}
    other_sub = sns.subscribe(TopicArn=other, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{ACCOUNT}:x")["SubscriptionArn"]
    assert len(subs) == 103

    def all_pages(call, **kwargs):
        pages, token = [], None
        while True:
            answer = call(**kwargs, **({"NextToken": token} if token else {}))
            pages.append(answer["Subscriptions"])
            token = answer.get("NextToken")
            if not token:
                return pages

    by_topic = all_pages(sns.list_subscriptions_by_topic, TopicArn=arn)
    assert [len(p) for p in by_topic] == [100, 3]
    assert {s["SubscriptionArn"] for p in by_topic for s in p} == subs
    assert all(s["TopicArn"] == arn and s["Protocol"] == "sqs" and s["Owner"] == ACCOUNT for p in by_topic for s in p)
    everything = all_pages(sns.list_subscriptions)
    assert [len(p) for p in everything] == [100, 4]
    assert {s["SubscriptionArn"] for p in everything for s in p} == subs | {other_sub}


def test_another_account_acts_only_as_the_topic_policy_allows(sns, mallard, sns_queues):
    import boto3
    from botocore.config import Config

    # A 12-digit access key id is its own account (README, "Account").
    other = boto3.session.Session(aws_access_key_id="111122223333", aws_secret_access_key="x", region_name=REGION).client(
        "sns", endpoint_url=mallard.endpoint, config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    refused = f"User: arn:aws:iam::111122223333:root is not authorized to perform: SNS:Publish on resource: {arn}"
    expect_sns_error(lambda: other.publish(TopicArn=arn, Message="m"), "AuthorizationError", status=403,
                     message=refused + " because no resource-based policy allows the SNS:Publish action")
    url, queue_arn = sns_queues.create()
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    sns.add_permission(TopicArn=arn, Label="other-publishes", AWSAccountId=["111122223333"], ActionName=["Publish"])
    other.publish(TopicArn=arn, Message="from another account")
    assert [m["Body"] for m in sns_queues.receive_now(url)] == ["from another account"]
    # Only what was granted.
    expect_sns_error(lambda: other.get_topic_attributes(TopicArn=arn), "AuthorizationError", status=403,
                     message_prefix="User: arn:aws:iam::111122223333:root is not authorized to perform: "
                                    f"SNS:GetTopicAttributes on resource: {arn}")
    sns.remove_permission(TopicArn=arn, Label="other-publishes")
    expect_sns_error(lambda: other.publish(TopicArn=arn, Message="m"), "AuthorizationError", status=403,
                     message_prefix=refused)
    # Its own topics are its own: the same name is another topic in its account.
    own = other.create_topic(Name=arn.rsplit(":", 1)[1])["TopicArn"]
    assert own == arn.replace(ACCOUNT, "111122223333")


def test_only_the_owners_unsubscribe_when_signed(sns, mallard, sns_queues):
    """Another account's signed Unsubscribe is refused; the owner's succeeds (and the unsigned
    UnsubscribeURL path is covered in test_sns_http.py)."""
    import boto3
    from botocore.config import Config

    other = boto3.session.Session(aws_access_key_id="111122223333", aws_secret_access_key="x", region_name=REGION).client(
        "sns", endpoint_url=mallard.endpoint, config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    arn = sns.create_topic(Name=unique_name())["TopicArn"]
    _, queue_arn = sns_queues.create()
    subscription = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    expect_sns_error(lambda: other.unsubscribe(SubscriptionArn=subscription), "AuthorizationError", status=403,
                     message="User: arn:aws:iam::111122223333:root is not authorized to perform: SNS:Unsubscribe "
                             f"on resource: {subscription}")
    assert sns.get_subscription_attributes(SubscriptionArn=subscription)["Attributes"]["SubscriptionArn"] == subscription
    sns.unsubscribe(SubscriptionArn=subscription)
    expect_sns_error(lambda: sns.get_subscription_attributes(SubscriptionArn=subscription), "NotFound",
                     "Subscription does not exist", status=404)
