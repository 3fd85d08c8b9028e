"""Schema changes a user makes every day, followed by `mallard pipe` into the lake and compared
with PostgreSQL row by row: ADD COLUMN with a default (existing rows read the value PostgreSQL
gave them, older snapshots have no column), a default changed later, a volatile default (the
table is resynced), widened types (int → bigint, varchar(n) → text, numeric(10,2) →
numeric(12,2)) in place, other type changes recovered by `resync`, and starting a table over with
`mallard lake drop` or `DELETE /tables/{t}?drop_lake_table=true`."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from conftest import mallard_bin, server_env
from pg_e2e import PostgresServer
from pipe_e2e import Pipe, Writer, lake_cli, lake_rows, source_rows, wait_equal
from pipe_e2e import database, lake_catalog, postgres  # noqa: F401 (fixtures)


def start_pipe(postgres, database, catalog, tmp_path, *args, name="pipe") -> Pipe:
    pipe = Pipe(postgres.conninfo(database), catalog, tmp_path / "data", tmp_path / "work", tmp_path / f"{name}.log",
                *args, group=database)
    pipe.wait_ready()
    return pipe


# Flushes only when a barrier (a column change, a TRUNCATE) forces one: what a test holds buffered.
HOLD_FLUSHES = ("--flush-interval-ms", "600000", "--flush-batch-rows", "1000000")


def synced_then_stopped(postgres, database, catalog, tmp_path, table: str, query: str) -> None:
    """Starts a pipe for `table`, waits until the lake equals `query` on the source, stops it: the
    changes a test makes next happen while the pipe is away."""
    pipe = start_pipe(postgres, database, catalog, tmp_path, "--tables", table)
    try:
        equal(postgres, database, catalog, table, query)
    finally:
        pipe.stop()


def latest_snapshot(catalog: str) -> int:
    return int(lake_cli(catalog, "snapshots").splitlines()[-1].split("\t")[0])


def lake_header(catalog: str, table: str, snapshot: int | None = None) -> str:
    args = ["scan", table, "--schema", "public"] + (["--snapshot", str(snapshot)] if snapshot is not None else [])
    return lake_cli(catalog, *args).splitlines()[0]


def lake_columns(catalog: str, table: str) -> str:
    for line in lake_cli(catalog, "tables").splitlines():
        if line.startswith(f"public.{table}\t"):
            return line.split("\t", 1)[1]
    raise AssertionError(f"public.{table} not in the lake")


def catalog_value(postgres: PostgresServer, catalog_db: str, sql: str) -> str:
    return postgres.psql(sql, catalog_db)


def equal(postgres, database, catalog, table, sql, timeout=90):
    return wait_equal(lambda: lake_rows(catalog, table), lambda: source_rows(postgres, sql, database), timeout)


def test_add_column_not_null_default_backfills_existing_rows(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE acct (id int PRIMARY KEY, name text); "
                  "INSERT INTO acct SELECT g, 'user ' || g FROM generate_series(1, 50) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "acct")
    try:
        equal(postgres, database, lake_catalog, "acct", "SELECT id, name FROM acct ORDER BY id")
        postgres.psql("UPDATE acct SET name = 'renamed' WHERE id = 1", database)  # flushed before the barrier
        equal(postgres, database, lake_catalog, "acct", "SELECT id, name FROM acct ORDER BY id")
        before = latest_snapshot(lake_catalog)
        postgres.psql("ALTER TABLE acct ADD COLUMN plan text NOT NULL DEFAULT 'free', "
                      "ADD COLUMN credits int NOT NULL DEFAULT 7, ADD COLUMN note text", database)
        # PostgreSQL shows the default in every existing row.
        assert source_rows(postgres, "SELECT DISTINCT plan, credits FROM acct", database) == ["free,7"]
        postgres.psql("INSERT INTO acct VALUES (51, 'new', 'pro', 100, 'n'); INSERT INTO acct (id, name) VALUES (52, 'd'); "
                      "UPDATE acct SET name = 'touched' WHERE id = 3; DELETE FROM acct WHERE id = 4", database)
        rows = equal(postgres, database, lake_catalog, "acct",
                     "SELECT id, name, plan, credits, note FROM acct ORDER BY id")
        assert rows[0] == "1,renamed,free,7," and rows[1] == "2,user 2,free,7," and rows[-2] == "51,new,pro,100,n"
        assert lake_columns(lake_catalog, "acct") == "id int32, name varchar, plan varchar, credits int32, note varchar"
        # No rewrite: the lake column reads older files as the missing value PostgreSQL stored.
        defaults = catalog_value(postgres, database + "_lake",
                                 "SELECT column_name || '=' || coalesce(initial_default, 'NULL') FROM ducklake_column "
                                 "WHERE column_name IN ('plan', 'credits', 'note') AND end_snapshot IS NULL ORDER BY 1")
        assert defaults.splitlines() == ["credits=7", "note=NULL", "plan=free"]
        # Snapshots before the ALTER have no such columns.
        assert lake_header(lake_catalog, "acct", before) == "id,name"
        assert lake_rows(lake_catalog, "acct", snapshot=before)[0] == "1,renamed"
        assert pipe.table("public.acct")["state"] == "STREAMING"
        assert "resynced" not in (tmp_path / "pipe.log").read_text()
    finally:
        pipe.stop()


def test_add_column_defaults_of_every_common_type(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE kinds (id int PRIMARY KEY); INSERT INTO kinds VALUES (1), (2)", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "kinds")
    try:
        equal(postgres, database, lake_catalog, "kinds", "SELECT id FROM kinds ORDER BY id")
        postgres.psql("""ALTER TABLE kinds ADD COLUMN q text DEFAULT 'a "b" \\ c,{}',
            ADD COLUMN e text DEFAULT '', ADD COLUMN n numeric(8,2) DEFAULT 1.5, ADD COLUMN b boolean DEFAULT true,
            ADD COLUMN ts timestamptz DEFAULT '2024-01-02 03:04:05+02', ADD COLUMN d date DEFAULT '2024-02-29',
            ADD COLUMN ia int[] DEFAULT '{1,2}', ADD COLUMN ta text[] DEFAULT '{x,"y z"}', ADD COLUMN ba bytea DEFAULT '\\x00ff',
            ADD COLUMN j jsonb DEFAULT '{"k": [1, "x"]}', ADD COLUMN iv interval DEFAULT '1 day 02:00:00',
            ADD COLUMN u uuid DEFAULT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'""", database)
        postgres.psql("INSERT INTO kinds (id) VALUES (3)", database)
        deadline = time.monotonic() + 60
        rows = []
        while time.monotonic() < deadline:
            rows = lake_rows(lake_catalog, "kinds")
            if len(rows) == 3 and rows[2].startswith("3,"):
                break
            time.sleep(0.2)
        # The old rows (read through the initial defaults) equal the new one (written by a flush).
        expected = ('"a ""b"" \\ c,{}",,1.50,true,2024-01-02 01:04:05+00,2024-02-29,"[1, 2]","[x, y z]",\\x00\\xFF,'
                    '"{""k"": [1, ""x""]}",1 day 02:00:00,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')
        assert rows == ["1," + expected, "2," + expected, "3," + expected]
    finally:
        pipe.stop()


