"""State snapshots and persistence (issue 18), end to end: the state endpoints' rules, save → load
round trips through the live server with the CLI and raw HTTP, the merge strategies, --load-state at
start, and --data-dir: a clean restart and kill -9 under SQS load, where every acknowledged send must
come back and nothing acknowledged as deleted may."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from conftest import mallard_bin, start_server, stop_server
from sqs_e2e import ACCESS_KEY, REGION, SECRET_KEY, http_request, unique


def sqs(port: int):
    return boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=Config(retries={"max_attempts": 0}))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(mallard_bin()), "state", *args], capture_output=True, text=True, timeout=120)


def peek(port: int, queue_url: str) -> list[dict]:
    """Every message with its state, without receiving (LocalStack's developer endpoint)."""
    response = http_request(port, "GET", "/_aws/sqs/messages?QueueUrl=" + queue_url +
                            "&ShowInvisible=true&ShowDelayed=true", headers={"Accept": "application/json"})
    assert response.status == 200, response.body[:300]
    body = json.loads(response.body)
    messages = body["ReceiveMessageResponse"]["ReceiveMessageResult"]
    messages = (messages or {}).get("Message") or []
    return messages if isinstance(messages, list) else [messages]


def summary_counts(summary: dict) -> dict:
    return {(s["service"], s["account"], s["region"]): s["counts"] for s in summary["sections"]}


@pytest.fixture
def server(tmp_path):
    handles = []

    def start(*args: str):
        handle = start_server(tmp_path / f"mallard-{len(handles)}.log", list(args))
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        stop_server(handle)


def build_sqs_state(port: int) -> dict:
    """Queues with visible, in-flight and delayed messages, a FIFO queue in group order, a DLQ."""
    client = sqs(port)
    plain = client.create_queue(QueueName=unique("plain"), tags={"team": "a"})["QueueUrl"]
    fifo = client.create_queue(QueueName=unique("order") + ".fifo",
                               Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for i in range(5):
        client.send_message(QueueUrl=plain, MessageBody=f"plain-{i}",
                            MessageAttributes={"n": {"DataType": "Number", "StringValue": str(i)},
                                               "b": {"DataType": "Binary", "BinaryValue": bytes([i, 0, 255])}})
    client.send_message(QueueUrl=plain, MessageBody="later", DelaySeconds=600)
    in_flight = client.receive_message(QueueUrl=plain, MaxNumberOfMessages=2, VisibilityTimeout=600)["Messages"]
    for i in range(6):
        client.send_message(QueueUrl=fifo, MessageBody=f"fifo-{i}", MessageGroupId=f"g{i % 2}")
    return {"plain": plain, "fifo": fifo, "in_flight": in_flight}


def test_state_endpoints_take_their_methods_token_and_content_type(server):
    handle = server("--admin-token", "s3cret")
    assert http_request(handle.port, "GET", "/_mallard/state/save").status == 405
    assert http_request(handle.port, "GET", "/_mallard/state/load").status == 405
    assert http_request(handle.port, "POST", "/_mallard/state/save").status == 401
    assert http_request(handle.port, "POST", "/_mallard/state/save", headers={"Authorization": "Bearer nope"}).status == 403
    ok = http_request(handle.port, "POST", "/_mallard/state/save", headers={"Authorization": "Bearer s3cret"})
    assert ok.status == 200 and ok.headers["content-type"] == "application/x-ndjson"
    # A load needs the snapshot's own content type: a cross-origin form cannot send it.
    text_plain = http_request(handle.port, "POST", "/_mallard/state/load", body=ok.body,
                              headers={"Authorization": "Bearer s3cret", "Content-Type": "text/plain"})
    assert text_plain.status == 415
    bad_merge = http_request(handle.port, "POST", "/_mallard/state/load?merge=sideways", body=ok.body,
                             headers={"Authorization": "Bearer s3cret", "Content-Type": "application/x-ndjson"})
    assert bad_merge.status == 400 and b"merge strategy" in bad_merge.body
    unknown = http_request(handle.port, "POST", "/_mallard/state/save?color=red", headers={"Authorization": "Bearer s3cret"})
    assert unknown.status == 400
    assert http_request(handle.port, "GET", "/_mallard/state/inspect").status == 200  # counts only: open like health
    assert http_request(handle.port, "GET", "/_mallard/state/nothing").status == 404


def test_save_and_load_round_trip_sqs_through_the_cli(server, tmp_path):
    source = server()
    state = build_sqs_state(source.port)
    before = {name: peek(source.port, state[name]) for name in ("plain", "fifo")}
    endpoint = f"http://127.0.0.1:{source.port}"
    saved = cli("save", str(tmp_path) + "/", "--endpoint", endpoint)
    assert saved.returncode == 0, saved.stderr
    snapshot = tmp_path / "mallard-state.jsonl"
    offline = cli("inspect", str(snapshot))
    assert offline.returncode == 0, offline.stderr
    counts = summary_counts(json.loads(offline.stdout))
    assert counts[("sqs", "000000000000", REGION)]["message"] >= 12

    target = server()
    loaded = cli("load", str(snapshot), "--endpoint", f"http://127.0.0.1:{target.port}")
    assert loaded.returncode == 0, loaded.stderr
    for name in ("plain", "fifo"):
        url = state[name].replace(str(source.port), str(target.port))
        after = peek(target.port, url)
        strip = lambda ms: [{k: v for k, v in m.items() if k != "ReceiptHandle"} for m in ms]
        assert strip(after) == strip(before[name]), name
    client = sqs(target.port)
    plain = state["plain"].replace(str(source.port), str(target.port))
    # In flight stays in flight; its receipt from before the save still deletes it.
    assert client.get_queue_attributes(QueueUrl=plain, AttributeNames=["All"])["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "2"
    for message in state["in_flight"]:
        client.delete_message(QueueUrl=plain, ReceiptHandle=message["ReceiptHandle"])
    attributes = client.get_queue_attributes(QueueUrl=plain, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    assert client.list_queue_tags(QueueUrl=plain)["Tags"] == {"team": "a"}
    # FIFO order and group locking are as before.
    fifo = state["fifo"].replace(str(source.port), str(target.port))
    first = client.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first] == ["fifo-0", "fifo-1", "fifo-2", "fifo-3", "fifo-4", "fifo-5"]


def test_merge_strategies_on_a_live_server(server, tmp_path):
    handle = server()
    client = sqs(handle.port)
    kept = client.create_queue(QueueName="kept")["QueueUrl"]
    shared = client.create_queue(QueueName="shared")["QueueUrl"]
    client.send_message(QueueUrl=shared, MessageBody="from-the-snapshot")
    snapshot = http_request(handle.port, "POST", "/_mallard/state/save?services=sqs&queues=x")
    assert snapshot.status == 400  # unknown parameter
    snapshot = http_request(handle.port, "POST", "/_mallard/state/save?services=sqs")
    assert snapshot.status == 200
    client.send_message(QueueUrl=shared, MessageBody="after-the-snapshot")
    extra = client.create_queue(QueueName="extra")["QueueUrl"]
    other_region = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{handle.port}", region_name="eu-west-1",
                                aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    other_region.create_queue(QueueName="elsewhere")

    def load(strategy: str):
        response = http_request(handle.port, "POST", f"/_mallard/state/load?merge={strategy}", body=snapshot.body,
                                headers={"Content-Type": "application/x-ndjson"})
        assert response.status == 200, response.body

    def names(c):
        return sorted(url.rsplit("/", 1)[1] for url in c.list_queues().get("QueueUrls", []))

    load("service-merge")  # "shared" replaced whole, everything else kept
    assert [m["Body"] for m in peek(handle.port, shared)] == ["from-the-snapshot"]
    assert names(client) == ["extra", "kept", "shared"] and names(other_region) == ["elsewhere"]
    load("account-region-merge")  # the snapshot's scope replaced: "extra" goes, eu-west-1 stays
    assert names(client) == ["kept", "shared"] and names(other_region) == ["elsewhere"]
    load("overwrite")  # everything replaced
    assert names(client) == ["kept", "shared"] and names(other_region) == []
    assert kept and extra


def test_a_damaged_snapshot_changes_nothing(server, tmp_path):
    handle = server()
    client = sqs(handle.port)
    client.create_queue(QueueName="live")
    snapshot = http_request(handle.port, "POST", "/_mallard/state/save").body
    cut = snapshot[: snapshot.rfind(b"{\"end\"")]
    response = http_request(handle.port, "POST", "/_mallard/state/load?merge=overwrite", body=cut,
                            headers={"Content-Type": "application/x-ndjson"})
    assert response.status == 400 and b"cut short" in response.body
    newer = snapshot.replace(b'"format":1', b'"format":99', 1)
    response = http_request(handle.port, "POST", "/_mallard/state/load", body=newer,
                            headers={"Content-Type": "application/x-ndjson"})
    assert response.status == 400 and b"newer than this Mallard reads" in response.body
    assert client.list_queues()["QueueUrls"][0].endswith("/live")
    (tmp_path / "cut.jsonl").write_bytes(cut)
    result = cli("load", str(tmp_path / "cut.jsonl"), "--endpoint", f"http://127.0.0.1:{handle.port}")
    assert result.returncode == 1 and "cut short" in result.stderr


def test_load_state_at_start(server, tmp_path):
    source = server()
    sqs(source.port).create_queue(QueueName="from-file")
    (tmp_path / "s.jsonl").write_bytes(http_request(source.port, "POST", "/_mallard/state/save").body)
    started = server("--load-state", str(tmp_path / "s.jsonl"), "--load-state-merge", "service-merge")
    assert sqs(started.port).list_queues()["QueueUrls"][0].endswith("/from-file")
    # A snapshot that cannot load stops the start with the reason.
    (tmp_path / "bad.jsonl").write_text("{}\n")
    result = subprocess.run([str(mallard_bin()), "serve", "--port", "0", "--load-state", str(tmp_path / "bad.jsonl")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "--load-state" in result.stdout + result.stderr


def test_data_dir_keeps_state_across_a_clean_restart(server, tmp_path):
    data = tmp_path / "data"
    first = server("--data-dir", str(data))
    state = build_sqs_state(first.port)
    before = {name: peek(first.port, state[name]) for name in ("plain", "fifo")}
    assert stop_server(first)[0] == 0
    second = server("--data-dir", str(data))
    for name in ("plain", "fifo"):
        url = state[name].replace(str(first.port), str(second.port))
        strip = lambda ms: [{k: v for k, v in m.items() if k != "ReceiptHandle"} for m in ms]
        assert strip(peek(second.port, url)) == strip(before[name])
    assert (data / "s3").is_dir() and (data / "state").is_dir()


def test_kill_9_under_sqs_load_loses_no_acknowledged_change(tmp_path):
    """20 rounds: 8 clients send and delete on one server with --data-dir (fsync durability), killed
    with SIGKILL at a random moment. After each restart every acknowledged send is there (unless its
    deletion was acknowledged too) and no acknowledged deletion came back."""
    data = tmp_path / "data"
    rng = random.Random(18)
    sent: dict[str, str] = {}      # MessageId -> body, acknowledged
    deleted: set[str] = set()      # MessageIds whose deletion was acknowledged
    attempted: set[str] = set()    # MessageIds a deletion was sent for (acknowledged or not)
    queue_name = "durable"
    for round_number in range(20):
        handle = start_server(tmp_path / f"kill-{round_number}.log", ["--data-dir", str(data)])
        client = sqs(handle.port)
        url = client.create_queue(QueueName=queue_name)["QueueUrl"]
        # Everything acknowledged so far is there, receivable or in flight, and no deletion came back.
        present: set[str] = set()
        for message in peek(handle.port, url):
            present.add(message["MessageId"])
        missing = set(sent) - attempted - present
        resurrected = deleted & present
        assert not missing, f"round {round_number}: acknowledged sends lost: {sorted(missing)[:5]}"
        assert not resurrected, f"round {round_number}: acknowledged deletions came back: {sorted(resurrected)[:5]}"
        lock = threading.Lock()
        stop = threading.Event()

        def work(worker: int):
            c = sqs(handle.port)
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    if n % 3 == 0:
                        got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=1).get("Messages", [])
                        for message in got:
                            with lock:  # a deletion cut off by the kill may still have been applied
                                attempted.add(message["MessageId"])
                            c.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                            with lock:
                                deleted.add(message["MessageId"])
                    else:
                        body = f"r{round_number}-w{worker}-{n}"
                        message_id = c.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
                        with lock:
                            sent[message_id] = body
                except Exception:  # the kill: connection refused or reset; not acknowledged
                    return

        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.2, 1.0))
        os.killpg(handle.proc.pid, signal.SIGKILL)
        handle.proc.wait(10)
        stop.set()
        for thread in threads:
            thread.join(30)
    assert len(sent) > 100, "the load never got going"


def dynamodb(port: int):
    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                        config=Config(retries={"max_attempts": 0}))


def test_kill_9_under_mixed_sqs_and_dynamodb_load_loses_no_acknowledged_change(tmp_path):
    """20 rounds of kill -9 at a random moment under SQS sends and deletes and DynamoDB puts,
    overwrites, deletes, counter updates and two-item transactions, on --data-dir (fsync). After
    each restart: every acknowledged send is there unless its deletion was attempted, no
    acknowledged deletion came back; every key holds its last acknowledged version or a later
    attempted one; no acknowledged item deletion came back; each counter is between its
    acknowledged and its attempted increments; every transaction is all there or not at all, and
    there if acknowledged."""
    data = tmp_path / "data"
    rng = random.Random(1818)
    lock = threading.Lock()
    sent: dict[str, str] = {}
    deleted: set[str] = set()
    attempted_deletes: set[str] = set()
    acked_version: dict[str, int] = {}      # key -> last acknowledged version
    attempted_version: dict[str, int] = {}  # key -> last attempted version
    acked_item_deletes: set[str] = set()
    attempted_item_deletes: set[str] = set()
    counter_acked = [0] * 4
    counter_attempted = [0] * 4
    tx_acked: set[str] = set()
    tx_attempted: set[str] = set()
    table = "durable-items"
    for round_number in range(20):
        handle = start_server(tmp_path / f"mixed-{round_number}.log", ["--data-dir", str(data)])
        queues, tables = sqs(handle.port), dynamodb(handle.port)
        url = queues.create_queue(QueueName="durable-mixed")["QueueUrl"]
        if round_number == 0:
            tables.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        # ---- what the restart holds
        present = {m["MessageId"] for m in peek(handle.port, url)}
        lost = set(sent) - attempted_deletes - present
        assert not lost, f"round {round_number}: acknowledged sends lost: {sorted(lost)[:5]}"
        assert not (deleted & present), f"round {round_number}: acknowledged message deletions came back"
        items: dict[str, dict] = {}
        for page in tables.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page["Items"]:
                items[item["pk"]["S"]] = item
        for key, version in acked_version.items():
            if key in attempted_item_deletes:
                continue
            assert key in items, f"round {round_number}: acknowledged item {key} (version {version}) lost"
            held = int(items[key]["version"]["N"])
            assert version <= held <= attempted_version[key], \
                f"round {round_number}: {key} holds version {held}, acknowledged {version}, attempted {attempted_version[key]}"
        for key in acked_item_deletes:
            assert key not in items, f"round {round_number}: acknowledged deletion of {key} came back"
        for n in range(4):
            held = int(items.get(f"counter-{n}", {}).get("count", {"N": "0"})["N"])
            assert counter_acked[n] <= held <= counter_attempted[n], \
                f"round {round_number}: counter {n} is {held}, acknowledged {counter_acked[n]}, attempted {counter_attempted[n]}"
        for tx in tx_attempted:
            halves = [f"{tx}-a" in items, f"{tx}-b" in items]
            assert halves[0] == halves[1], f"round {round_number}: transaction {tx} is half there: {halves}"
            assert halves[0] or tx not in tx_acked, f"round {round_number}: acknowledged transaction {tx} lost"
        # ---- the load, then the kill
        stop = threading.Event()

        def sqs_work(worker: int):
            c = sqs(handle.port)
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    if n % 3 == 0:
                        for message in c.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                                         VisibilityTimeout=1).get("Messages", []):
                            with lock:
                                attempted_deletes.add(message["MessageId"])
                            c.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                            with lock:
                                deleted.add(message["MessageId"])
                    else:
                        message_id = c.send_message(QueueUrl=url, MessageBody=f"r{round_number}-{worker}-{n}")["MessageId"]
                        with lock:
                            sent[message_id] = "x"
                except Exception:  # the kill: not acknowledged
                    return

        def ddb_work(worker: int):
            c = dynamodb(handle.port)
            n = 0
            while not stop.is_set():
                n += 1
                choice = n % 5
                try:
                    if choice in (0, 1):  # a worker's own keys, overwritten with growing versions
                        key = f"w{worker}-k{n % 7}"
                        with lock:
                            if key in attempted_item_deletes:
                                continue
                            version = attempted_version.get(key, 0) + 1
                            attempted_version[key] = version
                        c.put_item(TableName=table, Item={"pk": {"S": key}, "version": {"N": str(version)},
                                                          "pad": {"S": "p" * (n % 300)}})
                        with lock:
                            acked_version[key] = max(acked_version.get(key, 0), version)
                    elif choice == 2:  # put once, then delete
                        key = f"gone-r{round_number}-w{worker}-{n}"
                        c.put_item(TableName=table, Item={"pk": {"S": key}})
                        with lock:
                            attempted_item_deletes.add(key)
                        c.delete_item(TableName=table, Key={"pk": {"S": key}})
                        with lock:
                            acked_item_deletes.add(key)
                    elif choice == 3:
                        counter = (worker + n) % 4
                        with lock:
                            counter_attempted[counter] += 1
                        c.update_item(TableName=table, Key={"pk": {"S": f"counter-{counter}"}},
                                      UpdateExpression="ADD #c :one", ExpressionAttributeNames={"#c": "count"},
                                      ExpressionAttributeValues={":one": {"N": "1"}})
                        with lock:
                            counter_acked[counter] += 1
                    else:
                        tx = f"tx-r{round_number}-w{worker}-{n}"
                        with lock:
                            tx_attempted.add(tx)
                        c.transact_write_items(TransactItems=[
                            {"Put": {"TableName": table, "Item": {"pk": {"S": f"{tx}-a"}}}},
                            {"Put": {"TableName": table, "Item": {"pk": {"S": f"{tx}-b"}}}}])
                        with lock:
                            tx_acked.add(tx)
                except Exception:  # the kill: not acknowledged
                    return

        threads = [threading.Thread(target=sqs_work, args=(w,)) for w in range(4)]
        threads += [threading.Thread(target=ddb_work, args=(w,)) for w in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.3, 1.2))
        os.killpg(handle.proc.pid, signal.SIGKILL)
        handle.proc.wait(10)
        stop.set()
        for thread in threads:
            thread.join(30)
    assert len(sent) > 100 and len(acked_version) > 20 and len(tx_acked) > 20 and sum(counter_acked) > 20, \
        "the load never got going"


