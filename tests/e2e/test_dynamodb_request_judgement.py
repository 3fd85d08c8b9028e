"""How DynamoDB judges a request before it looks up any table (issue 15, items 1-4), checked on the raw
wire (boto3 hides `__type` namespaces and the case of `Message`):

1. order: JSON deserialisation (SerializationException) -> every parameter constraint (one
   ValidationException listing them all) -> expression syntax and semantics -> table and key lookup;
2. error type namespaces: com.amazon.coral.validate#ValidationException,
   com.amazon.coral.service#SerializationException / #UnknownOperationException, the service's own errors
   in com.amazonaws.dynamodb.v20120810#;
3. AWS's Java deserialiser messages for wrong JSON types, with a capital "Message";
4. constraint violations with AWS's member paths and Java renderings of values.

Expected messages are those of the real service as quoted in dynalite's test suite (run against AWS) and
in the issue; constraints are botocore's (dynamodb/2012-08-10/service-2.json).
"""

from __future__ import annotations

import pytest

from ddb_e2e import raw_call

VALIDATE = "com.amazon.coral.validate#ValidationException"
SERIALIZATION = "com.amazon.coral.service#SerializationException"
NOT_FOUND = "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
TABLE_PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"


def call(mallard, operation, payload, **kwargs):
    result = raw_call(mallard.port, operation, payload, **kwargs)
    return result.status, result.json()


def assert_validation(mallard, operation, payload, message):
    status, body = call(mallard, operation, payload)
    assert status == 400, body
    assert body == {"__type": VALIDATE, "message": message}


def assert_violations(mallard, operation, payload, violations):
    """AWS lists the violations in an order of its own; compare them as a set, with the count prefix."""
    status, body = call(mallard, operation, payload)
    assert status == 400, body
    assert body["__type"] == VALIDATE, body
    count = len(violations)
    prefix = f"{count} validation error{'s' if count > 1 else ''} detected: "
    assert body["message"].startswith(prefix), body["message"]
    assert sorted(body["message"][len(prefix):].split("; ")) == sorted(violations)


def assert_serialization(mallard, operation, payload, message):
    status, body = call(mallard, operation, payload)
    assert status == 400, body
    assert body == {"__type": SERIALIZATION, "Message": message}


def null_at(path):
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


# --- 1. Validation before the table lookup -------------------------------------------------------


def test_empty_table_name_is_a_validation_error_not_a_missing_table(mallard):
    assert_validation(mallard, "GetItem", {"TableName": ""},
                      "3 validation errors detected: "
                      f"Value '' at 'tableName' failed to satisfy constraint: {TABLE_PATTERN}; "
                      "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than "
                      "or equal to 3; " + null_at("key"))


def test_table_name_pattern_is_checked_before_the_lookup(mallard):
    assert_validation(mallard, "PutItem", {"TableName": "non!existent!table", "Item": {"a": {"S": "x"}}},
                      "1 validation error detected: Value 'non!existent!table' at 'tableName' failed to satisfy "
                      f"constraint: {TABLE_PATTERN}")


def test_put_item_return_values_is_checked_before_the_lookup(mallard):
    assert_validation(mallard, "PutItem", {"TableName": "missing_table", "Item": {"a": {"S": "x"}},
                                           "ReturnValues": "UPDATED_NEW"},
                      "ReturnValues can only be ALL_OLD or NONE")


def test_batch_get_unused_placeholder_is_checked_before_the_lookup(mallard):
    assert_validation(mallard, "BatchGetItem",
                      {"RequestItems": {"missing_table": {"Keys": [{"a": {"S": "x"}}], "ProjectionExpression": "a",
                                                          "ExpressionAttributeNames": {"#u": "u"}}}},
                      "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}")


def test_batch_get_over_100_keys_across_missing_tables(mallard):
    keys = [{"a": {"S": str(i)}} for i in range(100)]
    assert_validation(mallard, "BatchGetItem",
                      {"RequestItems": {"missing_one": {"Keys": keys}, "missing_two": {"Keys": [{"a": {"S": "x"}}]}}},
                      "Too many items requested for the BatchGetItem call")


def test_a_valid_request_on_a_missing_table_is_resource_not_found(mallard):
    status, body = call(mallard, "GetItem", {"TableName": "missing_table", "Key": {"a": {"S": "x"}}})
    assert status == 400
    assert body == {"__type": NOT_FOUND, "message": "Requested resource not found"}


def test_describe_table_checks_the_name_first(mallard):
    assert_validation(mallard, "DescribeTable", {},
                      "The parameter 'TableName' is required but was not present in the request")
    assert_validation(mallard, "DescribeTable", {"TableName": "a;"},
                      "TableName must be at least 3 characters long and at most 255 characters long")
    assert_validation(mallard, "DeleteTable", {"TableName": "abc;"},
                      f"1 validation error detected: Value 'abc;' at 'tableName' failed to satisfy constraint: "
                      f"{TABLE_PATTERN}")