def test_add_column_with_default_changed_later(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE subs (id int PRIMARY KEY, v text); "
                  "INSERT INTO subs SELECT g, 'v' || g FROM generate_series(1, 20) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "subs")
    try:
        equal(postgres, database, lake_catalog, "subs", "SELECT id, v FROM subs ORDER BY id")
        # The stream describes the relation only at the next change, after both ALTERs: the old
        # rows still hold the value of the ALTER's time, new rows get the new default.
        postgres.psql("ALTER TABLE subs ADD COLUMN tier text DEFAULT 'free'", database)
        postgres.psql("ALTER TABLE subs ALTER COLUMN tier SET DEFAULT 'paid'", database)
        # Django's way: add with a default, drop the default at once.
        postgres.psql("ALTER TABLE subs ADD COLUMN flag int NOT NULL DEFAULT 1; ALTER TABLE subs ALTER COLUMN flag DROP DEFAULT",
                      database)
        postgres.psql("INSERT INTO subs (id, v, flag) VALUES (21, 'new', 2); UPDATE subs SET v = 'upd' WHERE id = 5", database)
        rows = equal(postgres, database, lake_catalog, "subs", "SELECT id, v, tier, flag FROM subs ORDER BY id")
        assert rows[0] == "1,v1,free,1" and rows[-1] == "21,new,paid,2" and rows[4] == "5,upd,free,1"
        assert source_rows(postgres, "SELECT count(*) FROM subs WHERE tier = 'free'", database) == ["20"]
        assert pipe.table("public.subs")["state"] == "STREAMING"
    finally:
        pipe.stop()


def test_volatile_default_resyncs_the_table(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE draws (id int PRIMARY KEY, v text); "
                  "INSERT INTO draws SELECT g, 'v' || g FROM generate_series(1, 200) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "draws")
    try:
        equal(postgres, database, lake_catalog, "draws", "SELECT id, v FROM draws ORDER BY id")
        resyncs_before = (tmp_path / "pipe.log").read_text().count("is resynced from a new snapshot")
        # PostgreSQL rewrites the table with a value per row: the stream never sees them.
        postgres.psql("ALTER TABLE draws ADD COLUMN r int DEFAULT (random() * 1000000)::int", database)
        assert source_rows(postgres, "SELECT count(DISTINCT r) > 100 FROM draws", database) == ["t"]
        postgres.psql("INSERT INTO draws (id, v) VALUES (201, 'after'); UPDATE draws SET v = 'u' WHERE id = 7", database)
        equal(postgres, database, lake_catalog, "draws", "SELECT id, v, r FROM draws ORDER BY id")
        log = (tmp_path / "pipe.log").read_text()
        assert log.count("is resynced from a new snapshot") == resyncs_before + 1, log[-3000:]
        assert "volatile" in log
        table = pipe.wait_state("public.draws", "STREAMING")
        assert table["last_error"] is None
        # Later changes keep flowing into the rebuilt table.
        postgres.psql("UPDATE draws SET r = -1 WHERE id <= 3; DELETE FROM draws WHERE id = 200", database)
        equal(postgres, database, lake_catalog, "draws", "SELECT id, v, r FROM draws ORDER BY id")
    finally:
        pipe.stop()


def test_volatile_default_keeps_a_change_log(postgres, database, lake_catalog, tmp_path):
    # A table without a key syncs as a change log: a new snapshot would replace its history, so
    # the older entries read NULL in the new column instead.
    postgres.psql("CREATE TABLE log (kind text, n int); ALTER TABLE log REPLICA IDENTITY FULL; "
                  "INSERT INTO log VALUES ('a', 1), ('b', 2)", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "log")
    try:
        pipe.wait_state("public.log", "STREAMING")
        postgres.psql("UPDATE log SET n = 20 WHERE kind = 'b'", database)
        # (A constant default added after the rewrite keeps its stored value for the old rows.)
        postgres.psql("ALTER TABLE log ADD COLUMN r int DEFAULT (random() * 1000)::int + 5000", database)
        postgres.psql("ALTER TABLE log ADD COLUMN c text DEFAULT 'const'", database)
        postgres.psql("INSERT INTO log (kind, n, r) VALUES ('c', 3, 7)", database)
        deadline = time.monotonic() + 60
        rows = []
        while time.monotonic() < deadline:
            rows = lake_rows(lake_catalog, "log")
            if len(rows) == 4:
                break
            time.sleep(0.2)
        entries = sorted(",".join(r.split(",")[i] for i in (0, 1, 4, 5, 2)) for r in rows)
        assert entries == ["a,1,,const,I", "b,2,,const,I", "b,20,,const,U", "c,3,7,const,I"], rows
        assert "resynced" not in (tmp_path / "pipe.log").read_text()
        assert pipe.table("public.log")["state"] == "STREAMING"
    finally:
        pipe.stop()


def test_columns_added_while_a_snapshot_starts(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE base (id int PRIMARY KEY); CREATE TABLE other (id int); "
                  "CREATE TABLE late (id int PRIMARY KEY, v text); "
                  "INSERT INTO late SELECT g, 'v' || g FROM generate_series(1, 20) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "base")
    try:
        pipe.wait_state("public.base", "STREAMING")
        # A transaction left open holds back the consistent point of the snapshot that adding a
        # table takes: the table's columns change after the pipe described it, before the copy.
        blocker = Writer(postgres, "BEGIN; INSERT INTO other VALUES (1); SELECT pg_sleep(3); COMMIT", database)
        blocker.start()
        time.sleep(0.5)
        status, body = pipe.api("POST", "/tables", {"table": "public.late"})
        assert status == 201, body
        postgres.psql("ALTER TABLE late ADD COLUMN c text DEFAULT 'x'; INSERT INTO late VALUES (21, 'new', 'y')", database)
        blocker.finish()
        equal(postgres, database, lake_catalog, "late", "SELECT id, v, c FROM late ORDER BY id")
        pipe.wait_state("public.late", "STREAMING")
        postgres.psql("UPDATE late SET c = 'z' WHERE id = 1", database)
        equal(postgres, database, lake_catalog, "late", "SELECT id, v, c FROM late ORDER BY id")
    finally:
        pipe.stop()


def test_truncate_while_a_snapshot_starts(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE base (id int PRIMARY KEY); CREATE TABLE other (id int); "
                  "CREATE TABLE late (id int PRIMARY KEY, v text); "
                  "INSERT INTO late SELECT g, 'v' || g FROM generate_series(1, 20) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "base")
    try:
        pipe.wait_state("public.base", "STREAMING")
        blocker = Writer(postgres, "BEGIN; INSERT INTO other VALUES (1); SELECT pg_sleep(3); COMMIT", database)
        blocker.start()
        time.sleep(0.5)
        status, body = pipe.api("POST", "/tables", {"table": "public.late"})
        assert status == 201, body
        # Before the snapshot's consistent point: the copy holds the result; the TRUNCATE must
        # not be applied to the lake table after the copy (it emptied it).
        postgres.psql("TRUNCATE late; INSERT INTO late VALUES (100, 'after truncate')", database)
        blocker.finish()
        pipe.wait_state("public.late", "STREAMING")
        postgres.psql("INSERT INTO late VALUES (101, 'later')", database)
        equal(postgres, database, lake_catalog, "late", "SELECT id, v FROM late ORDER BY id")
        assert "resynced" not in (tmp_path / "pipe.log").read_text()
    finally:
        pipe.stop()


def test_drop_of_the_last_column_and_add_of_one_of_the_same_type_is_no_rename(postgres, database, lake_catalog,
                                                                              tmp_path):
    postgres.psql("CREATE TABLE t (id int PRIMARY KEY, a text); INSERT INTO t VALUES (1, 'from a'), (2, 'from a')",
                  database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "public.t")
    try:
        pipe.wait_state("public.t", "STREAMING")
        # Same shape as RENAME a TO b (the last column gone, one of the same type appended), but
        # b is a new column: the old rows have no value in it.
        postgres.psql("ALTER TABLE t DROP COLUMN a; ALTER TABLE t ADD COLUMN b text", database)
        postgres.psql("INSERT INTO t VALUES (3, 'from b')", database)
        equal(postgres, database, lake_catalog, "t", "SELECT id, b FROM t ORDER BY id")
        assert lake_header(lake_catalog, "t") == "id,b"
        # A real rename still keeps the values.
        postgres.psql("ALTER TABLE t RENAME COLUMN b TO c; INSERT INTO t VALUES (4, 'from c')", database)
        equal(postgres, database, lake_catalog, "t", "SELECT id, c FROM t ORDER BY id")
    finally:
        pipe.stop()


def test_widening_type_changes_follow_in_place(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE wide (id int PRIMARY KEY, n int, s varchar(10), amt numeric(10,2)); "
                  "INSERT INTO wide SELECT g, g, 's' || g, g * 1.25 FROM generate_series(1, 100) g", database)
    items = "SELECT id, n, s, amt FROM wide ORDER BY id"
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "wide")
    try:
        equal(postgres, database, lake_catalog, "wide", items)
        before = latest_snapshot(lake_catalog)
        postgres.psql("ALTER TABLE wide ALTER COLUMN n TYPE bigint", database)
        postgres.psql("INSERT INTO wide VALUES (101, 9000000000, 'short', 1.00); UPDATE wide SET n = -9000000000 WHERE id = 2",
                      database)
        equal(postgres, database, lake_catalog, "wide", items)
        postgres.psql("ALTER TABLE wide ALTER COLUMN s TYPE text", database)
        postgres.psql("INSERT INTO wide VALUES (102, 1, 'a much longer value than ten characters', 2.00)", database)
        equal(postgres, database, lake_catalog, "wide", items)
        postgres.psql("ALTER TABLE wide ALTER COLUMN amt TYPE numeric(12,2)", database)
        postgres.psql("INSERT INTO wide VALUES (103, 1, 'x', 1234567890.12); UPDATE wide SET amt = 9999999999.99 WHERE id = 3",
                      database)
        equal(postgres, database, lake_catalog, "wide", items)
        # The key widens too (its delete-by-key reads the old files as the new type).
        postgres.psql("ALTER TABLE wide ALTER COLUMN id TYPE bigint", database)
        postgres.psql("INSERT INTO wide VALUES (5000000000, 1, 'big key', 0); UPDATE wide SET s = 'old key' WHERE id = 4; "
                      "DELETE FROM wide WHERE id = 5", database)
        equal(postgres, database, lake_catalog, "wide", items)
        assert lake_columns(lake_catalog, "wide") == "id int64, n int64, s varchar, amt decimal(12,2)"
        assert pipe.table("public.wide")["state"] == "STREAMING"
        assert "resynced" not in (tmp_path / "pipe.log").read_text(), "widening must not take a new snapshot"
        # In place: the column ids stay, older snapshots read with the old types.
        assert catalog_value(postgres, database + "_lake",
                             "SELECT count(DISTINCT column_id) FROM ducklake_column c JOIN ducklake_table t USING (table_id) "
                             "WHERE t.table_name = 'wide'") == "4"
        assert lake_rows(lake_catalog, "wide", snapshot=before)[:2] == ["1,1,s1,1.25", "2,2,s2,2.50"]
    finally:
        pipe.stop()


def test_widening_while_the_pipe_is_stopped(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE later (id int PRIMARY KEY, n int); INSERT INTO later VALUES (1, 1), (2, 2)", database)
    items = "SELECT id, n FROM later ORDER BY id"
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "later")
    try:
        equal(postgres, database, lake_catalog, "later", items)
    finally:
        pipe.stop()
    postgres.psql("ALTER TABLE later ALTER COLUMN n TYPE bigint; INSERT INTO later VALUES (3, 9000000000)", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "later", name="pipe2")
    try:
        equal(postgres, database, lake_catalog, "later", items)
        assert lake_columns(lake_catalog, "later") == "id int32, n int64"
        assert pipe.table("public.later")["state"] == "STREAMING"
    finally:
        pipe.stop()


def test_other_type_changes_stop_the_table_until_resync(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE cast_me (id int PRIMARY KEY, n int, amt numeric(10,2)); "
                  "INSERT INTO cast_me SELECT g, g, g * 1.25 FROM generate_series(1, 50) g", database)
    items = "SELECT id, n, amt FROM cast_me ORDER BY id"
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "cast_me")
    try:
        equal(postgres, database, lake_catalog, "cast_me", items)
        # int → text and a rounding numeric change: values the lake column cannot take as they are.
        postgres.psql("ALTER TABLE cast_me ALTER COLUMN n TYPE text USING 'n' || n, ALTER COLUMN amt TYPE numeric(12,1)",
                      database)
        postgres.psql("INSERT INTO cast_me VALUES (51, 'not a number', 123456789.1)", database)
        failed = pipe.wait_state("public.cast_me", "ERROR")
        assert "changed type from integer to text" in failed["last_error"]
        assert "resync" in failed["last_error"]
        # Resync rebuilds the lake table with the source's types.
        status, body = pipe.api("POST", "/tables/public.cast_me/resync")
        assert status == 202, body
        postgres.psql("INSERT INTO cast_me VALUES (52, 'during', 0.5)", database)
        equal(postgres, database, lake_catalog, "cast_me", items)
        assert lake_columns(lake_catalog, "cast_me") == "id int32, n varchar, amt decimal(12,1)"
        pipe.wait_state("public.cast_me", "STREAMING")
        postgres.psql("UPDATE cast_me SET n = 'again' WHERE id = 1", database)
        equal(postgres, database, lake_catalog, "cast_me", items)
    finally:
        pipe.stop()


def test_a_changed_key_recovers_with_resync(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE rekey (id int PRIMARY KEY, code int NOT NULL); "
                  "INSERT INTO rekey SELECT g, 1000 + g FROM generate_series(1, 30) g", database)
    items = "SELECT id, code FROM rekey ORDER BY id"
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "rekey")
    try:
        equal(postgres, database, lake_catalog, "rekey", items)
        postgres.psql("ALTER TABLE rekey DROP CONSTRAINT rekey_pkey, ADD PRIMARY KEY (code); "
                      "INSERT INTO rekey VALUES (31, 2000)", database)
        assert "primary key" in pipe.wait_state("public.rekey", "ERROR")["last_error"]
        assert pipe.api("POST", "/tables/public.rekey/resync")[0] == 202
        postgres.psql("UPDATE rekey SET id = 0 WHERE code = 1001", database)
        equal(postgres, database, lake_catalog, "rekey", items)
        pipe.wait_state("public.rekey", "STREAMING")
    finally:
        pipe.stop()


def lake_cli_failing(catalog: str, *args: str) -> str:
    result = subprocess.run([str(mallard_bin()), "lake", "--catalog", catalog, *args], capture_output=True, text=True,
                            timeout=120, env=server_env())
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_lake_drop_and_remove_with_drop_start_a_table_over(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, v text); "
                  "INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 100) g; "
                  "INSERT INTO b SELECT g, 'b' || g FROM generate_series(1, 100) g", database)
    a_rows, b_rows = "SELECT id, v FROM a ORDER BY id", "SELECT id, v FROM b ORDER BY id"
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "a,b")
    try:
        equal(postgres, database, lake_catalog, "a", a_rows)
        equal(postgres, database, lake_catalog, "b", b_rows)
        pipe.wait_state("public.a", "STREAMING")

        # `mallard lake drop` while the pipe runs: the table's next change finds it gone and the
        # pipe takes a new snapshot.
        before_drop = latest_snapshot(lake_catalog)
        assert "dropped public.a" in lake_cli(lake_catalog, "drop", "a", "--schema", "public")
        assert "does not exist" in lake_cli_failing(lake_catalog, "scan", "a", "--schema", "public")
        assert len(lake_rows(lake_catalog, "a", snapshot=before_drop)) == 100  # time travel still reads it
        assert "does not exist" in lake_cli_failing(lake_catalog, "drop", "a", "--schema", "public")
        postgres.psql("INSERT INTO a VALUES (101, 'after drop'); UPDATE a SET v = 'u' WHERE id = 1", database)
        equal(postgres, database, lake_catalog, "a", a_rows)
        pipe.wait_state("public.a", "STREAMING")

        # Removed, dropped by hand, added again: a clean snapshot.
        assert pipe.api("DELETE", "/tables/public.a")[0] == 200
        lake_cli(lake_catalog, "drop", "a", "--schema", "public")
        postgres.psql("DELETE FROM a WHERE id <= 10", database)
        status, body = pipe.api("POST", "/tables", {"table": "public.a"})
        assert status == 201, body
        postgres.psql("INSERT INTO a VALUES (102, 're-added')", database)
        equal(postgres, database, lake_catalog, "a", a_rows)

        # The API's remove with drop: the lake table goes in the same commit.
        assert pipe.api("DELETE", "/tables/public.b?drop_lake_table=maybe")[0] == 400
        assert pipe.api("DELETE", "/tables/public.b?drop=true")[0] == 400
        status, body = pipe.api("DELETE", "/tables/public.b?drop_lake_table=true")
        assert status == 200 and body == {"table": "public.b", "removed": True, "lake_table_dropped": True}, body
        assert "public.b\t" not in lake_cli(lake_catalog, "tables")
        assert all(t["source"] != "public.b" for t in pipe.status()["tables"])
        postgres.psql("UPDATE b SET v = 'while removed' WHERE id = 2; INSERT INTO b VALUES (500, 'x')", database)
        status, body = pipe.api("POST", "/tables", {"table": "public.b"})
        assert status == 201, body
        equal(postgres, database, lake_catalog, "b", b_rows)
        pipe.wait_state("public.b", "STREAMING")
        postgres.psql("DELETE FROM b WHERE id = 500", database)
        equal(postgres, database, lake_catalog, "b", b_rows)
        # A remove with drop of a table whose lake table is already gone still removes it.
        lake_cli(lake_catalog, "drop", "b", "--schema", "public")
        assert pipe.api("DELETE", "/tables/public.b?drop_lake_table=true")[0] == 200
        assert pipe.api("DELETE", "/tables/public.b?drop_lake_table=true")[0] == 404
        # Table a was untouched by all of it.
        postgres.psql("INSERT INTO a VALUES (103, 'still')", database)
        equal(postgres, database, lake_catalog, "a", a_rows)
    finally:
        pipe.stop()


