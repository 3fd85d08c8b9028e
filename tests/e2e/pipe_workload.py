"""A seeded random workload for the pipe's differential test (test_pipe_differential.py).

Four source tables with different key shapes (int, composite (int, text), text, and an int key
with a TOASTed text column), and transactions of random inserts (small and generate_series-sized,
upserts), updates of non-key and key columns, deletes by key and by predicate, TRUNCATE, ADD /
DROP / RENAME COLUMN and savepoints, committed or rolled back, all run through psql. After every
transaction that may have changed a table, the table is read back and its content is kept as a
digest, so a lake state can be matched against the source's state after any transaction.

Values are compared in one canonical text form per column kind: `canon(kind, text, side)` turns
what psql --csv prints (side "pg") and what `mallard lake scan` prints (side "lake") into the same
string, e.g. PostgreSQL's `t` and DuckDB's `true`, `\\x0a41` and `\\x0AA`, `{1,NULL}` and
`[1, NULL]`, a timestamptz in any offset into UTC. NULL is None. psql and the lake scan both print
NULL and '' alike, so the workload never writes an empty string or an empty bytea."""

from __future__ import annotations

import bisect
import copy
import csv
import hashlib
import io
import json
import subprocess
import threading
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from conftest import mallard_bin, server_env

# PostgreSQL type and lake type (as `mallard lake tables` prints it) of each column kind.
KINDS = {
    "int": ("integer", "int32"),
    "bigint": ("bigint", "int64"),
    "numeric": ("numeric(12,2)", "decimal(12,2)"),
    "numeric_wide": ("numeric(14,3)", "decimal(14,3)"),  # what ALTER … TYPE widens numeric(12,2) to
    "text": ("text", "varchar"),
    "bigtext": ("text", "varchar"),  # compared by md5: values of up to 6 kB, stored out of line
    "bool": ("boolean", "boolean"),
    "tstz": ("timestamp with time zone", "timestamptz"),
    "date": ("date", "date"),
    "float8": ("double precision", "float64"),
    "jsonb": ("jsonb", "json"),
    "bytea": ("bytea", "blob"),
    "intarr": ("integer[]", "list"),
}
ADDABLE_KINDS = ["int", "bigint", "numeric", "numeric_wide", "text", "bool", "tstz", "date", "jsonb", "float8", "intarr"]
# ALTER COLUMN … TYPE widenings the pipe follows in place (README: "widened at the source").
WIDENINGS = {"int": "bigint", "numeric": "numeric_wide"}
# Names ADD COLUMN and RENAME COLUMN pick from: small pools, so a name comes back after its column
# was dropped or renamed away (with another type, often).
ADD_NAMES = ["x1", "x2", "x3"]
RENAME_NAMES = ["r1", "r2", "r3", "note", "amount"]
# No digits (text keys are 'k' + number + suffix and must stay unique), no '~' (key updates append
# '~' + counter), no '@' (psql output markers), no '\r' (the lake scan's CSV does not quote it).
TEXT_CHARS = "abcdefxyz ,;.\"'\\\t\n-_éß€😀"
NULL_TOKEN = "\x00NULL"
UTC = timezone.utc


# ---------------------------------------------------------------------------------------------
# Canonical values
# ---------------------------------------------------------------------------------------------

def _canon_tstz(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


def _canon_intarr(text: str, side: str) -> str:
    inner = text[1:-1].strip()
    if side == "pg":
        assert text[0] == "{" and text[-1] == "}", text
    else:
        assert text[0] == "[" and text[-1] == "]", text
    parts = [p.strip() for p in inner.split(",")] if inner else []
    return "[" + ", ".join("NULL" if p == "NULL" else str(int(p)) for p in parts) + "]"


def _canon_bytea(text: str, side: str) -> str:
    if side == "pg":
        assert text.startswith("\\x"), text
        return bytes.fromhex(text[2:]).hex()
    out = bytearray()  # DuckDB's blob text: printable ASCII as is, every other byte as \xHH
    i = 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1:i + 2] == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            out.extend(text[i].encode())
            i += 1
    return out.hex()


def canon(kind: str, text: str, side: str) -> str | None:
    """One printed value (psql --csv on side "pg", `mallard lake scan` on side "lake") in canonical form."""
    if text == "":
        return None
    if kind in ("int", "bigint"):
        return str(int(text))
    if kind == "numeric":
        return str(Decimal(text).quantize(Decimal("0.01")))
    if kind == "numeric_wide":
        return str(Decimal(text).quantize(Decimal("0.001")))
    if kind == "text":
        return text
    if kind == "bigtext":  # PostgreSQL is read as md5(column); the lake gives the value
        return text if side == "pg" else hashlib.md5(text.encode()).hexdigest()
    if kind == "bool":
        return {"t": "true", "f": "false", "true": "true", "false": "false"}[text]
    if kind == "tstz":
        return _canon_tstz(text)
    if kind == "date":
        return date.fromisoformat(text).isoformat()
    if kind == "float8":
        value = float(text)
        # The sign of a zero is not compared: `mallard lake scan` prints -0.0 as 0.0 (its ORDER BY
        # ALL goes through DuckDB's sort, which normalises the zero), though the lake's Parquet
        # files hold -0.0 (checked by reading them with DuckDB directly).
        return repr(0.0 if value == 0 else value)
    if kind == "jsonb":
        return json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)
    if kind == "bytea":
        return _canon_bytea(text, side)
    if kind == "intarr":
        return _canon_intarr(text, side)
    raise AssertionError(f"unknown kind {kind}")


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def random_text(rng, low: int = 1, high: int = 14) -> str:
    return "".join(rng.choice(TEXT_CHARS) for _ in range(rng.randint(low, high)))


