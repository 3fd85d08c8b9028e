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


# --- Limits on names and tags (issue 15, item 7) ---------------------------------------------------


def test_key_and_projected_attribute_names_limited_to_255_bytes(dynamodb):
    long = "a" * 256
    # AttributeDefinitions names are KeySchemaAttributeName (1-255), even when the key schema uses a short name.
    validation(dynamodb.create_table, contains=["attributeDefinitions.2.member.attributeName", "255"],
               TableName=unique("names"), BillingMode="PAY_PER_REQUEST", KeySchema=key_schema(("pk", "HASH")),
               AttributeDefinitions=attr_defs(("pk", "S"), (long, "S")))
    validation(dynamodb.create_table, contains="255", TableName=unique("names"), BillingMode="PAY_PER_REQUEST",
               KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("pk", "S"), ("g", "S")),
               GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": key_schema(("g", "HASH")),
                                        "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": [long]}}])
    ok = "b" * 255
    name = create_table(dynamodb, hash_key=(ok, "S"), extra_attrs=[("g", "S")],
                        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": key_schema(("g", "HASH")),
                                                 "Projection": {"ProjectionType": "INCLUDE",
                                                                "NonKeyAttributes": ["c" * 255]}}])
    assert dynamodb.describe_table(TableName=name)["Table"]["KeySchema"][0]["AttributeName"] == ok


def test_tag_limits_at_creation_and_on_tag_resource(dynamodb):
    def create(tags):
        return dynamodb.create_table(TableName=unique("tags"), BillingMode="PAY_PER_REQUEST",
                                     KeySchema=key_schema(("pk", "HASH")), AttributeDefinitions=attr_defs(("pk", "S")),
                                     Tags=tags)

    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    expect_error(create, "LimitExceededException", tags=too_many)
    validation(create, contains=["tags.1.member.key", "pattern"], tags=[{"Key": "bad!", "Value": "v"}])
    validation(create, contains=["tags.2.member.value", "pattern"],
               tags=[{"Key": "ok", "Value": "v"}, {"Key": "k", "Value": "#"}])
    # Lengths are UTF-8 bytes: 43 three-byte characters are 129 bytes.
    validation(create, contains=["tags.1.member.key", "128"], tags=[{"Key": "€" * 43, "Value": "v"}])
    validation(create, "System tags (aws:*) cannot be added or modified", tags=[{"Key": "aws:x", "Value": "v"}])
    name = create([{"Key": "Env Name_1.a:b/c=d+e-f@g", "Value": "ünïcode ok"}] +
                  [{"Key": f"k{i}", "Value": ""} for i in range(49)])["TableDescription"]["TableName"]
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    assert len(dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]) == 50
    validation(dynamodb.tag_resource, contains=["tags.1.member.value", "256"], ResourceArn=arn,
               Tags=[{"Key": "x", "Value": "€" * 86}])
    validation(dynamodb.tag_resource, contains="pattern", ResourceArn=arn, Tags=[{"Key": "a|b", "Value": "v"}])
    expect_error(dynamodb.tag_resource, "LimitExceededException", ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])


# --- Response shapes (issue 15, item 11) ------------------------------------------------------------
# botocore 1.29 (Debian) predates RecoveryPeriodInDays, WarmThroughput and the resource-policy operations:
# those requests go out as signed raw awsJson 1.0 (ddb_e2e.raw_call).

from ddb_e2e import raw_call  # noqa: E402


