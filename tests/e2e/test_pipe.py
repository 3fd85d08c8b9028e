"""Change data capture, PostgreSQL → DuckLake (`mallard pipe`), against a real PostgreSQL 15 with
wal_level=logical: snapshot + stream hand-over under concurrent writes, every kind of change,
TOAST, TRUNCATE, DDL, many tables, the REST API, kill -9 at random moments and a PostgreSQL
restart followed by an exact source-vs-lake comparison, and the clear errors."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import time

import pytest

from pg_e2e import PostgresServer
from pipe_e2e import (Pipe, Writer, lake_cli, lake_rows, run_pipe_expecting_failure, source_rows, wait_equal)
from pipe_e2e import database, lake_catalog, postgres  # noqa: F401 (fixtures)

ITEMS = "SELECT id, name, amount, qty FROM items ORDER BY id"


def make_items(postgres, database, rows: int) -> None:
    postgres.psql("CREATE TABLE items (id bigint PRIMARY KEY, name text, amount numeric(12,2), qty integer)", database)
    if rows:
        postgres.psql(f"INSERT INTO items SELECT g, 'item ' || g, g * 1.25, g % 7 FROM generate_series(1, {rows}) g",
                      database)


def start_pipe(postgres, database, catalog, tmp_path, *args, name="pipe") -> Pipe:
    # Slots are per cluster: one group (publication and slot) per test database.
    pipe = Pipe(postgres.conninfo(database), catalog, tmp_path / "data", tmp_path / "work", tmp_path / f"{name}.log",
                *args, group=database)
    pipe.wait_ready()
    return pipe


def writes(first_id: int, count: int) -> str:
    """A server-side loop of small committed transactions: inserts, updates, deletes."""
    return f"""DO $$ BEGIN FOR i IN 1..{count} LOOP
  INSERT INTO items VALUES ({first_id} + i, 'new ' || i, i * 0.5, i % 11);
  IF i % 3 = 0 THEN UPDATE items SET qty = qty + 1, name = 'touched ' || i WHERE id = i; END IF;
  IF i % 5 = 0 THEN DELETE FROM items WHERE id = i + 1; END IF;
  COMMIT;
  IF i % 100 = 0 THEN PERFORM pg_sleep(0.005); END IF;