def test_table_arn_is_accepted_where_a_name_is(mallard):
    arn = "arn:aws:dynamodb:us-east-1:000000000000:table/missing_table"
    status, body = call(mallard, "GetItem", {"TableName": arn, "Key": {"a": {"S": "x"}}})
    assert body["__type"] == NOT_FOUND, body


# --- 2. Namespaces --------------------------------------------------------------------------------


def test_body_that_is_not_json_is_a_bare_serialization_exception(mallard):
    result = raw_call(mallard.port, "ListTables", b"{not json")
    assert result.status == 400
    assert result.json() == {"__type": SERIALIZATION}


def test_unknown_operation_is_a_coral_error_without_message(mallard):
    result = raw_call(mallard.port, "ListTable", {})
    assert result.status == 400
    assert result.json() == {"__type": "com.amazon.coral.service#UnknownOperationException"}


def test_operation_validation_errors_are_in_the_validate_namespace(mallard):
    # A ValidationException raised by the operation's own checks, after the constraint stage.
    status, body = call(mallard, "Scan", {"TableName": "missing_table", "FilterExpression": ""})
    assert status == 400
    assert body["__type"] == VALIDATE, body


def test_streams_errors_use_the_same_namespaces(mallard):
    result = raw_call(mallard.port, "DescribeStream", {"StreamArn": "short"}, prefix="DynamoDBStreams_20120810")
    assert result.status == 400
    assert result.json()["__type"] == VALIDATE
    result = raw_call(mallard.port, "GetRecords", {"ShardIterator": True}, prefix="DynamoDBStreams_20120810")
    assert result.json() == {"__type": SERIALIZATION, "Message": "TRUE_VALUE cannot be converted to String"}


# --- 3. Wire-type errors -----------------------------------------------------------------------------

CAST = ("class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class "
        "(sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base "
        "of loader 'bootstrap')")


