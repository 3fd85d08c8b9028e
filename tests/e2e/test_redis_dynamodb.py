"""DynamoDB on the Redis backend: several `mallard serve` processes on one Redis behave as one service.

The module starts its own redis-server (AOF, fsync on every write) on a free loopback port; each test
starts Mallard servers with `--backend-dynamodb redis://...?prefix=...` under a prefix of its own.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from redis_e2e import (boto_client, expect_5xx_while_redis_down, kill_9_under_load, redis_server,  # noqa: F401
                       serve_on_redis, unique_prefix)
from sqs_e2e import wait_until


@pytest.fixture
def start_mallard(tmp_path, redis_server):
    """start_mallard(prefix) -> a running `mallard serve` on the module's Redis under `prefix`."""
    yield from serve_on_redis(tmp_path, redis_server, "--backend-dynamodb")


def client(handle, read_timeout: float = 20, retries: int = 1):
    return boto_client("dynamodb", handle, read_timeout, retries)


def streams_client(handle):
    return boto_client("dynamodbstreams", handle)


prefix = unique_prefix


def create_table(ddb, name: str, stream: bool = False) -> None:
    spec = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"}], **spec)


def key(pk: str, sk: int = 0) -> dict:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def test_health_reports_the_redis_backend(start_mallard):
    health = start_mallard(prefix()).extra["health"]
    assert health["services"]["dynamodb"]["backend"] == "redis"


