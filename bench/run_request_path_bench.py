#!/usr/bin/env python3
"""run_request_path_bench.py — how much of a request's time is Mallard's own (issue 22, part 1).

Runs, side by side and interleaved over --rounds rounds:

  responder  bench/trivial_responder: one thread, keep-alive, every request answered with one fixed
             200 (a body shaped like the answer the load generator checks). It pays the kernel's
             cost per request and nothing else: the request path's ceiling on this machine.
  mallard    `mallard serve --threads 1` on the in-memory stores.
  baseline   with --baseline PATH, another `mallard` binary (an earlier build) the same way: a
             before/after comparison measured in the same rounds, which this machine's drifting
             speed makes the only fair one.

with three workloads, closed loop at --connections connections:

  GetItem      ddb_load --scenario get over --keys preloaded items
  PutItem      ddb_load --scenario put (overwrites of the same keys)
  SendMessage  sqs_load --scenario send (--message-size bytes)

The server (responder or mallard) is pinned to the last CPU and the load generator to the others.
For every run the script samples, over the measured window only, the server's CPU time (utime +
stime from /proc) and the load generator's, and prints: throughput, p50/p99, the server's CPU time
per request, the load generator's CPU use (near 100 % of its core means it, not the server, was the
limit), and Mallard's ratio to the responder by throughput and by CPU time per request. Medians
over the rounds.

Loopback only; Python 3 standard library only.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_state_bench import BenchError, Processes, free_port, health_status, log, log_tail, print_table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICKS = os.sysconf("SC_CLK_TCK")
WORKLOADS = ("GetItem", "PutItem", "SendMessage")
TARGETS = ("responder", "mallard", "baseline")


def cpu_seconds(pid):
    """utime + stime of a process and all its threads, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def responder_body(workload, port):
    """A fixed answer that satisfies the load generator's checks for `workload` (about 100 bytes)."""
    if workload == "SendMessage":
        return json.dumps({"QueueUrl": "http://127.0.0.1:%d/000000000000/rp" % port,
                           "MD5OfMessageBody": "0" * 32, "MessageId": "00000000-0000-0000-0000-000000000000"})
    return json.dumps({"Item": {"pk": {"S": "key-00000001"}, "sk": {"N": "1"}, "data": {"S": "x" * 30}}})


