"""The core's words in the page's language: rule labels, the policy, each change's summary (portal.projects.wording)."""

from __future__ import annotations

import datetime as dt

from portal.costs import services as costs
from portal.projects import services


def _page(client, path: str, language: str) -> str:
    return client.get(path, headers={"Accept-Language": language}).get_data(as_text=True)


def test_the_rule_policy_and_recent_changes_in_finnish_and_swedish(as_lead, loaded) -> None:
    with loaded.app_context():
        services.add_members("iam", ["091"], joined=dt.date(2026, 6, 1), decision="x", actor="t")
        costs.add_charge("iam", city="638", amount=12_50, date=dt.date(2026, 3, 1), text="devices", actor="t")
    fi, sv, en = (_page(as_lead, "/p/iam/", lang) for lang in ("fi", "sv", "en"))
    assert "tasaosuudet" in fi and "koko kausi" in fi
    assert "Helsinki (091) liittyy 1.6.2026" in fi and "Porvoo (638) veloitettu 12,50\u00a0€: devices" in fi
    assert "lika andelar" in sv and "Helsinki (091) ansluter sig 1.6.2026" in sv
    # English shows the summary as it was recorded, word for word.
    assert "Helsinki (091) joins on 2026-06-01" in en and "whole-term" in en


def test_a_change_page_and_the_rules_page_word_the_rule(as_lead, loaded) -> None:
    with loaded.app_context():
        event_id = costs.set_rule("iam", rule="population", population_year=2025, effective=dt.date(2027, 1, 1), actor="t").event.id
    fi = _page(as_lead, f"/p/iam/changes/{event_id}", "fi")
    assert "Jakosääntö 1.1.2027 alkaen: asukasluvun mukaan (2025)" in fi
    assert "asukasluvun mukaan (2025)" in _page(as_lead, "/p/iam/rules", "fi")
    assert "Rule from 2027-01-01: population (2025)" in _page(as_lead, f"/p/iam/changes/{event_id}", "en")


def test_a_summary_the_wording_cannot_read_keeps_what_was_recorded(loaded) -> None:
    from flask_babel import force_locale

    from portal.projects import wording

    with loaded.test_request_context(headers={"Accept-Language": "fi"}), force_locale("fi"):
        broken = {"summary": "Something old", "op": {"kind": "rule-set", "params": {}, "effective": "2026-01-01"}}
        assert wording.summary(broken) == "Something old"
        assert wording.summary({"summary": "Imported", "op": {"kind": "ledger-imported", "params": {}}}) == "Imported"
        assert wording.rule_text("hybrid 40 % equal / 60 % population (2025), 1 cap(s), 0 floor(s)") == \
            "40 % tasan, 60 % asukasluvun mukaan (2025), ylärajoja: 1, alarajoja: 0"


# -- the records whose values are their details: imports, invoices, payments, documents ----------------
def _recorded(app) -> dict[str, object]:
    """One real record of each such kind, made by the services that record them."""
    from portal.accounting import services as accounting
    from portal.audit import AuditEvent
    from portal.billing import issuing
    from portal.billing import payments as pay
    from portal.documents import services as documents
    from portal.extensions import db
    from tests.common.billing import invoices, with_seller
    from tests.common.pdf import make_pdf
    from tests.portal.accounting.test_services import PAYMENTS
    from tests.portal.billing.camtgen import camt

    with app.app_context():
        accounting.import_file("iam", PAYMENTS, filename="feb.beancount", actor="acc")
        accounting.revert("iam", 1, actor="acc", reason="twice")
        with_seller()
        issuing.issue("iam", year=2025, date=dt.date(2025, 1, 15), terms=30, actor="acc")
        [porvoo] = [i for i in invoices() if i.code == "638"]
        pay.import_file("iam", camt([("J1", f"{porvoo.total_cents / 100:.2f}", porvoo.reference), ("J2", "5.00", None)]), actor="acc")
        pdf = make_pdf()
        document = documents.attach("iam", pdf, filename="a.pdf", title="Agreement 2025", kind="agreement", actor="lead")
        documents.attach("iam", make_pdf(title="other"), filename="b.pdf", title="Decision", kind="decision", actor="lead", change=1)
        documents.withdraw("iam", document.id, reason="the wrong version", actor="lead")
        documents.sign("iam", "638", signer="Mayor Pia", signed_on=dt.date(2025, 2, 1), actor="lead")
        events = db.session.query(AuditEvent).order_by(AuditEvent.id).all()
        found: dict[str, object] = {}
        for event in events:
            key = event.action + (" to a change" if event.details.get("change") else "")
            found.setdefault(key, event)
        db.session.expunge_all()
        return found


