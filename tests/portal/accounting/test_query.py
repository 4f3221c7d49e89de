"""The accountant's services: a query runs within the configured limits and never holds a lock a change needs."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time

import pytest

from ledger.errors import QueryError
from portal.accounting import services as accounting
from portal.costs import services as costs
from tests.common.processes import children

BACKTRACKING = "SELECT account WHERE account ~ '^([A-Za-z:]+)*$!'"


def test_the_limits_come_from_the_configuration(in_demo) -> None:
    in_demo.config.update(PORTAL_QUERY_SECONDS=2.5, PORTAL_QUERY_MEMORY_MB=256)
    limits = accounting.query_limits()
    assert (limits.seconds, limits.memory_bytes) == (2.5, 256 << 20)
    in_demo.config["PORTAL_QUERY_SECONDS"] = 0.3
    with pytest.raises(QueryError, match=r"^the query ran longer than 0.3 s and was stopped"):
        accounting.query("iam", BACKTRACKING)


def test_a_running_query_holds_no_lock_a_change_needs(loaded) -> None:
    """A query of up to a minute runs in one thread; meanwhile a change is made, caught up and queried."""
    loaded.config["PORTAL_QUERY_SECONDS"] = 60.0
    failures: list[QueryError] = []

    def slow() -> None:
        with loaded.app_context():
            try:
                accounting.query("iam", BACKTRACKING)
            except QueryError as exc:
                failures.append(exc)

    worker = threading.Thread(target=slow)
    worker.start()
    deadline = time.monotonic() + 60  # a guard for the test itself, not a measurement
    while not children() and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    slow_child = children()[0]
    with loaded.app_context():
        outcome = costs.add_charge("iam", city="638", amount=100, date=dt.date(2026, 3, 1), text="tablets", actor="test")
        loaded.config["PORTAL_QUERY_SECONDS"] = 10.0
        charged = accounting.query("iam", "SELECT sum(number) WHERE 'charge' IN tags AND account ~ 'Porvoo'")
    assert outcome.seq is not None and charged.cells() == [["1.00"]]
    assert worker.is_alive() and not failures  # the slow query was still running all along
    os.kill(slow_child, signal.SIGKILL)
    worker.join()
    assert failures and children() == []