@pytest.mark.parametrize("operation,payload,message", [
    ("GetItem", {"TableName": True}, "TRUE_VALUE cannot be converted to String"),
    ("GetItem", {"TableName": False}, "FALSE_VALUE cannot be converted to String"),
    ("GetItem", {"TableName": 23}, "NUMBER_VALUE cannot be converted to String"),
    ("GetItem", {"TableName": 34.56}, "DECIMAL_VALUE cannot be converted to String"),
    ("GetItem", {"TableName": []}, "Unrecognized collection type class java.lang.String"),
    ("GetItem", {"TableName": {}}, "Start of structure or map found where not expected"),
    ("GetItem", {"ConsistentRead": "23"}, "Unexpected token received from parser"),
    ("GetItem", {"ConsistentRead": 23}, "NUMBER_VALUE cannot be converted to Boolean"),
    ("GetItem", {"ConsistentRead": []}, "Unrecognized collection type class java.lang.Boolean"),
    ("GetItem", {"AttributesToGet": "23"}, "Unexpected field type"),
    ("GetItem", {"AttributesToGet": {}}, "Start of structure or map found where not expected"),
    ("GetItem", {"Key": []},
     "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"),
    ("GetItem", {"Key": {"a": "x"}}, "Unexpected value type in payload"),
    ("GetItem", {"Key": {"a": {"B": "23456"}}}, "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
    ("GetItem", {"Key": {"a": {"B": 23}}}, "only base-64-encoded strings are convertible to bytes"),
    ("GetItem", {"Key": {"a": {"L": [{"BS": ["=+/="]}]}}}, "Invalid last non-pad Base64 character dectected"),
    ("Query", {"Limit": "23"}, "STRING_VALUE cannot be converted to Integer"),
    ("CreateTable", {"ProvisionedThroughput": "x"}, "Unexpected field type"),
    ("CreateTable", {"ProvisionedThroughput": []},
     "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.ProvisionedThroughput"),
    ("CreateTable", {"ProvisionedThroughput": {"ReadCapacityUnits": "1"}}, "STRING_VALUE cannot be converted to Long"),
    ("BatchWriteItem", {"RequestItems": []},
     "Unrecognized collection type java.util.Map<java.lang.String, "
     "java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>>"),
    ("BatchWriteItem", {"RequestItems": {"abc": 23}}, CAST),
    ("BatchGetItem", {"RequestItems": {"abc": {"Keys": [23]}}}, CAST),
    ("BatchWriteItem", {"RequestItems": {"abc": [23]}}, "Unexpected value type in payload"),
])
def test_wire_type_errors(mallard, operation, payload, message):
    assert_serialization(mallard, operation, payload, message)


def test_serialization_is_reported_before_missing_members(mallard):
    # No TableName and no Key, but the type error wins: deserialisation comes first.
    assert_serialization(mallard, "GetItem", {"ReturnConsumedCapacity": 1},
                         "NUMBER_VALUE cannot be converted to String")


# --- 4. All the constraint violations in one message ----------------------------------------------------


def test_all_violations_are_listed(mallard):
    assert_violations(mallard, "GetItem", {"TableName": "abc;", "ReturnConsumedCapacity": "hi", "AttributesToGet": []}, [
        "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
        "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
        f"Value 'abc;' at 'tableName' failed to satisfy constraint: {TABLE_PATTERN}",
        null_at("key"),
    ])
    assert_violations(mallard, "PutItem", {"TableName": "abc", "Item": {}, "ReturnValues": "hi",
                                           "ReturnItemCollectionMetrics": "hi"}, [
        "Value 'hi' at 'returnValues' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
        "Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: "
        "Member must satisfy enum value set: [SIZE, NONE]",
    ])


def test_member_paths_and_java_renderings(mallard):
    assert_violations(mallard, "CreateTable", {
        "TableName": "abc", "AttributeDefinitions": [{"AttributeType": "SS"}],
        "KeySchema": [{"AttributeName": "UUID", "KeyType": "HASH"}, {"KeyType": "RANGE"},
                      {"AttributeName": "a", "KeyType": "Woop"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": 0, "WriteCapacityUnits": 1}}, [
        null_at("attributeDefinitions.1.member.attributeName"),
        "Value 'SS' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [B, N, S]",
        "Value '[KeySchemaElement(attributeName=UUID, keyType=HASH), KeySchemaElement(attributeName=null, "
        "keyType=RANGE), KeySchemaElement(attributeName=a, keyType=Woop)]' at 'keySchema' failed to satisfy "
        "constraint: Member must have length less than or equal to 2",
        null_at("keySchema.2.member.attributeName"),
        "Value 'Woop' at 'keySchema.3.member.keyType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HASH, RANGE]",
        "Value '0' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    ])


def test_map_keys_and_nested_map_paths(mallard):
    assert_violations(mallard, "BatchGetItem", {"RequestItems": {"a": {}}, "ReturnConsumedCapacity": "hi"}, [
        "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: "
        "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        "Value '{a=KeysAndAttributes(keys=null, attributesToGet=null, consistentRead=null, projectionExpression=null, "
        "expressionAttributeNames=null)}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must have length less than or equal to 255, Member must have length greater than or "
        f"equal to 3, {TABLE_PATTERN}]",
        null_at("requestItems.a.member.keys"),
    ])


def test_at_most_ten_violations_are_listed(mallard):
    status, body = call(mallard, "CreateTable", {
        "TableName": "abc", "AttributeDefinitions": [], "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
        "LocalSecondaryIndexes": [{}] * 9})
    assert body["__type"] == VALIDATE
    assert body["message"].startswith("10 validation errors detected: ")
    assert body["message"].count("failed to satisfy constraint") == 10


# --- Tagging operations judge their ResourceArn first ------------------------------------------------


@pytest.mark.parametrize("operation", ["TagResource", "UntagResource", "ListTagsOfResource"])
def test_tagging_resource_arn_is_judged_first(mallard, operation):
    assert_validation(mallard, operation, {}, "Invalid TableArn")
    for arn, shown in [("", "*"), ("abcd", "abcd"), ("a:b:c:d:e/f", "a:b:c:d:e/f")]:
        status, body = call(mallard, operation, {"ResourceArn": arn})
        assert status == 400
        assert body == {"__type": "com.amazon.coral.service#AccessDeniedException",
                        "Message": f"User: arn:aws:iam::000000000000:root is not authorized to perform: "
                                   f"dynamodb:{operation} on resource: {shown}"}


def test_tag_resource_constraints_follow_the_arn_check(mallard):
    assert_validation(mallard, "TagResource", {"ResourceArn": "a:b:c:d:e:f/g"},
                      "1 validation error detected: " + null_at("tags"))


# --- Transactions: every action is judged before any table is looked up ------------------------------


def test_transaction_actions_are_judged_before_the_lookup(mallard):
    unused = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}"
    assert_validation(mallard, "TransactWriteItems", {"TransactItems": [
        {"Delete": {"TableName": "missing_one", "Key": {"a": {"S": "x"}}}},
        {"Put": {"TableName": "missing_two", "Item": {"a": {"S": "y"}}, "ConditionExpression": "attribute_exists(a)",
                 "ExpressionAttributeValues": {":u": {"S": "z"}}}}]}, unused)
    assert_validation(mallard, "TransactGetItems", {"TransactItems": [
        {"Get": {"TableName": "missing_one", "Key": {"a": {"S": "x"}}}},
        {"Get": {"TableName": "missing_two", "Key": {"a": {}}}}]},
        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def test_update_table_with_nothing_to_update_is_judged_before_the_lookup(mallard):
    assert_validation(mallard, "UpdateTable", {"TableName": "missing_table"},
                      "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
                      "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")


def test_query_placeholders_are_judged_before_the_lookup(mallard):
    assert_validation(mallard, "Query", {"TableName": "missing_table", "KeyConditionExpression": "a = :v"},
                      "Invalid KeyConditionExpression: An expression attribute value used in expression is not "
                      "defined; attribute value: :v")
    assert_validation(mallard, "Query", {"TableName": "missing_table", "KeyConditionExpression": "a = :v",
                                         "ExpressionAttributeValues": {":v": {"S": "x"}, ":u": {"S": "y"}}},
                      "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}")