def test_imports_invoices_payments_and_documents_worded_from_their_records(loaded) -> None:
    from portal.projects import wording

    records = _recorded(loaded)

    def worded(action: str, language: str) -> str:
        with loaded.test_request_context(headers={"Accept-Language": language}):
            return wording.summary(records[action])

    expected = {
        "ledger-imported": ("Tiedostosta feb.beancount tuotu tapahtumia 2 (tuonti 1)",
                            "2 transaktioner importerade från feb.beancount (import 1)"),
        "ledger-import-reverted": ("Tuonti 1 (feb.beancount) peruttu: tapahtumia käännetty 2",
                                   "Import 1 (feb.beancount) återförd: 2 transaktioner vända"),
        "document-attached": ("Asiakirja ”Agreement 2025” (sopimus, 1 kB) liitetty",
                              "Dokumentet ”Agreement 2025” (avtal, 1 kB) bifogat"),
        "document-withdrawn": ("Asiakirja ”Agreement 2025” vedetty pois: the wrong version",
                               "Dokumentet ”Agreement 2025” återkallat: the wrong version"),
        "agreement-signed": ("Porvoo (638) allekirjoitti sopimuksen 1.2.2025 (Mayor Pia)",
                             "Porvoo (638) undertecknade avtalet 1.2.2025 (Mayor Pia)"),
    }
    for action, (fi, sv) in expected.items():
        assert worded(action, "fi") == fi, action
        assert worded(action, "sv") == sv, action
        assert worded(action, "en") == records[action].details["summary"], action  # type: ignore[attr-defined]
    assert worded("document-attached to a change", "fi").endswith(" liitetty muutokseen 1")
    assert "(valtuuston päätös, " in worded("document-attached to a change", "fi")

    invoices = records["invoices-issued"].details  # type: ignore[attr-defined]
    first, last, total = invoices["invoices"][0]["number"], invoices["invoices"][-1]["number"], invoices["total"]
    fi_total = total.replace(".", ",")
    assert worded("invoices-issued", "fi").startswith(f"Vuoden 2025 laskut laadittu: {len(invoices['invoices'])} kpl, "
                                                      f"numerot {first}–{last}, yhteensä ")
    assert worded("invoices-issued", "fi").endswith(f"{fi_total[-6:]}\u00a0€")
    assert worded("invoices-issued", "sv").startswith("Fakturor för 2025 utfärdade: ")
    assert worded("invoices-issued", "en") == invoices["summary"]

    assert worded("payments-imported", "fi").startswith("Maksuja tuotu tiedostosta camt.054 MSG-1: 2 kpl, yhteensä ")
    assert worded("payments-imported", "sv").startswith("Betalningar importerade från camt.054 MSG-1: 2 st., totalt ")
    assert worded("payments-imported", "en") == records["payments-imported"].details["summary"]  # type: ignore[attr-defined]


def test_a_record_of_another_shape_keeps_its_english(loaded) -> None:
    from types import SimpleNamespace

    from portal.projects import wording

    with loaded.test_request_context(headers={"Accept-Language": "fi"}):
        for action, details in (("ledger-imported", {"filename": "x"}), ("invoices-issued", {"year": 2025, "invoices": []}),
                                ("payments-imported", {}), ("document-withdrawn", {"reason": "other"}),
                                ("document-attached", {"title": "t", "kind": "unknown", "size": 1})):
            record = SimpleNamespace(action=action, details={"summary": "As recorded", **details})
            assert wording.summary(record) == "As recorded", action


def test_an_import_on_its_change_page_in_finnish(as_lead, loaded) -> None:
    from portal.accounting import services as accounting
    from tests.portal.accounting.test_services import PAYMENTS

    with loaded.app_context():
        event_id = accounting.import_file("iam", PAYMENTS, filename="feb.beancount", actor="acc").event_id
    assert "Tiedostosta feb.beancount tuotu tapahtumia 2 (tuonti 1)" in _page(as_lead, f"/p/iam/changes/{event_id}", "fi")
    assert "Imported 2 transactions from feb.beancount (import 1)" in _page(as_lead, f"/p/iam/changes/{event_id}", "en")