END LOOP; END $$"""


def test_snapshot_and_stream_hand_over_under_concurrent_writes(postgres, database, lake_catalog, tmp_path):
    make_items(postgres, database, 50_000)
    writer = Writer(postgres, writes(1_000_000, 3000), database)
    writer.start()
    time.sleep(0.2)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "public.items")
    try:
        writer.finish()
        wait_equal(lambda: lake_rows(lake_catalog, "items"), lambda: source_rows(postgres, ITEMS, database))
        table = pipe.wait_state("public.items", "STREAMING")
        assert table["rows_synced"] >= 50_000
        assert table["mode"] == "upsert"
        status = pipe.status()
        assert status["slot"] == "mallard_" + database and status["connected"] is True
        # The slot is confirmed once the lake has everything: nothing is retained for us.
        deadline = time.monotonic() + 30
        while pipe.status()["slot_lag_bytes"] > 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        confirmed = postgres.psql("SELECT confirmed_flush_lsn >= pg_current_wal_lsn() FROM pg_replication_slots "
                                  f"WHERE slot_name = 'mallard_{database}'", database)
        assert confirmed == "t"
    finally:
        pipe.stop()


def test_updates_deletes_toast_truncate_and_ddl(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE docs (id int PRIMARY KEY, title text, body text, n int)", database)
    postgres.psql("ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL", database)
    # 3 KB of random text, stored out of line and uncompressed: an UPDATE that does not touch it
    # sends it as 'unchanged TOAST'.
    big = "(SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 100))"
    postgres.psql(f"INSERT INTO docs SELECT g, 't' || g, {big}, g FROM generate_series(1, 20) g", database)
    docs = "SELECT id, title, md5(body), n FROM docs ORDER BY id"
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "docs")

    def lake_docs():
        return [",".join([r.split(",")[0], r.split(",")[1], md5(r.split(",")[2]), r.split(",")[3]])
                for r in lake_rows(lake_catalog, "docs")]

    try:
        wait_equal(lake_docs, lambda: source_rows(postgres, docs, database))
        # Unchanged TOAST in an update, in the same batch as an insert of the same key's image,
        # and alone (taken from the lake).
        postgres.psql("UPDATE docs SET n = n + 100 WHERE id <= 5", database)
        postgres.psql(f"INSERT INTO docs VALUES (21, 'new', {big}, 0); UPDATE docs SET title = 'x' WHERE id = 21", database)
        postgres.psql("DELETE FROM docs WHERE id IN (6, 7)", database)
        postgres.psql("UPDATE docs SET id = 1000 WHERE id = 8", database)  # key change
        wait_equal(lake_docs, lambda: source_rows(postgres, docs, database))
        assert all(row.split(",")[2] for row in lake_rows(lake_catalog, "docs")), "a TOAST value became NULL"

        postgres.psql("TRUNCATE docs", database)
        postgres.psql("INSERT INTO docs VALUES (1, 'after', 'short', 1)", database)
        wait_equal(lake_docs, lambda: source_rows(postgres, docs, database))

        # DDL: added, dropped and renamed columns reach the lake.
        postgres.psql("ALTER TABLE docs ADD COLUMN tag text", database)
        postgres.psql("INSERT INTO docs VALUES (2, 'tagged', 'b', 2, 'red')", database)
        postgres.psql("ALTER TABLE docs RENAME COLUMN n TO num", database)
        postgres.psql("ALTER TABLE docs DROP COLUMN title", database)
        postgres.psql("INSERT INTO docs VALUES (3, 'c', 3, 'blue')", database)
        postgres.psql("UPDATE docs SET num = 20 WHERE id = 2", database)
        wait_equal(lambda: lake_rows(lake_catalog, "docs"),
                   lambda: source_rows(postgres, "SELECT id, body, num, tag FROM docs ORDER BY id", database))
        tables = lake_cli(lake_catalog, "tables")
        assert "public.docs\tid int32, body varchar, num int32, tag varchar" in tables
        assert pipe.table("public.docs")["state"] == "STREAMING"
    finally:
        pipe.stop()


def md5(text: str) -> str:
    import hashlib
    return hashlib.md5(text.encode()).hexdigest()


def test_many_tables_and_the_rest_api(postgres, database, lake_catalog, tmp_path):
    for i in range(20):
        postgres.psql(f"CREATE TABLE t{i} (id int PRIMARY KEY, v text); INSERT INTO t{i} SELECT g, 'v' || g "
                      f"FROM generate_series(1, {100 + i}) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--schemas", "public")
    try:
        for i in range(20):
            pipe.wait_state(f"public.t{i}", "STREAMING")
        for i in range(20):
            postgres.psql(f"INSERT INTO t{i} VALUES (100000, 'late'); DELETE FROM t{i} WHERE id = 1", database)
        for i in range(20):
            wait_equal(lambda i=i: lake_rows(lake_catalog, f"t{i}"),
                       lambda i=i: source_rows(postgres, f"SELECT id, v FROM t{i} ORDER BY id", database))
        # Add a table at run time: snapshot, then its changes.
        postgres.psql("CREATE TABLE extra (id int PRIMARY KEY, v text); INSERT INTO extra VALUES (1, 'one')", database)
        status, body = pipe.api("POST", "/tables", {"table": "public.extra"})
        assert status == 201, body
        status, body = pipe.api("POST", "/tables", {"table": "public.extra"})
        assert status == 409, body
        postgres.psql("INSERT INTO extra VALUES (2, 'two')", database)
        wait_equal(lambda: lake_rows(lake_catalog, "extra"), lambda: source_rows(postgres, "SELECT id, v FROM extra ORDER BY id",
                                                                                    database))
        pipe.wait_state("public.extra", "STREAMING")
        # Resync rebuilds the table from a new snapshot.
        status, body = pipe.api("POST", "/tables/public.t3/resync")
        assert status == 202, body
        postgres.psql("INSERT INTO t3 VALUES (200000, 'during resync')", database)
        wait_equal(lambda: lake_rows(lake_catalog, "t3"), lambda: source_rows(postgres, "SELECT id, v FROM t3 ORDER BY id",
                                                                                 database))
        # Remove: no more changes reach the lake table, which stays.
        status, body = pipe.api("DELETE", "/tables/public.t5")
        assert status == 200, body
        postgres.psql("INSERT INTO t5 VALUES (300000, 'after removal')", database)
        time.sleep(1)
        assert "300000,after removal" not in lake_rows(lake_catalog, "t5")
        assert all(t["source"] != "public.t5" for t in pipe.status()["tables"])
        assert pipe.api("DELETE", "/tables/public.t5")[0] == 404
        assert pipe.api("POST", "/tables", {"nope": 1})[0] == 400
        assert pipe.api("POST", "/tables", {"table": "public.missing"})[0] == 400
        assert pipe.api("GET", "/nowhere")[0] == 404
        # Malformed escapes are a client error, never the end of the process.
        assert pipe.api("DELETE", "/tables/public.%zz")[0] == 400
        assert pipe.api("POST", "/tables/%4/resync")[0] == 400
        assert pipe.api("DELETE", "/tables/public.%74%35")[0] == 404  # public.t5, escaped: already removed
        assert pipe.proc.poll() is None
        status, metrics = pipe.api("GET", "/metrics")
        assert status == 200
        assert f'mallard_pipe_table_rows_synced{{group="{database}",table="public.t0"}}' in metrics
        assert f'mallard_pipe_connected{{group="{database}"}} 1' in metrics
        table = pipe.table("public.t0")
        for key in ("state", "rows_synced", "applied_lsn", "lag_bytes", "lag_seconds", "last_error", "flush_p99_ms"):
            assert key in table
    finally:
        pipe.stop()


def test_kill_minus_9_at_random_moments_loses_and_doubles_nothing(postgres, database, tmp_path):
    make_items(postgres, database, 20_000)
    catalog = str(tmp_path / "lake.duckdb")  # a DuckDB-file catalog: the dead process's lock must go
    writer = Writer(postgres, writes(2_000_000, 6000), database)
    writer.start()
    rng = random.Random(7)
    for round_ in range(5):
        pipe = Pipe(postgres.conninfo(database), catalog, tmp_path / "data", tmp_path / "work",
                    tmp_path / "pipe.log", "--tables", "items", "--flush-batch-rows", "500", group=database)
        time.sleep(rng.uniform(0.3, 2.5))
        assert pipe.stop(kill=True) == -9, f"round {round_}: {(tmp_path / 'pipe.log').read_text()[-3000:]}"
    writer.finish()
    pipe = start_pipe(postgres, database, catalog, tmp_path, "--tables", "items", name="final")
    expected = source_rows(postgres, ITEMS, database)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        table = pipe.table("public.items")
        if table["state"] == "STREAMING" and table["buffered_rows"] == 0 and pipe.status()["slot_lag_bytes"] == 0:
            break
        time.sleep(0.2)
    pipe.stop()
    assert lake_rows(catalog, "items") == expected


def test_postgres_restart_is_survived(postgres, tmp_path):
    server = PostgresServer().start()
    try:
        server.psql("CREATE TABLE items (id bigint PRIMARY KEY, name text, amount numeric(12,2), qty integer)")
        server.psql("INSERT INTO items SELECT g, 'item ' || g, g, 1 FROM generate_series(1, 1000) g")
        catalog = str(tmp_path / "lake.duckdb")
        pipe = start_pipe(server, "postgres", catalog, tmp_path, "--tables", "items")
        pipe.wait_state("public.items", "STREAMING")
        server.restart()
        server.psql("INSERT INTO items SELECT g, 'after restart', g, 2 FROM generate_series(1001, 1500) g")
        server.psql("DELETE FROM items WHERE id <= 10")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if pipe.status()["connected"] and pipe.table("public.items")["rows_synced"] >= 1500 and \
                    pipe.table("public.items")["buffered_rows"] == 0:
                break
            time.sleep(0.2)
        time.sleep(1)
        pipe.stop()
        assert lake_rows(catalog, "items") == source_rows(server, ITEMS)
    finally:
        server.stop()


def test_every_common_type_maps(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TYPE mood AS ENUM ('sad', 'happy')", database)
    postgres.psql("CREATE DOMAIN positive AS integer CHECK (VALUE > 0)", database)
    postgres.psql("""CREATE TABLE typed (
        id int PRIMARY KEY, i2 smallint, i8 bigint, num numeric(20,5), numfree numeric, r real, d double precision,
        t text, vc varchar(10), ch char(3), b boolean, ba bytea, dt date, tm time, tmtz timetz, ts timestamp,
        tstz timestamptz, iv interval, u uuid, j json, jb jsonb, ia integer[], ta text[], m mood, p positive,
        ip inet)""", database)
    postgres.psql("""INSERT INTO typed VALUES (1, -2, 9000000000, 123456789012345.12345, 1.5, 1.5, 2.25,
        'héllo', 'abc', 'xy', true, '\\x00ff', '2024-02-29', '12:34:56.5', '10:00:00+02', '2024-01-02 03:04:05.123456',
        '2024-01-02 03:04:05+00', '1 year 2 mons 3 days 04:05:06', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{"a": 1}', '{"b": [1, 2]}', '{1,2,NULL}', '{a,"b c"}', 'happy', 7, '10.0.0.1')""", database)
    postgres.psql("INSERT INTO typed (id) VALUES (2)", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "typed")
    try:
        pipe.wait_state("public.typed", "STREAMING")
        postgres.psql("INSERT INTO typed (id, iv, ia, ba) VALUES (3, '1 day 02:03:00', '{4,5}', '\\x')", database)
        deadline = time.monotonic() + 30
        rows = []
        while time.monotonic() < deadline:
            rows = lake_rows(lake_catalog, "typed")
            if len(rows) == 3:
                break
            time.sleep(0.2)
        tables = lake_cli(lake_catalog, "tables")
        assert ("public.typed\tid int32, i2 int16, i8 int64, num decimal(20,5), numfree decimal(38,10), r float32, "
                "d float64, t varchar, vc varchar, ch varchar, b boolean, ba blob, dt date, tm time, tmtz timetz, "
                "ts timestamp, tstz timestamptz, iv interval, u uuid, j json, jb json, ia list, ta list, m varchar, "
                "p int32, ip varchar") in tables
        assert rows[0] == ('1,-2,9000000000,123456789012345.12345,1.5000000000,1.5,2.25,héllo,abc,xy ,true,\\x00\\xFF,'
                           '2024-02-29,12:34:56.5,08:00:00+00,2024-01-02 03:04:05.123456,2024-01-02 03:04:05+00,'
                           '1 year 2 months 3 days 04:05:06,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,"{""a"": 1}",'
                           '"{""b"": [1, 2]}","[1, 2, NULL]","[a, b c]",happy,7,10.0.0.1')
        assert rows[1] == "2" + "," * 25
        assert rows[2].startswith("3,") and "1 day 02:03:00" in rows[2] and '"[4, 5]"' in rows[2]
        # A value the lake column cannot hold (a negative interval: Parquet's are unsigned) stops
        # this table with a clear error instead of retrying for ever.
        postgres.psql("INSERT INTO typed (id, iv) VALUES (4, '-1 days')", database)
        failed = pipe.wait_state("public.typed", "ERROR")
        assert "does not fit its lake column" in failed["last_error"]
    finally:
        pipe.stop()


def test_table_without_key_syncs_in_append_mode(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE events (kind text, n int); ALTER TABLE events REPLICA IDENTITY FULL", database)
    postgres.psql("INSERT INTO events VALUES ('a', 1), ('b', 2)", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "events")
    try:
        pipe.wait_state("public.events", "STREAMING")
        postgres.psql("UPDATE events SET n = 20 WHERE kind = 'b'; DELETE FROM events WHERE kind = 'a'", database)
        deadline = time.monotonic() + 30
        rows = []
        while time.monotonic() < deadline:
            rows = lake_rows(lake_catalog, "events")
            if len(rows) == 4:
                break
            time.sleep(0.2)
        ops = sorted(row.split(",")[2] + ":" + row.split(",")[0] + ":" + row.split(",")[1] for row in rows)
        assert ops == ["D:a:1", "I:a:1", "I:b:2", "U:b:20"]
        assert pipe.table("public.events")["mode"] == "append"
    finally:
        pipe.stop()


def test_unsupported_type_and_key_change_stop_only_that_table(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE good (id int PRIMARY KEY, v text); CREATE TABLE bad (id int PRIMARY KEY, v text); "
                  "CREATE TABLE rekeyed (id int PRIMARY KEY, other int NOT NULL); "
                  "CREATE TABLE wide (id int PRIMARY KEY, amount numeric)", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "good,bad,rekeyed,wide")
    try:
        for name in ("good", "bad", "rekeyed", "wide"):
            pipe.wait_state(f"public.{name}", "STREAMING")
        # An unconstrained numeric lands in DECIMAL(38,10): a value it would round stops the table.
        postgres.psql("INSERT INTO wide VALUES (1, 0.5), (2, 0.12345678901)", database)
        wide = pipe.wait_state("public.wide", "ERROR")
        assert "0.12345678901" in wide["last_error"] and "10 decimal places" in wide["last_error"], wide["last_error"]
        postgres.psql("ALTER TABLE bad ADD COLUMN span int4range; INSERT INTO bad VALUES (1, 'x', '[1,5)')", database)
        postgres.psql("ALTER TABLE rekeyed DROP CONSTRAINT rekeyed_pkey; ALTER TABLE rekeyed ADD PRIMARY KEY (other); "
                      "INSERT INTO rekeyed VALUES (1, 2)", database)
        postgres.psql("INSERT INTO good VALUES (1, 'still flowing')", database)
        bad = pipe.wait_state("public.bad", "ERROR")
        assert "int4range" in bad["last_error"]
        rekeyed = pipe.wait_state("public.rekeyed", "ERROR")
        assert "primary key" in rekeyed["last_error"]
        wait_equal(lambda: lake_rows(lake_catalog, "good"), lambda: ["1,still flowing"])
        postgres.psql("INSERT INTO good VALUES (2, 'and more')", database)
        wait_equal(lambda: lake_rows(lake_catalog, "good"), lambda: ["1,still flowing", "2,and more"])
    finally:
        pipe.stop()


def test_snapshot_takes_rows_of_any_length_and_stops_cleanly_at_a_bad_value(postgres, database, lake_catalog, tmp_path):
    # DuckDB reads the copy in buffers that must hold a whole row (2 MiB unless told): a longer row
    # starts a pipe with a buffer sized to it. Before, one 3 MB row failed every snapshot attempt.
    lengths = "array[100000, 10, 300000, 20]"  # 32-byte md5s: 3.2 MB, 320 B, 9.6 MB, 640 B
    postgres.psql("CREATE TABLE long_rows (id int PRIMARY KEY, v text); "
                  "INSERT INTO long_rows SELECT g, md5(g::text) FROM generate_series(1, 5000) g; "
                  f"INSERT INTO long_rows SELECT 5000 + g, repeat(md5(g::text), ({lengths})[g]) FROM generate_series(1, 4) g; "
                  "INSERT INTO long_rows SELECT g, md5(g::text) FROM generate_series(5005, 8000) g; "
                  # The row DuckDB refuses comes first, while PostgreSQL still has megabytes to send.
                  "CREATE TABLE wide (id int PRIMARY KEY, amount numeric); INSERT INTO wide VALUES (0, 0.12345678901); "
                  "INSERT INTO wide SELECT g, g * 0.5 FROM generate_series(1, 400000) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "long_rows,wide")
    try:
        pipe.wait_state("public.long_rows", "STREAMING")

        def lake_digests() -> list[str]:
            out = []
            for row in lake_rows(lake_catalog, "long_rows"):
                key, value = row.split(",", 1)
                out.append(f"{key},{len(value)},{hashlib.md5(value.encode()).hexdigest()}")
            return sorted(out, key=lambda line: int(line.split(",")[0]))

        source = source_rows(postgres, "SELECT id, length(v), md5(v) FROM long_rows ORDER BY id", database)
        assert len(source) == 8000 and max(int(line.split(",")[1]) for line in source) == 9_600_000
        assert lake_digests() == source
        wide = pipe.wait_state("public.wide", "ERROR", timeout=90)
        assert "0.12345678901" in wide["last_error"] and "10 decimal places" in wide["last_error"], wide["last_error"]
        postgres.psql("INSERT INTO long_rows VALUES (9000, 'after')", database)
        wait_equal(lambda: [r for r in lake_rows(lake_catalog, "long_rows") if r.startswith("9000,")],
                   lambda: ["9000,after"])
    finally:
        pipe.stop()


def test_snapshot_of_random_rows_of_random_lengths_equals_the_source(postgres, database, lake_catalog, tmp_path):
    # Seeded (MALLARD_PIPE_SNAPSHOT_SEED=n replays): a few hundred rows in random order, most short,
    # some past DuckDB's 2 MiB read buffer (each longer than any before starts a new pipe and
    # Parquet file), values full of what CSV must quote (quotes, commas, newlines, backslashes,
    # the null marker's text, multibyte UTF-8) and NULLs. The lake must hold exactly the source.
    text = os.environ.get("MALLARD_PIPE_SNAPSHOT_SEED")
    seed = int(text) if text else random.SystemRandom().randrange(1, 2**31)
    print(f"MALLARD_PIPE_SNAPSHOT_SEED={seed} replays this run")
    rng = random.Random(seed)
    alphabet = ['a', 'Z', '0', ',', '"', '""', '\\', '\\N', '\n', ' ', 'é', '€', '𝄞', "'"]
    postgres.psql("CREATE TABLE mixed_rows (id int PRIMARY KEY, v text)", database)
    ids = list(range(1, 301))
    rng.shuffle(ids)  # physical order is insertion order: long rows land anywhere in the copy
    statements = []
    for position, key in enumerate(ids):
        long = position == 0 or rng.random() < 0.03
        if not long and rng.random() < 0.05:
            statements.append(f"INSERT INTO mixed_rows VALUES ({key}, NULL)")
            continue
        piece = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        # Long rows of 2.2-4M characters (2-16 MB): several fit the snapshot's default memory.
        repeat = rng.randint(2_200_000, 4_000_000) // len(piece) + 1 if long else rng.randint(1, 5)
        literal = piece.replace("'", "''")  # standard_conforming_strings: backslashes are literal
        statements.append(f"INSERT INTO mixed_rows VALUES ({key}, repeat('{literal}', {repeat}))")
    postgres.psql("; ".join(statements), database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "mixed_rows")
    try:
        pipe.wait_state("public.mixed_rows", "STREAMING")
        source = source_rows(postgres, "SELECT id, CASE WHEN v IS NULL THEN 'NULL' ELSE length(v) || ':' || md5(v) END "
                                       "FROM mixed_rows ORDER BY id", database)
        assert max(int(line.split(",")[1].split(":")[0]) for line in source if ":" in line) > 2 * 1024 * 1024, \
            f"seed {seed}: no row past the 2 MiB buffer"
        csv.field_size_limit(1 << 30)
        scanned = list(csv.reader(io.StringIO(lake_cli(lake_catalog, "scan", "mixed_rows", "--schema", "public"))))
        lake = []
        for key, value in scanned[1:]:
            digest = "NULL" if value == "" else f"{len(value)}:{hashlib.md5(value.encode()).hexdigest()}"
            lake.append((int(key), f"{key},{digest}"))
        assert [line for _, line in sorted(lake)] == source, f"seed {seed}"
    finally:
        pipe.stop()


def test_clear_errors(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE nokey (v text); CREATE TABLE items (id int PRIMARY KEY)", database)
    source = postgres.conninfo(database)
    data, work = tmp_path / "data", tmp_path / "work"
    out = run_pipe_expecting_failure(source, lake_catalog, data, work, "--tables", "nokey", group=database)
    assert "has no primary key" in out and "REPLICA IDENTITY FULL" in out
    out = run_pipe_expecting_failure(source, lake_catalog, data, work, "--tables", "missing_table", group=database)
    assert "public.missing_table does not exist" in out
    out = run_pipe_expecting_failure(source, "/proc/no/such/dir/lake.duckdb", data, work, "--tables", "items",
                                     group=database)
    assert "lake is unreachable" in out
    postgres.psql("DROP ROLE IF EXISTS plain_user; CREATE ROLE plain_user LOGIN", database)
    postgres.psql(f"GRANT ALL ON SCHEMA public TO plain_user; GRANT SELECT ON items TO plain_user", database)
    plain = source.replace("user=postgres", "user=plain_user")
    out = run_pipe_expecting_failure(plain, lake_catalog, data, work, "--tables", "items", group="plain")
    assert "permission" in out.lower() or "must be" in out.lower()
    # The slot is in use by another pipe of the same group.
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "items")
    try:
        out = run_pipe_expecting_failure(source, lake_catalog, data, tmp_path / "work2", "--tables", "items",
                                         group=database)
        assert "is active" in out or "in use" in out
    finally:
        pipe.stop()
    replica = PostgresServer().start(wal_level="replica")
    try:
        replica.psql("CREATE TABLE items (id int PRIMARY KEY)")
        out = run_pipe_expecting_failure(replica.conninfo(), str(tmp_path / "x.duckdb"), data, work, "--tables", "items")
        assert "wal_level" in out and "logical" in out
    finally:
        replica.stop()


def rss_kib(pid: int, field: str = "VmHWM") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} not found")


def test_two_hundred_tables_keep_memory_bounded(postgres, database, lake_catalog, tmp_path):
    tables = 200
    postgres.psql("DO $$ BEGIN FOR i IN 0..%d LOOP EXECUTE format('CREATE TABLE m%%s (id int PRIMARY KEY, v text)', i); "
                  "EXECUTE format('INSERT INTO m%%s SELECT g, repeat(''x'', 100) FROM generate_series(1, 2000) g', i); "
                  "END LOOP; END $$" % (tables - 1), database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--schemas", "public", "--flush-interval-ms", "500")
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            states = [t["state"] for t in pipe.status()["tables"]]
            if len(states) == tables and all(s == "STREAMING" for s in states):
                break
            time.sleep(0.5)
        assert all(t["state"] == "STREAMING" for t in pipe.status()["tables"])
        # Every table gets changes at once, so every flusher holds a buffer at the same time.
        for round_ in range(3):
            postgres.psql("DO $$ BEGIN FOR i IN 0..%d LOOP EXECUTE format('INSERT INTO m%%s SELECT g, ''r%d'' FROM "
                          "generate_series(%d, %d) g', i); END LOOP; END $$" % (tables - 1, round_, 10000 + round_ * 500,
                                                                                  10000 + round_ * 500 + 499), database)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if all(t["rows_synced"] >= 3500 and t["buffered_rows"] == 0 for t in pipe.status()["tables"]):
                break
            time.sleep(0.5)
        peak_mib = rss_kib(pipe.proc.pid) / 1024
        now_mib = rss_kib(pipe.proc.pid, "VmRSS") / 1024
        print(f"200 tables: peak RSS {peak_mib:.0f} MiB, after flushes {now_mib:.0f} MiB")
        assert all(t["rows_synced"] >= 3500 for t in pipe.status()["tables"])
        # Buffers spill beyond 16 MB and are released after each flush; at most 4 flush at once.
        assert peak_mib < 1024, f"peak RSS {peak_mib:.0f} MiB"
        assert now_mib < 512, f"RSS after flushes {now_mib:.0f} MiB"
        assert lake_rows(lake_catalog, "m199")[-1] == "11499,r2"
    finally:
        pipe.stop()


def test_large_transactions_streamed_while_in_progress(postgres, database, lake_catalog, tmp_path):
    make_items(postgres, database, 10)
    # A tiny logical_decoding_work_mem makes the server stream transactions before they commit.
    source = postgres.conninfo(database) + " options='-c logical_decoding_work_mem=64kB'"
    pipe = Pipe(source, lake_catalog, tmp_path / "data", tmp_path / "work", tmp_path / "pipe.log", "--tables", "items",
                "--pg-streaming", group=database)
    pipe.wait_ready()
    try:
        pipe.wait_state("public.items", "STREAMING")
        postgres.psql("INSERT INTO items SELECT g, 'big ' || g, g, 1 FROM generate_series(1000, 30999) g", database)
        # Aborted: whole transaction, and one subtransaction of a committed one.
        postgres.psql("BEGIN; INSERT INTO items SELECT g, 'gone', g, 1 FROM generate_series(50000, 69999) g; ROLLBACK",
                      database)
        postgres.psql("BEGIN; INSERT INTO items SELECT g, 'kept', g, 1 FROM generate_series(70000, 79999) g; "
                      "SAVEPOINT s; INSERT INTO items SELECT g, 'gone too', g, 1 FROM generate_series(80000, 89999) g; "
                      "ROLLBACK TO SAVEPOINT s; UPDATE items SET qty = 9 WHERE id < 2000; COMMIT", database)
        wait_equal(lambda: lake_rows(lake_catalog, "items"), lambda: source_rows(postgres, ITEMS, database))
        streamed = postgres.psql("SELECT stream_txns > 0 FROM pg_stat_replication_slots WHERE slot_name = "
                                 f"'mallard_{database}'", database)
        assert streamed == "t", "the server did not stream in-progress transactions"
        # They were held in files under the work directory, removed once each one ended.
        assert any(p.is_dir() for p in (tmp_path / "work").glob("streamed-*")), "nothing was held in files"
        held = [p for p in (tmp_path / "work").rglob("streamed-*") if p.is_file()]
        assert held == [], f"files of ended streamed transactions remain: {held}"
    finally:
        pipe.stop()


def test_server_hosts_the_pipeline_and_athena_reads_it(postgres, database, lake_catalog, tmp_path):
    from conftest import start_server, stop_server
    from sqlengine_e2e import athena_rows, athena_run, client, redshift_records
    make_items(postgres, database, 100)
    server = start_server(tmp_path / "mallard.log", [
        "--lake-catalog", lake_catalog, "--lake-data-path", str(tmp_path / "data"),
        "--pipe-source", postgres.conninfo(database), "--pipe-tables", "items", "--pipe-group", database])
    try:
        athena = client("athena", server.endpoint)
        redshift = client("redshift-data", server.endpoint)
        deadline = time.monotonic() + 60
        rows = []
        while time.monotonic() < deadline:
            postgres.psql("SELECT 1", database)
            # Until the pipe's snapshot has created the lake table the query fails with "does not
            # exist"; that, and only that, means "not yet".
            execution = athena_run(athena, "SELECT count(*) AS n FROM lake_public.items")
            if execution["Status"]["State"] == "FAILED":
                assert "does not exist" in execution["Status"].get("StateChangeReason", ""), execution["Status"]
                time.sleep(0.2)
                continue
            _, rows = athena_rows(athena, "SELECT count(*) AS n FROM lake_public.items")
            if rows == [["n"], ["100"]]:
                break
            time.sleep(0.2)
        assert rows == [["n"], ["100"]]
        postgres.psql("UPDATE items SET name = 'seen by athena' WHERE id = 7; DELETE FROM items WHERE id > 50", database)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            _, records = redshift_records(redshift, "SELECT count(*), max(name) FROM lake_public.items")
            if records and records[0][0].get("longValue") == 50 and records[0][1].get("stringValue") == "seen by athena":
                break
            time.sleep(0.2)
        assert records[0][0]["longValue"] == 50 and records[0][1]["stringValue"] == "seen by athena"
    finally:
        stop_server(server)
