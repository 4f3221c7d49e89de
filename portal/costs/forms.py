"""The cost-sharing forms: rule versions, budget years and the total, policy, closing a year,
direct charges and joining fees, funding and hours (Flask-WTF: every form carries a CSRF token).

Pairs (percentages, caps, floors, tiers) are given as rows of inputs (a city and a value; a last
date and a price), as pasted ``CODE=VALUE`` text, or both: ``portal.costs.pages`` turns the rows
into the same lines and ``ledger.parse``, the command line's parser, reads them all; the core says
whether a change makes sense. Every text a person reads is wrapped for translation (``_l``).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, SelectField, StringField, SubmitField, TextAreaField
from wtforms import Form as RowForm
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ledger.budget import POLICIES
from ledger.rules import KINDS
from portal.projects.forms import decision_field
from portal.projects.populations import Figures
from portal.web import DayField, Form, YearField

KIND_LABELS = {"equal": _l("Equal shares"), "population": _l("By population"),
               "hybrid": _l("Hybrid: part equal, the rest by population"), "fixed": _l("Fixed percentages")}
RULE_KINDS = [(kind, KIND_LABELS[kind]) for kind in KINDS]
POLICY_LABELS = {"whole-term": _l("Whole term"), "pro-rata": _l("Pro rata")}
POLICY_CHOICES = [(policy, POLICY_LABELS[policy]) for policy in POLICIES]
POLICY_HELP = {
    "whole-term": _l("every member pays its share of the whole term's budget, whenever it joined "
                     "(a late joiner's share is credited back to the earlier members)"),
    "pro-rata": _l("each year is split among that year's members by the days they were members"),
}
ROWS_LIMIT = 400  # more rows than Finland has municipalities are not read (a post cannot make the form build thousands)


def _year_choices(field: SelectField) -> None:
    years = Figures().years()  # the bundled years and those an administrator loaded
    field.choices = [(y, str(y)) for y in reversed(years)]
    if field.data is None:
        field.data = years[-1]


class CityRow(RowForm):
    """One row of a table of pairs: a city and its value (a percentage or an amount), both text.

    A plain WTForms form (no CSRF token of its own: the enclosing form carries it); the view turns
    a filled row into a ``CODE=VALUE`` line, so the rows are read by the same parser as the text."""

    city = SelectField(_l("City"), validate_choice=False)
    value = StringField(_l("Value"), validators=[Optional(), Length(max=40)])


class TierRow(RowForm):
    """One joining-fee tier: the last joining date it covers (empty for the last tier) and its price."""

    until = StringField(_l("Until (last joining date)"), validators=[Optional(), Length(max=20)])
    price = StringField(_l("EUR per resident"), validators=[Optional(), Length(max=40)])


def _rows(row: type[RowForm]) -> FieldList:
    return FieldList(FormField(row), min_entries=0, max_entries=ROWS_LIMIT)


class RuleVersionForm(Form):
    """A new rule version. Percentages, caps and floors come as rows, as pasted lines or both; the
    view combines and parses them, the service says whether they make sense (sum to 100, name
    members, caps that can hold the budget)."""

    kind = SelectField(_l("Rule"), choices=RULE_KINDS)
    population_year = YearField(_l("Population year"), validators=[Optional()],
                                description=_l("Used by the population and hybrid rules: its figures are frozen into the version."))
    base_percent = StringField(_l("Equal part (%)"), validators=[Optional(), Length(max=20)],
                               description=_l("Hybrid only: the percentage split equally, e.g. 40."))
    percentage_rows = _rows(CityRow)
    percentages = TextAreaField(_l("Percentages as text"), validators=[Optional(), Length(max=20_000)],
                                description=_l("One city per line: CODE=PERCENT, e.g. “638=75”."))
    cap_rows = _rows(CityRow)
    caps = TextAreaField(_l("Caps as text"), validators=[Optional(), Length(max=20_000)],
                         description=_l("One city per line: CODE=AMOUNT, e.g. “638=50000.00”."))
    floor_rows = _rows(CityRow)
    floors = TextAreaField(_l("Floors as text"), validators=[Optional(), Length(max=20_000)],
                           description=_l("One city per line: CODE=AMOUNT, e.g. “106=20000.00”."))
    effective = DayField(_l("Effective from"), validators=[InputRequired(_l("Give the date the version takes effect."))],
                         description=_l("The version governs the budget years from this date's year on."))
    decision = decision_field()
    submit = SubmitField(_l("Set rule version"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _year_choices(self.population_year)


class BudgetYearForm(Form):
    year = YearField(_l("Year"), validate_choice=False)
    amount = StringField(_l("Amount (EUR)"), validators=[DataRequired(_l("Give the year's amount."))])
    decision = decision_field()
    submit = SubmitField(_l("Set year's budget"))


class PolicyForm(Form):
    policy = SelectField(_l("Policy"), choices=POLICY_CHOICES)
    decision = decision_field()
    submit = SubmitField(_l("Change policy"))


SETTING_CHOICES = {
    "leaver": [("keeps-years", _l("keeps its share of every year up to the one it leaves")),
               ("stops", _l("stops sharing at once (closed years keep what they hold)"))],
    "joiner": [("open-years", _l("shares the open years only")),
               ("catch-up", _l("also pays, as a direct charge, its share of the closed years before it joined"))],
}


class SettingsForm(Form):
    """How a leaver and a joiner share under whole-term: the choices the agreements leave open."""

    leaver = SelectField(_l("A member that leaves"), choices=SETTING_CHOICES["leaver"])
    joiner = SelectField(_l("A member that joins after a year is closed"), choices=SETTING_CHOICES["joiner"])
    decision = decision_field()
    submit = SubmitField(_l("Change settings"))


class CloseYearForm(Form):
    year = YearField(_l("Year to close"), validate_choice=False)
    confirm = BooleanField(_l("I understand that the year's assessed shares are then final: "
                              "later changes cannot move them."),
                           validators=[DataRequired(_l("Confirm that the year is to be closed."))])
    decision = decision_field()
    submit = SubmitField(_l("Close year"))


class ChargeForm(Form):
    city = SelectField(_l("City"), validate_choice=False)
    date = DayField(_l("Date"), validators=[InputRequired(_l("Give the charge's date."))])
    amount = StringField(_l("Amount (EUR)"), validators=[DataRequired(_l("Give the amount."))])
    text = StringField(_l("What for"), validators=[DataRequired(_l("Say what the charge is for.")), Length(max=500)],
                       description=_l("E.g. “own devices”: charged to this city alone, outside the shares."))
    decision = decision_field()
    submit = SubmitField(_l("Add charge"))


class CancelChargeForm(Form):
    number = SelectField(_l("Charge"), validate_choice=False)
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why the charge is cancelled.")), Length(max=500)],
                         description=_l("The charge stays in the ledger; a reversing entry cancels it."))
    decision = decision_field()
    submit = SubmitField(_l("Cancel charge"))


class JoiningFeeForm(Form):
    """The joining fee's tiers as rows (a last joining date and a price), as pasted lines, or both."""

    tier_rows = _rows(TierRow)
    tiers = TextAreaField(_l("Tiers as text (EUR per resident)"), validators=[Optional(), Length(max=5_000)],
                          description=_l("One tier per line: LAST DATE=PRICE, the last one “after=PRICE”, "
                                         "e.g. “2010-10-31=1.00” and “after=6.00”."))
    population_year = YearField(_l("Population year"))
    decision = decision_field()
    submit = SubmitField(_l("Set joining fee"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _year_choices(self.population_year)


class GrantForm(Form):
    year = YearField(_l("Year"), validate_choice=False)
    amount = StringField(_l("Amount (EUR)"), validators=[DataRequired(_l("Give the amount."))])
    text = StringField(_l("Funder and purpose"), validators=[DataRequired(_l("Say what the funding is.")), Length(max=500)])
    target = SelectField(_l("For"), validate_choice=False,
                         description=_l("General funding reduces the year's co-funded budget; "
                                        "funding for one city reduces that city's share only."))
    decision = decision_field()
    submit = SubmitField(_l("Add funding"))


class SubsidyForm(Form):
    key = StringField(_l("Name"), validators=[DataRequired(_l("Name the subsidy.")), Length(max=100)],
                      description=_l("Setting a subsidy with an existing name changes its rate."))
    rate = StringField(_l("Rate (EUR per hour)"), validators=[DataRequired(_l("Give the hourly rate."))])
    text = StringField(_l("Description"), validators=[DataRequired(_l("Describe the subsidy.")), Length(max=500)])
    target = SelectField(_l("For"), validate_choice=False)
    decision = decision_field()
    submit = SubmitField(_l("Set subsidy"))


class HoursForm(Form):
    key = SelectField(_l("Subsidy"), validate_choice=False)
    person = StringField(_l("Person"), validators=[DataRequired(_l("Name the person.")), Length(max=200)])
    date = DayField(_l("Date"), validators=[InputRequired(_l("Give the date."))])
    task = StringField(_l("Task"), validators=[DataRequired(_l("Name the task.")), Length(max=500)])
    hours = StringField(_l("Hours"), validators=[DataRequired(_l("Give the hours."))], description=_l("E.g. 7.5"))
    submit = SubmitField(_l("Log hours"))


class BudgetForm(Form):
    """The total budget as text (``520000.00`` or ``520 000,00``): parsed to cents, never a float."""

    budget = StringField(_l("Total budget (EUR)"), validators=[DataRequired(_l("Give the budget."))])
    effective = DayField(_l("Effective from"), validators=[Optional()], description=_l("Leave empty for today."))
    decision = decision_field()
    submit = SubmitField(_l("Change budget"))
