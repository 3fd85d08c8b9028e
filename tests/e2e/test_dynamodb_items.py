"""DynamoDB single-item operations: PutItem, GetItem, UpdateItem, DeleteItem with ReturnValues,
ReturnValuesOnConditionCheckFailure, ReturnConsumedCapacity, ConditionExpression; the x-amz-crc32 header.

botocore 1.29 (Debian) predates ReturnValuesOnConditionCheckFailure on PutItem/UpdateItem/DeleteItem, so those
requests are sent as signed raw awsJson1.0 requests (raw_call) and the error body's "Item" is read directly.

moto 5.2.1 deviations seen (AWS documentation wins): no Item in ConditionalCheckFailedException for
ReturnValuesOnConditionCheckFailure=ALL_OLD, no x-amz-crc32 header, ConsumedCapacity INDEXES shape
incomplete, UPDATED_OLD/UPDATED_NEW for nested paths returns whole top-level attributes.
"""

from __future__ import annotations

import zlib

import pytest

from ddb_e2e import (NOT_FOUND, create_table, expect_error, item, plain, raw_call, validation)


@pytest.fixture
def table(dynamodb):
    return create_table(dynamodb)


@pytest.fixture
def table_hr(dynamodb):
    return create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"))


# --- Put / Get / Delete -------------------------------------------------------------------------


def test_put_get_all_types(dynamodb, table):
    full = {
        "pk": {"S": "k"}, "s": {"S": "héllo"}, "empty": {"S": ""}, "n": {"N": "-12.5"}, "b": {"B": b"\x00\xff"},
        "t": {"BOOL": True}, "f": {"BOOL": False}, "nul": {"NULL": True}, "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"\x01", b"\x02"]}, "emptyb": {"B": b""},
        "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}, {"M": {}}]},
        "m": {"M": {"inner": {"M": {"deep": {"SS": ["z"]}}}, "e": {"L": []}}},
    }
    assert "Attributes" not in dynamodb.put_item(TableName=table, Item=full)
    got = dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"]
    assert plain(got) == plain(full)
    assert got["n"] == {"N": "-12.5"}
    # GetItem of a missing item: no Item key at all.
    assert "Item" not in dynamodb.get_item(TableName=table, Key={"pk": {"S": "missing"}})


def test_get_item_projection_and_consistent_read(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="k", a=1, b={"c": [10, 20, 30], "d": "x"}, name="n"))
    got = dynamodb.get_item(TableName=table, Key=item(pk="k"), ConsistentRead=True,
                            ProjectionExpression="a, b.c[1], #n", ExpressionAttributeNames={"#n": "name"})["Item"]
    assert plain(got) == {"a": 1, "b": {"c": [20]}, "name": "n"}
    got = dynamodb.get_item(TableName=table, Key=item(pk="k"), AttributesToGet=["a", "nothere"])["Item"]
    assert plain(got) == {"a": 1}


def test_put_return_values(dynamodb, table):
    out = dynamodb.put_item(TableName=table, Item=item(pk="k", v=1), ReturnValues="ALL_OLD")
    assert "Attributes" not in out
    out = dynamodb.put_item(TableName=table, Item=item(pk="k", v=2), ReturnValues="ALL_OLD")
    assert plain(out["Attributes"]) == {"pk": "k", "v": 1}
    for bad in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"):
        validation(dynamodb.put_item, "ReturnValues can only be ALL_OLD or NONE", TableName=table,
                   Item=item(pk="k"), ReturnValues=bad)


def test_delete_return_values(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="k", v=1))
    out = dynamodb.delete_item(TableName=table, Key=item(pk="k"), ReturnValues="ALL_OLD")
    assert plain(out["Attributes"]) == {"pk": "k", "v": 1}
    out = dynamodb.delete_item(TableName=table, Key=item(pk="k"), ReturnValues="ALL_OLD")
    assert "Attributes" not in out
    validation(dynamodb.delete_item, "ReturnValues can only be ALL_OLD or NONE", TableName=table, Key=item(pk="k"),
               ReturnValues="ALL_NEW")