def test_lake_table_dropped_while_the_pipe_is_stopped(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE gone (id int PRIMARY KEY, v text); "
                  "INSERT INTO gone SELECT g, 'g' || g FROM generate_series(1, 40) g", database)
    items = "SELECT id, v FROM gone ORDER BY id"
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "gone")
    try:
        equal(postgres, database, lake_catalog, "gone", items)
    finally:
        pipe.stop()
    lake_cli(lake_catalog, "drop", "gone", "--schema", "public")
    postgres.psql("INSERT INTO gone VALUES (41, 'while stopped')", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "gone", name="pipe2")
    try:
        equal(postgres, database, lake_catalog, "gone", items)
        pipe.wait_state("public.gone", "STREAMING")
    finally:
        pipe.stop()


MID_TRANSACTION_CHANGES = {
    # change: (ALTER, rows after it, query, expected first and last rows)
    "rename": ("ALTER TABLE mid RENAME COLUMN doc TO r",
               "INSERT INTO mid VALUES (22, 22, '[2]', 1.5); UPDATE mid SET r = '8' WHERE id = 4",
               "SELECT id, v, r, amount FROM mid ORDER BY id", ("1,-1,7,1.00", "22,22,[2],1.50")),
    "widen": ("ALTER TABLE mid ALTER COLUMN amount TYPE numeric(14,3)",
              "INSERT INTO mid VALUES (22, 22, '[2]', 12345678901.125)",
              "SELECT id, v, doc, amount FROM mid ORDER BY id", ("1,-1,7,1.000", "22,22,[2],12345678901.125")),
    "add_default": ("ALTER TABLE mid ADD COLUMN plan text NOT NULL DEFAULT 'free'",
                    "INSERT INTO mid VALUES (22, 22, '[2]', 1.5, 'pro')",
                    "SELECT id, v, doc, amount, plan FROM mid ORDER BY id", ("1,-1,7,1.00,free", "22,22,[2],1.50,pro")),
}