def test_delete_table_returns_the_reduced_description(dynamodb):
    name = create_table(dynamodb, extra_attrs=[("g", "S")], StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}, GlobalSecondaryIndexes=[
        {"IndexName": "gsi", "KeySchema": key_schema(("g", "HASH")), "Projection": {"ProjectionType": "ALL"}}])
    dynamodb.put_item(TableName=name, Item=item(pk="a"))
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    out = dynamodb.delete_table(TableName=name)["TableDescription"]
    # As AWS answers (CLI/SDK examples of real responses): no key schema, definitions, indexes or stream.
    assert set(out) == {"TableName", "TableStatus", "ProvisionedThroughput", "TableSizeBytes", "ItemCount",
                        "TableArn", "TableId", "BillingModeSummary"}
    assert out["TableStatus"] == "DELETING" and out["TableArn"] == arn and out["ItemCount"] == 1
    assert out["ProvisionedThroughput"] == {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": 0,
                                            "WriteCapacityUnits": 0}
    assert out["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_tag_and_untag_answer_with_an_empty_body(dynamodb, mallard):
    name = create_table(dynamodb)
    arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    tagged = raw_call(mallard.port, "TagResource", {"ResourceArn": arn, "Tags": [{"Key": "a", "Value": "1"}]})
    assert tagged.status == 200 and tagged.body == b""
    untagged = raw_call(mallard.port, "UntagResource", {"ResourceArn": arn, "TagKeys": ["a"]})
    assert untagged.status == 200 and untagged.body == b""
    assert dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


def test_sse_description_is_echoed(dynamodb):
    kms = f"arn:aws:kms:us-east-1:{'0' * 12}:"
    plain_table = create_table(dynamodb)
    assert "SSEDescription" not in dynamodb.describe_table(TableName=plain_table)["Table"]
    name = create_table(dynamodb, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "my-key-id"})
    sse = dynamodb.describe_table(TableName=name)["Table"]["SSEDescription"]
    assert sse == {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": kms + "key/my-key-id"}
    name = create_table(dynamodb, SSESpecification={"Enabled": True})
    assert dynamodb.describe_table(TableName=name)["Table"]["SSEDescription"]["KMSMasterKeyArn"] == \
        kms + "alias/aws/dynamodb"
    dynamodb.update_table(TableName=name, SSESpecification={"Enabled": False})
    assert "SSEDescription" not in wait_active(dynamodb, name)


def test_point_in_time_recovery_period(dynamodb, mallard):
    name = create_table(dynamodb)
    described = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert described["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}
    out = raw_call(mallard.port, "UpdateContinuousBackups", {
        "TableName": name, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True,
                                                                "RecoveryPeriodInDays": 7}})
    assert out.status == 200, out.body
    pitr = out.json()["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED" and pitr["RecoveryPeriodInDays"] == 7
    pitr = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    assert pitr.get("RecoveryPeriodInDays", 7) == 7
    bad = raw_call(mallard.port, "UpdateContinuousBackups", {
        "TableName": name, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True,
                                                                "RecoveryPeriodInDays": 36}})
    assert bad.status == 400 and "recoveryPeriodInDays" in bad.json()["message"]
    # Re-enabling without a period goes back to the default of 35 days.
    out = raw_call(mallard.port, "UpdateContinuousBackups", {
        "TableName": name, "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})
    assert out.json()["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 35


# --- Resource policies and WarmThroughput (issue 15, item 12) ----------------------------------------


def policy_for(resource: str, action: str = "dynamodb:GetItem") -> str:
    import json
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": [action],
        "Resource": resource}]})


