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
