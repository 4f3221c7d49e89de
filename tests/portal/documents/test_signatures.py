"""Recording signatures: the agreement's status as members sign, join, leave and rejoin; refusals store nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ledger.errors import Conflict, InvalidInput, NotFound
from portal import clock
from portal.documents import services as documents
from portal.projects import services as projects
from tests.common.pdf import make_pdf, stored

D = dt.date
TODAY = D(2026, 12, 1)


@pytest.fixture
def small(app, monkeypatch):
    """A project of Porvoo, Sipoo and Akaa from 1.1.2025, today being 1.12.2026, inside the app's context."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    with app.app_context():
        projects.create_project("iam", name="IAM", start=D(2025, 1, 1), end=D(2029, 12, 31), budget=500_000_00, actor="t")
        projects.add_members("iam", ["638", "753", "020"], joined=D(2025, 1, 1), decision="", actor="t")
        yield app


def status():
    return documents.agreement_of(projects.get_project("iam"))


def sign(code: str, on: dt.date, **kw):
    return documents.sign("iam", code, signer=kw.pop("signer", "Mayor"), signed_on=on, actor="t", **kw)


def test_the_agreement_comes_into_force_when_the_last_member_signs(small) -> None:
    assert status().sentence == "Not in force: waiting for the signatures of Akaa, Porvoo, Sipoo."
    sign("638", D(2025, 2, 1), signer="Mayor Anna Virtanen", decision="City board 20.1.2025 § 4")
    sign("753", D(2025, 2, 20))
    assert status().sentence == "Not in force: waiting for the signatures of Akaa."
    sign("20", D(2025, 3, 1))   # codes as people type them
    found = status()
    assert found.status.in_force and found.status.since == D(2025, 3, 1)
    assert found.sentence == "Agreement in force since 1.3.2025."
    assert [(line.row.city_code, line.accession, line.party) for line in found.signatures] == [
        ("638", False, True), ("753", False, True), ("020", False, True)]


def test_a_joiner_signs_an_accession_and_a_leaver_is_no_longer_a_party(small) -> None:
    for code in ("638", "753", "020"):
        sign(code, D(2025, 3, 1))
    projects.add_members("iam", ["286"], joined=D(2026, 1, 1), decision="", actor="t")
    assert status().sentence == "Not in force: waiting for the signatures of Kouvola."
    sign("286", D(2026, 2, 15))
    found = status()
    assert found.status.since == D(2026, 2, 15) and [line.accession for line in found.signatures] == [False, False, False, True]
    projects.withdraw_member("iam", "020", left=D(2026, 6, 30), decision="", actor="t")
    found = status()
    assert found.status.in_force and found.status.parties == ("286", "638", "753")
    assert [line.party for line in found.signatures if line.row.city_code == "020"] == [False]


def test_a_member_that_rejoins_signs_again(small) -> None:
    for code in ("638", "753", "020"):
        sign(code, D(2025, 3, 1))
    projects.withdraw_member("iam", "020", left=D(2025, 12, 31), decision="", actor="t")
    projects.add_members("iam", ["020"], joined=D(2026, 9, 1), decision="", actor="t")
    assert status().sentence == "Not in force: waiting for the signatures of Akaa."
    sign("020", D(2026, 9, 10))
    assert status().status.since == D(2026, 9, 10)


def test_a_future_joiner_is_listed_until_it_signs_ahead(small) -> None:
    for code in ("638", "753", "020"):
        sign(code, D(2025, 3, 1))
    projects.add_members("iam", ["405"], joined=D(2027, 1, 1), decision="", actor="t")
    assert status().sentence == "Agreement in force since 1.3.2025. Joining later and still to sign: Lappeenranta."
    row = sign("405", D(2026, 11, 20))
    assert row.period_joined == D(2027, 1, 1)
    assert status().sentence == "Agreement in force since 1.3.2025."


BAD = [
    ("999", D(2025, 3, 1), InvalidInput, "999"),
    ("091", D(2025, 3, 1), Conflict, "Helsinki (091) is not a member of IAM"),
    ("638", D(2025, 4, 1), Conflict, "Porvoo (638) has signed already for its membership from 1.1.2025: on 1.3.2025, by Mayor"),
    ("753", D(2026, 12, 2), InvalidInput, "cannot be dated in the future"),
    ("753", D(2023, 12, 31), InvalidInput, "more than a year before the term starts"),
]


def test_bad_signatures_are_refused_and_nothing_is_stored(small) -> None:
    sign("638", D(2025, 3, 1))
    before = stored(small)
    for code, on, kind, message in BAD:
        with pytest.raises(kind, match=re.escape(message)):
            sign(code, on)
    assert stored(small) == before


def test_a_signature_after_the_term_is_refused(small, monkeypatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: D(2030, 6, 1))
    with pytest.raises(InvalidInput, match=re.escape("the signature date 5.1.2030 is after the term ends (31.12.2029)")):
        sign("638", D(2030, 1, 5))


def test_a_signature_after_leaving_binds_for_nothing(small) -> None:
    projects.withdraw_member("iam", "020", left=D(2025, 12, 31), decision="", actor="t")
    before = stored(small)
    with pytest.raises(Conflict, match=r"Akaa \(020\) left IAM on 31.12.2025"):
        sign("020", D(2026, 2, 1))
    sign("020", D(2025, 2, 1))   # what it signed while a member can be recorded later
    assert stored(small)[1] == before[1] + 1


def test_an_empty_signer_is_refused(small) -> None:
    before = stored(small)
    with pytest.raises(InvalidInput, match="give the signer's name and title"):
        sign("638", D(2025, 3, 1), signer="  ")
    assert stored(small) == before


def test_the_authorising_decision_may_be_an_attached_document_that_stands(small) -> None:
    document = documents.attach("iam", make_pdf(), filename="porvoo.pdf", title="Porvoo 20.1.2025 § 4", kind="decision", actor="t")
    row = sign("638", D(2025, 3, 1), decision="City board 20.1.2025 § 4", document_id=document.id)
    assert row.document_id == document.id
    documents.withdraw("iam", document.id, reason="wrong file", actor="t")
    before = stored(small)
    with pytest.raises(Conflict, match="has been withdrawn"):
        sign("753", D(2025, 3, 1), document_id=document.id)
    with pytest.raises(NotFound):
        sign("753", D(2025, 3, 1), document_id=document.id + 10)
    assert stored(small) == before


def test_the_agreement_as_json(small) -> None:
    sign("638", D(2025, 3, 1), signer="Mayor Anna Virtanen", decision="KH 20.1.2025 § 4")
    body = documents.agreement_json(projects.get_project("iam"))
    assert body["in_force"] is False and body["since"] is None
    assert [m["city"] for m in body["missing"]] == ["020", "753"]
    assert body["signed"] == [{"city": "638", "name": "Porvoo", "signer": "Mayor Anna Virtanen", "date": "2025-03-01",
                               "decision": "KH 20.1.2025 § 4", "document": None, "accession": False, "party": True,
                               "membership_from": "2025-01-01"}]
