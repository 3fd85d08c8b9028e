"""A hosted pipe's table actions through the server's admin endpoints (issue 21): POST
/_mallard/pipe/tables, POST /_mallard/pipe/tables/{table}/resync and DELETE
/_mallard/pipe/tables/{table}[?drop_lake_table=…], without a --pipe-api-port.

They answer as the pipe API answers (its documents and errors), are protected as /_mallard/reset is
(the admin token, POST/DELETE only), and answer 404 JSON when the server hosts no pipe. What each
action did is confirmed through /_mallard/pipe/status and through the lake, read with Athena.
"""

from __future__ import annotations

import json
import time

from conftest import http_request, start_server, stop_server
from pipe_e2e import database, lake_catalog, postgres  # noqa: F401 (fixtures)
from sqlengine_e2e import athena_run, client

TOKEN = "pipe-admin-token"
JSON = {"Content-Type": "application/json"}
AUTHORIZED = {**JSON, "Authorization": f"Bearer {TOKEN}"}


def status(port: int) -> dict:
    response = http_request(port, "GET", "/_mallard/pipe/status", timeout=10)
    assert response.status == 200, response.body[:300]
    return response.json()


def tables_by_source(port: int) -> dict[str, dict]:
    return {t["source"]: t for t in status(port)["tables"]}


def wait_for(what: str, check, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def lake_count(athena, table: str) -> int | str:
    """The lake table's row count through Athena, or the failure reason when the query fails."""
    execution = athena_run(athena, f"SELECT count(*) AS n FROM lake_public.{table}")
    if execution["Status"]["State"] != "SUCCEEDED":
        return execution["Status"].get("StateChangeReason", "failed")
    rows = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]["Rows"]
    return int(rows[1]["Data"][0]["VarCharValue"])


def synced(port: int, source: str, rows: int):
    table = tables_by_source(port).get(source)
    return table if table and table["state"] == "STREAMING" and table["rows_synced"] == rows else None


