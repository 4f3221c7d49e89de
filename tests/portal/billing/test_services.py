"""The parties of a project's invoices: the seller, the members' billing details, the settings (portal.billing.services)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ledger.errors import Conflict, InvalidInput, LedgerError, NotFound
from portal.audit import AuditEvent
from portal.billing import issuing
from portal.billing import services as billing
from portal.extensions import db
from tests.common.billing import PORVOO, SELLER, D, counts, with_seller


def test_the_seller_is_stored_normalised_and_audited(in_demo) -> None:
    seller = billing.set_seller("iam", actor="lead", **{**SELLER, "business_id": "01397978", "bic": "ndeafihh"})
    assert (seller.business_id, seller.iban, seller.bic) == ("0139797-8", "FI2112345600000785", "NDEAFIHH")
    assert seller.address == "Wetterhoffinkatu 2, 13100 Hämeenlinna" and seller.instalments == 1 and seller.terms_days == 21
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "billing-seller-set")).scalar_one()
    assert event.actor == "lead" and event.details["before"] == {} and event.details["after"]["business_id"] == "0139797-8"
    billing.set_seller("iam", actor="acc", **{**SELLER, "contact": "Aino"})
    latest = db.session.execute(select(AuditEvent).where(AuditEvent.action == "billing-seller-set").order_by(AuditEvent.id.desc())).scalars().first()
    assert latest.details["before"]["contact"] == SELLER["contact"] and latest.details["after"]["contact"] == "Aino"


WRONG_SELLER = [
    ("business_id", "0139797-9", r"wrong check digit \(expected 0139797-8\)"),
    ("iban", "FI21 1234 5600 0007 86", "IBAN"),
    ("bic", "NDEAFIXX1", "BIC"),
    ("bic", "OKOYFIHH", "does not belong to the bank"),
    ("iban", "DE89 3704 0044 0532 0130 00", "not Finnish"),
    ("einvoice_address", "003701397979", "wrong check digit"),
    ("operator", "0037123", "operator"),
    ("address", "Wetterhoffinkatu 2", "post code and town"),
]


def test_a_wrong_check_digit_or_shape_is_refused_and_nothing_changes(in_demo) -> None:
    with_seller()
    before = counts()
    seller = billing.seller_of(billing.get_seller_or_none("iam")[0])
    stored = (seller.business_id, seller.iban, seller.bic, seller.address)
    for field, value, message in WRONG_SELLER:
        with pytest.raises(InvalidInput, match=message):
            billing.set_seller("iam", actor="t", **{**SELLER, field: value})
        db.session.expire_all()
        assert counts() == before, field
        seller = billing.seller_of(billing.get_seller_or_none("iam")[0])
        assert (seller.business_id, seller.iban, seller.bic, seller.address) == stored


def test_the_sellers_business_id_cannot_change_once_invoices_were_issued_under_it(in_demo) -> None:
    with_seller()
    billing.set_seller("iam", actor="t", **{**SELLER, "business_id": "1061512-1"})  # a typo corrected before invoicing
    billing.set_seller("iam", actor="t", **SELLER)
    issuing.issue("iam", year=2025, actor="t", date=D(2025, 2, 1))
    with pytest.raises(Conflict, match="cannot change"):
        billing.set_seller("iam", actor="t", **{**SELLER, "business_id": "1061512-1"})


def test_a_members_details_are_set_piece_by_piece_and_cleared_with_an_empty_text(in_demo) -> None:
    with_seller()
    project = billing.get_seller_or_none("iam")[0]
    porvoo = billing.details(project, "638")
    assert (porvoo.name, porvoo.business_id, porvoo.language, porvoo.buyer_reference) == ("Porvoon kaupunki", "1061512-1", "sv", "KP 4410 ICT")
    billing.set_member("iam", city="638", actor="t", email="", language="en")
    porvoo = billing.details(project, "638")
    assert (porvoo.email, porvoo.language, porvoo.einvoice_address) == (None, "en", PORVOO["einvoice_address"])
    assert billing.details(project, "286") == billing.MemberDetails("286", "Kouvola", None, None, None, None, None, "fi", None)
    assert [m.code for m in billing.members(project)] == sorted(m.code for m in billing.members(project)) and len(billing.members(project)) == 17
    actions = [e.details for e in db.session.execute(select(AuditEvent).where(AuditEvent.action == "billing-member-set")).scalars()]
    assert actions[-1]["city"] == "638" and actions[-1]["before"]["language"] == "sv" and actions[-1]["after"]["language"] == "en"


def test_bad_member_details_are_refused_and_nothing_changes(in_demo) -> None:
    with_seller()
    before = counts()
    for given, message in [({"business_id": "1061512-2"}, "expected 1061512-1"), ({"email": "porvoo"}, "not an email address"),
                           ({"language": "de"}, "fi, sv, en"), ({"einvoice_address": "0216:003710615122"}, "wrong check digit"),
                           ({}, "at least one")]:
        with pytest.raises(InvalidInput, match=message):
            billing.set_member("iam", city="638", actor="t", **given)
        assert counts() == before, given
    assert billing.details(billing.get_seller_or_none("iam")[0], "638").business_id == PORVOO["business_id"]


def test_only_a_member_has_billing_details(in_demo) -> None:
    with pytest.raises(Conflict, match="not a member"):
        billing.set_member("iam", city="091", actor="t", email="x@example.org")
    with pytest.raises(NotFound):
        billing.set_member("nope", city="638", actor="t", email="x@example.org")


def test_settings_need_a_seller_and_valid_values(in_demo) -> None:
    with pytest.raises(Conflict, match="no seller"):
        billing.set_settings("iam", instalments=2, actor="t")
    with_seller()
    seller = billing.set_settings("iam", instalments=2, terms_days=30, vat="25,5", vat_reason="", reference_kind="rf", actor="t")
    assert (seller.instalments, seller.terms_days, seller.vat_rate, seller.vat_reason, seller.reference_kind) == (2, 30, "25.5", None, "rf")
    for bad in ({"instalments": 0}, {"terms_days": 400}, {"vat": "25.555"}, {"vat": "abc"}, {"reference_kind": "iso"},
                {"reference_prefix": 0}, {}):
        before = counts()
        with pytest.raises(LedgerError):
            billing.set_settings("iam", actor="t", **bad)
        assert counts() == before


def test_an_unknown_invoice_number_is_not_found(in_demo) -> None:
    project = billing.get_seller_or_none("iam")[0]
    with pytest.raises(NotFound, match="no invoice 99"):
        billing.find_invoice(project, 99)
