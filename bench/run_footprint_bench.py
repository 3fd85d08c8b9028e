#!/usr/bin/python3
"""Start-up time, idle memory and memory per stored item of `mallard serve` (issue 22).

  bench/run_footprint_bench.py [--build-dir build] [--starts 9] [--items 1000000] [--messages 0]
                               [--baseline OTHER_MALLARD] [-- extra serve args]

* start-up: `--starts` launches of `mallard serve` (memory stores, a free loopback port); each is
  timed from spawn to the first 200 from GET /_mallard/health, then its RSS is read from /proc one
  second later (idle RSS), and it is stopped with SIGTERM (exit code checked). Median and range.
* memory per DynamoDB item: a fresh server, its RSS, then `ddb_load --keys N --value-size 180`
  preloads N items of ~200 bytes (DynamoDB's item size) into one table; RSS again once the load has
  exited; (RSS after - RSS before) / N, next to the items' own bytes (DescribeTable's TableSizeBytes).
* memory per SQS message (`--messages N`): the same with `sqs_load --preload N --message-size 256`.

`--baseline BINARY` measures an earlier build in the same run, interleaved start by start, so the
two compare on the same machine state. Nothing is asserted: the figures go to bench/REQUEST_PATH.md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_state_bench import (BenchError, Processes, ddb_call, free_port, health_status, http_request, log,  # noqa: E402
                             log_tail, print_table, sqs_headers)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise BenchError("no VmRSS for pid %d" % pid)


def start(processes, binary, extra, log_path, timeout=30.0):
    """Starts a server; returns (process, port, seconds from spawn to a healthy answer)."""
    port = free_port()
    t0 = time.monotonic()
    proc = processes.start("mallard", [binary, "serve", "--host", "127.0.0.1", "--port", str(port), *extra], log_path)
    while health_status(port) != 200:
        if proc.poll() is not None:
            raise BenchError("mallard exited with %s during start-up:\n%s" % (proc.returncode, log_tail(log_path)))
        if time.monotonic() - t0 > timeout:
            raise BenchError("mallard not healthy after %.0f s:\n%s" % (timeout, log_tail(log_path)))
        time.sleep(0.002)
    return proc, port, time.monotonic() - t0


def stop(processes, proc, log_path):
    processes.stop(proc)
    if proc.returncode != 0:
        raise BenchError("mallard exited with %s on SIGTERM:\n%s" % (proc.returncode, log_tail(log_path)))


def measure_starts(processes, binaries, starts, extra, work):
    figures = {name: {"start_ms": [], "rss_mib": []} for name in binaries}
    for round_number in range(starts):
        for name, binary in binaries.items():
            log_path = os.path.join(work, "%s-start-%d.log" % (name, round_number))
            proc, _, seconds = start(processes, binary, extra, log_path)
            time.sleep(1.0)
            figures[name]["rss_mib"].append(rss_bytes(proc.pid) / 1048576)
            figures[name]["start_ms"].append(seconds * 1000)
            stop(processes, proc, log_path)
    return figures


def rss_growth(processes, binary, extra, log_path, load_argv, count_after):
    """A fresh server's RSS before and after `load_argv(port)` has run, and `count_after(port)`."""
    proc, port, _ = start(processes, binary, extra, log_path)
    try:
        time.sleep(1.0)
        before = rss_bytes(proc.pid)
        result = subprocess.run(load_argv(port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=3600)
        if result.returncode != 0:
            raise BenchError("%s failed: %s" % (load_argv(port)[0], result.stderr.decode()[-500:]))
        time.sleep(1.0)
        return rss_bytes(proc.pid) - before, count_after(port)
    finally:
        stop(processes, proc, log_path)


def measure_items(processes, binary, build_dir, count, extra, work, name):
    def load(port):
        return [os.path.join(build_dir, "bench", "ddb_load"), "--endpoint", "http://127.0.0.1:%d" % port,
                "--keys", str(count), "--value-size", "180", "--scenario", "get", "--duration", "0.2",
                "--warmup", "0", "--connections", "16", "--keep-table", "--table-name", "footprint"]

    def described(port):
        return ddb_call(port, "DescribeTable", {"TableName": "footprint"})["Table"]

    grown, table = rss_growth(processes, binary, extra, os.path.join(work, "%s-items.log" % name), load, described)
    items = max(table["ItemCount"], 1)
    return {"items": table["ItemCount"], "bytes_per_item": grown / items, "data_per_item": table["TableSizeBytes"] / items}


def measure_messages(processes, binary, build_dir, count, extra, work, name):
    def load(port):
        # receive-delete (queue footprint-recv) runs 0.2 s after the preload; the queue is counted afterwards.
        return [os.path.join(build_dir, "bench", "sqs_load"), "--endpoint", "http://127.0.0.1:%d" % port,
                "--preload", str(count), "--preload-max", str(count), "--message-size", "256",
                "--scenario", "receive-delete", "--duration", "0.2", "--warmup", "0", "--connections", "1",
                "--keep-queue", "--queue-name", "footprint"]

    def counted(port):
        url = sqs_call(port, "GetQueueUrl", {"QueueName": "footprint-recv"})["QueueUrl"]
        attributes = sqs_call(port, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["All"]})["Attributes"]
        return sum(int(attributes[name]) for name in ("ApproximateNumberOfMessages",
                                                      "ApproximateNumberOfMessagesNotVisible",
                                                      "ApproximateNumberOfMessagesDelayed"))

    grown, messages = rss_growth(processes, binary, extra, os.path.join(work, "%s-messages.log" % name), load, counted)
    return {"messages": messages, "bytes_per_message": grown / max(messages, 1)}


