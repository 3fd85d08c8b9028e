"""DynamoDB control plane: CreateTable validation, DescribeTable, UpdateTable, DeleteTable, ListTables paging,
tags, DescribeLimits, DescribeEndpoints.

Messages are AWS's (API Reference + messages real DynamoDB returns, as quoted in public reports and in
suites run against AWS such as ScyllaDB's test/alternator and dynalite's tests).

moto 5.2.1 deviations seen while checking these expectations (AWS documentation wins):
  - table ARNs use account 123456789012 (Mallard: 000000000000); the tests only check the ARN shape;
  - several CreateTable validation messages differ or are missing (key schema order, LSI without range key,
    duplicate index names, KEYS_ONLY with NonKeyAttributes).
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from ddb_e2e import NOT_FOUND, create_table, expect_error, item, unique, validation, wait_active

ARN_TABLE = re.compile(r"^arn:aws:dynamodb:us-east-1:\d{12}:table/(?P<name>[A-Za-z0-9_.-]+)$")
ARN_STREAM = re.compile(r"^arn:aws:dynamodb:us-east-1:\d{12}:table/(?P<name>[A-Za-z0-9_.-]+)/stream/(?P<label>.+)$")


def key_schema(*keys):
    return [{"AttributeName": n, "KeyType": t} for n, t in keys]


def attr_defs(*defs):
    return [{"AttributeName": n, "AttributeType": t} for n, t in defs]


# --- CreateTable ------------------------------------------------------------------------------


def test_create_table_description(dynamodb):
    name = unique("create")
    out = dynamodb.create_table(
        TableName=name, KeySchema=key_schema(("pk", "HASH"), ("sk", "RANGE")),
        AttributeDefinitions=attr_defs(("pk", "S"), ("sk", "N")),
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
        Tags=[{"Key": "team", "Value": "db"}])["TableDescription"]
    assert out["TableName"] == name
    assert out["TableStatus"] in ("CREATING", "ACTIVE")
    assert ARN_TABLE.match(out["TableArn"]).group("name") == name
    assert out["KeySchema"] == key_schema(("pk", "HASH"), ("sk", "RANGE"))
    assert sorted(out["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == attr_defs(("pk", "S"), ("sk", "N"))
    assert out["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert out["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert out["ItemCount"] == 0 and out["TableSizeBytes"] == 0
    assert isinstance(out["CreationDateTime"], datetime)
    assert out.get("TableId")
    table = wait_active(dynamodb, name)
    assert table["TableStatus"] == "ACTIVE"
    assert table.get("BillingModeSummary", {"BillingMode": "PROVISIONED"})["BillingMode"] == "PROVISIONED"


def test_create_table_pay_per_request_throughput_shape(dynamodb):
    name = create_table(dynamodb)
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    throughput = table["ProvisionedThroughput"]
    assert throughput["ReadCapacityUnits"] == 0 and throughput["WriteCapacityUnits"] == 0
    assert throughput["NumberOfDecreasesToday"] == 0


def test_create_table_already_exists(dynamodb):
    name = create_table(dynamodb)
    expect_error(dynamodb.create_table, "ResourceInUseException", f"Table already exists: {name}",
                 TableName=name, KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("pk", "S")),
                 BillingMode="PAY_PER_REQUEST")


@pytest.mark.parametrize("bad, constraint", [
    ("has space", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
    ("semi;colon", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
])
def test_create_table_name_rules(dynamodb_nv, bad, constraint):
    e = validation(dynamodb_nv.create_table, TableName=bad, KeySchema=key_schema(("pk", "HASH")),
                   AttributeDefinitions=attr_defs(("pk", "S")), BillingMode="PAY_PER_REQUEST")
    message = e.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value '"), message
    assert "at 'tableName' failed to satisfy constraint" in message and constraint in message, message


# CreateTable (like DescribeTable, UpdateTable, DeleteTable) checks the name's length before any other
# constraint, in words of its own (AWS's answer, as dynalite's createTable tests quote it).
@pytest.mark.parametrize("bad", ["ab", "x" * 256])
def test_create_table_name_length_is_checked_first(dynamodb_nv, bad):
    validation(dynamodb_nv.create_table, "TableName must be at least 3 characters long and at most 255 characters long",
               TableName=bad, KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("pk", "S")),
               BillingMode="PAY_PER_REQUEST")


@pytest.mark.parametrize("name", ["abc", "A.b-c_9", "x" * 255])
def test_create_table_name_allowed(dynamodb, name):
    assert create_table(dynamodb, name) == name
    assert name in dynamodb.list_tables()["TableNames"]


def test_create_table_key_not_in_attribute_definitions(dynamodb):
    validation(dynamodb.create_table,
               contains="One or more parameter values were invalid: Some index key attributes are not defined in "
                        "AttributeDefinitions",
               TableName=unique(), KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("other", "S")),
               BillingMode="PAY_PER_REQUEST")


def test_create_table_unused_attribute_definition(dynamodb):
    validation(dynamodb.create_table,
               "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match "
               "number of attributes defined in AttributeDefinitions",
               TableName=unique(), KeySchema=key_schema(("pk", "HASH")),
               AttributeDefinitions=attr_defs(("pk", "S"), ("extra", "S")), BillingMode="PAY_PER_REQUEST")


def test_create_table_first_key_must_be_hash(dynamodb):
    validation(dynamodb.create_table, "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
               TableName=unique(), KeySchema=key_schema(("sk", "RANGE"), ("pk", "HASH")),
               AttributeDefinitions=attr_defs(("pk", "S"), ("sk", "S")), BillingMode="PAY_PER_REQUEST")


def test_create_table_same_hash_and_range(dynamodb):
    validation(dynamodb.create_table,
               contains="Both the Hash Key and the Range Key element in the KeySchema have the same name",
               TableName=unique(), KeySchema=key_schema(("pk", "HASH"), ("pk", "RANGE")),
               AttributeDefinitions=attr_defs(("pk", "S")), BillingMode="PAY_PER_REQUEST")


def test_create_table_bad_attribute_type(dynamodb_nv):
    # Key attributes must be scalar S, N or B.
    validation(dynamodb_nv.create_table, TableName=unique(), KeySchema=key_schema(("pk", "HASH")),
               AttributeDefinitions=attr_defs(("pk", "BOOL")), BillingMode="PAY_PER_REQUEST")


def test_create_table_provisioned_needs_throughput(dynamodb):
    validation(dynamodb.create_table,
               "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
               "specified when BillingMode is PROVISIONED",
               TableName=unique(), KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("pk", "S")))


def test_create_table_pay_per_request_rejects_throughput(dynamodb):
    validation(dynamodb.create_table,
               "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be "
               "specified when BillingMode is PAY_PER_REQUEST",
               TableName=unique(), KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("pk", "S")),
               BillingMode="PAY_PER_REQUEST", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})


def test_create_table_lsi_requires_range_key(dynamodb):
    validation(dynamodb.create_table,
               contains="Table KeySchema does not have a range key, which is required when specifying a "
                        "LocalSecondaryIndex",
               TableName=unique(), KeySchema=key_schema(("pk", "HASH")),
               AttributeDefinitions=attr_defs(("pk", "S"), ("l", "S")), BillingMode="PAY_PER_REQUEST",
               LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": key_schema(("pk", "HASH"), ("l", "RANGE")),
                                       "Projection": {"ProjectionType": "ALL"}}])


def test_create_table_lsi_must_share_hash_key(dynamodb):
    validation(dynamodb.create_table, TableName=unique(), KeySchema=key_schema(("pk", "HASH"), ("sk", "RANGE")),
               AttributeDefinitions=attr_defs(("pk", "S"), ("sk", "S"), ("other", "S")), BillingMode="PAY_PER_REQUEST",
               LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": key_schema(("other", "HASH"), ("sk", "RANGE")),
                                       "Projection": {"ProjectionType": "ALL"}}])


def test_create_table_duplicate_index_name(dynamodb):
    gsi = {"IndexName": "idx", "KeySchema": key_schema(("g", "HASH")), "Projection": {"ProjectionType": "ALL"}}
    validation(dynamodb.create_table, contains="Duplicate index name: idx", TableName=unique(),
               KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("pk", "S"), ("g", "S")),
               BillingMode="PAY_PER_REQUEST", GlobalSecondaryIndexes=[gsi, dict(gsi)])


def test_create_table_gsi_key_not_defined(dynamodb):
    validation(dynamodb.create_table,
               contains="Some index key attributes are not defined in AttributeDefinitions",
               TableName=unique(), KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("pk", "S")),
               BillingMode="PAY_PER_REQUEST",
               GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": key_schema(("nope", "HASH")),
                                        "Projection": {"ProjectionType": "ALL"}}])


def test_create_table_projection_rules(dynamodb):
    base = dict(TableName=unique(), KeySchema=key_schema(("pk", "HASH")),
                AttributeDefinitions=attr_defs(("pk", "S"), ("g", "S")), BillingMode="PAY_PER_REQUEST")
    # KEYS_ONLY / ALL projections take no NonKeyAttributes; INCLUDE needs them.
    validation(dynamodb.create_table, contains="NonKeyAttributes", **base, GlobalSecondaryIndexes=[{
        "IndexName": "gsi", "KeySchema": key_schema(("g", "HASH")),
        "Projection": {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]}}])
    validation(dynamodb.create_table, **base, GlobalSecondaryIndexes=[{
        "IndexName": "gsi", "KeySchema": key_schema(("g", "HASH")), "Projection": {"ProjectionType": "INCLUDE"}}])


def test_create_table_with_indexes_describes_them(dynamodb):
    name = create_table(
        dynamodb, hash_key=("pk", "S"), range_key=("sk", "S"), extra_attrs=[("g", "S"), ("l", "N")],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": key_schema(("g", "HASH")),
                                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}}],
        LocalSecondaryIndexes=[{"IndexName": "by_l", "KeySchema": key_schema(("pk", "HASH"), ("l", "RANGE")),
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    table = dynamodb.describe_table(TableName=name)["Table"]
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "by_g" and gsi["IndexStatus"] == "ACTIVE"
    assert gsi["KeySchema"] == key_schema(("g", "HASH"))
    assert gsi["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}
    assert gsi["IndexArn"] == table["TableArn"] + "/index/by_g"
    assert gsi["ItemCount"] == 0 and gsi["IndexSizeBytes"] == 0
    (lsi,) = table["LocalSecondaryIndexes"]
    assert lsi["IndexName"] == "by_l" and lsi["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert lsi["IndexArn"] == table["TableArn"] + "/index/by_l"


def test_create_table_with_stream(dynamodb):
    name = unique()
    out = dynamodb.create_table(TableName=name, KeySchema=key_schema(("pk", "HASH")),
                                AttributeDefinitions=attr_defs(("pk", "S")), BillingMode="PAY_PER_REQUEST",
                                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    desc = out["TableDescription"]
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    match = ARN_STREAM.match(desc["LatestStreamArn"])
    assert match and match.group("name") == name and match.group("label") == desc["LatestStreamLabel"]
    # The label is an ISO 8601 timestamp, e.g. 2015-05-11T21:21:33.291
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$", desc["LatestStreamLabel"]), desc["LatestStreamLabel"]
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["LatestStreamArn"] == desc["LatestStreamArn"]


# --- DescribeTable / DeleteTable ----------------------------------------------------------------


def test_describe_missing_table(dynamodb):
    expect_error(dynamodb.describe_table, "ResourceNotFoundException",
                 "Requested resource not found: Table: nosuchtable not found", TableName="nosuchtable")


def test_describe_table_counts_items_and_bytes(dynamodb):
    name = create_table(dynamodb)
    # Item size = sum over attributes of UTF-8 name length + value size; for S the UTF-8 length.
    dynamodb.put_item(TableName=name, Item=item(pk="a" * 10, data="x" * 100))          # 2+10 + 4+100 = 116
    dynamodb.put_item(TableName=name, Item=item(pk="b" * 10, data="y" * 50))           # 2+10 + 4+50 = 66
    dynamodb.put_item(TableName=name, Item=item(pk="c" * 10, é="z"))                   # 2+10 + 2+1 = 15
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["ItemCount"] == 3
    assert table["TableSizeBytes"] == 116 + 66 + 15
    dynamodb.delete_item(TableName=name, Key=item(pk="a" * 10))
    table = dynamodb.describe_table(TableName=name)["Table"]
    assert table["ItemCount"] == 2 and table["TableSizeBytes"] == 66 + 15


def test_delete_table(dynamodb):
    name = create_table(dynamodb)
    dynamodb.put_item(TableName=name, Item=item(pk="a"))
    out = dynamodb.delete_table(TableName=name)["TableDescription"]
    assert out["TableName"] == name and out["TableStatus"] in ("DELETING", "ACTIVE")
    expect_error(dynamodb.describe_table, "ResourceNotFoundException", TableName=name)
    expect_error(dynamodb.delete_table, "ResourceNotFoundException",
                 f"Requested resource not found: Table: {name} not found", TableName=name)
    expect_error(dynamodb.get_item, "ResourceNotFoundException", NOT_FOUND, TableName=name, Key=item(pk="a"))
    assert name not in dynamodb.list_tables()["TableNames"]
    # The name can be reused and the new table is empty.
    create_table(dynamodb, name)
    assert dynamodb.scan(TableName=name)["Items"] == []


def test_data_plane_on_missing_table(dynamodb):
    for call, kwargs in [
        (dynamodb.put_item, {"Item": item(pk="a")}),
        (dynamodb.get_item, {"Key": item(pk="a")}),
        (dynamodb.delete_item, {"Key": item(pk="a")}),
        (dynamodb.update_item, {"Key": item(pk="a")}),
        (dynamodb.query, {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
        (dynamodb.scan, {}),
    ]:
        expect_error(call, "ResourceNotFoundException", NOT_FOUND, TableName="missing-table", **kwargs)


# --- ListTables -------------------------------------------------------------------------------


def test_list_tables_paging(dynamodb):
    names = sorted(f"lt-{i}-{unique('x')}" for i in range(5))
    for name in names:
        create_table(dynamodb, name)
    assert dynamodb.list_tables()["TableNames"] == names
    page = dynamodb.list_tables(Limit=2)
    assert page["TableNames"] == names[:2] and page["LastEvaluatedTableName"] == names[1]
    page = dynamodb.list_tables(Limit=2, ExclusiveStartTableName=names[1])
    assert page["TableNames"] == names[2:4] and page["LastEvaluatedTableName"] == names[3]
    page = dynamodb.list_tables(Limit=2, ExclusiveStartTableName=names[3])
    assert page["TableNames"] == names[4:]
    assert "LastEvaluatedTableName" not in page


def test_list_tables_limit_bounds(dynamodb_nv):
    validation(dynamodb_nv.list_tables, contains="Member must have value less than or equal to 100", Limit=101)
    validation(dynamodb_nv.list_tables, contains="Member must have value greater than or equal to 1", Limit=0)


# --- UpdateTable ------------------------------------------------------------------------------


def test_update_table_throughput_and_billing(dynamodb):
    name = create_table(dynamodb, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    out = dynamodb.update_table(TableName=name,
                                ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 20})
    assert out["TableDescription"]["TableName"] == name
    table = wait_active(dynamodb, name)
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 10
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 20
    dynamodb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    table = wait_active(dynamodb, name)
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 0


def test_update_table_missing(dynamodb):
    expect_error(dynamodb.update_table, "ResourceNotFoundException", TableName="missing-table",
                 BillingMode="PAY_PER_REQUEST")


def test_update_table_stream_on_off(dynamodb):
    name = create_table(dynamodb)
    assert "LatestStreamArn" not in dynamodb.describe_table(TableName=name)["Table"]
    out = dynamodb.update_table(TableName=name,
                                StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    first = out["TableDescription"]["LatestStreamArn"]
    assert ARN_STREAM.match(first)
    wait_active(dynamodb, name)
    # Enabling again while a stream exists is an error (message as real DynamoDB words it).
    validation(dynamodb.update_table, f"Table already has an enabled stream: TableName: {name}", TableName=name,
               StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    table = wait_active(dynamodb, name)
    assert table.get("StreamSpecification", {"StreamEnabled": False})["StreamEnabled"] is False
    assert table["LatestStreamArn"] == first  # the old stream's ARN lingers after disabling
    # Disabling again: no stream to disable.
    validation(dynamodb.update_table, f"Table has no stream to disable: TableName: {name}", TableName=name,
               StreamSpecification={"StreamEnabled": False})


def test_update_table_gsi_create_query_delete(dynamodb):
    name = create_table(dynamodb)
    for i in range(4):
        dynamodb.put_item(TableName=name, Item=item(pk=f"p{i}", color="red" if i % 2 else "blue", n=i))
    dynamodb.update_table(
        TableName=name, AttributeDefinitions=attr_defs(("pk", "S"), ("color", "S")),
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by_color", "KeySchema": key_schema(("color", "HASH")),
                                                 "Projection": {"ProjectionType": "ALL"}}}])
    table = wait_active(dynamodb, name)
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["by_color"]
    # Existing items are backfilled into the new index.
    out = dynamodb.query(TableName=name, IndexName="by_color", KeyConditionExpression="color = :c",
                         ExpressionAttributeValues={":c": {"S": "red"}})
    assert sorted(i["pk"]["S"] for i in out["Items"]) == ["p1", "p3"]
    dynamodb.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_color"}}])
    table = wait_active(dynamodb, name)
    assert not table.get("GlobalSecondaryIndexes")
    validation(dynamodb.query, "The table does not have the specified index: by_color", TableName=name, IndexName="by_color", KeyConditionExpression="color = :c",
               ExpressionAttributeValues={":c": {"S": "red"}})


# --- Tags, limits, endpoints --------------------------------------------------------------------


def test_tags(dynamodb):
    name = create_table(dynamodb, Tags=[{"Key": "a", "Value": "1"}])
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    assert dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    dynamodb.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}])
    tags = dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]
    assert sorted(tags, key=lambda t: t["Key"]) == [{"Key": "a", "Value": "one"}, {"Key": "b", "Value": "2"}]
    dynamodb.untag_resource(ResourceArn=arn, TagKeys=["a", "not-there"])
    assert dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = arn.rsplit("/", 1)[0] + "/missing-table"
    expect_error(dynamodb.list_tags_of_resource, "ResourceNotFoundException", ResourceArn=missing)
    expect_error(dynamodb.tag_resource, "ResourceNotFoundException", ResourceArn=missing,
                 Tags=[{"Key": "x", "Value": "y"}])


def test_describe_limits(dynamodb):
    out = dynamodb.describe_limits()
    for key in ("AccountMaxReadCapacityUnits", "AccountMaxWriteCapacityUnits", "TableMaxReadCapacityUnits",
                "TableMaxWriteCapacityUnits"):
        assert isinstance(out[key], int) and out[key] > 0, out
    assert out["AccountMaxReadCapacityUnits"] >= out["TableMaxReadCapacityUnits"]


def test_describe_endpoints(dynamodb):
    endpoints = dynamodb.describe_endpoints()["Endpoints"]
    assert len(endpoints) >= 1
    assert isinstance(endpoints[0]["Address"], str) and endpoints[0]["Address"]
    assert endpoints[0]["CachePeriodInMinutes"] == 1440
