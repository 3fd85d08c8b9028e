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
With --backlog the pipe is paused (SIGSTOP) while pgbench runs and resumed after it: changes/s is
then the rate at which it drains that backlog (changes / catch-up seconds). Keep --duration well
under PostgreSQL's wal_sender_timeout (60 s), which ends a silent replication connection.

PostgreSQL's own ceilings, measured in the same scenario and printed beside the pipe's figures:
  * COPY: `COPY t TO STDOUT` of the snapshot's tables (rows/s), next to the snapshot's rows/s;
  * decode: the same change stream as the pipe's (a second pgoutput slot on a publication of the
    tables, created before pgbench starts), decoded by the server alone
    (pg_logical_slot_peek_binary_changes, counting inserts, updates and deletes), changes/s;
  * pg_recvlogical: the same slot streamed to /dev/null by PostgreSQL's own client, changes/s.
A throw-away PostgreSQL 15 (Debian's, wal_level=logical) runs on a free loopback port.

    bench/run_pipe_bench.py [--rows 1000000] [--duration 20] [--clients 4] [--backlog] [--build-dir build]
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


def lsn_value(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def timed(run) -> float:
    started = time.monotonic()
    run()
    return time.monotonic() - started


def copy_ceiling(postgres: Postgres, db: str, tables: int, rows: int) -> float:
    """Rows/s of `COPY t TO STDOUT` over the snapshot's tables, read by psql and thrown away."""
    seconds = 0.0
    for t in range(1, tables + 1):
        seconds += timed(lambda: subprocess.run(["psql", "-X", "-q", postgres.conninfo(db), "-c", f"COPY t{t} TO STDOUT"],
                                                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    return rows * tables / seconds


CEILING_SLOT = "bench_ceiling"


def stream_ceilings(postgres: Postgres, db: str) -> tuple[float, float]:
    """Changes/s of the ceiling slot's stream up to now: decoded by the server alone, then streamed
    by pg_recvlogical; both over the same changes the pipe received. Drops the slot."""
    end = postgres.psql("SELECT pg_current_wal_lsn()", db)
    options = "'proto_version', '1', 'publication_names', 'bench_ceiling'"
    counted = []
    decode_s = timed(lambda: counted.append(int(postgres.psql(
        f"SELECT count(*) FILTER (WHERE get_byte(data, 0) IN (73, 85, 68)) FROM "
        f"pg_logical_slot_peek_binary_changes('{CEILING_SLOT}', '{end}', NULL, {options})", db))))
    changes = counted[0]
    recv_s = timed(lambda: subprocess.run(
        ["pg_recvlogical", "-d", postgres.conninfo(db), "--slot", CEILING_SLOT, "--start", "--endpos", end,
         "-o", "proto_version=1", "-o", "publication_names=bench_ceiling", "--no-loop", "-f", "/dev/null"],
        check=True, capture_output=True, timeout=1800))
    postgres.psql(f"SELECT pg_drop_replication_slot('{CEILING_SLOT}')", db)
    return changes / max(decode_s, 1e-9), changes / max(recv_s, 1e-9)


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
    copy_rows_per_s = copy_ceiling(postgres, db, tables, rows)
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
    # The ceilings' slot starts where pgbench will: it sees exactly the changes the pipe streams next.
    postgres.psql("CREATE PUBLICATION bench_ceiling FOR ALL TABLES", db)
    postgres.psql(f"SELECT pg_create_logical_replication_slot('{CEILING_SLOT}', 'pgoutput')", db)
    script = work / "script.sql"
    script.write_text((INSERT_SCRIPT if workload == "insert" else MIXED_SCRIPT).format(tables=tables, rows=rows))
    env = dict(os.environ, PGOPTIONS="-c synchronous_commit=off")
    changes_before = api(port, "/status")["changes"]
    if args.backlog:
        os.killpg(pipe.pid, signal.SIGSTOP)
    bench = subprocess.Popen(["pgbench", "-n", "-M", "simple", "-f", str(script), "-c", str(args.clients), "-j",
                              str(args.clients), "-T", str(args.duration), postgres.conninfo(db)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lag_bytes, lag_seconds = [], []
    t0 = time.monotonic()
    while bench.poll() is None:
        if args.backlog:  # a paused pipe answers nothing
            time.sleep(0.25)
            continue
        status = api(port, "/status")
        lag_bytes.append(status["slot_lag_bytes"])
        lag_seconds.append(max([t["lag_seconds"] for t in status["tables"]] + [0]))
        time.sleep(0.25)
    run_seconds = time.monotonic() - t0
    if args.backlog:
        os.killpg(pipe.pid, signal.SIGCONT)
    output = bench.stdout.read()
    tps = next((float(line.split("=")[1].split()[0]) for line in output.splitlines() if line.startswith("tps")), 0.0)
    if tps == 0.0:
        raise SystemExit(f"pgbench failed:\n{output[-2000:]}")
    changes_while_running = 0 if args.backlog else api(port, "/status")["changes"] - changes_before
    # Caught up: the slot confirmed past the source's WAL position at pgbench's end (the pipe's own
    # source_lsn may be stale right after a pause) and nothing is queued or buffered.
    end_lsn = lsn_value(postgres.psql("SELECT pg_current_wal_lsn()", db))
    caught_up = time.monotonic()
    while True:
        status = api(port, "/status")
        if lsn_value(status["confirmed_lsn"]) >= end_lsn and status["slot_lag_bytes"] == 0 and \
                all(t["buffered_rows"] == 0 and t["queued_bytes"] == 0 for t in status["tables"]):
            break
        if time.monotonic() - caught_up > 600:
            break
        time.sleep(0.1)
    catchup_seconds = time.monotonic() - caught_up
    status = api(port, "/status")
    changes = status["changes"] - changes_before
    # Streaming: what the pipe routed while pgbench ran; backlog: everything, all of it routed after
    # the pause, so the rate is the drain rate.
    changes_per_s = changes / max(catchup_seconds, 1e-9) if args.backlog else changes_while_running / run_seconds
    decode_per_s, recvlogical_per_s = stream_ceilings(postgres, db)
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
        "scenario": name, "snapshot_rows_per_s": args.rows / snapshot_seconds, "copy_rows_per_s": copy_rows_per_s,
        "tps": tps, "changes": changes, "changes_per_s": changes_per_s, "decode_changes_per_s": decode_per_s,
        "recvlogical_changes_per_s": recvlogical_per_s, "flush_interval_s": args.flush_interval_ms / 1000, "lag_avg_bytes": statistics.mean(lag_bytes or [0]),
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
    parser.add_argument("--backlog", action="store_true",
                        help="pause the pipe while pgbench runs: changes/s becomes the backlog's drain rate")
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
    header = ("scenario", "snapshot rows/s (x COPY)", "pgbench tps", "changes/s" + (" drained" if args.backlog else ""),
              "x decode", "x pg_recvlogical", "lag avg/peak MB", "lag avg/peak s (avg x interval)", "catch-up s",
              "flush p50/p99 ms", "consistency")
    print(" | ".join(header))
    for r in results:
        print(" | ".join([r["scenario"], f"{r['snapshot_rows_per_s']:,.0f} ({r['snapshot_rows_per_s'] / r['copy_rows_per_s']:.2f})",
                          f"{r['tps']:,.0f}", f"{r['changes_per_s']:,.0f}",
                          f"{r['changes_per_s'] / r['decode_changes_per_s']:.2f}",
                          f"{r['changes_per_s'] / r['recvlogical_changes_per_s']:.2f}",
                          f"{r['lag_avg_bytes'] / 1e6:.2f}/{r['lag_peak_bytes'] / 1e6:.2f}",
                          f"{r['lag_avg_s']:.2f}/{r['lag_peak_s']:.2f} ({r['lag_avg_s'] / r['flush_interval_s']:.1f})",
                          f"{r['catchup_s']:.1f}", f"{r['flush_p50_ms']:.0f}/{r['flush_p99_ms']:.0f}", r["consistency"]]))
    print("x COPY, x decode, x pg_recvlogical: the pipe's figure over PostgreSQL's own in the same scenario "
          "(issue 22's goals: snapshot >= 0.5x COPY, backlog drain >= 0.5x pg_recvlogical, lag avg < 2x the interval)")
    return 0 if all(r["consistency"] == "PASS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