def random_json(rng, depth: int = 0):
    choice = rng.random()
    if depth < 2 and choice < 0.35:
        return {random_text(rng, 1, 5): random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if depth < 2 and choice < 0.5:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return rng.choice([None, True, False, rng.randint(-10**12, 10**12), round(rng.uniform(-1000, 1000), 3),
                       random_text(rng, 0, 8)])


def random_value(rng, kind: str, nullable: bool = True) -> tuple[str, str | None]:
    """A random value of `kind`: its SQL (a constant expression) and its canonical form."""
    if nullable and rng.random() < 0.12:
        return "NULL", None
    if kind == "int":
        v = rng.choice([rng.randint(-9, 9), rng.randint(-10**6, 10**6), 2**31 - 1, -2**31])
        return f"({v})::integer", str(v)
    if kind == "bigint":
        v = rng.choice([rng.randint(-10**6, 10**6), rng.randint(-2**63, 2**63 - 1), 2**63 - 1, -2**63])
        return f"({v})::bigint", str(v)
    if kind == "numeric":
        v = Decimal(rng.choice([rng.randint(-10**4, 10**4), rng.randint(-(10**12 - 1), 10**12 - 1)])).scaleb(-2)
        return f"({v})::numeric(12,2)", str(v.quantize(Decimal("0.01")))
    if kind == "numeric_wide":
        v = Decimal(rng.choice([rng.randint(-10**4, 10**4), rng.randint(-(10**14 - 1), 10**14 - 1)])).scaleb(-3)
        return f"({v})::numeric(14,3)", str(v.quantize(Decimal("0.001")))
    if kind == "text":
        t = random_text(rng)
        return sql_str(t), t
    if kind == "bigtext":
        if rng.random() < 0.75:
            n = rng.randint(0, 10**6)
            k = rng.randint(2100, 6000)
            t = "x" * k + str(n)
            return f"repeat('x', {k}) || '{n}'", hashlib.md5(t.encode()).hexdigest()
        t = random_text(rng)
        return sql_str(t), hashlib.md5(t.encode()).hexdigest()
    if kind == "bool":
        v = rng.random() < 0.5
        return ("true", "true") if v else ("false", "false")
    if kind == "tstz":
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randint(0, 130 * 365 * 86400 * 10**6))
        if rng.random() < 0.3:
            moment = moment.replace(microsecond=0)
        offset = timezone(timedelta(minutes=rng.choice([0, 60, -300, 330, 345, -570, 840])))
        return f"'{moment.astimezone(offset).isoformat(sep=' ')}'::timestamptz", moment.isoformat()
    if kind == "date":
        d = date(1900, 1, 1) + timedelta(days=rng.randint(0, 110000))
        return f"DATE '{d.isoformat()}'", d.isoformat()
    if kind == "float8":
        v = rng.choice([rng.randint(-800, 800) / 8, rng.uniform(-1e9, 1e9), rng.uniform(-1, 1) * 10.0**rng.randint(-300, 300),
                        float("inf"), float("-inf"), float("nan"), -0.0, 5e-324])
        return f"'{repr(v)}'::float8", repr(v)
    if kind == "jsonb":
        v = random_json(rng)
        text = json.dumps(v, ensure_ascii=False)
        return sql_str(text) + "::jsonb", json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)
    if kind == "bytea":
        b = rng.randbytes(rng.randint(1, 12))
        return f"'\\x{b.hex()}'::bytea", b.hex()
    if kind == "intarr":
        items = [None if rng.random() < 0.2 else rng.randint(-1000, 1000) for _ in range(rng.randint(0, 4))]
        body = ",".join("NULL" if x is None else str(x) for x in items)
        return "'{" + body + "}'::integer[]", "[" + ", ".join("NULL" if x is None else str(x) for x in items) + "]"
    raise AssertionError(kind)


def series_value(rng, kind: str, nullable: bool) -> str:
    """A value of `kind` computed from the generate_series variable g (large inserts)."""
    a = rng.randint(1, 97)
    expr = {
        "int": f"((g * {a}) % 100000)::integer",
        "bigint": f"(g::bigint * {a * 1000003})",
        "numeric": f"((g % 10000) * {a}.25)::numeric(12,2)",
        "numeric_wide": f"((g % 100000) * {a}.125)::numeric(14,3)",
        "text": f"'s' || g || {sql_str(random_text(rng, 1, 6))}",
        "bigtext": f"CASE WHEN g % 3 = 0 THEN 'tiny' || g ELSE repeat('y', {2000 + a * 30}) || g END",
        "bool": f"(g % {a % 3 + 2} = 0)",
        "tstz": f"(timestamptz '2020-01-01 00:00:00+00' + g * interval '{a} min 1.5 sec')",
        "date": "(date '2000-01-01' + (g % 20000)::integer)",
        "float8": f"(g / {a}.0)::float8",
        "jsonb": f"jsonb_build_object('g', g, 'a', jsonb_build_array(g % {a}, 'x,\"y'))",
        "bytea": "decode(md5(g::text), 'hex')",
        "intarr": f"ARRAY[g::integer, NULL, (g % {a})::integer]",
    }[kind]
    if nullable and rng.random() < 0.5:
        return f"CASE WHEN g % {rng.randint(2, 9)} = 0 THEN NULL ELSE {expr} END"
    return expr


