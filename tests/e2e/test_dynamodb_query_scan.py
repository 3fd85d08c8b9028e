"""DynamoDB Query and Scan: key conditions, sort orders (N numerically, B by unsigned bytes, S by UTF-8 bytes),
filters, projections, Select, Limit and pagination, the 1 MB page limit, GSI/LSI projections, sparse indexes,
parallel scan.

moto 5.2.1 deviations seen (AWS documentation wins): sorts N sort keys with floats / not exactly, orders S by
code point rather than UTF-8 bytes in places, no 1 MB page limit, weaker key-condition validation messages.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ddb_e2e import av, create_table, item, plain, validation


def query_all(ddb, **kwargs) -> tuple[list[dict], int]:
    """All pages of a Query (or Scan, with op=ddb.scan); returns (items, number of pages)."""
    op = kwargs.pop("op", ddb.query)
    items, pages = [], 0
    while True:
        out = op(**kwargs)
        pages += 1
        items.extend(out.get("Items", []))
        if "LastEvaluatedKey" not in out:
            return items, pages
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        assert pages < 1000


@pytest.fixture
def num_table(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"))
    return name


NUMBERS = ["100", "2", "10", "-5", "-1.5", "0", "0.001", "-100", "1E+3", "99.999", "-0.5", "3.14159265358979323846"]


def test_numeric_sort_order(dynamodb, num_table):
    for n in NUMBERS:
        dynamodb.put_item(TableName=num_table, Item={"pk": {"S": "p"}, "sk": {"N": n}})
    expected = sorted(NUMBERS, key=Decimal)
    out = dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}})
    assert [Decimal(i["sk"]["N"]) for i in out["Items"]] == [Decimal(n) for n in expected]
    assert out["Count"] == len(NUMBERS) == out["ScannedCount"]
    out = dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p", ScanIndexForward=False,
                         ExpressionAttributeValues={":p": {"S": "p"}})
    assert [Decimal(i["sk"]["N"]) for i in out["Items"]] == [Decimal(n) for n in reversed(expected)]


@pytest.mark.parametrize("cond, values, expected", [
    ("sk = :a", {":a": "10"}, ["10"]),
    ("sk < :a", {":a": "0"}, ["-100", "-5", "-1.5", "-0.5"]),
    ("sk <= :a", {":a": "0"}, ["-100", "-5", "-1.5", "-0.5", "0"]),
    ("sk > :a", {":a": "99.999"}, ["100", "1E+3"]),
    ("sk >= :a", {":a": "99.999"}, ["99.999", "100", "1E+3"]),
    ("sk BETWEEN :a AND :b", {":a": "-1.5", ":b": "2"},
     ["-1.5", "-0.5", "0", "0.001", "2"]),
])
def test_numeric_key_conditions(dynamodb, num_table, cond, values, expected):
    for n in NUMBERS:
        dynamodb.put_item(TableName=num_table, Item={"pk": {"S": "p"}, "sk": {"N": n}})
    dynamodb.put_item(TableName=num_table, Item={"pk": {"S": "other"}, "sk": {"N": "10"}})
    attr_values = {":p": {"S": "p"}, **{k: {"N": v} for k, v in values.items()}}
    out = dynamodb.query(TableName=num_table, KeyConditionExpression=f"pk = :p AND {cond}",
                         ExpressionAttributeValues=attr_values)
    assert [Decimal(i["sk"]["N"]) for i in out["Items"]] == [Decimal(n) for n in expected]


def test_key_condition_with_names_and_parentheses(dynamodb, num_table):
    for n in ("1", "2", "3"):
        dynamodb.put_item(TableName=num_table, Item={"pk": {"S": "p"}, "sk": {"N": n}})
    out = dynamodb.query(TableName=num_table, KeyConditionExpression="(#k = :p) AND (sk > :two)",
                         ExpressionAttributeNames={"#k": "pk"},
                         ExpressionAttributeValues={":p": {"S": "p"}, ":two": {"N": "2"}})
    assert [i["sk"]["N"] for i in out["Items"]] == ["3"]


def test_string_sort_by_utf8_bytes_and_begins_with(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "S"))
    # UTF-8 byte order: "\ufffd" (EF BF BD) sorts before U+1F600 (F0 9F 98 80); UTF-16 order would be reversed.
    values = ["b", "a", "B", "ab", "a\u00e9", "\u00e9", "\ufffd", "\U0001F600", "abc", "A", "~"]
    for v in values:
        dynamodb.put_item(TableName=name, Item=item(pk="p", sk=v))
    out = dynamodb.query(TableName=name, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}})
    assert [i["sk"]["S"] for i in out["Items"]] == sorted(values, key=lambda s: s.encode("utf-8"))
    out = dynamodb.query(TableName=name, KeyConditionExpression="pk = :p AND begins_with(sk, :pre)",
                         ExpressionAttributeValues={":p": {"S": "p"}, ":pre": {"S": "a"}})
    assert [i["sk"]["S"] for i in out["Items"]] == ["a", "ab", "abc", "a\u00e9"]


def test_binary_sort_unsigned_bytes(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "B"))
    values = [b"\xff", b"\x80", b"\x7f", b"\x01\x00", b"\x01", b"\x00", b"\x00\xff", b"\xfe\xff\xff"]
    for v in values:
        dynamodb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"B": v}})
    out = dynamodb.query(TableName=name, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}})
    assert [bytes(i["sk"]["B"]) for i in out["Items"]] == sorted(values)
    out = dynamodb.query(TableName=name, KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
                         ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"B": b"\x01"}, ":b": {"B": b"\x80"}})
    assert [bytes(i["sk"]["B"]) for i in out["Items"]] == [b"\x01", b"\x01\x00", b"\x7f", b"\x80"]
    out = dynamodb.query(TableName=name, KeyConditionExpression="pk = :p AND begins_with(sk, :a)",
                         ExpressionAttributeValues={":p": {"S": "p"}, ":a": {"B": b"\x00"}})
    assert [bytes(i["sk"]["B"]) for i in out["Items"]] == [b"\x00", b"\x00\xff"]


def test_query_filter_limit_and_paging(dynamodb, num_table):
    for i in range(10):
        dynamodb.put_item(TableName=num_table, Item=item(pk="p", sk=i, even=(i % 2 == 0)))
    # Limit bounds the number of items *evaluated*; the filter applies afterwards.
    out = dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p", FilterExpression="even = :t",
                         ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=3)
    assert out["ScannedCount"] == 3 and out["Count"] == 2
    assert [i["sk"]["N"] for i in out["Items"]] == ["0", "2"]
    assert out["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "2"}}
    items, pages = query_all(dynamodb, TableName=num_table, KeyConditionExpression="pk = :p",
                             FilterExpression="even = :t", Limit=3,
                             ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}})
    assert [i["sk"]["N"] for i in items] == ["0", "2", "4", "6", "8"]
    assert pages in (4, 5)  # 3+3+3+1 evaluated; a final empty page is allowed
    # Descending paging.
    items, _ = query_all(dynamodb, TableName=num_table, KeyConditionExpression="pk = :p", Limit=4,
                         ScanIndexForward=False, ExpressionAttributeValues={":p": {"S": "p"}})
    assert [int(i["sk"]["N"]) for i in items] == list(range(9, -1, -1))


def test_select_and_projection(dynamodb, num_table):
    dynamodb.put_item(TableName=num_table, Item=item(pk="p", sk=1, a="x", m={"l": [1, {"deep": "y"}], "z": 0},
                                                   name="reserved"))
    dynamodb.put_item(TableName=num_table, Item=item(pk="p", sk=2, a="y"))
    out = dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p", Select="COUNT",
                         ExpressionAttributeValues={":p": {"S": "p"}})
    assert out["Count"] == 2 and "Items" not in out
    out = dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p", Select="SPECIFIC_ATTRIBUTES",
                         ProjectionExpression="a, m.l[1].deep, #n", ExpressionAttributeNames={"#n": "name"},
                         ExpressionAttributeValues={":p": {"S": "p"}})
    assert [plain(i) for i in out["Items"]] == [{"a": "x", "m": {"l": [{"deep": "y"}]}, "name": "reserved"},
                                               {"a": "y"}]
    validation(dynamodb.query, TableName=num_table, KeyConditionExpression="pk = :p", Select="SPECIFIC_ATTRIBUTES",
               ExpressionAttributeValues={":p": {"S": "p"}})
    validation(dynamodb.query, TableName=num_table, KeyConditionExpression="pk = :p", Select="COUNT",
               ProjectionExpression="a", ExpressionAttributeValues={":p": {"S": "p"}})
    # ALL_PROJECTED_ATTRIBUTES is only for index queries.
    validation(dynamodb.query, TableName=num_table, KeyConditionExpression="pk = :p",
               Select="ALL_PROJECTED_ATTRIBUTES", ExpressionAttributeValues={":p": {"S": "p"}})


def test_key_condition_errors(dynamodb, num_table):
    validation(dynamodb.query, "Query condition missed key schema element: pk", TableName=num_table,
               KeyConditionExpression="sk = :v", ExpressionAttributeValues={":v": {"N": "1"}})
    validation(dynamodb.query, "Invalid operator used in KeyConditionExpression: OR", TableName=num_table,
               KeyConditionExpression="pk = :p OR sk = :v",
               ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"N": "1"}})
    validation(dynamodb.query, "Filter Expression can only contain non-primary key attributes: "
               "Primary key attribute: sk", TableName=num_table, KeyConditionExpression="pk = :p",
               FilterExpression="sk > :v", ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"N": "1"}})
    # Partition key condition must be equality.
    validation(dynamodb.query, TableName=num_table, KeyConditionExpression="pk > :p",
               ExpressionAttributeValues={":p": {"S": "p"}})
    # Condition on a non-key attribute.
    validation(dynamodb.query, TableName=num_table, KeyConditionExpression="pk = :p AND other = :v",
               ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"N": "1"}})
    # Key value of the wrong type.
    validation(dynamodb.query, TableName=num_table, KeyConditionExpression="pk = :p AND sk = :v",
               ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"S": "1"}})
    # begins_with on a number sort key.
    validation(dynamodb.query, TableName=num_table, KeyConditionExpression="pk = :p AND begins_with(sk, :v)",
               ExpressionAttributeValues={":p": {"S": "p"}, ":v": {"N": "1"}})


def test_one_megabyte_page_limit(dynamodb, num_table):
    big = "x" * (390 * 1024)
    for i in range(6):
        dynamodb.put_item(TableName=num_table, Item=item(pk="p", sk=i, d=big))
    out = dynamodb.query(TableName=num_table, KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}})
    assert 1 <= len(out["Items"]) <= 3, len(out["Items"])
    assert "LastEvaluatedKey" in out
    items, pages = query_all(dynamodb, TableName=num_table, KeyConditionExpression="pk = :p",
                             ExpressionAttributeValues={":p": {"S": "p"}})
    assert [int(i["sk"]["N"]) for i in items] == list(range(6)) and pages >= 2
    # Scan obeys the same 1 MB limit, and COUNT too (it counts without returning the items).
    out = dynamodb.scan(TableName=num_table)
    assert 1 <= len(out["Items"]) <= 3 and "LastEvaluatedKey" in out
    out = dynamodb.scan(TableName=num_table, Select="COUNT")
    assert 1 <= out["Count"] <= 3 and "LastEvaluatedKey" in out


def test_gsi_projections_and_sparse(dynamodb):
    name = create_table(
        dynamodb, hash_key=("pk", "S"), range_key=("sk", "S"), extra_attrs=[("g", "S"), ("gs", "N")],
        GlobalSecondaryIndexes=[
            {"IndexName": "keys", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                                {"AttributeName": "gs", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "incl", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}},
            {"IndexName": "all", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}},
        ])
    dynamodb.put_item(TableName=name, Item=item(pk="1", sk="x", g="G", gs=2, a="A", b="B"))
    dynamodb.put_item(TableName=name, Item=item(pk="2", sk="y", g="G", gs=1, a="A2"))
    dynamodb.put_item(TableName=name, Item=item(pk="3", sk="z", a="no index key"))      # sparse: not indexed
    dynamodb.put_item(TableName=name, Item=item(pk="4", sk="w", g="G", a="no range"))   # not in "keys"
    values = {":g": {"S": "G"}}
    out = dynamodb.query(TableName=name, IndexName="keys", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues=values)
    assert [plain(i) for i in out["Items"]] == [{"pk": "2", "sk": "y", "g": "G", "gs": 1},
                                               {"pk": "1", "sk": "x", "g": "G", "gs": 2}]
    # LastEvaluatedKey of an index query holds the index key and the table key.
    out = dynamodb.query(TableName=name, IndexName="keys", KeyConditionExpression="g = :g", Limit=1,
                         ExpressionAttributeValues=values)
    assert set(out["LastEvaluatedKey"]) == {"pk", "sk", "g", "gs"}
    out = dynamodb.query(TableName=name, IndexName="incl", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues=values)
    got = sorted((plain(i) for i in out["Items"]), key=lambda i: i["pk"])
    assert got == [{"pk": "1", "sk": "x", "g": "G", "a": "A"}, {"pk": "2", "sk": "y", "g": "G", "a": "A2"},
                   {"pk": "4", "sk": "w", "g": "G", "a": "no range"}]
    out = dynamodb.query(TableName=name, IndexName="all", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues=values, Select="ALL_PROJECTED_ATTRIBUTES")
    assert {plain(i)["pk"]: plain(i) for i in out["Items"]}["1"] == {"pk": "1", "sk": "x", "g": "G", "gs": 2,
                                                                      "a": "A", "b": "B"}
    # Scanning an index returns only indexed items.
    assert sorted(i["pk"]["S"] for i in dynamodb.scan(TableName=name, IndexName="keys")["Items"]) == ["1", "2"]
    validation(dynamodb.query, "Consistent reads are not supported on global secondary indexes", TableName=name,
               IndexName="all", KeyConditionExpression="g = :g", ExpressionAttributeValues=values,
               ConsistentRead=True)
    # Asking a KEYS_ONLY index for all attributes is an error (it cannot fetch from the table).
    validation(dynamodb.query, TableName=name, IndexName="keys", KeyConditionExpression="g = :g",
               ExpressionAttributeValues=values, Select="ALL_ATTRIBUTES")
    # An index entry follows updates and deletes.
    dynamodb.update_item(TableName=name, Key=item(pk="1", sk="x"), UpdateExpression="REMOVE g")
    dynamodb.delete_item(TableName=name, Key=item(pk="2", sk="y"))
    out = dynamodb.query(TableName=name, IndexName="keys", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues=values)
    assert out["Items"] == []


def test_lsi_query(dynamodb):
    name = create_table(
        dynamodb, hash_key=("pk", "S"), range_key=("sk", "S"), extra_attrs=[("l", "N")],
        LocalSecondaryIndexes=[
            {"IndexName": "by_l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                                {"AttributeName": "l", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}}])
    for sk, l in (("a", 30), ("b", 10), ("c", 20)):
        dynamodb.put_item(TableName=name, Item=item(pk="p", sk=sk, l=l, a=f"A{sk}", b="not projected"))
    dynamodb.put_item(TableName=name, Item=item(pk="p", sk="d", a="no lsi key"))
    out = dynamodb.query(TableName=name, IndexName="by_l", KeyConditionExpression="pk = :p AND l > :x",
                         ExpressionAttributeValues={":p": {"S": "p"}, ":x": {"N": "15"}}, ConsistentRead=True)
    assert [plain(i) for i in out["Items"]] == [{"pk": "p", "sk": "c", "l": 20, "a": "Ac"},
                                               {"pk": "p", "sk": "a", "l": 30, "a": "Aa"}]
    # On an LSI, asking for all attributes fetches the non-projected ones from the table.
    out = dynamodb.query(TableName=name, IndexName="by_l", KeyConditionExpression="pk = :p",
                         ExpressionAttributeValues={":p": {"S": "p"}}, Select="ALL_ATTRIBUTES")
    assert [plain(i)["b"] for i in out["Items"]] == ["not projected"] * 3


def test_scan_filter_paging_and_parallel(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "N"))
    for i in range(60):
        dynamodb.put_item(TableName=name, Item=item(pk=i, v=i % 7))
    items, _ = query_all(dynamodb, op=dynamodb.scan, TableName=name, Limit=7)
    assert sorted(int(i["pk"]["N"]) for i in items) == list(range(60))
    out = dynamodb.scan(TableName=name, FilterExpression="v = :z", ExpressionAttributeValues={":z": {"N": "0"}})
    assert sorted(int(i["pk"]["N"]) for i in out["Items"]) == list(range(0, 60, 7))
    assert out["ScannedCount"] == 60 and out["Count"] == 9
    seen = []
    for segment in range(4):
        part, _ = query_all(dynamodb, op=dynamodb.scan, TableName=name, Segment=segment, TotalSegments=4, Limit=5)
        seen.extend(int(i["pk"]["N"]) for i in part)
    assert sorted(seen) == list(range(60)), "parallel scan must cover every item exactly once"
    validation(dynamodb.scan, TableName=name, Segment=4, TotalSegments=4)
    validation(dynamodb.scan, TableName=name, Segment=0)
    out = dynamodb.scan(TableName=name, Select="COUNT")
    assert out["Count"] == 60 and "Items" not in out


# --- ExclusiveStartKey and GSI backfill (issue 15, item 7) ------------------------------------------

START_KEY_INVALID = "The provided starting key is invalid"


def test_exclusive_start_key_must_be_exactly_a_key_of_what_is_read(dynamodb):
    name = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"), extra_attrs=[("g", "S")],
                        GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": [
                            {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
    for i in range(4):
        dynamodb.put_item(TableName=name, Item=item(pk="a", sk=i, g="x"))
    query = {"TableName": name, "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": av("a")}}
    # A valid start key pages on.
    assert len(dynamodb.query(**query, ExclusiveStartKey=item(pk="a", sk=1))["Items"]) == 2
    validation(dynamodb.query, START_KEY_INVALID, **query, ExclusiveStartKey=item(pk="a", sk=1, extra="x"))
    validation(dynamodb.query, START_KEY_INVALID, **query, ExclusiveStartKey=item(pk="a"))
    validation(dynamodb.query, START_KEY_INVALID, **query, ExclusiveStartKey=item(pk="a", sk="1"))
    # Outside the query's partition.
    validation(dynamodb.query, START_KEY_INVALID, **query, ExclusiveStartKey=item(pk="b", sk=1))
    validation(dynamodb.scan, START_KEY_INVALID, TableName=name, ExclusiveStartKey=item(pk="a", sk=1, g="x"))
    # An index's start key carries the index key and the table key, nothing else.
    gsi = {"TableName": name, "IndexName": "gsi", "KeyConditionExpression": "g = :g",
           "ExpressionAttributeValues": {":g": av("x")}}
    assert len(dynamodb.query(**gsi, ExclusiveStartKey=item(g="x", pk="a", sk=0))["Items"]) == 3
    validation(dynamodb.query, START_KEY_INVALID, **gsi, ExclusiveStartKey=item(g="x"))
    validation(dynamodb.query, START_KEY_INVALID, **gsi, ExclusiveStartKey=item(pk="a", sk=0))


def test_exclusive_start_key_outside_the_scan_segment(dynamodb):
    name = create_table(dynamodb)
    for i in range(40):
        dynamodb.put_item(TableName=name, Item=item(pk=f"k{i}"))
    first = dynamodb.scan(TableName=name, Segment=0, TotalSegments=2)["Items"]
    second = dynamodb.scan(TableName=name, Segment=1, TotalSegments=2)["Items"]
    assert first and second
    key0 = {"pk": first[0]["pk"]}
    key1 = {"pk": second[0]["pk"]}
    dynamodb.scan(TableName=name, Segment=0, TotalSegments=2, ExclusiveStartKey=key0)
    dynamodb.scan(TableName=name, Segment=1, TotalSegments=2, ExclusiveStartKey=key1)
    validation(dynamodb.scan, START_KEY_INVALID, TableName=name, Segment=1, TotalSegments=2, ExclusiveStartKey=key0)
    validation(dynamodb.scan, START_KEY_INVALID, TableName=name, Segment=0, TotalSegments=2, ExclusiveStartKey=key1)


def test_gsi_backfill_skips_empty_and_oversized_keys(dynamodb):
    name = create_table(dynamodb)
    dynamodb.put_item(TableName=name, Item=item(pk="good", g="fine"))
    dynamodb.put_item(TableName=name, Item=item(pk="empty", g=""))
    dynamodb.put_item(TableName=name, Item=item(pk="huge", g="x" * 2049))
    dynamodb.put_item(TableName=name, Item=item(pk="none"))
    dynamodb.update_table(TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                          GlobalSecondaryIndexUpdates=[{"Create": {
                              "IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                              "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    import time
    deadline = time.monotonic() + 10
    while True:
        table = dynamodb.describe_table(TableName=name)["Table"]
        index = table["GlobalSecondaryIndexes"][0]
        if index["IndexStatus"] == "ACTIVE" and not index.get("Backfilling"):
            break
        assert time.monotonic() < deadline
        time.sleep(0.05)
    items = dynamodb.scan(TableName=name, IndexName="byg")["Items"]
    assert [plain(i) for i in items] == [{"pk": "good", "g": "fine"}]
    assert index["ItemCount"] == 1
