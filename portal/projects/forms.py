"""The membership forms (Flask-WTF: every form carries a CSRF token).

Forms check only shape (a date is a date, a field is filled in). Whether a change makes sense —
a city already a member, a leave date before the join date — is the core's call
(``ledger.changes.apply``); the views show its refusal as a form error, so there is one source of
truth for every rule.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ledger.budget import POLICIES
from ledger.rules import KINDS
from ledger.sharing import JOINERS, LEAVERS
from portal.web import DayField, Form, NumberField

# The choices' words on the page (the values stay the core's codes; in English the label is the code itself).
CHOICE_LABELS = {
    "equal": _l("equal"), "population": _l("population"), "hybrid": _l("hybrid"), "fixed": _l("fixed"),
    "whole-term": _l("whole-term"), "pro-rata": _l("pro-rata"), "open-years": _l("open-years"), "catch-up": _l("catch-up"),
    "keeps-years": _l("keeps-years"), "stops": _l("stops"),
}
DECISION_HELP = _l("The council decision or other reference, e.g. “City council 12.5.2025 § 41”.")


def labelled(codes: tuple[str, ...]) -> list[tuple[str, Any]]:
    """A select's choices: each code with its label in the page's language (lazy: the form is built per request)."""
    return [(code, CHOICE_LABELS.get(code, code)) for code in codes]


def decision_field() -> StringField:
    """The decision a change rests on: every change form has one."""
    return StringField(_l("Decision"), validators=[Optional(), Length(max=500)], description=DECISION_HELP)


class AddMembersForm(Form):
    """Several cities joining on one date, by one decision: one recalculation, one change."""

    # Choices are filled in by the view; the core, not the form, says whether a code can join.
    cities = SelectMultipleField(_l("Cities"), validators=[DataRequired(_l("Choose at least one city."))], validate_choice=False)
    joined = DayField(_l("Join date"), validators=[InputRequired(_l("Give the join date."))])
    decision = decision_field()
    # Where fixed percentages govern the years the newcomers share: every member's new percentage,
    # the newcomers' included, set with the join (ledger.checks.percentages_from says from when).
    percentages = TextAreaField(_l("New percentages of every member (fixed rule)"), validators=[Optional(), Length(max=20_000)],
                                description=_l("One city per line: CODE=PERCENT, e.g. “638=12.5”; leave empty unless a "
                                               "fixed-percentage rule governs the years the newcomers share."))
    submit = SubmitField(_l("Add members"))


class WithdrawForm(Form):
    left = DayField(_l("Leave date"), validators=[InputRequired(_l("Give the leave date."))])
    decision = decision_field()
    submit = SubmitField(_l("Withdraw"))


class CreateProjectForm(Form):
    """What ``portal project create`` asks for; the service (the same as the CLI's) judges the values."""

    slug = StringField(_l("Project id"), validators=[DataRequired(), Length(max=63)],
                       description=_l("2 to 63 lower-case letters, digits or dashes, e.g. iam-2025."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    start = DayField(_l("Start date"), validators=[InputRequired()])
    end = DayField(_l("End date"), validators=[InputRequired()])
    budget = StringField(_l("Total budget (EUR)"), validators=[Optional(), Length(max=40)],
                         description=_l("Spread over the years by days; or give the budget by years below."))
    years = TextAreaField(_l("Budget by years"), validators=[Optional(), Length(max=2000)],
                          description=_l("One year per line: YEAR=AMOUNT, e.g. 2025=80000.00."))
    rule = SelectField(_l("Rule"), choices=labelled(KINDS))
    population_year = NumberField(_l("Population year"), validators=[Optional()])
    base_percent = StringField(_l("Equal part (%)"), validators=[Optional(), Length(max=20)])
    percentages = TextAreaField(_l("Percentages"), validators=[Optional(), Length(max=20_000)],
                                description=_l("Fixed rule only: one city per line, CODE=PERCENT."))
    policy = SelectField(_l("Policy"), choices=labelled(POLICIES))
    leaver = SelectField(_l("Leaver"), choices=labelled(LEAVERS))
    joiner = SelectField(_l("Joiner"), choices=labelled(JOINERS))
    decision = decision_field()
    submit = SubmitField(_l("Create project"))
