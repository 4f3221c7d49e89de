"""The portal's web forms (Flask-WTF: every form carries a CSRF token).

Forms check only shape (a date is a date, a field is filled in). Whether a change makes sense —
a city already a member, a leave date before the join date, a budget that is not an amount — is
the service layer's call (``portal.changes``); the views show its refusal as a form error, so
there is one source of truth for every rule.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from ledger.municipalities import available_years

EXAMPLE_QUERY = "SELECT account, sum(position) AS balance GROUP BY account ORDER BY account"
DECISION_HELP = "The council decision or other reference, e.g. “City council 12.5.2025 § 41”."


def _decision() -> StringField:
    return StringField("Decision", validators=[Optional(), Length(max=500)], description=DECISION_HELP)


class AddMembersForm(FlaskForm):
    """Several cities joining on one date, by one decision: one recalculation, one change."""

    # Choices are filled in by the view; the service, not the form, says whether a code can join.
    cities = SelectMultipleField("Cities", validators=[DataRequired("Choose at least one city.")], validate_choice=False)
    joined = DateField("Join date", validators=[InputRequired("Give the join date.")])
    decision = _decision()
    submit = SubmitField("Add members")


class WithdrawForm(FlaskForm):
    left = DateField("Leave date", validators=[InputRequired("Give the leave date.")])
    decision = _decision()
    submit = SubmitField("Withdraw")


class BudgetForm(FlaskForm):
    """The total budget as text (``520000.00`` or ``520 000,00``): parsed to cents, never a float."""

    budget = StringField("Total budget (EUR)", validators=[DataRequired("Give the budget.")])
    effective = DateField("Effective from", validators=[Optional()], description="Leave empty for today.")
    decision = _decision()
    submit = SubmitField("Change budget")


class RuleForm(FlaskForm):
    rule = SelectField("Allocation rule", choices=[("equal", "Equal shares"), ("population", "By population")])
    population_year = SelectField("Population year", coerce=int, validators=[Optional()])
    effective = DateField("Effective from", validators=[Optional()], description="Leave empty for today.")
    decision = _decision()
    submit = SubmitField("Change rule")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        years = available_years()
        self.population_year.choices = [(y, str(y)) for y in reversed(years)]
        if self.population_year.data is None:
            self.population_year.data = years[-1]


class QueryForm(FlaskForm):
    query = TextAreaField("BQL query", validators=[DataRequired("Write a query.")], default=EXAMPLE_QUERY)
    submit = SubmitField("Run query")


class ImportForm(FlaskForm):
    ledger = FileField(".beancount file", validators=[FileRequired("Choose a .beancount file.")])
    submit = SubmitField("Import")


# -- administration (portal.views.admin) -----------------------------------------------------------
class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (roles), not a multi-select list."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _some_role(form: FlaskForm, field: CheckboxesField) -> None:
    """Like DataRequired, minus its ``required`` flag: on checkboxes it would make a browser demand them all."""
    if not field.data:
        raise StopValidation("Choose at least one role.")


class ApproveForm(FlaskForm):
    """Roles for a user. The city is not a field here unless the provider vouched for none (admins only)."""

    roles = CheckboxesField("Roles", validators=[_some_role], validate_choice=False)
    city = SelectField("City", validators=[Optional()], validate_choice=False,
                       description="The provider vouches for no city: choose the user's municipality.")
    submit = SubmitField("Save")


class InvitationForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired("Give the email address."), Length(max=320)])
    city = SelectField("City", validate_choice=False)
    role = SelectField("Role", validate_choice=False)
    submit = SubmitField("Invite")


class ActionForm(FlaskForm):
    """A button that changes something (disable, re-enable, revoke): only the CSRF token."""
