"""The costs JSON API: the budget by year, the rule versions and the years they govern, yearly shares."""

from __future__ import annotations

from tests.common.web import strict_json


def test_costs_and_yearly_shares(as_contact) -> None:
    body = strict_json(as_contact.get("/api/v1/projects/iam/costs"))
    assert body["policy"] == "whole-term" and body["total"] == "520000.00"
    assert body["budget"] == {"2025": "80000.00", "2026": "150000.00", "2027": "110000.00", "2028": "100000.00", "2029": "80000.00"}
    assert body["rules"][0]["kind"] == "equal" and body["rules"][0]["years"] == [2025, 2026, 2027, 2028, 2029]
    shares = strict_json(as_contact.get("/api/v1/projects/iam/shares"))
    porvoo = next(s for s in shares if s["city"] == "638")
    assert sum(int(v.replace(".", "")) for v in porvoo["years"].values()) == int(porvoo["share"].replace(".", ""))
    assert porvoo["charged"] == "0.00" and porvoo["total"] == porvoo["share"]
