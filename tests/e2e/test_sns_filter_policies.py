"""SNS subscription filter policies, on message attributes and on the message body, delivered to SQS;
and AWS's validation messages for bad policies (as recorded against AWS in LocalStack's snapshots)."""

from __future__ import annotations

import json
import os
import random

import pytest

from sns_e2e import expect_sns_error, unique_name


def s(value: str) -> dict:
    return {"DataType": "String", "StringValue": value}


def n(value: str) -> dict:
    return {"DataType": "Number", "StringValue": value}


def arr(values: list) -> dict:
    return {"DataType": "String.Array", "StringValue": json.dumps(values)}


# (policy, [(message attributes, delivered?)])
ATTRIBUTE_CASES = {
    "exact-strings": ({"color": ["red", "blue"]},
                      [({"color": s("red")}, True), ({"color": s("blue")}, True), ({"color": s("green")}, False),
                       ({}, False), ({"other": s("red")}, False), ({"color": s("Red")}, False)]),
    "exact-number": ({"price": [100]},
                     [({"price": n("100")}, True), ({"price": n("100.0")}, True), ({"price": n("101")}, False)]),
    "prefix": ({"color": [{"prefix": "re"}]},
               [({"color": s("red")}, True), ({"color": s("re")}, True), ({"color": s("bred")}, False)]),
    "suffix": ({"file": [{"suffix": ".png"}]},
               [({"file": s("a.png")}, True), ({"file": s("a.png.jpg")}, False)]),
    "equals-ignore-case": ({"color": [{"equals-ignore-case": "RED"}]},
                           [({"color": s("red")}, True), ({"color": s("rEd")}, True), ({"color": s("reds")}, False)]),
    "anything-but-list": ({"color": [{"anything-but": ["red", "blue"]}]},
                          [({"color": s("green")}, True), ({"color": s("red")}, False), ({"color": s("blue")}, False),
                           ({}, False)]),
    "anything-but-number": ({"n": [{"anything-but": 5}]},
                            [({"n": n("6")}, True), ({"n": n("5")}, False)]),
    "anything-but-prefix": ({"color": [{"anything-but": {"prefix": "re"}}]},
                            [({"color": s("green")}, True), ({"color": s("red")}, False)]),
    "numeric-range": ({"price": [{"numeric": [">", 0, "<=", 100]}]},
                      [({"price": n("50")}, True), ({"price": n("100")}, True), ({"price": n("0")}, False),
                       ({"price": n("100.5")}, False), ({"price": s("50")}, False), ({"price": n("-1")}, False)]),
    "numeric-equals": ({"price": [{"numeric": ["=", 3.5]}]},
                       [({"price": n("3.5")}, True), ({"price": n("3.50")}, True), ({"price": n("3.6")}, False)]),
    "exists-true": ({"k": [{"exists": True}]},
                    [({"k": s("any")}, True), ({"k": n("1")}, True), ({"other": s("x")}, False)]),
    "exists-false": ({"k": [{"exists": False}]},
                     # AWS's Key matching page: "exists": false only matches if at least one
                     # attribute is present; a message without attributes does not match.
                     [({"other": s("x")}, True), ({}, False), ({"k": s("any")}, False)]),
    "cidr-v4": ({"ip": [{"cidr": "10.0.0.0/24"}]},
                [({"ip": s("10.0.0.5")}, True), ({"ip": s("10.0.0.255")}, True), ({"ip": s("10.0.1.5")}, False),
                 ({"ip": s("not-an-ip")}, False)]),
    "cidr-v6": ({"ip": [{"cidr": "2001:db8::/32"}]},
                [({"ip": s("2001:db8:1::1")}, True), ({"ip": s("2001:db9::1")}, False)]),
    "or": ({"$or": [{"a": ["1"]}, {"b": ["2"]}]},
           [({"a": s("1")}, True), ({"b": s("2")}, True), ({"a": s("2")}, False), ({}, False)]),
    "and-of-keys": ({"a": ["1"], "b": [{"prefix": "x"}]},
                    [({"a": s("1"), "b": s("xy")}, True), ({"a": s("1")}, False), ({"b": s("xy")}, False)]),
    "string-array": ({"tags": ["x"]},
                     [({"tags": arr(["y", "x"])}, True), ({"tags": arr(["y"])}, False), ({"tags": s("x")}, True)]),
    "binary-ignored": ({"k": ["v"]},
                       [({"k": {"DataType": "Binary", "BinaryValue": b"v"}}, False)]),
}