# ---- every stateful service through a save and a load ---------------------------------------------

STATEFUL_SERVICES = ["sqs", "dynamodb", "sns", "sts", "athena", "redshift-data"]
KEY = "AKIDSTATE"
SECRET = "state-secret"


def client(port: int, service: str, **keys):
    return boto3.client(service, endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                        aws_access_key_id=keys.get("key", KEY), aws_secret_access_key=keys.get("secret", SECRET),
                        aws_session_token=keys.get("token"), config=Config(retries={"max_attempts": 0}))


def live_sections(port: int) -> dict:
    response = http_request(port, "GET", "/_mallard/state/inspect")
    assert response.status == 200, response.body[:300]
    return summary_counts(json.loads(response.body))


def require_section(port: int, service: str) -> dict:
    """The live server's counts of `service` in the default scope; a service whose snapshot support
    has not landed (Service::State() null) fails here, by name, rather than being skipped."""
    sections = live_sections(port)
    # STS's credentials are account-global: its scope's region is "".
    counts = sections.get((service, "000000000000", "" if service == "sts" else REGION))
    assert counts, (f"{service}: no snapshot section after creating state — the service has no snapshot "
                    f"support yet (Service::State() returns null) or its Scopes() misses the scope; "
                    f"sections: {sorted(sections)}")
    return counts


