"""The legacy (pre-expression) parameters: Expected, AttributesToGet, KeyConditions, QueryFilter, ScanFilter,
AttributeUpdates, ConditionalOperator (API Reference, "Legacy conditional parameters").

moto 5.2.1 deviations seen (AWS wins): AttributesToGet ignored on GetItem, some comparison operators missing.
"""

from __future__ import annotations

import pytest

from ddb_e2e import av, create_table, expect_error, item, plain, validation


@pytest.fixture
def table(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"))
    for i in range(6):
        dynamodb.put_item(TableName=name, Item=item(pk="p", sk=i, v=i * 10, s=f"str{i}", tags={"t", f"t{i}"}))
    dynamodb.put_item(TableName=name, Item=item(pk="p", sk=99, other="x"))
    return name


def cond(op, *values):
    return {"ComparisonOperator": op, **({"AttributeValueList": [av(v) for v in values]} if values else {})}


def test_key_conditions_and_query_filter(dynamodb, table):
    out = dynamodb.query(TableName=table, KeyConditions={"pk": cond("EQ", "p"), "sk": cond("BETWEEN", 1, 4)},
                         QueryFilter={"v": cond("GE", 20)}, AttributesToGet=["sk", "v"])
    assert [plain(i) for i in out["Items"]] == [{"sk": 2, "v": 20}, {"sk": 3, "v": 30}, {"sk": 4, "v": 40}]
    assert out["ScannedCount"] == 4
    out = dynamodb.query(TableName=table, KeyConditions={"pk": cond("EQ", "p"), "sk": cond("LT", 2)},
                         ScanIndexForward=False)
    assert [plain(i)["sk"] for i in out["Items"]] == [1, 0]
    out = dynamodb.query(TableName=table, KeyConditions={"pk": cond("EQ", "p")},
                         QueryFilter={"v": cond("LT", 15), "s": cond("BEGINS_WITH", "str1")},
                         ConditionalOperator="OR")
    assert sorted(plain(i)["sk"] for i in out["Items"]) == [0, 1]


@pytest.mark.parametrize("filt, expected", [
    ({"v": cond("EQ", 30)}, [3]), ({"v": cond("NE", 30), "s": cond("NOT_NULL")}, [0, 1, 2, 4, 5]), ({"v": cond("GT", 30)}, [4, 5]),
    ({"v": cond("LE", 10)}, [0, 1]), ({"v": cond("IN", 10, 50, 7)}, [1, 5]), ({"v": cond("BETWEEN", 10, 30)}, [1, 2, 3]),
    ({"s": cond("CONTAINS", "r3")}, [3]), ({"s": cond("NOT_CONTAINS", "r3"), "v": cond("NOT_NULL")}, [0, 1, 2, 4, 5]),
    ({"tags": cond("CONTAINS", "t2")}, [2]), ({"other": cond("NOT_NULL")}, [99]), ({"v": cond("NULL")}, [99]),
    ({"s": cond("BEGINS_WITH", "str")}, [0, 1, 2, 3, 4, 5]),
    ({"v": cond("GT", 10), "s": cond("NE", "str4")}, [2, 3, 5]),
])
def test_scan_filter(dynamodb, table, filt, expected):
    out = dynamodb.scan(TableName=table, ScanFilter=filt)
    assert sorted(plain(i)["sk"] for i in out["Items"]) == expected


def test_expected(dynamodb, table):
    key = item(pk="p", sk=1)
    dynamodb.put_item(TableName=table, Item=item(pk="p", sk=1, v=11), Expected={"v": {"Value": av(10)}})
    expect_error(dynamodb.put_item, "ConditionalCheckFailedException", "The conditional request failed",
                 TableName=table, Item=item(pk="p", sk=1, v=12), Expected={"v": {"Value": av(10)}})
    expect_error(dynamodb.put_item, "ConditionalCheckFailedException", TableName=table, Item=item(pk="p", sk=1),
                 Expected={"pk": {"Exists": False}})
    dynamodb.put_item(TableName=table, Item=item(pk="p", sk=100), Expected={"pk": {"Exists": False}})
    dynamodb.delete_item(TableName=table, Key=key, Expected={"v": cond("GT", 5), "s": cond("EQ", "nope")},
                         ConditionalOperator="OR")
    assert "Item" not in dynamodb.get_item(TableName=table, Key=key)
    # Exists=True needs a Value; Exists=False must not have one.
    validation(dynamodb.put_item, TableName=table, Item=item(pk="p", sk=2), Expected={"v": {"Exists": True}})
    validation(dynamodb.put_item, TableName=table, Item=item(pk="p", sk=2),
               Expected={"v": {"Exists": False, "Value": av(1)}})


def test_attribute_updates(dynamodb, table):
    key = item(pk="p", sk=2)
    out = dynamodb.update_item(TableName=table, Key=key, ReturnValues="ALL_NEW", AttributeUpdates={
        "v": {"Action": "ADD", "Value": av(5)},
        "tags": {"Action": "DELETE", "Value": av({"t"})},
        "s": {"Action": "DELETE"},
        "n": {"Action": "PUT", "Value": av("new")},
        "set": {"Action": "ADD", "Value": av({"a"})},
    })
    assert plain(out["Attributes"]) == {"pk": "p", "sk": 2, "v": 25, "tags": {"t2"}, "n": "new", "set": {"a"}}
    # PUT is the default action.
    dynamodb.update_item(TableName=table, Key=key, AttributeUpdates={"n": {"Value": av("newer")}})
    assert plain(dynamodb.get_item(TableName=table, Key=key)["Item"])["n"] == "newer"
    validation(dynamodb.update_item, "One or more parameter values were invalid: Cannot update attribute sk. This "
               "attribute is part of the key", TableName=table, Key=key,
               AttributeUpdates={"sk": {"Action": "PUT", "Value": av(7)}})


def test_conditional_operator_needs_legacy_conditions(dynamodb, table):
    validation(dynamodb.scan, contains="Can not use both expression and non-expression parameters in the same request",
               TableName=table, FilterExpression="v > :z", ExpressionAttributeValues={":z": av(0)},
               ConditionalOperator="OR")


# ---- Behaviour ScyllaDB's test/alternator suite (run against AWS) fixes ------------------------------------------

ANY_TYPE_VALUES = {"l": [1, "a"], "m": {"x": 1}, "b": True, "z": None, "ss": {"a", "b"}}


def test_eq_and_ne_accept_every_type(dynamodb):
    """EQ / NE compare lists, maps, booleans and NULL too (test_query_filter_eq / _ne), in Expected, QueryFilter and
    ScanFilter; Mallard answered 'ComparisonOperator EQ is not valid for L AttributeValue type'."""
    table = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"))
    dynamodb.put_item(TableName=table, Item=item(pk="p", sk=1, **ANY_TYPE_VALUES))
    dynamodb.put_item(TableName=table, Item=item(pk="p", sk=2, l=[2], m={"x": 2}, b=False, z="not null", ss={"c"}))
    for name, value in ANY_TYPE_VALUES.items():
        scanned = dynamodb.scan(TableName=table, ScanFilter={name: cond("EQ", value)})["Items"]
        assert [plain(i)["sk"] for i in scanned] == [1], name
        queried = dynamodb.query(TableName=table, KeyConditions={"pk": cond("EQ", "p")},
                                 QueryFilter={name: cond("NE", value)})["Items"]
        assert [plain(i)["sk"] for i in queried] == [2], name
        dynamodb.update_item(TableName=table, Key=item(pk="p", sk=1), Expected={name: cond("EQ", value)},
                             AttributeUpdates={"hit": {"Value": av(name)}})
        expect_error(dynamodb.put_item, "ConditionalCheckFailedException", TableName=table,
                     Item=item(pk="p", sk=1, **ANY_TYPE_VALUES), Expected={name: cond("NE", value)})
        # The Exists/Value form is EQ as well.
        dynamodb.update_item(TableName=table, Key=item(pk="p", sk=1), Expected={name: {"Value": av(value)}},
                             AttributeUpdates={"hit": {"Value": av(name)}})
    # Other operators keep their type rules.
    validation(dynamodb.scan, "One or more parameter values were invalid: ComparisonOperator LT is not valid for L "
               "AttributeValue type", TableName=table, ScanFilter={"l": cond("LT", [1])})


def test_not_contains_on_a_missing_attribute_is_false(dynamodb):
    """test_update_expected_1_not_contains: NOT_CONTAINS, like CONTAINS, fails when the attribute is missing."""
    table = create_table(dynamodb)
    dynamodb.put_item(TableName=table, Item=item(pk="k", s="hello"))
    expect_error(dynamodb.update_item, "ConditionalCheckFailedException", TableName=table, Key=item(pk="k"),
                 Expected={"missing": cond("NOT_CONTAINS", "x")}, AttributeUpdates={"z": {"Value": av(1)}})
    dynamodb.update_item(TableName=table, Key=item(pk="k"), Expected={"s": cond("NOT_CONTAINS", "x")},
                         AttributeUpdates={"z": {"Value": av(1)}})
    assert [plain(i)["pk"] for i in dynamodb.scan(TableName=table, ScanFilter={"missing": cond("NOT_CONTAINS", "x")})
            ["Items"]] == []


def test_conditional_operator_needs_two_or_more_conditions(dynamodb, table):
    """Without Expected / a filter, and with fewer than two conditions, ConditionalOperator is a ValidationException
    (AWS's messages as captured against DynamoDB: ExtendDB PR #213; test_update_expected_empty)."""
    without = "ConditionalOperator cannot be used without Filter or Expected"
    too_few = "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    key = item(pk="p", sk=1)
    validation(dynamodb.update_item, without, TableName=table, Key=key, AttributeUpdates={"z": {"Value": av(1)}},
               ConditionalOperator="OR")
    validation(dynamodb.put_item, without, TableName=table, Item=key, ConditionalOperator="AND")
    validation(dynamodb.delete_item, without, TableName=table, Key=key, ConditionalOperator="AND")
    validation(dynamodb.scan, without, TableName=table, ConditionalOperator="OR")
    validation(dynamodb.query, without, TableName=table, KeyConditions={"pk": cond("EQ", "p")}, ConditionalOperator="OR")
    validation(dynamodb.update_item, too_few, TableName=table, Key=key, AttributeUpdates={"z": {"Value": av(1)}},
               Expected={}, ConditionalOperator="AND")
    validation(dynamodb.put_item, too_few, TableName=table, Item=key, Expected={"v": cond("NOT_NULL")},
               ConditionalOperator="OR")
    validation(dynamodb.scan, too_few, TableName=table, ScanFilter={"v": cond("NOT_NULL")}, ConditionalOperator="OR")
    assert plain(dynamodb.get_item(TableName=table, Key=key)["Item"])["v"] == 10  # nothing was written


def test_empty_attributes_to_get_and_gsi_updates_are_invalid(dynamodb_nv, table):
    """AttributesToGet has length >= 1 (botocore's model; dynalite's getItem test quotes AWS's message);
    GlobalSecondaryIndexUpdates: [] updates nothing (dynalite's updateTable test)."""
    empty = "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must " \
            "have length greater than or equal to 1"
    validation(dynamodb_nv.get_item, empty, TableName=table, Key=item(pk="p", sk=1), AttributesToGet=[])
    validation(dynamodb_nv.query, empty, TableName=table, KeyConditions={"pk": cond("EQ", "p")}, AttributesToGet=[])
    validation(dynamodb_nv.scan, empty, TableName=table, AttributesToGet=[])
    validation(dynamodb_nv.update_table, "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
               "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required", TableName=table,
               GlobalSecondaryIndexUpdates=[])


def test_empty_attribute_updates_create_the_key_only_item(dynamodb, table):
    """test_update_item_non_existent: AttributeUpdates {} on a missing item creates it with just its key; an update
    that only deletes attributes does not."""
    dynamodb.update_item(TableName=table, Key=item(pk="new", sk=1), AttributeUpdates={})
    assert plain(dynamodb.get_item(TableName=table, Key=item(pk="new", sk=1))["Item"]) == {"pk": "new", "sk": 1}
    dynamodb.update_item(TableName=table, Key=item(pk="new", sk=2), AttributeUpdates={"a": {"Action": "DELETE"}})
    assert "Item" not in dynamodb.get_item(TableName=table, Key=item(pk="new", sk=2))
    dynamodb.update_item(TableName=table, Key=item(pk="new", sk=3))
    assert plain(dynamodb.get_item(TableName=table, Key=item(pk="new", sk=3))["Item"]) == {"pk": "new", "sk": 3}
