"""PartiQL for DynamoDB: ExecuteStatement (SELECT/INSERT/UPDATE/DELETE, ? parameters, Limit/NextToken paging),
BatchExecuteStatement (per-statement errors), ExecuteTransaction (atomic).

moto 5.2.1 deviations seen (AWS wins): Limit/NextToken paging and several error codes differ.
"""

from __future__ import annotations

import pytest

from ddb_e2e import av, create_table, expect_error, item, plain, validation


@pytest.fixture
def table(dynamodb):
    return create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"))


def get(ddb, table, pk, sk):
    return plain(ddb.get_item(TableName=table, Key=item(pk=pk, sk=sk), ConsistentRead=True).get("Item"))


def test_insert_select_update_delete(dynamodb, table):
    dynamodb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'sk': 1, 'n': 5, 'tags': <<'x', 'y'>>}}")
    assert get(dynamodb, table, "a", 1) == {"pk": "a", "sk": 1, "n": 5, "tags": {"x", "y"}}
    expect_error(dynamodb.execute_statement, "DuplicateItemException", "Duplicate primary key exists in table",
                 Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'a', 'sk': 1}}")
    out = dynamodb.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = 'a' AND sk = 1")
    assert [plain(i) for i in out["Items"]] == [{"pk": "a", "sk": 1, "n": 5, "tags": {"x", "y"}}]
    out = dynamodb.execute_statement(Statement=f"SELECT n, pk FROM \"{table}\" WHERE pk = 'a'")
    assert [plain(i) for i in out["Items"]] == [{"n": 5, "pk": "a"}]
    dynamodb.execute_statement(Statement=f"UPDATE \"{table}\" SET n = n + 1 SET extra = 'e' WHERE pk = 'a' AND sk = 1")
    assert get(dynamodb, table, "a", 1)["n"] == 6 and get(dynamodb, table, "a", 1)["extra"] == "e"
    dynamodb.execute_statement(Statement=f"UPDATE \"{table}\" REMOVE extra WHERE pk = 'a' AND sk = 1")
    assert "extra" not in get(dynamodb, table, "a", 1)
    # UPDATE of an item that does not exist fails its implicit existence condition.
    expect_error(dynamodb.execute_statement, "ConditionalCheckFailedException",
                 Statement=f"UPDATE \"{table}\" SET n = 1 WHERE pk = 'zz' AND sk = 1")
    assert get(dynamodb, table, "zz", 1) is None
    dynamodb.execute_statement(Statement=f"DELETE FROM \"{table}\" WHERE pk = 'a' AND sk = 1")
    assert get(dynamodb, table, "a", 1) is None


def test_parameters(dynamodb, table):
    dynamodb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': ?, 'sk': ?, 'v': ?}}",
                               Parameters=[av("p"), av(1), av({"m": [1, "two"]})])
    out = dynamodb.execute_statement(Statement=f"SELECT * FROM \"{table}\" WHERE pk = ? AND sk >= ?",
                                     Parameters=[av("p"), av(0)])
    assert [plain(i) for i in out["Items"]] == [{"pk": "p", "sk": 1, "v": {"m": [1, "two"]}}]
    dynamodb.execute_statement(Statement=f"UPDATE \"{table}\" SET v.m[1] = ? WHERE pk = ? AND sk = ?",
                               Parameters=[av("TWO"), av("p"), av(1)])
    assert get(dynamodb, table, "p", 1)["v"] == {"m": [1, "TWO"]}
    # The number of parameters must match the placeholders.
    validation(dynamodb.execute_statement, Statement=f"SELECT * FROM \"{table}\" WHERE pk = ?",
               Parameters=[av("p"), av("extra")])
    validation(dynamodb.execute_statement, Statement=f"SELECT * FROM \"{table}\" WHERE pk = ? AND sk = ?",
               Parameters=[av("p")])


