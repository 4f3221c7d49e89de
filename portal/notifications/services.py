"""Notifications: what happened is queued per recipient; a digest later sends each user one email.

Events come from the audit log (:data:`portal.audit.recorded`, sent inside the caller's
transaction): a posted change that moved shares (the city's contacts), an issue of invoices (the
invoiced cities' contacts), someone awaiting approval (leads and admins), an invoice past its due
date with something open (:func:`queue_overdue`, ``portal notify overdue``). A queued event commits with the
change that made it, so a change never waits for SMTP and no event is lost.

:func:`digest` (``portal notify digest`` or the job kind ``notify-digest``) sends, per user, one
email of every unsent event once the newest of them is ``PORTAL_NOTIFY_DIGEST_MINUTES`` old: a
burst of changes makes one email (a burst that never goes quiet is sent after ``MAX_WAIT_BURSTS`` periods). A failed send leaves the events unsent, with the attempt and the
error recorded; the next digest tries again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, or_, select

from ledger.errors import InvalidInput
from ledger.invoicing import outstanding
from ledger.money import fmt
from portal import audit
from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.billing.models import Invoice
from portal.clock import fi_date, today, utcnow
from portal.extensions import db
from portal.jobs.schedule import Daily, Every, Period
from portal.notifications import mail
from portal.notifications.models import NotificationEvent, NotificationOptOut
from portal.projects import privacy
from portal.projects.models import Project
from portal.projects.services import journal_for

log = logging.getLogger(__name__)
KINDS = ("share-changed", "invoice-issued", "invoice-overdue", "user-pending")
SALT = "notifications-unsubscribe"


def _active(*roles: str, city: str | None = None) -> list[User]:
    """Active users with any of ``roles`` (and of ``city``, if given) who have an email address."""
    query = select(User).where(User.status == "active", User.email != "")
    if city is not None:
        query = query.where(User.city_code == city)
    users = db.session.execute(query).scalars().all()
    return [u for u in users if u.roles & set(roles)]


def _contacts_by_city(cities: Iterable[str]) -> dict[str, list[User]]:
    """The active contacts with an address of each of ``cities``, in one query (a change may move 300 cities' shares:
    one query per city would cost more than the recalculation).

    The query names no city: the portal has a few contacts per member city, while an ``IN`` of 300
    codes cost PostgreSQL more to bind and plan than reading them all (a tenth of a change)."""
    wanted = set(cities)
    if not wanted:
        return {}
    query = select(User).where(User.status == "active", User.email != "", User.city_code.is_not(None),
                               User.roles_text.contains("contact"))
    found: dict[str, list[User]] = {}
    for user in db.session.execute(query).scalars():
        code = user.city_code
        if code is not None and code in wanted and "contact" in user.roles:
            found.setdefault(code, []).append(user)
    return found


def queue(users: Iterable[User], kind: str, payload: Mapping[str, Any]) -> int:
    """Queue one event per user in the current transaction (the caller commits)."""
    count = 0
    for user in users:
        row = NotificationEvent(user_id=user.id, kind=kind)
        row.payload = dict(payload)
        db.session.add(row)
        count += 1
    return count


def _project_name(project_id: int | None) -> str:
    project = db.session.get(Project, project_id) if project_id is not None else None
    return project.name if project is not None else ""


def on_audit(_sender: AuditEvent | None = None, details: Mapping[str, Any] | None = None, **_: Any) -> None:
    """The audit log's subscriber: queue what the recorded event means for whom (``details``: the
    event's details as recorded, else read back from the event)."""
    event = _sender
    if event is None or not current_app.config.get("PORTAL_NOTIFY", True):
        return
    details = event.details if details is None else details
    if event.action == "user-pending":
        queue(_active("lead", "admin"), "user-pending", {"name": details.get("name") or details.get("sub", ""),
                                                          "city": details.get("city") or ""})
    elif event.action == "invoices-issued":
        project = _project_name(event.project_id)
        contacts = _contacts_by_city(line["city"] for line in details.get("invoices", []))
        for line in details.get("invoices", []):
            queue(contacts.get(line["city"], []), "invoice-issued",
                  {"project": project, "city": line["city"], "number": line["number"], "amount": line["amount"]})
    elif event.action == "invoice-overdue":
        queue(_active("contact", city=details["city"]), "invoice-overdue",
              {"project": _project_name(event.project_id), "city": details["city"], "number": details["number"],
               "due": details["due"], "amount": details["open"]})
    elif event.project_id is not None and details.get("shares"):
        # Only the cities whose share moved, and of a change about one city's own cost (a charge, a
        # grant or subsidy for its share alone) only that city: its summary names the cost
        # (README, *Privacy between cities*). No state: this runs inside the change's transaction.
        project = _project_name(event.project_id)
        owner = privacy.owner(event, None)
        moved = [row for row in details["shares"] if row["before"] != row["after"] and (not owner or row["city"] == owner)]
        contacts = _contacts_by_city(row["city"] for row in moved)
        for row in moved:
            queue(contacts.get(row["city"], []), "share-changed",
                  {"project": project, "city": row["city"], "before": row["before"], "after": row["after"],
                   "summary": details.get("summary", ""), "effective": details.get("effective", "")})


def init_app(app: Any) -> None:
    """Subscribe to the audit log (once per process: blinker keeps one receiver per function)."""
    from portal.audit import recorded

    recorded.connect(on_audit)
    mail.init_app(app)


