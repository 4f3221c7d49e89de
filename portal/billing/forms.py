"""Billing's forms: their shape only (lengths, required fields); every check digit is the services' to check."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.billing.texts import LANGUAGES
from portal.web import DayField, Form, NumberField

LANGUAGE_NAMES = {"fi": _l("Finnish"), "sv": _l("Swedish"), "en": _l("English")}


class SellerForm(Form):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=210)], description=_l("The lead city, e.g. Hämeenlinnan kaupunki"))
    business_id = StringField(_l("Business ID"), validators=[InputRequired(), Length(max=20)], description=_l("Y-tunnus, e.g. 0139797-8"))
    iban = StringField(_l("IBAN"), validators=[InputRequired(), Length(max=50)])
    bic = StringField(_l("BIC"), validators=[InputRequired(), Length(max=20)])
    einvoice_address = StringField(_l("E-invoice address"), validators=[Optional(), Length(max=60)],
                                   description=_l("OVT code (0037…) or Peppol ID (0216:0037…)"))
    operator = StringField(_l("E-invoice operator"), validators=[Optional(), Length(max=20)], description=_l("OVT-style ID or BIC"))
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)], description=_l("Street, post code and town: Raatihuone, 13100 Hämeenlinna"))
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=200)], description=_l("Who answers questions about the invoices"))


class SettingsForm(Form):
    instalments = NumberField(_l("Instalments a year"), validators=[InputRequired(), NumberRange(1, 12)])
    terms_days = NumberField(_l("Payment terms (days)"), validators=[InputRequired(), NumberRange(0, 365)])
    vat_rate = StringField(_l("VAT rate %"), validators=[InputRequired(), Length(max=10)], description=_l("0 for none (the default)"))
    vat_reason = StringField(_l("Why no VAT"), validators=[Optional(), Length(max=70)], description=_l("Printed on invoices with 0 % VAT"))
    reference_kind = SelectField(_l("Reference on the barcode and e-invoice"), choices=[("national", _l("national")), ("rf", "RF")])
    reference_prefix = NumberField(_l("Reference prefix"), validators=[InputRequired(), NumberRange(1, 99_999_999_999)])


class MemberForm(Form):
    """One member's details; the city is chosen before (by a link or the choice above the form), never inside it,
    so that the details shown are always the city's whose details are saved."""

    city = HiddenField(validators=[InputRequired()])
    name = StringField(_l("Official name"), validators=[Optional(), Length(max=210)], description=_l("e.g. Porvoon kaupunki"))
    business_id = StringField(_l("Business ID"), validators=[Optional(), Length(max=20)])
    einvoice_address = StringField(_l("E-invoice address"), validators=[Optional(), Length(max=60)])
    operator = StringField(_l("E-invoice operator"), validators=[Optional(), Length(max=20)])
    buyer_reference = StringField(_l("Buyer's reference or cost centre"), validators=[Optional(), Length(max=70)])
    email = StringField(_l("Email for PDF invoices"), validators=[Optional(), Length(max=320)])
    language = SelectField(_l("Invoice language"), choices=[(code, LANGUAGE_NAMES.get(code, code)) for code in LANGUAGES])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])


class IssueForm(Form):
    year = SelectField(_l("Budget year"), validators=[InputRequired()], choices=[])
    date = DayField(_l("Invoice date"), validators=[Optional()])
    due = DayField(_l("Due date"), validators=[Optional()], description=_l("Or give the payment terms"))
    terms = NumberField(_l("Payment terms (days)"), validators=[Optional(), NumberRange(0, 365)])


class ConfirmForm(Form):
    """The preview's Confirm: what was previewed, and the ledger posting it was computed on."""

    year = HiddenField(validators=[InputRequired()])
    date = HiddenField()
    due = HiddenField()
    terms = HiddenField()
    seq = HiddenField(validators=[InputRequired()])


class BankFileForm(Form):
    """A camt.054 or camt.053 file to import; what it holds is the services' to read."""

    file = FileField(_l("Bank file (camt.054 or camt.053)"), validators=[FileRequired(_l("Choose a bank file."))])


class PaymentForm(Form):
    """A payment typed by hand."""

    city = StringField(_l("Municipality code"), validators=[InputRequired(), Length(max=20)])
    amount = StringField(_l("Amount (EUR)"), validators=[InputRequired(), Length(max=30)])
    date = DayField(_l("Payment date"), validators=[InputRequired()])
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=40)])
    text = StringField(_l("Text"), validators=[Optional(), Length(max=500)])


class AllocateForm(Form):
    """Where an unallocated payment goes: an invoice, or a city (its oldest open invoices, the rest to its credit)."""

    invoice = NumberField(_l("Invoice number"), validators=[Optional(), NumberRange(1, 2_147_483_647)])
    city = StringField(_l("or municipality code"), validators=[Optional(), Length(max=20)])


class RemindForm(Form):
    """Issue a payment reminder (the invoice is in the address), with a fee if one is given (posted as a direct charge)."""

    fee = StringField(_l("Reminder fee (EUR)"), validators=[Optional(), Length(max=30)])
