"""The pipe under small memory limits and with transactions far larger than a flush batch: it spills
and finishes instead of stopping a table with out-of-memory, applies a large transaction in bounded
steps, and never shows a half-applied transaction as a lake snapshot (checked at every snapshot the
pipe made, by time travel)."""

from __future__ import annotations

import pytest

from pipe_e2e import Pipe, lake_cli, lake_rows, source_rows, wait_equal
from pipe_e2e import database, lake_catalog, postgres  # noqa: F401 (fixtures)

WIDE = "SELECT id, grp, body, amount FROM wide ORDER BY id"


def make_wide(postgres, database, rows: int) -> None:
    postgres.psql("CREATE TABLE wide (id bigint PRIMARY KEY, grp int, body text, amount numeric(12,2))", database)
    if rows:
        postgres.psql(f"INSERT INTO wide SELECT g, g % 10, 'row ' || g, g FROM generate_series(1, {rows}) g", database)


def start(postgres, database, catalog, tmp_path, *args) -> Pipe:
    pipe = Pipe(postgres.conninfo(database), catalog, tmp_path / "data", tmp_path / "work", tmp_path / "pipe.log",
                "--tables", "wide", *args, group=database)
    pipe.wait_ready()
    pipe.wait_state("public.wide", "STREAMING", timeout=120)
    return pipe


def assert_healthy(pipe: Pipe) -> None:
    table = pipe.table("public.wide")
    assert table["state"] != "ERROR", table
    log = pipe.log.read_text()
    assert "Out of Memory" not in log and "out of memory" not in log, log[-3000:]


def snapshot_ids(catalog: str) -> list[int]:
    fields = [line.split("\t")[0] for line in lake_cli(catalog, "snapshots").splitlines()]
    return [int(field) for field in fields if field.isdigit()]


@pytest.mark.parametrize("limits", [["--buffer-memory-mb", "4"], ["--flush-memory-mb", "64"],
                                    ["--buffer-memory-mb", "4", "--flush-memory-mb", "64"]],
                         ids=["buffer4", "flush64", "both"])
def test_small_memory_limits_spill_and_finish(postgres, database, lake_catalog, tmp_path, limits):
    make_wide(postgres, database, 10)
    pipe = start(postgres, database, lake_catalog, tmp_path, *limits)
    try:
        # ~90 MB of changes in one transaction, then an update and a delete of much of it.
        postgres.psql("INSERT INTO wide SELECT g, g % 10, repeat(md5(g::text), 12) || g, g * 1.5 "
                      "FROM generate_series(100, 200099) g", database)
        postgres.psql("UPDATE wide SET body = 'updated ' || id, amount = amount + 1 WHERE id % 3 = 0", database)
        postgres.psql("DELETE FROM wide WHERE id % 7 = 0", database)
        wait_equal(lambda: lake_rows(lake_catalog, "wide"), lambda: source_rows(postgres, WIDE, database), timeout=600)
        assert_healthy(pipe)
    finally:
        pipe.stop()


def test_transaction_larger_than_a_batch_is_never_half_visible(postgres, database, lake_catalog, tmp_path):
    make_wide(postgres, database, 10)
    pipe = start(postgres, database, lake_catalog, tmp_path, "--flush-batch-rows", "5000", "--flush-memory-mb", "64")
    try:
        before = snapshot_ids(lake_catalog)
        postgres.psql("INSERT INTO wide SELECT g, g % 10, repeat('x', 200) || g, g FROM generate_series(100, 60099) g",
                      database)
        postgres.psql("BEGIN; UPDATE wide SET grp = -1 WHERE id < 30000; DELETE FROM wide WHERE id >= 50000; COMMIT",
                      database)
        wait_equal(lambda: lake_rows(lake_catalog, "wide"), lambda: source_rows(postgres, WIDE, database), timeout=300)
        assert_healthy(pipe)
        # Every snapshot the pipe made shows the table before or after each transaction, never between.
        inserted, updated_and_deleted = 60010, 60010 - 10100
        seen = set()
        for snapshot in snapshot_ids(lake_catalog):
            if snapshot in before:
                continue
            rows = lake_rows(lake_catalog, "wide", snapshot=snapshot)
            updated = sum(1 for line in rows if line.split(",")[1] == "-1")
            assert (len(rows), updated) in {(10, 0), (inserted, 0), (updated_and_deleted, 29910)}, (snapshot, len(rows),
                                                                                                     updated)
            seen.add(len(rows))
        assert updated_and_deleted in seen
        # ...and was written in bounded steps: the insert's snapshot registered several files, none
        # much larger than a batch.
        files = postgres.psql("SELECT count(*), max(record_count) FROM ducklake_data_file f JOIN ducklake_table t "
                              "USING (table_id) WHERE t.table_name = 'wide' AND f.begin_snapshot = (SELECT "
                              "min(begin_snapshot) FROM ducklake_data_file WHERE record_count > 100)", database + "_lake")
        count, largest = (int(v) for v in files.split("|"))
        assert count >= 6 and largest <= 10000, files
    finally:
        pipe.stop()