def test_resource_policies(dynamodb, mallard):
    name = create_table(dynamodb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    table = dynamodb.describe_table(TableName=name)["Table"]
    arn, stream = table["TableArn"], table["LatestStreamArn"]

    def call(op, **payload):
        return raw_call(mallard.port, op, payload)

    missing = call("GetResourcePolicy", ResourceArn=arn)
    assert missing.status == 400
    assert missing.json() == {"__type": "com.amazonaws.dynamodb.v20120810#PolicyNotFoundException",
                              "message": f"Resource-based policy not found for the provided ResourceArn: {arn}"}
    first = call("PutResourcePolicy", ResourceArn=arn, Policy=policy_for(arn), ExpectedRevisionId="NO_POLICY")
    assert first.status == 200, first.body
    revision = first.json()["RevisionId"]
    got = call("GetResourcePolicy", ResourceArn=arn).json()
    assert got == {"Policy": policy_for(arn), "RevisionId": revision}
    # The same document again keeps its revision; a new one gets a later revision.
    assert call("PutResourcePolicy", ResourceArn=arn, Policy=policy_for(arn)).json()["RevisionId"] == revision
    second = call("PutResourcePolicy", ResourceArn=arn, Policy=policy_for(arn + "/index/*", "dynamodb:Query"),
                  ExpectedRevisionId=revision).json()["RevisionId"]
    assert second != revision and second > revision
    stale = call("PutResourcePolicy", ResourceArn=arn, Policy=policy_for(arn), ExpectedRevisionId=revision)
    assert stale.json()["message"] == (
        "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id "
        f"{revision}, but the policy associated to target table {name} has revision id {second}.")
    exists = call("PutResourcePolicy", ResourceArn=arn, Policy=policy_for(arn), ExpectedRevisionId="NO_POLICY")
    assert exists.json()["message"] == (
        "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be "
        f"present for table {name}, but a policy exists with revision id {second}.")
    # The stream is a policy slot of its own.
    assert call("GetResourcePolicy", ResourceArn=stream).status == 400
    assert call("PutResourcePolicy", ResourceArn=stream, Policy=policy_for(stream, "dynamodb:GetRecords")).status == 200
    assert call("GetResourcePolicy", ResourceArn=arn).json()["RevisionId"] == second
    # Validation as AWS answers.
    bad_doc = call("PutResourcePolicy", ResourceArn=arn, Policy="{not json")
    assert bad_doc.status == 400 and "Invalid policy document" in bad_doc.json()["message"]
    other = call("PutResourcePolicy", ResourceArn=arn, Policy=policy_for(arn + "-other"))
    assert "is invalid for ARN" in other.json()["message"]
    assert call("GetResourcePolicy", ResourceArn=name).json()["message"] == (
        f"One or more parameter values were invalid: ARNs must start with 'arn:': {name}")
    assert call("GetResourcePolicy", ResourceArn=arn + "/index/gsi").json()["message"].startswith(
        "One or more parameter values were invalid: Invalid resource arn provided, only table or stream is accepted.")
    gone = call("GetResourcePolicy", ResourceArn=arn + "x")
    assert gone.json()["__type"].endswith("#ResourceNotFoundException")
    assert gone.json()["message"] == f"Requested resource not found: Table: {name}x not found"
    # Delete: with a wrong expected revision, then for real; deleting nothing answers without a revision.
    wrong = call("DeleteResourcePolicy", ResourceArn=arn, ExpectedRevisionId="unknown")
    assert wrong.json()["__type"].endswith("#PolicyNotFoundException")
    assert call("DeleteResourcePolicy", ResourceArn=arn).json() == {"RevisionId": second}
    assert call("GetResourcePolicy", ResourceArn=arn).status == 400
    assert call("DeleteResourcePolicy", ResourceArn=arn).json() == {}
    big = call("PutResourcePolicy", ResourceArn=arn, Policy=policy_for(arn)[:-2] + ', "Sid": "' + "x" * 21000 + '"}]}')
    assert big.status == 400


def test_warm_throughput(dynamodb, mallard):
    name = unique("warm")
    created = raw_call(mallard.port, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST", "KeySchema": key_schema(("pk", "HASH")),
        "AttributeDefinitions": attr_defs(("pk", "S"), ("g", "S")),
        "WarmThroughput": {"ReadUnitsPerSecond": 15000},
        "GlobalSecondaryIndexes": [{"IndexName": "gsi", "KeySchema": key_schema(("g", "HASH")),
                                    "Projection": {"ProjectionType": "ALL"}}]})
    assert created.status == 200, created.body
    wait_active(dynamodb, name)
    table = raw_call(mallard.port, "DescribeTable", {"TableName": name}).json()["Table"]
    assert table["WarmThroughput"] == {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    assert table["GlobalSecondaryIndexes"][0]["WarmThroughput"] == {
        "ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    # A WarmThroughput-only UpdateTable is an update; warm throughput only grows.
    updated = raw_call(mallard.port, "UpdateTable", {"TableName": name,
                                                      "WarmThroughput": {"WriteUnitsPerSecond": 5000}})
    assert updated.status == 200, updated.body
    wait_active(dynamodb, name)
    table = raw_call(mallard.port, "DescribeTable", {"TableName": name}).json()["Table"]
    assert table["WarmThroughput"]["WriteUnitsPerSecond"] == 5000
    lower = raw_call(mallard.port, "UpdateTable", {"TableName": name, "WarmThroughput": {"ReadUnitsPerSecond": 13000}})
    assert lower.status == 400 and lower.json()["__type"].endswith("ValidationException")
    too_low = raw_call(mallard.port, "CreateTable", {
        "TableName": unique("warm"), "BillingMode": "PAY_PER_REQUEST", "KeySchema": key_schema(("pk", "HASH")),
        "AttributeDefinitions": attr_defs(("pk", "S")), "WarmThroughput": {"ReadUnitsPerSecond": 100}})
    assert too_low.status == 400