class Bench:
    def __init__(self, args):
        self.args = args
        build = args.build_dir if os.path.isabs(args.build_dir) else os.path.join(ROOT, args.build_dir)
        self.mallard = os.path.join(build, "mallard")
        self.responder = os.path.join(build, "bench", "trivial_responder")
        self.ddb_load = os.path.join(build, "bench", "ddb_load")
        self.sqs_load = os.path.join(build, "bench", "sqs_load")
        for path in (self.mallard, self.responder, self.ddb_load, self.sqs_load):
            if not os.access(path, os.X_OK):
                raise BenchError("%s is not built (cmake --build build --target mallard trivial_responder ddb_load "
                                 "sqs_load)" % path)
        self.procs = Processes()
        self.tmp = args.out_dir or "/tmp/request_path_bench.%d" % os.getpid()
        os.makedirs(self.tmp, exist_ok=True)
        ncpu = os.cpu_count() or 1
        self.server_cpus = {ncpu - 1} if ncpu >= 2 else None
        self.load_cpus = set(range(ncpu - 1)) if ncpu >= 2 else None

    def wait_healthy(self, proc, port, log_path, path_ok):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BenchError("server exited with status %s; its log:\n%s" % (proc.returncode, log_tail(log_path)))
            if path_ok(port):
                return
            time.sleep(0.01)
        raise BenchError("server did not come up within 60 s; its log:\n%s" % log_tail(log_path))

    def start_target(self, target, workload, tag):
        port = free_port()
        log_path = os.path.join(self.tmp, "%s.log" % tag)
        if target == "responder":
            argv = [self.responder, "--port", str(port), "--body", responder_body(workload, port)]
            ready = port_open
        else:
            binary = self.args.baseline if target == "baseline" else self.mallard
            argv = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", "1",
                    "--log-level", "warn"]
            ready = lambda p: health_status(p) == 200  # noqa: E731
        proc = self.procs.start(tag, argv, log_path, self.server_cpus)
        self.wait_healthy(proc, port, log_path, ready)
        return proc, port, log_path

    def load_argv(self, workload, port, out, table):
        a = self.args
        common = ["--endpoint", "http://127.0.0.1:%d" % port, "--connections", str(a.connections),
                  "--duration", str(a.seconds), "--warmup", str(a.warmup), "--threads", "1", "--json-out", out]
        if workload == "SendMessage":
            return [self.sqs_load, "--scenario", "send", "--message-size", str(a.message_size),
                    "--queue-name", "rp-%d" % os.getpid(), "--rate", "0"] + common
        scenario = "get" if workload == "GetItem" else "put"
        return [self.ddb_load, "--scenario", scenario, "--table-name", table, "--keys", str(a.keys),
                "--partitions", "1", "--items-per-partition", "1", "--reuse-table", "--keep-table"] + common

    def preload(self, port, table):
        """The table GetItem reads and PutItem overwrites, created and filled once per server (by ddb_load)."""
        out = os.path.join(self.tmp, "preload-%d.json" % port)
        argv = [self.ddb_load, "--endpoint", "http://127.0.0.1:%d" % port, "--scenario", "get", "--connections", "1",
                "--duration", "0.2", "--warmup", "0", "--table-name", table, "--keys", str(self.args.keys),
                "--partitions", "1", "--items-per-partition", "1", "--keep-table", "--json-out", out]
        proc = self.procs.start("preload", argv, out + ".txt", self.load_cpus)
        if proc.wait() != 0:
            raise BenchError("ddb_load preload failed; its output:\n%s" % log_tail(out + ".txt"))
        self.procs.stop(proc)

    def measure(self, server_pid, argv, out, tag):
        """Runs one load; samples server and load-generator CPU inside the measured window."""
        a = self.args
        txt = out[:-5] + ".txt"
        with open(txt, "wb") as f:
            f.write(("$ " + " ".join(argv) + "\n").encode())
        load = self.procs.start(tag, argv, txt, self.load_cpus)
        # The load generator connects, (for SQS) creates its queue, then warms up: start sampling a
        # little after the warm-up ends and stop a little before the window does.
        margin = min(0.3, a.seconds / 10)
        time.sleep(a.warmup + margin + 0.1)
        s0, l0, t0 = cpu_seconds(server_pid), cpu_seconds(load.pid), time.monotonic()
        time.sleep(a.seconds - 2 * margin)
        s1, l1, t1 = cpu_seconds(server_pid), cpu_seconds(load.pid), time.monotonic()
        rc = load.wait()
        self.procs.stop(load)
        try:
            with open(out) as f:
                results = json.load(f).get("results", [])
        except (OSError, ValueError):
            results = []
        if len(results) != 1:
            raise BenchError("%s: no result (exit status %s); its output:\n%s" % (tag, rc, log_tail(txt)))
        r = results[0]
        ops = r.get("throughput_per_s", 0.0)
        wall = t1 - t0
        return {"ops": ops, "p50": r.get("latency_ms", {}).get("p50"), "p99": r.get("latency_ms", {}).get("p99"),
                "errors": r.get("errors", 0), "first_error": r.get("first_error"),
                "server_us": (s1 - s0) / (ops * wall) * 1e6 if ops > 0 else None,
                "server_cpu": (s1 - s0) / wall, "load_cpu": (l1 - l0) / wall}

    def run(self):
        a = self.args
        runs = {}  # (workload, target) -> [result per round]
        targets_in_use = tuple(t for t in TARGETS if t != "baseline" or a.baseline)
        for round_no in range(a.rounds):
            targets = targets_in_use if round_no % 2 == 0 else tuple(reversed(targets_in_use))
            for target in targets:
                for workload in a.workloads:
                    tag = "%s-%s-r%d" % (target, workload, round_no)
                    proc, port, log_path = self.start_target(target, workload, tag)
                    try:
                        table = "rp-%d" % os.getpid()
                        if target != "responder" and workload != "SendMessage":
                            self.preload(port, table)
                        out = os.path.join(self.tmp, tag + ".json")
                        log("round %d: %s %s, %d connections, %gs" % (round_no + 1, target, workload, a.connections,
                                                                      a.seconds))
                        result = self.measure(proc.pid, self.load_argv(workload, port, out, table), out, tag + "-load")
                        if proc.poll() is not None:
                            raise BenchError("%s died during the run; its log:\n%s" % (tag, log_tail(log_path)))
                        runs.setdefault((workload, target), []).append(result)
                    finally:
                        self.procs.stop(proc)
        return runs

    def report(self, runs):
        a = self.args
        print("run_request_path_bench.py, %s" % datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))
        print("  command: %s" % " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]))
        head = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout
        print("  source: %s" % head.strip()[:110])
        if a.baseline:
            print("  baseline: %s" % a.baseline)
        print("  %d rounds, medians; server on CPU %s, load generator on CPU %s; load average now %s" % (
            a.rounds, ",".join(map(str, sorted(self.server_cpus or []))) or "any",
            ",".join(map(str, sorted(self.load_cpus or []))) or "any",
            " ".join("%.2f" % x for x in os.getloadavg())))
        print()
        rows = []
        notes = []
        for workload in a.workloads:
            base = runs.get((workload, "responder"), [])
            base_ops = statistics.median(r["ops"] for r in base) if base else None
            base_us = statistics.median(r["server_us"] for r in base if r["server_us"]) if base else None
            for target in TARGETS:
                rs = runs.get((workload, target), [])
                if not rs:
                    continue
                ops = statistics.median(r["ops"] for r in rs)
                us = statistics.median(r["server_us"] for r in rs if r["server_us"] is not None)
                row = [workload, target, "%.0f" % ops, "%.3f" % statistics.median(r["p50"] for r in rs),
                       "%.3f" % statistics.median(r["p99"] for r in rs), "%.1f" % us,
                       "%.0f%%" % (100 * statistics.median(r["server_cpu"] for r in rs)),
                       "%.0f%%" % (100 * statistics.median(r["load_cpu"] for r in rs)),
                       "%.2f" % (ops / base_ops) if base_ops and target != "responder" else "",
                       "%.2f" % (base_us / us) if base_us and target != "responder" else "",
                       str(sum(r["errors"] for r in rs))]
                rows.append(row)
                for r in rs:
                    if r["errors"]:
                        notes.append("%s %s: %s" % (workload, target, r["first_error"]))
                if statistics.median(r["load_cpu"] for r in rs) > 0.9:
                    notes.append("%s %s: the load generator used over 90 %% of its core; the figure may be its limit"
                                 % (workload, target))
        print_table(["workload", "server", "req/s", "p50 ms", "p99 ms", "server CPU us/req", "server CPU",
                     "load CPU", "x responder (req/s)", "x responder (CPU/req)", "errors"], rows)
        if a.baseline:
            # Paired by round (the two ran minutes apart at most), then the median of the ratios.
            for workload in a.workloads:
                pairs = list(zip(runs.get((workload, "mallard"), []), runs.get((workload, "baseline"), [])))
                if not pairs:
                    continue
                ops = statistics.median(m["ops"] / b["ops"] for m, b in pairs if b["ops"])
                cpu = statistics.median(m["server_us"] / b["server_us"] for m, b in pairs if m["server_us"] and b["server_us"])
                print("%s: mallard / baseline, median of %d paired rounds: req/s x%.2f, server CPU per request x%.2f"
                      % (workload, len(pairs), ops, cpu))
        for note in notes:
            print("note: " + note)


def port_open(port):
    import socket
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default="build")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=6)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--keys", type=int, default=10000)
    p.add_argument("--message-size", type=int, default=256)
    p.add_argument("--workloads", default=",".join(WORKLOADS),
                   help="comma separated, of " + ", ".join(WORKLOADS))
    p.add_argument("--baseline", help="another mallard binary to measure in the same rounds (before/after)")
    p.add_argument("--out-dir", help="where results and logs go (default a new /tmp/request_path_bench.PID)")
    args = p.parse_args()
    args.workloads = [w for w in args.workloads.split(",") if w]
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error("unknown workload " + w)
    if args.seconds < 1:
        p.error("--seconds must be at least 1")
    return args


def main():
    args = parse_args()
    bench = Bench(args)
    try:
        bench.report(bench.run())
        return 0
    except BenchError as e:
        log("failed: %s" % e)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        bench.procs.stop_all()


if __name__ == "__main__":
    sys.exit(main())
