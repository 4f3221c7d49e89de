"""The account administration's forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.models import Invitation
from portal.extensions import column_length
from portal.web import Form

# The roles' words on the page; the values stay the stored codes (in English the word is the code).
ROLE_LABELS = {"contact": _l("contact"), "lead": _l("lead"), "accountant": _l("accountant"), "admin": _l("admin")}


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (roles), not a multi-select list."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _some_role(form: Form, field: CheckboxesField) -> None:
    """Like DataRequired, minus its ``required`` flag: on checkboxes it would make a browser demand them all."""
    if not field.data:
        raise StopValidation(_("Choose at least one role."))


class ApproveForm(Form):
    """Roles for a user. The city is not a field here unless the provider vouched for none (admins only)."""

    roles = CheckboxesField(_l("Roles"), validators=[_some_role], validate_choice=False)
    city = SelectField(_l("City"), validators=[Optional()], validate_choice=False,
                       description=_l("The provider vouches for no city: choose the user's municipality."))
    submit = SubmitField(_l("Save"))


class InvitationForm(Form):
    email = StringField(_l("Email"), validators=[DataRequired(_l("Give the email address.")), Length(max=column_length(Invitation.email))])
    city = SelectField(_l("City"), validate_choice=False)
    role = SelectField(_l("Role"), validate_choice=False)
    submit = SubmitField(_l("Invite"))


class ActionForm(Form):
    """A button that changes something (disable, re-enable, revoke): only the CSRF token."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
