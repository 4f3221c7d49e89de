"""Notifications end to end: a real SMTP server (aiosmtpd) receives what the digest sends.

Recipients are only the city's contacts; a burst of changes makes one email in the user's
language; an opt-out is respected; the unsubscribe link works without logging in; an SMTP server
that is down leaves the events to be sent by a later digest, none lost.
"""

from __future__ import annotations

import datetime as dt
import email
import re
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from portal import demo
from portal.accounts.models import User
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications import services as notify
from portal.notifications.models import NotificationEvent, NotificationOptOut
from portal.projects import services as changes
from tests.common.apps import dispose, free_port, make_app, migrated_database

LATER = dt.timedelta(minutes=11)


class Sink:
    """An SMTP handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=default)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Sink]]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, sink
    if controller._thread is not None:
        controller.stop()


@pytest.fixture
def mail_app(backend: str, tmp_path: Path, smtp: tuple[Controller, Sink]) -> Iterator[Flask]:
    controller, _ = smtp
    app = make_app(migrated_database(backend, tmp_path), tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                   MAIL_USE_TLS=False, MAIL_SUPPRESS_SEND=False, MAIL_DEFAULT_SENDER="portal@example.fi", PORTAL_BASE_URL="http://portal.example.fi")
    with app.app_context():
        demo.load()
    yield app
    dispose(app)


def person(sub: str, role: str, city: str | None, language: str = "fi") -> int:
    user = User(issuer="https://idp.test", sub=sub, name=sub.title(), email=f"{sub}@example.fi", city_code=city,
                status="active", language=language)
    user.roles = {role}
    db.session.add(user)
    db.session.commit()
    return user.id


def parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def test_a_burst_makes_one_digest_per_contact_in_their_language(mail_app: Flask, smtp: tuple[Controller, Sink]) -> None:
    _, sink = smtp
    with mail_app.app_context():
        person("pia", "contact", "638", "fi")
        person("petra", "contact", "638", "sv")
        quiet = person("paavo", "contact", "638", "en")
        person("alli", "contact", "005", "fi")  # Alajärvi: no member, hears nothing
        notify.set_choices(db.session.get(User, quiet), [k for k in notify.KINDS if k != "share-changed"])
        changes.add_members("iam", ["091"], joined=dt.date(2026, 6, 1), decision="KV 5/2026", actor="lead")
        changes.add_members("iam", ["837"], joined=dt.date(2026, 6, 1), decision="KV 6/2026", actor="lead")
        assert notify.digest() == {"sent": 0, "failed": 0, "dropped": 0}  # the burst is not over yet
        assert notify.digest(utcnow() + LATER) == {"sent": 2, "failed": 0, "dropped": 2}
        assert notify.digest(utcnow() + LATER)["sent"] == 0  # nothing twice
    by_rcpt = {rcpt[0]: message for rcpt, message in sink.messages}
    assert set(by_rcpt) == {"pia@example.fi", "petra@example.fi"}
    fi_text, fi_html = parts(by_rcpt["pia@example.fi"])
    assert by_rcpt["pia@example.fi"]["Subject"] == "Konsortioportaali: 2 uutta ilmoitusta"
    assert "Porvoon osuus muuttui" in fi_text or "Porvoo" in fi_text
    assert re.search(r"\d+[\u00a0 ]\d{3},\d{2}\u00a0€", fi_text), fi_text
    assert fi_text.count("\n- ") == 2 and "<li>" in fi_html and 'lang="fi"' in fi_html
    sv_text, _ = parts(by_rcpt["petra@example.fi"])
    assert by_rcpt["petra@example.fi"]["Subject"] == "Konsortieportalen: 2 nya meddelanden"
    assert "Borgå" in sv_text or "Porvoo" in sv_text
    assert "/notifications/unsubscribe/" in fi_text


def test_the_unsubscribe_link_works_without_logging_in(mail_app: Flask, smtp: tuple[Controller, Sink]) -> None:
    _, sink = smtp
    with mail_app.app_context():
        pia = person("pia", "contact", "638")
        changes.add_members("iam", ["091"], joined=dt.date(2026, 6, 1), decision="", actor="lead")
        notify.digest(utcnow() + LATER)
    text, _ = parts(sink.messages[0][1])
    link = re.search(r"https?://portal\.example\.fi(/notifications/unsubscribe/\S+)", text)
    assert link is not None
    client = mail_app.test_client()
    page = client.get(link.group(1)).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    done = client.post(link.group(1), data={"csrf_token": token.group(1)})
    assert done.status_code == 200 and 'data-testid="unsubscribed"' in done.get_data(as_text=True)
    assert client.get("/notifications/unsubscribe/forged.token").status_code == 400
    with mail_app.app_context():
        assert notify.opted_out(pia) == {"share-changed"}
        changes.add_members("iam", ["837"], joined=dt.date(2026, 6, 1), decision="", actor="lead")
        assert notify.digest(utcnow() + LATER)["sent"] == 0
    assert len(sink.messages) == 1


def test_smtp_down_is_retried_later_and_nothing_is_lost(mail_app: Flask, smtp: tuple[Controller, Sink]) -> None:
    controller, sink = smtp
    with mail_app.app_context():
        person("pia", "contact", "638")
        changes.add_members("iam", ["091"], joined=dt.date(2026, 6, 1), decision="", actor="lead")
        controller.stop()
        assert notify.digest(utcnow() + LATER) == {"sent": 0, "failed": 1, "dropped": 0}
        waiting = db.session.execute(select(NotificationEvent)).scalars().all()
        assert [(e.sent_at, e.attempts) for e in waiting] == [(None, 1)] and waiting[0].last_error
        again = Controller(sink, hostname="127.0.0.1", port=controller.port)
        again.start()
        try:
            assert notify.digest(utcnow() + LATER)["sent"] == 1
        finally:
            again.stop()
    assert len(sink.messages) == 1


def test_someone_awaiting_approval_is_told_to_leads_and_admins(mail_app: Flask, smtp: tuple[Controller, Sink]) -> None:
    from portal.accounts import services as accounts

    _, sink = smtp
    with mail_app.app_context():
        person("heikki", "lead", "109")
        person("ada", "admin", None, "sv")
        person("pia", "contact", "638")
        accounts.resolve_user(provider="p", issuer="https://idp.test", sub="newbie", claims={"sub": "newbie", "name": "Uusi"},
                              city="638", ip=None)
        assert notify.digest(utcnow() + LATER)["sent"] == 2
        assert db.session.execute(select(NotificationOptOut)).first() is None
    assert {r[0] for r, _ in sink.messages} == {"heikki@example.fi", "ada@example.fi"}


def test_issued_invoices_reach_only_the_invoiced_citys_contacts(mail_app: Flask, smtp: tuple[Controller, Sink]) -> None:
    from portal.billing import issuing
    from tests.common.billing import with_seller

    _, sink = smtp
    with mail_app.app_context():
        person("pia", "contact", "638", "sv")
        person("alli", "contact", "005")
        with_seller()
        issuing.issue("iam", year=2025, actor="acc")
        assert notify.digest(utcnow() + LATER)["sent"] == 1
    (rcpt, message), = sink.messages
    text, _ = parts(message)
    assert rcpt == ["pia@example.fi"] and "faktura" in text and "€" in text


def test_the_digest_runs_as_a_job_of_the_queue(mail_app: Flask, smtp: tuple[Controller, Sink]) -> None:
    from portal.jobs import services as jobs
    from tests.common.jobs import wait

    _, sink = smtp
    mail_app.config["PORTAL_NOTIFY_DIGEST_MINUTES"] = 0
    with mail_app.app_context():
        person("pia", "contact", "638")
        changes.add_members("iam", ["091"], joined=dt.date(2026, 6, 1), decision="", actor="lead")
        job_id = jobs.enqueue("notify-digest", {}, "test").id
    assert wait(mail_app, job_id)["result"]["sent"] == 1
    assert [r for r, _ in sink.messages] == [["pia@example.fi"]]


def test_without_a_server_the_email_is_written_to_the_instance_folder(app: Flask) -> None:
    with app.app_context():
        demo.load()
        person("pia", "contact", "638")
        changes.add_members("iam", ["091"], joined=dt.date(2026, 6, 1), decision="", actor="lead")
        assert notify.digest(utcnow() + LATER)["sent"] == 1
    written = list((Path(app.instance_path) / "mail").glob("*.eml"))
    assert len(written) == 1 and b"pia@example.fi" in written[0].read_bytes()


def test_an_unpaid_invoice_past_its_due_date_is_told_once(mail_app: Flask, smtp: tuple[Controller, Sink]) -> None:
    from portal.billing import issuing
    from tests.common.billing import with_seller

    _, sink = smtp
    with mail_app.app_context():
        person("pia", "contact", "638")
        with_seller()
        issuing.issue("iam", year=2025, actor="acc")
        notify.digest(utcnow() + LATER)
        assert notify.queue_overdue(dt.date(2025, 1, 1)) == 0
    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["notify", "overdue"])
    assert result.exit_code == 0 and "newly overdue" in result.output
    with mail_app.app_context():
        assert notify.queue_overdue(dt.date(2099, 1, 1)) == 17  # every member's invoice, none paid
        assert notify.queue_overdue(dt.date(2099, 1, 2)) == 0  # told once
        assert notify.digest(utcnow() + LATER)["sent"] == 1
    text, _ = parts(sink.messages[-1][1])
    assert re.search(r"erääntyi \d{1,2}\.\d{1,2}\.\d{4}", text) and "maksettu" in text and len(sink.messages) == 2
    assert "sent 0" in runner.invoke(args=["notify", "digest"]).output


def test_a_burst_that_never_goes_quiet_is_sent_after_the_longest_wait(mail_app: Flask, smtp: tuple[Controller, Sink]) -> None:
    _, sink = smtp
    with mail_app.app_context():
        person("pia", "contact", "638", "fi")
        changes.add_members("iam", ["091"], joined=dt.date(2026, 6, 1), decision="KV 5/2026", actor="lead")
        for event in db.session.execute(select(NotificationEvent)).scalars():
            event.created_at = utcnow() - dt.timedelta(minutes=10 * notify.MAX_WAIT_BURSTS - 1)
        db.session.commit()
        changes.add_members("iam", ["837"], joined=dt.date(2026, 6, 1), decision="KV 6/2026", actor="lead")
        assert notify.digest()["sent"] == 0  # still going on, and the oldest waited less than the longest wait
        assert notify.digest(utcnow() + dt.timedelta(minutes=2))["sent"] == 1  # the longest wait is over: one email of both
    assert len(sink.messages) == 1 and sink.messages[0][1]["Subject"] == "Konsortioportaali: 2 uutta ilmoitusta"
