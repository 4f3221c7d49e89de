"""The parties of a project's invoices and how it invoices: the seller, each member's billing details, the settings.

Every identifier is checked by its check digits where it is typed (``portal.billing.parties``:
business IDs, IBAN and BIC, e-invoice addresses and operators) and stored normalised; a wrong
digit is refused with a message naming the expected one, and nothing is changed. Every change
writes an audit record with what was before and what is after, in the same transaction.

Issuing invoices is :mod:`portal.billing.issuing`; reading and printing them :mod:`portal.billing.documents`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from sqlalchemy import func, select

from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, NotFound, Word
from ledger.invoicing import check_instalments
from portal import audit
from portal.billing import texts
from portal.billing.invoice import PaymentAccount, VatExemption, format_address, parse_address
from portal.billing.models import Counter, Invoice, MemberBilling, Seller
from portal.billing.parties import normalize_business_id, parse_einvoice_address, parse_operator_id
from portal.clock import utcnow
from portal.extensions import db
from portal.projects.models import Project
from portal.projects.services import get_project, state_for

EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+$")
REFERENCE_KINDS = ("national", "rf")
MAX_TERMS_DAYS = 365
SELLER_FIELDS = ("name", "business_id", "iban", "bic", "einvoice_address", "operator", "address", "contact")
SETTING_FIELDS = ("instalments", "terms_days", "vat_rate", "vat_reason", "reference_kind", "reference_prefix")
MEMBER_FIELDS = ("name", "business_id", "einvoice_address", "operator", "buyer_reference", "email", "language", "address")


class MemberDetails(NamedTuple):
    """A member's billing details as an invoice uses them: the stored ones, or the defaults."""

    code: str
    name: str
    business_id: str | None
    einvoice_address: str | None
    operator: str | None
    buyer_reference: str | None
    email: str | None
    language: str
    address: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self._asdict())


# -- checks of what is typed ---------------------------------------------------------------------
def _text(value: str | None, what: str, low: int, high: int) -> str | None:
    text = " ".join(str(value or "").split())
    if not text:
        return None
    if not low <= len(text) <= high:
        raise InvalidInput("%(what)s '%(text)s' must have %(low)s to %(high)s characters", what=what, text=text, low=low, high=high)
    return text


def _address(value: str | None) -> str | None:
    return format_address(parse_address(value)) if value and value.strip() else None


def _einvoice(value: str | None) -> str | None:
    return parse_einvoice_address(value).address if value and value.strip() else None


def _operator(value: str | None) -> str | None:
    return parse_operator_id(value).value if value and value.strip() else None


def _business_id(value: str | None) -> str | None:
    return normalize_business_id(value) if value and value.strip() else None


def _email(value: str | None) -> str | None:
    email = (value or "").strip()
    if email and (not EMAIL.match(email) or len(email) > 320):
        raise InvalidInput("%(email)r is not an email address", email=email)
    return email or None


def vat_rate(value: object) -> Decimal:
    """A VAT percentage, 0 to 99.99 with at most two decimals (``25.5``; ``25,5`` is read the same)."""
    try:
        rate = Decimal(str(value).strip().rstrip("%").strip().replace(",", "."))
    except InvalidOperation:
        raise InvalidInput("VAT rate %(value)r is not a number (write it like 25.5)", value=value) from None
    if not rate.is_finite() or not 0 <= rate < 100 or rate != rate.quantize(Decimal("0.01")):
        raise InvalidInput("VAT rate %(value)s %% must be from 0 to 99.99 with at most two decimals", value=value)
    return rate