def update_value(rng, kind: str, column: str, nullable: bool) -> str:
    """A new value for `column` in an UPDATE: a constant or an expression of its current value."""
    c = f'"{column}"'
    if rng.random() < 0.4:
        return random_value(rng, kind, nullable)[0]
    return {
        "int": f"({c} % 1000) + {rng.randint(1, 9)}",
        "bigint": f"({c} % 1000000) * 3",
        "numeric": f"round({c} / 2, 2)",
        "numeric_wide": f"round({c} / 3, 3)",
        "text": f"left({c}, 20) || {sql_str(random_text(rng, 1, 4))}",
        "bigtext": f"{c} || 'z'",
        "bool": f"NOT {c}",
        "tstz": f"{c} + interval '1 day 0.25 sec'",
        "date": f"{c} + 1",
        "float8": f"-{c}",
        "jsonb": f"{c} || jsonb_build_object('u', {rng.randint(0, 99)})",
        "bytea": f"{c} || '\\x00ff'::bytea",
        "intarr": f"array_append({c}, {rng.randint(-9, 9)})",
    }[kind]


# ---------------------------------------------------------------------------------------------
# Table models
# ---------------------------------------------------------------------------------------------

@dataclass
class Column:
    name: str
    kind: str
    key: bool = False
    not_null: bool = False
    core: bool = False  # never dropped: the workload's predicates and TOAST use it


