"""A table the pipe stops (ERROR until a resync) no longer holds the slot back, so the source keeps
no WAL for it — and therefore it must never resume streaming from its old position after a restart:
the changes confirmed meanwhile are gone from the slot. It is recorded as needing a new snapshot
and comes back equal to its source."""

from __future__ import annotations

import time

from pipe_e2e import Pipe, lake_rows, source_rows, wait_equal
from pipe_e2e import database, lake_catalog, postgres  # noqa: F401 (fixtures)


def start(postgres, database, lake_catalog, tmp_path, name: str) -> Pipe:
    pipe = Pipe(postgres.conninfo(database), lake_catalog, tmp_path / "data", tmp_path / "work", tmp_path / f"{name}.log",
                "--tables", "public.iv,public.ok", group=database)
    pipe.wait_ready()
    return pipe


def wait_slot_confirmed_past(postgres, database, lsn: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = postgres.psql(f"SELECT confirmed_flush_lsn >= '{lsn}'::pg_lsn FROM pg_replication_slots "
                             f"WHERE slot_name = 'mallard_{database}'")
        if done == "t":
            return
        time.sleep(0.2)
    raise AssertionError(f"the slot was not confirmed past {lsn}")


def test_a_stopped_table_is_snapshotted_again_after_a_restart(postgres, database, lake_catalog, tmp_path):
    postgres.psql("CREATE TABLE iv (id int PRIMARY KEY, d interval); CREATE TABLE ok (id int PRIMARY KEY, v text); "
                  "INSERT INTO iv VALUES (1, '1 day')", database)
    pipe = start(postgres, database, lake_catalog, tmp_path, "first")
    try:
        pipe.wait_state("public.iv", "STREAMING")
        pipe.wait_state("public.ok", "STREAMING")
        # A negative interval does not fit the lake (Parquet intervals are unsigned): iv stops.
        postgres.psql("INSERT INTO iv VALUES (2, '-1 day')", database)
        pipe.wait_state("public.iv", "ERROR")
        # The source is mended, and iv changes more while it is stopped; the other table's
        # changes let the slot move past all of it.
        postgres.psql("DELETE FROM iv WHERE id = 2; INSERT INTO iv VALUES (3, '3 days'); UPDATE iv SET d = '2 days' "
                      "WHERE id = 1", database)
        postgres.psql("INSERT INTO ok SELECT g, 'v' || g FROM generate_series(1, 50) g", database)
        wait_equal(lambda: lake_rows(lake_catalog, "ok"), lambda: source_rows(postgres, "SELECT id, v FROM ok ORDER BY id",
                                                                              database))
        postgres.psql("INSERT INTO ok VALUES (51, 'last')", database)
        wait_slot_confirmed_past(postgres, database, postgres.psql("SELECT pg_current_wal_lsn()"))
    finally:
        pipe.stop()
    pipe = start(postgres, database, lake_catalog, tmp_path, "second")
    try:
        # Not resumed from its old position (the slot no longer has iv's changes): a new snapshot.
        wait_equal(lambda: lake_rows(lake_catalog, "iv"),
                   lambda: source_rows(postgres, "SELECT id, d FROM iv ORDER BY id", database), timeout=120)
        pipe.wait_state("public.iv", "STREAMING")
        postgres.psql("INSERT INTO iv VALUES (4, '4 days')", database)
        wait_equal(lambda: lake_rows(lake_catalog, "iv"),
                   lambda: source_rows(postgres, "SELECT id, d FROM iv ORDER BY id", database))
    finally:
        pipe.stop()