def test_add_resync_and_remove_through_the_gateway(postgres, database, lake_catalog, tmp_path):  # noqa: F811
    postgres.psql("CREATE TABLE items (id bigint PRIMARY KEY, name text)", database)
    postgres.psql("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g", database)
    postgres.psql("CREATE TABLE orders (id bigint PRIMARY KEY, total numeric)", database)
    postgres.psql("INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 30) g", database)
    server = start_server(tmp_path / "mallard.log", [
        "--lake-catalog", lake_catalog, "--lake-data-path", str(tmp_path / "data"), "--admin-token", TOKEN,
        "--pipe-source", postgres.conninfo(database), "--pipe-tables", "items", "--pipe-group", database])
    try:
        port = server.port
        # The server listens before the pipe starts: the actions answer 404 (no pipe yet) until then.
        wait_for("the pipe", lambda: http_request(port, "GET", "/_mallard/pipe/status", timeout=10).status == 200)
        wait_for("items synced", lambda: synced(port, "public.items", 100))
        athena = client("athena", server.endpoint)
        add_orders = json.dumps({"table": "public.orders"})

        # Protected as /_mallard/reset: no token 401 (with the challenge), another token 403, and
        # nothing happens either way.
        refused = http_request(port, "POST", "/_mallard/pipe/tables", JSON, add_orders)
        assert refused.status == 401 and refused.headers["www-authenticate"] == 'Bearer realm="mallard"', refused
        assert refused.json() == {"error": "this endpoint needs Authorization: Bearer <admin token>"}
        wrong = {**JSON, "Authorization": "Bearer not-the-token"}
        assert http_request(port, "POST", "/_mallard/pipe/tables", wrong, add_orders).status == 403
        assert http_request(port, "POST", "/_mallard/pipe/tables/public.items/resync", JSON).status == 401
        assert http_request(port, "DELETE", "/_mallard/pipe/tables/public.items", wrong).status == 403
        reset_refusal = http_request(port, "POST", "/_mallard/reset")
        assert (reset_refusal.status, reset_refusal.body) == (refused.status, refused.body)
        # Only their own methods (a cross-origin DELETE needs a preflight, which admin paths refuse).
        for method, path, allow in [("GET", "/_mallard/pipe/tables", "POST"), ("PUT", "/_mallard/pipe/tables", "POST"),
                                    ("POST", "/_mallard/pipe/tables/public.items", "DELETE"),
                                    ("GET", "/_mallard/pipe/tables/public.items/resync", "POST"),
                                    ("DELETE", "/_mallard/pipe/tables/public.items/resync", "POST"),
                                    ("OPTIONS", "/_mallard/pipe/tables/public.items", "DELETE")]:
            response = http_request(port, method, path, {**AUTHORIZED, "Origin": "http://elsewhere.example"})
            assert response.status == 405 and response.headers["allow"] == allow, (method, path, response)
            assert "access-control-allow-origin" not in response.headers
        # The pipe API's own rule: a state change needs a JSON Content-Type (no "simple" cross-origin body).
        plain = http_request(port, "POST", "/_mallard/pipe/tables",
                             {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}, add_orders)
        assert plain.status == 415 and plain.json() == {"error": "POST requests need Content-Type: application/json"}
        assert set(tables_by_source(port)) == {"public.items"}

        # Add: the pipe API's document, and the table snapshots into the lake.
        added = http_request(port, "POST", "/_mallard/pipe/tables", AUTHORIZED, add_orders)
        assert added.status == 201 and added.json() == {"table": "public.orders", "state": "SNAPSHOT"}, added
        assert added.headers["content-type"] == "application/json"
        again = http_request(port, "POST", "/_mallard/pipe/tables", AUTHORIZED, add_orders)
        assert again.status == 409 and "already synced" in again.json()["error"], again
        for body in ["{", "[]", '{"table": 7}', '{"name": "public.orders"}']:
            bad = http_request(port, "POST", "/_mallard/pipe/tables", AUTHORIZED, body)
            assert bad.status == 400 and bad.json() == {"error": 'expected a JSON body {"table": "schema.table"}'}, body
        missing = http_request(port, "POST", "/_mallard/pipe/tables", AUTHORIZED, json.dumps({"table": "public.nope"}))
        assert missing.status == 400 and missing.json()["error"], missing
        wait_for("orders synced", lambda: synced(port, "public.orders", 30))
        assert wait_for("orders in the lake", lambda: lake_count(athena, "orders") == 30)

        # Resync: a new snapshot (at a later position of the source), the same rows in the lake.
        before = tables_by_source(port)["public.items"]
        postgres.psql("INSERT INTO items VALUES (101, 'before the resync')", database)
        wait_for("the insert synced", lambda: synced(port, "public.items", 101))
        resynced = http_request(port, "POST", "/_mallard/pipe/tables/public.items/resync", AUTHORIZED)
        assert resynced.status == 202 and resynced.json() == {"table": "public.items", "state": "SNAPSHOT"}, resynced
        after = wait_for("items resynced", lambda: (lambda t: t if t and t["snapshot_lsn"] != before["snapshot_lsn"] else None)(
            synced(port, "public.items", 101)))
        assert after["snapshot_lsn"] != before["snapshot_lsn"]
        assert wait_for("items in the lake", lambda: lake_count(athena, "items") == 101)
        unknown = http_request(port, "POST", "/_mallard/pipe/tables/public.nope/resync", AUTHORIZED)
        assert unknown.status == 404 and "not synced" in unknown.json()["error"], unknown

        # Remove, dropping the lake table: gone from the status and from the lake.
        bad_flag = http_request(port, "DELETE", "/_mallard/pipe/tables/public.orders?drop_lake_table=yes", AUTHORIZED)
        assert bad_flag.status == 400 and bad_flag.json() == {"error": "drop_lake_table must be true or false"}
        other = http_request(port, "DELETE", "/_mallard/pipe/tables/public.orders?cascade=true", AUTHORIZED)
        assert other.status == 400 and other.json() == {"error": "unknown query parameter 'cascade'"}
        removed = http_request(port, "DELETE", "/_mallard/pipe/tables/public.orders?drop_lake_table=true", AUTHORIZED)
        assert removed.status == 200, removed
        assert removed.json() == {"table": "public.orders", "removed": True, "lake_table_dropped": True}
        assert set(tables_by_source(port)) == {"public.items"}
        reason = lake_count(athena, "orders")
        assert isinstance(reason, str) and "does not exist" in reason, reason
        gone = http_request(port, "DELETE", "/_mallard/pipe/tables/public.orders", AUTHORIZED)
        assert gone.status == 404 and "not synced" in gone.json()["error"], gone

        # Remove keeping the lake table (the path percent-encoded, as the console sends it).
        kept = http_request(port, "DELETE", "/_mallard/pipe/tables/public%2Eitems", AUTHORIZED)
        assert kept.status == 200, kept
        assert kept.json() == {"table": "public.items", "removed": True, "lake_table_dropped": False}
        assert status(port)["tables"] == []
        postgres.psql("INSERT INTO items VALUES (102, 'after the removal')", database)
        time.sleep(1)
        assert lake_count(athena, "items") == 101  # kept, and no longer fed

        # And added back: it starts from a new snapshot of the source.
        back = http_request(port, "POST", "/_mallard/pipe/tables", AUTHORIZED, json.dumps({"table": "public.items"}))
        assert back.status == 201, back
        wait_for("items synced again", lambda: synced(port, "public.items", 102))
        assert wait_for("items in the lake again", lambda: lake_count(athena, "items") == 102)
    finally:
        stop_server(server)


def test_no_pipe_is_404_and_the_token_still_comes_first(tmp_path):
    server = start_server(tmp_path / "mallard.log", ["--admin-token", TOKEN])
    try:
        port = server.port
        actions = [("POST", "/_mallard/pipe/tables", json.dumps({"table": "public.items"})),
                   ("POST", "/_mallard/pipe/tables/public.items/resync", ""),
                   ("DELETE", "/_mallard/pipe/tables/public.items", ""),
                   ("DELETE", "/_mallard/pipe/tables/public.items?drop_lake_table=true", "")]
        for method, path, body in actions:
            assert http_request(port, method, path, JSON, body).status == 401, path
            response = http_request(port, method, path, AUTHORIZED, body)
            assert response.status == 404, (path, response)
            assert response.headers["content-type"] == "application/json"
            assert response.json() == {"error": "this server hosts no pipe (start one with --pipe-source)"}
        assert http_request(port, "GET", "/_mallard/pipe/status").status == 404
        # Other paths under /_mallard/pipe are no endpoints.
        assert http_request(port, "POST", "/_mallard/pipe/tablesx", AUTHORIZED).status == 404
    finally:
        stop_server(server)