@pytest.mark.parametrize("change", sorted(MID_TRANSACTION_CHANGES))
def test_killed_between_a_mid_transaction_change_and_the_commit(postgres, database, lake_catalog, tmp_path, change):
    """A transaction changes rows (moving keys too), changes a column, changes more rows. The pipe
    applies the rows before the change and the change as lake commits of their own at once; killed
    before the rest is flushed, it gets the whole transaction again from the slot, into a lake that
    has the new columns. The part already applied must be skipped: applied again, its description
    undid the change (a widened type seen as narrowed stopped the table) or its rows read NULL in
    an added column whose default PostgreSQL shows."""
    alter, after, query, (first, last) = MID_TRANSACTION_CHANGES[change]
    postgres.psql("CREATE TABLE mid (id int PRIMARY KEY, v int, doc jsonb NOT NULL DEFAULT '7'::jsonb, amount numeric(10,2)); "
                  "INSERT INTO mid (id, v, amount) SELECT g, g, g FROM generate_series(1, 20) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "mid", *HOLD_FLUSHES)
    try:
        pipe.wait_state("public.mid", "STREAMING")
        before = latest_snapshot(lake_catalog)
        postgres.psql(f"BEGIN; UPDATE mid SET v = -v WHERE id <= 3; UPDATE mid SET id = id + 100 WHERE id IN (5, 6); "
                      f"INSERT INTO mid VALUES (21, 21, '[1]', 2); {alter}; {after}; COMMIT", database)
        # The change is in the lake once its barrier is applied (two commits: the rows before it,
        # then the change); the rows after it stay buffered.
        deadline = time.monotonic() + 60
        while latest_snapshot(lake_catalog) < before + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert latest_snapshot(lake_catalog) >= before + 2
    finally:
        pipe.stop(kill=True)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "mid", name="pipe2")
    try:
        rows = equal(postgres, database, lake_catalog, "mid", query)
        assert rows[0] == first and rows[-3] == last, rows
        state = pipe.wait_state("public.mid", "STREAMING")
        assert state["last_error"] is None, state
    finally:
        pipe.stop()