def _terms(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TERMS_DAYS:
        raise InvalidInput("payment terms must be 0 to %(most)s days (got %(value)r)", most=MAX_TERMS_DAYS, value=value)
    return value


# -- the seller and the settings -----------------------------------------------------------------
def seller_of(project: Project) -> Seller | None:
    found: Seller | None = db.session.execute(select(Seller).where(Seller.project_id == project.id)).scalar_one_or_none()
    return found


def required_seller(project: Project) -> Seller:
    """The project's seller; invoicing cannot start without one."""
    seller = seller_of(project)
    if seller is None:
        raise Conflict("project %(slug)r has no seller yet: set it first (portal billing seller %(name)s …)", slug=project.slug,
                       name=project.slug)
    return seller


def _snapshot(row: object, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields} if row is not None else {}


def _issued_under(project: Project, business_id: str) -> bool:
    query = select(func.count()).select_from(Invoice).where(Invoice.project_id == project.id, Invoice.seller_key == business_id)
    return bool(db.session.scalar(query))


def _seller_values(name: str, business_id: str, iban: str, bic: str, einvoice_address: str | None, operator: str | None,
                   address: str | None, contact: str | None) -> dict[str, Any]:
    account = PaymentAccount(iban, bic)  # IBAN and BIC checked, and the BIC against the IBAN's bank
    if not account.iban.startswith("FI"):
        raise InvalidInput("IBAN %(iban)s is not Finnish: the invoices' bank barcode needs a Finnish account", iban=account.iban)
    return {"name": _text(name, Word("the seller's name"), 2, 210), "business_id": normalize_business_id(business_id),
            "iban": account.iban, "bic": account.bic, "einvoice_address": _einvoice(einvoice_address),
            "operator": _operator(operator), "address": _address(address), "contact": _text(contact, Word("the contact"), 1, 200)}


def set_seller(slug: str, *, name: str, business_id: str, iban: str, bic: str, einvoice_address: str | None = None,
               operator: str | None = None, address: str | None = None, contact: str | None = None, actor: str) -> Seller:
    """Set the project's seller (the lead city); every identifier checked, the change audited."""
    try:
        project = get_project(slug)
        values = _seller_values(name, business_id, iban, bic, einvoice_address, operator, address, contact)
        if not values["name"]:
            raise InvalidInput("give the seller's name")
        seller = seller_of(project)
        before = _snapshot(seller, SELLER_FIELDS)
        if seller is not None and seller.business_id != values["business_id"] and _issued_under(project, seller.business_id):
            raise Conflict("invoices were issued under business ID %(business_id)s; the seller's business ID cannot change now",
                           business_id=seller.business_id)
        if seller is None:
            seller = Seller(project_id=project.id, instalments=1, terms_days=21, vat_rate="0", reference_kind="national",
                            reference_prefix=1)
            db.session.add(seller)
        for key, value in values.items():
            setattr(seller, key, value)
        seller.updated_at, seller.updated_by = utcnow(), actor
        if db.session.get(Counter, values["business_id"]) is None:
            db.session.add(Counter(seller_key=values["business_id"], last_number=0))
        audit.record(actor, "billing-seller-set", {"project": slug, "before": before, "after": values}, project_id=project.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return seller


def _setting_values(instalments: int | None, terms_days: int | None, vat: object | None, vat_reason: str | None,
                    reference_kind: str | None, reference_prefix: int | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if instalments is not None:
        values["instalments"] = check_instalments(instalments)
    if terms_days is not None:
        values["terms_days"] = _terms(terms_days)
    if vat is not None:
        values["vat_rate"] = str(vat_rate(vat))
    if vat_reason is not None:
        values["vat_reason"] = _text(vat_reason, Word("the VAT reason"), 1, 70)
        if values["vat_reason"]:
            VatExemption("O", values["vat_reason"])
    if reference_kind is not None:
        if reference_kind not in REFERENCE_KINDS:
            raise InvalidInput("reference kind %(kind)r must be national or rf", kind=reference_kind)
        values["reference_kind"] = reference_kind
    if reference_prefix is not None:
        if isinstance(reference_prefix, bool) or not isinstance(reference_prefix, int) or not 1 <= reference_prefix <= 99_999_999_999:
            raise InvalidInput("the reference prefix must be a whole number from 1 to 11 digits (got %(value)r)", value=reference_prefix)
        values["reference_prefix"] = reference_prefix
    return values


def set_settings(slug: str, *, instalments: int | None = None, terms_days: int | None = None, vat: object | None = None,
                 vat_reason: str | None = None, reference_kind: str | None = None, reference_prefix: int | None = None,
                 actor: str) -> Seller:
    """How the project invoices: instalments a year, payment terms, VAT rate and reason, the reference kind."""
    try:
        project = get_project(slug)
        seller = required_seller(project)
        values = _setting_values(instalments, terms_days, vat, vat_reason, reference_kind, reference_prefix)
        if not values:
            raise InvalidInput("name at least one setting to change")
        before = _snapshot(seller, SETTING_FIELDS)
        for key, value in values.items():
            setattr(seller, key, value)
        seller.updated_at, seller.updated_by = utcnow(), actor
        audit.record(actor, "billing-settings-set", {"project": slug, "before": before, "after": _snapshot(seller, SETTING_FIELDS)},
                     project_id=project.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return seller


# -- the members ---------------------------------------------------------------------------------
def _member_values(given: dict[str, str | None]) -> dict[str, Any]:
    checks = {"name": lambda v: _text(v, Word("the member's name"), 2, 210), "business_id": _business_id, "einvoice_address": _einvoice,
              "operator": _operator, "buyer_reference": lambda v: _text(v, Word("the buyer's reference"), 1, 70), "email": _email,
              "language": texts.check_language, "address": _address}
    return {key: checks[key](value) for key, value in given.items() if value is not None}


def set_member(slug: str, *, city: str, actor: str, **given: str | None) -> MemberBilling:
    """Set some of a member's billing details (``None``: leave as it is; ``""``: clear it)."""
    unknown = sorted(set(given) - set(MEMBER_FIELDS))
    if unknown:
        raise InvalidInput("unknown billing details: %(fields)s", fields=", ".join(unknown))
    try:
        project = get_project(slug)
        code = M.lookup(city).code
        if state_for(project).member(code) is None:
            raise Conflict("%(city)s is not a member of %(project)s", city=f"{M.lookup(code).name} ({code})", project=project.name)
        values = _member_values(given)
        if not values:
            raise InvalidInput("give at least one billing detail to set")
        row = _member_row(project, code)
        before = _snapshot(row, MEMBER_FIELDS)
        if row is None:
            row = MemberBilling(project_id=project.id, code=code, language="fi")
            db.session.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at, row.updated_by = utcnow(), actor
        audit.record(actor, "billing-member-set", {"project": slug, "city": code, "before": before,
                                                   "after": _snapshot(row, MEMBER_FIELDS)}, project_id=project.id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return row


def _member_row(project: Project, code: str) -> MemberBilling | None:
    row: MemberBilling | None = db.session.execute(
        select(MemberBilling).where(MemberBilling.project_id == project.id, MemberBilling.code == code)).scalar_one_or_none()
    return row


def details(project: Project, code: str) -> MemberDetails:
    """A member's billing details: what is stored, the municipality's name and Finnish where nothing is."""
    row = _member_row(project, code)
    name = (row.name if row else None) or M.lookup(code).name
    if row is None:
        return MemberDetails(code, name, None, None, None, None, None, "fi", None)
    return MemberDetails(code, name, row.business_id, row.einvoice_address, row.operator, row.buyer_reference, row.email,
                         row.language, row.address)


def members(project: Project) -> list[MemberDetails]:
    """Every member's billing details (current and former members), by code."""
    return [details(project, code) for code in state_for(project).codes()]


def get_seller_or_none(slug: str) -> tuple[Project, Seller | None]:
    project = get_project(slug)
    return project, seller_of(project)


def find_invoice(project: Project, number: int) -> Invoice:
    """Invoice ``number`` of the project (refused as not found when it is another project's or none)."""
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidInput("invoice number %(number)r must be a whole number", number=number)
    invoice: Invoice | None = db.session.execute(
        select(Invoice).where(Invoice.project_id == project.id, Invoice.number == number)).scalar_one_or_none()
    if invoice is None:
        raise NotFound("project %(slug)r has no invoice %(number)s", slug=project.slug, number=number)
    return invoice
