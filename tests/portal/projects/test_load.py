"""Changes from every side at once, on PostgreSQL: two app instances served on their own ports, and
command-line processes, make 60 interleaved membership changes to one project.

Each client (a logged-in lead in a browser-like session, or a stream of ``portal member`` processes)
has cities of its own and alternates adding and withdrawing them. A change that could not have
the project's lock within ``PORTAL_LOCK_SECONDS`` is refused as busy (503 on a page, exit 2 on the
command line), changing nothing; a client may simply send it again, and these do, counting it.
Afterwards no change has failed or been lost, every client's cities are where it left them, each
budget year's shares sum exactly to the year's budget, and the sums kept in SQL are what the
postings add up to.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ledger import entries as E
from ledger.cells import Books
from portal import demo
from portal.extensions import db
from portal.projects import services
from portal.projects.ledgers import Ledgers, books
from portal.projects.models import LedgerPosting, ProjectChange
from tests.common.apps import LiveServer, dispose, free_port, make_app, migrated_database
from tests.common.devidp import forms, hidden, log_in
from tests.common.web import PREVIEW, confirm_form

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[3]
LEAD = "hameenlinna-lead"
WEB_CLIENTS, WEB_CHANGES, CLI_STREAMS, CLI_CHANGES = 4, 14, 2, 2   # 4 × 14 + 2 × 2 = 60 changes
POOLS = [["091", "837"], ["049", "092"], ["564", "853"], ["179", "297"], ["018", "020"], ["005", "009"]]


@pytest.fixture
def servers(tmp_path) -> Iterator[list[LiveServer]]:
    url = migrated_database("postgres", tmp_path)
    started = []
    for name in ("a", "b"):
        port = free_port()
        app = make_app(url, tmp_path / name, DEV_IDP_ISSUER=f"http://127.0.0.1:{port}/dev-idp")
        with app.app_context():
            demo.load()  # the project once; each server's lead for its own provider
        started.append(LiveServer(app, port).start())
    yield started
    for server in started:
        server.stop()
        dispose(server.app)


class Client:
    """Adds and withdraws its own cities, one change at a time, sending a busy one again."""

    def __init__(self, pool: list[str], first: dt.date) -> None:
        self.pool, self.day, self.turn = pool, first, 0
        self.inside: set[str] = set()
        self.busy = 0
        self.failures: list[str] = []

    def next(self) -> tuple[str, str, dt.date]:
        code = self.pool[self.turn % len(self.pool)]
        self.turn += 1
        self.day += dt.timedelta(days=3)
        verb = "withdraw" if code in self.inside else "add"
        self.inside ^= {code}
        return verb, code, self.day

    def attempt(self, send: Callable[[], tuple[bool, bool, str]], tries: int = 20) -> None:
        """``send()`` gives (done, busy, what): a busy refusal is sent again after a moment."""
        for _ in range(tries):
            done, busy, what = send()
            if done:
                return
            if not busy:
                self.failures.append(what)
                return
            self.busy += 1
            time.sleep(0.05)
        self.failures.append(f"still busy after {tries} tries")


def web(server: LiveServer, client: Client, changes: int) -> None:
    session, _ = log_in(server, sub=LEAD)
    token = hidden(forms(session.get(f"{server.url}/p/iam/members/add").text)["0"])["csrf_token"]
    for _ in range(changes):
        verb, code, day = client.next()
        if verb == "add":
            url, fields = f"{server.url}/p/iam/members/add", {"cities": [code], "joined": day.isoformat()}
        else:
            url, fields = f"{server.url}/p/iam/members/{code}/withdraw", {"left": day.isoformat()}

        def send(url: str = url, fields: dict = fields) -> tuple[bool, bool, str]:
            # The form answers with its preview; Confirm posts it. A change posted in between (409) answers
            # with the new preview, confirmed in turn, as a person would.
            answer = session.post(url, data={"csrf_token": token, "decision": "load test", **fields}, allow_redirects=False)
            for _ in range(50):
                if answer.status_code not in (200, 409) or PREVIEW not in answer.text:
                    break
                answer = session.post(url, data=confirm_form(answer.text), allow_redirects=False)
            return answer.status_code == 302, answer.status_code == 503, f"{url}: {answer.status_code} {answer.text[:300]}"

        client.attempt(send)


def cli(url: str, instance: Path, client: Client, changes: int) -> None:
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT)}
    for _ in range(changes):
        verb, code, day = client.next()
        args = [sys.executable, "-m", "portal.cli.main", "member", verb, "iam", "--city", code,
                "--joined" if verb == "add" else "--left", day.isoformat(), "--decision", "load test"]

        def send(args: list[str] = args) -> tuple[bool, bool, str]:
            done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
            return done.returncode == 0, done.returncode == 2 and "busy" in done.stderr, f"{args}: {done.stderr[-300:]}"

        client.attempt(send)


def test_sixty_interleaved_changes_from_two_servers_and_the_command_line(servers, tmp_path) -> None:
    url = servers[0].app.config["SQLALCHEMY_DATABASE_URI"]
    with servers[0].app.app_context():
        changes_before = services.get_project("iam").change_seq
    clients = [Client(pool, dt.date(2026, 1, 1)) for pool in POOLS]
    threads = [threading.Thread(target=web, args=(servers[i % 2], clients[i], WEB_CHANGES)) for i in range(WEB_CLIENTS)]
    threads += [threading.Thread(target=cli, args=(url, tmp_path / "cli", clients[WEB_CLIENTS + i], CLI_CHANGES))
                for i in range(CLI_STREAMS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert [f for c in clients for f in c.failures] == []

    with servers[1].app.app_context():
        project = services.get_project("iam")
        state = services.state_for(project)
        assert project.change_seq == changes_before + WEB_CLIENTS * WEB_CHANGES + CLI_STREAMS * CLI_CHANGES  # none lost
        for client in clients:
            assert {c for c in client.pool if c in state.current()} == client.inside
        seqs = db.session.scalars(select(LedgerPosting.seq).where(LedgerPosting.project_id == project.id).order_by(LedgerPosting.seq)).all()
        assert seqs == list(range(1, project.ledger_seq + 1))
        assert db.session.scalar(select(func.count()).select_from(ProjectChange).where(ProjectChange.project_id == project.id)) == project.change_seq
        sums = books(project)
        by_year: dict[int, int] = {}
        for (year, _), cents in E.assessed_cells(sums).items():
            by_year[year] = by_year.get(year, 0) + cents
        assert by_year == dict(state.budget)  # every year's shares sum exactly to its budget
        journal = Ledgers().get(project)  # a cold journal, parsed from what was stored
        assert Books.of(journal.entries).cells(E.ASSESSMENT_TAG, under=E.RECEIVABLE) == E.assessed_cells(sums)
        assert sum(line.share for line in services.shares(project)) == state.total
