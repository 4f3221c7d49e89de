"""BQL queries are bounded: time, memory, rows, one statement; every failure is one clear QueryError.

These tests build their ledger with beancount's loader (not the project helpers) so they stay
small and fast; each query forks a child, so limits are kept short.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import signal
import threading
import time
from typing import Any

import pytest
from beancount import loader
from beancount.core import data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import query as Q
from ledger import sandbox
from ledger.errors import QueryError
from ledger.journal import Journal
from tests.common.processes import children

LEDGER = """
option "operating_currency" "EUR"

2025-01-01 open Assets:Bank EUR
2025-01-01 open Assets:Receivable:Members:Tampere-837 EUR
2025-01-01 open Assets:Receivable:Members:Vaasa-905 EUR
2025-01-01 open Income:Contributions EUR

2025-01-02 * "Shares for 2025" #assessment ^decision-2025-12
  decision: "2025/12"
  approved: TRUE
  effective: 2025-01-01
  Assets:Receivable:Members:Tampere-837   1200.50 EUR
    year: 2025
  Assets:Receivable:Members:Vaasa-905      799.50 EUR
    year: 2025
  Income:Contributions

2025-02-01 * "Tampere pays" "in part"
  Assets:Bank                              1000.00 EUR
  Assets:Receivable:Members:Tampere-837

