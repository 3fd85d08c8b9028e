#!/usr/bin/env python3
"""run_state_bench.py — what persistence costs (issue 18).

Part 1, throughput: for each server set-up

  memory    memory stores, no --data-dir
  fsync     --data-dir TMP --durability fsync      (the default: answered once the journal is fsync'd)
  interval  --data-dir TMP --durability interval   (default --durability-interval-ms)
  none      --data-dir TMP --durability none       (no journal; snapshots at start and clean shutdown)
  redis     --backend-sqs/--backend-dynamodb redis://... against a redis-server this script starts
            on loopback with --appendonly yes --appendfsync always --save ''

runs SQS SendMessage (sqs_load --scenario send) and DynamoDB PutItem (ddb_load --scenario put, a
new item each time) closed loop at each --connections count, each row on a fresh server with the
set-ups interleaved (--rounds N repeats the sweep), and prints one table: set-up, scenario,
connections, ops/s, p50, p99, ratio to the memory set-up, errors, and the disk's fdatasync time
just before the run.

Part 2, snapshots: fills a memory-store server with N DynamoDB items (~200 bytes, BatchWriteItem
through ddb_load's preload) and N SQS messages (200-byte bodies, SendMessageBatch from this
script), then times POST /_mallard/state/save, loading the snapshot (mallard serve --load-state,
POST /_mallard/state/load) and restarting a --data-dir server that holds it, and prints a second
table.

Everything listens on and talks to 127.0.0.1 only. Every process the script starts is stopped and
its temporary directories are removed on exit, Ctrl-C and errors (--keep-temp keeps the files).
Python 3 standard library only.
"""

import argparse
import ctypes
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETUPS = ("memory", "fsync", "interval", "none", "redis")
SQS = "SQS SendMessage"
DDB = "DynamoDB PutItem"
SETUP_TEXT = {
    "memory": "memory stores, no --data-dir",
    "fsync": "--data-dir --durability fsync (default)",
    "interval": "--data-dir --durability interval",
    "none": "--data-dir --durability none",
    "redis": "Redis stores, appendfsync always",
}
AUTH_SQS = "AWS4-HMAC-SHA256 Credential=bench/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0"


def log(message):
    print("== " + message, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --- processes ----------------------------------------------------------------------------------

_libc = None


def _child_setup(cpus):
    """Runs in the child before exec: die with this script, and keep to `cpus`."""
    def setup():
        global _libc
        try:
            if _libc is None:
                _libc = ctypes.CDLL(None, use_errno=True)
            _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: killed if this script dies (even by SIGKILL)
        except Exception:
            pass
        if cpus:
            os.sched_setaffinity(0, cpus)
    return setup


class Processes:
    """Every process the script starts, so that each is stopped whatever happens."""

    def __init__(self):
        self.live = []  # (name, Popen, log file object)

    def start(self, name, argv, log_path, cpus=None):
        log_file = open(log_path, "ab")
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=_child_setup(cpus), cwd=ROOT)
        except Exception:
            log_file.close()
            raise
        self.live.append((name, proc, log_file))
        return proc

    def _forget(self, proc):
        for entry in list(self.live):
            if entry[1] is proc:
                entry[2].close()
                self.live.remove(entry)

    def stop(self, proc, kill=False, grace=60.0):
        """SIGTERM (or SIGKILL with kill=True) and wait; returns the seconds it took to exit."""
        t0 = time.monotonic()
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log("pid %d ignored SIGTERM for %.0f s; sending SIGKILL" % (proc.pid, grace))
                proc.kill()
                proc.wait()
        elapsed = time.monotonic() - t0
        self._forget(proc)
        return elapsed

    def stop_all(self):
        # Newest first: mallard before the redis-server it uses.
        for name, proc, _ in reversed(list(self.live)):
            if proc.poll() is None:
                log("stopping %s (pid %d)" % (name, proc.pid))
            self.stop(proc, grace=15.0)