@dataclass
class Table:
    name: str
    columns: list[Column]
    shape: str  # "int", "comp" (int, text) or "text"
    max_rows: int
    toast: bool = False
    keys: list = field(default_factory=list)  # keys as of the last read, kept roughly current in a transaction
    count: int = 0

    def col(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def key_columns(self) -> list[Column]:
        return [c for c in self.columns if c.key]

    def non_key(self) -> list[Column]:
        return [c for c in self.columns if not c.key]

    def meta(self) -> tuple:
        return tuple((c.name, c.kind, c.key) for c in self.columns)


def q(name: str) -> str:
    return f'"{name}"'


def initial_tables() -> dict[str, Table]:
    return {
        "t_int": Table("t_int", [
            Column("id", "int", key=True, not_null=True), Column("v", "int", not_null=True, core=True),
            Column("amount", "numeric"), Column("ts", "tstz"), Column("flag", "bool"), Column("doc", "jsonb"),
            Column("data", "bytea"), Column("tags", "intarr"), Column("note", "text")], "int", 4000),
        "t_comp": Table("t_comp", [
            Column("a", "int", key=True, not_null=True), Column("b", "text", key=True, not_null=True),
            Column("n", "bigint"), Column("d", "date"), Column("f", "float8"), Column("note", "text")], "comp", 3000),
        "t_text": Table("t_text", [
            Column("k", "text", key=True, not_null=True), Column("v", "int", core=True), Column("note", "text"),
            Column("amount", "numeric")], "text", 2000),
        "t_toast": Table("t_toast", [
            Column("id", "int", key=True, not_null=True), Column("n", "int", not_null=True, core=True),
            Column("body", "bigtext", core=True), Column("small", "text"), Column("ts", "tstz")], "int", 300,
            toast=True),
    }


def create_sql(table: Table) -> str:
    cols = [f"{q(c.name)} {KINDS[c.kind][0]}{' NOT NULL' if c.not_null and not c.key else ''}" for c in table.columns]
    keys = ", ".join(q(c.name) for c in table.key_columns())
    sql = f"CREATE TABLE {table.name} ({', '.join(cols)}, PRIMARY KEY ({keys}));"
    if table.toast:
        # Stored out of line and uncompressed from 2 kB on: an UPDATE that leaves it alone sends it
        # as 'unchanged TOAST' (REPLICA IDENTITY DEFAULT).
        sql += f" ALTER TABLE {table.name} ALTER COLUMN body SET STORAGE EXTERNAL;"
    return sql


# ---------------------------------------------------------------------------------------------
# Digests and comparison
# ---------------------------------------------------------------------------------------------

def comparable(row: tuple) -> tuple:
    return tuple(NULL_TOKEN if value is None else value for value in row)


def digest(meta: tuple, rows: list[tuple]) -> str:
    names = tuple(m[0] for m in meta)
    body = sorted(comparable(row) for row in rows)
    return hashlib.sha1(repr((names, body)).encode()).hexdigest()


def describe_differences(meta: tuple, expected: list[tuple], actual_names: list[str], actual: list[tuple],
                         limit: int = 6) -> list[str]:
    """What differs between the source's rows and the lake's, keyed by the primary key."""
    names = [m[0] for m in meta]
    problems = []
    if list(actual_names) != names:
        problems.append(f"columns: lake {list(actual_names)} != source {names}")
        return problems
    key_at = [i for i, m in enumerate(meta) if m[2]]

    def by_key(rows, label):
        out = {}
        for row in rows:
            k = tuple(row[i] for i in key_at)
            if k in out:
                problems.append(f"{label} has key {k} twice: {out[k]} and {row}")
            out[k] = row
        return out

    want, got = by_key(expected, "source"), by_key(actual, "lake")
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    if missing:
        problems.append(f"{len(missing)} rows missing from the lake, e.g. {[want[k] for k in sorted(missing, key=repr)[:limit]]}")
    if extra:
        problems.append(f"{len(extra)} rows only in the lake, e.g. {[got[k] for k in sorted(extra, key=repr)[:limit]]}")
    changed = []
    for k in want:
        if k in got and want[k] != got[k]:
            cells = [f"{names[i]}: source {want[k][i]!r} lake {got[k][i]!r}" for i in range(len(names))
                     if want[k][i] != got[k][i]]
            changed.append(f"key {k}: " + "; ".join(c[:300] for c in cells))
    if changed:
        problems.append(f"{len(changed)} rows differ, e.g. " + " | ".join(sorted(changed)[:limit]))
    if len(expected) != len(actual) and not problems:
        problems.append(f"row counts: lake {len(actual)} != source {len(expected)}")
    return problems


# ---------------------------------------------------------------------------------------------
# Reading both sides
# ---------------------------------------------------------------------------------------------

def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def lake_scan(catalog: str, table: str, snapshot: int | None = None) -> tuple[list[str], list[list[str]]] | None:
    """The lake table's header and rows as printed (None when the table does not exist yet)."""
    cmd = [str(mallard_bin()), "lake", "--catalog", catalog, "scan", table, "--schema", "public"]
    if snapshot is not None:
        cmd += ["--snapshot", str(snapshot)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=server_env())
    if result.returncode != 0:
        if "does not exist" in result.stderr:
            return None
        raise AssertionError(f"mallard lake scan {table} failed: {result.stderr}")
    rows = parse_csv(result.stdout)
    return rows[0], rows[1:]


def lake_canonical(meta: tuple, header: list[str], rows: list[list[str]]) -> list[tuple]:
    kinds = {m[0]: m[1] for m in meta}
    out = []
    for row in rows:
        assert len(row) == len(header), f"lake row of {len(row)} fields for {len(header)} columns: {row}"
        out.append(tuple(canon(kinds.get(name, "text"), value, "lake") for name, value in zip(header, row)))
    return out


def lake_types(catalog: str) -> dict[str, str]:
    result = subprocess.run([str(mallard_bin()), "lake", "--catalog", catalog, "tables"], capture_output=True, text=True,
                            timeout=120, env=server_env())
    assert result.returncode == 0, result.stderr
    out = {}
    for line in result.stdout.splitlines():
        name, _, columns = line.partition("\t")
        out[name] = columns
    return out


def lsn_int(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


# ---------------------------------------------------------------------------------------------
# The workload
# ---------------------------------------------------------------------------------------------

@dataclass
class HistoryEntry:
    txn: int
    meta: tuple
    digest: str
    count: int
    rows: bytes | None  # zlib(repr(rows)) for the recent entries, to show differences


@dataclass
class Txn:
    index: int
    lo: int  # pg_current_wal_insert_lsn() just before COMMIT: the commit record starts at or after it
    hi: int  # ... and just after COMMIT: it starts before it
    barrier: set  # tables with DDL or TRUNCATE in it (the pipe applies those as a separate lake commit)
    nonatomic: set  # tables with a barrier and rows: the lake may show a state inside the transaction


class WorkloadSqlError(AssertionError):
    pass


class Workload:
    KEEP_ROWS = 60  # history entries per table that keep their rows

    def __init__(self, postgres, database: str, rng, label: str):
        self.postgres, self.database, self.rng = postgres, database, rng
        self.label = label  # "[seed=… steps=…]" for messages
        self.tables = initial_tables()
        self.history: dict[str, list[HistoryEntry]] = {name: [] for name in self.tables}
        self.txns: list[Txn] = []
        self.lock = threading.Lock()  # held while a transaction runs and its history is recorded
        self.next_key = 1
        self.counter = 0
        self.stats = {"transactions": 0, "rolled_back": 0, "statements": 0, "ddl": 0, "truncate": 0,
                      "key_updates": 0, "large": 0, "savepoints": 0}
        self.sql_log = None  # a path: every transaction's script is appended to it (to debug a failure)

    # -- running SQL ------------------------------------------------------------------------

    def psql(self, script: str, timeout: float = 300) -> list[list[str]]:
        result = subprocess.run(["psql", "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1", self.postgres.conninfo(self.database),
                                 "-f", "-"], input=script, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise WorkloadSqlError(f"{self.label} workload SQL failed (a bug of the test's generator or a lost "
                                   f"connection, not of the pipe): {result.stderr}\n--- script ---\n{script[-6000:]}")
        return parse_csv(result.stdout)

    def read_sql(self, table: Table) -> str:
        cols = [f"md5({q(c.name)}) AS {q(c.name)}" if c.kind == "bigtext" else q(c.name) for c in table.columns]
        return f"SELECT {', '.join(cols)} FROM {table.name};"

    def pg_rows(self, name: str) -> tuple[tuple, list[tuple]]:
        """The source table's rows now, canonical, with the columns' description."""
        table = self.tables[name]
        rows = self.psql(self.read_sql(table))
        return table.meta(), self._canonical_pg(table, rows[0], rows[1:])

    def _canonical_pg(self, table: Table, header: list[str], rows: list[list[str]]) -> list[tuple]:
        assert header == [c.name for c in table.columns], f"{self.label} model out of step: {header} vs {table.meta()}"
        kinds = [c.kind for c in table.columns]
        return [tuple(canon(k, v, "pg") for k, v in zip(kinds, row)) for row in rows]

    def _record(self, txn_index: int, table: Table, canonical: list[tuple]) -> None:
        meta = table.meta()
        entries = self.history[table.name]
        entries.append(HistoryEntry(txn_index, meta, digest(meta, canonical), len(canonical),
                                    zlib.compress(repr(canonical).encode(), 1)))
        if len(entries) > self.KEEP_ROWS:
            entries[-self.KEEP_ROWS - 1].rows = None
        key_at = [i for i, c in enumerate(table.columns) if c.key]
        table.keys = sorted((tuple(r[i] for i in key_at) for r in canonical), key=repr)
        if table.shape == "int":
            table.keys = sorted(int(k[0]) for k in table.keys)
        elif table.shape == "text":
            table.keys = sorted(k[0] for k in table.keys)
        else:
            table.keys = sorted(((int(k[0]), k[1]) for k in table.keys), key=repr)
        table.count = len(canonical)

    def run(self, body: list[str], touched: set, barrier: set, dml: set, commit: bool = True) -> Txn | None:
        """Runs one transaction; records the tables' states after it when it commits."""
        names = sorted(touched)
        script = "SET TimeZone = 'UTC';\nBEGIN;\n" + "\n".join(body) + "\n"
        if not commit:
            script += "ROLLBACK;\n"
        else:
            script += "\\echo @@lo\nSELECT pg_current_wal_insert_lsn();\nCOMMIT;\n\\echo @@hi\nSELECT pg_current_wal_insert_lsn();\n"
            for name in names:
                script += f"\\echo @@table {name}\n" + self.read_sql(self.tables[name]) + "\n"
        with self.lock:
            if self.sql_log is not None:
                with open(self.sql_log, "a") as log:
                    log.write(f"-- transaction #{len(self.txns) + 1}{'' if commit else ' (rolled back)'}\n{script}\n")
            rows = self.psql(script)
            self.stats["transactions"] += 1
            if not commit:
                self.stats["rolled_back"] += 1
                return None
            sections: dict[str, list[list[str]]] = {}
            current = None
            for row in rows:
                if len(row) == 1 and row[0].startswith("@@"):
                    current = row[0][2:]
                    sections[current] = []
                elif current is not None:
                    sections[current].append(row)
            txn = Txn(len(self.txns) + 1, lsn_int(sections["lo"][1][0]), lsn_int(sections["hi"][1][0]), set(barrier),
                      {t for t in barrier if t in dml})
            self.txns.append(txn)
            for name in names:
                section = sections[f"table {name}"]
                self._record(txn.index, self.tables[name], self._canonical_pg(self.tables[name], section[0], section[1:]))
            return txn

    # -- set-up and the fixed transactions ----------------------------------------------------

    def setup(self) -> None:
        body = [create_sql(t) for t in self.tables.values()]
        with self.lock:
            self.psql("\n".join(body))
        # Initial rows, in a transaction of their own (recorded like any other).
        inserts = []
        for table in self.tables.values():
            inserts.append(self.insert_series(table, 40 if table.toast else 400))
        self.run(inserts, set(self.tables), set(), set(self.tables))

    def sentinel(self) -> Txn:
        """One transaction inserting and deleting a row in every table: the point to wait for (and
        it makes the pipe see any column change not followed by rows yet)."""
        body = []
        for table in self.tables.values():
            sql, key = self.insert_one(table)
            body.append(sql)
            body.append(f"DELETE FROM {table.name} WHERE {self.key_match(table, [key])};")
        return self.run(body, set(self.tables), set(), set(self.tables))

    def change_type(self) -> tuple[str, str]:
        """ALTER COLUMN … TYPE text of an integer column (not a widening: the pipe does not follow
        it, the table stops until resynced), then a row only the new type holds."""
        candidates = [(t, c) for t in self.tables.values() for c in t.non_key() if c.kind in ("int", "bigint")]
        table, column = self.rng.choice(candidates)
        column.kind = "text"
        sql, key = self.insert_one(table, overrides={column.name: "'not a number'"})
        body = [f"ALTER TABLE {table.name} ALTER COLUMN {q(column.name)} TYPE text;", sql]
        self.stats["ddl"] += 1
        self.run(body, {table.name}, {table.name}, {table.name})
        return table.name, column.name

    # -- generators -------------------------------------------------------------------------

    def fresh(self, n: int = 1) -> int:
        first = self.next_key
        self.next_key += n
        return first

    def fresh_for(self, values) -> dict:
        """A fresh key for each distinct value, in order. Only as many numbers as values are used:
        shifting a whole range (the earlier way) reserved its span each time, spans compounded, and
        keys left the integer range after enough key changes (seed 1599013565, step ~60)."""
        distinct = sorted(set(values))
        base = self.fresh(len(distinct))
        return {value: base + i for i, value in enumerate(distinct)}

    @staticmethod
    def moved(column: str, mapping: dict) -> str:
        """`column`'s new value: each old key to its fresh one (a CASE, one statement for all rows)."""
        cases = " ".join(f"WHEN {old} THEN {new}" for old, new in mapping.items())
        return f"CASE {q(column)} {cases} END"

    def new_key(self, table: Table):
        n = self.fresh()
        if table.shape == "int":
            return n
        if table.shape == "text":
            return f"k{n}{random_text(self.rng, 1, 4)}"
        return (n, self.rng.choice(["x", "y,z", 'q"', "é é", f"b{n % 3}"]))

    def key_sql(self, table: Table, key) -> str:
        if table.shape == "int":
            return str(key)
        if table.shape == "text":
            return sql_str(key)
        return f"({key[0]}, {sql_str(key[1])})"

    def key_match(self, table: Table, keys: list) -> str:
        cols = table.key_columns()
        if table.shape == "comp":
            return f"({q(cols[0].name)}, {q(cols[1].name)}) IN ({', '.join(self.key_sql(table, k) for k in keys)})"
        return f"{q(cols[0].name)} IN ({', '.join(self.key_sql(table, k) for k in keys)})"

    def key_values(self, table: Table, key) -> list[str]:
        if table.shape == "comp":
            return [str(key[0]), sql_str(key[1])]
        return [self.key_sql(table, key)]

    def insert_one(self, table: Table, overrides: dict | None = None) -> tuple[str, object]:
        key = self.new_key(table)
        cols = [q(c.name) for c in table.key_columns()]
        values = self.key_values(table, key)
        for c in table.non_key():
            if overrides and c.name in overrides:
                values.append(overrides[c.name])
            else:
                values.append(random_value(self.rng, c.kind, nullable=not c.not_null)[0])
            cols.append(q(c.name))
        table.keys.append(key)
        return f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join(values)});", key

    def insert_values(self, table: Table, n: int) -> str:
        # A random subset of the nullable columns is left to its default (NULL or ADD COLUMN's DEFAULT).
        chosen = [c for c in table.non_key() if c.not_null or self.rng.random() < 0.8]
        cols = [q(c.name) for c in table.key_columns()] + [q(c.name) for c in chosen]
        rows = []
        for _ in range(n):
            key = self.new_key(table)
            table.keys.append(key)
            values = self.key_values(table, key) + [random_value(self.rng, c.kind, not c.not_null)[0] for c in chosen]
            rows.append("(" + ", ".join(values) + ")")
        return f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES {', '.join(rows)};"

    def insert_series(self, table: Table, n: int) -> str:
        first = self.fresh(n)
        chosen = [c for c in table.non_key() if c.not_null or self.rng.random() < 0.85]
        keys = table.key_columns()
        if table.shape == "int":
            key_exprs = ["g"]
            table.keys.extend(range(first, first + n))
        elif table.shape == "text":
            suffix = random_text(self.rng, 1, 3)
            key_exprs = [f"'k' || g || {sql_str(suffix)}"]
            table.keys.extend(f"k{g}{suffix}" for g in range(first, first + n))
        else:
            key_exprs = ["g", "'b' || (g % 3)"]
            table.keys.extend((g, f"b{g % 3}") for g in range(first, first + n))
        cols = [q(c.name) for c in keys] + [q(c.name) for c in chosen]
        exprs = key_exprs + [series_value(self.rng, c.kind, not c.not_null) for c in chosen]
        return (f"INSERT INTO {table.name} ({', '.join(cols)}) SELECT {', '.join(exprs)} "
                f"FROM generate_series({first}, {first + n - 1}) g;")

    def pick_keys(self, table: Table, most: int) -> list:
        if not table.keys:
            return []
        if self.rng.random() < 0.4 and table.shape == "int":
            # A run of neighbours: rows of one or a few small data files.
            start = self.rng.randrange(len(table.keys))
            return table.keys[start:start + self.rng.randint(1, most)]
        return self.rng.sample(table.keys, min(len(table.keys), self.rng.randint(1, most)))

    def predicate(self, table: Table) -> str:
        key = table.key_columns()[0]
        options = []
        if key.kind in ("int", "bigint"):
            options.append(f"{q(key.name)} % {self.rng.randint(2, 9)} = {self.rng.randint(0, 1)}")
        else:
            options.append(f"{q(key.name)} LIKE {sql_str('%' + self.rng.choice(TEXT_CHARS[:9]) + '%')}")
        for c in table.non_key():
            if c.kind == "int":
                options.append(f"{q(c.name)} % {self.rng.randint(2, 7)} = 1")
            elif c.kind == "bool":
                options.append(f"{q(c.name)}")
            elif c.kind in ("text", "date", "numeric", "jsonb", "intarr", "tstz", "bytea", "float8", "bigint"):
                options.append(f"{q(c.name)} IS NULL")
        return self.rng.choice(options)

    def statement(self, table: Table, state: dict) -> str | None:
        """One random statement on `table`; updates the model and the transaction's flags."""
        rng = self.rng
        name = table.name
        state["touched"].add(name)
        too_big = len(table.keys) > table.max_rows
        choice = rng.choices(
            ["insert", "series", "upsert", "update", "update_pred", "update_key", "delete", "delete_pred", "truncate",
             "ddl"],
            weights=[18, 3, 5, 18, 5, 10, 10, 8 if too_big else 4, 0.6, 2.2])[0]
        if too_big and choice in ("insert", "series", "upsert"):
            choice = "delete_pred"
        if choice not in ("truncate", "ddl"):
            state["dml"].add(name)
        if choice == "insert":
            return self.insert_values(table, rng.choice([1, 1, 1, 2, 3, 10]))
        if choice == "series":
            self.stats["large"] += 1
            room = max(10, table.max_rows - len(table.keys))
            return self.insert_series(table, min(room, rng.choice([50, 300, 1000, 3000]) if not table.toast else 60))
        if choice == "upsert":
            keys = self.pick_keys(table, 3) + [self.new_key(table) for _ in range(rng.randint(0, 2))]
            if not keys:
                return None
            keys = list(dict.fromkeys(keys))  # ON CONFLICT cannot touch a row twice
            cols = [c for c in table.non_key() if c.not_null or rng.random() < 0.7]
            rows = ["(" + ", ".join(self.key_values(table, k) + [random_value(rng, c.kind, not c.not_null)[0] for c in cols]) + ")"
                    for k in keys]
            table.keys.extend(k for k in keys if k not in table.keys)
            conflict = ", ".join(q(c.name) for c in table.key_columns())
            sets = ", ".join(f"{q(c.name)} = EXCLUDED.{q(c.name)}" for c in cols) or f"{q(table.key_columns()[0].name)} = EXCLUDED.{q(table.key_columns()[0].name)}"
            all_cols = [q(c.name) for c in table.key_columns()] + [q(c.name) for c in cols]
            return (f"INSERT INTO {name} ({', '.join(all_cols)}) VALUES {', '.join(rows)} "
                    f"ON CONFLICT ({conflict}) DO UPDATE SET {sets};")
        if choice in ("update", "update_pred"):
            candidates = table.non_key()
            if table.toast and rng.random() < 0.85:
                # Leave the TOASTed body alone: the update sends it as unchanged.
                candidates = [c for c in candidates if c.kind != "bigtext"] or candidates
            cols = rng.sample(candidates, rng.randint(1, min(3, len(candidates))))
            sets = ", ".join(f"{q(c.name)} = {update_value(rng, c.kind, c.name, not c.not_null)}" for c in cols)
            if choice == "update":
                keys = self.pick_keys(table, rng.choice([1, 3, 20, 200]))
                if not keys:
                    return None
                return f"UPDATE {name} SET {sets} WHERE {self.key_match(table, keys)};"
            where = self.predicate(table) if rng.random() < 0.8 else "true"
            return f"UPDATE {name} SET {sets} WHERE {where};"
        if choice == "update_key":
            return self.update_key(table, state)
        if choice == "delete":
            keys = self.pick_keys(table, rng.choice([1, 2, 10, 100]))
            if not keys:
                return None
            for k in keys:
                table.keys.remove(k)
            return f"DELETE FROM {name} WHERE {self.key_match(table, keys)};"
        if choice == "delete_pred":
            return f"DELETE FROM {name} WHERE {self.predicate(table)};"
        if choice == "truncate":
            self.stats["truncate"] += 1
            names = [name] + ([rng.choice([t for t in self.tables if t != name])] if rng.random() < 0.3 else [])
            for n in names:
                self.tables[n].keys = []
                self.tables[n].count = 0
                state["touched"].add(n)
                state["barrier"].add(n)
            return f"TRUNCATE {', '.join(names)};"
        return self.ddl(table, state)

    def update_key(self, table: Table, state: dict) -> str | None:
        rng = self.rng
        self.stats["key_updates"] += 1
        recent = state["new_keys"].get(table.name, [])
        if recent and rng.random() < 0.5:
            # Rows whose key this transaction changed already: a chain of key changes in one batch.
            keys = rng.sample(recent, min(len(recent), rng.randint(1, 5)))
            keys = [k for k in keys if k in table.keys]
        else:
            keys = self.pick_keys(table, rng.choice([1, 3, 30]))
        if not keys:
            return None
        key_cols = table.key_columns()
        extra = ""
        others = [c for c in table.non_key() if c.kind != "bigtext"]
        if others and rng.random() < 0.4:
            c = rng.choice(others)
            extra = f", {q(c.name)} = {update_value(rng, c.kind, c.name, not c.not_null)}"
        where = self.key_match(table, keys)
        if table.shape == "int":
            mapping = self.fresh_for(keys)
            sql = f"UPDATE {table.name} SET {q(key_cols[0].name)} = {self.moved(key_cols[0].name, mapping)}{extra} WHERE {where};"
        elif table.shape == "text":
            self.counter += 1
            mapping = {k: f"{k}~{self.counter}" for k in keys}
            sql = f"UPDATE {table.name} SET {q(key_cols[0].name)} = {q(key_cols[0].name)} || '~{self.counter}'{extra} WHERE {where};"
        else:
            if rng.random() < 0.5:
                firsts = self.fresh_for([k[0] for k in keys])
                mapping = {k: (firsts[k[0]], k[1]) for k in keys}
                sql = f"UPDATE {table.name} SET {q(key_cols[0].name)} = {self.moved(key_cols[0].name, firsts)}{extra} WHERE {where};"
            else:
                self.counter += 1
                mapping = {k: (k[0], f"{k[1]}~{self.counter}") for k in keys}
                sql = f"UPDATE {table.name} SET {q(key_cols[1].name)} = {q(key_cols[1].name)} || '~{self.counter}'{extra} WHERE {where};"
        table.keys = [mapping.get(k, k) for k in table.keys]
        state["new_keys"].setdefault(table.name, []).extend(mapping.values())
        return sql

    def ddl(self, table: Table, state: dict) -> str | None:
        """ADD, DROP or RENAME COLUMN, always followed by a row of the table: each column change
        then reaches the pipe in a relation description of its own (two changes in one description
        are ambiguous — a drop and an add of the same type look like a rename)."""
        rng = self.rng
        used = {c.name for c in table.columns}
        droppable = [c for c in table.non_key() if not c.core]
        action = rng.choice(["add", "add", "drop", "rename", "widen"])
        widenable = [c for c in table.columns if c.kind in WIDENINGS]
        if action == "widen" and not widenable:
            action = "add"
        if action == "drop" and len(droppable) < 2:
            action = "add"
        if action == "add":
            free = [n for n in ADD_NAMES if n not in used]
            if not free:
                action = "rename" if rng.random() < 0.5 else "drop"
                if action == "drop" and not droppable:
                    return None
        if action == "add":
            kind = rng.choice(ADDABLE_KINDS)
            column = Column(rng.choice(free), kind)
            sql = f"ALTER TABLE {table.name} ADD COLUMN {q(column.name)} {KINDS[kind][0]}"
            if rng.random() < 0.45:
                # Older rows get the default (PostgreSQL's attmissingval, the lake column's initial_default).
                literal, _ = random_value(rng, kind, nullable=False)
                if rng.random() < 0.3:
                    column.not_null = True
                    sql += " NOT NULL"
                sql += f" DEFAULT {literal}"
            table.columns.append(column)
        elif action == "widen":
            column = rng.choice(widenable)
            column.kind = WIDENINGS[column.kind]
            sql = f"ALTER TABLE {table.name} ALTER COLUMN {q(column.name)} TYPE {KINDS[column.kind][0]}"
        elif action == "drop":
            column = rng.choice(droppable)
            table.columns.remove(column)
            sql = f"ALTER TABLE {table.name} DROP COLUMN {q(column.name)}"
        else:
            candidates = table.columns if rng.random() < 0.15 else table.non_key()
            column = rng.choice(candidates)
            free = [n for n in RENAME_NAMES + ADD_NAMES if n not in used]
            if not free:
                return None
            new = rng.choice(free)
            sql = f"ALTER TABLE {table.name} RENAME COLUMN {q(column.name)} TO {q(new)}"
            column.name = new
        self.stats["ddl"] += 1
        state["barrier"].add(table.name)
        state["dml"].add(table.name)
        return sql + ";\n" + self.insert_one(table)[0]

    def transaction(self) -> Txn | None:
        """A random transaction of 1 to 50 statements (mostly few), committed or rolled back."""
        rng = self.rng
        n = min(50, int(rng.expovariate(1 / 7)) + 1)
        state = {"touched": set(), "barrier": set(), "dml": set(), "new_keys": {}}
        before = copy.deepcopy(self.tables)
        focus = rng.choice(list(self.tables.values()))
        body = []
        savepoint = None
        for i in range(n):
            if savepoint is None and n > 3 and rng.random() < 0.06:
                self.stats["savepoints"] += 1
                savepoint = (copy.deepcopy(self.tables), i + rng.randint(1, 3), rng.random() < 0.6)
                body.append("SAVEPOINT s;")
            table = focus if rng.random() < 0.6 else rng.choice(list(self.tables.values()))
            sql = self.statement(table, state)
            if sql:
                body.append(sql)
                self.stats["statements"] += 1
            if savepoint is not None and i >= savepoint[1]:
                tables, _, rollback = savepoint
                if rollback:
                    body.append("ROLLBACK TO SAVEPOINT s;")
                    self._restore(tables)
                else:
                    body.append("RELEASE SAVEPOINT s;")
                savepoint = None
        if savepoint is not None:
            body.append("RELEASE SAVEPOINT s;")
        commit = rng.random() > 0.08
        if not commit:
            self._restore(before)
        return self.run(body, state["touched"], state["barrier"], state["dml"], commit=commit)

    def _restore(self, tables: dict[str, Table]) -> None:
        # Columns and keys go back; the key counter does not (fresh keys stay fresh).
        for name, saved in tables.items():
            self.tables[name].columns = copy.deepcopy(saved.columns)
            self.tables[name].keys = list(saved.keys)
            self.tables[name].count = saved.count

    # -- matching lake states to source states -----------------------------------------------

    def txn_at(self, lsn: int) -> Txn | None:
        """The transaction whose commit record can start at `lsn`."""
        los = [t.lo for t in self.txns]
        i = bisect.bisect_right(los, lsn) - 1
        if i >= 0 and self.txns[i].lo <= lsn < self.txns[i].hi:
            return self.txns[i]
        return None

    def entry_at(self, table: str, txn_index: int) -> HistoryEntry:
        entries = self.history[table]
        i = bisect.bisect_right([e.txn for e in entries], txn_index) - 1
        assert i >= 0, f"{self.label} no state of {table} at transaction {txn_index}"
        return entries[i]

    def rows_of(self, entry: HistoryEntry) -> list[tuple] | None:
        import ast
        return None if entry.rows is None else ast.literal_eval(zlib.decompress(entry.rows).decode())