ONE_DESCRIPTION_OF_SEVERAL_ALTERS = {
    # A column renamed and widened: the same attribute number under a new name and type. Taken for a
    # dropped column and an added one, every existing row read NULL in it.
    "renamed_and_widened": (
        "CREATE TABLE md (id int PRIMARY KEY, a int, n numeric(10,2)); "
        "INSERT INTO md SELECT g, g, g FROM generate_series(1, 20) g",
        "SELECT id, a, n FROM md ORDER BY id",
        "ALTER TABLE md RENAME COLUMN a TO b; ALTER TABLE md ALTER COLUMN b TYPE bigint; "
        "ALTER TABLE md RENAME COLUMN n TO m; ALTER TABLE md ALTER COLUMN m TYPE numeric(12,3); "
        "INSERT INTO md VALUES (21, 5000000000, 123456789.125)",
        "SELECT id, b, m FROM md ORDER BY id", ("1,1,1.000", "21,5000000000,123456789.125"),
        "id int32, b int64, m decimal(12,3)"),
    # Two columns swap names (through a third) and a dropped column's name is taken by another.
    # Matched by name, the new `a` was taken for the old one (wrong values, or a type change that
    # stopped the table), and a rename onto a name still in use would fail in the lake.
    "names_swapped_and_reused": (
        "CREATE TABLE md (id int PRIMARY KEY, a int, b text, c bigint, d text); "
        "INSERT INTO md SELECT g, g, 'b' || g, -g, 'd' || g FROM generate_series(1, 20) g",
        "SELECT id, a, b, c, d FROM md ORDER BY id",
        "ALTER TABLE md RENAME COLUMN a TO t; ALTER TABLE md RENAME COLUMN b TO a; "
        "ALTER TABLE md RENAME COLUMN t TO b; ALTER TABLE md DROP COLUMN c; "
        "ALTER TABLE md RENAME COLUMN d TO c; INSERT INTO md VALUES (21, 21, 'x', 'y')",
        "SELECT id, b, a, c FROM md ORDER BY id", ("1,1,b1,d1", "21,21,x,y"),
        "id int32, b int32, a varchar, c varchar"),
}


