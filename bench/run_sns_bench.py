#!/usr/bin/python3
"""SNS benchmark: Publish throughput and publish-to-receive latency, fanning out to 1 and to 10 SQS
queues, side by side for Mallard and moto_server (both on free loopback ports, started here).

For each server and each fan-out (1, 10 queues subscribed to one topic, enveloped delivery):
  * throughput: --publishers worker processes, each on one keep-alive HTTP connection, send Publish
    for --duration seconds as fast as the server answers. The requests are built and SigV4-signed
    once, before the clock starts, and re-sent byte for byte (neither server checks signatures by
    default; the credential scope routes the request to SNS), so the client costs only the socket
    I/O of http.client. Prints publishes/s, deliveries/s (publishes × queues) and Publish latency
    p50/p99. Processes, not threads, so Python's GIL is not the ceiling.
  * latency: one publisher sends --samples messages, one every --interval-ms, while one thread per
    queue long-polls ReceiveMessage; for each message, the time from just before Publish until it was
    received from every queue (publish-to-visible), and the Publish call alone. p50/p99/max.

Prints figures only; asserts nothing.

    bench/run_sns_bench.py [--duration 5] [--publishers 4] [--samples 300] [--interval-ms 5]
                           [--mallard build/mallard] [--servers mallard,moto] [--message-size 256]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import botocore.auth
import botocore.awsrequest
import botocore.credentials

REGION = "us-east-1"
REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Requests: awsQuery form bodies, signed once.
# ---------------------------------------------------------------------------------------------


def signed_request(port: int, service: str, params: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode(params).encode()
    request = botocore.awsrequest.AWSRequest(
        method="POST", url=f"http://127.0.0.1:{port}/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), service, REGION).add_auth(request)
    headers = dict(request.headers.items())
    headers["Host"] = f"127.0.0.1:{port}"
    headers["Content-Length"] = str(len(body))
    return body, headers


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects if the server closed it."""

    def __init__(self, port: int, timeout: float = 30):
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in (0, 1):
            try:
                self.conn.request("POST", "/", body, headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def call(port: int, service: str, params: dict[str, str]) -> ET.Element:
    body, headers = signed_request(port, service, params)
    status, answer = Connection(port).post(body, headers)
    if status != 200:
        raise RuntimeError(f"{service} {params.get('Action')} answered {status}: {answer[:300]!r}")
    return ET.fromstring(answer)


def find_text(root: ET.Element, name: str) -> str:
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] == name:
            return element.text or ""
    raise KeyError(name)


# ---------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------


