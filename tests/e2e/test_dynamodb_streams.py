"""DynamoDB Streams (DynamoDBStreams_20120810): records for every view type with the right images, per-item order,
increasing sequence numbers, no record for a write that changes nothing, ListStreams / DescribeStream /
GetShardIterator (all four types) / GetRecords (Limit, NextShardIterator), errors, disabling and re-enabling,
TTL deletions as service REMOVE records.

"No record for a write that changes nothing": the Developer Guide (Streams.html) says a PutItem or UpdateItem
that does not change any data in an item writes no stream record; ScyllaDB's test/alternator/test_streams.py
(run against AWS) confirms it for PutItem of an identical item and for DeleteItem of a missing item.
The Identity of a TTL deletion is {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"} (API Reference,
Identity; the Lambda event renders the same as userIdentity.principalId/type).

Not covered by a real wait: iterator expiry after 15 minutes (too long for this suite); malformed iterators are.

moto 5.2.1 deviations seen (AWS wins): records for no-op writes, MODIFY instead of INSERT in places, no
SizeBytes, sequence numbers not per shard, weak GetShardIterator validation.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from ddb_e2e import (av, create_table, expect_error, item, plain, raw_call, read_stream, shards, stream_arn, streams_client,
                     validation, wait_records)

VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


def stream_table(ddb, view="NEW_AND_OLD_IMAGES", **kwargs):
    return create_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, **kwargs)


def images(record, view):
    """(OldImage, NewImage) a record must carry for its event and view type."""
    d = record["dynamodb"]
    return plain(d.get("OldImage")), plain(d.get("NewImage"))


@pytest.mark.parametrize("view", VIEW_TYPES)
def test_records_per_view_type(dynamodb, dynamodbstreams, view):
    table = stream_table(dynamodb, view)
    arn = stream_arn(dynamodb, table)
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    key = item(pk="k")
    dynamodb.put_item(TableName=table, Item=item(pk="k", a=1))                          # INSERT
    dynamodb.put_item(TableName=table, Item=item(pk="k", a=1))                          # identical: no record
    dynamodb.put_item(TableName=table, Item=item(pk="k", b=2))                          # MODIFY
    dynamodb.update_item(TableName=table, Key=key, UpdateExpression="SET b = :v",       # same value: no record
                         ExpressionAttributeValues={":v": av(2)})
    dynamodb.update_item(TableName=table, Key=key, UpdateExpression="SET c = :v",       # MODIFY
                         ExpressionAttributeValues={":v": av("x")})
    dynamodb.delete_item(TableName=table, Key=key)                                      # REMOVE
    dynamodb.delete_item(TableName=table, Key=key)                                      # missing: no record
    records = wait_records(dynamodbstreams, arn, 4)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "MODIFY", "REMOVE"]
    states = [None, {"pk": "k", "a": 1}, {"pk": "k", "b": 2}, {"pk": "k", "b": 2, "c": "x"}, None]
    seqs, ids = [], set()
    for index, record in enumerate(records):
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert record["awsRegion"] == "us-east-1"
        assert record["eventID"] and record["eventID"] not in ids
        ids.add(record["eventID"])
        assert "userIdentity" not in record
        d = record["dynamodb"]
        assert d["Keys"] == key
        assert d["StreamViewType"] == view
        assert isinstance(d["SizeBytes"], int) and d["SizeBytes"] > 0
        assert d["SequenceNumber"].isdigit()
        seqs.append(int(d["SequenceNumber"]))
        created = d["ApproximateCreationDateTime"]
        assert before <= created.astimezone(timezone.utc) <= datetime.now(timezone.utc) + timedelta(seconds=5)
        old, new = images(record, view)
        want_old = states[index] if view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") else None
        want_new = states[index + 1] if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") else None
        assert (old, new) == (want_old, want_new), (record["eventName"], view)
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_per_item_order_batches_and_transactions(dynamodb, dynamodbstreams):
    table = stream_table(dynamodb, "NEW_IMAGE")
    arn = stream_arn(dynamodb, table)
    for i in range(5):
        for pk in ("a", "b", "c"):
            dynamodb.put_item(TableName=table, Item=item(pk=pk, n=i))
    dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item(pk="a", n=100)}},
                                                    {"DeleteRequest": {"Key": item(pk="b")}}]})
    dynamodb.transact_write_items(TransactItems=[
        {"Update": {"TableName": table, "Key": item(pk="c"), "UpdateExpression": "SET n = :v",
                    "ExpressionAttributeValues": {":v": av(200)}}},
        {"Put": {"TableName": table, "Item": item(pk="d", n=0)}}])
    records = wait_records(dynamodbstreams, arn, 19)
    assert len(records) == 19
    by_key = {}
    for r in records:
        by_key.setdefault(r["dynamodb"]["Keys"]["pk"]["S"], []).append(r)
    assert [plain(r["dynamodb"]["NewImage"])["n"] for r in by_key["a"]] == [0, 1, 2, 3, 4, 100]
    assert [r["eventName"] for r in by_key["b"]] == ["INSERT"] + ["MODIFY"] * 4 + ["REMOVE"]
    assert [plain(r["dynamodb"].get("NewImage", {})).get("n") for r in by_key["c"]] == [0, 1, 2, 3, 4, 200]
    assert [r["eventName"] for r in by_key["d"]] == ["INSERT"]
    for recs in by_key.values():
        seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in recs]
        assert seqs == sorted(seqs)


def test_list_and_describe_stream(dynamodb, dynamodbstreams):
    t1 = stream_table(dynamodb, "KEYS_ONLY", hash_key=("pk", "S"), range_key=("sk", "N"))
    t2 = stream_table(dynamodb, "NEW_IMAGE")
    create_table(dynamodb)  # no stream
    arn1 = stream_arn(dynamodb, t1)
    listed = dynamodbstreams.list_streams()["Streams"]
    assert {s["TableName"] for s in listed} == {t1, t2}
    only = dynamodbstreams.list_streams(TableName=t1)["Streams"]
    label = dynamodb.describe_table(TableName=t1)["Table"]["LatestStreamLabel"]
    assert only == [{"StreamArn": arn1, "TableName": t1, "StreamLabel": label}]
    page = dynamodbstreams.list_streams(Limit=1)
    assert len(page["Streams"]) == 1 and page["LastEvaluatedStreamArn"] == page["Streams"][0]["StreamArn"]
    rest = dynamodbstreams.list_streams(Limit=1, ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])["Streams"]
    assert len(rest) == 1 and rest[0]["StreamArn"] != page["Streams"][0]["StreamArn"]
    desc = dynamodbstreams.describe_stream(StreamArn=arn1)["StreamDescription"]
    assert desc["StreamArn"] == arn1 and desc["StreamLabel"] == label and desc["TableName"] == t1
    assert desc["StreamStatus"] == "ENABLED" and desc["StreamViewType"] == "KEYS_ONLY"
    assert desc["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert isinstance(desc["CreationRequestDateTime"], datetime)
    assert desc["Shards"], desc
    shard = desc["Shards"][0]
    assert shard["ShardId"] and len(shard["ShardId"]) <= 65
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"].isdigit()


def test_shard_iterator_types_and_get_records_paging(dynamodb, dynamodbstreams):
    table = stream_table(dynamodb, "KEYS_ONLY")
    arn = stream_arn(dynamodb, table)
    shard_id = shards(dynamodbstreams, arn)[0]["ShardId"]

    def iterator(kind, seq=None):
        kwargs = {"StreamArn": arn, "ShardId": shard_id, "ShardIteratorType": kind}
        if seq:
            kwargs["SequenceNumber"] = seq
        return dynamodbstreams.get_shard_iterator(**kwargs)["ShardIterator"]

    latest = iterator("LATEST")
    for i in range(3):
        dynamodb.put_item(TableName=table, Item=item(pk=f"k{i}"))
    records = wait_records(dynamodbstreams, arn, 3)
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    # Limit=1 with NextShardIterator chaining reads them one by one, then an empty page with a next iterator.
    it, got = iterator("TRIM_HORIZON"), []
    for _ in range(3):
        out = dynamodbstreams.get_records(ShardIterator=it, Limit=1)
        assert len(out["Records"]) == 1
        got.append(out["Records"][0]["dynamodb"]["SequenceNumber"])
        it = out["NextShardIterator"]
    assert got == seqs
    out = dynamodbstreams.get_records(ShardIterator=it)
    assert out["Records"] == [] and out.get("NextShardIterator")
    # An iterator can be used more than once.
    assert len(dynamodbstreams.get_records(ShardIterator=iterator("TRIM_HORIZON"))["Records"]) == 3
    # LATEST taken before the writes sees them; taken after, sees nothing.
    assert [r["dynamodb"]["SequenceNumber"] for r in dynamodbstreams.get_records(ShardIterator=latest)["Records"]] == seqs
    assert dynamodbstreams.get_records(ShardIterator=iterator("LATEST"))["Records"] == []
    at = dynamodbstreams.get_records(ShardIterator=iterator("AT_SEQUENCE_NUMBER", seqs[1]))["Records"]
    assert [r["dynamodb"]["SequenceNumber"] for r in at] == seqs[1:]
    after = dynamodbstreams.get_records(ShardIterator=iterator("AFTER_SEQUENCE_NUMBER", seqs[1]))["Records"]
    assert [r["dynamodb"]["SequenceNumber"] for r in after] == seqs[2:]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in at] == ["k1", "k2"]


def test_stream_errors(dynamodb, dynamodbstreams):
    table = stream_table(dynamodb, "KEYS_ONLY")
    arn = stream_arn(dynamodb, table)
    shard_id = shards(dynamodbstreams, arn)[0]["ShardId"]
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        validation(dynamodbstreams.get_shard_iterator, StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind)
    validation(dynamodbstreams.get_shard_iterator, StreamArn=arn, ShardId=shard_id,
               ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber="not-a-sequence-number")
    validation(dynamodbstreams.get_shard_iterator, StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON",
               SequenceNumber="123456789012345678901")
    expect_error(dynamodbstreams.get_shard_iterator, "ResourceNotFoundException", StreamArn=arn,
                 ShardId="shardId-00000000000000000000-00000000", ShardIteratorType="LATEST")
    missing = arn.replace(f"table/{table}/", "table/no-such-table/")
    expect_error(dynamodbstreams.describe_stream, "ResourceNotFoundException", StreamArn=missing)
    validation(dynamodbstreams.describe_stream, StreamArn="not-an-arn-at-all-but-long-enough-to-pass-length")
    validation(dynamodbstreams.get_records, ShardIterator="x" * 100)


def test_disable_and_reenable(dynamodb, dynamodbstreams):
    table = stream_table(dynamodb, "NEW_IMAGE")
    first = stream_arn(dynamodb, table)
    dynamodb.put_item(TableName=table, Item=item(pk="before"))
    wait_records(dynamodbstreams, first, 1)
    dynamodb.update_table(TableName=table, StreamSpecification={"StreamEnabled": False})
    deadline = time.monotonic() + 10
    while dynamodbstreams.describe_stream(StreamArn=first)["StreamDescription"]["StreamStatus"] != "DISABLED":
        assert time.monotonic() < deadline, "stream did not become DISABLED"
        time.sleep(0.1)
    dynamodb.put_item(TableName=table, Item=item(pk="while-disabled"))
    # The old stream stays readable (24 h) and got nothing new.
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_stream(dynamodbstreams, first)] == ["before"]
    desc = dynamodbstreams.describe_stream(StreamArn=first)["StreamDescription"]
    assert all("EndingSequenceNumber" in s["SequenceNumberRange"] for s in desc["Shards"])  # shards closed
    time.sleep(1.1)  # stream labels are millisecond timestamps; make the new one distinct on any clock
    dynamodb.update_table(TableName=table, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    second = stream_arn(dynamodb, table)
    assert second != first
    dynamodb.put_item(TableName=table, Item=item(pk="after"))
    records = wait_records(dynamodbstreams, second, 1)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["after"]
    assert records[0]["dynamodb"]["StreamViewType"] == "KEYS_ONLY"
    assert {s["StreamArn"] for s in dynamodbstreams.list_streams(TableName=table)["Streams"]} == {first, second}


def test_ttl_deletion_record(dynamodb, dynamodbstreams):
    table = stream_table(dynamodb, "NEW_AND_OLD_IMAGES")
    arn = stream_arn(dynamodb, table)
    dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    past = int(time.time()) - 60
    dynamodb.put_item(TableName=table, Item=item(pk="old", exp=past))
    dynamodb.put_item(TableName=table, Item=item(pk="user-deleted"))
    dynamodb.delete_item(TableName=table, Key=item(pk="user-deleted"))
    deadline = time.monotonic() + 10
    removes = []
    while time.monotonic() < deadline:
        removes = [r for r in read_stream(dynamodbstreams, arn) if r["eventName"] == "REMOVE"]
        if len(removes) == 2:
            break
        time.sleep(0.2)
    by_key = {r["dynamodb"]["Keys"]["pk"]["S"]: r for r in removes}
    assert set(by_key) == {"old", "user-deleted"}, removes
    ttl = by_key["old"]
    assert ttl["userIdentity"] == {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
    assert plain(ttl["dynamodb"]["OldImage"]) == {"pk": "old", "exp": past}
    assert "NewImage" not in ttl["dynamodb"]
    assert "userIdentity" not in by_key["user-deleted"]


# ---- DescribeStream paging and ShardFilter, ListStreams start, the first sequence number ----------------------
# ScyllaDB's test/alternator/test_streams.py (run against AWS) fixes these: ExclusiveStartShardId naming the last
# shard, or a shard that does not exist, gives an empty Shards list (not an error); CHILD_SHARDS of a shard without
# children is empty; a ShardFilter without Type or ShardId, of another Type or with a ShardId of the wrong length is
# ValidationException naming shardFilter.shardId; a malformed ExclusiveStartStreamArn is ValidationException.


def test_describe_stream_exclusive_start_shard_id(mallard, dynamodb, dynamodbstreams):
    table = stream_table(dynamodb, "KEYS_ONLY")
    arn = stream_arn(dynamodb, table)
    desc = dynamodbstreams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert len(desc["Shards"]) == 1 and "LastEvaluatedShardId" not in desc
    last = desc["Shards"][-1]["ShardId"]
    after_last = dynamodbstreams.describe_stream(StreamArn=arn, ExclusiveStartShardId=last)["StreamDescription"]
    assert after_last["Shards"] == [] and after_last["StreamArn"] == arn
    unknown = dynamodbstreams.describe_stream(StreamArn=arn, ExclusiveStartShardId="shardId-" + "z" * 40)
    assert unknown["StreamDescription"]["Shards"] == []
    unchecked = streams_client(mallard.endpoint, validate=False)  # boto3 would refuse the short id itself
    expect_error(unchecked.describe_stream, "ValidationException",
                 contains=["'exclusiveStartShardId'", "length greater than or equal to 28"],
                 StreamArn=arn, ExclusiveStartShardId="shardId-short")


def test_describe_stream_child_shards_filter(mallard, dynamodb, dynamodbstreams):
    """Raw requests: the Debian botocore (1.29) predates ShardFilter."""
    table = stream_table(dynamodb, "KEYS_ONLY")
    arn = stream_arn(dynamodb, table)
    shard_id = shards(dynamodbstreams, arn)[0]["ShardId"]

    def describe(shard_filter):
        return raw_call(mallard.port, "DescribeStream", {"StreamArn": arn, "ShardFilter": shard_filter},
                        prefix="DynamoDBStreams_20120810")

    filtered = describe({"Type": "CHILD_SHARDS", "ShardId": shard_id})
    assert filtered.status == 200, filtered.body
    desc = filtered.json()["StreamDescription"]
    assert desc["StreamArn"] == arn and desc["TableName"] == table and desc["StreamViewType"] == "KEYS_ONLY"
    assert desc["Shards"] == []  # one open shard: it has no children
    for bad in ({"Type": "PARENT_SHARDS", "ShardId": shard_id}, {"ShardId": shard_id}, {"Type": "CHILD_SHARDS"},
                {"Type": "CHILD_SHARDS", "ShardId": "qwerty"}, "CHILD_SHARDS"):
        answer = describe(bad)
        assert answer.status == 400 and answer.json()["__type"].endswith("ValidationException"), (bad, answer.body)
    assert "shardFilter.shardId" in describe({"Type": "CHILD_SHARDS", "ShardId": "qwerty"}).json()["message"]


def test_list_streams_rejects_malformed_exclusive_start(dynamodb, dynamodbstreams):
    table = stream_table(dynamodb, "KEYS_ONLY")
    validation(dynamodbstreams.list_streams, TableName=table,
               ExclusiveStartStreamArn="kossaapaaasdafsdaasdasdasdasasdasfadfadfasdasdas")
    # Well-formed but unknown: nothing after it.
    arn = stream_arn(dynamodb, table)
    unknown = arn.replace(f"table/{table}/", "table/no-such-table/")
    assert dynamodbstreams.list_streams(ExclusiveStartStreamArn=unknown)["Streams"] == []


def test_get_records_at_first_sequence_number_on_fresh_server(tmp_path):
    """The first stream of a fresh server starts at the first sequence number there is; AT_SEQUENCE_NUMBER there
    must read the shard from its start (it answered TrimmedDataAccessException). A server of its own, so no other
    test has handed out sequence numbers (on Redis the reset before each test clears the counter as well)."""
    import os
    import shlex

    from conftest import start_server, stop_server
    from ddb_e2e import ddb_client

    handle = start_server(tmp_path / "fresh.log", shlex.split(os.environ.get("MALLARD_E2E_SERVER_ARGS", "")))
    try:
        ddb, streams = ddb_client(handle.endpoint), streams_client(handle.endpoint)
        table = stream_table(ddb, "KEYS_ONLY")
        arn = stream_arn(ddb, table)
        for i in range(2):
            ddb.put_item(TableName=table, Item=item(pk=f"k{i}"))
        shard = shards(streams, arn)[0]
        first = shard["SequenceNumberRange"]["StartingSequenceNumber"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=first)
        records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["k0", "k1"]
        assert records[0]["dynamodb"]["SequenceNumber"] == first
    finally:
        stop_server(handle)