# --- HTTP on loopback ---------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port, method, path, body=None, headers=None, timeout=600.0, sink=None):
    """One request to 127.0.0.1:port; returns (status, body bytes or None, seconds to the response
    head, seconds to the last byte, bytes read). With `sink` (a file), the body goes there."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        t0 = time.monotonic()
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        t_head = time.monotonic() - t0
        total = 0
        data = None
        if sink is None:
            data = response.read()
            total = len(data)
        else:
            while True:
                piece = response.read(1 << 20)
                if not piece:
                    break
                sink.write(piece)
                total += len(piece)
        return response.status, data, t_head, time.monotonic() - t0, total
    finally:
        conn.close()


def health_status(port):
    try:
        status, _, _, _, _ = http_request(port, "GET", "/_mallard/health", timeout=2.0)
        return status
    except (OSError, http.client.HTTPException):
        return 0


def log_tail(path, lines=25):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])
    except OSError:
        return "    (no log)"


class Mallard:
    """One `mallard serve` on a free loopback port."""

    def __init__(self, bench, name, extra_args, log_level="info"):
        self.bench = bench
        self.name = name
        self.port = free_port()
        self.log_path = os.path.join(bench.tmp, "mallard-%s-%d.log" % (name, self.port))
        argv = [bench.mallard, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                "--threads", str(bench.args.server_threads), "--log-level", log_level] + list(extra_args)
        with open(self.log_path, "ab") as f:
            f.write(("$ " + " ".join(argv) + "\n").encode())
        self.t0 = time.monotonic()
        self.proc = bench.procs.start("mallard " + name, argv, self.log_path, bench.server_cpus)
        self.startup_seconds = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def wait_ready(self, timeout=600.0):
        """Polls GET /_mallard/health every 10 ms; returns the seconds from spawn until it answered 200."""
        deadline = self.t0 + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("mallard (%s) exited with status %s during start-up; its log:\n%s"
                                 % (self.name, self.proc.returncode, log_tail(self.log_path)))
            if health_status(self.port) == 200:
                self.startup_seconds = time.monotonic() - self.t0
                return self.startup_seconds
            time.sleep(0.01)
        raise BenchError("mallard (%s) did not answer /_mallard/health within %.0f s; its log:\n%s"
                         % (self.name, timeout, log_tail(self.log_path)))

    def stop(self, kill=False):
        if self.proc.poll() is not None and not kill:
            raise BenchError("mallard (%s) had already exited with status %s; its log:\n%s"
                             % (self.name, self.proc.returncode, log_tail(self.log_path)))
        seconds = self.bench.procs.stop(self.proc, kill=kill)
        rc = self.proc.returncode
        if not kill and rc not in (0, -signal.SIGTERM):
            log("mallard (%s) exited with status %s after SIGTERM; its log:\n%s" % (self.name, rc, log_tail(self.log_path)))
        return seconds

    def alive(self):
        return self.proc.poll() is None

    def log_lines(self, *needles):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return []
        return [line for line in lines if any(n in line for n in needles)]

    def inspect(self):
        status, data, _, _, _ = http_request(self.port, "GET", "/_mallard/state/inspect", timeout=600.0)
        if status != 200:
            raise BenchError("GET /_mallard/state/inspect answered %d: %s" % (status, data[:500]))
        return json.loads(data)


def count_records(summary):
    """{(service, kind): records} from a state summary (GET inspect, or the answer of a load)."""
    counts = {}
    for section in summary.get("sections", []):
        for kind, n in (section.get("counts") or {}).items():
            key = (section.get("service"), kind)
            counts[key] = counts.get(key, 0) + n
    return counts


def items_and_messages(summary):
    counts = count_records(summary)
    items = sum(n for (svc, kind), n in counts.items() if svc == "dynamodb" and kind == "item")
    messages = sum(n for (svc, kind), n in counts.items() if svc == "sqs" and kind == "message")
    return items, messages


# --- the benchmark ------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        build = args.build_dir if os.path.isabs(args.build_dir) else os.path.join(ROOT, args.build_dir)
        self.mallard = args.mallard or os.path.join(build, "mallard")
        self.sqs_load = args.sqs_load or os.path.join(build, "bench", "sqs_load")
        self.ddb_load = args.ddb_load or os.path.join(build, "bench", "ddb_load")
        self.procs = Processes()
        self.tmp = None
        self.server_cpus = None
        self.load_cpus = None
        ncpu = os.cpu_count() or 1
        if args.pin and ncpu >= 2:
            self.server_cpus = {ncpu - 1}
            self.load_cpus = set(range(ncpu - 1))

    # -- environment
    def check_tools(self):
        for path in (self.mallard, self.sqs_load, self.ddb_load):
            if not os.access(path, os.X_OK):
                raise BenchError("%s is not built (cmake --build build --target mallard sqs_load ddb_load)" % path)
        if "redis" in self.args.setups and not shutil.which(self.args.redis_server):
            raise BenchError("redis-server not found (%s); drop 'redis' from --setups or install it" % self.args.redis_server)

    def pin_binary(self):
        """Runs a copy of mallard, so that a rebuild during the run cannot mix two builds."""
        self.mallard_source = self.mallard
        self.mallard_mtime = os.path.getmtime(self.mallard)
        copy = os.path.join(self.tmp, "mallard")
        shutil.copy2(self.mallard, copy)
        self.mallard = copy

    def describe_environment(self):
        print("run_state_bench.py, %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))
        print("  command: %s" % " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]))
        try:
            head = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], capture_output=True,
                                  text=True, timeout=10).stdout.strip()
            print("  source: %s" % head[:110])
        except (OSError, subprocess.SubprocessError):
            pass
        print("  mallard: %s (built %s; a copy of it runs)" % (self.mallard_source, datetime.datetime.fromtimestamp(
            self.mallard_mtime).strftime("%Y-%m-%d %H:%M")))
        print("  CPUs: %d; load average %s" % (os.cpu_count() or 1, " ".join("%.2f" % x for x in os.getloadavg())))
        if self.server_cpus:
            print("  pinning: server(s) on CPU %s, load generators on CPU %s" % (
                ",".join(map(str, sorted(self.server_cpus))), ",".join(map(str, sorted(self.load_cpus)))))
        else:
            print("  pinning: none")
        print("  data directories under %s:" % self.tmp)
        try:
            df = subprocess.run(["df", "-T", self.tmp], capture_output=True, text=True, timeout=10).stdout
            for line in df.strip().splitlines():
                print("    " + line)
        except (OSError, subprocess.SubprocessError):
            print("    (df -T failed)")
        median, p99 = fsync_probe(self.tmp)
        print("  4 KiB write + fdatasync there: median %.2f ms, p99 %.2f ms (200 in a row)" % (median, p99))
        print(flush=True)

    # -- redis
    def start_redis(self):
        port = free_port()
        rdir = os.path.join(self.tmp, "redis-%d" % port)
        os.makedirs(rdir)
        log_path = os.path.join(self.tmp, "redis-%d.log" % port)
        argv = [self.args.redis_server, "--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
                "--appendonly", "yes", "--appendfsync", "always", "--dir", rdir, "--save", "",
                "--daemonize", "no", "--logfile", ""]
        proc = self.procs.start("redis-server", argv, log_path, self.server_cpus)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BenchError("redis-server exited with status %s; its log:\n%s" % (proc.returncode, log_tail(log_path)))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return proc, port, rdir
            except OSError:
                pass
            time.sleep(0.05)
        raise BenchError("redis-server did not answer PING within 30 s; its log:\n%s" % log_tail(log_path))

    def setup_args(self, setup, redis_port=None):
        if setup == "memory":
            return [], None
        if setup in ("fsync", "interval", "none"):
            ddir = tempfile.mkdtemp(prefix="data-%s." % setup, dir=self.tmp)
            return ["--data-dir", ddir, "--durability", setup], ddir
        if setup == "redis":
            url = "redis://127.0.0.1:%d/0?prefix=statebench:" % redis_port
            return ["--backend-sqs", url, "--backend-dynamodb", url], None
        raise BenchError("unknown set-up " + setup)

    # -- load generators
    def run_tool(self, argv, out_json, label):
        log_path = out_json[:-5] + ".txt"
        with open(log_path, "wb") as f:
            f.write(("$ " + " ".join(argv) + "\n").encode())
            f.flush()
            proc = self.procs.start(label, argv, log_path, self.load_cpus)
            try:
                rc = proc.wait()
            finally:
                self.procs.stop(proc)
        try:
            with open(out_json) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            raise BenchError("%s wrote no results (exit status %s); its output:\n%s" % (label, rc, log_tail(log_path)))
        return rc, doc, log_path

    def throughput_row(self, setup, scenario, conns, round_no):
        """One row: a fresh server (and redis-server) of `setup`, one load run, a clean stop."""
        a = self.args
        redis = None
        mallard = None
        notes = []
        tag = "%s-%s-%d-r%d" % (setup, "sqs" if scenario == SQS else "ddb", conns, round_no)
        try:
            redis_port = None
            if setup == "redis":
                redis, redis_port, _ = self.start_redis()
            extra, ddir = self.setup_args(setup, redis_port)
            mallard = Mallard(self, tag, extra)
            mallard.wait_ready()
            flush_ms, _ = fsync_probe(self.tmp, 100)
            out = os.path.join(self.tmp, tag + ".json")
            if scenario == SQS:
                argv = [self.sqs_load, "--endpoint", mallard.url, "--scenario", "send", "--connections", str(conns),
                        "--duration", str(a.seconds), "--warmup", str(a.warmup), "--threads", "1",
                        "--message-size", str(a.message_size), "--queue-name", "sb-%d" % os.getpid(),
                        "--json-out", out]
                tool = "sqs_load"
            else:
                table = "sb-%d" % os.getpid()
                argv = [self.ddb_load, "--endpoint", mallard.url, "--scenario", "put", "--connections", str(conns),
                        "--duration", str(a.seconds), "--warmup", str(a.warmup), "--threads", "1",
                        "--table-name", table, "--seed", str(1 + round_no), "--json-out", out]
                if a.ddb_put == "new":
                    # An empty table and keys drawn from 10^9: every PutItem writes a new item. (A PutItem of
                    # an item equal to the stored one changes nothing, so it is neither journaled nor waited for.)
                    create_table(mallard.port, table)
                    argv += ["--reuse-table", "--keys", "1000000000"]
                else:
                    argv += ["--keys", str(a.ddb_keys), "--partitions", "1", "--items-per-partition", "1"]
                tool = "ddb_load"
            log("round %d: %s, %s, %d connection(s), %gs (fdatasync probe %.2f ms)"
                % (round_no + 1, setup, scenario, conns, a.seconds, flush_ms))
            rc, doc, txt = self.run_tool(argv, out, tool)
            setup_doc = doc.get("setup")
            if setup_doc and not setup_doc.get("ok", True):
                notes.append("%s: ddb_load setup failed: %s" % (tag, setup_doc.get("first_error")))
            results = doc.get("results", [])
            if len(results) != 1:
                raise BenchError("%s: %s reported %d results (exit status %s); its output:\n%s"
                                 % (tag, tool, len(results), rc, log_tail(txt)))
            row = self.row(setup, scenario, results[0], txt)
            row["flush_ms"] = flush_ms
            if not mallard.alive():
                raise BenchError("mallard (%s) died during the run; its log:\n%s" % (tag, log_tail(mallard.log_path)))
            if setup not in self.logged_setups:
                self.logged_setups.add(setup)
                for line in mallard.log_lines("data directory", "[warn", "[error", "[critical"):
                    notes.append("%s server log: %s" % (setup, line.strip()[:400]))
            else:
                for line in mallard.log_lines("[error", "[critical"):
                    notes.append("%s server log: %s" % (tag, line.strip()[:400]))
            mallard.stop()
            mallard = None
            if ddir and setup != "none":
                lsn = last_snapshot_lsn(ddir)
                row["journaled"] = lsn
                if lsn is not None and lsn < row["operations"]:
                    notes.append("%s: the journal holds %d changes but %d writes were acknowledged in the measured "
                                 "window alone: some writes were not journaled" % (tag, lsn, row["operations"]))
            if ddir:
                shutil.rmtree(ddir, ignore_errors=True)
            return row, notes
        finally:
            if mallard is not None:
                mallard.stop(kill=not mallard.alive())
            if redis is not None:
                self.procs.stop(redis)

    @staticmethod
    def row(setup, scenario, r, txt):
        lat = r.get("latency_ms", {})
        return {"setup": setup, "scenario": scenario, "connections": r.get("connections"),
                "ops": r.get("throughput_per_s", 0.0), "operations": r.get("operations", 0), "p50": lat.get("p50"),
                "p99": lat.get("p99"), "errors": r.get("errors", 0), "first_error": r.get("first_error"), "log": txt}

    def part1(self):
        a = self.args
        self.logged_setups = set()
        runs = {}  # (setup, scenario, conns) -> [row per round]
        notes, failed = [], []
        for round_no in range(a.rounds):
            for scenario in (SQS, DDB):
                for conns in a.connections:
                    for setup in a.setups:
                        try:
                            row, n = self.throughput_row(setup, scenario, conns, round_no)
                            row["round"] = round_no
                            runs.setdefault((setup, scenario, conns), []).append(row)
                            notes += n
                        except BenchError as e:
                            log("%s %s %d connections (round %d) failed: %s" % (setup, scenario, conns, round_no + 1, e))
                            failed.append("%s %s at %d connections, round %d: %s" % (setup, scenario, conns,
                                                                                   round_no + 1, e))
        # Per row the run with the median ops/s (the lower middle one for an even count).
        chosen = {}
        for key, rows in runs.items():
            ordered = sorted(rows, key=lambda r: r["ops"])
            chosen[key] = (ordered[(len(ordered) - 1) // 2], ordered[0]["ops"], ordered[-1]["ops"])
        if a.ddb_put == "new":
            put_text = "PutItem of a new ~130-byte item each time"
        else:
            put_text = "PutItem rewriting one of %d items with the same ~120 bytes" % a.ddb_keys
        print("Part 1: closed-loop throughput, %gs measured after %gs warm-up per row, a fresh server per row, set-ups "
              "interleaved (SendMessage of %d-byte bodies; %s)" % (a.seconds, a.warmup, a.message_size, put_text))
        if a.rounds > 1:
            print("%d rounds: each row is the round with the median ops/s; 'range' is the lowest and highest ops/s of "
                  "the rounds" % a.rounds)
        header = ["set-up", "scenario", "conns", "ops/s", "p50 ms", "p99 ms", "vs memory", "errors", "fsync ms"]
        if a.rounds > 1:
            header.insert(4, "range")
        table = []
        for scenario in (SQS, DDB):
            for conns in a.connections:
                base = chosen.get(("memory", scenario, conns))
                for setup in a.setups:
                    if (setup, scenario, conns) not in chosen:
                        table.append([setup, scenario, str(conns), "FAILED", "-", "-", "-", "-", "-"]
                                     + (["-"] if a.rounds > 1 else []))
                        continue
                    r, low, high = chosen[(setup, scenario, conns)]
                    b = base[0]["ops"] if base else None
                    cells = [setup, scenario, str(conns), "%.0f" % r["ops"], fmt_ms(r["p50"]), fmt_ms(r["p99"]),
                             ("%.2f" % (r["ops"] / b)) if b else "-", str(r["errors"]), "%.2f" % r["flush_ms"]]
                    if a.rounds > 1:
                        cells.insert(4, "%.0f-%.0f" % (low, high))
                    table.append(cells)
        print_table(header, table)
        print()
        print("Set-ups (fsync ms: median of 100 4-KiB write + fdatasync in the data directory's file system, taken "
              "just before the row's run):")
        for setup in a.setups:
            print("  %-9s %s" % (setup, SETUP_TEXT[setup]))
        if "redis" in a.setups:
            print("  redis: Mallard's defaults (Redis pool of 8 connections per store, 4 worker threads per service "
                  "for the blocking Redis calls); redis-server on loopback with --appendonly yes --appendfsync always "
                  "--save '' in the same temporary directory, a fresh one per row")
        for key, rows in sorted(runs.items()):
            for r in rows:
                if r["errors"]:
                    print("  errors in %s %s at %s connections: first: %s" % (r["setup"], r["scenario"], r["connections"],
                                                                           (r["first_error"] or "")[:300]))
        for text in failed:
            print("  FAILED: " + text)
        # The goal: the durable default within 2x of memory at 16 connections, and ahead of
        # Redis with appendfsync always.
        goal_conns = 16 if 16 in a.connections else max(a.connections)
        ops = {key: value[0]["ops"] for key, value in chosen.items()}
        verdicts = []
        for scenario in (SQS, DDB):
            mem = ops.get(("memory", scenario, goal_conns))
            dur = ops.get(("fsync", scenario, goal_conns))
            red = ops.get(("redis", scenario, goal_conns))
            # With several rounds the ratio is taken within each round (set-ups run back to back
            # there) and the median of those is judged: this machine's speed drifts between rounds
            # by more than the effect measured, and a ratio of two medians from different rounds
            # mixes the drift in.
            paired = self.paired_ratios(runs, "fsync", "memory", scenario, goal_conns)
            if len(paired) > 1:
                ratio = sorted(paired)[(len(paired) - 1) // 2]
                verdicts.append("%s: fsync at %.2fx memory, median of the rounds' own ratios %s (goal >= 0.50x): %s" % (
                    scenario, ratio, "/".join("%.2f" % x for x in paired), "met" if ratio >= 0.5 else "NOT met"))
            elif mem and dur is not None:
                verdicts.append("%s: fsync at %.2fx memory (goal >= 0.50x): %s" % (
                    scenario, dur / mem, "met" if dur * 2 >= mem else "NOT met"))
            paired_redis = self.paired_ratios(runs, "fsync", "redis", scenario, goal_conns)
            if len(paired_redis) > 1:
                ratio = sorted(paired_redis)[(len(paired_redis) - 1) // 2]
                verdicts.append("%s: fsync at %.1fx Redis appendfsync always, median of the rounds' own ratios (goal > 1x): %s"
                                % (scenario, ratio, "met" if ratio > 1 else "NOT met"))
            elif red and dur is not None:
                verdicts.append("%s: fsync at %.1fx Redis appendfsync always (goal > 1x): %s" % (
                    scenario, dur / red, "met" if dur > red else "NOT met"))
        if verdicts:
            print("Issue 18 goal at %d connections:" % goal_conns)
            for v in verdicts:
                print("  " + v)
        journaled = [(k, v) for k, v in runs.items() if k[0] in ("fsync", "interval")]
        if journaled:
            print("Journal check: every fsync/interval row's journal held at least as many changes as writes "
                  "acknowledged in its window" if not any("not journaled" in n for n in notes) else
                  "Journal check: FAILED for some rows (see the notes)")
        if notes:
            print("Notes:")
            for n in notes:
                print("  " + n)
        print(flush=True)
        return not failed and not any(r["errors"] for rows in runs.values() for r in rows)

    @staticmethod
    def paired_ratios(runs, setup, base, scenario, conns):
        """ops/s of `setup` over `base` within each round both ran in, in round order."""
        by_round = {}
        for which in (setup, base):
            for r in runs.get((which, scenario, conns), []):
                by_round.setdefault(r["round"], {})[which] = r["ops"]
        return [v[setup] / v[base] for _, v in sorted(by_round.items()) if v.get(base) and setup in v]

    # -- part 2
    def fill_sqs(self, port, queue, n, body_size):
        status, data, _, _, _ = http_request(port, "POST", "/", body=json.dumps({"QueueName": queue}).encode(),
                                             headers=sqs_headers("CreateQueue"))
        if status != 200:
            raise BenchError("CreateQueue answered %d: %s" % (status, data[:300]))
        url = json.loads(data)["QueueUrl"]
        pad = "m" * max(0, body_size - 12)
        next_index = [0]
        lock = threading.Lock()
        errors = []

        def worker():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            headers = sqs_headers("SendMessageBatch")
            try:
                while not errors:
                    with lock:
                        first = next_index[0]
                        if first >= n:
                            return
                        next_index[0] = first + 10
                    entries = ",".join('{"Id":"%d","MessageBody":"%012d%s"}' % (i - first, i, pad)
                                       for i in range(first, min(first + 10, n)))
                    body = ('{"QueueUrl":"%s","Entries":[%s]}' % (url, entries)).encode()
                    conn.request("POST", "/", body=body, headers=headers)
                    response = conn.getresponse()
                    answer = response.read()
                    if response.status != 200 or b'"Failed":[{' in answer:
                        errors.append("SendMessageBatch answered %d: %s" % (response.status, answer[:300]))
            except (OSError, http.client.HTTPException) as e:
                errors.append("SendMessageBatch: %s" % e)
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(self.args.fill_connections)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise BenchError(errors[0])
        return time.monotonic() - t0

    def fill_ddb(self, mallard, n):
        out = os.path.join(self.tmp, "ddb-fill.json")
        # ddb_load's preload is the fill: --keys N items k0..k(N-1) (plus one query partition item),
        # BatchWriteItem of 25 over 8 connections; the measured part is a 0.1 s GetItem run.
        argv = [self.ddb_load, "--endpoint", mallard.url, "--scenario", "get", "--connections", "1",
                "--duration", "0.1", "--warmup", "0", "--threads", "1", "--keys", str(n), "--partitions", "1",
                "--items-per-partition", "1", "--value-size", str(self.args.item_value_size),
                "--preload-connections", "8", "--table-name", "state-bench", "--keep-table", "--json-out", out]
        t0 = time.monotonic()
        rc, doc, txt = self.run_tool(argv, out, "ddb_load fill")
        seconds = time.monotonic() - t0
        setup = doc.get("setup", {})
        if not setup.get("ok") or setup.get("errors"):
            raise BenchError("ddb_load fill failed: %s (output in %s):\n%s" % (setup.get("first_error"), txt, log_tail(txt)))
        return seconds, setup.get("preload_seconds", seconds)

    def part2(self):
        a = self.args
        n = a.snapshot_items
        rows = []  # (measurement, seconds, detail)
        notes = []
        snap = os.path.join(self.tmp, "snapshot.jsonl")
        ok = True

        def add(what, seconds, detail=""):
            rows.append((what, seconds, detail))
            log("%s: %s %s" % (what, fmt_s(seconds), detail))

        def counts_text(summary):
            items, messages = items_and_messages(summary)
            return "%d items, %d messages" % (items, messages), (items, messages)

        # Fill a memory-store server and save.
        m = Mallard(self, "snapshot-source", [])
        m.wait_ready()
        log("filling: %d DynamoDB items (ddb_load preload)" % n)
        ddb_total, ddb_preload = self.fill_ddb(m, n)
        log("filling: %d SQS messages (SendMessageBatch, %d connections)" % (n, a.fill_connections))
        sqs_seconds = self.fill_sqs(m.port, "state-bench", n, a.message_body)
        text, expected = counts_text(m.inspect())
        notes.append("source server holds %s (filled in %.1f s DynamoDB BatchWriteItem, %.1f s SQS SendMessageBatch)"
                     % (text, ddb_preload, sqs_seconds))
        with open(snap, "wb") as f:
            status, data, t_head, t_total, size = http_request(m.port, "POST", "/_mallard/state/save", sink=f)
        if status != 200:
            with open(snap, "rb") as f:
                raise BenchError("POST /_mallard/state/save answered %d: %s" % (status, f.read(500)))
        snap_size = os.path.getsize(snap)
        add("POST /_mallard/state/save: snapshot written (until the answer starts)", t_head)
        add("POST /_mallard/state/save: whole answer received", t_total,
            "%s bytes (%.0f MiB)" % (format(snap_size, ","), snap_size / 2**20))
        stop_seconds = m.stop()
        add("stop of the filled memory server (SIGTERM)", stop_seconds)

        # Start-up of an empty server, for reference.
        m = Mallard(self, "empty", [])
        add("start-up of an empty memory server (spawn → health 200)", m.wait_ready())
        m.stop()

        # --load-state at start.
        m = Mallard(self, "load-state", ["--load-state", snap])
        seconds = m.wait_ready()
        text, got = counts_text(m.inspect())
        add("mallard serve --load-state FILE (spawn → health 200)", seconds, text)
        if got != expected:
            ok = False
            notes.append("MISMATCH after --load-state: %s, expected %s" % (got, expected))
        m.stop()

        # POST /_mallard/state/load into a running empty server.
        m = Mallard(self, "state-load", [])
        m.wait_ready()
        with open(snap, "rb") as f:
            status, data, _, t_total, _ = http_request(
                m.port, "POST", "/_mallard/state/load", body=f,
                headers={"Content-Type": "application/x-ndjson", "Content-Length": str(snap_size)})
        if status != 200:
            raise BenchError("POST /_mallard/state/load answered %d: %s" % (status, data[:500]))
        text, got = counts_text(m.inspect())
        add("POST /_mallard/state/load into a running empty server", t_total, text)
        if got != expected:
            ok = False
            notes.append("MISMATCH after POST /_mallard/state/load: %s, expected %s" % (got, expected))
        m.stop()

        # A --data-dir server holding the state: first start with --load-state, clean stop, restart.
        ddir = tempfile.mkdtemp(prefix="data-restart.", dir=self.tmp)
        dd = ["--data-dir", ddir, "--durability", "fsync"]
        m = Mallard(self, "datadir-first", dd + ["--load-state", snap])
        seconds = m.wait_ready()
        add("--data-dir (fsync) + --load-state FILE, first start (spawn → health 200)", seconds)
        add("  its clean shutdown (SIGTERM → exit; writes the final snapshot)", m.stop(), dir_summary(ddir))
        m = Mallard(self, "datadir-restart", dd)
        seconds = m.wait_ready()
        text, got = counts_text(m.inspect())
        add("--data-dir restart after a clean shutdown (spawn → health 200)", seconds, text)
        for line in m.log_lines("data directory"):
            notes.append("restart log: " + line.strip()[:400])
        if got != expected:
            ok = False
            notes.append("MISMATCH after the --data-dir restart: %s, expected %s" % (got, expected))
        m.stop(kill=True)
        m = Mallard(self, "datadir-after-kill", dd)
        seconds = m.wait_ready()
        text, got = counts_text(m.inspect())
        add("--data-dir restart after kill -9 of an idle server (spawn → health 200)", seconds, text)
        if got != expected:
            ok = False
            notes.append("MISMATCH after kill -9 and restart: %s, expected %s" % (got, expected))
        m.stop()
        shutil.rmtree(ddir, ignore_errors=True)

        # The same state in the journal rather than a snapshot: load it into a running --data-dir
        # server (the load's changes are journaled), kill -9, restart (the journal is replayed).
        ddir = tempfile.mkdtemp(prefix="data-replay.", dir=self.tmp)
        dd = ["--data-dir", ddir, "--durability", "fsync"]
        m = Mallard(self, "replay-load", dd)
        m.wait_ready()
        with open(snap, "rb") as f:
            status, data, _, t_total, _ = http_request(
                m.port, "POST", "/_mallard/state/load", body=f,
                headers={"Content-Type": "application/x-ndjson", "Content-Length": str(snap_size)})
        if status != 200:
            raise BenchError("POST /_mallard/state/load (data dir) answered %d: %s" % (status, data[:500]))
        text, got = counts_text(m.inspect())
        add("POST /_mallard/state/load into a running --data-dir (fsync) server", t_total, text)
        m.stop(kill=True)
        add("  kill -9 right after; on disk:", None, dir_summary(ddir))
        m = Mallard(self, "replay-restart", dd)
        seconds = m.wait_ready()
        text, got = counts_text(m.inspect())
        add("--data-dir restart after that kill -9 (spawn → health 200)", seconds, text)
        for line in m.log_lines("data directory"):
            notes.append("restart-after-kill log: " + line.strip()[:400])
        if got != expected:
            ok = False
            notes.append("LOST after kill -9: the load was answered 200 by an fsync server, yet after the restart it "
                         "holds %d items and %d messages of the %d and %d loaded (see the restart log above)"
                         % (got[0], got[1], expected[0], expected[1]))
        m.stop()
        shutil.rmtree(ddir, ignore_errors=True)

        print("Part 2: snapshots with N = %s DynamoDB items (~%d bytes) and N SQS messages (%d-byte bodies)"
              % (format(n, ","), a.item_value_size + 20, a.message_body))
        print_table(("measurement", "seconds", "detail"),
                    [(what, fmt_s(s), detail) for what, s, detail in rows])
        print()
        print("Notes:")
        for line in notes:
            print("  " + line)
        print(flush=True)
        return ok


def fsync_probe(directory, count=200):
    """What one small journal flush costs on this file system: 4 KiB appended, then fdatasync."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    times = []
    try:
        block = b"\0" * 4096
        for _ in range(count):
            t0 = time.perf_counter()
            os.write(fd, block)
            os.fdatasync(fd)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def ddb_call(port, op, body, ok=(200,)):
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810." + op,
               "X-Amz-Date": "20250101T000000Z",
               "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20250101/us-east-1/dynamodb/aws4_request, "
                                "SignedHeaders=host, Signature=0"}
    status, data, _, _, _ = http_request(port, "POST", "/", body=json.dumps(body).encode(), headers=headers, timeout=120)
    if status not in ok:
        raise BenchError("DynamoDB %s answered %d: %s" % (op, status, data[:300]))
    return json.loads(data) if data else {}


