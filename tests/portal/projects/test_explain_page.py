"""The explanation an official can read (issue 12): first a short summary in words with the city's
own numbers (the division, the remaining cents and why the city got one or not, funding and direct
charges), city names rather than codes, amounts in the Finnish way; the full steps folded below."""

from __future__ import annotations

import datetime as dt
import re

from portal.costs import services as costs

D = dt.date
NBSP = "\u00a0"


def _main(html: str) -> str:
    return html[html.index("<main"):]


def _text(html: str, testid: str) -> str:
    part = html.split(f'data-testid="{testid}">')[1].split("</p>")[0]
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", "", part)).strip()  # keeps the no-break spaces


def test_equal_shares_summary_divides_and_says_why_the_city_got_no_cent(as_lead, loaded) -> None:
    html = _main(as_lead.get("/p/iam/cities/638/explain").get_data(as_text=True))
    assert _text(html, "summary").startswith(f"In short: Porvoo pays 30{NBSP}588,23{NBSP}€ in all")
    formula = _text(html, "summary-formula")
    assert formula.startswith(f"520{NBSP}000,00{NBSP}€ ÷ 17 members = 30{NBSP}588,2353{NBSP}€.") and "Whole term" in formula
    rounding = _text(html, "summary-rounding")
    assert "leave 9 cents over" in rounding and "Porvoo (638) did not receive one" in rounding
    assert "lower municipality codes first" in rounding
    assert html.index('data-testid="summary-rounding"') < html.index("<details")
    assert "<details open" not in html  # the full steps are folded
    steps = html.split('data-testid="steps"')[1].split("</ol>")[0]
    assert "Porvoo 0.058824" in steps and "638 0.058824" not in steps and "Members: Hyvinkää from 2025-06-01" in steps
    received = _text(_main(as_lead.get("/p/iam/cities/106/explain").get_data(as_text=True)), "summary-rounding")
    assert "Hyvinkää (106) received one of them" in received


def test_funding_and_charges_are_in_the_summary(as_lead, loaded) -> None:
    with loaded.app_context():
        costs.add_grant("iam", year=2026, amount=1_700_000, text="EU Digital", actor="test")
        costs.add_charge("iam", city="638", amount=50_000, date=D(2026, 3, 1), text="training", actor="test")
    html = _main(as_lead.get("/p/iam/cities/638/explain").get_data(as_text=True))
    summary = _text(html, "summary")
    assert f"funding took 1{NBSP}000,00{NBSP}€ off it" in summary and f"direct charges of 500,00{NBSP}€" in summary
    assert _text(html, "summary-formula").startswith(f"503{NBSP}000,00{NBSP}€ ÷ 17 members")
    assert 'data-testid="mismatch"' not in html


def test_a_population_rule_from_a_later_year_gives_the_city_part(as_lead, loaded) -> None:
    with loaded.app_context():
        costs.set_rule("iam", rule="population", population_year=2025, actor="test", decision="board 1/2026",
                       effective=D(2026, 1, 1))
    html = _main(as_lead.get("/p/iam/cities/638/explain").get_data(as_text=True))
    formula = _text(html, "summary-formula")
    assert formula.startswith("Porvoo's part of the 520") and " %: " in formula.replace(NBSP, " ")
    assert re.search(r"(received one of them|did not receive one)", _text(html, "summary-rounding"))


def test_finnish_summary(as_contact, loaded) -> None:
    html = _main(as_contact.get("/p/iam/cities/638/explain", headers={"Accept-Language": "fi"}).get_data(as_text=True))
    assert _text(html, "summary").startswith(f"Lyhyesti: Porvoo maksaa yhteensä 30{NBSP}588,23{NBSP}€")
    assert f"÷ 17 jäsentä = 30{NBSP}588,2353{NBSP}€" in _text(html, "summary-formula")
    assert "Porvoo (638) ei saanut senttiä" in _text(html, "summary-rounding")


def test_population_and_hybrid_rules_over_the_whole_term_name_the_residents(as_lead, loaded) -> None:
    with loaded.app_context():
        costs.set_rule("iam", rule="population", population_year=2025, actor="test", effective=D(2025, 1, 1))
    html = _main(as_lead.get("/p/iam/cities/638/explain").get_data(as_text=True))
    formula = _text(html, "summary-formula")
    assert f"520{NBSP}000,00{NBSP}€ × 51{NBSP}863 residents of Porvoo ÷ 998{NBSP}250 residents of all members (2025)" in formula
    assert f"= 27{NBSP}016,0381{NBSP}€" in formula and "Porvoo received one of them" in _text(html, "summary-rounding")
    assert html.split("<h1>")[1].split("</h1>")[0].endswith(f"27{NBSP}016,04{NBSP}€")
    with loaded.app_context():
        costs.set_rule("iam", rule="hybrid", population_year=2025, base_percent=30, actor="test", effective=D(2025, 1, 1))
    formula = _text(_main(as_lead.get("/p/iam/cities/638/explain").get_data(as_text=True)), "summary-formula")
    assert formula.startswith(f"30{NBSP}% of 520{NBSP}000,00{NBSP}€ is split equally between the 17 members")
