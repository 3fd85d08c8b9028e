"""DynamoDB numbers: decimals of up to 38 significant digits, magnitude 1E-130 .. 9.99..E+125, stored, compared
and added exactly and returned in canonical form.

Error messages as real DynamoDB returns them (Developer Guide "Data types" for the limits; the messages as quoted
by suites run against AWS). Note: AWS reports an addition whose exact result would need more than 38 digits
with a ValidationException whose wording is the overflow one; the tests only require a ValidationException there.

moto 5.2.1 deviations seen (AWS wins): numbers go through floats/limited Decimal context (no 38-digit
exactness, 0.1 added ten times is not exactly 1), no canonical rendering, no range checks.
"""

from __future__ import annotations

import pytest

from ddb_e2e import create_table, validation

OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
PRECISION = "Attempting to store more than 38 significant digits in a Number"


@pytest.fixture
def table(dynamodb):
    return create_table(dynamodb)


def put_get(ddb, table, n: str) -> str:
    ddb.put_item(TableName=table, Item={"pk": {"S": "k"}, "n": {"N": n}})
    return ddb.get_item(TableName=table, Key={"pk": {"S": "k"}}, ConsistentRead=True)["Item"]["n"]["N"]


@pytest.mark.parametrize("given, canonical", [
    ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ("-0.12345678901234567890123456789012345678", "-0.12345678901234567890123456789012345678"),
    ("1.50E2", "150"), ("1.0", "1"), ("0001.2300", "1.23"), ("+7", "7"), ("0.0", "0"),
    ("1e+5", "100000"), ("12E-3", "0.012"), (".5", "0.5"), ("3.14159265358979323846264338327950288419E+0",
                                                             None),
    ("1E+125", "1" + "0" * 125), ("9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + "0" * 88),
    ("1E-130", "0." + "0" * 129 + "1"), ("-1E-130", "-0." + "0" * 129 + "1"),
])
def test_round_trip_canonical(dynamodb, table, given, canonical):
    if canonical is None:  # 39 significant digits: rejected
        validation(dynamodb.put_item, PRECISION, TableName=table, Item={"pk": {"S": "k"}, "n": {"N": given}})
        return
    assert put_get(dynamodb, table, given) == canonical


@pytest.mark.parametrize("given, message", [
    ("1E+126", OVERFLOW), ("-1E+126", OVERFLOW), ("10E+125", OVERFLOW),
    ("1E-131", UNDERFLOW), ("-1E-131", UNDERFLOW), ("0.9E-130", UNDERFLOW),
    ("123456789012345678901234567890123456789", PRECISION),
    ("-1.23456789012345678901234567890123456789", PRECISION),
])
def test_out_of_range_rejected(dynamodb, table, given, message):
    validation(dynamodb.put_item, message, TableName=table, Item={"pk": {"S": "k"}, "n": {"N": given}})
    # The same checks apply to expression values.
    e = validation(dynamodb.update_item, TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET n = :v",
                   ExpressionAttributeValues={":v": {"N": given}})
    assert message in e.response["Error"]["Message"]


def test_add_is_exact(dynamodb, table):
    for _ in range(10):
        dynamodb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="ADD n :d",
                             ExpressionAttributeValues={":d": {"N": "0.1"}})
    got = dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}}, ConsistentRead=True)["Item"]["n"]["N"]
    assert got == "1"
    out = dynamodb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET a = :x + :y, b = :y - :x",
                               ExpressionAttributeValues={":x": {"N": "1"}, ":y": {"N": "10000000000000000000000"}},
                               ReturnValues="UPDATED_NEW")
    assert out["Attributes"]["a"] == {"N": "10000000000000000000001"}
    assert out["Attributes"]["b"] == {"N": "9999999999999999999999"}
    out = dynamodb.update_item(
        TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET c = :x + :y",
        ExpressionAttributeValues={":x": {"N": "0.00000000000000000000000000000000000001"},
                                   ":y": {"N": "0.99999999999999999999999999999999999999"}},
        ReturnValues="UPDATED_NEW")
    assert out["Attributes"]["c"] == {"N": "1"}
    out = dynamodb.update_item(TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="ADD d :x",
                               ExpressionAttributeValues={":x": {"N": "-12345678901234567890123456789012345678"}},
                               ReturnValues="UPDATED_NEW")
    assert out["Attributes"]["d"] == {"N": "-12345678901234567890123456789012345678"}


def test_arithmetic_out_of_range(dynamodb, table):
    e = validation(dynamodb.update_item, TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET a = :x + :x",
                   ExpressionAttributeValues={":x": {"N": "9E+125"}})
    assert "overflow" in e.response["Error"]["Message"].lower()
    # Results that would need more than 38 significant digits are refused, not rounded.
    validation(dynamodb.update_item, TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="SET a = :x + :y",
               ExpressionAttributeValues={":x": {"N": "1E+50"}, ":y": {"N": "1"}})
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "k"}, "n": {"N": "99999999999999999999999999999999999999"}})
    validation(dynamodb.update_item, TableName=table, Key={"pk": {"S": "k"}}, UpdateExpression="ADD n :x",
               ExpressionAttributeValues={":x": {"N": "0.1"}})
    got = dynamodb.get_item(TableName=table, Key={"pk": {"S": "k"}}, ConsistentRead=True)["Item"]
    assert got["n"] == {"N": "99999999999999999999999999999999999999"} and "a" not in got


def test_equal_numbers_are_one_key(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "N"))
    dynamodb.put_item(TableName=name, Item={"pk": {"N": "1.0"}, "v": {"S": "first"}})
    dynamodb.put_item(TableName=name, Item={"pk": {"N": "100E-2"}, "v": {"S": "second"}})
    got = dynamodb.get_item(TableName=name, Key={"pk": {"N": "1"}})["Item"]
    assert got == {"pk": {"N": "1"}, "v": {"S": "second"}}
    assert dynamodb.scan(TableName=name)["Count"] == 1


def test_numeric_comparisons_in_conditions(dynamodb, table):
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "k"}, "n": {"N": "10"},
                                             "big": {"N": "12345678901234567890123456789012345678"}})
    def match(expr, values):
        return dynamodb.scan(TableName=table, FilterExpression=expr, ExpressionAttributeValues=values)["Count"] == 1
    assert match("n > :v", {":v": {"N": "9"}})            # numeric, not lexical
    assert match("n = :v", {":v": {"N": "1E1"}})
    assert not match("big = :v", {":v": {"N": "12345678901234567890123456789012345677"}})
    assert match("big > :v", {":v": {"N": "12345678901234567890123456789012345677"}})
    assert match("n BETWEEN :a AND :b", {":a": {"N": "-1E+125"}, ":b": {"N": "10.000000000000000000000000000000000001"}})
