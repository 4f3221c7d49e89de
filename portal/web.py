"""What every page shares: the role check, the template filters, the download response.

Views parse input, call a service and render; :func:`attempt` runs the service call and turns a
refusal into the message and status the form shows (``portal.errors`` says which status).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, Response, abort
from flask_login import current_user
from wtforms import DateField, Field, SelectMultipleField

from ledger import municipalities as M
from ledger.errors import InvalidInput, LedgerError
from ledger.money import fmt_human, parse_amount
from portal.clock import fi_date, fi_datetime
from portal.errors import REFUSALS, message_of, status_of

T = TypeVar("T")
VIEWERS = ("contact", "lead", "accountant")
LEAD = ("lead",)
BOOKKEEPERS = ("lead", "accountant")


def require(*roles: str) -> None:
    """403 unless the user has one of ``roles`` (admin has them all)."""
    if not current_user.has_role(*roles):
        abort(403)


def attempt(call: Callable[[], T]) -> tuple[T | None, str | None, int]:
    """Run a service call; a refusal becomes ``(None, message, status)`` for the form to show."""
    try:
        return call(), None, 200
    except REFUSALS as exc:
        return None, message_of(exc), status_of(exc)


def attachment(body: str | bytes, filename: str, mimetype: str) -> Response:
    """A download; text mimetypes get ``charset=utf-8`` from Werkzeug."""
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the values of validated form fields ---------------------------------------------------------
def text(field: Field) -> str:
    """A text or choice field's value, ``""`` when left empty."""
    return str(field.data or "")


def chosen(field: SelectMultipleField) -> list[str]:
    """The values picked in a multiple choice."""
    return [str(value) for value in field.data or []]


def day(field: DateField) -> dt.date:
    """A required date field's value (its ``InputRequired`` validator has run)."""
    if not isinstance(field.data, dt.date):
        raise InvalidInput(f"give the {str(field.label.text).lower()}")
    return field.data


# -- template filters ----------------------------------------------------------------------------
def eur(cents: int) -> str:
    """``30 588,24 €``: amounts on pages are written the Finnish way."""
    return fmt_human(cents) + "\u00a0€"


def signed_eur(cents: int) -> str:
    return ("+" if cents > 0 else "") + eur(cents)


def cents(text: str) -> int:
    """An audit record's decimal string (``"-1799.31"``) as cents, for display and comparison."""
    return parse_amount(text, allow_negative=True)


def city_name(code: str | None) -> str:
    """``Porvoo (638)`` for a code; an unknown code as it is."""
    if not code:
        return ""
    try:
        return f"{M.lookup(code).name} ({M.normalise_code(code)})"
    except LedgerError:
        return str(code)


def init_app(app: Flask) -> None:
    for name, function in (("eur", eur), ("signed_eur", signed_eur), ("cents", cents), ("city_name", city_name),
                           ("fi_date", fi_date), ("fi_datetime", fi_datetime)):
        app.add_template_filter(function, name)