2025-03-01 balance Assets:Bank  1000.00 EUR
"""

FAST = Q.Limits(seconds=20.0)  # never reached by a query that finishes, however loaded the machine (it failed at 1 s)
BACKTRACKING = "SELECT account WHERE account ~ '^([A-Za-z:]+)*$!'"


@pytest.fixture(scope="module")
def ledger() -> tuple[list[data.Directive], dict[str, Any]]:
    entries, errors, options = loader.load_string(LEDGER)
    assert not errors
    return entries, options


def run(ledger: tuple[list[data.Directive], dict[str, Any]], text: str, limits: Q.Limits = FAST) -> Q.QueryResult:
    return Q.run(ledger[0], ledger[1], text, limits)


# -- time and memory -----------------------------------------------------------------------------
def test_backtracking_regex_is_stopped_and_the_next_query_works(ledger) -> None:
    with pytest.raises(QueryError, match=r"^the query ran longer than 1 s and was stopped; narrow it \(WHERE, LIMIT\) "
                                         r"or simplify it \(a regular expression that backtracks, say\)$"):
        run(ledger, BACKTRACKING, Q.Limits(seconds=1.0))
    assert children() == []  # the child was killed and reaped, not left running the regex
    assert run(ledger, "SELECT count(*)").rows == [(5,)]


def test_memory_hog_hits_the_memory_limit(ledger) -> None:
    # one decimal rendered with a hundred million fractional digits: gigabytes of text
    limits = Q.Limits(seconds=5.0, memory_bytes=64 << 20)
    with pytest.raises(QueryError, match=r"needed more memory than its limit of 64 MiB"):
        run(ledger, "SELECT decimal('1e-99999999')", limits)


def test_a_failed_fork_is_a_query_error(ledger, monkeypatch) -> None:
    def refuse(self: object) -> None:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(multiprocessing.get_context("fork").Process, "start", refuse)
    with pytest.raises(QueryError, match="could not be started: Cannot allocate memory"):
        run(ledger, "SELECT 1")


def test_values_that_do_not_pickle_come_back_as_text() -> None:
    def work() -> Q.QueryResult:
        columns = [Q.beanquery.Column("n", int), Q.beanquery.Column("lock", object)]
        rows = [(1, threading.Lock()), (2, None)]
        return Q.QueryResult(columns, rows, None, [["1", "<lock>"], ["2", ""]], "text")

    result = sandbox.run_forked(work, FAST, str, Q._simplify)
    assert result.rows == [(1, "<lock>"), (2, None)] and [c.datatype for c in result.columns] == [int, str]


def test_no_zombies_or_descriptors_are_left(ledger) -> None:
    fds = len(os.listdir("/proc/self/fd"))
    run(ledger, "SELECT 1")
    with pytest.raises(QueryError):
        run(ledger, "SELECT 'a' + 1")
    with pytest.raises(QueryError):
        run(ledger, BACKTRACKING, Q.Limits(seconds=0.2))
    assert children() == [] and multiprocessing.active_children() == []
    assert len(os.listdir("/proc/self/fd")) == fds


def test_rows_and_result_size_are_capped(ledger) -> None:
    with pytest.raises(QueryError, match=r"returned 5 rows, more than the limit of 3; .*LIMIT"):
        run(ledger, "SELECT account", Q.Limits(max_rows=3))
    assert len(run(ledger, "SELECT account LIMIT 3", Q.Limits(max_rows=3)).rows) == 3
    with pytest.raises(QueryError, match=r"result is larger than 1 KiB"):
        run(ledger, "SELECT *", Q.Limits(max_result_bytes=1024))


def test_a_slow_query_does_not_hold_the_journal(ledger) -> None:
    """While a query runs (for up to a minute here), the journal takes a posting and answers another query."""
    journal = Journal("iam")
    journal.add(1, ledger[0][:4])
    failures: list[QueryError] = []

    def slow() -> None:
        try:
            journal.query(BACKTRACKING.replace("WHERE", "FROM #accounts WHERE"), Q.Limits(seconds=60.0))
        except QueryError as exc:
            failures.append(exc)

    worker = threading.Thread(target=slow)
    worker.start()
    deadline = time.monotonic() + 60  # a guard for the test itself, not a measurement
    while not children() and worker.is_alive() and time.monotonic() < deadline:  # the slow query's child is running
        time.sleep(0.01)
    slow_child = children()[0]
    journal.add(2, ledger[0][4:])
    assert journal.query("SELECT count(*)").rows == [(5,)]
    assert worker.is_alive() and not failures  # all that happened while the slow query was still running
    os.kill(slow_child, signal.SIGKILL)
    worker.join()
    assert failures and "SIGKILL" in failures[0].details[0] and children() == []


# -- clear messages ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement, message",
    [
        ("SELECT account WHERE account ~ '('", r"invalid regular expression '\(': missing \)"),
        ("SELECT account WHERE account ~ '[z-a]'", "invalid regular expression .*bad character range"),
        ("SELECT decimal('NaN') > 1", "invalid decimal operation"),
        ("SELECT round(number, 1000000000)", "invalid decimal operation"),
        ("SELECT round(number, -1000000000)", "invalid decimal operation"),
        ("SELECT round(1.5, 99999999999999999999)", "the query failed: .*too large"),
        ("SELECT decimal('1e999999') * decimal('1e999999')", "decimal overflow"),
        ("SELECT 1" + "0" * 5000, "could not be read: Exceeds the limit"),
        ("SELECT date + 1000000000", "the query failed: days=1000000000"),
        ("SELECT parse_date('2025-99-99')", "the query failed: month must be in 1..12"),
        ("SELECT 'a' + 1", r"cannot run: operator \"add\(str, int\)\" not supported"),
        ("SELECT " + "(" * 3000 + "1" + ")" * 3000, "nested too deeply"),
        ("SELECT number WHERE date > 2025-13-45", "could not be read: month must be in 1..12"),
        ("CREATE TABLE t (x int)", "CREATETABLE statements are not allowed"),
        ("SELECT \x00", "syntax error at line 1, column 8"),
        ("SELECT account\nFROM #postings\nWHER x", "syntax error at line 3, column 1: WHER x"),
    ],
)
def test_bad_queries_give_one_clear_message(ledger, statement: str, message: str) -> None:
    with pytest.raises(QueryError, match=message) as caught:
        run(ledger, statement)
    assert "Traceback" not in str(caught.value) and len(caught.value.message) <= 500


def test_huge_decimals_within_the_limits_are_shown(ledger) -> None:
    assert run(ledger, "SELECT 1" + "0" * 9000 + ".5 * 2 LIMIT 1").cells() == [["2.000000000000000000000000000E+9000"]]
    assert run(ledger, "SELECT decimal('1e999999999') LIMIT 1").to_text().splitlines()[-1].strip() == "1E+999999999"


def test_division_by_zero_is_null(ledger) -> None:
    assert run(ledger, "SELECT 1 / 0, number % 0 LIMIT 1").rows == [(None, None)]


# -- one statement -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement, where",
    [
        ("SELECT 1; SELECT 2", "line 1, column 9"),
        ("SELECT account;\nCREATE TABLE t AS SELECT account USING 'csv:/tmp/x.csv'", "line 1, column 15"),
        ("SELECT 'a;b' ; PRINT", "line 1, column 14"),
        ('SELECT "a"";" ; SELECT 2', "line 1, column 15"),
        ("SELECT 1 /* ; */\n ; BALANCES", "line 2, column 2"),
        ("SELECT 1 ; totals", "line 1, column 10"),
    ],
)
def test_several_statements_are_refused_and_none_runs(ledger, monkeypatch, statement: str, where: str) -> None:
    monkeypatch.setattr(Q, "run_forked", lambda *a, **k: pytest.fail("a child was started"))
    with pytest.raises(QueryError, match=f"several statements: only one query runs at a time; .*{where}"):
        run(ledger, statement)


@pytest.mark.parametrize("statement", ["SELECT 'a;b'", "SELECT 1;", "SELECT 1 ; ;\n", "SELECT 1 /* ; */", "SELECT ';'"])
def test_semicolons_that_end_or_sit_inside_one_statement_are_fine(ledger, statement: str) -> None:
    assert len(run(ledger, statement).rows) == 5


# -- PRINT ---------------------------------------------------------------------------------------
def _plain(entry: data.Directive) -> data.Directive:
    """``entry`` without where it was read from, for comparing entries from two texts."""

    def meta(m: dict[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in (m or {}).items() if k not in ("filename", "lineno") and not k.startswith("__")}

    if isinstance(entry, data.Transaction):
        entry = entry._replace(postings=[p._replace(meta=meta(p.meta)) for p in entry.postings])
    return entry._replace(meta=meta(entry.meta))


def test_print_gives_beancount_that_loads_back_the_same(ledger) -> None:
    result = run(ledger, "PRINT")
    text = result.to_text()
    assert 'decision: "2025/12"' in text and "Assets:Bank  " in text and "Open(" not in text
    reloaded, errors, options = loader.load_string(text)
    assert errors == []
    assert [_plain(e) for e in reloaded] == [_plain(e) for e in ledger[0]]
    balances = "SELECT account, sum(position) GROUP BY account ORDER BY account"
    assert Q.run(reloaded, options, balances, FAST).rows == run(ledger, balances).rows
    assert result.names == ["entry"] and len(result.cells()) == len(ledger[0])


def test_print_from_selects_entries(ledger) -> None:
    cells = run(ledger, "PRINT FROM 'assessment' IN tags").cells()
    assert len(cells) == 1 and cells[0][0].startswith('2025-01-02 * "Shares for 2025" #assessment ^decision-2025-12')


def test_journal_print_round_trips(ledger) -> None:
    journal = Journal("iam")
    journal.add(1, ledger[0])
    reloaded, errors, _ = loader.load_string(journal.query("PRINT").to_text())
    assert errors == [] and len(reloaded) == len(ledger[0])


# -- results -------------------------------------------------------------------------------------
def test_results_render_as_before(ledger) -> None:
    result = run(ledger, "SELECT account, sum(number) AS total, max(date) AS last WHERE account ~ 'Members' GROUP BY account ORDER BY account")
    assert result.cells() == [["Assets:Receivable:Members:Tampere-837", "200.50", "2025-02-01"],
                              ["Assets:Receivable:Members:Vaasa-905", "799.50", "2025-01-02"]]
    assert result.to_csv().splitlines()[0] == "account,total,last"
    assert result.to_text().splitlines()[0].split() == ["account", "total", "last"]
    assert result.dcontext is ledger[1]["dcontext"]
    assert [c.datatype for c in result.columns] == [str, type(result.rows[0][1]), dt.date]


def test_check_still_parses_in_process() -> None:
    assert type(Q.check("SELECT 1;")).__name__ == "Select"
    with pytest.raises(QueryError, match="several statements"):
        Q.check("SELECT 1; SELECT 2")


# -- hostile input -------------------------------------------------------------------------------
VALID = [
    "SELECT account, sum(position) GROUP BY account",
    "SELECT date, narration, number WHERE account ~ 'Receivable' ORDER BY date DESC LIMIT 5",
    "BALANCES FROM year = 2025",
    "JOURNAL 'Assets:Bank'",
    "PRINT FROM 'assessment' IN tags",
    "SELECT round(number, 2), decimal('1.5') * 3, meta('year') WHERE number > 0",
]
PIECES = ["'", '"', ";", "(", ")", "*", "/*", "*/", "~", "\x00", "NaN", "1e999", "9" * 60, "\n", "é€𝄞",
          "SELECT", "FROM", "WHERE", "GROUP BY", ",", ".", "#", "round(", "decimal('", "a" * 3000]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(st.sampled_from(PIECES) | st.text(max_size=3)) + text[at + cut:]
    return text


HOSTILE = mutated() | st.text(max_size=200) | st.binary(max_size=100).map(lambda b: b.decode("latin-1")) | st.builds(
    lambda n, q: f"SELECT {'x' * n} FROM #{q}", st.integers(1, 12_000), st.sampled_from(["postings", "entries", "accounts"]))


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=HOSTILE)
def test_hostile_text_gives_a_result_or_a_query_error(ledger, text: str) -> None:
    try:
        result = run(ledger, text, Q.Limits(seconds=0.5))
    except QueryError as exc:
        assert exc.message and "Traceback" not in exc.message
    else:
        assert isinstance(result, Q.QueryResult)
        result.cells(), result.to_text(), result.to_csv()
