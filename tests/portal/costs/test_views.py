"""Cost-sharing pages through the test client: rules, budget years and policy, closed years, direct
charges and joining fees, funding and hours; who may read and who may change them.

Real database (SQLite, and PostgreSQL when configured), the demo project, CSRF on. A refused change
must leave the audit log and the ledger exactly as they were (``state`` is unchanged).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ledger import municipalities as M
from portal import clock
from portal.audit import AuditEvent
from portal.costs import services as costs
from portal.extensions import db
from portal.projects import services as changes
from tests.common.demo import shares_now, state
from tests.common.web import cents, csrf, login, submit_change, table

CHANGE = re.compile(r"/p/(?:iam|staff)/changes/(\d+)")

# Every change form: (page, form prefix, a valid post) — what a contact must be refused.
FORMS = [
    ("rules", "rule", {"kind": "equal", "effective": "2027-01-01"}),
    ("budget", "year", {"year": "2027", "amount": "1.00"}),
    ("budget", "policy", {"policy": "pro-rata"}),
    ("budget", "settings", {"leaver": "stops", "joiner": "catch-up"}),
    ("budget", "close", {"year": "2025", "confirm": "y"}),
    ("charges", "charge", {"city": "638", "date": "2026-04-02", "amount": "10.00", "text": "devices"}),
    ("charges", "fee", {"tiers": "after=1.00", "population_year": "2025"}),
    ("funding", "grant", {"year": "2026", "amount": "10.00", "text": "EU"}),
    ("funding", "subsidy", {"key": "state", "rate": "45.00", "text": "state subsidy"}),
    ("funding", "hours", {"key": "state", "person": "Aino", "date": "2026-03-01", "task": "dev", "hours": "1"}),
]


def post(client, page: str, which: str, fields: dict, slug: str = "iam"):
    """Post form ``which`` of ``page`` with its CSRF token and prefixed fields."""
    data = {f"{which}-{k}": v for k, v in fields.items()}
    data[f"{which}-csrf_token"] = csrf(client, f"/p/{slug}/{page}", which)
    return submit_change(client, f"/p/{slug}/{page}/{which}", data)


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert CHANGE.fullmatch(response.headers["Location"])
    return client.get(response.headers["Location"]).get_data(as_text=True)


def refused(loaded, response, status: int, message: str, before) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[-3000:]
    assert message in html
    # The service's or the parser's refusal above the form, or a field's own error beside it.
    assert ('data-testid="form-error"' in html and "Nothing was changed." in html) or 'class="field-error"' in html
    assert state(loaded) == before
    return html


def text(html: str) -> str:
    """The page's text without tags, spaces normalised (non-breaking spaces kept)."""
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", "", html))


