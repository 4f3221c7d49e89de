"""Notification settings and the unsubscribe confirmation (Flask-WTF: CSRF on both)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SubmitField

from portal.web import Form

LABELS = {"share-changed": _l("My city's share changes"), "invoice-issued": _l("An invoice to my city is issued"),
          "invoice-overdue": _l("An invoice to my city falls overdue"), "user-pending": _l("Someone awaits approval")}


class SettingsForm(Form):
    """A checkbox per kind of email, and the language emails are written in."""

    share_changed = BooleanField(LABELS["share-changed"])
    invoice_issued = BooleanField(LABELS["invoice-issued"])
    invoice_overdue = BooleanField(LABELS["invoice-overdue"])
    user_pending = BooleanField(LABELS["user-pending"])
    language = SelectField(_l("Language of emails"), choices=[("fi", "suomi"), ("sv", "svenska"), ("en", "English")])
    submit = SubmitField(_l("Save"))


class UnsubscribeForm(Form):
    submit = SubmitField(_l("Unsubscribe"))


def field_name(kind: str) -> str:
    return kind.replace("-", "_")