@pytest.mark.parametrize("case", sorted(ONE_DESCRIPTION_OF_SEVERAL_ALTERS))
def test_several_alters_in_one_description(postgres, database, lake_catalog, tmp_path, case):
    """ALTERs with no row change between them reach the pipe as one relation description: each
    lake column must keep the values of the source column it is (attribute numbers tell)."""
    create, query_before, alters, query_after, (first, last), columns = ONE_DESCRIPTION_OF_SEVERAL_ALTERS[case]
    postgres.psql(create, database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "md")
    try:
        equal(postgres, database, lake_catalog, "md", query_before)
        postgres.psql(alters, database)
        rows = equal(postgres, database, lake_catalog, "md", query_after)
        assert rows[0] == first and rows[-1] == last, rows
        assert lake_columns(lake_catalog, "md") == columns
        state = pipe.wait_state("public.md", "STREAMING")
        assert state["last_error"] is None, state
    finally:
        pipe.stop()


@pytest.mark.parametrize("changes_before_the_rename", [False, True])
def test_key_renamed_while_the_pipe_was_away(postgres, database, lake_catalog, tmp_path, changes_before_the_rename):
    """The key column renamed while the pipe was stopped: resumed from the lake, the pipe finds no
    source column of the lake key's name, so the table's key flags come from the stream. With rows
    changed before the rename, the stream first describes the table by the old names; the rows
    must still be matched by their key (the table used to stop as "the primary key changed", or
    flush with no key at all)."""
    postgres.psql("CREATE TABLE kr (id int PRIMARY KEY, v int); "
                  "INSERT INTO kr SELECT g, g FROM generate_series(1, 20) g", database)
    synced_then_stopped(postgres, database, lake_catalog, tmp_path, "kr", "SELECT id, v FROM kr ORDER BY id")
    before = "UPDATE kr SET v = -v WHERE id <= 5; DELETE FROM kr WHERE id = 6; " if changes_before_the_rename else ""
    postgres.psql(f"{before}ALTER TABLE kr RENAME COLUMN id TO pk; UPDATE kr SET v = v * 10 WHERE pk >= 18; "
                  "INSERT INTO kr VALUES (21, 21)", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "kr", name="pipe2")
    try:
        rows = equal(postgres, database, lake_catalog, "kr", "SELECT pk, v FROM kr ORDER BY pk")
        assert rows[-1] == "21,21", rows
        state = pipe.wait_state("public.kr", "STREAMING")
        assert state["last_error"] is None and state["mode"] == "upsert", state
        postgres.psql("UPDATE kr SET v = 0 WHERE pk = 1", database)
        equal(postgres, database, lake_catalog, "kr", "SELECT pk, v FROM kr ORDER BY pk")
    finally:
        pipe.stop()


