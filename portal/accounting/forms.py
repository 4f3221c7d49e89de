"""The accountant's forms: a BQL query, a .beancount file to import, the reversal of an import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.web import Form

EXAMPLE_QUERY = "SELECT account, sum(position) AS balance GROUP BY account ORDER BY account"


class QueryForm(Form):
    query = TextAreaField(_l("BQL query"), validators=[DataRequired(_l("Write a query."))], default=EXAMPLE_QUERY)
    submit = SubmitField(_l("Run query"))


class ImportForm(Form):
    ledger = FileField(_l(".beancount file"), validators=[FileRequired(_l("Choose a .beancount file."))])
    submit = SubmitField(_l("Import"))


class RevertForm(Form):
    reason = StringField(_l("Why is it reverted?"), validators=[DataRequired(_l("Say why the import is reverted.")), Length(max=500)],
                         description=_l("Kept in the reversing entries and the audit log, e.g. “the March file was exported twice”."))
    submit = SubmitField(_l("Revert the import"))