def test_conditional_put_and_delete(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="k", v=1), ConditionExpression="attribute_not_exists(pk)")
    expect_error(dynamodb.put_item, "ConditionalCheckFailedException", "The conditional request failed",
                 TableName=table, Item=item(pk="k", v=2), ConditionExpression="attribute_not_exists(pk)")
    assert plain(dynamodb.get_item(TableName=table, Key=item(pk="k"))["Item"]) == {"pk": "k", "v": 1}
    expect_error(dynamodb.delete_item, "ConditionalCheckFailedException", "The conditional request failed",
                 TableName=table, Key=item(pk="k"), ConditionExpression="v = :two",
                 ExpressionAttributeValues={":two": {"N": "2"}})
    dynamodb.delete_item(TableName=table, Key=item(pk="k"), ConditionExpression="v = :one",
                         ExpressionAttributeValues={":one": {"N": "1"}})
    assert "Item" not in dynamodb.get_item(TableName=table, Key=item(pk="k"))
    # A condition on a missing item sees no attributes at all.
    expect_error(dynamodb.delete_item, "ConditionalCheckFailedException", TableName=table, Key=item(pk="k"),
                 ConditionExpression="attribute_exists(pk)")


# --- ReturnValuesOnConditionCheckFailure (raw requests) ----------------------------------------


def _ccf(mallard, op, body):
    result = raw_call(mallard.port, op, body)
    assert result.status == 400, (result.status, result.body[:300])
    payload = result.json()
    assert payload["__type"].endswith("#ConditionalCheckFailedException"), payload
    assert payload.get("message", payload.get("Message")) == "The conditional request failed", payload
    return payload


