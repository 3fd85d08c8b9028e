#!/usr/bin/python3
"""S3 benchmark: PUT/GET throughput and latency for 4 KiB and 16 MiB objects and ListObjectsV2 paging
over many keys, for Mallard's file store, Mallard's memory store and moto_server, side by side (each
started here on a free loopback port, one after the other, so they never share the machine).

The load generator is the same for every server: raw unsigned path-style HTTP/1.1 requests over
keep-alive connections. PUT/GET (4 KiB and 16 MiB) use the native generator `s3_load` (bench/s3_load.cpp,
built as build/bench/s3_load; --s3-load names another): one event-loop thread drives all connections,
so it does not cap the figures on a 2-core machine. When that binary is absent, a Python generator
(http.client, one connection per worker *process*) stands in, and every line it measured says
"[python generator]": its figures are capped by the generator's own CPU. boto3 would cost more client
CPU per request than Mallard's whole answer. Both servers accept unsigned requests by default. Per
scenario it prints requests/s (and MiB/s), latency p50/p99, the CPU seconds the generator and the
server used per second of wall time (if the generator's figure approaches the machine's cores, the
generator is the bottleneck: the line says so).

Scenarios (per server):
  * put4k/get4k at 1 and --clients (16) concurrent clients for --duration seconds each;
  * put16m/get16m: --large-count objects of 16 MiB, one client (MiB/s, against the disk's
    sequential write speed measured with `dd conv=fsync` in the same file system as the file store);
  * list: ListObjectsV2 paging (1,000 keys a page) through --list-keys keys (100,000), one client,
    and one listing with a delimiter over the same keys. Keys are seeded with PUTs from --clients
    processes (the seeding rate is printed too); for the file store, whose every PUT is synced to disk,
    --seed-files-by-hand writes the files directly into DIR/bucket/ (the store lists files placed by hand).

Prints figures only; asserts nothing.

    /usr/bin/python3 bench/run_s3_bench.py [--duration 5] [--clients 16] [--large-count 8] \
        [--list-keys 100000] [--servers mallard-file,mallard-memory,moto] [--mallard build/mallard] \
        [--s3-load build/bench/s3_load]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
CORES = os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# Neither server verifies signatures by default, but moto answers anonymous GETs of private objects with
# 403: every request carries the same SigV4-shaped Authorization (an access key and a credential scope
# naming s3), built once, so the generator pays nothing per request for signing.
AUTH_HEADERS = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
                     "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + "0" * 64,
    "x-amz-date": "20260101T000000Z",
    "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
}


class Connection:
    """One keep-alive HTTP/1.1 connection; reconnects if the server closed it."""

    def __init__(self, port: int, timeout: float = 120):
        self.port, self.timeout = port, timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def send(self, method: str, path: str, body: bytes = b"", read_chunk: int = 0) -> tuple[int, int, bytes]:
        """(status, body length, body or b"" when read in chunks and discarded)."""
        headers = {"Host": f"127.0.0.1:{self.port}", **AUTH_HEADERS}
        if method == "PUT":
            headers["Content-Length"] = str(len(body))
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body if body else None, headers)
                response = self.conn.getresponse()
                if read_chunk:
                    total = 0
                    while True:
                        piece = response.read(read_chunk)
                        if not piece:
                            break
                        total += len(piece)
                    return response.status, total, b""
                data = response.read()
                return response.status, len(data), data
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children) from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


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

    def cpu(self) -> float:
        return process_cpu_seconds(self.proc.pid)

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
# Workers (processes)
# ---------------------------------------------------------------------------------------------


def timed_worker(worker_index: int, port: int, method: str, paths: list[str], body: bytes, start_at: float, stop_at: float,
                 max_requests: int, out) -> None:
    """Send method to paths (cycling) from start_at until stop_at or max_requests; report counts,
    latencies (sampled to 20k) and this process's CPU seconds."""
    connection = Connection(port)
    latencies: list[float] = []
    errors = 0
    nbytes = 0
    first_error = ""
    while time.time() < start_at:
        time.sleep(0.0005)
    cpu_start = time.process_time()
    index = 0
    while time.time() < stop_at and index < max_requests:
        path = paths[index % len(paths)]
        index += 1
        started = time.perf_counter()
        status, length, data = connection.send(method, path, body, read_chunk=MIB if method == "GET" else 0)
        latencies.append(time.perf_counter() - started)
        nbytes += length if method == "GET" else len(body)
        if status != 200:
            errors += 1
            if not first_error:
                first_error = f"{status} {data[:200]!r}"
    out.put((worker_index, len(latencies), errors, first_error, nbytes, time.process_time() - cpu_start,
             latencies[::max(1, len(latencies) // 20000)]))


def run_workers(server: Server, method: str, path_sets: list[list[str]], body: bytes, duration: float,
                max_requests: int = 1 << 62) -> dict:
    out = multiprocessing.Queue()
    start_at = time.time() + 0.5
    stop_at = start_at + duration
    workers = [multiprocessing.Process(target=timed_worker,
                                       args=(index, server.port, method, paths, body, start_at, stop_at, max_requests, out))
               for index, paths in enumerate(path_sets)]
    for worker in workers:
        worker.start()
    while time.time() < start_at:
        time.sleep(0.001)
    server_cpu = server.cpu()
    wall_start = time.perf_counter()
    results = sorted(out.get() for _ in workers)
    per_worker = [r[1] for r in results]
    results = [r[1:] for r in results]
    wall = time.perf_counter() - wall_start
    server_cpu = server.cpu() - server_cpu
    for worker in workers:
        worker.join()
    latencies = [latency for r in results for latency in r[5]]
    return {
        "requests": sum(r[0] for r in results), "errors": sum(r[1] for r in results),
        "first_error": next((r[2] for r in results if r[2]), ""), "bytes": sum(r[3] for r in results),
        "client_cpu": sum(r[4] for r in results), "server_cpu": server_cpu, "wall": wall,
        "p50": percentile(latencies, 50) * 1000, "p99": percentile(latencies, 99) * 1000,
        "per_worker": per_worker,
    }


def report(server: str, scenario: str, clients: int, r: dict, rows: list) -> None:
    rate = r["requests"] / r["wall"]
    mib_s = r["bytes"] / MIB / r["wall"]
    client_cores = r["client_cpu"] / r["wall"]
    server_cores = r["server_cpu"] / r["wall"]
    note = ""
    if client_cores > 0.6 * CORES:
        note = f"  [generator used {client_cores:.1f} of {CORES} cores: it may be the bottleneck]"
    if r["errors"]:
        note += f"  [{r['errors']} errors, first: {r['first_error']}]"
    if r.get("generator") != "native" and scenario in ("put4k", "get4k", "put16m", "get16m"):
        note += "  [python generator]"
    print(f"{server:15} {scenario:8} clients={clients:<3} {rate:9.1f} req/s {mib_s:8.1f} MiB/s  "
          f"p50 {r['p50']:8.2f} ms  p99 {r['p99']:8.2f} ms  cpu: generator {client_cores:.2f} server "
          f"{server_cores:.2f} cores{note}", flush=True)
    rows.append((server, scenario, clients, rate, mib_s, r["p50"], r["p99"], client_cores, server_cores))


# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------


def create_bucket(server: Server, name: str) -> None:
    status, _, data = Connection(server.port).send("PUT", f"/{name}")
    if status != 200:
        raise RuntimeError(f"{server.name}: CreateBucket {name} answered {status}: {data[:300]!r}")


def native_load(server: Server, args, bucket: str, prefix: str, scenarios: list[str], size: int, clients: int,
                duration: float | None = None, count: int | None = None) -> list[dict]:
    """Runs bench/s3_load against the server; one result dict per scenario, shaped like run_workers'."""
    cmd = [args.s3_load, "--endpoint", f"http://127.0.0.1:{server.port}", "--scenario", ",".join(scenarios),
           "--connections", str(clients), "--size", str(size), "--bucket", bucket, "--no-create-bucket",
           "--prefix", prefix, "--server-pid", str(server.proc.pid), "--json", "--timeout", "600"]
    cmd += ["--count", str(count)] if count else ["--duration", str(duration), "--warmup", "0.5"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if not proc.stdout.strip():
        raise RuntimeError(f"s3_load failed ({proc.returncode}): {proc.stderr[-2000:]}")
    results = []
    for r in json.loads(proc.stdout)["results"]:
        seconds = r["seconds"] or 1e-9
        results.append({
            "requests": r["requests"], "errors": r["errors"], "first_error": r["first_error"],
            "bytes": r["mib_per_s"] * MIB * seconds, "client_cpu": r["generator_cpu_cores"] * seconds,
            "server_cpu": r["server_cpu_cores"] * seconds, "wall": seconds,
            "p50": r["latency_ms"]["p50"], "p99": r["latency_ms"]["p99"], "generator": "native",
        })
    return results


def small_objects(server: Server, args, rows: list) -> None:
    bucket = f"bench-small-{uuid.uuid4().hex[:8]}"
    create_bucket(server, bucket)
    if args.s3_load:
        results = {}
        for clients in (1, args.clients):
            put, get = native_load(server, args, bucket, f"c{clients}/", ["put", "get"], 4096, clients,
                                   duration=args.duration)
            results[clients] = (put, get)
            report(server.name, "put4k", clients, put, rows)
        for clients in (1, args.clients):
            report(server.name, "get4k", clients, results[clients][1], rows)
        return
    body = os.urandom(4096)
    written: list[str] = []
    for clients in (1, args.clients):
        path_sets = [[f"/{bucket}/c{clients}/w{w}/{i}" for i in range(200_000)] for w in range(clients)]
        result = run_workers(server, "PUT", path_sets, body, args.duration)
        report(server.name, "put4k", clients, result, rows)
        written += [p for paths, done in zip(path_sets, result["per_worker"]) for p in paths[:done]]
    written = written[:50_000]
    for clients in (1, args.clients):
        path_sets = [written[w::clients] or written for w in range(clients)]
        report(server.name, "get4k", clients, run_workers(server, "GET", path_sets, b"", args.duration), rows)


def large_objects(server: Server, args, rows: list) -> None:
    bucket = f"bench-large-{uuid.uuid4().hex[:8]}"
    create_bucket(server, bucket)
    if args.s3_load:
        put, get = native_load(server, args, bucket, "large/", ["put", "get"], 16 * MIB, 1,
                               count=args.large_count)
        report(server.name, "put16m", 1, put, rows)
        # One GET of each object (the Python generator reads each twice).
        report(server.name, "get16m", 1, get, rows)
        return
    body = os.urandom(16 * MIB)
    paths = [[f"/{bucket}/large/{i}" for i in range(args.large_count)]]
    report(server.name, "put16m", 1, run_workers(server, "PUT", paths, body, 600, args.large_count), rows)
    report(server.name, "get16m", 1, run_workers(server, "GET", paths, b"", 600, args.large_count * 2), rows)


def seed_by_hand(store_dir: Path, bucket: str, keys: list[str]) -> None:
    for key in keys:
        path = store_dir / bucket / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 16)


def listing(server: Server, args, rows: list, store_dir: Path | None) -> None:
    bucket = f"bench-list-{uuid.uuid4().hex[:8]}"
    create_bucket(server, bucket)
    keys = [f"d{i % 100:02d}/k{i:07d}" for i in range(args.list_keys)]
    started = time.perf_counter()
    if store_dir is not None and args.seed_files_by_hand:
        seed_by_hand(store_dir, bucket, keys)
        print(f"{server.name:15} seed     {len(keys)} files written by hand in {time.perf_counter() - started:.1f}s")
    else:
        clients = args.clients
        path_sets = [[f"/{bucket}/{k}" for k in keys[w::clients]] for w in range(clients)]
        result = run_workers(server, "PUT", path_sets, b"x" * 16, 3600, (len(keys) + clients - 1) // clients)
        report(server.name, "seed", clients, result, rows)
    connection = Connection(server.port)
    # Twice through the whole bucket: the first pass over files written by hand also computes their MD5s.
    for label, query in (("list", "list-type=2&max-keys=1000"), ("list-2nd", "list-type=2&max-keys=1000"),
                         ("list-dl", "list-type=2&delimiter=/&prefix=d07/")):
        page_times: list[float] = []
        listed = 0
        token = None
        cpu_before = server.cpu()
        wall_start = time.perf_counter()
        while True:
            path = f"/{bucket}?{query}"
            if token:
                path += "&continuation-token=" + urllib_quote(token)
            started = time.perf_counter()
            status, _, data = connection.send("GET", path)
            page_times.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{server.name}: ListObjectsV2 answered {status}: {data[:300]!r}")
            root = ET.fromstring(data)
            ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
            listed += len(root.findall(f"{ns}Contents"))
            token = root.findtext(f"{ns}NextContinuationToken")
            if root.findtext(f"{ns}IsTruncated") != "true" or not token:
                break
        wall = time.perf_counter() - wall_start
        server_cores = (server.cpu() - cpu_before) / wall
        expected = len(keys) // 100 if label == "list-dl" else len(keys)
        check = "" if listed == expected else f"  [listed {listed}, expected {expected}]"
        print(f"{server.name:15} {label:8} {listed} keys in {len(page_times)} pages: {wall:.2f}s, "
              f"{listed / wall:,.0f} keys/s, page p50 {percentile(page_times, 50) * 1000:.1f} ms "
              f"p99 {percentile(page_times, 99) * 1000:.1f} ms, server {server_cores:.2f} cores{check}", flush=True)
        rows.append((server.name, label, 1, len(page_times) / wall, listed / wall, percentile(page_times, 50) * 1000,
                     percentile(page_times, 99) * 1000, float("nan"), server_cores))


def urllib_quote(value: str) -> str:
    import urllib.parse
    return urllib.parse.quote(value, safe="")


def disk_write_speed(directory: Path) -> float:
    """MB/s of `dd bs=1M count=1024 conv=fsync` into directory (decimal MB, as dd prints)."""
    target = directory / "dd-bench.bin"
    try:
        proc = subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", "count=1024", "conv=fsync"],
                              capture_output=True, text=True, timeout=600)
    finally:
        target.unlink(missing_ok=True)
    match = re.search(r"(\d+) bytes .* copied, ([\d.]+) s", proc.stderr)
    if not match:
        raise RuntimeError(f"dd said: {proc.stderr}")
    return int(match.group(1)) / float(match.group(2)) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5, help="seconds per 4 KiB scenario")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients for the loaded runs")
    parser.add_argument("--large-count", type=int, default=8, help="16 MiB objects to PUT and GET")
    parser.add_argument("--list-keys", type=int, default=100_000)
    parser.add_argument("--seed-files-by-hand", action=argparse.BooleanOptionalAction, default=True,
                        help="file store: write the listing's keys as files directly (default) instead of PUTs")
    parser.add_argument("--servers", default="mallard-file,mallard-memory,moto")
    parser.add_argument("--scenarios", default="small,large,list")
    parser.add_argument("--mallard", default=str(REPO_ROOT / "build" / "mallard"))
    parser.add_argument("--work-dir", default=None, help="where the file store and dd write (default: a temp dir)")
    parser.add_argument("--s3-load", default=str(REPO_ROOT / "build" / "bench" / "s3_load"),
                        help="the native load generator (bench/s3_load.cpp) for PUT/GET")
    args = parser.parse_args()
    if not os.access(args.s3_load, os.X_OK):
        print(f"{args.s3_load} not found: PUT/GET are measured with the Python generator (http.client, one "
              f"process per connection), whose own CPU caps the figures on this machine; build the s3_load target")
        args.s3_load = None

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="mallard-s3-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    scenarios = args.scenarios.split(",")
    print(f"{CORES} cores; work dir {work}")
    disk = disk_write_speed(work)
    print(f"disk sequential write (dd bs=1M count=1024 conv=fsync): {disk:.0f} MB/s = {disk * 1e6 / MIB:.0f} MiB/s",
          flush=True)
    moto = shutil.which("moto_server") or ("/root/.pyenv/shims/moto_server"
                                           if os.access("/root/.pyenv/shims/moto_server", os.X_OK) else None)
    rows: list = []
    for name in args.servers.split(","):
        port = free_port()
        store_dir = None
        if name == "mallard-file":
            store_dir = work / "file-store"
            shutil.rmtree(store_dir, ignore_errors=True)
            store_dir.mkdir()
            cmd = [args.mallard, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warn",
                   "--backend-s3", f"file://{store_dir}"]
            ready = "/_mallard/health"
        elif name == "mallard-memory":
            cmd = [args.mallard, "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warn",
                   "--backend-s3", "memory"]
            ready = "/_mallard/health"
        elif name == "moto":
            if not moto:
                print("moto_server not found; skipping peer")
                continue
            cmd = [moto, "-H", "127.0.0.1", "-p", str(port)]
            ready = "/moto-api/"
        else:
            raise SystemExit(f"unknown server {name}")
        server = Server(name, cmd, port, ready, work / f"{name}.log")
        try:
            if "small" in scenarios:
                small_objects(server, args, rows)
            if "large" in scenarios:
                large_objects(server, args, rows)
            if "list" in scenarios:
                listing(server, args, rows, store_dir)
        finally:
            server.stop()
            if store_dir is not None:
                shutil.rmtree(store_dir, ignore_errors=True)

    by_key = {(r[0], r[1], r[2]): r for r in rows}
    print()
    for scenario, clients in (("put4k", 1), ("put4k", args.clients), ("get4k", 1), ("get4k", args.clients),
                              ("put16m", 1), ("get16m", 1), ("list", 1), ("list-2nd", 1)):
        moto_row = by_key.get(("moto", scenario, clients))
        for store in ("mallard-file", "mallard-memory"):
            row = by_key.get((store, scenario, clients))
            if row and moto_row:
                print(f"{scenario} x{clients}: {store} {row[3] / max(1e-9, moto_row[3]):.1f}x moto's rate")
    for store in ("mallard-file", "mallard-memory"):
        row = by_key.get((store, "put16m", 1))
        if row:
            print(f"put16m: {store} {row[4]:.0f} MiB/s = {row[4] / (disk * 1e6 / MIB):.2f} of the disk's "
                  f"sequential write speed")


if __name__ == "__main__":
    main()