# -- reading -----------------------------------------------------------------------------------------
def test_anonymous_is_sent_to_log_in(client, loaded) -> None:
    for url in ("/p/iam/rules", "/p/iam/budget", "/p/iam/charges", "/p/iam/funding"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_contact_reads_the_pages_without_forms(as_contact, loaded) -> None:
    home = as_contact.get("/p/iam/").get_data(as_text=True)
    for testid in ("nav-rules", "nav-budget", "nav-charges", "nav-funding"):
        assert f'data-testid="{testid}"' in home
    assert 'data-testid="nav-settings"' not in home

    rules = as_contact.get("/p/iam/rules")
    html = rules.get_data(as_text=True)
    assert rules.status_code == 200
    assert "Consortium agreement 15.12.2024 § 5" in html and "demo loader" in html
    assert re.search(r'data-testid="governs">2025–2029<', html)
    assert "<form" in html and 'data-testid="rule-form"' not in html  # only the logout form

    budget = as_contact.get("/p/iam/budget").get_data(as_text=True)
    assert 'data-testid="budget-total">520\u00a0000,00\u00a0€<' in budget
    assert "whole-term" in budget and "-form" not in budget
    for page in ("charges", "funding"):
        html = as_contact.get(f"/p/iam/{page}").get_data(as_text=True)
        assert "-form" not in html


@pytest.mark.parametrize("page, which, fields", FORMS)
def test_contact_cannot_change(as_contact, loaded, page, which, fields) -> None:
    before = state(loaded)
    token = csrf(as_contact, "/p/iam/")  # the logout form's token is a valid session token
    data = {f"{which}-{k}": v for k, v in fields.items()} | {f"{which}-csrf_token": token, "csrf_token": token}
    assert submit_change(as_contact, f"/p/iam/{page}/{which}", data).status_code == 403
    assert state(loaded) == before


def test_accountant_records_charges_and_hours_but_sets_no_rule(as_accountant, loaded) -> None:
    charges = as_accountant.get("/p/iam/charges").get_data(as_text=True)
    assert 'data-testid="charge-form"' in charges and 'data-testid="fee-form"' not in charges
    assert 'data-testid="rule-form"' not in as_accountant.get("/p/iam/rules").get_data(as_text=True)
    budget = as_accountant.get("/p/iam/budget").get_data(as_text=True)
    assert "-form" not in budget
    before = state(loaded)
    token = csrf(as_accountant, "/p/iam/charges", "charge")
    response = submit_change(as_accountant, "/p/iam/rules/rule", {"charge-csrf_token": token, "csrf_token": token, "rule-kind": "equal"})
    assert response.status_code == 403 and state(loaded) == before
    html = follow(as_accountant, post(as_accountant, "charges", "charge",
                                      {"city": "638", "date": "2026-04-02", "amount": "3480.00", "text": "own devices"}))
    assert "Porvoo (638) charged 3480.00 EUR: own devices" in html
    assert state(loaded)[2] == before[2] + 1


def test_unknown_form_is_404(as_lead, loaded) -> None:
    token = csrf(as_lead, "/p/iam/rules", "rule")
    assert as_lead.post("/p/iam/rules/nope", data={"rule-csrf_token": token}).status_code == 404
    assert as_lead.get("/p/nope/rules").status_code == 404


# -- rules ---------------------------------------------------------------------------------------------
def test_rule_form_defaults_to_the_first_day_of_this_year(as_lead, loaded) -> None:
    html = as_lead.get("/p/iam/rules").get_data(as_text=True)
    today = clock.today()
    assert f'value="{dt.date(today.year, 1, 1).isoformat()}"' in html
    assert '<option selected value="equal">' in html


def test_a_new_version_governs_from_its_year_on(as_lead, loaded) -> None:
    html = follow(as_lead, post(as_lead, "rules", "rule", {
        "kind": "hybrid", "population_year": "2025", "base_percent": "40", "effective": "2027-01-01", "decision": "KV 9/2026"}))
    assert "Rule from 2027-01-01: hybrid 40 % equal / 60 % population (2025) (was equal)" in html and "KV 9/2026" in html
    assert sum(shares_now(loaded).values()) == 52_000_000
    rules = as_lead.get("/p/iam/rules").get_data(as_text=True)
    assert re.findall(r'data-testid="governs">([^<]*)<', rules) == ["2027–2029", "2025–2026"]
    assert "KV 9/2026" in rules and "lead &lt;lead@https://idp.test&gt;" in rules


def test_fixed_percentages_per_member_and_caps_and_floors(as_lead, loaded) -> None:
    codes = sorted(shares_now(loaded))
    lines = "\n".join(f"{c}={'20' if c == '638' else '5'}" for c in codes)  # 20 + 16 x 5 = 100
    html = follow(as_lead, post(as_lead, "rules", "rule", {
        "kind": "fixed", "percentages": lines, "caps": "638=90 000,00", "floors": "106=20000", "effective": "2025-01-01"}))
    assert "fixed 106 5 %" in html
    new = shares_now(loaded)
    assert sum(new.values()) == 52_000_000 and new["638"] == 9_000_000 and new["106"] >= 2_000_000
    rules = text(as_lead.get("/p/iam/rules").get_data(as_text=True))
    assert "caps: Porvoo (638) 90\u00a0000,00\u00a0€" in rules and "floors: Hyvinkää (106) 20\u00a0000,00\u00a0€" in rules
    form = as_lead.get("/p/iam/rules").get_data(as_text=True)
    assert 'value="90000.00"' in form and 'value="20"' in form  # the form's rows start from the version in force


@pytest.mark.parametrize("fields, message", [
    ({"kind": "fixed", "percentages": "638=50\n106=25", "effective": "2026-01-01"}, "the percentages sum to 75 %, not exactly 100 %"),
    ({"kind": "fixed", "percentages": "638 50", "effective": "2026-01-01"}, "line 1: &#39;638 50&#39; is not CODE=VALUE"),
    ({"kind": "equal", "caps": "638=abc", "effective": "2026-01-01"}, "the cap of 638 &#39;abc&#39; is not a number"),
    ({"kind": "equal", "caps": "091=10.00", "effective": "2026-01-01"}, "the caps name non-members: 091"),
    ({"kind": "hybrid", "population_year": "2025", "base_percent": "140", "effective": "2026-01-01"}, "between 0 and 100"),
    ({"kind": "equal", "effective": "2031-01-01"}, "outside the project&#39;s years"),
    ({"kind": "equal", "effective": "soon"}, "is not a date (YYYY-MM-DD)"),
])
def test_bad_rule_is_a_form_error(as_lead, loaded, fields, message) -> None:
    before = state(loaded)
    refused(loaded, post(as_lead, "rules", "rule", fields), 400, message, before)


def test_caps_below_what_the_members_must_pay_are_refused(as_lead, loaded) -> None:
    before = state(loaded)
    caps = "\n".join(f"{c}=1000.00" for c in shares_now(loaded))  # 17 x 1,000.00 < 520,000.00
    refused(loaded, post(as_lead, "rules", "rule", {"kind": "equal", "caps": caps, "effective": "2025-01-01"}), 400,
            "the caps can hold at most", before)


# -- budget, policy, closed years ------------------------------------------------------------------
def test_budget_page_sets_a_year_and_the_policy(as_lead, loaded) -> None:
    page = as_lead.get("/p/iam/budget").get_data(as_text=True)
    assert "whenever it joined" in page and "by the days they were members" in page  # each policy explained
    html = follow(as_lead, post(as_lead, "budget", "year", {"year": "2027", "amount": "120 000,00", "decision": "KV 2/2027"}))
    assert "Budget 2027 set to 120000.00 EUR (was 110000.00)" in html
    assert sum(shares_now(loaded).values()) == 53_000_000
    page = as_lead.get("/p/iam/budget").get_data(as_text=True)
    assert 'data-testid="budget-total">530\u00a0000,00\u00a0€<' in page and "KV 2/2027" in page
    html = follow(as_lead, post(as_lead, "budget", "policy", {"policy": "pro-rata", "decision": "KV 3/2027"}))
    assert "Policy changed from whole-term to pro-rata" in html
    assert 'data-testid="policy"><strong>pro-rata</strong>' in as_lead.get("/p/iam/budget").get_data(as_text=True)
    assert sum(shares_now(loaded).values()) == 53_000_000

    before = state(loaded)
    refused(loaded, post(as_lead, "budget", "policy", {"policy": "pro-rata"}), 409, "the policy is pro-rata already", before)
    refused(loaded, post(as_lead, "budget", "year", {"year": "2027", "amount": "-5"}), 400, "must not be negative", before)
    refused(loaded, post(as_lead, "budget", "year", {"year": "2027", "amount": "1.234"}), 400, "more than two decimals", before)
    refused(loaded, post(as_lead, "budget", "year", {"year": "2031", "amount": "1.00"}), 400, "not one of the project&#39;s years", before)


def test_closing_a_year_needs_confirmation_then_refuses_changes_in_it(as_lead, loaded) -> None:
    before = state(loaded)
    refused(loaded, post(as_lead, "budget", "close", {"year": "2025"}), 400, "Confirm that the year is to be closed.", before)
    html = follow(as_lead, post(as_lead, "budget", "close", {"year": "2025", "confirm": "y", "decision": "Accounts 2025 approved"}))
    assert "Year 2025 closed" in html and "Accounts 2025 approved" in html
    page = as_lead.get("/p/iam/budget").get_data(as_text=True)
    assert 'data-testid="closed-2025"' in page and 'data-testid="closed">2025<' in page
    # no longer offered for closing (with no other past year open, the form is not shown at all)
    assert '<option value="2025">' not in [*page.split('data-testid="close-form"'), ""][1]

    before, old = state(loaded), shares_now(loaded)
    refused(loaded, post(as_lead, "budget", "year", {"year": "2025", "amount": "1.00"}), 409,
            "2025 is closed: a new budget for 2025 would change what was assessed for it", before)
    refused(loaded, post(as_lead, "rules", "rule", {"kind": "equal", "effective": "2025-06-01"}), 409,
            "2025 is closed: a rule taking effect on 2025-06-01", before)
    refused(loaded, post(as_lead, "charges", "charge", {"city": "638", "date": "2025-04-02", "amount": "10.00", "text": "x"}), 409,
            "2025 is closed: a charge dated 2025-04-02", before)
    refused(loaded, post(as_lead, "funding", "grant", {"year": "2025", "amount": "10.00", "text": "EU"}), 409,
            "2025 is closed: funding for 2025", before)
    token = csrf(as_lead, "/p/iam/budget", "policy")  # the close form is no longer shown; the session's token is the same
    again = submit_change(as_lead, "/p/iam/budget/close", {"close-year": "2025", "close-confirm": "y", "close-csrf_token": token})
    assert again.status_code == 409 and state(loaded) == before  # refused by the core ("2025 is closed already")
    assert shares_now(loaded) == old


def test_a_change_after_closing_shows_what_the_closed_year_kept(as_lead, loaded) -> None:
    follow(as_lead, post(as_lead, "budget", "close", {"year": "2025", "confirm": "y"}))
    response = submit_change(as_lead, "/p/iam/members/add", {
        "csrf_token": csrf(as_lead, "/p/iam/members/add"), "cities": ["091"], "joined": "2026-06-01", "decision": "KV 5/2026"})
    html = follow(as_lead, response)
    event_id = int(CHANGE.fullmatch(response.headers["Location"]).group(1))
    with loaded.app_context():
        blocked = {b["city"]: b for b in db.session.get(AuditEvent, event_id).details["blocked"]}
    assert set(blocked) == set(shares_now(loaded))  # under whole-term, every 2025 amount would move
    porvoo = blocked["638"]
    assert porvoo["kept"] == "4705.88" or porvoo["kept"] == "4705.89"
    page = text(html)
    assert 'data-testid="blocked"' in html and "Closed years kept their amounts" in page
    kept, would = (f"{cents(f'{x}€') // 100:,}".replace(",", "\u00a0") for x in (porvoo["kept"], porvoo["would_be"]))
    assert re.search(rf"2025 is closed: kept {kept},\d\d\u00a0€ for Porvoo \(638\); the rules would now give {would},\d\d\u00a0€", page)
    assert "2025 is closed: kept 80\u00a0000,00\u00a0€ in all; the rules would now give 80\u00a0000,00\u00a0€" in page

    explain = as_lead.get("/p/iam/cities/638/explain")
    page = text(explain.get_data(as_text=True))
    assert explain.status_code == 200 and 'data-testid="kept"' in explain.get_data(as_text=True)
    assert f"2025 is closed: the ledger keeps {kept}," in page and "the rules would now give" in page
    assert "data-kind=\"closed\"" in explain.get_data(as_text=True) and "data-kind=\"rounding\"" in explain.get_data(as_text=True)


# -- charges and joining fees ---------------------------------------------------------------------
def test_charges_show_in_the_shares_table_and_contacts_see_their_own(client, as_lead, loaded) -> None:
    follow(as_lead, post(as_lead, "charges", "charge", {"city": "638", "date": "2026-04-02", "amount": "3480.00", "text": "own devices"}))
    follow(as_lead, post(as_lead, "charges", "charge", {"city": "106", "date": "2026-05-02", "amount": "100.00", "text": "travel"}))
    page = as_lead.get("/p/iam/charges").get_data(as_text=True)
    rows = table(page, "charges")
    assert rows["638"][1:] == ["Porvoo (638)", "2026-04-02", "3\u00a0480,00\u00a0€", "own devices"] and rows["106"][4] == "travel"
    assert 'data-testid="charges-total">3\u00a0580,00\u00a0€<' in page

    shares = shares_now(loaded)
    html = as_lead.get("/p/iam/").get_data(as_text=True)
    members = table(html, "members")
    assert cents(members["638"][4]) == shares["638"] and cents(members["638"][5]) == 348_000
    assert cents(members["638"][6]) == shares["638"] + 348_000
    assert members["109"][5] == "–" and cents(members["109"][6]) == shares["109"]
    assert 'data-testid="total-charged">3\u00a0580,00\u00a0€<' in html
    assert 'data-testid="total-all">523\u00a0580,00\u00a0€<' in html and sum(shares.values()) == 52_000_000

    login(client, loaded, sub="porvoo", role="contact", city="638")
    own = client.get("/p/iam/charges").get_data(as_text=True)
    assert "own devices" in own and "travel" not in own and 'data-testid="charge-form"' not in own


@pytest.mark.parametrize("fields, status, message", [
    ({"city": "638", "date": "2026-04-02", "amount": "0", "text": "x"}, 400, "the charge must be whole cents above zero"),
    ({"city": "638", "date": "2026-04-02", "amount": "abc", "text": "x"}, 400, "is not a number"),
    ({"city": "638", "date": "2031-04-02", "amount": "1.00", "text": "x"}, 400, "outside the project&#39;s years"),
    ({"city": "091", "date": "2026-04-02", "amount": "1.00", "text": "x"}, 409, "Helsinki (091) is not a member"),
    ({"city": "638", "date": "2026-04-02", "amount": "1.00", "text": ""}, 400, "Say what the charge is for."),
])
def test_bad_charge_is_a_form_error(as_lead, loaded, fields, status, message) -> None:
    before = state(loaded)
    refused(loaded, post(as_lead, "charges", "charge", fields), status, message, before)


def test_joining_fee_tiers_charge_the_joiner(as_lead, loaded) -> None:
    before = state(loaded)
    refused(loaded, post(as_lead, "charges", "fee", {"tiers": "after=1.00\n2026-01-01=2.00", "population_year": "2025"}), 400,
            "tier 1 is open-ended but is not the last tier", before)
    refused(loaded, post(as_lead, "charges", "fee", {"tiers": "someday=1.00", "population_year": "2025"}), 400,
            "is not a date (YYYY-MM-DD)", before)
    html = follow(as_lead, post(as_lead, "charges", "fee", {"tiers": "2026-10-31=1.00\nafter=6.00", "population_year": "2025"}))
    assert "Joining fee: 1.00 EUR/resident until 2026-10-31, 6.00 EUR/resident after (2025 populations)" in html
    page = as_lead.get("/p/iam/charges").get_data(as_text=True)
    assert 'data-testid="tiers"' in page and "after 2026-10-31" in text(page)
    assert 'value="2026-10-31"' in page and 'value="6.00"' in page  # the form's rows show the tiers in force

    response = submit_change(as_lead, "/p/iam/members/add", {
        "csrf_token": csrf(as_lead, "/p/iam/members/add"), "cities": ["020"], "joined": "2026-12-01"})
    html = follow(as_lead, response)
    assert 'data-testid="change-charges"' in html and "joining fee" in html
    with loaded.app_context():
        line = next(s for s in changes.shares(changes.get_project("iam")) if s.code == "020")
        assert line.charged == M.lookup("020", 2025).population * 600
    charges_page = as_lead.get("/p/iam/charges").get_data(as_text=True)
    fees = table(charges_page, "fees")
    # every member pays by its own join date, the founders too, though the fee was set after they joined
    assert len(fees) == 18 and "joining fee" in fees["020"][3] and cents(fees["020"][2]) == M.lookup("020", 2025).population * 600


# -- funding ---------------------------------------------------------------------------------------
def test_grants_subsidies_and_hours(client, as_lead, loaded, monkeypatch) -> None:
    monkeypatch.setattr(clock, "today", lambda: dt.date(2027, 12, 31))  # the 2027 hours are then worked already
    funding = as_lead.get("/p/iam/funding").get_data(as_text=True)
    assert 'data-testid="hours-form"' not in funding and "Set up a subsidy before logging hours" in funding
    follow(as_lead, post(as_lead, "funding", "grant", {"year": "2026", "amount": "10000.00", "text": "EU Digital"}))
    html = follow(as_lead, post(as_lead, "funding", "grant", {"year": "2027", "amount": "1000.00", "text": "region", "target": "638"}))
    assert "Funding 2027 for Porvoo (638)&#39;s share: region, 1000.00 EUR" in html
    assert sum(shares_now(loaded).values()) == 52_000_000 - 1_000_000 - 100_000
    follow(as_lead, post(as_lead, "funding", "subsidy", {"key": "state", "rate": "45.00", "text": "state subsidy"}))
    follow(as_lead, post(as_lead, "funding", "hours", {"key": "state", "person": "Aino", "date": "2026-03-01", "task": "development", "hours": "7.5"}))
    follow(as_lead, post(as_lead, "funding", "hours", {"key": "state", "person": "Eero", "date": "2027-03-01", "task": "testing", "hours": "0,33"}))
    follow(as_lead, post(as_lead, "funding", "hours", {"key": "state", "person": "Aino", "date": "2027-03-02", "task": "testing", "hours": "2"}))

    page = as_lead.get("/p/iam/funding").get_data(as_text=True)
    assert 'data-testid="grants-total">11\u00a0000,00\u00a0€<' in page
    words = text(page)
    assert "Porvoo (638)'s share" in words or "Porvoo (638)&#39;s share" in words
    assert re.search(r'<tr data-year="2026"><td>2026</td><td class="num">7.5</td>', page)
    assert re.search(r'<tr data-year="2027"><td>2027</td><td class="num">2.33</td>', page)
    assert 'data-testid="hours-total">9.83<' in page
    assert re.search(r"<td>Aino</td><td class=\"num\">9.5</td>", page) and re.search(r"<td>Eero</td><td class=\"num\">0.33</td>", page)
    assert "442,35\u00a0€" in page  # 9.83 h x 45.00 EUR

    before = state(loaded)
    refused(loaded, post(as_lead, "funding", "hours", {"key": "state", "person": "Aino", "date": "2026-03-01", "task": "x", "hours": "25"}),
            400, "at most 24 hours", before)
    refused(loaded, post(as_lead, "funding", "hours", {"key": "nope", "person": "Aino", "date": "2026-03-01", "task": "x", "hours": "1"}),
            400, "no subsidy &#39;nope&#39;", before)
    refused(loaded, post(as_lead, "funding", "grant", {"year": "2026", "amount": "0", "text": "x"}), 400, "above zero", before)
    refused(loaded, post(as_lead, "funding", "subsidy", {"key": "x", "rate": "4.555", "text": "x"}), 400, "more than two decimals", before)

    login(client, loaded, sub="porvoo", role="contact", city="638")
    seen = client.get("/p/iam/funding").get_data(as_text=True)
    assert "EU Digital" in seen and 'data-testid="hours-total">9.83<' in seen
    assert 'data-testid="hours-by-person"' not in seen and "Eero" not in seen and "-form" not in seen


# -- CSRF ------------------------------------------------------------------------------------------
def test_post_without_csrf_token_is_refused(as_lead, loaded) -> None:
    before = state(loaded)
    response = submit_change(as_lead, "/p/iam/budget/year", {"year-year": "2027", "year-amount": "1.00"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    response = submit_change(as_lead, "/p/iam/charges/charge", {"charge-csrf_token": "forged", "charge-city": "638",
                                                          "charge-date": "2026-04-02", "charge-amount": "1.00", "charge-text": "x"})
    assert response.status_code == 400
    assert state(loaded) == before


# -- the worked example ----------------------------------------------------------------------------
def test_staff_costs_three_quarters_and_one_quarter_and_own_devices_charged_alone(client, loaded) -> None:
    # Staff costs 100,000.01 split 75 % / 25 %: 75,000.0075 and 25,000.0025; the cent left goes to
    # Porvoo (.75 > .25). Sipoo's own devices (3,480.00) and travel (412.35) are Sipoo's alone:
    # 25,000.00 + 3,892.35 = 28,892.35.
    with loaded.app_context():
        changes.create_project("staff", name="Shared staff 2025", years={2025: 10_000_001}, start=dt.date(2025, 1, 1),
                               end=dt.date(2025, 12, 31), rule="equal", actor="test")
        changes.add_members("staff", ["638", "753"], joined=dt.date(2025, 1, 1), decision="agreement 3.2.2025", actor="test")
    login(client, loaded, sub="lead", role="lead", city="638")
    html = follow(client, post(client, "rules", "rule", {
        "kind": "fixed", "percentages": "638=75\n753 = 25 %", "effective": "2025-01-01", "decision": "agreement 3.2.2025"}, slug="staff"))
    assert "fixed 638 75 % / 753 25 %" in html
    follow(client, post(client, "charges", "charge", {"city": "753", "date": "2025-04-02", "amount": "3480.00", "text": "devices"}, slug="staff"))
    follow(client, post(client, "charges", "charge", {"city": "753", "date": "2025-09-15", "amount": "412,35", "text": "travel"}, slug="staff"))

    page = client.get("/p/staff/").get_data(as_text=True)
    rows = table(page, "members")
    assert cents(rows["638"][4]) == cents(rows["638"][6]) == 7_500_001 and rows["638"][5] == "–"  # no charge
    assert [cents(c) for c in rows["753"][4:7]] == [2_500_000, 389_235, 2_889_235]
    assert 'data-testid="total">100\u00a0000,01\u00a0€<' in page and 'data-testid="total-all">103\u00a0892,36\u00a0€<' in page

    explain = client.get("/p/staff/cities/753/explain").get_data(as_text=True)
    assert 'data-testid="explained-total">28\u00a0892,35\u00a0€<' in explain
    assert "devices, 3\u00a0480,00\u00a0€" in explain and "travel, 412,35\u00a0€" in explain
    rules = client.get("/p/staff/rules").get_data(as_text=True)
    assert re.findall(r'data-testid="governs">([^<]*)<', rules)[0] == "2025"


def test_accountant_cancels_a_charge_made_in_error(as_accountant, loaded) -> None:
    assert 'data-testid="cancel-form"' not in as_accountant.get("/p/iam/charges").get_data(as_text=True)  # nothing to cancel
    follow(as_accountant, post(as_accountant, "charges", "charge",
                               {"city": "638", "date": "2026-04-02", "amount": "3480.00", "text": "own devices"}))
    before = state(loaded)
    refused(loaded, post(as_accountant, "charges", "cancel", {"number": "1", "reason": ""}), 400,
            "Say why the charge is cancelled.", before)
    html = follow(as_accountant, post(as_accountant, "charges", "cancel", {"number": "1", "reason": "wrong city"}))
    assert "Charge 1 cancelled" in html and "wrong city" in html
    page = as_accountant.get("/p/iam/charges").get_data(as_text=True)
    assert 'data-cancelled="1"' in page and "(cancelled)" in page and 'data-testid="cancel-form"' not in page
    assert 'data-testid="charges-total">0,00' in page


def test_contact_cannot_cancel_a_charge(as_contact, loaded) -> None:
    with loaded.app_context():
        costs.add_charge("iam", city="638", amount=100, date=dt.date(2026, 4, 2), text="x", actor="t")
    before = state(loaded)
    token = csrf(as_contact, "/p/iam/")  # the logout form's token is a valid session token
    response = submit_change(as_contact, "/p/iam/charges/cancel", {"cancel-csrf_token": token, "csrf_token": token,
                                                              "cancel-number": "1", "cancel-reason": "r"})
    assert response.status_code == 403 and state(loaded) == before


# -- the settings the agreements leave open -------------------------------------------------------
def test_settings_are_shown_on_the_rules_and_budget_pages_and_changed_on_the_budget_page(as_lead, loaded) -> None:
    for page in ("rules", "budget"):
        html = as_lead.get(f"/p/iam/{page}").get_data(as_text=True)
        assert 'data-testid="setting-leaver"><strong>keeps-years</strong>' in html
        assert 'data-testid="setting-joiner"><strong>open-years</strong>' in html
    html = follow(as_lead, post(as_lead, "budget", "settings", {"leaver": "stops", "joiner": "catch-up", "decision": "KH 4/2026"}))
    assert "Settings: leaver stops (was keeps-years), joiner catch-up (was open-years)" in html
    rules = as_lead.get("/p/iam/rules").get_data(as_text=True)
    assert 'data-testid="setting-leaver"><strong>stops</strong>' in rules and "stops sharing at once" in rules
    before = state(loaded)
    refused(loaded, post(as_lead, "budget", "settings", {"leaver": "stops", "joiner": "catch-up"}), 409, "already", before)
    refused(loaded, post(as_lead, "budget", "settings", {"leaver": "never", "joiner": "catch-up"}), 400, "Not a valid choice", before)


def test_a_leaver_under_each_setting(as_lead, loaded) -> None:
    """Lohja (444, joined 2026-01-01) leaves on 2026-12-31: it keeps 2025 and 2026, or, once ``stops`` is set, nothing."""
    response = submit_change(as_lead, "/p/iam/members/444/withdraw", {
        "csrf_token": csrf(as_lead, "/p/iam/members/444/withdraw"), "left": "2026-12-31", "decision": "Lohja KV 3/2026"})
    follow(as_lead, response)
    assert shares_now(loaded)["444"] == 1_352_941  # 13,529.41: its share of 2025 and 2026 among 17
    follow(as_lead, post(as_lead, "budget", "settings", {"leaver": "stops", "joiner": "open-years"}))
    now = shares_now(loaded)
    assert "444" not in now and sum(now.values()) == 52_000_000  # nothing assessed or charged: no longer listed


# -- defects of issue 12 ---------------------------------------------------------------------------
def test_close_year_offers_only_past_open_years(as_lead, loaded) -> None:
    page = as_lead.get("/p/iam/budget").get_data(as_text=True).split('data-testid="close-form"')[1]
    this = clock.today().year
    assert f'<option value="{this}">' not in page and f'<option value="{this + 1}">' not in page
    before = state(loaded)
    refused(loaded, post(as_lead, "budget", "close", {"year": str(this), "confirm": "y"}), 400,
            f"{this} is not over yet: only a past year can be closed", before)


def test_hours_for_a_date_ahead_are_refused(as_lead, loaded) -> None:
    follow(as_lead, post(as_lead, "funding", "subsidy", {"key": "state", "rate": "45.00", "text": "state subsidy"}))
    before = state(loaded)
    ahead = (clock.today() + dt.timedelta(days=400)).isoformat()
    refused(loaded, post(as_lead, "funding", "hours", {"key": "state", "person": "Aino", "date": ahead, "task": "dev", "hours": "1"}),
            400, "a date after today", before)


def test_a_new_total_keeps_the_years_proportions_and_honours_effective_from(as_lead, loaded) -> None:
    follow(as_lead, post(as_lead, "budget", "year", {"year": "2027", "amount": "80000.00"}))
    years = dict(projects_state(loaded).budget_map)
    token = csrf(as_lead, "/p/iam/settings", "budget")
    total = sum(years.values()) + 1_000_000  # 10 000,00 EUR more
    response = submit_change(as_lead, "/p/iam/settings", {"budget-budget": f"{total // 100}.{total % 100:02d}", "budget-effective": "2026-01-01",
                                                      "budget-csrf_token": token})
    follow(as_lead, response)
    after = dict(projects_state(loaded).budget_map)
    assert after[2025] == years[2025]  # before Effective from: kept
    assert sum(after.values()) == total
    moved = [y for y in after if y >= 2026]
    for y in moved:  # in proportion to what each year held, within a cent
        assert abs(after[y] - (years[y] + 1_000_000 * years[y] / sum(years[z] for z in moved))) <= 1


def projects_state(loaded):
    with loaded.app_context():
        return changes.state_for(changes.get_project("iam"))
