"""Statement files (tests/sql/README.md): the parser and a runner any SQL service plugs into.

A service gives an executor: a function taking one statement's SQL and returning an Outcome (the
error text, or the result's column names and rows as the API's strings). `run_file` runs every
record of a file through it and reports each failure as `file:line: what differed`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Optional

SQL_ROOT = Path(__file__).resolve().parent.parent / "sql"


@dataclasses.dataclass
class Record:
    path: Path
    line: int                        # 1-based line of the record's header
    kind: str                        # "statement" or "query"
    expect_error: bool = False
    error_code: str = ""             # statement error CODE
    error_text: str = ""             # the lines after ---- of an error record (a substring)
    columns: list[str] = dataclasses.field(default_factory=list)
    rowsort: bool = False
    sql: str = ""
    rows: list[list[Optional[str]]] = dataclasses.field(default_factory=list)
    # `known-gap REASON` before the header: the record states the AWS behaviour Mallard does not have
    # yet. It must still fail as written (a record that starts passing fails the file until its
    # known-gap line is removed), so a gap is neither hidden nor forgotten once closed.
    known_gap: str = ""

    def where(self) -> str:
        try:
            shown = self.path.relative_to(SQL_ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}"


@dataclasses.dataclass
class Outcome:
    error: Optional[str] = None      # None when the statement succeeded
    columns: list[str] = dataclasses.field(default_factory=list)
    rows: list[list[Optional[str]]] = dataclasses.field(default_factory=list)


Executor = Callable[[str], Outcome]


class FormatError(ValueError):
    pass


def _value(text: str) -> Optional[str]:
    return None if text == "NULL" else text


def parse_text(text: str, path: Path = Path("<text>")) -> list[Record]:
    """The records of one statement file."""
    lines = text.split("\n")
    records: list[Record] = []
    known_gap = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            i += 1
            continue
        if line.startswith("known-gap"):
            known_gap = line[len("known-gap"):].strip()
            if not known_gap:
                raise FormatError(f"{path}:{i + 1}: 'known-gap' needs the reason")
            i += 1
            continue
        header = line.split()
        record = Record(path=path, line=i + 1, kind=header[0], known_gap=known_gap)
        known_gap = ""
        if header[0] == "statement":
            if len(header) < 2 or header[1] not in ("ok", "error"):
                raise FormatError(f"{path}:{i + 1}: expected 'statement ok' or 'statement error [CODE]'")
            record.expect_error = header[1] == "error"
            record.error_code = header[2] if record.expect_error and len(header) > 2 else ""
            if header[1] == "ok" and len(header) > 2:
                raise FormatError(f"{path}:{i + 1}: 'statement ok' takes nothing after it")
        elif header[0] == "query":
            # Column names may hold blanks ("my col"): everything after `query`, less a trailing
            # ` rowsort`, split at commas.
            names = line.strip()[len("query"):].strip()
            if names.endswith(" rowsort"):
                record.rowsort = True
                names = names[: -len(" rowsort")].rstrip()
            if not names:
                raise FormatError(f"{path}:{i + 1}: 'query' needs the expected column names")
            record.columns = names.split(",")
        else:
            raise FormatError(f"{path}:{i + 1}: a record starts with 'statement' or 'query', not {header[0]!r}")
        i += 1
        sql_lines: list[str] = []
        while i < len(lines) and lines[i].strip() and lines[i] != "----":
            sql_lines.append(lines[i])
            i += 1
        if not sql_lines:
            raise FormatError(f"{path}:{record.line}: the record has no SQL")
        record.sql = "\n".join(sql_lines)
        if i < len(lines) and lines[i] == "----":
            i += 1
            expected: list[str] = []
            while i < len(lines) and lines[i].strip():
                expected.append(lines[i])
                i += 1
            if record.kind == "query":
                record.rows = [[_value(cell) for cell in row.split("\t")] for row in expected]
            elif record.expect_error:
                record.error_text = "\n".join(expected)
            else:
                raise FormatError(f"{path}:{record.line}: 'statement ok' has no expected output")
        records.append(record)
    return records


def parse_file(path: Path) -> list[Record]:
    return parse_text(path.read_text(encoding="utf-8"), path)


def check(record: Record, outcome: Outcome) -> Optional[str]:
    """Why the outcome does not match the record, or None."""
    if record.expect_error:
        if outcome.error is None:
            return "succeeded, expected an error" + (f" {record.error_code}" if record.error_code else "")
        if record.error_code and record.error_code not in outcome.error:
            return f"error {outcome.error!r} does not name {record.error_code}"
        if record.error_text and record.error_text not in outcome.error:
            return f"error {outcome.error!r} does not contain {record.error_text!r}"
        return None
    if outcome.error is not None:
        return f"failed: {outcome.error}"
    if record.kind == "statement":
        return None
    if outcome.columns != record.columns:
        return f"columns {outcome.columns} != expected {record.columns}"
    actual = [["NULL" if cell is None else cell for cell in row] for row in outcome.rows]
    expected = [["NULL" if cell is None else cell for cell in row] for row in record.rows]
    if record.rowsort:
        actual, expected = sorted(actual), sorted(expected)
    if actual != expected:
        shown_actual = "\n".join("\t".join(row) for row in actual[:20])
        shown_expected = "\n".join("\t".join(row) for row in expected[:20])
        return f"rows differ\n  got:\n{shown_actual}\n  expected:\n{shown_expected}"
    return None


@dataclasses.dataclass
class FileResult:
    path: Path
    total: int = 0
    passed: int = 0
    known_gaps: int = 0              # records marked known-gap that still fail as expected
    failures: list[str] = dataclasses.field(default_factory=list)


def run_file(path: Path, execute: Executor) -> FileResult:
    """Runs every record of `path` in order; a failing record does not stop the file."""
    result = FileResult(path=path)
    for record in parse_file(path):
        result.total += 1
        try:
            outcome = execute(record.sql)
        except Exception as exc:  # the executor's own failure (an API error) fails the record
            result.failures.append(f"{record.where()}: the executor raised {type(exc).__name__}: {exc}\n  SQL: {record.sql}")
            continue
        why = check(record, outcome)
        if record.known_gap:
            if why is None:
                result.failures.append(f"{record.where()}: passes now although marked known-gap "
                                       f"({record.known_gap}): remove the known-gap line\n  SQL: {record.sql}")
            else:
                result.known_gaps += 1
        elif why is None:
            result.passed += 1
        else:
            result.failures.append(f"{record.where()}: {why}\n  SQL: {record.sql}")
    return result


def statement_files(dialect: str) -> list[Path]:
    return sorted((SQL_ROOT / dialect).glob("*.test"))


if __name__ == "__main__":
    import sys

    # Checks the format of the given files (or all of them): python3 sql_statement_files.py [files…]
    paths = [Path(p) for p in sys.argv[1:]] or sorted(SQL_ROOT.glob("*/*.test"))
    count = 0
    for file in paths:
        count += len(parse_file(file))
    print(f"{len(paths)} files, {count} records")