@pytest.mark.parametrize("place", ["inside", "last", "last_after_a_drop", "swapped"])
def test_renamed_and_widened_while_the_pipe_was_away(postgres, database, lake_catalog, tmp_path, place):
    """Resumed from the lake, the pipe knows its columns by name and lake type only (the source's
    attribute numbers it reads from the catalog). A column renamed and widened while it was away:
    with columns after it, it can only be that column (ADD COLUMN appends); as the last column,
    numbered right after the column before it, it cannot be an added one either. Both are renamed
    and widened in place. After an earlier DROP left a gap in the numbers, the last column may as
    well be a DROP and an ADD, and two columns that swapped names look unchanged by name: those
    tables are resynced. Either way the lake keeps PostgreSQL's values (taken for a drop and an
    add, every existing row read NULL; swapped, each column showed the other's values)."""
    tail = ", z text" if place == "inside" else ""
    postgres.psql(f"CREATE TABLE away (id int PRIMARY KEY, a int, {'gone int, ' if place == 'last_after_a_drop' else ''}"
                  f"c int{tail}); "
                  f"INSERT INTO away (id, a, c{', z' if tail else ''}) SELECT g, g, -g{', g::text' if tail else ''} "
                  "FROM generate_series(1, 20) g", database)
    if place == "last_after_a_drop":
        postgres.psql("ALTER TABLE away DROP COLUMN gone", database)
    columns = "id, a, c, z" if tail else "id, a, c"
    synced_then_stopped(postgres, database, lake_catalog, tmp_path, "away", f"SELECT {columns} FROM away ORDER BY id")
    if place == "swapped":
        alter = "ALTER TABLE away RENAME COLUMN a TO t; ALTER TABLE away RENAME COLUMN c TO a; ALTER TABLE away RENAME COLUMN t TO c"
        query = "SELECT id, c, a FROM away ORDER BY id"
    else:
        alter = "ALTER TABLE away RENAME COLUMN c TO b; ALTER TABLE away ALTER COLUMN b TYPE bigint"
        query = f"SELECT {columns.replace('c', 'b')} FROM away ORDER BY id"
    postgres.psql(f"{alter}; INSERT INTO away (id) VALUES (21)", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "away", name="pipe2")
    try:
        rows = equal(postgres, database, lake_catalog, "away", query)
        assert rows[0].startswith("1,1,-1"), rows
        pipe.wait_state("public.away", "STREAMING")
        resynced = "is resynced from a new snapshot" in pipe.log.read_text()
        assert resynced == (place in ("last_after_a_drop", "swapped")), pipe.log.read_text()[-3000:]
    finally:
        pipe.stop()