def sqs_call(port, op, body):
    status, data, _, _, _ = http_request(port, "POST", "/", body=json.dumps(body).encode(), headers=sqs_headers(op),
                                         timeout=120)
    if status != 200:
        raise BenchError("SQS %s answered %d: %s" % (op, status, data[:300]))
    return json.loads(data)


def spread(values):
    return "%.0f (%.0f-%.0f)" % (statistics.median(values), min(values), max(values))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--baseline", help="an earlier mallard binary, measured in the same run")
    parser.add_argument("--starts", type=int, default=9)
    parser.add_argument("--items", type=int, default=1000000, help="DynamoDB items for memory per item (0 skips)")
    parser.add_argument("--messages", type=int, default=0, help="SQS messages for memory per message (0 skips)")
    parser.add_argument("extra", nargs="*", help="after --: more `mallard serve` arguments")
    return parser.parse_args()


def main():
    args = parse_args()
    binaries = {"mallard": os.path.join(args.build_dir, "mallard")}
    if args.baseline:
        binaries["baseline"] = args.baseline
    processes = Processes()
    work = tempfile.mkdtemp(prefix="mallard-footprint-")
    try:
        log("%d starts of %s" % (args.starts, ", ".join(binaries.values())))
        starts = measure_starts(processes, binaries, args.starts, args.extra, work)
        rows = [[name, spread(f["start_ms"]), "%.1f" % statistics.median(f["rss_mib"])] for name, f in starts.items()]
        print_table(["binary", "start-up ms, median (range)", "idle RSS MiB"], rows)
        for name, binary in binaries.items():
            if args.items:
                log("%s: %d DynamoDB items" % (name, args.items))
                items = measure_items(processes, binary, args.build_dir, args.items, args.extra, work, name)
                print("%s: %d DynamoDB items: %.0f bytes of memory an item for %.0f bytes of item data (%.1fx)" %
                      (name, items["items"], items["bytes_per_item"], items["data_per_item"],
                       items["bytes_per_item"] / max(items["data_per_item"], 1)), flush=True)
            if args.messages:
                log("%s: %d SQS messages" % (name, args.messages))
                messages = measure_messages(processes, binary, args.build_dir, args.messages, args.extra, work, name)
                print("%s: %d SQS messages of 256 bytes: %.0f bytes of memory a message (%.1fx)" %
                      (name, messages["messages"], messages["bytes_per_message"], messages["bytes_per_message"] / 256),
                      flush=True)
        log("logs in %s" % work)
    except BenchError as error:
        print("run_footprint_bench: %s" % error, file=sys.stderr)
        return 1
    finally:
        processes.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