# (policy, [(message body, delivered?)]) with FilterPolicyScope MessageBody.
BODY_CASES = {
    "nested-key": ({"order": {"status": ["paid"]}},
                   [({"order": {"status": "paid"}}, True), ({"order": {"status": "new"}}, False),
                    ({"status": "paid"}, False), ("not json", False)]),
    "array-of-objects": ({"items": {"sku": ["a"]}},
                         [({"items": [{"sku": "b"}, {"sku": "a"}]}, True), ({"items": [{"sku": "b"}]}, False)]),
    "array-of-values": ({"tags": ["x"]},
                        [({"tags": ["y", "x"]}, True), ({"tags": ["y"]}, False)]),
    "numeric": ({"n": [{"numeric": [">=", 10, "<", 20]}]},
                [({"n": 10}, True), ({"n": 19.99}, True), ({"n": 9}, False), ({"n": "15"}, False)]),
    "exists-false-nested": ({"a": {"b": [{"exists": False}]}},
                            [({"a": {"c": 1}}, True), ({"a": {"b": 1}}, False)]),
    "or-nested": ({"$or": [{"x": {"y": ["1"]}}, {"z": [{"prefix": "p"}]}]},
                  [({"x": {"y": "1"}}, True), ({"z": "pq"}, True), ({"x": {"y": "2"}, "z": "q"}, False)]),
    "null-and-booleans": ({"flag": [True], "maybe": [None]},
                          [({"flag": True, "maybe": None}, True), ({"flag": False, "maybe": None}, False)]),
}


def subscribed_queue(sns, sns_queues, policy: dict, scope: str | None):
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    url, arn = sns_queues.create()
    attributes = {"RawMessageDelivery": "true", "FilterPolicy": json.dumps(policy)}
    if scope:
        attributes["FilterPolicyScope"] = scope
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)["SubscriptionArn"]
    return topic, url, sub


@pytest.mark.parametrize("case", sorted(ATTRIBUTE_CASES))
def test_attribute_filter(sns, sns_queues, case):
    policy, messages = ATTRIBUTE_CASES[case]
    topic, url, _ = subscribed_queue(sns, sns_queues, policy, None)
    expected = set()
    for i, (attributes, delivered) in enumerate(messages):
        body = f"{case}-{i}"
        sns.publish(TopicArn=topic, Message=body, MessageAttributes=attributes)
        if delivered:
            expected.add(body)
    got = {m["Body"] for m in sns_queues.receive_now(url)}
    assert got == expected, f"policy {policy}: delivered {sorted(got)}, expected {sorted(expected)}"


@pytest.mark.parametrize("case", sorted(BODY_CASES))
def test_body_filter(sns, sns_queues, case):
    policy, messages = BODY_CASES[case]
    topic, url, sub = subscribed_queue(sns, sns_queues, policy, "MessageBody")
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["FilterPolicyScope"] == "MessageBody"
    expected = set()
    for body, delivered in messages:
        text = body if isinstance(body, str) else json.dumps(body)
        sns.publish(TopicArn=topic, Message=text)
        if delivered:
            expected.add(text)
    got = {m["Body"] for m in sns_queues.receive_now(url)}
    assert got == expected, f"policy {policy}: delivered {sorted(got)}, expected {sorted(expected)}"


def test_filter_policy_set_later_and_removed(sns, sns_queues):
    topic, url, sub = subscribed_queue(sns, sns_queues, {"k": ["v"]}, None)
    sns.publish(TopicArn=topic, Message="filtered out")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
    sns.publish(TopicArn=topic, Message="no policy")
    assert [m["Body"] for m in sns_queues.receive_now(url)] == ["no policy"]


def test_body_scope_and_message_structure_json(sns, sns_queues):
    # With MessageStructure=json the body the filter sees is the subscriber's (sqs) message.
    topic, url, _ = subscribed_queue(sns, sns_queues, {"k": ["v"]}, "MessageBody")
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": json.dumps({"k": "no"}), "sqs": json.dumps({"k": "v"})}))
    assert [json.loads(m["Body"]) for m in sns_queues.receive_now(url)] == [{"k": "v"}]


