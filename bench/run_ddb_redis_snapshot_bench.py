#!/usr/bin/env python3
"""run_ddb_redis_snapshot_bench.py — DynamoDB snapshots on the Redis store (issue 18).

Starts a redis-server on loopback (AOF, appendfsync always, as the backends are meant to run) and
`mallard serve --backend-dynamodb redis://…`, writes --writes items through PutItem into a table
with a GSI, a stream and PITR on (so it has stream records and PITR history), then grows the table
to --items items by loading a snapshot that holds them (ImportTable), and times:

  load   POST /_mallard/state/load of that snapshot (the table replaced whole)
  save   POST /_mallard/state/save (ExportScope: the snapshot script, then the copies read in pages)

While the save runs, one thread keeps writing PutItem to a second table of the same account and
region (its writes wait while the export holds the scope) and another to a table of another region
(they should not), and the script reports both latencies; Redis' SLOWLOG gives how long the
snapshot script itself kept Redis busy (every other command waits while a script runs) and the
longest page read. Prints one line per measure. Loopback only; everything it starts is
stopped and its temporary directory removed on exit. Python 3 standard library only.

  bench/run_ddb_redis_snapshot_bench.py --items 200000 [--writes 5000] [--mallard build/mallard]
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, subprocess.CalledProcessError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"bench: {what} did not come up")


class Server:
    def __init__(self, port):
        self.port = port

    def call(self, method, path, body=b"", headers=None, timeout=600):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data

    def ddb(self, operation, payload, region="us-east-1"):
        # --auth none: the signature is not checked, the credential scope names the region.
        status, data = self.call("POST", "/", json.dumps(payload).encode(),
                                 {"X-Amz-Target": f"DynamoDB_20120810.{operation}",
                                  "Content-Type": "application/x-amz-json-1.0",
                                  "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20250101/" + region +
                                                   "/dynamodb/aws4_request, SignedHeaders=host, Signature=0"})
        if status != 200:
            raise SystemExit(f"bench: {operation} answered {status}: {data[:300]!r}")
        return json.loads(data)


def item(i, width):
    return {"pk": {"S": f"p{i % 997}"}, "sk": {"N": str(i)}, "g": {"S": f"g{i % 100}"},
            "n": {"N": f"{i}.{i % 1000:03d}00000000000000000001"}, "data": {"S": "x" * width}}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--writes", type=int, default=5_000, help="PutItems first (stream records and PITR history)")
    parser.add_argument("--width", type=int, default=150, help="bytes of filler per item")
    parser.add_argument("--mallard", default=os.path.join(ROOT, "build", "mallard"))
    args = parser.parse_args()

    temp = tempfile.mkdtemp(prefix="mallard-ddb-snapshot-bench-")
    processes = []
    try:
        redis_port, port = free_port(), free_port()
        processes.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
             "--appendfsync", "always", "--dir", temp, "--logfile", os.path.join(temp, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        def redis_cli(*words):
            return subprocess.run(["redis-cli", "-p", str(redis_port), *words], capture_output=True,
                                  check=True).stdout.decode(errors="replace")

        wait_until(lambda: redis_cli("PING").strip() == "PONG", "redis-server")
        log = open(os.path.join(temp, "mallard.log"), "w")
        processes.append(subprocess.Popen(
            [args.mallard, "serve", "--port", str(port), "--threads", "2",
             "--backend-dynamodb", f"redis://127.0.0.1:{redis_port}/0?timeout_ms=30000"],
            stdout=log, stderr=subprocess.STDOUT))
        server = Server(port)
        wait_until(lambda: server.call("GET", "/_mallard/health")[0] == 200, "mallard")

        for name, region in (("bench", "us-east-1"), ("side", "us-east-1"), ("side", "us-west-2")):
            server.ddb("CreateTable", {
                "TableName": name, "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"},
                                         {"AttributeName": "g", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "GlobalSecondaryIndexes": [{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "ALL"}}],
                "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}, region)
        wait_until(lambda: server.ddb("DescribeTable", {"TableName": "bench"})["Table"]["TableStatus"] == "ACTIVE",
                   "table bench", 60)
        server.ddb("UpdateContinuousBackups", {"TableName": "bench",
                                               "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}})
        for i in range(args.writes):
            server.ddb("PutItem", {"TableName": "bench", "Item": item(i, args.width)})

        # The snapshot of this state, with the table grown to --items items.
        status, saved = server.call("POST", "/_mallard/state/save")
        assert status == 200, saved[:300]
        lines = saved.decode().splitlines()
        out, extra = [], 0
        for line in lines:
            record = json.loads(line)
            if record.get("kind") == "table" and record["body"].get("TableName") == "bench":
                out.append(line)
                for i in range(args.writes, args.items):
                    out.append(json.dumps({"kind": "item", "body": {"TableName": "bench", "Item": item(i, args.width)}}))
                    extra += 1
                continue
            out.append(line)
        # Fix the counts: the dynamodb section's items and the trailer's records.
        fixed = []
        for line in out:
            record = json.loads(line)
            if "end_section" in record and "item" in record["end_section"]["counts"]:
                record["end_section"]["counts"]["item"] += extra
                line = json.dumps(record)
            elif "end" in record:
                record["end"]["records"] += extra
                line = json.dumps(record)
            fixed.append(line)
        snapshot = ("\n".join(fixed) + "\n").encode()

        started = time.monotonic()
        status, body = server.call("POST", "/_mallard/state/load?merge=service-merge", snapshot,
                                   {"Content-Type": "application/x-ndjson"})
        load_seconds = time.monotonic() - started
        if status != 200:
            raise SystemExit(f"bench: load answered {status}: {body[:500]!r}")
        count = server.ddb("DescribeTable", {"TableName": "bench"})["Table"]["ItemCount"]

        redis_cli("CONFIG", "SET", "slowlog-log-slower-than", "0")
        redis_cli("CONFIG", "SET", "slowlog-max-len", "1000000")
        redis_cli("SLOWLOG", "RESET")
        latencies = {"us-east-1": [], "us-west-2": []}
        stop = threading.Event()

        def writer(region):
            side = Server(port)
            n = 0
            while not stop.is_set():
                n += 1
                began = time.monotonic()
                side.ddb("PutItem", {"TableName": "side", "Item": item(n, 100)}, region)
                latencies[region].append((began, time.monotonic() - began))

        threads = [threading.Thread(target=writer, args=(region,)) for region in latencies]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        started = time.monotonic()
        status, exported = server.call("POST", "/_mallard/state/save")
        save_seconds = time.monotonic() - started
        ended = time.monotonic()
        time.sleep(0.2)
        stop.set()
        for thread in threads:
            thread.join(60)
        assert status == 200, exported[:300]
        item_lines = sum(1 for line in exported.splitlines() if line.startswith(b'{"kind":"item"'))
        def window(region):
            during = sorted(seconds for began, seconds in latencies[region] if began + seconds >= started and began <= ended)
            before = sorted(seconds for began, seconds in latencies[region] if began + seconds < started)
            return before, during
        # SLOWLOG GET: id, time, microseconds, [command words]...; the longest EVALSHA is the snapshot script.
        # SLOWLOG GET (raw): id, time, microseconds, then the command's words. The snapshot script is
        # the EVAL/EVALSHA with four keys (SnapshotScope); every other script call is a page read.
        slowlog = redis_cli("SLOWLOG", "GET", "-1").split("\n")
        script_micros, page_micros = 0, []
        for index, word in enumerate(slowlog):
            if word.strip() in ("EVALSHA", "EVAL") and 1 <= index < len(slowlog) - 2:
                try:
                    micros = int(slowlog[index - 1])
                except ValueError:
                    continue
                if slowlog[index + 2].strip() == "4":
                    script_micros = max(script_micros, micros)
                else:
                    page_micros.append(micros)
        page_micros.sort()

        def ms(values, q):
            return values[min(len(values) - 1, int(len(values) * q))] * 1000 if values else float("nan")

        print(f"items {count} (+{args.writes} PutItems: stream records and PITR history); snapshot "
              f"{len(snapshot) / 1e6:.1f} MB")
        print(f"load (ImportTable) {load_seconds:.1f} s")
        print(f"save (ExportScope) {save_seconds:.2f} s, {item_lines} item records, {len(exported) / 1e6:.1f} MB")
        print(f"snapshot script (Redis busy meanwhile) {script_micros / 1000:.1f} ms; other script calls (page reads, "
              f"writes): {len(page_micros)}, longest {page_micros[-1] / 1000 if page_micros else 0:.1f} ms")
        for region, what in (("us-east-1", "same scope (waits for the export)"), ("us-west-2", "another scope")):
            before, during = window(region)
            print(f"PutItem, {what}: before p50 {ms(before, 0.5):.1f} ms; during the save {len(during)} writes, "
                  f"p50 {ms(during, 0.5):.1f} ms, p99 {ms(during, 0.99):.1f} ms, max {ms(during, 1.0):.1f} ms")
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
