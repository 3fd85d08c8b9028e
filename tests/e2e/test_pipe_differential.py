"""Randomised differential test of `mallard pipe` (PostgreSQL → DuckLake) against PostgreSQL itself.

A seeded workload (pipe_workload.py) runs random transactions on four tables — inserts small and
large, upserts, updates of non-key and key columns (TOASTed values left untouched), deletes by key
and by predicate, TRUNCATE, ADD/DROP/RENAME COLUMN, savepoints, rollbacks — while a chaos thread
kill -9s the pipe at random moments and restarts it with random flush settings, and PostgreSQL is
restarted abruptly once. Checks:

- at every checkpoint and at the end, once the pipe has applied a marker transaction, every lake
  table equals its source table row by row, all columns (canonical values, see pipe_workload.py),
  and its lake column types are the mapped ones;
- at about half the kills, every lake table (read while the pipe is dead) equals the source table
  as it was after some transaction: the lake only ever holds a prefix of the source's history;
- with a PostgreSQL catalog, a sample of the pipe's lake snapshots, read by time travel, equals the
  source table after the transaction whose commit LSN the snapshot records;
- at the first checkpoint, a column type change the pipe does not follow stops the table (ERROR)
  and POST /tables/…/resync brings it back.

MALLARD_PIPE_DIFF_SEED=<int> replays a workload (the kills' timing still varies),
MALLARD_PIPE_DIFF_STEPS=<n> sets the number of transactions (default 90, about a minute per catalog
on two cores; a soak of 900 adds a checkpoint every 100 and a PostgreSQL restart every 300 steps).
The exact reproduction of the DeleteByKeys bug (pointers into a vector it erased from) is the
deterministic test at the end."""

from __future__ import annotations

import json
import os
import random
import threading
import time

import pytest

from pg_e2e import PostgresServer
from pipe_e2e import Pipe, lake_rows, source_rows
from pipe_workload import KINDS, Workload, describe_differences, digest, lake_canonical, lake_scan, lake_types, lsn_int

DEFAULT_STEPS = 90


def chosen_seed() -> int:
    text = os.environ.get("MALLARD_PIPE_DIFF_SEED")
    return int(text) if text else random.SystemRandom().randrange(1, 2**31)


SEED = chosen_seed()  # one per session: both catalog variants run the same workload
STEPS = int(os.environ.get("MALLARD_PIPE_DIFF_STEPS") or DEFAULT_STEPS)


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer().start()
    yield server
    server.stop()


def new_database(postgres, name: str) -> str:
    postgres.psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'mallard_{name}'")
    postgres.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    postgres.psql(f"CREATE DATABASE {name}")
    return name


def drop_slot(postgres, name: str) -> None:
    try:
        postgres.psql(f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = "
                      f"'mallard_{name}' AND NOT active")
    except AssertionError:
        pass


