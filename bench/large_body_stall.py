#!/usr/bin/env python3
"""How long large request bodies hold up small requests (issue 14).

Starts `mallard serve` (default build/mallard, or --binary), then sends --large concurrent DynamoDB
PutItem requests of --mib MiB each (an item far over the 400 KB limit: the server parses the whole
body and validates the item before refusing it) while one client sends small ListTables requests
back to back on its own connection. Prints the small requests' latency (median, p99, max) during
the large ones and without them. No assertion: the figures are the result.

  /usr/bin/python3 bench/large_body_stall.py [--binary PATH] [--threads 2] [--large 3] [--mib 11] [--rounds 5]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(conn: http.client.HTTPConnection, target: str, body: bytes) -> int:
    conn.request("POST", "/", body, {"Content-Type": "application/x-amz-json-1.0",
                                     "X-Amz-Target": f"DynamoDB_20120810.{target}"})
    response = conn.getresponse()
    response.read()
    return response.status


def small_latencies(port: int, stop: threading.Event) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    while not stop.is_set():
        started = time.perf_counter()
        post(conn, "ListTables", b"{}")
        latencies.append((time.perf_counter() - started) * 1000)
    conn.close()
    return latencies


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"n={len(ordered):6d}  median {statistics.median(ordered):7.2f} ms  p99 {p99:7.2f} ms  max {ordered[-1]:7.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.environ.get("MALLARD_BIN", str(REPO / "build" / "mallard")))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--large", type=int, default=3)
    parser.add_argument("--mib", type=float, default=11)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="mallard-stall-", suffix=".log", delete=False)
    server = subprocess.Popen([args.binary, "serve", "--port", str(port), "--threads", str(args.threads),
                               "--body-limit", str(64 << 20), "--log-level", "warn"],
                              stdout=log, stderr=subprocess.STDOUT, env={k: v for k, v in os.environ.items()
                                                                         if not k.startswith("MALLARD_")})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print(f"server did not start; log: {log.name}", file=sys.stderr)
                    return 1
                time.sleep(0.05)
        setup = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        post(setup, "CreateTable", json.dumps({
            "TableName": "stall", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}).encode())
        big = json.dumps({"TableName": "stall", "Item": {
            "pk": {"S": "k"}, "blob": {"S": "x" * int(args.mib * (1 << 20))}}}).encode()

        # Baseline: small requests alone for a second.
        stop = threading.Event()
        baseline: list[float] = []
        probe = threading.Thread(target=lambda: baseline.extend(small_latencies(port, stop)))
        probe.start()
        time.sleep(1)
        stop.set()
        probe.join()

        during: list[float] = []
        large_seconds: list[float] = []
        for _ in range(args.rounds):
            stop = threading.Event()
            probe = threading.Thread(target=lambda: during.extend(small_latencies(port, stop)))
            connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=120) for _ in range(args.large)]
            for conn in connections:
                conn.connect()
            probe.start()
            time.sleep(0.05)

            def send(conn: http.client.HTTPConnection) -> None:
                started = time.perf_counter()
                post(conn, "PutItem", big)
                large_seconds.append(time.perf_counter() - started)

            senders = [threading.Thread(target=send, args=(conn,)) for conn in connections]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join()
            stop.set()
            probe.join()
            for conn in connections:
                conn.close()
        print(f"binary {args.binary}, --threads {args.threads}, {args.rounds} rounds of {args.large} concurrent "
              f"{args.mib} MiB PutItem")
        print(f"  small requests alone:             {summary(baseline)}")
        print(f"  small requests during the large:  {summary(during)}")
        print(f"  large requests: median {statistics.median(large_seconds) * 1000:.0f} ms each")
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
