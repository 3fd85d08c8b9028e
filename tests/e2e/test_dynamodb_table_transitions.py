"""DynamoDB tables pass through CREATING / UPDATING / DELETING, and an index added by UpdateTable is
CREATING (Backfilling) before it is ACTIVE (issue 15, item 8).

AWS's behaviour, from the DynamoDB API reference (CreateTable, UpdateTable, DeleteTable: "If the table
is in the CREATING or UPDATING state, DynamoDB returns a ResourceInUseException"; DeleteTable: "If the
table is already in the DELETING state, no error is returned") and from reports of real DynamoDB
(reads of a CREATING table are ResourceNotFoundException; ResourceInUseException "Attempt to change a
resource which is still in use: Table is being created: <name>"; Query on a new index: "Cannot read
from backfilling global secondary index").

The session server (conftest) makes transitions instant; the tests here start one whose transitions
last TRANSITION_MS, and check the instant mode's answers on the session server.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from conftest import start_server, stop_server
from sqs_e2e import http_request
from ddb_e2e import NOT_FOUND, ddb_client, expect_error, item, raw_call, unique, wait_active

TRANSITION_MS = 600
IN_USE = "ResourceInUseException"
GONE = "ResourceNotFoundException"


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory):
    handle = start_server(tmp_path_factory.mktemp("transitions") / "mallard.log",
                          ["--ddb-table-transition-ms", str(TRANSITION_MS)])
    yield handle
    stop_server(handle)


@pytest.fixture
def slow(slow_server):
    return ddb_client(slow_server.endpoint)


def create(ddb, name: str, **extra):
    return ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  *extra.pop("extra_defs", [])],
                            **extra)["TableDescription"]


def status(ddb, name: str) -> str:
    return ddb.describe_table(TableName=name)["Table"]["TableStatus"]


def wait_exists(ddb, name: str):
    """boto3's table_exists waiter, polling every second (its default is 20 s)."""
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})


# --- The session server: instant transitions ------------------------------------------------------


def test_instant_answers_still_name_the_transition(dynamodb):
    name = unique("instant")
    assert create(dynamodb, name)["TableStatus"] == "CREATING"
    assert status(dynamodb, name) == "ACTIVE"
    dynamodb.put_item(TableName=name, Item=item(pk="a"))
    updated = dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                         "StreamViewType": "KEYS_ONLY"})
    assert updated["TableDescription"]["TableStatus"] == "UPDATING"
    assert status(dynamodb, name) == "ACTIVE"
    assert dynamodb.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    expect_error(dynamodb.describe_table, GONE, TableName=name)


