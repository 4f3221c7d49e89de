"""One piece of work in a forked child: its answer comes back, or one QueryError; the child is confined and always reaped.

(The BQL queries that run this way, and their limits end to end, are ``test_query_limits.py``.)
"""

from __future__ import annotations

import os
import resource
import signal
import threading
import time

import pytest

from ledger import sandbox
from ledger.errors import QueryError
from tests.common.processes import children

FAST = sandbox.Limits(seconds=1.0)


def test_the_answer_is_computed_in_a_child_and_comes_back() -> None:
    parent = os.getpid()
    answer = sandbox.run_forked(lambda: {"pid": os.getpid(), "rows": [(1, "a")] * 3}, FAST, str)
    assert answer["rows"] == [(1, "a")] * 3 and answer["pid"] != parent
    assert children() == []


def test_what_the_child_changes_stays_in_the_child() -> None:
    shared = {"n": 1}

    def work() -> int:
        shared["n"] = 2
        return shared["n"]

    assert sandbox.run_forked(work, FAST, str) == 2 and shared == {"n": 1}


def test_the_childs_error_is_described_by_the_caller() -> None:
    def fail() -> None:
        raise ValueError("no such column")

    with pytest.raises(QueryError, match=r"^the query cannot run: no such column$"):
        sandbox.run_forked(fail, FAST, lambda exc: f"the query cannot run: {exc}")


def test_a_description_that_fails_or_runs_long_is_still_a_message() -> None:
    def fail() -> None:
        raise KeyError("x")

    def broken(exc: BaseException) -> str:
        raise RuntimeError("the describer itself fails")

    with pytest.raises(QueryError, match=r"^the query failed: KeyError$"):
        sandbox.run_forked(fail, FAST, broken)
    with pytest.raises(QueryError) as raised:
        sandbox.run_forked(fail, FAST, lambda exc: "x" * 10_000)
    assert raised.value.message == "x" * 497 + "..."


def test_work_that_overruns_its_time_is_killed_at_once(tmp_path) -> None:
    finished = tmp_path / "finished"

    def slow() -> None:
        time.sleep(3)
        finished.write_text("the parent waited for the work to end")

    with pytest.raises(QueryError, match=r"^the query ran longer than 0.3 s and was stopped; narrow it"):
        sandbox.run_forked(slow, sandbox.Limits(seconds=0.3), str)
    assert children() == []  # killed and reaped: nothing of the work is left running
    time.sleep(0.1)
    assert not finished.exists()  # ended, not waited for


def test_work_that_overruns_its_memory_fails_inside_the_child() -> None:
    limits = sandbox.Limits(memory_bytes=64 << 20)
    with pytest.raises(QueryError, match=r"^the query needed more memory than its limit of 64 MiB and was stopped"):
        sandbox.run_forked(lambda: len(bytearray(512 << 20)), limits, str)
    assert sandbox.run_forked(lambda: len(bytearray(8 << 20)), limits, str) == 8 << 20  # what fits, fits


def test_an_answer_too_big_to_send_back_is_refused() -> None:
    limits = sandbox.Limits(max_result_bytes=1 << 20)
    with pytest.raises(QueryError, match=r"^the query's result is larger than 1 MiB; narrow it"):
        sandbox.run_forked(lambda: b"x" * (2 << 20), limits, str)
    assert len(sandbox.run_forked(lambda: b"x" * 1000, limits, str)) == 1000


def test_an_answer_that_does_not_pickle_is_simplified_or_refused() -> None:
    with pytest.raises(QueryError, match="lock"):
        sandbox.run_forked(lambda: [threading.Lock()], FAST, str)
    assert sandbox.run_forked(lambda: [threading.Lock()], FAST, str, lambda value: ["<lock>"]) == ["<lock>"]


def test_a_child_killed_by_a_signal_is_reported_and_reaped() -> None:
    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(QueryError, match="needed more memory") as caught:
        sandbox.run_forked(die, FAST, str)
    assert "SIGKILL" in caught.value.details[0]
    assert children() == []


def test_a_child_that_exits_without_answering_is_reported() -> None:
    with pytest.raises(QueryError) as caught:
        sandbox.run_forked(lambda: os._exit(3), FAST, str)
    assert caught.value.details == ["the query process ended by exit status 3 without an answer"]


def test_the_child_runs_confined_and_the_parent_keeps_its_limits() -> None:
    before = {which: resource.getrlimit(which) for which in (resource.RLIMIT_CORE, resource.RLIMIT_CPU, resource.RLIMIT_AS)}
    limits = sandbox.Limits(seconds=2.5, memory_bytes=256 << 20)

    def inside() -> dict:
        return {"core": resource.getrlimit(resource.RLIMIT_CORE), "cpu": resource.getrlimit(resource.RLIMIT_CPU),
                "as": resource.getrlimit(resource.RLIMIT_AS), "sigint": signal.getsignal(signal.SIGINT)}

    seen = sandbox.run_forked(inside, limits, str)
    assert seen["core"] == (0, 0)
    cpu_hard = before[resource.RLIMIT_CPU][1]
    assert seen["cpu"] == ((4, 5) if cpu_hard == resource.RLIM_INFINITY else (min(4, cpu_hard), min(5, cpu_hard)))  # ceil(2.5) + 1
    soft, hard = seen["as"]
    assert soft == hard and soft != resource.RLIM_INFINITY and soft >= limits.memory_bytes
    assert seen["sigint"] == signal.SIG_DFL
    assert {which: resource.getrlimit(which) for which in before} == before


def test_the_defaults() -> None:
    limits = sandbox.Limits()
    assert (limits.seconds, limits.memory_bytes, limits.max_rows, limits.max_result_bytes) == (10.0, 1 << 30, 100_000, 64 << 20)


def test_how_the_child_ended_is_a_phrase_the_pages_can_word() -> None:
    from ledger.errors import Phrase
    with pytest.raises(QueryError) as caught:
        sandbox.run_forked(lambda: os._exit(3), FAST, str)
    line = caught.value.details[0]
    assert isinstance(line, Phrase) and line.params == {"status": "3"}