def test_two_servers_share_tables_and_items(start_mallard):
    shared = prefix()
    a, b = client(start_mallard(shared)), client(start_mallard(shared))
    create_table(a, "shared")
    assert b.describe_table(TableName="shared")["Table"]["TableStatus"] == "ACTIVE"
    assert b.list_tables()["TableNames"] == ["shared"]
    exact = "12345678901234567890.123456789012345678"
    b.put_item(TableName="shared", Item={**key("a"), "n": {"N": exact}, "bin": {"B": b"\x00\xff"}})
    item = a.get_item(TableName="shared", Key=key("a"), ConsistentRead=True)["Item"]
    assert item["n"] == {"N": exact}
    assert item["bin"] == {"B": b"\x00\xff"}
    with pytest.raises(ClientError) as exists:
        a.create_table(TableName="shared", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert exists.value.response["Error"]["Code"] == "ResourceInUseException"
    a.delete_table(TableName="shared")
    with pytest.raises(ClientError) as gone:
        b.get_item(TableName="shared", Key=key("a"))
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_concurrent_increments_through_two_servers_lose_nothing(start_mallard):
    shared = prefix()
    servers = [start_mallard(shared), start_mallard(shared)]
    create_table(client(servers[0]), "counters")
    errors: list[str] = []

    def add(server, times: int):
        ddb = client(server, retries=3)
        for _ in range(times):
            try:
                ddb.update_item(TableName="counters", Key=key("c"), UpdateExpression="ADD n :one",
                                ExpressionAttributeValues={":one": {"N": "1"}})
            except ClientError as error:
                errors.append(str(error))

    def compare_and_set(server, times: int):
        # A read-modify-write made safe by its condition: retried until the condition holds.
        ddb = client(server, retries=3)
        done = 0
        while done < times:
            current = ddb.get_item(TableName="counters", Key=key("cas"), ConsistentRead=True).get("Item")
            value = int(current["n"]["N"]) if current else 0
            try:
                if current:
                    ddb.put_item(TableName="counters", Item={**key("cas"), "n": {"N": str(value + 1)}},
                                 ConditionExpression="n = :old", ExpressionAttributeValues={":old": {"N": str(value)}})
                else:
                    ddb.put_item(TableName="counters", Item={**key("cas"), "n": {"N": "1"}},
                                 ConditionExpression="attribute_not_exists(pk)")
                done += 1
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    errors.append(str(error))
                    return

    threads = [threading.Thread(target=add, args=(server, 100)) for server in servers for _ in range(2)]
    threads += [threading.Thread(target=compare_and_set, args=(server, 50)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors[:3]
    b = client(servers[1])
    assert b.get_item(TableName="counters", Key=key("c"), ConsistentRead=True)["Item"]["n"] == {"N": "400"}
    assert b.get_item(TableName="counters", Key=key("cas"), ConsistentRead=True)["Item"]["n"] == {"N": "100"}


def test_transact_write_items_is_all_or_nothing_across_servers(start_mallard):
    shared = prefix()
    servers = [start_mallard(shared), start_mallard(shared)]
    a, b = client(servers[0]), client(servers[1])
    create_table(a, "accounts")
    a.put_item(TableName="accounts", Item={**key("x"), "balance": {"N": "100"}})
    a.put_item(TableName="accounts", Item={**key("y"), "balance": {"N": "0"}})

    with pytest.raises(ClientError) as cancelled:
        b.transact_write_items(TransactItems=[
            {"Put": {"TableName": "accounts", "Item": {**key("z"), "balance": {"N": "1"}}}},
            {"Update": {"TableName": "accounts", "Key": key("y"), "UpdateExpression": "SET balance = :b",
                        "ExpressionAttributeValues": {":b": {"N": "5"}}}},
            {"ConditionCheck": {"TableName": "accounts", "Key": key("x"), "ConditionExpression": "balance > :big",
                                "ExpressionAttributeValues": {":big": {"N": "1000"}}}}])
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in a.get_item(TableName="accounts", Key=key("z"), ConsistentRead=True)
    assert a.get_item(TableName="accounts", Key=key("y"), ConsistentRead=True)["Item"]["balance"] == {"N": "0"}

    # Transfers through both servers at once: the total never changes and no balance goes negative.
    def transfer(server, times: int):
        ddb = client(server, retries=5)
        for _ in range(times):
            try:
                ddb.transact_write_items(TransactItems=[
                    {"Update": {"TableName": "accounts", "Key": key("x"), "UpdateExpression": "ADD balance :minus",
                                "ConditionExpression": "balance >= :one",
                                "ExpressionAttributeValues": {":minus": {"N": "-1"}, ":one": {"N": "1"}}}},
                    {"Update": {"TableName": "accounts", "Key": key("y"), "UpdateExpression": "ADD balance :plus",
                                "ExpressionAttributeValues": {":plus": {"N": "1"}}}}])
            except ClientError as error:
                assert error.response["Error"]["Code"] in ("TransactionCanceledException",
                                                           "TransactionConflictException"), error.response

    threads = [threading.Thread(target=transfer, args=(server, 60)) for server in servers for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    x = int(b.get_item(TableName="accounts", Key=key("x"), ConsistentRead=True)["Item"]["balance"]["N"])
    y = int(b.get_item(TableName="accounts", Key=key("y"), ConsistentRead=True)["Item"]["balance"]["N"])
    assert x + y == 100 and x >= 0
    assert x == 0, "240 attempted transfers should have drained x"


def test_stream_records_written_through_one_server_are_read_through_the_other(start_mallard):
    shared = prefix()
    a_server, b_server = start_mallard(shared), start_mallard(shared)
    a = client(a_server)
    create_table(a, "streamed", stream=True)
    a.put_item(TableName="streamed", Item={**key("k"), "v": {"S": "1"}})
    a.update_item(TableName="streamed", Key=key("k"), UpdateExpression="SET v = :v",
                  ExpressionAttributeValues={":v": {"S": "2"}})
    a.delete_item(TableName="streamed", Key=key("k"))

    streams = streams_client(b_server)
    arn = client(b_server).describe_table(TableName="streamed")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    assert records[1]["dynamodb"]["OldImage"]["v"] == {"S": "1"}
    assert records[1]["dynamodb"]["NewImage"]["v"] == {"S": "2"}
    sequences = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequences == sorted(sequences)

    # LATEST on one server, then a write through the other, is seen.
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    a.put_item(TableName="streamed", Item={**key("later"), "v": {"S": "3"}})
    later = streams.get_records(ShardIterator=latest)["Records"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in later] == ["later"]


def test_kill_9_of_a_server_under_put_load_loses_no_acknowledged_write(start_mallard):
    shared = prefix()
    victim = start_mallard(shared)
    survivor = client(start_mallard(shared))
    create_table(survivor, "durable")
    acknowledged: set[str] = set()
    lock = threading.Lock()

    def put_load(worker: int, stop: threading.Event):
        ddb = client(victim, read_timeout=5)
        n = 0
        while not stop.is_set():
            name = f"{worker}-{n}"
            try:
                ddb.put_item(TableName="durable", Item={**key(name), "v": {"S": "x" * 100}})
            except Exception:  # the server died mid-request
                return
            with lock:
                acknowledged.add(name)
            n += 1

    kill_9_under_load(victim, put_load)
    assert len(acknowledged) > 50, "the load never got going"

    stored: set[str] = set()
    for page in survivor.get_paginator("scan").paginate(TableName="durable", ConsistentRead=True):
        stored.update(item["pk"]["S"] for item in page["Items"])
    lost = acknowledged - stored
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged writes were lost"


def test_redis_restart_gives_5xx_and_the_servers_recover_by_themselves(start_mallard, redis_server):
    shared = prefix()
    server_a, server_b = start_mallard(shared), start_mallard(shared)
    a, b = client(server_a), client(server_b)
    create_table(a, "restart")
    a.put_item(TableName="restart", Item={**key("before"), "v": {"S": "kept"}})

    expect_5xx_while_redis_down(redis_server, (
        lambda: a.put_item(TableName="restart", Item=key("during")),
        lambda: b.get_item(TableName="restart", Key=key("before")),
        lambda: b.query(TableName="restart", KeyConditionExpression="pk = :p",
                        ExpressionAttributeValues={":p": {"S": "before"}}),
        lambda: a.describe_table(TableName="restart")), ("ServiceUnavailable", "InternalServerError"))
    assert server_a.proc.poll() is None and server_b.proc.poll() is None, "a server died while Redis was down"

    def puts_again():
        try:
            a.put_item(TableName="restart", Item={**key("after"), "v": {"S": "new"}})
            return True
        except ClientError:
            return False

    wait_until(puts_again, timeout=15, what="server A to recover")

    def reads_both():
        try:
            found = b.batch_get_item(RequestItems={"restart": {"Keys": [key("before"), key("after")],
                                                               "ConsistentRead": True}})
            return sorted(i["pk"]["S"] for i in found["Responses"]["restart"])
        except ClientError:
            return None

    assert wait_until(reads_both, timeout=15, what="server B to recover") == ["after", "before"]


def test_query_over_a_1000_item_partition_pages_correctly(start_mallard):
    shared = prefix()
    a_server, b_server = start_mallard(shared), start_mallard(shared)
    a, b = client(a_server), client(b_server)
    create_table(a, "wide")
    payload = "p" * 2000  # ~2 MB in all: the 1 MB page limit cuts in
    for start in range(0, 1000, 25):
        a.batch_write_item(RequestItems={"wide": [
            {"PutRequest": {"Item": {**key("part", i), "payload": {"S": payload}}}} for i in range(start, start + 25)]})
    a.put_item(TableName="wide", Item={**key("other", 5), "payload": {"S": "x"}})

    pages = list(b.get_paginator("query").paginate(TableName="wide", KeyConditionExpression="pk = :p",
                                                   ExpressionAttributeValues={":p": {"S": "part"}}))
    assert len(pages) >= 2, "a 2 MB partition must take more than one 1 MB page"
    sort_keys = [int(item["sk"]["N"]) for page in pages for item in page["Items"]]
    assert sort_keys == list(range(1000))

    pages = list(b.get_paginator("query").paginate(
        TableName="wide", KeyConditionExpression="pk = :p AND sk BETWEEN :lo AND :hi", ScanIndexForward=False,
        ProjectionExpression="sk", ExpressionAttributeValues={":p": {"S": "part"}, ":lo": {"N": "100"},
                                                              ":hi": {"N": "899"}},
        PaginationConfig={"PageSize": 64}))
    sort_keys = [int(item["sk"]["N"]) for page in pages for item in page["Items"]]
    assert sort_keys == list(range(899, 99, -1))
    assert all(len(page["Items"]) <= 64 for page in pages)

    count = b.query(TableName="wide", Select="COUNT", KeyConditionExpression="pk = :p AND sk < :n",
                    ExpressionAttributeValues={":p": {"S": "part"}, ":n": {"N": "10"}})["Count"]
    assert count == 10
    described = a.describe_table(TableName="wide")["Table"]
    assert described["ItemCount"] == 1001


def test_two_prefixes_on_one_redis_are_isolated(start_mallard):
    first, second = client(start_mallard(prefix())), client(start_mallard(prefix()))
    create_table(first, "same-name")
    create_table(second, "same-name")
    first.put_item(TableName="same-name", Item={**key("a"), "v": {"N": str(Decimal("1.5"))}})
    assert "Item" not in second.get_item(TableName="same-name", Key=key("a"), ConsistentRead=True)
