"""The account administration's forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.models import Invitation
from portal.extensions import column_length
from portal.web import Form


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (roles), not a multi-select list."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _some_role(form: Form, field: CheckboxesField) -> None:
    """Like DataRequired, minus its ``required`` flag: on checkboxes it would make a browser demand them all."""
    if not field.data:
        raise StopValidation("Choose at least one role.")


class ApproveForm(Form):
    """Roles for a user. The city is not a field here unless the provider vouched for none (admins only)."""

    roles = CheckboxesField("Roles", validators=[_some_role], validate_choice=False)
    city = SelectField("City", validators=[Optional()], validate_choice=False,
                       description="The provider vouches for no city: choose the user's municipality.")
    submit = SubmitField("Save")


class InvitationForm(Form):
    email = StringField("Email", validators=[DataRequired("Give the email address."), Length(max=column_length(Invitation.email))])
    city = SelectField("City", validate_choice=False)
    role = SelectField("Role", validate_choice=False)
    submit = SubmitField("Invite")


class ActionForm(Form):
    """A button that changes something (disable, re-enable, revoke): only the CSRF token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