def test_select_paging_and_filters(dynamodb, table):
    for i in range(7):
        dynamodb.put_item(TableName=table, Item=item(pk="p", sk=i, odd=(i % 2 == 1)))
    statement = f"SELECT sk FROM \"{table}\" WHERE pk = 'p'"
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"Statement": statement, "Limit": 3}
        if token:
            kwargs["NextToken"] = token
        out = dynamodb.execute_statement(**kwargs)
        assert len(out["Items"]) <= 3
        seen.extend(int(i["sk"]["N"]) for i in out["Items"])
        pages += 1
        token = out.get("NextToken")
        if not token:
            break
        assert pages < 10
    assert seen == list(range(7)) and pages >= 3
    out = dynamodb.execute_statement(Statement=f"SELECT sk FROM \"{table}\" WHERE pk = 'p' AND odd = true")
    assert sorted(int(i["sk"]["N"]) for i in out["Items"]) == [1, 3, 5]
    out = dynamodb.execute_statement(Statement=f"SELECT sk FROM \"{table}\" WHERE pk = 'p' AND sk BETWEEN 2 AND 4")
    assert [int(i["sk"]["N"]) for i in out["Items"]] == [2, 3, 4]
    out = dynamodb.execute_statement(Statement=f"SELECT sk FROM \"{table}\" WHERE pk = 'p' AND sk IN [1, 6]")
    assert sorted(int(i["sk"]["N"]) for i in out["Items"]) == [1, 6]


def test_statement_errors(dynamodb, table):
    e = validation(dynamodb.execute_statement, Statement=f"SELEKT * FROM \"{table}\"")
    assert "Statement wasn't well formed" in e.response["Error"]["Message"], e.response["Error"]["Message"]
    expect_error(dynamodb.execute_statement, "ResourceNotFoundException",
                 Statement="SELECT * FROM \"no-such-table\" WHERE pk = 'a'")
    # INSERT must name the full key.
    validation(dynamodb.execute_statement, Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'a'}}")


def test_batch_execute_statement(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="dup", sk=1))
    out = dynamodb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'new', 'sk': 1}}"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'dup', 'sk': 1}}"},
        {"Statement": f"UPDATE \"{table}\" SET v = ? WHERE pk = ? AND sk = ?", "Parameters": [av(9), av("dup"), av(1)]},
    ])
    responses = out["Responses"]
    assert len(responses) == 3
    assert "Error" not in responses[0]
    assert responses[1]["Error"]["Code"] == "DuplicateItem"
    assert responses[1]["Error"]["Message"] == "Duplicate primary key exists in table"
    assert "Error" not in responses[2]
    assert get(dynamodb, table, "new", 1) == {"pk": "new", "sk": 1}
    assert get(dynamodb, table, "dup", 1) == {"pk": "dup", "sk": 1, "v": 9}
    out = dynamodb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'dup' AND sk = 1"},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'none' AND sk = 1"},
    ])
    assert plain(out["Responses"][0]["Item"]) == {"pk": "dup", "sk": 1, "v": 9}
    assert "Item" not in out["Responses"][1] and "Error" not in out["Responses"][1]


def test_execute_transaction(dynamodb, table):
    dynamodb.put_item(TableName=table, Item=item(pk="a", sk=1, n=1))
    dynamodb.execute_transaction(TransactStatements=[
        {"Statement": f"UPDATE \"{table}\" SET n = n + 1 WHERE pk = 'a' AND sk = 1"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 1}}"},
    ])
    assert get(dynamodb, table, "a", 1)["n"] == 2 and get(dynamodb, table, "b", 1) is not None
    e = expect_error(dynamodb.execute_transaction, "TransactionCanceledException", TransactStatements=[
        {"Statement": f"UPDATE \"{table}\" SET n = 100 WHERE pk = 'a' AND sk = 1"},
        {"Statement": f"INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'sk': 1}}"},
    ])
    assert [r["Code"] for r in e.response["CancellationReasons"]] == ["None", "DuplicateItem"]
    assert get(dynamodb, table, "a", 1)["n"] == 2  # atomic: the first statement was not applied
    out = dynamodb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'a' AND sk = 1"},
        {"Statement": f"SELECT * FROM \"{table}\" WHERE pk = 'b' AND sk = 1"},
    ])
    assert [plain(r["Item"])["pk"] for r in out["Responses"]] == ["a", "b"]