def create_table(port, name):
    """ddb_load's table (pk S HASH, sk N RANGE, on demand), empty; waits until ACTIVE."""
    ddb_call(port, "CreateTable", {
        "TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ddb_call(port, "DescribeTable", {"TableName": name})["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise BenchError("table %s not ACTIVE after 120 s" % name)


def delete_table(port, name):
    ddb_call(port, "DeleteTable", {"TableName": name})


def sqs_headers(op):
    return {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS." + op,
            "X-Amz-Date": "20250101T000000Z", "Authorization": AUTH_SQS}


def last_snapshot_lsn(path):
    """The LSN in the name of the newest state/snapshot-<LSN>.jsonl of a data directory."""
    best = None
    try:
        names = os.listdir(os.path.join(path, "state"))
    except OSError:
        return None
    for name in names:
        if name.startswith("snapshot-") and name.endswith(".jsonl"):
            try:
                value = int(name[len("snapshot-"):-len(".jsonl")])
            except ValueError:
                continue
            best = value if best is None else max(best, value)
    return best


def dir_summary(path):
    files = []
    total = 0
    for base, _, names in os.walk(path):
        for name in names:
            p = os.path.join(base, name)
            try:
                size = os.path.getsize(p)
            except OSError:
                continue
            total += size
            rel = os.path.relpath(p, path)
            if rel.startswith("state" + os.sep):
                files.append("%s %s" % (rel[len("state") + 1:], human(size)))
    return "state/: %s; %s in all" % (", ".join(sorted(files)) or "empty", human(total))


def human(size):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return ("%d %s" % (size, unit)) if unit == "B" else ("%.1f %s" % (size, unit))
        size /= 1024.0


def fmt_ms(value):
    if value is None:
        return "-"
    return "%.2f" % value if value < 10 else "%.1f" % value


def fmt_s(value):
    if value is None:
        return ""
    return "%.3f" % value if value < 10 else "%.1f" % value


def print_table(header, rows):
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    numeric = [all(is_number(r[i]) for r in rows if r[i] not in ("", "-")) and rows for i in range(len(header))]

    def line(cells):
        return "  ".join(c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def is_number(text):
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] + " Throughput of SQS SendMessage and "
                                "DynamoDB PutItem per server set-up, and snapshot save/load/restart times.",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per throughput row (10)")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each row (1)")
    p.add_argument("--connections", default="16,1", help="closed-loop connection counts (16,1)")
    p.add_argument("--rounds", type=int, default=1,
                   help="repeat part 1 this many times; each row shows the round with the median ops/s (1)")
    p.add_argument("--setups", default=",".join(SETUPS), help="which set-ups, in order; memory is the baseline (%s)"
                   % ",".join(SETUPS))
    p.add_argument("--snapshot-items", type=int, default=1000000,
                   help="N for part 2: DynamoDB items and SQS messages each (1000000; 0 skips part 2)")
    p.add_argument("--skip-throughput", action="store_true", help="part 2 only")
    p.add_argument("--message-size", type=int, default=256, help="SendMessage body bytes in part 1 (256)")
    p.add_argument("--ddb-put", choices=("new", "same"), default="new",
                   help="part 1 PutItem: 'new' (default) writes a new item each time (random key of 10^9 in an empty "
                   "table); 'same' is ddb_load's own put: it rewrites --ddb-keys preloaded items with the values they "
                   "have, which the memory store takes as no change (nothing journaled)")
    p.add_argument("--ddb-keys", type=int, default=10000, help="keyspace of --ddb-put same (10000)")
    p.add_argument("--item-value-size", type=int, default=180, help="part 2: bytes of each item's data attribute "
                   "(180: ~200-byte items)")
    p.add_argument("--message-body", type=int, default=200, help="part 2: SQS message body bytes (200)")
    p.add_argument("--fill-connections", type=int, default=8, help="part 2: SendMessageBatch connections (8)")
    p.add_argument("--server-threads", type=int, default=1, help="mallard serve --threads (1, as the other benches)")
    p.add_argument("--no-pin", dest="pin", action="store_false",
                   help="do not pin servers to the last CPU and load generators to the others")
    p.add_argument("--build-dir", default="build", help="where mallard and bench/{sqs,ddb}_load are (build)")
    p.add_argument("--mallard", help="mallard binary (BUILD_DIR/mallard)")
    p.add_argument("--sqs-load", help="sqs_load binary (BUILD_DIR/bench/sqs_load)")
    p.add_argument("--ddb-load", help="ddb_load binary (BUILD_DIR/bench/ddb_load)")
    p.add_argument("--redis-server", default="redis-server", help="redis-server binary (redis-server on PATH)")
    p.add_argument("--tmp-root", default=tempfile.gettempdir(),
                   help="where the temporary directory (data directories, Redis' AOF, snapshot, logs) goes (%s)"
                   % tempfile.gettempdir())
    p.add_argument("--keep-temp", action="store_true", help="keep the temporary directory (logs, JSON results)")
    args = p.parse_args()
    try:
        args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    except ValueError:
        p.error("--connections: comma-separated integers")
    if not args.connections or any(c < 1 for c in args.connections):
        p.error("--connections: counts of at least 1")
    args.setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    for s in args.setups:
        if s not in SETUPS:
            p.error("--setups: unknown set-up %s (%s)" % (s, ", ".join(SETUPS)))
    if args.seconds <= 0 or args.warmup < 0:
        p.error("--seconds must be positive and --warmup not negative")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.snapshot_items < 0:
        p.error("--snapshot-items must not be negative")
    return args


def main():
    args = parse_args()
    # Never let a proxy setting send loopback traffic elsewhere (the tools are given 127.0.0.1 anyway).
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGINT, on_signal)  # also when started with SIGINT ignored (a background job)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    bench = Bench(args)
    ok = True
    try:
        bench.check_tools()
        bench.tmp = tempfile.mkdtemp(prefix="mallard-state-bench.", dir=args.tmp_root)
        bench.pin_binary()
        bench.describe_environment()
        if not args.skip_throughput:
            ok = bench.part1() and ok
            median, p99 = fsync_probe(bench.tmp)
            print("After part 1: 4 KiB write + fdatasync median %.2f ms, p99 %.2f ms; load average %s\n"
                  % (median, p99, " ".join("%.2f" % x for x in os.getloadavg())), flush=True)
        if args.snapshot_items > 0:
            ok = bench.part2() and ok
    except BenchError as e:
        log("FAILED: %s" % e)
        ok = False
    except KeyboardInterrupt:
        log("interrupted; stopping what was started")
        ok = None
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        bench.procs.stop_all()
        cleanup(bench, args)
    if ok is None:
        return 130
    return 0 if ok else 1


def cleanup(bench, args):
    if bench.tmp and os.path.isdir(bench.tmp):
        if args.keep_temp:
            log("kept %s" % bench.tmp)
        else:
            shutil.rmtree(bench.tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
