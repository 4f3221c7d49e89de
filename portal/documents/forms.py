"""The documents' forms (Flask-WTF: every form carries a CSRF token); shape only, never the rules.

Whether a file is a PDF within the size limit, whether a city may sign and whether a date is
reasonable is the service's call (``portal.documents.services``); the views show its refusal.
"""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.documents.models import KINDS, SIGNER_LENGTH, TEXT_LENGTH, TITLE_LENGTH
from portal.web import DayField, Form, NumberField

KIND_LABELS = {"agreement": "Agreement", "decision": "Council decision", "other": "Other"}


class AttachForm(Form):
    title = StringField("Title", validators=[DataRequired("Give the document a title."), Length(max=TITLE_LENGTH)],
                        description="For example “Consortium agreement” or “Porvoo city council 12.5.2025 § 41”.")
    kind = SelectField("Kind", choices=[(k, KIND_LABELS[k]) for k in KINDS], default="decision")
    change = NumberField("Change number", validators=[Optional(), NumberRange(min=1, message="A change number is 1 or more.")],
                          description="Leave empty to attach the document to the project itself.")
    file = FileField("PDF file", validators=[FileRequired("Choose a PDF file.")])
    submit = SubmitField("Attach")


class WithdrawDocumentForm(Form):
    reason = StringField("Reason", validators=[DataRequired("Say why the document is withdrawn."), Length(max=TEXT_LENGTH)],
                         description="The document stays listed, marked as withdrawn, with this reason.")
    submit = SubmitField("Withdraw")


class SignForm(Form):
    # Choices are filled in by the view; the service, not the form, says whether a city may sign.
    city = SelectField("Member city", validate_choice=False)
    signer = StringField("Signed for the city by", validators=[DataRequired("Give the signer's name and title."),
                                                               Length(max=SIGNER_LENGTH)],
                         description="Name and title, e.g. “Mayor Anna Virtanen”.")
    signed_on = DayField("Date of signature", validators=[InputRequired("Give the date of the signature.")])
    decision = StringField("Authorising decision", validators=[Optional(), Length(max=TEXT_LENGTH)],
                           description="The decision that authorised the signature, e.g. “City board 3.2.2025 § 12”.")
    document = SelectField("Decision document", validate_choice=False, description="Optional: the decision as an attached PDF.")
    submit = SubmitField("Record the signature")