class PipeRunner:
    """The pipe process of a test, restarted with random settings; `lock` serialises the chaos
    thread's kills with the test's checkpoints and the PostgreSQL restart."""

    def __init__(self, postgres, database: str, catalog: str, tmp_path, tables: list[str], rng: random.Random):
        self.postgres, self.database, self.catalog, self.tmp_path = postgres, database, catalog, tmp_path
        self.tables, self.rng = tables, rng
        self.lock = threading.RLock()
        self.pipe: Pipe | None = None
        self.starts = 0
        self.log = tmp_path / "pipe.log"

    def start(self) -> None:
        interval = self.rng.choice([50, 100, 200, 300, 1000])
        args = ["--tables", ",".join(f"public.{t}" for t in self.tables), "--flush-interval-ms", str(interval),
                "--flush-batch-rows", str(self.rng.choice([100, 1000, 50000])),
                "--max-concurrent-flushes", str(self.rng.choice([1, 4]))]
        source = self.postgres.conninfo(self.database)
        if self.rng.random() < 0.25:
            # Large transactions streamed while in progress (protocol 2), held in files until commit.
            source += " options='-c logical_decoding_work_mem=64kB'"
            args.append("--pg-streaming")
        last = None
        for _ in range(10):
            pipe = Pipe(source, self.catalog, self.tmp_path / "data", self.tmp_path / "work", self.log, *args,
                        group=self.database)
            try:
                pipe.wait_ready(timeout=60)
                self.pipe = pipe
                self.starts += 1
                return
            except AssertionError as e:  # e.g. the slot still held by the killed process's walsender
                last = e
                pipe.stop(kill=True)
                time.sleep(0.5)
        raise AssertionError(f"the pipe did not start: {last}")

    def alive(self) -> bool:
        return self.pipe is not None and self.pipe.proc.poll() is None

    def kill(self) -> None:
        if self.pipe is not None:
            self.pipe.stop(kill=True)

    def stop(self) -> int:
        return self.pipe.stop() if self.pipe is not None else 0

    def log_tail(self, n: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


class Chaos(threading.Thread):
    """Kills the pipe with SIGKILL at random moments and restarts it; at about half the kills,
    checks that each lake table equals the source table as it was after some transaction."""

    def __init__(self, runner: PipeRunner, workload: Workload, rng: random.Random, label: str):
        super().__init__(daemon=True)
        self.runner, self.workload, self.rng, self.label = runner, workload, rng, label
        self.halt = threading.Event()
        self.kills = self.checks = self.partial = 0
        self.errors: list[str] = []
        self.last_match = {name: 0 for name in workload.tables}

    def run(self) -> None:
        try:
            while not self.halt.wait(self.rng.uniform(0.7, 5.0)):
                with self.runner.lock:
                    if self.halt.is_set():
                        break
                    self.runner.kill()
                    self.kills += 1
                    if self.rng.random() < 0.5:
                        self.check_prefix()
                    self.runner.start()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(f"chaos thread: {type(e).__name__}: {e}")

    def check_prefix(self) -> None:
        self.checks += 1
        # The pipe is dead: the lake holds still while it is read (the workload goes on).
        lake = {name: lake_scan(self.runner.catalog, name) for name in self.workload.tables}
        with self.workload.lock:  # every transaction the lake can hold is in the history now
            for name, got in lake.items():
                if got is None:
                    continue
                problem = match_history(self.workload, name, got, self.last_match)
                if problem == "partial":
                    self.partial += 1
                elif problem:
                    self.errors.append(f"{self.label} after kill {self.kills}: {problem}")


def match_history(workload: Workload, name: str, got, last_match: dict) -> str | None:
    """None when the lake's content of `name` equals the source's after some transaction."""
    header, raw = got
    cache = {}
    for entry in reversed(workload.history[name]):
        if [m[0] for m in entry.meta] != header:
            continue
        if entry.meta not in cache:
            try:
                cache[entry.meta] = digest(entry.meta, lake_canonical(entry.meta, header, raw))
            except (ValueError, AssertionError, KeyError):
                cache[entry.meta] = None
        if cache[entry.meta] == entry.digest:
            last_match[name] = max(last_match[name], entry.txn)
            return None
    if any(t.index > last_match[name] and name in t.nonatomic for t in workload.txns):
        # Column changes and TRUNCATE are lake commits of their own, between the rows before and
        # after them in their transaction: such a transaction may be half applied.
        return "partial"
    latest = workload.history[name][-1]
    detail = ""
    rows = workload.rows_of(latest)
    if rows is not None:
        try:
            actual = lake_canonical(latest.meta, header, raw)
            detail = "; against the latest source state: " + "; ".join(
                describe_differences(latest.meta, rows, header, actual))
        except (ValueError, AssertionError, KeyError) as e:
            detail = f"; lake rows unreadable as the latest columns: {e}"
    return (f"{name}: the lake ({len(raw)} rows, columns {header}) equals the source after no transaction since "
            f"#{last_match[name]} (latest #{latest.txn}: {latest.count} rows){detail}")


def wait_caught_up(runner: PipeRunner, txn, label: str, timeout: float = 180) -> None:
    """Until every table has applied `txn` (a transaction touching all of them) and holds nothing."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if not runner.alive():
            raise AssertionError(f"{label} the pipe exited ({runner.pipe.proc.returncode}):\n{runner.log_tail()}")
        try:
            status = runner.pipe.status()
        except OSError:
            time.sleep(0.2)
            continue
        tables = {t["source"]: t for t in status["tables"]}
        last = tables
        if all(f"public.{name}" in tables and tables[f"public.{name}"]["state"] == "STREAMING"
               and lsn_int(tables[f"public.{name}"]["applied_lsn"]) >= txn.lo
               and tables[f"public.{name}"]["buffered_rows"] == 0 and tables[f"public.{name}"]["queued_bytes"] == 0
               for name in runner.tables):
            return
        time.sleep(0.2)
    brief = {name: {k: t.get(k) for k in ("state", "applied_lsn", "snapshot_lsn", "buffered_rows", "queued_bytes",
                                          "last_error")} for name, t in (last or {}).items()}
    raise AssertionError(f"{label} the pipe did not apply transaction #{txn.index} (commit at or after "
                         f"{txn.lo >> 32:X}/{txn.lo & 0xFFFFFFFF:X}) within {timeout}s: {brief}\n{runner.log_tail()}")


def compare_all(workload: Workload, catalog: str, label: str, where: str) -> None:
    """Every lake table equals its source table, row by row, and has the mapped column types."""
    problems = []
    types = lake_types(catalog)
    for name, table in workload.tables.items():
        meta, expected = workload.pg_rows(name)
        got = lake_scan(catalog, name)
        if got is None:
            problems.append(f"{name}: not in the lake")
            continue
        header, raw = got
        try:
            actual = lake_canonical(meta, header, raw)
        except (ValueError, AssertionError, KeyError) as e:
            problems.append(f"{name}: lake values unreadable as {meta}: {e}")
            continue
        problems += [f"{name}: {p}" for p in describe_differences(meta, expected, header, actual)]
        want_types = ", ".join(f"{c.name} {KINDS[c.kind][1]}" for c in table.columns)
        if types.get(f"public.{name}") != want_types:
            problems.append(f"{name}: lake columns '{types.get(f'public.{name}')}', want '{want_types}'")
    assert not problems, f"{label} {where}: lake != source:\n" + "\n".join(problems)


def time_travel(postgres, lake_database: str, catalog: str, workload: Workload, rng: random.Random, label: str,
                samples: int) -> tuple[int, int]:
    """A sample of the pipe's lake snapshots, each read at that snapshot, equal the source table
    after the transaction whose commit LSN the snapshot's commit info records."""
    out = postgres.psql("SELECT snapshot_id, commit_extra_info FROM ducklake_snapshot_changes "
                        "WHERE commit_extra_info LIKE '%commit_lsn%' ORDER BY snapshot_id", lake_database)
    flushes = []
    for line in out.splitlines():
        snapshot, _, info = line.partition("|")
        parsed = json.loads(info)  # the commit info is JSON, as the DuckLake spec describes it
        assert parsed.get("source") == "postgres" and str(parsed.get("table", "")).startswith("public.") \
            and isinstance(parsed.get("commit_lsn"), int), f"{label} unexpected commit info of snapshot {snapshot}: {info}"
        flushes.append((int(snapshot), parsed["table"][len("public."):], parsed["commit_lsn"]))
    checked = skipped = 0
    problems = []
    for snapshot, name, lsn in rng.sample(flushes, min(samples, len(flushes))):
        txn = workload.txn_at(lsn)
        if txn is None:
            after = workload.txn_at(lsn + 1)  # a flush before a column change records commit LSN - 1
            if after is not None and name in after.barrier:
                skipped += 1
                continue
            problems.append(f"snapshot {snapshot} of {name}: commit_lsn {lsn:X} is no source transaction's commit")
            continue
        if name in txn.barrier:
            skipped += 1  # its lake commits are split around the column change or TRUNCATE
            continue
        entry = workload.entry_at(name, txn.index)
        got = lake_scan(catalog, name, snapshot)
        assert got is not None, f"{label} {name} missing at snapshot {snapshot}"
        header, raw = got
        checked += 1
        try:
            actual = lake_canonical(entry.meta, header, raw)
            same = [m[0] for m in entry.meta] == header and digest(entry.meta, actual) == entry.digest
        except (ValueError, AssertionError, KeyError) as e:
            same, actual = False, None
            problems.append(f"snapshot {snapshot} of {name}: unreadable as {entry.meta}: {e}")
            continue
        if not same:
            rows = workload.rows_of(entry)
            detail = "; ".join(describe_differences(entry.meta, rows, header, actual)) if rows else ""
            problems.append(f"snapshot {snapshot} of {name} (commit_lsn {lsn:X}, transaction #{txn.index}): lake "
                            f"{len(raw)} rows != source {entry.count} rows: {detail}")
    assert not problems, f"{label} time travel:\n" + "\n".join(problems)
    return checked, skipped


@pytest.mark.parametrize("catalog_kind", ["duckdb", "postgres"])
def test_random_workload_lake_equals_source(postgres, tmp_path, catalog_kind):
    seed, steps = SEED, STEPS
    label = f"[MALLARD_PIPE_DIFF_SEED={seed} MALLARD_PIPE_DIFF_STEPS={steps} catalog={catalog_kind}]"
    print(f"\n{label}")
    database = new_database(postgres, f"pdiff_{catalog_kind}")
    if catalog_kind == "duckdb":
        catalog = str(tmp_path / "lake.duckdb")  # one process at a time: read only while the pipe is stopped
    else:
        catalog = postgres.url(new_database(postgres, f"pdiff_{catalog_kind}_lake"))
    rng = random.Random(seed)
    workload = Workload(postgres, database, rng, label)
    workload.sql_log = tmp_path / "workload.sql"
    print(f"{label} workload SQL: {workload.sql_log}, pipe log: {tmp_path / 'pipe.log'}")
    workload.setup()
    runner = PipeRunner(postgres, database, catalog, tmp_path, sorted(workload.tables), random.Random(seed * 7 + 1))
    chaos = Chaos(runner, workload, random.Random(seed * 7 + 2), label)
    plan = random.Random(seed * 7 + 3)
    if steps <= 300:
        restarts = {plan.randrange(steps // 4, max(steps // 4 + 1, 3 * steps // 4))}
        every = max(1, steps // 3)
    else:  # a soak: more checkpoints and restarts
        restarts = {plan.randrange(start, start + 300) for start in range(50, steps - 50, 300)}
        every = 100
    checkpoints = {step: f"checkpoint {i + 1}" for i, step in enumerate(range(every, steps, every))}
    started = time.monotonic()
    runner.start()
    chaos.start()
    try:
        for step in range(steps):
            if step in restarts:
                with runner.lock:
                    postgres.restart()  # every connection drops, the pipe's included
            if step in checkpoints:
                with runner.lock:
                    if not runner.alive():
                        runner.start()
                    if checkpoints[step] == "checkpoint 1":
                        resync_after_type_change(runner, workload, label)
                    marker = workload.sentinel()
                    wait_caught_up(runner, marker, label)
                    if catalog_kind == "duckdb":
                        runner.kill()  # the catalog file has one process at a time
                    compare_all(workload, catalog, label, f"at the {checkpoints[step]} (step {step})")
                    if not runner.alive():
                        runner.start()
            workload.transaction()
            assert not chaos.errors, "\n".join(chaos.errors)
        chaos.halt.set()
        chaos.join(120)
        assert not chaos.errors, "\n".join(chaos.errors)
        if not runner.alive():
            runner.start()
        marker = workload.sentinel()
        wait_caught_up(runner, marker, label)
        code = runner.stop()
        assert code == 0, f"{label} the pipe exited with {code} on SIGINT:\n{runner.log_tail()}"
        compare_all(workload, catalog, label, "at the end")
        checked = skipped = 0
        if catalog_kind == "postgres":
            checked, skipped = time_travel(postgres, f"pdiff_{catalog_kind}_lake", catalog, workload,
                                           random.Random(seed * 7 + 4), label, samples=max(12, steps // 8))
        print(f"{label} {time.monotonic() - started:.0f}s: {workload.stats}; pipe started {runner.starts} times, "
              f"{chaos.kills} kills, {chaos.checks} prefix checks ({chaos.partial} tables mid-transaction), "
              f"PostgreSQL restarted before steps {sorted(restarts)}; time travel: {checked} snapshots checked, {skipped} "
              f"skipped")
    finally:
        chaos.halt.set()
        chaos.join(120)
        with runner.lock:
            runner.kill()
        drop_slot(postgres, database)


def table_status(pipe: Pipe, label: str) -> dict | None:
    # None while a table is being resynced: it leaves /status until its new flusher starts.
    return next((t for t in pipe.status()["tables"] if t["source"] == label), None)


def resync_after_type_change(runner: PipeRunner, workload: Workload, label: str) -> None:
    """A column type change that is not a widening stops the table (README: until resync); a resync
    rebuilds the lake table with the source's columns and types."""
    name, column = workload.change_type()
    change = workload.txns[-1]
    deadline = time.monotonic() + 90
    failed = None
    while time.monotonic() < deadline:
        # (Three failed flushes in a row are an ERROR too, retried: wait for this one.)
        failed = table_status(runner.pipe, f"public.{name}")
        if failed and failed["state"] == "ERROR" and "changed type" in (failed["last_error"] or ""):
            break
        if failed and failed.get("snapshot_lsn") and lsn_int(failed["snapshot_lsn"]) >= change.hi:
            # A resync for another reason (a restart finding a column added and dropped while it was
            # away) snapshotted the table after the change: the lake has the new type already, and
            # the final comparison checks it.
            return
        time.sleep(0.2)
    assert failed and "changed type" in (failed["last_error"] or ""), f"{label} {name}.{column}: {failed}"
    status, body = runner.pipe.api("POST", f"/tables/public.{name}/resync")
    assert status == 202, f"{label} resync of {name}: {status} {body}"
    deadline = time.monotonic() + 120
    state = None
    while time.monotonic() < deadline:
        state = table_status(runner.pipe, f"public.{name}")
        if state and state["state"] == "STREAMING":
            return
        time.sleep(0.2)
    raise AssertionError(f"{label} {name} not STREAMING 120 s after its resync (column {column} became text): "
                         f"{state}\n{runner.log_tail()}")


# ---------------------------------------------------------------------------------------------
# The reproduction of the DeleteByKeys bug: an update of keys spread over several small data files,
# one of them emptied by it, deleted the rows of the wrong file (pointers into a vector it erased
# from) — id 13 twice and id 15 lost; with id 15 in the update, every later flush failed.
# ---------------------------------------------------------------------------------------------

def wait_flushed(pipe: Pipe, before: int, timeout: float = 30, table: str = "public.t") -> int:
    deadline = time.monotonic() + timeout
    label, table = table, None
    while time.monotonic() < deadline:
        table = pipe.table(label)
        if table["flushes"] > before and table["buffered_rows"] == 0:
            return table["flushes"]
        time.sleep(0.05)
    raise AssertionError(f"no flush of {label} within {timeout}s: {table}")


@pytest.mark.parametrize("catalog_kind", ["duckdb", "postgres"])
@pytest.mark.parametrize("updated", [(11, 12, 13), (11, 12, 13, 15)], ids=["ids_11_12_13", "ids_11_12_13_15"])
def test_update_across_small_files_deletes_the_right_rows(postgres, tmp_path, catalog_kind, updated):
    database = new_database(postgres, f"prepro_{catalog_kind}_{len(updated)}")
    catalog = (str(tmp_path / "lake.duckdb") if catalog_kind == "duckdb"
               else postgres.url(new_database(postgres, f"prepro_{catalog_kind}_{len(updated)}_lake")))
    postgres.psql("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL); "
                  "INSERT INTO t SELECT g, 0 FROM generate_series(1, 10) g", database)
    pipe = Pipe(postgres.conninfo(database), catalog, tmp_path / "data", tmp_path / "work", tmp_path / "pipe.log",
                "--tables", "public.t", "--flush-interval-ms", "300", group=database)
    try:
        pipe.wait_ready()
        pipe.wait_state("public.t", "STREAMING")
        flushes = pipe.table("public.t")["flushes"]
        for first in (11, 13, 15):  # one small data file each
            postgres.psql(f"INSERT INTO t VALUES ({first}, 0), ({first + 1}, 0)", database)
            flushes = wait_flushed(pipe, flushes)
        postgres.psql(f"UPDATE t SET v = 1 WHERE id IN ({', '.join(map(str, updated))})", database)
        flushes = wait_flushed(pipe, flushes)
        postgres.psql("INSERT INTO t VALUES (17, 0)", database)  # and later flushes still work
        wait_flushed(pipe, flushes)
        table = pipe.table("public.t")
        assert table["state"] == "STREAMING" and table["failed_flushes"] == 0, table
    finally:
        assert pipe.stop() == 0
        drop_slot(postgres, database)
    expected = [f"{i},{1 if i in updated else 0}" for i in range(1, 18)]
    assert source_rows(postgres, "SELECT id, v FROM t ORDER BY id", database) == expected
    assert lake_rows(catalog, "t") == expected


# ---------------------------------------------------------------------------------------------
# Bugs the random workload found, reduced to a few statements.
# ---------------------------------------------------------------------------------------------

def test_unchanged_toast_is_kept_through_a_key_change_earlier_in_the_batch(postgres, tmp_path):
    """An update that leaves a TOASTed value alone, of a row whose key an earlier change of the same
    batch changed (or a second key change of it): the value is under the row's first key in the
    lake, and the batch's earlier image of the row does not have it either. README: never NULL."""
    database = new_database(postgres, "ptoast_chain")
    catalog = str(tmp_path / "lake.duckdb")
    postgres.psql("CREATE TABLE d (id int PRIMARY KEY, n int, body text); "
                  "ALTER TABLE d ALTER COLUMN body SET STORAGE EXTERNAL; "
                  "INSERT INTO d VALUES (1, 0, repeat('x', 3000)), (10, 0, repeat('y', 3000)), "
                  "(100, 0, repeat('z', 3000))", database)
    pipe = Pipe(postgres.conninfo(database), catalog, tmp_path / "data", tmp_path / "work", tmp_path / "pipe.log",
                "--tables", "public.d", "--flush-interval-ms", "2000", group=database)
    try:
        pipe.wait_ready()
        pipe.wait_state("public.d", "STREAMING")
        flushes = pipe.table("public.d")["flushes"]
        # Four transactions, one batch (the flush interval is 2 s).
        postgres.psql("UPDATE d SET id = 2 WHERE id = 1", database)
        postgres.psql("UPDATE d SET n = 1 WHERE id = 2", database)
        postgres.psql("UPDATE d SET id = 11 WHERE id = 10", database)
        postgres.psql("UPDATE d SET id = 12 WHERE id = 11", database)
        # A chain of forty images, none carrying the value: key and other column in turn.
        postgres.psql("DO $$ BEGIN FOR i IN 1..20 LOOP UPDATE d SET id = id + 1 WHERE id >= 100; "
                      "UPDATE d SET n = n + 1 WHERE id >= 100; END LOOP; END $$", database)
        wait_flushed(pipe, flushes, table="public.d")
    finally:
        assert pipe.stop() == 0
        drop_slot(postgres, database)
    expected = source_rows(postgres, "SELECT id, n, md5(body) FROM d ORDER BY id", database)
    assert expected == ["2,1," + md5("x" * 3000), "12,0," + md5("y" * 3000), "120,20," + md5("z" * 3000)]
    lake = [",".join(row.split(",")[:2] + [md5(row.split(",")[2]) if row.split(",")[2] else "NULL"])
            for row in lake_rows(catalog, "d")]
    assert lake == expected


def md5(text: str) -> str:
    import hashlib
    return hashlib.md5(text.encode()).hexdigest()


def test_column_renamed_while_the_pipe_was_down_keeps_its_values_when_its_name_is_reused(postgres, tmp_path):
    """While the pipe is stopped: a column is renamed and a new column of another type takes its old
    name. The pipe resumes with the lake's columns; replaying the rename must rename the lake column,
    not drop it (with the values of every row before) and add an empty one."""
    database = new_database(postgres, "prename_reuse")
    catalog = str(tmp_path / "lake.duckdb")
    postgres.psql("CREATE TABLE t (id int PRIMARY KEY, a timestamptz); "
                  "INSERT INTO t VALUES (1, '2020-01-01 00:00:00+00')", database)

    def start() -> Pipe:
        pipe = Pipe(postgres.conninfo(database), catalog, tmp_path / "data", tmp_path / "work", tmp_path / "pipe.log",
                    "--tables", "public.t", "--flush-interval-ms", "100", group=database)
        pipe.wait_ready()
        return pipe

    pipe = start()
    try:
        pipe.wait_state("public.t", "STREAMING")
        pipe.stop(kill=True)
        postgres.psql("ALTER TABLE t RENAME a TO b; INSERT INTO t VALUES (2, '2021-01-01 00:00:00+00')", database)
        postgres.psql("ALTER TABLE t ADD COLUMN a int; INSERT INTO t VALUES (3, '2022-01-01 00:00:00+00', 5)", database)
        pipe = start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            table = pipe.table("public.t")
            if table["rows_synced"] >= 3 and table["buffered_rows"] == 0 or table["state"] == "ERROR":
                break
            time.sleep(0.1)
        assert pipe.table("public.t")["state"] == "STREAMING", pipe.table("public.t")
    finally:
        pipe.stop()
        drop_slot(postgres, database)
    expected = ["1,2020-01-01 00:00:00+00,", "2,2021-01-01 00:00:00+00,", "3,2022-01-01 00:00:00+00,5"]
    assert source_rows(postgres, "SELECT id, b, a FROM t ORDER BY id", database) == expected
    assert lake_rows(catalog, "t") == expected