def queue_overdue(day: dt.date) -> int:
    """Record (audit: ``invoice-overdue``, once per invoice) every invoice past its due date with something open.

    Run daily by ``portal notify overdue``; the audit record's signal queues the city's contacts.
    """
    count = 0
    for project in db.session.execute(select(Project).order_by(Project.id)).scalars():
        late = db.session.execute(select(Invoice).where(Invoice.project_id == project.id, Invoice.due_date < day,
                                                        Invoice.kind != "credit-note")).scalars().all()
        if not late:
            continue
        told = {e.details["number"] for e in db.session.execute(select(AuditEvent).where(
            AuditEvent.project_id == project.id, AuditEvent.action == "invoice-overdue")).scalars()}
        open_amounts = outstanding(journal_for(project).entries)
        for invoice in late:
            if invoice.number in told or open_amounts.get(invoice.number, 0) <= 0:
                continue
            audit.record("portal notify overdue", "invoice-overdue",
                         {"number": invoice.number, "city": invoice.code, "due": fi_date(invoice.due_date),
                          "open": fmt(open_amounts[invoice.number])}, project_id=project.id)
            count += 1
    db.session.commit()
    return count


# -- opt-outs and the unsubscribe link -------------------------------------------------------------
def opted_out(user_id: int) -> set[str]:
    rows = db.session.execute(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user_id)).scalars()
    return set(rows)


def set_choices(user: User, wanted: Iterable[str]) -> None:
    """Turn on exactly the ``wanted`` kinds for ``user``; every other kind off."""
    keep = set(wanted)
    if keep - set(KINDS):
        raise InvalidInput("unknown notification kinds: %(kinds)s", kinds=", ".join(sorted(keep - set(KINDS))))
    db.session.execute(delete(NotificationOptOut).where(NotificationOptOut.user_id == user.id))
    for kind in KINDS:
        if kind not in keep:
            db.session.add(NotificationOptOut(user_id=user.id, kind=kind))
    db.session.commit()


def token_for(user_id: int, kinds: Iterable[str]) -> str:
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)
    return str(serializer.dumps({"u": user_id, "k": sorted(set(kinds))}))


def read_token(token: str) -> tuple[User, list[str]]:
    """The user and kinds a link was signed for; a bad or foreign token is refused as invalid input."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)
    try:
        data = serializer.loads(token)
        user = db.session.get(User, int(data["u"]))
        kinds = [k for k in data["k"] if k in KINDS]
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidInput("this unsubscribe link is not valid") from exc
    if user is None:
        raise InvalidInput("this unsubscribe link is not valid")
    return user, kinds


def unsubscribe(token: str) -> tuple[User, list[str]]:
    """Turn off the kinds the link names (works without logging in: the link is signed)."""
    user, kinds = read_token(token)
    off = opted_out(user.id)
    for kind in kinds:
        if kind not in off:
            db.session.add(NotificationOptOut(user_id=user.id, kind=kind))
    db.session.commit()
    return user, kinds


# -- the digest ------------------------------------------------------------------------------------
MAX_WAIT_BURSTS = 6  # a burst that never goes quiet is sent anyway once its oldest event waited this many digest periods


def _due_users(now: dt.datetime, minutes: int) -> list[int]:
    """Users whose newest unsent event is at least ``minutes`` old (their burst is over), or whose oldest has
    waited :data:`MAX_WAIT_BURSTS` times as long (changes every few minutes all day still make an email an hour)."""
    newest, oldest = func.max(NotificationEvent.created_at), func.min(NotificationEvent.created_at)
    query = (select(NotificationEvent.user_id).where(NotificationEvent.sent_at.is_(None))
             .group_by(NotificationEvent.user_id)
             .having(or_(newest <= now - dt.timedelta(minutes=minutes),
                         oldest <= now - dt.timedelta(minutes=minutes * MAX_WAIT_BURSTS))))
    return list(db.session.execute(query).scalars())


def digest(now: dt.datetime | None = None) -> dict[str, int]:
    """Send each user whose burst is over one email of all their unsent events; opted-out kinds are dropped."""
    now = now or utcnow()
    sent = failed = dropped = 0
    for user_id in _due_users(now, int(current_app.config["PORTAL_NOTIFY_DIGEST_MINUTES"])):
        user = db.session.get(User, user_id)
        events = list(db.session.execute(select(NotificationEvent).where(
            NotificationEvent.user_id == user_id, NotificationEvent.sent_at.is_(None)).order_by(NotificationEvent.id)).scalars())
        off = opted_out(user_id)
        wanted = [e for e in events if e.kind not in off]
        if user is None or not user.is_active or not user.email or not wanted:
            for e in events:
                e.sent_at, e.last_error = now, "not sent: turned off or no address"
            dropped += len(events)
            db.session.commit()
            continue
        try:
            mail.send_digest(user, wanted, token_for(user.id, {e.kind for e in wanted}))
        except Exception as exc:  # noqa: BLE001 - SMTP fails many ways; the events wait for the next digest
            log.warning("notifications: sending to user %s failed (%s); will retry", user_id, exc)
            for e in wanted:
                e.attempts, e.last_error = e.attempts + 1, str(exc)[:500]
            failed += 1
        else:
            for e in events:
                e.sent_at, e.attempts = now, e.attempts + 1
            sent += 1
        db.session.commit()
    return {"sent": sent, "failed": failed, "dropped": dropped}


def _digest_job(_context: Any) -> dict[str, Any]:
    return dict(digest())


def _overdue_job(_context: Any) -> dict[str, Any]:
    return {"overdue": queue_overdue(today())}


JOB_KINDS = {"notify-digest": _digest_job, "notify-overdue": _overdue_job}
# Run by the clock (portal.jobs.schedule, in ``portal worker`` and ``portal demo``): the digest
# every minute (each user's burst is sent once it has been quiet), the overdue invoices each morning.
PERIODIC: dict[str, Period] = {"notify-digest": Every(1), "notify-overdue": Daily(7)}