def test_return_values_on_condition_check_failure(dynamodb, table, mallard):
    old = {"pk": {"S": "k"}, "v": {"N": "1"}, "s": {"SS": ["a"]}}
    dynamodb.put_item(TableName=table, Item=old)
    cond = {"ConditionExpression": "v = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}
    put = {"TableName": table, "Item": {"pk": {"S": "k"}}, **cond}
    assert _ccf(mallard, "PutItem", {**put, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})["Item"] == old
    assert "Item" not in _ccf(mallard, "PutItem", {**put, "ReturnValuesOnConditionCheckFailure": "NONE"})
    assert "Item" not in _ccf(mallard, "PutItem", put)
    update = {"TableName": table, "Key": {"pk": {"S": "k"}}, "UpdateExpression": "SET w = :two", **cond,
              "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    assert _ccf(mallard, "UpdateItem", update)["Item"] == old
    delete = {"TableName": table, "Key": {"pk": {"S": "k"}}, **cond, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    assert _ccf(mallard, "DeleteItem", delete)["Item"] == old
    # A failed condition on a missing item has nothing to return.
    missing = {"TableName": table, "Key": {"pk": {"S": "none"}}, "ConditionExpression": "attribute_exists(pk)",
               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    assert "Item" not in _ccf(mallard, "DeleteItem", missing)
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}})["Item"] == old
    bad = raw_call(mallard.port, "PutItem", {**put, "ReturnValuesOnConditionCheckFailure": "ALL_NEW"})
    assert bad.status == 400 and bad.json()["__type"].endswith("#ValidationException"), bad.body


# --- UpdateItem ReturnValues ------------------------------------------------------------------


def test_update_return_values(dynamodb, table):
    def update(rv, expr, values=None):
        kwargs = {"TableName": table, "Key": item(pk="k"), "UpdateExpression": expr, "ReturnValues": rv}
        if values:
            kwargs["ExpressionAttributeValues"] = {k: {"S": v} if isinstance(v, str) else {"N": str(v)}
                                                   for k, v in values.items()}
        return plain(dynamodb.update_item(**kwargs).get("Attributes"))

    dynamodb.put_item(TableName=table, Item=item(pk="k", a="hi", b="dog"))
    assert update("NONE", "SET b = :v", {":v": "cat"}) is None
    assert update("ALL_OLD", "SET b = :v", {":v": "cow"}) == {"pk": "k", "a": "hi", "b": "cat"}
    assert update("ALL_NEW", "SET b = :v", {":v": "eel"}) == {"pk": "k", "a": "hi", "b": "eel"}
    assert update("UPDATED_OLD", "SET b = :v, c = :w", {":v": "fox", ":w": "new"}) == {"b": "eel"}
    assert update("UPDATED_NEW", "SET b = :v, d = :w", {":v": "gnu", ":w": "x"}) == {"b": "gnu", "d": "x"}
    assert update("UPDATED_OLD", "REMOVE d") == {"d": "x"}
    assert update("UPDATED_NEW", "REMOVE c") is None
    assert update("UPDATED_NEW", "SET n = :one", {":one": 1}) == {"n": 1}
    assert update("UPDATED_NEW", "SET n = n + :one", {":one": 1}) == {"n": 2}
    # A new item via UpdateItem: ALL_OLD has nothing, ALL_NEW has the key too, UPDATED_NEW only non-key.
    out = dynamodb.update_item(TableName=table, Key=item(pk="new"), UpdateExpression="SET a = :v",
                               ExpressionAttributeValues={":v": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in out
    out = dynamodb.update_item(TableName=table, Key=item(pk="new2"), UpdateExpression="SET a = :v",
                               ExpressionAttributeValues={":v": {"N": "1"}}, ReturnValues="ALL_NEW")
    assert plain(out["Attributes"]) == {"pk": "new2", "a": 1}


def test_update_return_values_nested(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="k", a={"b": "dog", "c": [1, 2, 3]}, d="cat"))
    kw = {"TableName": table, "Key": item(pk="k")}
    out = dynamodb.update_item(**kw, UpdateExpression="SET a.b = :v", ExpressionAttributeValues={":v": {"S": "hi"}},
                               ReturnValues="UPDATED_OLD")
    assert plain(out["Attributes"]) == {"a": {"b": "dog"}}
    out = dynamodb.update_item(**kw, UpdateExpression="SET a.c[1] = :v", ExpressionAttributeValues={":v": {"N": "9"}},
                               ReturnValues="UPDATED_NEW")
    assert plain(out["Attributes"]) == {"a": {"c": [9]}}


def test_update_creates_item_and_remove_on_missing_does_not(dynamodb, table):
    dynamodb.update_item(TableName=table, Key=item(pk="a"), UpdateExpression="SET x = :v",
                         ExpressionAttributeValues={":v": {"S": "1"}})
    assert plain(dynamodb.get_item(TableName=table, Key=item(pk="a"))["Item"]) == {"pk": "a", "x": "1"}
    # UpdateItem without any update creates an item with just the key.
    dynamodb.update_item(TableName=table, Key=item(pk="b"))
    assert plain(dynamodb.get_item(TableName=table, Key=item(pk="b"))["Item"]) == {"pk": "b"}
    # Only REMOVE on a missing item creates nothing.
    dynamodb.update_item(TableName=table, Key=item(pk="c"), UpdateExpression="REMOVE x")
    assert "Item" not in dynamodb.get_item(TableName=table, Key=item(pk="c"))


def test_update_condition(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="k", v=1))
    expect_error(dynamodb.update_item, "ConditionalCheckFailedException", "The conditional request failed",
                 TableName=table, Key=item(pk="k"), UpdateExpression="SET v = :n", ConditionExpression="v = :o",
                 ExpressionAttributeValues={":n": {"N": "3"}, ":o": {"N": "2"}})
    dynamodb.update_item(TableName=table, Key=item(pk="k"), UpdateExpression="SET v = :n",
                         ConditionExpression="v = :o", ExpressionAttributeValues={":n": {"N": "3"}, ":o": {"N": "1"}})
    assert plain(dynamodb.get_item(TableName=table, Key=item(pk="k"))["Item"])["v"] == 3


# --- ReturnConsumedCapacity -------------------------------------------------------------------


def test_consumed_capacity_total_and_indexes(dynamodb):
    name = create_table(dynamodb, extra_attrs=[("g", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}])
    out = dynamodb.put_item(TableName=name, Item=item(pk="k", g="x"), ReturnConsumedCapacity="TOTAL")
    cc = out["ConsumedCapacity"]
    assert cc["TableName"] == name
    assert cc["CapacityUnits"] == 2.0  # 1 WCU for the table + 1 for the GSI (item < 1 KB)
    out = dynamodb.put_item(TableName=name, Item=item(pk="k2", g="y"), ReturnConsumedCapacity="INDEXES")
    cc = out["ConsumedCapacity"]
    assert cc["TableName"] == name and cc["CapacityUnits"] == 2.0
    assert cc["Table"]["CapacityUnits"] == 1.0
    assert cc["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 1.0}}
    out = dynamodb.put_item(TableName=name, Item=item(pk="k3"), ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in out
    # Reads: 0.5 RCU eventually consistent, 1 RCU strongly consistent (item < 4 KB).
    out = dynamodb.get_item(TableName=name, Key=item(pk="k"), ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["TableName"] == name
    assert out["ConsumedCapacity"]["CapacityUnits"] == 0.5
    out = dynamodb.get_item(TableName=name, Key=item(pk="k"), ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0
    # A 5 KB item costs 5 WCU to write and 2 RCU to read strongly consistently.
    out = dynamodb.put_item(TableName=name, Item=item(pk="big", d="x" * 5000), ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 5.0
    out = dynamodb.get_item(TableName=name, Key=item(pk="big"), ConsistentRead=True, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 2.0


# --- Key validation -------------------------------------------------------------------------


def test_put_missing_key(dynamodb, table_hr):
    validation(dynamodb.put_item, "One or more parameter values were invalid: Missing the key pk in the item",
               TableName=table_hr, Item=item(sk=1))
    validation(dynamodb.put_item, "One or more parameter values were invalid: Missing the key sk in the item",
               TableName=table_hr, Item=item(pk="a"))


def test_put_key_type_mismatch(dynamodb, table_hr):
    validation(dynamodb.put_item,
               "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
               TableName=table_hr, Item=item(pk=1, sk=1))
    validation(dynamodb.put_item,
               "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S",
               TableName=table_hr, Item=item(pk="a", sk="1"))


def test_empty_string_key(dynamodb, table):
    validation(dynamodb.put_item,
               "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
               "an empty string value. Key: pk", TableName=table, Item=item(pk=""))
    validation(dynamodb.get_item,
               "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain "
               "an empty string value. Key: pk", TableName=table, Key=item(pk=""))


def test_key_does_not_match_schema(dynamodb, table_hr):
    msg = "The provided key element does not match the schema"
    validation(dynamodb.get_item, msg, TableName=table_hr, Key=item(pk="a"))                    # missing sk
    validation(dynamodb.get_item, msg, TableName=table_hr, Key=item(pk="a", sk="1"))            # wrong type
    validation(dynamodb.get_item, msg, TableName=table_hr, Key=item(pk="a", sk=1, extra="x"))   # extra attribute
    validation(dynamodb.delete_item, msg, TableName=table_hr, Key=item(pk="a"))
    validation(dynamodb.update_item, msg, TableName=table_hr, Key=item(pk="a"))


def test_item_size_limit(dynamodb, table):
    # 400 KB = 409,600 bytes, counting attribute names and values (UTF-8).
    dynamodb.put_item(TableName=table, Item=item(pk="ok", d="x" * (409600 - 1024)))
    validation(dynamodb.put_item, "Item size has exceeded the maximum allowed size",
               TableName=table, Item=item(pk="big", d="x" * 409600))
    # Attribute names count too.
    validation(dynamodb.put_item, "Item size has exceeded the maximum allowed size",
               TableName=table, Item={"pk": {"S": "n"}, **{c * 60000: {"S": "v"} for c in "abcdefg"}})
    # An update that would grow the item past the limit is rejected and leaves it unchanged.
    e = validation(dynamodb.update_item, TableName=table, Key=item(pk="ok"), UpdateExpression="SET e = :v",
                   ExpressionAttributeValues={":v": {"S": "y" * 2000}})
    assert "Item size to update has exceeded the maximum allowed size" in e.response["Error"]["Message"]
    assert "e" not in dynamodb.get_item(TableName=table, Key=item(pk="ok"))["Item"]


def test_crc32_header(mallard, dynamodb, table):
    for op, body in [("PutItem", {"TableName": table, "Item": {"pk": {"S": "c"}, "v": {"S": "é" * 50}}}),
                     ("GetItem", {"TableName": table, "Key": {"pk": {"S": "c"}}}),
                     ("DescribeTable", {"TableName": table}),
                     ("GetItem", {"TableName": "nope-missing", "Key": {"pk": {"S": "c"}}})]:
        result = raw_call(mallard.port, op, body)
        assert "x-amz-crc32" in result.headers, (op, result.headers)
        assert result.headers["x-amz-crc32"] == str(zlib.crc32(result.body) & 0xFFFFFFFF), op
    result = raw_call(mallard.port, "GetItem", {"TableName": "nope-missing", "Key": {"pk": {"S": "c"}}})
    assert result.status == 400
    assert result.json()["__type"] == "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    assert result.json()["message"] == NOT_FOUND


# --- Limits enforced on writes (issue 15, item 7) -------------------------------------------------

HASH_TOO_BIG = "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
RANGE_TOO_BIG = ("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size "
                 "limit of 1024 bytes")


def test_key_size_limits_use_aws_wording(dynamodb, table):
    # "of2048" without a space is AWS's text (quoted by dynalite's and moto's AWS-checked tests).
    validation(dynamodb.put_item, HASH_TOO_BIG, TableName=table, Item=item(pk="a" * 2049))
    validation(dynamodb.get_item, HASH_TOO_BIG, TableName=table, Key=item(pk="é" * 1025))  # 2,050 UTF-8 bytes
    dynamodb.put_item(TableName=table, Item=item(pk="a" * 2048))


def test_index_key_size_limits(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "S"),
                        extra_attrs=[("gh", "S"), ("gr", "B"), ("lr", "S")],
                        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [
                            {"AttributeName": "gh", "KeyType": "HASH"}, {"AttributeName": "gr", "KeyType": "RANGE"}],
                            "Projection": {"ProjectionType": "ALL"}}],
                        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [
                            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lr", "KeyType": "RANGE"}],
                            "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    base = item(pk="p", sk="s")
    validation(dynamodb.put_item, HASH_TOO_BIG, TableName=name, Item={**base, **item(gh="x" * 2049)})
    validation(dynamodb.put_item, RANGE_TOO_BIG, TableName=name, Item={**base, **item(gh="x", gr=b"\x01" * 1025)})
    validation(dynamodb.put_item, RANGE_TOO_BIG, TableName=name, Item={**base, **item(lr="y" * 1025)})
    validation(dynamodb.update_item, HASH_TOO_BIG, TableName=name, Key=base, UpdateExpression="SET gh = :v",
               ExpressionAttributeValues={":v": {"S": "x" * 2049}})
    dynamodb.put_item(TableName=name, Item={**base, **item(gh="x" * 2048, gr=b"\x01" * 1024, lr="y" * 1024)})


def test_attribute_name_limits(dynamodb, table):
    longest = "n" * 65535
    dynamodb.put_item(TableName=table, Item={**item(pk="long"), longest: {"S": "v"}})
    assert longest in dynamodb.get_item(TableName=table, Key=item(pk="long"))["Item"]
    validation(dynamodb.put_item, contains="65535", TableName=table, Item={**item(pk="x"), "n" * 65536: {"S": "v"}})
    validation(dynamodb.update_item, contains="65535", TableName=table, Key=item(pk="x"),
               UpdateExpression="SET #n = :v", ExpressionAttributeNames={"#n": "n" * 65536},
               ExpressionAttributeValues={":v": {"S": "v"}})
    validation(dynamodb.put_item, contains="Empty attribute name", TableName=table, Item={**item(pk="x"), "": {"S": "v"}})
    assert "Item" not in dynamodb.get_item(TableName=table, Key=item(pk="x"))


# --- Capacity and item collection metrics (issue 15, item 11) ----------------------------------------


def test_capacity_minimums_and_index_reads(dynamodb):
    name = create_table(dynamodb, extra_attrs=[("g", "S")], GlobalSecondaryIndexes=[
        {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "ALL"}}])
    dynamodb.put_item(TableName=name, Item=item(pk="here", g="x"))
    # A key that finds nothing still costs the minimum read: 0.5 (eventually consistent) per key.
    out = dynamodb.batch_get_item(RequestItems={name: {"Keys": [item(pk="here"), item(pk="gone1"), item(pk="gone2")]}},
                                  ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [{"TableName": name, "CapacityUnits": 1.5, "ReadCapacityUnits": 1.5}]
    # A Query of an index charges the index, not the table.
    out = dynamodb.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "x"}}, ReturnConsumedCapacity="INDEXES")
    cc = out["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 0.5 and cc["Table"] == {"CapacityUnits": 0.0}
    assert cc["GlobalSecondaryIndexes"] == {"by_g": {"CapacityUnits": 0.5}}
    # Scan rounds the bytes it read up to 4 KB units: 3 items of ~3 KB are 9 KB -> 3 units, halved.
    for i in range(3):
        dynamodb.put_item(TableName=name, Item=item(pk=f"big{i}", d="x" * 3000))
    out = dynamodb.scan(TableName=name, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.5


def test_item_collection_metrics_on_tables_with_a_local_index(dynamodb):
    plain_table = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"))
    out = dynamodb.put_item(TableName=plain_table, Item=item(pk="a", sk=1), ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in out
    name = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"), extra_attrs=[("l", "S")],
                        LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": [
                            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                            "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    expected = {"ItemCollectionKey": {"pk": {"S": "a"}}, "SizeEstimateRangeGB": [0.0, 1.0]}
    out = dynamodb.put_item(TableName=name, Item=item(pk="a", sk=1, l="x"), ReturnItemCollectionMetrics="SIZE")
    assert out["ItemCollectionMetrics"] == expected
    assert "ItemCollectionMetrics" not in dynamodb.put_item(TableName=name, Item=item(pk="a", sk=2))
    out = dynamodb.update_item(TableName=name, Key=item(pk="a", sk=1), UpdateExpression="SET v = :v",
                               ExpressionAttributeValues={":v": {"N": "1"}}, ReturnItemCollectionMetrics="SIZE")
    assert out["ItemCollectionMetrics"] == expected
    out = dynamodb.delete_item(TableName=name, Key=item(pk="a", sk=1), ReturnItemCollectionMetrics="SIZE")
    assert out["ItemCollectionMetrics"] == expected
    out = dynamodb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": item(pk="b", sk=1)}}]},
                                    ReturnItemCollectionMetrics="SIZE")
    assert out["ItemCollectionMetrics"] == {name: [{"ItemCollectionKey": {"pk": {"S": "b"}},
                                                    "SizeEstimateRangeGB": [0.0, 1.0]}]}