class Server:
    def __init__(self, name: str, cmd: list[str], port: int, ready_path: str, log: Path):
        self.name, self.port = name, port
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True,
                                     env={k: v for k, v in os.environ.items() if not k.startswith("MALLARD_")})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.proc.returncode}; see {log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", ready_path)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{name} did not become ready; see {log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


# ---------------------------------------------------------------------------------------------
# Scenario set-up
# ---------------------------------------------------------------------------------------------


def make_fanout(port: int, queues: int) -> tuple[str, list[str]]:
    tag = uuid.uuid4().hex[:8]
    topic = find_text(call(port, "sns", {"Action": "CreateTopic", "Version": "2010-03-31", "Name": f"bench-{tag}"}),
                      "TopicArn")
    urls = []
    for i in range(queues):
        url = find_text(call(port, "sqs", {"Action": "CreateQueue", "Version": "2012-11-05",
                                           "QueueName": f"bench-{tag}-{i}"}), "QueueUrl")
        arn = find_text(call(port, "sqs", {"Action": "GetQueueAttributes", "Version": "2012-11-05", "QueueUrl": url,
                                           "AttributeName.1": "QueueArn"}), "Value")
        call(port, "sns", {"Action": "Subscribe", "Version": "2010-03-31", "TopicArn": topic, "Protocol": "sqs",
                           "Endpoint": arn})
        urls.append(url)
    return topic, urls


def tear_down(port: int, topic: str, urls: list[str]) -> None:
    for url in urls:
        call(port, "sqs", {"Action": "DeleteQueue", "Version": "2012-11-05", "QueueUrl": url})
    call(port, "sns", {"Action": "DeleteTopic", "Version": "2010-03-31", "TopicArn": topic})


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# ---------------------------------------------------------------------------------------------
# Throughput
# ---------------------------------------------------------------------------------------------


def publish_worker(port: int, body: bytes, headers: dict[str, str], start_at: float, stop_at: float, out) -> None:
    connection = Connection(port)
    latencies: list[float] = []
    errors = 0
    while time.time() < start_at:
        time.sleep(0.001)
    while True:
        started = time.perf_counter()
        if time.time() >= stop_at:
            break
        status, _ = connection.post(body, headers)
        latencies.append(time.perf_counter() - started)
        if status != 200:
            errors += 1
    out.put((len(latencies), errors, latencies[::max(1, len(latencies) // 20000)]))


def throughput(port: int, topic: str, publishers: int, duration: float, message_size: int) -> dict:
    body, headers = signed_request(port, "sns", {"Action": "Publish", "Version": "2010-03-31", "TopicArn": topic,
                                                 "Message": "m" * message_size})
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start_at = time.time() + 0.5
    workers = [context.Process(target=publish_worker, args=(port, body, headers, start_at, start_at + duration, out))
               for _ in range(publishers)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=duration + 120) for _ in workers]
    for worker in workers:
        worker.join(30)
    count = sum(r[0] for r in results)
    latencies = [x for r in results for x in r[2]]
    return {"publishes_per_s": count / duration, "errors": sum(r[1] for r in results),
            "p50_ms": percentile(latencies, 50) * 1e3, "p99_ms": percentile(latencies, 99) * 1e3}


# ---------------------------------------------------------------------------------------------
# Publish-to-visible latency
# ---------------------------------------------------------------------------------------------


def receiver(port: int, url: str, arrivals: dict, lock: threading.Lock, stop: threading.Event) -> None:
    body, headers = signed_request(port, "sqs", {"Action": "ReceiveMessage", "Version": "2012-11-05", "QueueUrl": url,
                                                 "MaxNumberOfMessages": "10", "WaitTimeSeconds": "1",
                                                 "VisibilityTimeout": "600"})
    connection = Connection(port)
    while not stop.is_set():
        status, answer = connection.post(body, headers)
        now = time.perf_counter()
        if status != 200:
            continue
        for element in ET.fromstring(answer).iter():
            if element.tag.rsplit("}", 1)[-1] == "Body" and element.text:
                message = json.loads(element.text)["Message"]
                with lock:
                    arrivals.setdefault(message, []).append(now)


def latency(port: int, topic: str, urls: list[str], samples: int, interval: float) -> dict:
    arrivals: dict[str, list[float]] = {}
    lock, stop = threading.Lock(), threading.Event()
    threads = [threading.Thread(target=receiver, args=(port, url, arrivals, lock, stop), daemon=True) for url in urls]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # every receiver is long-polling
    connection = Connection(port)
    sent: dict[str, float] = {}
    publish_times = []
    requests = []
    for i in range(samples):
        message = f"sample-{i}-{uuid.uuid4().hex[:6]}"
        requests.append((message, *signed_request(port, "sns", {"Action": "Publish", "Version": "2010-03-31",
                                                               "TopicArn": topic, "Message": message})))
    for message, body, headers in requests:
        started = time.perf_counter()
        sent[message] = started
        status, _ = connection.post(body, headers)
        publish_times.append(time.perf_counter() - started)
        time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with lock:
            if all(len(arrivals.get(m, [])) >= len(urls) for m in sent):
                break
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join(5)
    visible = []
    lost = 0
    for message, started in sent.items():
        seen = arrivals.get(message, [])
        if len(seen) < len(urls):
            lost += 1
            continue
        visible.append(max(seen) - started)
    return {"visible_p50_ms": percentile(visible, 50) * 1e3, "visible_p99_ms": percentile(visible, 99) * 1e3,
            "visible_max_ms": (max(visible) * 1e3) if visible else float("nan"),
            "publish_p50_ms": percentile(publish_times, 50) * 1e3, "publish_p99_ms": percentile(publish_times, 99) * 1e3,
            "incomplete": lost}


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of each throughput run")
    parser.add_argument("--publishers", type=int, default=4, help="publisher processes (one connection each)")
    parser.add_argument("--samples", type=int, default=300, help="messages of each latency run")
    parser.add_argument("--interval-ms", type=float, default=5.0, help="gap between latency samples")
    parser.add_argument("--message-size", type=int, default=256)
    parser.add_argument("--fanouts", default="1,10", help="queues per topic, comma-separated")
    parser.add_argument("--mallard", default=str(REPO_ROOT / "build" / "mallard"))
    parser.add_argument("--mallard-args", default="", help="extra `mallard serve` arguments")
    parser.add_argument("--servers", default="mallard,moto", help="which of mallard,moto to run, in order")
    args = parser.parse_args()

    out_dir = Path(tempfile.mkdtemp(prefix="sns_bench."))
    wanted = args.servers.split(",")
    servers = []
    if "mallard" in wanted:
        servers.append(("mallard", lambda port: [args.mallard, "serve", "--host", "127.0.0.1", "--port", str(port),
                                                 "--log-level", "warn", *args.mallard_args.split()], "/_mallard/health"))
    moto = shutil.which("moto_server") or ("/root/.pyenv/shims/moto_server"
                                           if os.access("/root/.pyenv/shims/moto_server", os.X_OK) else None)
    if "moto" in wanted:
        if moto:
            servers.append(("moto", lambda port: [moto, "-H", "127.0.0.1", "-p", str(port)], "/moto-api/"))
        else:
            print("moto_server not found; skipping peer")
    fanouts = [int(x) for x in args.fanouts.split(",")]
    print(f"# publishers={args.publishers} duration={args.duration}s message={args.message_size}B "
          f"samples={args.samples} interval={args.interval_ms}ms cpus={os.cpu_count()} logs={out_dir}")
    rows = []
    for name, command, ready in servers:
        port = free_port()
        server = Server(name, command(port), port, ready, out_dir / f"{name}.log")
        try:
            for fanout in fanouts:
                topic, urls = make_fanout(port, fanout)
                result = throughput(port, topic, args.publishers, args.duration, args.message_size)
                tear_down(port, topic, urls)
                topic, urls = make_fanout(port, fanout)
                result.update(latency(port, topic, urls, args.samples, args.interval_ms / 1e3))
                tear_down(port, topic, urls)
                rows.append((name, fanout, result))
                print(f"{name:8} fanout={fanout:<3} {json.dumps({k: round(v, 3) for k, v in result.items()})}",
                      flush=True)
        finally:
            server.stop()

    print()
    print(f"{'server':8} {'queues':>6} {'publish/s':>10} {'deliver/s':>10} {'pub p50':>8} {'pub p99':>8} "
          f"{'errors':>6} | {'vis p50':>8} {'vis p99':>8} {'vis max':>8} {'lat pub p50':>11} {'lost':>4}")
    for name, fanout, r in sorted(rows, key=lambda row: (row[1], row[0] != "mallard")):
        print(f"{name:8} {fanout:>6} {r['publishes_per_s']:>10.0f} {r['publishes_per_s'] * fanout:>10.0f} "
              f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>6} | {r['visible_p50_ms']:>8.2f} "
              f"{r['visible_p99_ms']:>8.2f} {r['visible_max_ms']:>8.2f} {r['publish_p50_ms']:>11.2f} {r['incomplete']:>4}")
    by_key = {(name, fanout): r for name, fanout, r in rows}
    for fanout in fanouts:
        if ("mallard", fanout) in by_key and ("moto", fanout) in by_key:
            ratio = by_key[("mallard", fanout)]["publishes_per_s"] / max(1e-9, by_key[("moto", fanout)]["publishes_per_s"])
            print(f"fanout {fanout}: mallard publishes {ratio:.1f}x moto's rate")
    print("(latencies in ms; vis = publish start to received from every subscribed queue)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
