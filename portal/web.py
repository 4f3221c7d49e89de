"""What every page shares: the role check, the rules of form input, the template filters, the download response.

Views parse input, call a service and render; :func:`attempt` runs the service call and turns a
refusal into the message and status the form shows (``portal.errors`` says which status).

The rules of what a request may carry live here, each once, and call the core's parsers
(``ledger.parse``, ``ledger.money``), so the web reads a value exactly as the command line does:

* :class:`Form`, the base of every form: no control characters (NUL included) and no more than
  :data:`MAX_FIELD` characters in any text a form takes; a text area may hold tabs and line ends;
* :class:`DayField` and :class:`YearField`: dates and years in ASCII digits only;
* the ``int`` URL converter (:class:`IdConverter`): ASCII digits up to the databases' integer, so
  ``/changes/99999999999999999999`` is no page (404), not an error of the database;
* :func:`plain_request`: a control character in the address or its query string is a 400.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, abort, request
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms import DateField, Field, IntegerField, SelectField, SelectMultipleField, TextAreaField

from ledger import municipalities as M
from ledger import parse
from ledger.errors import InvalidInput, LedgerError, Phrase, Word
from ledger.money import from_fmt
from portal import formats
from portal.errors import REFUSALS, message_of, status_of

T = TypeVar("T")
VIEWERS = ("contact", "lead", "accountant")
LEAD = ("lead",)
BOOKKEEPERS = ("lead", "accountant")
MAX_FIELD = 100_000  # the most characters any form field takes; each field's own Length is lower
MAX_FILENAME = 255   # an uploaded file's name, as file systems allow


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


def csv_attachment(body: str | bytes, filename: str) -> Response:
    """A CSV download that Excel opens as UTF-8 (with the byte-order mark; ``portal.formats``)."""
    return attachment(formats.with_bom(body), filename, "text/csv")


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


def whole(raw: str | None) -> int | None:
    """``raw`` as an id or a count if it is one (ASCII digits, at most the databases' integer), else None.

    For values a page carries rather than a person types (a prefill in the address, a hidden
    field, a choice): anything else there means "none". ``int()`` alone would take Arabic-Indic
    digits, and fail with an error of its own on a few thousand digits. The rule is the core's
    (:func:`ledger.parse.number`); only its refusal becomes None here.
    """
    try:
        return parse.number(raw or "", Word("the number"))
    except InvalidInput:
        return None


def chosen(field: SelectMultipleField) -> list[str]:
    """The values picked in a multiple choice."""
    return [str(value) for value in field.data or []]


def day(field: DateField) -> dt.date:
    """A required date field's value (its ``InputRequired`` validator has run)."""
    if not isinstance(field.data, dt.date):
        raise InvalidInput("give the %(what)s", what=str(field.label.text).lower())
    return field.data


# -- template filters ----------------------------------------------------------------------------
def eur(cents: int) -> str:
    """``30 588,24 €``: amounts on pages are written the Finnish way, in every language (``portal.formats``)."""
    return formats.eur(cents)


def signed_eur(cents: int) -> str:
    return ("+" if cents > 0 else "") + eur(cents)


def cents(text: str) -> int:
    """An audit record's decimal string (``"-1799.31"``) as cents, for display and comparison."""
    return from_fmt(text)


def city_name(code: str | None) -> str:
    """``Porvoo (638)`` for a code; an unknown code as it is."""
    if not code:
        return ""
    try:
        return f"{M.lookup(code).name} ({M.normalise_code(code)})"
    except LedgerError:
        return str(code)


# -- the rules of form input ---------------------------------------------------------------------
class Form(FlaskForm):
    """The base of every form: each text it takes (a text field's, a choice's) is text a person may type.

    WTForms checks each field's own validators (``Length``, ``DataRequired``); this adds, for every
    field at once, what no field should take: control characters, bytes that are not text, and
    more than :data:`MAX_FIELD` characters. A field's error is shown beside it, with status 400.
    """

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            values = field.data if isinstance(field.data, list) else [field.data]
            for value in values:
                try:
                    _plain(field, value)
                except InvalidInput as exc:
                    field.errors = [*field.errors, exc.message]
                    valid = False
                    break
            if isinstance(field.errors, list | tuple):
                # A lazy message (lazy_gettext) counts as markup to Jinja and would skip escaping: plain text instead.
                field.errors = [str(error) for error in field.errors]
        return valid


def _plain(field: Field, value: Any) -> None:
    """Refuse a field's text (or an uploaded file's name) that is not text a person may type."""
    if isinstance(value, FileStorage):
        parse.text(value.filename or "", "the file's name", max_length=MAX_FILENAME)
    elif isinstance(value, str):
        parse.text(value, str(field.label.text), max_length=MAX_FIELD, multiline=isinstance(field, TextAreaField))


class DayField(DateField):
    """A date as ``2026-12-01`` in ASCII digits (WTForms' own reads full-width digits and ``2026-1-1``)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = parse.date(str(valuelist[0]), str(self.label.text).lower())
        except InvalidInput as exc:
            self.data = None
            raise ValueError(exc.message) from None


class NumberField(IntegerField):
    """A whole number in ASCII digits within the databases' integer (WTForms' own takes ``1_000``,
    ``١٢٣`` and a thousand digits); ``NumberRange`` and the other validators then apply as usual."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = parse.number(str(valuelist[0]), str(self.label.text).lower())
        except InvalidInput as exc:
            self.data = None
            raise ValueError(exc.message) from None


def _year(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return parse.year(str(value))
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


class YearField(SelectField):
    """A year chosen from a list, as four ASCII digits (``coerce=int`` would take ``2_026`` and ``２０２６``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("coerce", _year)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
        elif valuelist:
            try:
                self.data = _year(valuelist[0])
            except ValueError:
                self.data = None
                raise


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits, from 0 to the databases' integer; else the route does not match."""

    regex = r"[0-9]+"

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = parse.MAX_INT,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)

    def to_python(self, value: str) -> Any:
        if len(value.lstrip("0")) > len(str(self.max or parse.MAX_INT)):  # int() of 5,000 digits is itself an error
            raise ValidationError()
        return super().to_python(value)


def plain_request() -> None:
    """400 for a control character (a NUL, say) in the address or in a query parameter's name or value."""
    texts = [(Word("the address"), request.path)] + [(Phrase("the parameter %(name)r", name=name[:40]), text)
                                               for name, values in request.args.lists() for text in [name, *values]]
    for what, value in texts:
        try:
            parse.text(value, what, max_length=MAX_FIELD)
        except InvalidInput as exc:
            abort(400, description=exc.message)


def init_app(app: Flask) -> None:
    """The template filters, the ``int`` converter (before any route is added) and the request check."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(plain_request)
    for name, function in (("eur", eur), ("signed_eur", signed_eur), ("cents", cents), ("city_name", city_name),
                           ("fi_date", formats.date), ("fi_datetime", formats.datetime)):
        app.add_template_filter(function, name)
