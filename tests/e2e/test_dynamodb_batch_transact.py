"""BatchGetItem, BatchWriteItem, TransactGetItems, TransactWriteItems (limits, errors, cancellation reasons,
atomicity, ClientRequestToken idempotency) and concurrent writers (no lost updates).

moto 5.2.1 deviations seen (AWS wins): no Item in CancellationReasons for ReturnValuesOnConditionCheckFailure,
no idempotency for ClientRequestToken, weak limit messages.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from botocore.exceptions import ClientError

from ddb_e2e import NOT_FOUND, av, create_table, expect_error, item, plain, validation


@pytest.fixture
def table(dynamodb):
    return create_table(dynamodb)


def get(ddb, table, pk):
    return plain(ddb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item"))


# --- BatchWriteItem / BatchGetItem ----------------------------------------------------------------


def test_batch_write_and_get(dynamodb, table):
    other = create_table(dynamodb, hash_key=("id", "N"))
    out = dynamodb.batch_write_item(RequestItems={
        table: [{"PutRequest": {"Item": item(pk=f"k{i}", v=i)}} for i in range(20)],
        other: [{"PutRequest": {"Item": item(id=1, x="one")}}],
    })
    assert out["UnprocessedItems"] == {}
    out = dynamodb.batch_write_item(RequestItems={table: [
        {"DeleteRequest": {"Key": item(pk="k0")}}, {"PutRequest": {"Item": item(pk="k1", v=100)}},
        {"DeleteRequest": {"Key": item(pk="never-existed")}}]})
    assert out["UnprocessedItems"] == {}
    out = dynamodb.batch_get_item(RequestItems={
        table: {"Keys": [item(pk="k0"), item(pk="k1"), item(pk="k2"), item(pk="nope")],
                "ProjectionExpression": "v"},
        other: {"Keys": [item(id=1)], "ConsistentRead": True},
    })
    assert out["UnprocessedKeys"] == {}
    assert sorted(plain(i)["v"] for i in out["Responses"][table]) == [2, 100]
    assert [plain(i) for i in out["Responses"][other]] == [{"id": 1, "x": "one"}]


def test_batch_write_limits(dynamodb, table):
    validation(dynamodb.batch_write_item, contains="Member must have length less than or equal to 25",
               RequestItems={table: [{"PutRequest": {"Item": item(pk=f"k{i}")}} for i in range(26)]})
    validation(dynamodb.batch_write_item, "Provided list of item keys contains duplicates",
               RequestItems={table: [{"PutRequest": {"Item": item(pk="a", v=1)}},
                                     {"DeleteRequest": {"Key": item(pk="a")}}]})
    assert get(dynamodb, table, "a") is None
    expect_error(dynamodb.batch_write_item, "ResourceNotFoundException", NOT_FOUND,
                 RequestItems={"no-such-table": [{"PutRequest": {"Item": item(pk="a")}}]})
    # An invalid item fails the whole batch: nothing is written.
    validation(dynamodb.batch_write_item, RequestItems={table: [
        {"PutRequest": {"Item": item(pk="good")}}, {"PutRequest": {"Item": item(nokey="x")}}]})
    assert get(dynamodb, table, "good") is None


def test_batch_get_limits(dynamodb, table):
    # Over 100 keys for one table breaks the Keys list's constraint (AWS, as dynalite's tests quote it);
    # "Too many items requested" is for over 100 across tables.
    validation(dynamodb.batch_get_item, contains=f"at 'requestItems.{table}.member.keys' failed to satisfy "
               "constraint: Member must have length less than or equal to 100",
               RequestItems={table: {"Keys": [item(pk=f"k{i}") for i in range(101)]}})
    validation(dynamodb.batch_get_item, "Provided list of item keys contains duplicates",
               RequestItems={table: {"Keys": [item(pk="a"), item(pk="a")]}})
    out = dynamodb.batch_get_item(RequestItems={table: {"Keys": [item(pk=f"k{i}") for i in range(100)]}})
    assert out["Responses"][table] == [] and out["UnprocessedKeys"] == {}
    expect_error(dynamodb.batch_get_item, "ResourceNotFoundException", NOT_FOUND,
                 RequestItems={"no-such-table": {"Keys": [item(pk="a")]}})


# --- TransactWriteItems / TransactGetItems -------------------------------------------------------


def test_transact_write_all_actions(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="upd", n=1))
    dynamodb.put_item(TableName=table, Item=item(pk="del", n=1))
    dynamodb.put_item(TableName=table, Item=item(pk="chk", n=7))
    dynamodb.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="new", n=1), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": table, "Key": item(pk="upd"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": av(1)}}},
        {"Delete": {"TableName": table, "Key": item(pk="del")}},
        {"ConditionCheck": {"TableName": table, "Key": item(pk="chk"), "ConditionExpression": "n = :seven",
                            "ExpressionAttributeValues": {":seven": av(7)}}},
    ])
    assert get(dynamodb, table, "new") == {"pk": "new", "n": 1}
    assert get(dynamodb, table, "upd") == {"pk": "upd", "n": 2}
    assert get(dynamodb, table, "del") is None
    assert get(dynamodb, table, "chk") == {"pk": "chk", "n": 7}
    out = dynamodb.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": item(pk="upd")}},
        {"Get": {"TableName": table, "Key": item(pk="del")}},
        {"Get": {"TableName": table, "Key": item(pk="new"), "ProjectionExpression": "n"}},
    ])
    assert [plain(r.get("Item")) for r in out["Responses"]] == [{"pk": "upd", "n": 2}, None, {"n": 1}]


def test_transact_cancellation_reasons_and_atomicity(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="a", n=1))
    dynamodb.put_item(TableName=table, Item=item(pk="b", n=1))
    e = expect_error(dynamodb.transact_write_items, "TransactionCanceledException", TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="c", n=1)}},
        {"Update": {"TableName": table, "Key": item(pk="a"), "UpdateExpression": "SET n = :two",
                    "ConditionExpression": "n = :nine", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    "ExpressionAttributeValues": {":two": av(2), ":nine": av(9)}}},
        {"Delete": {"TableName": table, "Key": item(pk="b")}},
        {"ConditionCheck": {"TableName": table, "Key": item(pk="zz"), "ConditionExpression": "attribute_exists(pk)"}},
    ])
    assert e.response["Error"]["Message"] == ("Transaction cancelled, please refer cancellation reasons for specific "
                                              "reasons [None, ConditionalCheckFailed, None, ConditionalCheckFailed]")
    reasons = e.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed", "None", "ConditionalCheckFailed"]
    assert reasons[1]["Message"] == "The conditional request failed"
    assert plain(reasons[1]["Item"]) == {"pk": "a", "n": 1}
    assert "Item" not in reasons[3]          # no ReturnValuesOnConditionCheckFailure there (and no item)
    assert "Message" not in reasons[0] or reasons[0]["Message"] is None
    # Nothing was applied.
    assert get(dynamodb, table, "c") is None
    assert get(dynamodb, table, "a") == {"pk": "a", "n": 1}
    assert get(dynamodb, table, "b") == {"pk": "b", "n": 1}


def test_transact_validation(dynamodb, table):
    validation(dynamodb.transact_write_items, "Transaction request cannot include multiple operations on one item",
               TransactItems=[{"Put": {"TableName": table, "Item": item(pk="a")}},
                              {"ConditionCheck": {"TableName": table, "Key": item(pk="a"),
                                                  "ConditionExpression": "attribute_not_exists(pk)"}}])
    validation(dynamodb.transact_write_items, contains="Member must have length less than or equal to 100",
               TransactItems=[{"Put": {"TableName": table, "Item": item(pk=f"k{i}")}} for i in range(101)])
    # 100 actions are fine.
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": item(pk=f"k{i}")}} for i in range(100)])
    assert dynamodb.scan(TableName=table, Select="COUNT")["Count"] == 100
    expect_error(dynamodb.transact_write_items, "ResourceNotFoundException", NOT_FOUND,
                 TransactItems=[{"Put": {"TableName": "no-such-table", "Item": item(pk="a")}}])
    # A validation problem in one action fails the request with nothing written.
    validation(dynamodb.transact_write_items, TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk="fresh")}},
        {"Update": {"TableName": table, "Key": item(pk="k1"), "UpdateExpression": "SET pk = :v",
                    "ExpressionAttributeValues": {":v": av("x")}}}])
    assert get(dynamodb, table, "fresh") is None


def test_transact_idempotency(dynamodb, table):
    token = str(uuid.uuid4())
    request = {"TransactItems": [{"Update": {"TableName": table, "Key": item(pk="ctr"),
                                             "UpdateExpression": "ADD n :one",
                                             "ExpressionAttributeValues": {":one": av(1)}}}],
               "ClientRequestToken": token}
    dynamodb.transact_write_items(**request)
    dynamodb.transact_write_items(**request)  # same token, same parameters: success, not applied twice
    assert get(dynamodb, table, "ctr") == {"pk": "ctr", "n": 1}
    changed = {**request, "TransactItems": [{"Update": {**request["TransactItems"][0]["Update"],
                                                        "ExpressionAttributeValues": {":one": av(5)}}}]}
    expect_error(dynamodb.transact_write_items, "IdempotentParameterMismatchException", **changed)
    assert get(dynamodb, table, "ctr") == {"pk": "ctr", "n": 1}
    # A new token applies again.
    dynamodb.transact_write_items(**{**request, "ClientRequestToken": str(uuid.uuid4())})
    assert get(dynamodb, table, "ctr") == {"pk": "ctr", "n": 2}


# --- Concurrency ------------------------------------------------------------------------------


def _run_threads(count, target):
    errors = []

    def wrapper(index):
        try:
            target(index)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]


def test_concurrent_conditional_increments(dynamodb, table):
    """Optimistic read-modify-write with a condition: every increment lands exactly once."""
    dynamodb.put_item(TableName=table, Item=item(pk="ctr", n=0))
    per_thread, threads = 25, 8

    def worker(_):
        done = 0
        while done < per_thread:
            current = dynamodb.get_item(TableName=table, Key=item(pk="ctr"), ConsistentRead=True)["Item"]["n"]["N"]
            try:
                dynamodb.update_item(TableName=table, Key=item(pk="ctr"), UpdateExpression="SET n = :new",
                                     ConditionExpression="n = :old",
                                     ExpressionAttributeValues={":new": {"N": str(int(current) + 1)},
                                                                ":old": {"N": current}})
                done += 1
            except dynamodb.exceptions.ConditionalCheckFailedException:
                continue

    _run_threads(threads, worker)
    assert get(dynamodb, table, "ctr")["n"] == per_thread * threads


def test_concurrent_add_and_transfers(dynamodb, table):
    """ADD is atomic, and transactional transfers between two items never lose or create value."""
    dynamodb.put_item(TableName=table, Item=item(pk="x", bal=1000))
    dynamodb.put_item(TableName=table, Item=item(pk="y", bal=1000))
    dynamodb.put_item(TableName=table, Item=item(pk="hits", n=0))

    def worker(index):
        src, dst = ("x", "y") if index % 2 else ("y", "x")
        for _ in range(20):
            dynamodb.update_item(TableName=table, Key=item(pk="hits"), UpdateExpression="ADD n :one",
                                 ExpressionAttributeValues={":one": av(1)})
            while True:
                try:
                    dynamodb.transact_write_items(TransactItems=[
                        {"Update": {"TableName": table, "Key": item(pk=src), "UpdateExpression": "ADD bal :neg",
                                    "ConditionExpression": "bal >= :amt",
                                    "ExpressionAttributeValues": {":neg": av(-3), ":amt": av(3)}}},
                        {"Update": {"TableName": table, "Key": item(pk=dst), "UpdateExpression": "ADD bal :amt",
                                    "ExpressionAttributeValues": {":amt": av(3)}}}])
                    break
                except ClientError as e:
                    # Concurrent transactions on the same items may be cancelled (TransactionConflict); retry.
                    if e.response["Error"]["Code"] not in ("TransactionCanceledException", "TransactionConflictException"):
                        raise
                    codes = [r["Code"] for r in e.response.get("CancellationReasons", [])]
                    assert "ConditionalCheckFailed" not in codes, codes

    _run_threads(8, worker)
    assert get(dynamodb, table, "hits")["n"] == 160
    x, y = get(dynamodb, table, "x")["bal"], get(dynamodb, table, "y")["bal"]
    assert x + y == 2000, (x, y)
    assert x == 1000 and y == 1000  # 4 threads each way, 20 transfers of 3 each


def test_transact_key_type_mismatch_cancels_with_validation_error(dynamodb, table):
    """A key of the wrong type is the cancellation reason of its action, not a ValidationException for the request:
    the first such action gets ValidationError, every other None, even a condition that would fail (ScyllaDB's
    test_transact_write_cancellation_reasons_validationerror, run against AWS)."""
    e = expect_error(dynamodb.transact_write_items, "TransactionCanceledException",
                     "Transaction cancelled, please refer cancellation reasons for specific reasons "
                     "[ValidationError, None, None]", TransactItems=[
                         {"Put": {"TableName": table, "Item": item(pk=7)}},
                         {"Put": {"TableName": table, "Item": item(pk=8)}},
                         {"Put": {"TableName": table, "Item": item(pk="x"), "ConditionExpression": "attribute_exists(pk)"}},
                     ])
    reasons = e.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ValidationError", "None", "None"]
    assert reasons[0]["Message"] == "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    assert all("Message" not in r or r["Message"] is None for r in reasons[1:])
    # A Key of the wrong type in Update / Delete / ConditionCheck, alone in its transaction.
    for action in ({"Delete": {"TableName": table, "Key": item(pk=1)}},
                   {"ConditionCheck": {"TableName": table, "Key": item(pk=1), "ConditionExpression": "attribute_exists(pk)"}},
                   {"Update": {"TableName": table, "Key": item(pk=1), "UpdateExpression": "SET a = :v",
                               "ExpressionAttributeValues": {":v": av(1)}}}):
        e = expect_error(dynamodb.transact_write_items, "TransactionCanceledException", TransactItems=[action])
        assert [r["Code"] for r in e.response["CancellationReasons"]] == ["ValidationError"]
    assert get(dynamodb, table, "x") is None
    # Request errors still come first: a missing placeholder beats the mistyped key.
    validation(dynamodb.transact_write_items, contains="#xyz", TransactItems=[
        {"Put": {"TableName": table, "Item": item(pk=7)}},
        {"Put": {"TableName": table, "Item": item(pk="y"), "ConditionExpression": "attribute_exists(#xyz)"}}])


def test_transact_aggregate_size_limit(dynamodb, table):
    """The aggregate size of a transaction's items is at most 4 MB (API reference); AWS's message ends '…size cannot
    exceed 4 MB' (ScyllaDB's test_transact_write_items_put_5MB)."""
    big = "x" * 100_000
    validation(dynamodb.transact_write_items, "Transaction size cannot exceed 4 MB",
               TransactItems=[{"Put": {"TableName": table, "Item": item(pk=f"k{i}", x=big)}} for i in range(50)])
    assert dynamodb.scan(TableName=table, Select="COUNT")["Count"] == 0
