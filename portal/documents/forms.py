"""The documents' forms (Flask-WTF: every form carries a CSRF token); shape only, never the rules.

Whether a file is a PDF within the size limit, whether a city may sign and whether a date is
reasonable is the service's call (``portal.documents.services``); the views show its refusal.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.documents.models import KINDS, SIGNER_LENGTH, TEXT_LENGTH, TITLE_LENGTH
from portal.web import DayField, Form, NumberField

KIND_LABELS = {"agreement": _l("Agreement"), "decision": _l("Council decision"), "other": _l("Other")}


class AttachForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the document a title.")), Length(max=TITLE_LENGTH)],
                        description=_l("For example “Consortium agreement” or “Porvoo city council 12.5.2025 § 41”."))
    kind = SelectField(_l("Kind"), choices=[(k, KIND_LABELS[k]) for k in KINDS], default="decision")
    change = NumberField(_l("Change number"), validators=[Optional(), NumberRange(min=1, message=_l("A change number is 1 or more."))],
                          description=_l("Leave empty to attach the document to the project itself."))
    file = FileField(_l("PDF file"), validators=[FileRequired(_l("Choose a PDF file."))])
    submit = SubmitField(_l("Attach"))


class WithdrawDocumentForm(Form):
    reason = StringField(_l("Reason"), validators=[DataRequired(_l("Say why the document is withdrawn.")), Length(max=TEXT_LENGTH)],
                         description=_l("The document stays listed, marked as withdrawn, with this reason."))
    submit = SubmitField(_l("Withdraw"))


class SignForm(Form):
    # Choices are filled in by the view; the service, not the form, says whether a city may sign.
    city = SelectField(_l("Member city"), validate_choice=False)
    signer = StringField(_l("Signed for the city by"), validators=[DataRequired(_l("Give the signer's name and title.")),
                                                               Length(max=SIGNER_LENGTH)],
                         description=_l("Name and title, e.g. “Mayor Anna Virtanen”."))
    signed_on = DayField(_l("Date of signature"), validators=[InputRequired(_l("Give the date of the signature."))])
    decision = StringField(_l("Authorising decision"), validators=[Optional(), Length(max=TEXT_LENGTH)],
                           description=_l("The decision that authorised the signature, e.g. “City board 3.2.2025 § 12”."))
    document = SelectField(_l("Decision document"), validate_choice=False, description=_l("Optional: the decision as an attached PDF."))
    submit = SubmitField(_l("Record the signature"))
