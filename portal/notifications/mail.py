"""The digest email: composed in the recipient's language, sent by Flask-Mail or written to a folder.

With ``PORTAL_MAIL_SERVER`` set, Flask-Mail sends through that SMTP server; without it (the
embedded default, ``make demo``) each email is written to ``<instance>/mail/`` and logged, so a
development machine needs no mail server and loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_mail import Mail, Message

from ledger.money import from_fmt
from portal.accounts.models import User
from portal.i18n import LANGUAGES
from portal.notifications.models import NotificationEvent
from portal.web import city_name, eur

log = logging.getLogger(__name__)
mailer = Mail()


def init_app(app: Any) -> None:
    """Flask-Mail reads ``MAIL_*``, which ``portal.config.mail_settings`` fills from ``PORTAL_MAIL_*``."""
    mailer.init_app(app)


def _line(event: NotificationEvent) -> str:
    """One event in words, in the current locale."""
    p = event.payload
    if event.kind == "share-changed":
        return _("%(project)s: the share of %(city)s changed from %(before)s to %(after)s (%(summary)s).",
                 project=p["project"], city=city_name(p["city"]), before=eur(from_fmt(p["before"])),
                 after=eur(from_fmt(p["after"])), summary=p.get("summary", ""))
    if event.kind == "invoice-issued":
        return _("%(project)s: invoice %(number)s of %(amount)s was issued to %(city)s.", project=p["project"],
                 number=p["number"], amount=eur(from_fmt(p["amount"])), city=city_name(p["city"]))
    if event.kind == "invoice-overdue":
        return _("%(project)s: invoice %(number)s of %(city)s fell due on %(due)s and is not paid.", project=p["project"],
                 number=p["number"], city=city_name(p["city"]), due=p.get("due", ""))
    return _("%(name)s awaits approval in the portal.", name=p.get("name", ""))


def compose(user: User, events: Sequence[NotificationEvent], token: str) -> Message:
    """The digest in the user's language (Finnish unless the user chose otherwise): plain text and HTML."""
    language = user.language if user.language in LANGUAGES else "fi"
    with force_locale(language):
        lines = [_line(e) for e in events]
        subject = _("Consortium portal: %(n)s new notifications", n=len(events)) if len(events) > 1 \
            else _("Consortium portal: a new notification")
        base = str(current_app.config["PORTAL_BASE_URL"]).rstrip("/")  # no request: the digest runs in a worker
        links = {"unsubscribe": f"{base}/notifications/unsubscribe/{token}", "settings": f"{base}/notifications/settings"}
        body = render_template("notifications/email.txt", user=user, lines=lines, **links)
        html = render_template("notifications/email.html", user=user, lines=lines, language=language, **links)
    message = Message(subject=subject, recipients=[user.email], body=body, html=html,
                      sender=current_app.config["MAIL_DEFAULT_SENDER"])
    message.extra_headers = {"List-Unsubscribe": f"<{links['unsubscribe']}>"}
    return message


def send_digest(user: User, events: Sequence[NotificationEvent], token: str) -> None:
    """Send (or, without a server, write down) one digest; an SMTP failure raises to the caller."""
    message = compose(user, events, token)
    if current_app.config.get("MAIL_SERVER"):
        mailer.send(message)
        return
    folder = Path(current_app.instance_path) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}-{user.id}.eml"
    path.write_bytes(message.as_bytes())
    log.info("notifications: no PORTAL_MAIL_SERVER; the email to %s is in %s", user.email, path)