def test_update_table_accepts_the_current_billing_mode(dynamodb):
    on_demand = unique("billing")
    create(dynamodb, on_demand)
    out = dynamodb.update_table(TableName=on_demand, BillingMode="PAY_PER_REQUEST")["TableDescription"]
    assert out["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    provisioned = unique("billing")
    dynamodb.create_table(TableName=provisioned, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                          ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})
    out = dynamodb.update_table(TableName=provisioned, BillingMode="PROVISIONED")["TableDescription"]
    assert out["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert out["ProvisionedThroughput"]["WriteCapacityUnits"] == 4


def test_update_table_with_only_warm_throughput_is_an_update(mallard, dynamodb):
    name = unique("warm")
    create(dynamodb, name)
    # botocore 1.29 predates WarmThroughput: sent by hand.
    answer = raw_call(mallard.port, "UpdateTable", {"TableName": name, "WarmThroughput": {
        "ReadUnitsPerSecond": 13000, "WriteUnitsPerSecond": 5000}})
    assert answer.status == 200, answer.body
    assert answer.json()["TableDescription"]["TableName"] == name
    nothing = raw_call(mallard.port, "UpdateTable", {"TableName": name})
    assert nothing.status == 400 and "At least one of" in nothing.json()["message"], nothing.body


def test_waiters_on_instant_tables(dynamodb, aws_cli):
    name = unique("waiter")
    create(dynamodb, name)
    started = time.monotonic()
    dynamodb.get_waiter("table_exists").wait(TableName=name)  # default config: 20 s between polls
    assert aws_cli("dynamodb", "wait", "table-exists", "--table-name", name) == {}
    dynamodb.delete_table(TableName=name)
    dynamodb.get_waiter("table_not_exists").wait(TableName=name)
    assert aws_cli("dynamodb", "wait", "table-not-exists", "--table-name", name) == {}
    assert time.monotonic() - started < 15, "a waiter slept: the table was not ACTIVE/gone on the first poll"


# --- A server whose transitions take TRANSITION_MS ---------------------------------------------------


def test_creating_table_is_not_usable_until_active(slow):
    name = unique("creating")
    described = create(slow, name)
    assert described["TableStatus"] == "CREATING"
    assert status(slow, name) == "CREATING"
    assert name in slow.list_tables()["TableNames"]
    expect_error(slow.put_item, GONE, NOT_FOUND, TableName=name, Item=item(pk="a"))
    expect_error(slow.get_item, GONE, TableName=name, Key=item(pk="a"))
    expect_error(slow.update_table, IN_USE,
                 f"Attempt to change a resource which is still in use: Table is being created: {name}",
                 TableName=name, BillingMode="PROVISIONED",
                 ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    expect_error(slow.delete_table, IN_USE,
                 f"Attempt to change a resource which is still in use: Table is being created: {name}",
                 TableName=name)
    wait_exists(slow, name)
    assert status(slow, name) == "ACTIVE"
    slow.put_item(TableName=name, Item=item(pk="a"))
    assert slow.get_item(TableName=name, Key=item(pk="a"))["Item"] == item(pk="a")


def test_create_table_global_indexes_are_creating_with_the_table(slow):
    name = unique("gsi-create")
    described = create(slow, name, extra_defs=[{"AttributeName": "g", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{"IndexName": "by_g",
                                                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                "Projection": {"ProjectionType": "ALL"}}])
    assert described["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    table = wait_active(slow, name, timeout=5)
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"


def test_updating_table_serves_items_and_refuses_other_updates(slow):
    name = unique("updating")
    create(slow, name)
    wait_exists(slow, name)
    slow.put_item(TableName=name, Item=item(pk="before"))
    out = slow.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    assert out["TableDescription"]["TableStatus"] == "UPDATING"
    assert status(slow, name) == "UPDATING"
    slow.put_item(TableName=name, Item=item(pk="during"))
    assert slow.get_item(TableName=name, Key=item(pk="before"))["Item"] == item(pk="before")
    assert len(slow.scan(TableName=name)["Items"]) == 2
    expect_error(slow.update_table, IN_USE,
                 f"Attempt to change a resource which is still in use: Table: {name} is in the process of being updated.",
                 TableName=name, TableClass="STANDARD_INFREQUENT_ACCESS")
    expect_error(slow.delete_table, IN_USE, TableName=name)
    wait_exists(slow, name)
    assert status(slow, name) == "ACTIVE"


def test_new_index_is_creating_and_backfilling_then_active(slow):
    name = unique("backfill")
    create(slow, name, extra_defs=[])
    wait_exists(slow, name)
    slow.put_item(TableName=name, Item=item(pk="a", g="x"))
    out = slow.update_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "by_g",
                                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}}])["TableDescription"]
    assert out["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    index = slow.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    assert index["IndexStatus"] == "CREATING" and index["Backfilling"] is True
    expect_error(slow.query, "ValidationException", "Cannot read from backfilling global secondary index",
                 TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"S": "x"}})
    expect_error(slow.delete_table, IN_USE,
                 "Attempt to change a resource which is still in use: Cannot delete table while indexes are being "
                 "created, updated, or deleted.", TableName=name)
    table = wait_active(slow, name, timeout=5)
    assert table["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"
    assert "Backfilling" not in table["GlobalSecondaryIndexes"][0]
    found = slow.query(TableName=name, IndexName="by_g", KeyConditionExpression="g = :g",
                       ExpressionAttributeValues={":g": {"S": "x"}})["Items"]
    assert found == [item(pk="a", g="x")]


def test_deleting_table_until_gone(slow):
    name = unique("deleting")
    create(slow, name)
    wait_exists(slow, name)
    slow.put_item(TableName=name, Item=item(pk="a"))
    assert slow.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    assert status(slow, name) == "DELETING"
    assert name in slow.list_tables()["TableNames"]
    expect_error(slow.get_item, GONE, TableName=name, Key=item(pk="a"))
    # A second DeleteTable of a DELETING table is no error.
    assert slow.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    expect_error(slow.update_table, IN_USE, TableName=name, BillingMode="PAY_PER_REQUEST")
    expect_error(slow.create_table, IN_USE, f"Table already exists: {name}", TableName=name,
                 BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    slow.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    expect_error(slow.describe_table, GONE, TableName=name)
    assert name not in slow.list_tables()["TableNames"]
    assert create(slow, name)["TableStatus"] == "CREATING"


def test_aws_cli_waiters(slow_server, slow):
    """`aws dynamodb wait` polls every 20 s: it is run once the transition is over, and must then return
    at its first poll; during the transition the waiter's acceptor must not match."""
    def cli(*args):
        return subprocess.run(["/usr/bin/aws", "dynamodb", *args, "--endpoint-url", slow_server.endpoint,
                               "--region", "us-east-1", "--no-cli-pager"], capture_output=True, text=True,
                              timeout=60, env=dict(os.environ), stdin=subprocess.DEVNULL)

    name = unique("cli")
    create(slow, name)
    assert status(slow, name) == "CREATING"
    time.sleep(TRANSITION_MS / 1000 + 0.2)
    started = time.monotonic()
    done = cli("wait", "table-exists", "--table-name", name)
    assert done.returncode == 0, done.stderr
    slow.delete_table(TableName=name)
    time.sleep(TRANSITION_MS / 1000 + 0.2)
    done = cli("wait", "table-not-exists", "--table-name", name)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 15


def test_reset_ends_transitions(slow_server, slow):
    name = unique("reset")
    create(slow, name)
    assert http_request(slow_server.port, "POST", "/_mallard/reset").status == 200
    expect_error(slow.describe_table, GONE, TableName=name)
    assert create(slow, name)["TableStatus"] == "CREATING"