# Exact messages AWS answered (LocalStack's snapshots of AWS, test_sns_filter_policy.snapshot.json).
BAD_POLICIES_AT_SUBSCRIBE = [
    ('{"key":[["value"]]}',
     'Match value must be String, number, true, false, or null\n at [Source: (String)"{"key":[["value"]]}"; line: 1, column: 10]'),
    ('{"key":[{"wrong-operator":true}]}',
     'Unrecognized match type wrong-operator\n at [Source: (String)"{"key":[{"wrong-operator":true}]}"; line: 1, column: 31]'),
    ('{"key":[]}', 'Empty arrays are not allowed\n at [Source: (String)"{"key":[]}"; line: 1, column: 10]'),
    ('{"key":[{"suffix":100}]}',
     'suffix match pattern must be a string\n at [Source: (String)"{"key":[{"suffix":100}]}"; line: 1, column: 22]'),
    ('{"key":{"suffix":"value"}}',
     '"suffix" must be an object or an array\n at [Source: (String)"{"key":{"suffix":"value"}}"; line: 1, column: 19]'),
    ('{"key":[{"cidr":"bad-filter"}]}', "Malformed CIDR, one '/' required"),
    ('{"key":[{"numeric":[">=",1,">",2]}]}',
     'Bad numeric range operator: >\n at [Source: (String)"{"key":[{"numeric":[">=",1,">",2]}]}"; line: 1, column: 31]'),
    ('{"key":[{"numeric":[">",3,"<",1]}]}',
     'Bottom must be less than top\n at [Source: (String)"{"key":[{"numeric":[">",3,"<",1]}]}"; line: 1, column: 33]'),
    ('{"key":[{"numeric":[">","20","<","30"]}]}',
     'Value of > must be numeric\n at [Source: (String)"{"key":[{"numeric":[">","20","<","30"]}]}"; line: 1, column: 26]'),
    ('{"key":[{"exists":"no"}]}',
     'exists match pattern must be either true or false.\n at [Source: (String)"{"key":[{"exists":"no"}]}"; line: 1, column: 20]'),
    ('{"key":[{"anything-but":{"wrong-operator":null}}]}',
     'Unsupported anything-but pattern: wrong-operator\n at [Source: (String)"{"key":[{"anything-but":{"wrong-operator":null}}]}"; line: 1, column: 47]'),
]


@pytest.mark.parametrize("policy, reason", BAD_POLICIES_AT_SUBSCRIBE)
def test_bad_policy_at_subscribe(sns, sns_queues, policy, reason):
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    _, arn = sns_queues.create()
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                                           Attributes={"FilterPolicy": policy}),
                     "InvalidParameter", "Invalid parameter: Attributes Reason: FilterPolicy: " + reason)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_unparseable_policy_at_subscribe(sns, sns_queues):
    # LocalStack's test_subscribe_invalid_filter_policy, validated against AWS 2026-01-13.
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    _, arn = sns_queues.create()
    expect_sns_error(lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                                           Attributes={"FilterPolicy": "invalid-json"}),
                     "InvalidParameter",
                     "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. Unrecognized token "
                     "'invalid': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n"
                     " at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 8]")


def test_unparseable_redrive_policy(sns, sns_queues):
    # LocalStack's test_validate_set_sub_attributes, validated against AWS 2025-10-06.
    topic, _, sub = subscribed_queue(sns, sns_queues, {"k": ["v"]}, None)
    expect_sns_error(lambda: sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="RedrivePolicy",
                                                             AttributeValue="{invalidjson}"),
                     "InvalidParameter",
                     "Invalid parameter: RedrivePolicy: failed to parse JSON. Unexpected character ('i' (code 105)): "
                     "was expecting double-quote to start field name\n at [Source: REDACTED "
                     "(`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]")


