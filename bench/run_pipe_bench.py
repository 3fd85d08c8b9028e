#!/usr/bin/python3
"""Change-data-capture benchmark: PostgreSQL → DuckLake through `mallard pipe`.

For each scenario (1 and 4 tables × insert-only and mixed read/write, pgbench-driven):
  * snapshot: N rows per table are copied into the lake; rows/s until every table streams;
  * streaming: pgbench runs at full speed (-c clients, synchronous_commit off) for --duration s
    while /status is sampled every 250 ms: source TPS, changes/s the pipe routed, lag in bytes
    (source WAL − slot confirmed) and seconds (age of the oldest committed change not yet in the
    lake), flush latency p50/p99;
  * catch-up: seconds until the lag is zero once pgbench stops;
  * consistency: the pipe is stopped and every table is compared row by row (id, k, pad, amount)
    between PostgreSQL and the lake: PASS or FAIL.
A throw-away PostgreSQL 15 (Debian's, wal_level=logical) runs on a free loopback port.

    bench/run_pipe_bench.py [--rows 1000000] [--duration 20] [--clients 4] [--build-dir build]
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    def __init__(self, root: Path):
        self.bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
        self.dir = root / "pg"
        self.dir.mkdir()
        os.chmod(self.dir, 0o755)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()

    def run(self, *cmd: str) -> None:
        full = (["runuser", "-u", "postgres", "--"] if self.as_root else []) + list(cmd)
        subprocess.run(full, check=True, capture_output=True)

    def start(self) -> None:
        self.run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust")
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c wal_level=logical "
                 "-c shared_buffers=512MB -c max_wal_size=4GB -c max_connections=100", "start")

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")

    def conninfo(self, db: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={db}"

    def psql(self, sql: str, db: str = "postgres") -> str:
        out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", self.conninfo(db), "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()


def api(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return json.loads(response.read())


INSERT_SCRIPT = """\\set t random(1, {tables})
\\set k random(1, 1000000)
INSERT INTO t:t (k, pad, amount) VALUES (:k, md5(random()::text), 1.5);
"""

MIXED_SCRIPT = """\\set t random(1, {tables})
\\set id random(1, {rows})
\\set id2 random(1, {rows})
BEGIN;
SELECT pad FROM t:t WHERE id = :id;
UPDATE t:t SET amount = amount + 1, k = k + 1 WHERE id = :id;
DELETE FROM t:t WHERE id = :id2;
INSERT INTO t:t (k, pad, amount) VALUES (:id2, md5(random()::text), 2.5);
END;
"""


def scenario(args, root: Path, postgres: Postgres, tables: int, workload: str) -> dict:
    name = f"{tables}t_{workload}"
    db = "bench_" + name
    postgres.psql(f"CREATE DATABASE {db}")
    rows = args.rows // tables
    for t in range(1, tables + 1):
        postgres.psql(f"CREATE TABLE t{t} (id bigserial PRIMARY KEY, k int, pad text, amount numeric(12,2))", db)
        postgres.psql(f"INSERT INTO t{t} (k, pad, amount) SELECT g, md5(g::text), g * 0.5 FROM generate_series(1, {rows}) g", db)
    work = root / name
    work.mkdir()
    port = free_port()
    catalog = str(work / "lake.duckdb")
    log = open(work / "pipe.log", "wb")
    started = time.monotonic()
    pipe = subprocess.Popen([str(args.build_dir / "mallard"), "pipe", "--source", postgres.conninfo(db), "--lake-catalog",
                             catalog, "--work-dir", str(work / "work"), "--group", db, "--api-port", str(port),
                             "--tables", ",".join(f"t{t}" for t in range(1, tables + 1)),
                             "--flush-interval-ms", str(args.flush_interval_ms)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    while True:
        try:
            status = api(port, "/status")
            if len(status["tables"]) == tables and all(t["state"] == "STREAMING" for t in status["tables"]):
                break
        except OSError:
            pass
        if pipe.poll() is not None:
            raise SystemExit(f"pipe exited: {(work / 'pipe.log').read_text()[-2000:]}")
        time.sleep(0.05)
    snapshot_seconds = time.monotonic() - started
    script = work / "script.sql"
    script.write_text((INSERT_SCRIPT if workload == "insert" else MIXED_SCRIPT).format(tables=tables, rows=rows))
    env = dict(os.environ, PGOPTIONS="-c synchronous_commit=off")
    changes_before = api(port, "/status")["changes"]
    bench = subprocess.Popen(["pgbench", "-n", "-M", "simple", "-f", str(script), "-c", str(args.clients), "-j",
                              str(args.clients), "-T", str(args.duration), postgres.conninfo(db)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lag_bytes, lag_seconds = [], []
    t0 = time.monotonic()
    while bench.poll() is None:
        status = api(port, "/status")
        lag_bytes.append(status["slot_lag_bytes"])
        lag_seconds.append(max([t["lag_seconds"] for t in status["tables"]] + [0]))
        time.sleep(0.25)
    run_seconds = time.monotonic() - t0
    output = bench.stdout.read()
    tps = next((float(line.split("=")[1].split()[0]) for line in output.splitlines() if line.startswith("tps")), 0.0)
    if tps == 0.0:
        raise SystemExit(f"pgbench failed:\n{output[-2000:]}")
    changes = api(port, "/status")["changes"] - changes_before
    caught_up = time.monotonic()
    while True:
        status = api(port, "/status")
        if status["slot_lag_bytes"] == 0 and all(t["buffered_rows"] == 0 and t["queued_bytes"] == 0
                                                 for t in status["tables"]):
            break
        if time.monotonic() - caught_up > 600:
            break
        time.sleep(0.1)
    catchup_seconds = time.monotonic() - caught_up
    status = api(port, "/status")
    flush_p50 = statistics.median([t["flush_p50_ms"] for t in status["tables"]])
    flush_p99 = max(t["flush_p99_ms"] for t in status["tables"])
    os.killpg(pipe.pid, signal.SIGINT)
    pipe.wait(timeout=120)
    consistent = True
    for t in range(1, tables + 1):
        source = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-F", ",", postgres.conninfo(db), "-c",
                                 f"SELECT id, k, pad, amount FROM t{t} ORDER BY id"],
                                check=True, capture_output=True, text=True).stdout.split()
        lake = subprocess.run([str(args.build_dir / "mallard"), "lake", "--catalog", catalog, "scan", f"t{t}",
                               "--schema", "public"], check=True, capture_output=True, text=True).stdout.split()[1:]
        same = hashlib.sha256("\n".join(source).encode()).digest() == hashlib.sha256("\n".join(lake).encode()).digest()
        consistent = consistent and same and len(source) == len(lake)
    return {
        "scenario": name, "snapshot_rows_per_s": args.rows / snapshot_seconds, "tps": tps,
        "changes_per_s": changes / run_seconds, "lag_avg_bytes": statistics.mean(lag_bytes or [0]),
        "lag_peak_bytes": max(lag_bytes or [0]), "lag_avg_s": statistics.mean(lag_seconds or [0]),
        "lag_peak_s": max(lag_seconds or [0]), "catchup_s": catchup_seconds, "flush_p50_ms": flush_p50,
        "flush_p99_ms": flush_p99, "consistency": "PASS" if consistent else "FAIL",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="snapshot rows (split over the tables)")
    parser.add_argument("--duration", type=int, default=20, help="pgbench seconds per scenario")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--flush-interval-ms", type=int, default=1000)
    parser.add_argument("--build-dir", type=Path, default=Path(__file__).resolve().parent.parent / "build")
    parser.add_argument("--scenarios", default="1:insert,4:insert,1:mixed,4:mixed")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mallard-pipe-bench-"))
    os.chmod(root, 0o755)  # the postgres user walks into it
    postgres = Postgres(root)
    postgres.start()
    results = []
    try:
        for item in args.scenarios.split(","):
            tables, workload = item.split(":")
            results.append(scenario(args, root, postgres, int(tables), workload))
            print(json.dumps(results[-1]), flush=True)
    finally:
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
    print()
    header = ("scenario", "snapshot rows/s", "pgbench tps", "changes/s", "lag avg/peak MB", "lag avg/peak s",
              "catch-up s", "flush p50/p99 ms", "consistency")
    print(" | ".join(header))
    for r in results:
        print(" | ".join([r["scenario"], f"{r['snapshot_rows_per_s']:,.0f}", f"{r['tps']:,.0f}", f"{r['changes_per_s']:,.0f}",
                          f"{r['lag_avg_bytes'] / 1e6:.2f}/{r['lag_peak_bytes'] / 1e6:.2f}",
                          f"{r['lag_avg_s']:.2f}/{r['lag_peak_s']:.2f}", f"{r['catchup_s']:.1f}",
                          f"{r['flush_p50_ms']:.0f}/{r['flush_p99_ms']:.0f}", r["consistency"]]))
    return 0 if all(r["consistency"] == "PASS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
