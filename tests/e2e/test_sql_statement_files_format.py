"""The statement-file runner itself (tests/e2e/sql_statement_files.py), with a fake executor: a record
that fails must fail the file, and a known gap must keep failing — one that starts passing fails
the file too. No server."""
from pathlib import Path

import pytest

from sql_statement_files import FormatError, Outcome, parse_text, run_file

TEXT = """query a
SELECT 1 AS a
----
1

known-gap the engine answers 2
query a
SELECT 2 AS a
----
3
"""


def executor(answers):
    return lambda sql: answers[sql]


def run(tmp_path: Path, answers: dict[str, Outcome]):
    path = tmp_path / "x.test"
    path.write_text(TEXT)
    return run_file(path, executor(answers))


def test_a_known_gap_that_still_fails_is_counted_not_failed(tmp_path):
    result = run(tmp_path, {"SELECT 1 AS a": Outcome(columns=["a"], rows=[["1"]]),
                            "SELECT 2 AS a": Outcome(columns=["a"], rows=[["2"]])})
    assert (result.total, result.passed, result.known_gaps, result.failures) == (2, 1, 1, [])


def test_a_known_gap_that_passes_fails_the_file(tmp_path):
    result = run(tmp_path, {"SELECT 1 AS a": Outcome(columns=["a"], rows=[["1"]]),
                            "SELECT 2 AS a": Outcome(columns=["a"], rows=[["3"]])})
    assert result.known_gaps == 0 and len(result.failures) == 1
    assert "remove the known-gap line" in result.failures[0]


def test_an_ordinary_record_that_fails_fails_the_file(tmp_path):
    result = run(tmp_path, {"SELECT 1 AS a": Outcome(columns=["a"], rows=[["9"]]),
                            "SELECT 2 AS a": Outcome(columns=["a"], rows=[["2"]])})
    assert len(result.failures) == 1 and "rows differ" in result.failures[0]


def test_known_gap_applies_to_the_next_record_only_and_needs_a_reason():
    records = parse_text(TEXT)
    assert [r.known_gap for r in records] == ["", "the engine answers 2"]
    with pytest.raises(FormatError):
        parse_text("known-gap\nquery a\nSELECT 1\n")