def test_killed_between_the_rows_before_a_truncate_and_the_truncate(postgres, database, lake_catalog, tmp_path):
    """A transaction changes rows, TRUNCATEs the table and inserts again. The pipe commits the rows
    before the TRUNCATE, then the TRUNCATE, as lake commits of their own. Killed between the two,
    it gets the transaction again from the slot: the rows already applied are skipped, the TRUNCATE
    must not be. The first commit used to record the TRUNCATE as applied too, and the lake kept
    every row the source had truncated (the pipe differential test, seed 1996507706: 1497 rows).
    A trigger in the catalog refuses the TRUNCATE's commit (it ends data files) to hold the pipe
    between the two commits."""
    catalog_db = database + "_lake"
    postgres.psql("CREATE TABLE tr (id int PRIMARY KEY, v int); "
                  "INSERT INTO tr SELECT g, g FROM generate_series(1, 30) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "tr", *HOLD_FLUSHES)
    try:
        pipe.wait_state("public.tr", "STREAMING")
        equal(postgres, database, lake_catalog, "tr", "SELECT id, v FROM tr ORDER BY id")
        postgres.psql("CREATE FUNCTION refuse_end() RETURNS trigger LANGUAGE plpgsql AS "
                      "$$BEGIN RAISE EXCEPTION 'test: no data file may end now'; END$$; "
                      "CREATE TRIGGER refuse_end BEFORE UPDATE ON ducklake_data_file "
                      "FOR EACH STATEMENT EXECUTE FUNCTION refuse_end()", catalog_db)
        before = latest_snapshot(lake_catalog)
        postgres.psql("BEGIN; INSERT INTO tr VALUES (31, 31), (32, 32); UPDATE tr SET v = -v WHERE id = 32; "
                      "TRUNCATE tr; INSERT INTO tr VALUES (40, 40); COMMIT", database)
        deadline = time.monotonic() + 60
        state = pipe.table("public.tr")
        while "no data file may end now" not in (state.get("last_error") or "") and time.monotonic() < deadline:
            time.sleep(0.1)
            state = pipe.table("public.tr")
        assert "no data file may end now" in (state.get("last_error") or ""), state
        assert latest_snapshot(lake_catalog) == before + 1, "the rows before the TRUNCATE are one lake commit"
        assert {"31,31", "32,-32"} <= set(lake_rows(lake_catalog, "tr"))
    finally:
        pipe.stop(kill=True)
    postgres.psql("DROP TRIGGER refuse_end ON ducklake_data_file", catalog_db)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "tr", name="pipe2")
    try:
        rows = equal(postgres, database, lake_catalog, "tr", "SELECT id, v FROM tr ORDER BY id")
        assert [row.split(",")[0] for row in rows] == ["40"], rows
    finally:
        pipe.stop()


@pytest.mark.parametrize("change", ["add_column_with_default", "add_nullable_column"])
def test_relation_described_while_the_source_catalog_is_down(postgres, database, lake_catalog, tmp_path, change):
    """The stream can hand over a relation description after PostgreSQL went down: the walsender
    sent it before, and it waits in the socket. The pipe describes it from the catalog (types,
    defaults of added columns, attribute numbers); with the catalog unreachable it used to go on
    without them, so an added column's existing rows read NULL, or every column looked retyped
    and the table stopped until a manual resync. It must start the stream over instead."""
    postgres.psql("CREATE TABLE down (id int PRIMARY KEY, v int); "
                  "INSERT INTO down SELECT g, g FROM generate_series(1, 30) g", database)
    pipe = start_pipe(postgres, database, lake_catalog, tmp_path, "--tables", "down")
    try:
        equal(postgres, database, lake_catalog, "down", "SELECT id, v FROM down ORDER BY id")
        os.killpg(pipe.proc.pid, signal.SIGSTOP)
        try:
            if change == "add_column_with_default":
                postgres.psql("ALTER TABLE down ADD COLUMN plan text NOT NULL DEFAULT 'free'; "
                              "INSERT INTO down VALUES (31, 31, 'pro')", database)
            else:
                postgres.psql("ALTER TABLE down ADD COLUMN note text; UPDATE down SET v = v + 1 WHERE id = 1", database)
            time.sleep(1)  # the walsender decodes and sends into the stopped pipe's socket
            postgres.restart_after(lambda: os.killpg(pipe.proc.pid, signal.SIGCONT), down_seconds=3)
        finally:
            os.killpg(pipe.proc.pid, signal.SIGCONT)
        if change == "add_column_with_default":
            rows = equal(postgres, database, lake_catalog, "down", "SELECT id, v, plan FROM down ORDER BY id")
            assert rows[0] == "1,1,free" and rows[-1] == "31,31,pro"
        else:
            rows = equal(postgres, database, lake_catalog, "down", "SELECT id, v, note FROM down ORDER BY id")
            assert rows[0] == "1,2,"
        state = pipe.wait_state("public.down", "STREAMING")
        assert state["last_error"] is None, state
        assert "stopped until resynced" not in pipe.log.read_text()
    finally:
        pipe.stop()
