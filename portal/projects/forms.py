"""The membership forms (Flask-WTF: every form carries a CSRF token).

Forms check only shape (a date is a date, a field is filled in). Whether a change makes sense —
a city already a member, a leave date before the join date — is the core's call
(``ledger.changes.apply``); the views show its refusal as a form error, so there is one source of
truth for every rule.
"""

from __future__ import annotations

from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.web import DayField, Form

DECISION_HELP = "The council decision or other reference, e.g. “City council 12.5.2025 § 41”."


def decision_field() -> StringField:
    """The decision a change rests on: every change form has one."""
    return StringField("Decision", validators=[Optional(), Length(max=500)], description=DECISION_HELP)


class AddMembersForm(Form):
    """Several cities joining on one date, by one decision: one recalculation, one change."""

    # Choices are filled in by the view; the core, not the form, says whether a code can join.
    cities = SelectMultipleField("Cities", validators=[DataRequired("Choose at least one city.")], validate_choice=False)
    joined = DayField("Join date", validators=[InputRequired("Give the join date.")])
    decision = decision_field()
    submit = SubmitField("Add members")


class WithdrawForm(Form):
    left = DayField("Leave date", validators=[InputRequired("Give the leave date.")])
    decision = decision_field()
    submit = SubmitField("Withdraw")
