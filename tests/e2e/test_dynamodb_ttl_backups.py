"""TTL (UpdateTimeToLive / DescribeTimeToLive and real expiry), backups (Create/Describe/List/Delete/
RestoreTableFromBackup) and point-in-time recovery (Update/DescribeContinuousBackups, RestoreTableToPointInTime).

AWS deletes expired items "within a few days"; Mallard deletes promptly, so expiry is polled for up to 10 s.
Per the Developer Guide (TTL), only a top-level Number holding epoch seconds counts.

moto 5.2.1 deviations seen (AWS wins): no TTL expiry, backups/PITR restore partially.
"""

from __future__ import annotations

import time

import pytest

from ddb_e2e import create_table, expect_error, item, plain, validation, wait_active


def wait_gone(ddb, table, pk, timeout=10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Item" not in ddb.get_item(TableName=table, Key=item(pk=pk), ConsistentRead=True):
            return True
        time.sleep(0.2)
    return False


def test_time_to_live_settings(dynamodb):
    table = create_table(dynamodb)
    assert dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"] == {"TimeToLiveStatus": "DISABLED"}
    out = dynamodb.update_time_to_live(TableName=table,
                                       TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert out["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    desc = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert desc["TimeToLiveStatus"] in ("ENABLING", "ENABLED") and desc["AttributeName"] == "exp"
    validation(dynamodb.update_time_to_live, "TimeToLive is already enabled", TableName=table,
               TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    # (Disabling right away is not tested: AWS refuses any further UpdateTimeToLive for an hour.)
    expect_error(dynamodb.describe_time_to_live, "ResourceNotFoundException", TableName="no-such-table")


def test_ttl_expiry(dynamodb):
    table = create_table(dynamodb)
    dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(time.time())
    dynamodb.put_item(TableName=table, Item=item(pk="expired", exp=now - 30))
    dynamodb.put_item(TableName=table, Item=item(pk="future", exp=now + 3600))
    dynamodb.put_item(TableName=table, Item=item(pk="string", exp=str(now - 30)))       # not a Number: ignored
    dynamodb.put_item(TableName=table, Item=item(pk="nested", m={"exp": now - 30}))     # not top level
    assert wait_gone(dynamodb, table, "expired"), "expired item still present after 10 s"
    time.sleep(0.5)
    for pk in ("future", "string", "nested"):
        assert "Item" in dynamodb.get_item(TableName=table, Key=item(pk=pk)), pk
    assert dynamodb.describe_table(TableName=table)["Table"]["ItemCount"] == 3


def test_ttl_sweeps_a_large_table_in_bounded_steps_that_reach_every_item(dynamodb):
    """The background sweep examines a bounded number of items per second and resumes where it
    stopped: expired items anywhere in a table larger than one step are deleted, live ones kept."""
    table = create_table(dynamodb)
    dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    now = int(time.time())
    expired = {f"old-{i}" for i in range(0, 7000, 350)}  # 20, spread over the key space
    keys = [f"old-{i}" if f"old-{i}" in expired else f"live-{i}" for i in range(7000)]
    for start in range(0, len(keys), 25):
        requests = [{"PutRequest": {"Item": item(pk=pk, exp=now - 60 if pk in expired else now + 3600)}}
                    for pk in keys[start:start + 25]]
        assert not dynamodb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems")

    def remaining_expired():
        return [pk for pk in expired if "Item" in dynamodb.get_item(TableName=table, Key=item(pk=pk))]

    deadline = time.monotonic() + 30
    while remaining_expired() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert remaining_expired() == [], "the sweep never reached some expired items"
    assert dynamodb.scan(TableName=table, Select="COUNT")["Count"] == 7000 - len(expired)


def test_ttl_disabled_does_not_expire(dynamodb):
    table = create_table(dynamodb)
    dynamodb.put_item(TableName=table, Item=item(pk="x", exp=int(time.time()) - 30))
    assert not wait_gone(dynamodb, table, "x", timeout=1.5)


# --- Backups ------------------------------------------------------------------------------------


def test_backup_lifecycle_and_restore(dynamodb):
    table = create_table(dynamodb, hash_key=("pk", "S"), range_key=("sk", "N"), extra_attrs=[("g", "S")],
                         GlobalSecondaryIndexes=[{"IndexName": "by_g",
                                                  "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                                  "Projection": {"ProjectionType": "ALL"}}])
    for i in range(5):
        dynamodb.put_item(TableName=table, Item=item(pk="p", sk=i, g="G", v=f"v{i}"))
    details = dynamodb.create_backup(TableName=table, BackupName="bk1")["BackupDetails"]
    arn = details["BackupArn"]
    assert details["BackupName"] == "bk1" and details["BackupType"] == "USER"
    assert details["BackupStatus"] in ("CREATING", "AVAILABLE")
    assert arn.startswith(f"arn:aws:dynamodb:us-east-1:") and f":table/{table}/backup/" in arn
    # Later changes are not in the backup.
    dynamodb.put_item(TableName=table, Item=item(pk="p", sk=99, g="G"))
    dynamodb.delete_item(TableName=table, Key=item(pk="p", sk=0))
    deadline = time.monotonic() + 10
    while True:
        desc = dynamodb.describe_backup(BackupArn=arn)["BackupDescription"]
        if desc["BackupDetails"]["BackupStatus"] == "AVAILABLE":
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert desc["SourceTableDetails"]["TableName"] == table
    assert desc["SourceTableDetails"]["ItemCount"] == 5
    summaries = dynamodb.list_backups(TableName=table)["BackupSummaries"]
    assert [(s["BackupArn"], s["BackupName"], s["TableName"]) for s in summaries] == [(arn, "bk1", table)]
    restored = f"{table}-restored"
    out = dynamodb.restore_table_from_backup(TargetTableName=restored, BackupArn=arn)["TableDescription"]
    assert out["TableName"] == restored
    assert out["RestoreSummary"]["SourceBackupArn"] == arn and out["RestoreSummary"]["RestoreInProgress"] in (True, False)
    wait_active(dynamodb, restored)
    items = dynamodb.query(TableName=restored, KeyConditionExpression="pk = :p",
                           ExpressionAttributeValues={":p": {"S": "p"}}, ConsistentRead=True)["Items"]
    assert [plain(i)["sk"] for i in items] == [0, 1, 2, 3, 4]
    # Indexes come back too.
    out = dynamodb.query(TableName=restored, IndexName="by_g", KeyConditionExpression="g = :g",
                         ExpressionAttributeValues={":g": {"S": "G"}})
    assert out["Count"] == 5
    expect_error(dynamodb.restore_table_from_backup, "TableAlreadyExistsException", TargetTableName=restored,
                 BackupArn=arn)
    deleted = dynamodb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert deleted["BackupDetails"]["BackupStatus"] == "DELETED"
    expect_error(dynamodb.describe_backup, "BackupNotFoundException", BackupArn=arn)
    assert dynamodb.list_backups(TableName=table)["BackupSummaries"] == []
    expect_error(dynamodb.create_backup, "TableNotFoundException", TableName="no-such-table", BackupName="bk-x")


# --- Point-in-time recovery ---------------------------------------------------------------------


def test_point_in_time_recovery(dynamodb):
    table = create_table(dynamodb)
    desc = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    assert desc["ContinuousBackupsStatus"] == "ENABLED"
    assert desc["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    expect_error(dynamodb.restore_table_to_point_in_time, "PointInTimeRecoveryUnavailableException",
                 SourceTableName=table, TargetTableName=f"{table}-pitr", UseLatestRestorableTime=True)
    out = dynamodb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    pitr = out["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    dynamodb.put_item(TableName=table, Item=item(pk="a", v=1))
    pitr = dynamodb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]
    assert pitr["EarliestRestorableDateTime"] <= pitr["LatestRestorableDateTime"]
    target = f"{table}-pitr"
    out = dynamodb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=target,
                                                  UseLatestRestorableTime=True)["TableDescription"]
    assert out["TableName"] == target
    wait_active(dynamodb, target)
    assert plain(dynamodb.get_item(TableName=target, Key=item(pk="a"), ConsistentRead=True)["Item"]) == \
        {"pk": "a", "v": 1}
    expect_error(dynamodb.restore_table_to_point_in_time, "TableAlreadyExistsException", SourceTableName=table,
                 TargetTableName=target, UseLatestRestorableTime=True)
    expect_error(dynamodb.describe_continuous_backups, "TableNotFoundException", TableName="no-such-table")