def wait_for(predicate, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def build_dynamodb(port: int) -> None:
    ddb = client(port, "dynamodb")
    ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "N"},
                                           {"AttributeName": "g", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "ALL"}}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
                     Tags=[{"Key": "team", "Value": "a"}])
    wait_for(lambda: ddb.describe_table(TableName="orders")["Table"]["TableStatus"] == "ACTIVE", "orders ACTIVE")
    ddb.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    for i in range(20):
        ddb.put_item(TableName="orders", Item={"pk": {"S": f"p{i % 3}"}, "sk": {"N": f"{i}.{i}00000000000000000001"},
                                               "g": {"S": f"g{i % 2}"}, "blob": {"B": bytes([i, 255])},
                                               "set": {"NS": ["1", "0.5", "12345678901234567890123456789"]},
                                               "expires": {"N": str(4_000_000_000 + i)}})
    ddb.delete_item(TableName="orders", Key={"pk": {"S": "p0"}, "sk": {"N": "0.000000000000000000001"}})
    ddb.create_backup(TableName="orders", BackupName="nightly")


def dynamodb_view(port: int) -> dict:
    ddb = client(port, "dynamodb")
    table = ddb.describe_table(TableName="orders")["Table"]
    items = ddb.scan(TableName="orders")["Items"]
    stream_arn = table["LatestStreamArn"]
    streams = client(port, "dynamodbstreams")
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = streams.get_records(ShardIterator=iterator)["Records"]
        records += [(r["eventName"], r["dynamodb"]["SequenceNumber"], json.dumps(r["dynamodb"].get("NewImage"), sort_keys=True, default=str))
                    for r in got]
    return {
        "keys": table["KeySchema"], "gsi": [g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])],
        "stream": (table["StreamSpecification"], stream_arn, table["LatestStreamLabel"]),
        "items": sorted(json.dumps(i, sort_keys=True, default=str) for i in items),
        "ttl": ddb.describe_time_to_live(TableName="orders")["TimeToLiveDescription"],
        "backups": sorted(b["BackupName"] for b in ddb.list_backups(TableName="orders")["BackupSummaries"]),
        "tags": ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"],
        "stream_records": records,
    }


