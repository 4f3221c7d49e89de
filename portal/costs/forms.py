"""The cost-sharing forms: rule versions, budget years and the total, policy, closing a year,
direct charges and joining fees, funding and hours (Flask-WTF: every form carries a CSRF token).

The text fields of pairs (percentages, caps, floors, tiers) are read by ``ledger.parse``, the
same parser as the command line's options; the core says whether a change makes sense.
"""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ledger.budget import POLICIES
from ledger.rules import KINDS
from portal.projects.forms import decision_field
from portal.projects.populations import Figures
from portal.web import DayField, Form, YearField

KIND_LABELS = {"equal": "Equal shares", "population": "By population",
               "hybrid": "Hybrid: part equal, the rest by population", "fixed": "Fixed percentages"}
RULE_KINDS = [(kind, KIND_LABELS[kind]) for kind in KINDS]
POLICY_LABELS = {"whole-term": "Whole term", "pro-rata": "Pro rata"}
POLICY_CHOICES = [(policy, POLICY_LABELS[policy]) for policy in POLICIES]
POLICY_HELP = {
    "whole-term": "every member pays its share of the whole term's budget, whenever it joined "
                  "(a late joiner's share is credited back to the earlier members)",
    "pro-rata": "each year is split among that year's members by the days they were members",
}
PAIRS_HELP = "One city per line: CODE=VALUE, e.g. “638=75”."


def _year_choices(field: SelectField) -> None:
    years = Figures().years()  # the bundled years and those an administrator loaded
    field.choices = [(y, str(y)) for y in reversed(years)]
    if field.data is None:
        field.data = years[-1]


class RuleVersionForm(Form):
    """A new rule version. The lines of percentages, caps and floors are parsed by the view; the
    service says whether they make sense (sum to 100, name members, caps that can hold the budget)."""

    kind = SelectField("Rule", choices=RULE_KINDS)
    population_year = YearField("Population year", validators=[Optional()],
                                  description="Used by the population and hybrid rules: its figures are frozen into the version.")
    base_percent = StringField("Equal part (%)", validators=[Optional(), Length(max=20)],
                               description="Hybrid only: the percentage split equally, e.g. 40.")
    percentages = TextAreaField("Percentages", validators=[Optional(), Length(max=20_000)],
                                description="Fixed only: every member's percentage, summing to exactly 100. " + PAIRS_HELP)
    caps = TextAreaField("Caps (EUR)", validators=[Optional(), Length(max=20_000)],
                         description="The most a member pays over the term. " + "One city per line: CODE=AMOUNT, e.g. “638=50000.00”.")
    floors = TextAreaField("Floors (EUR)", validators=[Optional(), Length(max=20_000)],
                           description="The least a member pays over the term. CODE=AMOUNT lines.")
    effective = DayField("Effective from", validators=[InputRequired("Give the date the version takes effect.")],
                          description="The version governs the budget years from this date's year on.")
    decision = decision_field()
    submit = SubmitField("Set rule version")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _year_choices(self.population_year)


class BudgetYearForm(Form):
    year = YearField("Year", validate_choice=False)
    amount = StringField("Amount (EUR)", validators=[DataRequired("Give the year's amount.")])
    decision = decision_field()
    submit = SubmitField("Set year's budget")


class PolicyForm(Form):
    policy = SelectField("Policy", choices=POLICY_CHOICES)
    decision = decision_field()
    submit = SubmitField("Change policy")


SETTING_CHOICES = {
    "leaver": [("keeps-years", "keeps its share of every year up to the one it leaves"),
               ("stops", "stops sharing at once (closed years keep what they hold)")],
    "joiner": [("open-years", "shares the open years only"),
               ("catch-up", "also pays, as a direct charge, its share of the closed years before it joined")],
}


class SettingsForm(Form):
    """How a leaver and a joiner share under whole-term: the choices the agreements leave open."""

    leaver = SelectField("A member that leaves", choices=SETTING_CHOICES["leaver"])
    joiner = SelectField("A member that joins after a year is closed", choices=SETTING_CHOICES["joiner"])
    decision = decision_field()
    submit = SubmitField("Change settings")


class CloseYearForm(Form):
    year = YearField("Year to close", validate_choice=False)
    confirm = BooleanField("I understand that the year's assessed shares are then final: "
                           "later changes cannot move them.", validators=[DataRequired("Confirm that the year is to be closed.")])
    decision = decision_field()
    submit = SubmitField("Close year")


class ChargeForm(Form):
    city = SelectField("City", validate_choice=False)
    date = DayField("Date", validators=[InputRequired("Give the charge's date.")])
    amount = StringField("Amount (EUR)", validators=[DataRequired("Give the amount.")])
    text = StringField("What for", validators=[DataRequired("Say what the charge is for."), Length(max=500)],
                       description="E.g. “own devices”: charged to this city alone, outside the shares.")
    decision = decision_field()
    submit = SubmitField("Add charge")


class CancelChargeForm(Form):
    number = SelectField("Charge", validate_choice=False)
    reason = StringField("Reason", validators=[DataRequired("Say why the charge is cancelled."), Length(max=500)],
                         description="The charge stays in the ledger; a reversing entry cancels it.")
    decision = decision_field()
    submit = SubmitField("Cancel charge")


class JoiningFeeForm(Form):
    tiers = TextAreaField("Tiers (EUR per resident)", validators=[DataRequired("Give at least one tier."), Length(max=5_000)],
                          description="One tier per line: LAST DATE=PRICE, the last one “after=PRICE”, "
                                      "e.g. “2010-10-31=1.00” and “after=6.00”.")
    population_year = YearField("Population year")
    decision = decision_field()
    submit = SubmitField("Set joining fee")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _year_choices(self.population_year)


class GrantForm(Form):
    year = YearField("Year", validate_choice=False)
    amount = StringField("Amount (EUR)", validators=[DataRequired("Give the amount.")])
    text = StringField("Funder and purpose", validators=[DataRequired("Say what the funding is."), Length(max=500)])
    target = SelectField("For", validate_choice=False, description="General funding reduces the year's co-funded budget; "
                         "funding for one city reduces that city's share only.")
    decision = decision_field()
    submit = SubmitField("Add funding")


class SubsidyForm(Form):
    key = StringField("Name", validators=[DataRequired("Name the subsidy."), Length(max=100)],
                      description="Setting a subsidy with an existing name changes its rate.")
    rate = StringField("Rate (EUR per hour)", validators=[DataRequired("Give the hourly rate.")])
    text = StringField("Description", validators=[DataRequired("Describe the subsidy."), Length(max=500)])
    target = SelectField("For", validate_choice=False)
    decision = decision_field()
    submit = SubmitField("Set subsidy")


class HoursForm(Form):
    key = SelectField("Subsidy", validate_choice=False)
    person = StringField("Person", validators=[DataRequired("Name the person."), Length(max=200)])
    date = DayField("Date", validators=[InputRequired("Give the date.")])
    task = StringField("Task", validators=[DataRequired("Name the task."), Length(max=500)])
    hours = StringField("Hours", validators=[DataRequired("Give the hours.")], description="E.g. 7.5")
    submit = SubmitField("Log hours")


class BudgetForm(Form):
    """The total budget as text (``520000.00`` or ``520 000,00``): parsed to cents, never a float."""

    budget = StringField("Total budget (EUR)", validators=[DataRequired("Give the budget.")])
    effective = DayField("Effective from", validators=[Optional()], description="Leave empty for today.")
    decision = decision_field()
    submit = SubmitField("Change budget")
