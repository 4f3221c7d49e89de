"""The accountant's forms: a BQL query, a .beancount file to import, the reversal of an import."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.web import Form

EXAMPLE_QUERY = "SELECT account, sum(position) AS balance GROUP BY account ORDER BY account"


class QueryForm(Form):
    query = TextAreaField("BQL query", validators=[DataRequired("Write a query.")], default=EXAMPLE_QUERY)
    submit = SubmitField("Run query")


class ImportForm(Form):
    ledger = FileField(".beancount file", validators=[FileRequired("Choose a .beancount file.")])
    submit = SubmitField("Import")


class RevertForm(Form):
    reason = StringField("Why is it reverted?", validators=[DataRequired("Say why the import is reverted."), Length(max=500)],
                         description="Kept in the reversing entries and the audit log, e.g. “the March file was exported twice”.")
    submit = SubmitField("Revert the import")
