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