def test_bad_policies_at_set_subscription_attributes(sns, sns_queues):
    topic, _, sub = subscribed_queue(sns, sns_queues, {"k": ["v"]}, None)

    def set_policy(value, name="FilterPolicy"):
        return lambda: sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName=name, AttributeValue=value)

    # LocalStack's test_validate_set_sub_attributes, validated against AWS 2025-10-06.
    expect_sns_error(set_policy("{invalidjson}"), "InvalidParameter",
                     "Invalid parameter: FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): "
                     "was expecting double-quote to start field name\n at [Source: REDACTED "
                     "(`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]")
    six_keys = json.dumps({k: ["v"] for k in "abcdef"})
    expect_sns_error(set_policy(six_keys), "InvalidParameter",
                     "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys")
    too_complex = json.dumps({"a": list(range(10)), "b": list(range(16))})  # 160 combinations > 150
    expect_sns_error(set_policy(too_complex), "InvalidParameter",
                     "Invalid parameter: FilterPolicy: Filter policy is too complex")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"a": list(range(10)), "b": list(range(15))}))
    # A nested policy is refused while the scope is MessageAttributes.
    expect_sns_error(set_policy(json.dumps({"a": {"b": ["c"]}})), "InvalidParameter",
                     "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
    # The policy in place is unchanged by the refusals.
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert json.loads(attrs["FilterPolicy"]) == {"a": list(range(10)), "b": list(range(15))}


# ---------------------------------------------------------------------------------------------
# Seeded random policies and messages against an independent reference (a subset of the language
# whose semantics the Developer Guide states plainly). MALLARD_SNS_E2E_SEED=n replays a run.
# ---------------------------------------------------------------------------------------------

STRING_VALUES = ["red", "rose", "re", "green", "blue", "Red"]
NUMBER_VALUES = [-3, 0, 1.5, 10, 42, 100, 250.25]


def random_condition(rng: random.Random, numeric_key: bool):
    if numeric_key:
        kind = rng.choice(["range", "exists"])
        if kind == "range":
            low, high = sorted(rng.sample(NUMBER_VALUES, 2))
            return {"numeric": [rng.choice([">", ">="]), low, rng.choice(["<", "<="]), high]}
        return {"exists": rng.choice([True, False])}
    kind = rng.choice(["exact", "prefix", "anything-but", "exists", "ignore-case"])
    if kind == "exact":
        return rng.choice(STRING_VALUES)
    if kind == "prefix":
        return {"prefix": rng.choice(["r", "re", "g", "bl", "R"])}
    if kind == "ignore-case":
        return {"equals-ignore-case": rng.choice(["RED", "green", "Blue"])}
    if kind == "anything-but":
        return {"anything-but": rng.sample(STRING_VALUES, rng.randint(1, 3))}
    return {"exists": rng.choice([True, False])}


def condition_matches(condition, value, present: bool) -> bool:
    """The reference: one condition against one key's value (None when absent)."""
    if isinstance(condition, str):
        return present and value == condition
    (operator, operand), = condition.items()
    if operator == "exists":
        return present == operand
    if not present:
        return False
    if operator == "prefix":
        return value.startswith(operand)
    if operator == "equals-ignore-case":
        return value.lower() == operand.lower()
    if operator == "anything-but":
        return value not in operand
    if operator == "numeric":
        low_op, low, high_op, high = operand
        above = value > low if low_op == ">" else value >= low
        below = value < high if high_op == "<" else value <= high
        return above and below
    raise AssertionError(operator)


def policy_matches(policy: dict, values: dict) -> bool:
    return all(any(condition_matches(c, values.get(key), key in values) for c in conditions)
               for key, conditions in policy.items())


def test_random_policies_against_a_reference(sns, sns_queues):
    seed = int(os.environ.get("MALLARD_SNS_E2E_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    keys = {"s1": False, "s2": False, "n1": True}  # name -> numeric?
    topic = sns.create_topic(Name=unique_name())["TopicArn"]
    subscriptions = []
    for _ in range(8):
        chosen = rng.sample(sorted(keys), rng.randint(1, 3))
        policy = {k: [random_condition(rng, keys[k]) for _ in range(rng.randint(1, 2))] for k in chosen}
        scope = rng.choice(["MessageAttributes", "MessageBody"])
        url, arn = sns_queues.create()
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn,
                      Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps(policy),
                                  "FilterPolicyScope": scope})
        subscriptions.append((policy, scope, url))
    messages = []
    for i in range(60):
        # At least one key: a message without attributes is a rule of its own (tested above).
        values = {k: (rng.choice(NUMBER_VALUES) if keys[k] else rng.choice(STRING_VALUES))
                  for k in rng.sample(sorted(keys), rng.randint(1, 3))}
        attributes = {k: (n(repr(v)) if keys[k] else s(v)) for k, v in values.items()}
        sns.publish(TopicArn=topic, Message=json.dumps({"id": i, **values}), MessageAttributes=attributes)
        messages.append(values)
    for policy, scope, url in subscriptions:
        got = sorted(json.loads(m["Body"])["id"] for m in sns_queues.receive_now(url))
        expected = [i for i, values in enumerate(messages) if policy_matches(policy, values)]
        assert got == expected, (f"seed {seed} (MALLARD_SNS_E2E_SEED={seed} replays): policy {json.dumps(policy)} "
                                 f"scope {scope}: delivered {got}, reference {expected}")