def build_sns(port: int) -> None:
    sns = client(port, "sns")
    queue_arn = f"arn:aws:sqs:{REGION}:000000000000:sns-target"
    client(port, "sqs").create_queue(QueueName="sns-target")
    topic = sns.create_topic(Name="events", Attributes={"DisplayName": "Events"}, Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
    sns.create_topic(Name="orders.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                  Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"kind": ["a"]})})


def sns_view(port: int) -> dict:
    sns = client(port, "sns")
    topics = sorted(t["TopicArn"] for t in sns.list_topics()["Topics"])
    view = {"topics": topics}
    for arn in topics:
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        view[arn] = ({k: v for k, v in attributes.items() if k not in ("SubscriptionsConfirmed",)},
                     sorted(json.dumps(s, sort_keys=True) for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]),
                     sns.list_tags_for_resource(ResourceArn=arn)["Tags"])
    for subscription in sns.list_subscriptions()["Subscriptions"]:
        view[subscription["SubscriptionArn"]] = sns.get_subscription_attributes(
            SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
    return view


def build_sts(port: int) -> dict:
    credentials = client(port, "sts").assume_role(RoleArn="arn:aws:iam::000000000000:role/app",
                                                  RoleSessionName="saved")["Credentials"]
    return credentials


def sts_view(port: int, credentials: dict) -> dict:
    identity = client(port, "sts", key=credentials["AccessKeyId"], secret=credentials["SecretAccessKey"],
                      token=credentials["SessionToken"]).get_caller_identity()
    return {"Arn": identity["Arn"], "Account": identity["Account"], "UserId": identity["UserId"]}


def build_athena(port: int) -> dict:
    athena = client(port, "athena")
    client(port, "s3").create_bucket(Bucket="athena-results")
    athena.create_work_group(Name="analysts", Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/wg/"}},
                             Description="team", Tags=[{"Key": "k", "Value": "v"}])
    named = athena.create_named_query(Name="daily", Database="default", QueryString="SELECT 1", WorkGroup="analysts")["NamedQueryId"]
    athena.create_prepared_statement(StatementName="by_id", WorkGroup="analysts", QueryStatement="SELECT ?")
    query = athena.start_query_execution(QueryString="SELECT 41 + 1 AS answer", WorkGroup="analysts")["QueryExecutionId"]
    wait_for(lambda: athena.get_query_execution(QueryExecutionId=query)["QueryExecution"]["Status"]["State"]
             in ("SUCCEEDED", "FAILED"), "the Athena query")
    return {"named": named, "query": query}


def athena_view(port: int, ids: dict) -> dict:
    athena = client(port, "athena")
    execution = athena.get_query_execution(QueryExecutionId=ids["query"])["QueryExecution"]
    return {
        "work_groups": sorted(w["Name"] for w in athena.list_work_groups()["WorkGroups"]),
        "analysts": athena.get_work_group(WorkGroup="analysts")["WorkGroup"]["Configuration"],
        "named": athena.get_named_query(NamedQueryId=ids["named"])["NamedQuery"],
        "prepared": athena.get_prepared_statement(StatementName="by_id", WorkGroup="analysts")["PreparedStatement"]["QueryStatement"],
        "execution": (execution["Status"]["State"], execution["Query"], execution["ResultConfiguration"]),
        "results": athena.get_query_results(QueryExecutionId=ids["query"])["ResultSet"]["Rows"],
        "history": sorted(athena.list_query_executions(WorkGroup="analysts")["QueryExecutionIds"]),
    }


def build_redshift(port: int) -> dict:
    redshift = client(port, "redshift-data")
    statement = redshift.execute_statement(WorkgroupName="analytics", Database="dev", Sql="SELECT 6 * 7 AS answer",
                                           StatementName="saved")["Id"]
    wait_for(lambda: redshift.describe_statement(Id=statement)["Status"] in ("FINISHED", "FAILED"), "the statement")
    return {"statement": statement}


def redshift_view(port: int, ids: dict) -> dict:
    redshift = client(port, "redshift-data")
    described = redshift.describe_statement(Id=ids["statement"])
    return {
        "described": {k: described.get(k) for k in ("Status", "QueryString", "HasResultSet", "ResultRows", "Database")},
        "result": redshift.get_statement_result(Id=ids["statement"])["Records"],
        "listed": sorted(s["Id"] for s in redshift.list_statements()["Statements"]),
    }


def build_and_view(service: str, port: int):
    """Builds `service`'s state through the API; answers a function that views it through the API."""
    if service == "dynamodb":
        build_dynamodb(port)
        return dynamodb_view
    if service == "sns":
        build_sns(port)
        return sns_view
    if service == "sts":
        context = build_sts(port)
        return lambda p: sts_view(p, context)
    if service == "athena":
        context = build_athena(port)
        return lambda p: athena_view(p, context)
    context = build_redshift(port)
    return lambda p: redshift_view(p, context)


@pytest.mark.parametrize("service", ["dynamodb", "sns", "sts", "athena", "redshift-data"])
def test_each_stateful_service_survives_kill_9_with_a_data_dir(server, tmp_path, service):
    """--data-dir journals every service's acknowledged changes, not only the stores that report
    their own (SQS, DynamoDB): state built through the API is all there after kill -9 and a restart,
    Athena's and Redshift Data's finished queries with their results included."""
    args = ["--data-dir", str(tmp_path / "data"), "--auth", "sigv4", "--credential", f"{KEY}:{SECRET}:000000000000"]
    first = server(*args)
    view = build_and_view(service, first.port)
    before = view(first.port)
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    second = server(*args)
    assert view(second.port) == before


@pytest.mark.parametrize("service", ["dynamodb", "sns", "sts", "athena", "redshift-data"])
def test_each_stateful_service_round_trips_through_save_and_load(server, tmp_path, service):
    """State built through the API, saved from one server, loaded into a fresh one, and compared
    through the API. The servers use one S3 directory in turn (Athena's results live in S3, which is
    not in snapshots) and accept one key pair under SigV4 (so STS credentials are really checked)."""
    args = ["--backend-s3", f"file://{tmp_path / 's3'}", "--auth", "sigv4", "--credential", f"{KEY}:{SECRET}:000000000000"]
    source = server(*args)
    view = build_and_view(service, source.port)
    require_section(source.port, service)
    before = view(source.port)
    snapshot = http_request(source.port, "POST", "/_mallard/state/save")
    assert snapshot.status == 200, snapshot.body[:300]
    stop_server(source)  # the S3 file store is one server's at a time

    target = server(*args)
    loaded = http_request(target.port, "POST", "/_mallard/state/load", body=snapshot.body,
                          headers={"Content-Type": "application/x-ndjson"})
    assert loaded.status == 200, loaded.body[:500]
    assert view(target.port) == before
    # And the target saves what it loaded: the same records.
    again = http_request(target.port, "POST", "/_mallard/state/save").body
    assert records_of(again) == records_of(snapshot.body)


def records_of(snapshot: bytes) -> list[str]:
    """The snapshot's lines without its header (which holds the time it was written)."""
    lines = snapshot.decode().splitlines()
    assert lines and json.loads(lines[0]).get("mallard_state"), lines[:1]
    return lines[1:]


def test_every_stateful_service_is_in_a_snapshot(server, tmp_path):
    """Fails by name for every service whose snapshot support has not landed."""
    handle = server("--backend-s3", f"file://{tmp_path / 's3'}")
    build_sqs_state(handle.port)
    build_dynamodb(handle.port)
    build_sns(handle.port)
    build_athena(handle.port)
    build_redshift(handle.port)
    client(handle.port, "sts").get_session_token()
    sections = live_sections(handle.port)
    missing = [s for s in STATEFUL_SERVICES
               if (s, "000000000000", "" if s == "sts" else REGION) not in sections]
    assert not missing, f"services without snapshot support yet: {missing}"


def test_filters_choose_services_accounts_and_regions(server, tmp_path):
    handle = server()
    sqs(handle.port).create_queue(QueueName="east")
    other = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{handle.port}", region_name="eu-west-1",
                         aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    other.create_queue(QueueName="west")
    build_dynamodb(handle.port)
    only_sqs_eu = http_request(handle.port, "POST", "/_mallard/state/save?services=sqs&regions=eu-west-1")
    assert only_sqs_eu.status == 200
    path = tmp_path / "filtered.jsonl"
    path.write_bytes(only_sqs_eu.body)
    sections = summary_counts(json.loads(cli("inspect", str(path)).stdout))
    assert list(sections) == [("sqs", "000000000000", "eu-west-1")]
    # A load filtered to a region not in the file loads nothing; the one in it loads.
    fresh = server()
    result = cli("load", str(path), "--endpoint", f"http://127.0.0.1:{fresh.port}", "--regions", "us-east-1")
    assert result.returncode == 0, result.stderr
    assert live_sections(fresh.port) == {}
    result = cli("load", str(path), "--endpoint", f"http://127.0.0.1:{fresh.port}", "--services", "sqs")
    assert result.returncode == 0, result.stderr
    assert set(live_sections(fresh.port)) == {("sqs", "000000000000", "eu-west-1")}
    # Live inspect through the CLI, filtered.
    live = cli("inspect", "--endpoint", f"http://127.0.0.1:{handle.port}", "--services", "dynamodb")
    assert live.returncode == 0, live.stderr
    assert {s[0] for s in summary_counts(json.loads(live.stdout))} == {"dynamodb"}


def test_a_snapshot_naming_a_service_this_server_lacks_changes_nothing(server):
    handle = server()
    sqs(handle.port).create_queue(QueueName="stays")
    snapshot = http_request(handle.port, "POST", "/_mallard/state/save").body.decode().splitlines()
    header, trailer = snapshot[0], snapshot[-1]
    body = "\n".join([header,
                      json.dumps({"section": {"service": "kinesis", "account": "000000000000", "region": REGION, "record_version": 1}}),
                      json.dumps({"kind": "stream", "body": {"StreamName": "s"}}),
                      json.dumps({"end_section": {"counts": {"stream": 1}}}),
                      json.dumps({"end": {"sections": 1, "records": 1}})]) + "\n"
    response = http_request(handle.port, "POST", "/_mallard/state/load?merge=overwrite", body=body.encode(),
                            headers={"Content-Type": "application/x-ndjson"})
    assert response.status == 400 and b"kinesis" in response.body, response.body
    assert sqs(handle.port).list_queues()["QueueUrls"][0].endswith("/stays")
    bad_line = "\n".join([header, "{not json", trailer]) + "\n"
    response = http_request(handle.port, "POST", "/_mallard/state/inspect", body=bad_line.encode(),
                            headers={"Content-Type": "application/x-ndjson"})
    assert response.status == 400 and b"line 2" in response.body, response.body


# ---- across stores ---------------------------------------------------------------------------------

from redis_e2e import redis_server  # noqa: E402,F401  (the module's throw-away redis-server)


def test_a_snapshot_moves_from_the_memory_store_to_redis_and_back(server, tmp_path, redis_server):
    memory = server()
    build_sqs_state(memory.port)
    build_dynamodb(memory.port)
    build_sns(memory.port)
    first = http_request(memory.port, "POST", "/_mallard/state/save")
    assert first.status == 200
    on_redis = server("--backend-sqs", redis_server.url("state-sqs:"), "--backend-dynamodb", redis_server.url("state-ddb:"),
                      "--backend-sns", redis_server.url("state-sns:"))
    loaded = http_request(on_redis.port, "POST", "/_mallard/state/load", body=first.body,
                          headers={"Content-Type": "application/x-ndjson"})
    assert loaded.status == 200, f"loading into the Redis stores: {loaded.body[:500]!r}"
    second = http_request(on_redis.port, "POST", "/_mallard/state/save")
    assert second.status == 200, second.body[:500]
    assert records_of(second.body) == records_of(first.body)
    back = server()
    loaded = http_request(back.port, "POST", "/_mallard/state/load", body=second.body,
                          headers={"Content-Type": "application/x-ndjson"})
    assert loaded.status == 200, loaded.body[:500]
    third = http_request(back.port, "POST", "/_mallard/state/save").body
    assert records_of(third) == records_of(first.body)


# ---- how long a save holds writers -----------------------------------------------------------------

def test_measure_how_long_a_save_of_10k_messages_holds_sends(server):
    """Prints (never asserts) the SendMessage latencies while a save of 10,000 messages runs."""
    handle = server()
    client_ = sqs(handle.port)
    url = client_.create_queue(QueueName="big")["QueueUrl"]
    entries = [{"Id": str(i), "MessageBody": "x" * 200} for i in range(10)]
    for _ in range(1000):
        client_.send_message_batch(QueueUrl=url, Entries=entries)
    latencies: list[float] = []
    stop = threading.Event()

    def sender():
        c = sqs(handle.port)
        while not stop.is_set():
            started = time.monotonic()
            c.send_message(QueueUrl=url, MessageBody="during")
            latencies.append(time.monotonic() - started)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    baseline = len(latencies)
    started = time.monotonic()
    saved = http_request(handle.port, "POST", "/_mallard/state/save", timeout=120)
    save_seconds = time.monotonic() - started
    during = latencies[baseline:]
    stop.set()
    for thread in threads:
        thread.join(10)
    assert saved.status == 200
    during.sort()
    if during:
        print(f"\nsave of {len(saved.body.splitlines()) - 1} lines ({len(saved.body) / 1e6:.1f} MB) took {save_seconds * 1000:.0f} ms; "
              f"{len(during)} sends meanwhile: p50 {during[len(during) // 2] * 1000:.1f} ms, "
              f"p99 {during[int(len(during) * 0.99)] * 1000:.1f} ms, max {during[-1] * 1000:.1f} ms")
