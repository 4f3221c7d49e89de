"""The rules of what a request may carry (``portal.web``): the crashers measured on the web in issue 9
(a NUL byte in a text or in the address, ``1e1000000`` on the money forms, ids beyond the databases'
integer) are now a 4xx with a clear message, and change nothing; every form is a ``portal.web.Form``."""

from __future__ import annotations

import importlib
import io
import pkgutil

import pytest
from flask_wtf import FlaskForm

import portal
from portal.web import Form
from tests.common.fuzz import counts
from tests.common.web import csrf, login, submit_change

MONEY = [  # (page, form, the amount's field, the other fields)
    ("charges", "charge", "amount", {"city": "638", "date": "2026-04-02", "text": "devices"}),
    ("budget", "year", "amount", {"year": "2027"}),
    ("funding", "grant", "amount", {"year": "2026", "text": "EU"}),
    ("funding", "subsidy", "rate", {"key": "state", "text": "state subsidy"}),
]


def post(client, page: str, which: str, fields: dict):
    data = {f"{which}-{k}": v for k, v in fields.items()}
    data[f"{which}-csrf_token"] = csrf(client, f"/p/iam/{page}", which)
    return submit_change(client, f"/p/iam/{page}/{which}", data)


def refused(response, status: int, message: str) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[-2000:]
    assert message in html and "Traceback" not in html
    return html


@pytest.mark.parametrize("page, which, field, fields", MONEY)
def test_money_forms_refuse_what_is_not_an_amount(as_lead, loaded, page, which, field, fields) -> None:
    before = counts(loaded)
    for amount in ("1e1000000", "1_000", "١٠٠", "NaN", "9" * 5000):
        refused(post(as_lead, page, which, {**fields, field: amount}), 400, "is not a number (write it like 520000.00")
    assert counts(loaded) == before


def test_a_control_character_in_a_text_is_a_form_error(as_lead, loaded) -> None:
    before = counts(loaded)
    for text in ("a\x00b", "esc\x1b[31m", "two\nlines"):
        refused(post(as_lead, "charges", "charge", {"city": "638", "date": "2026-04-02", "amount": "1.00", "text": text}),
                400, "holds a control character")
        refused(post(as_lead, "charges", "charge", {"city": "638", "date": "2026-04-02", "amount": "1.00", "text": "ok",
                                                    "decision": text}), 400, "holds a control character")
    assert counts(loaded) == before


def test_text_areas_take_line_ends_but_no_nul(as_lead, loaded) -> None:
    before = counts(loaded)
    refused(post(as_lead, "charges", "fee", {"tiers": "after=1.00\x00", "population_year": "2025"}), 400,
            "holds a control character")
    assert counts(loaded) == before
    ok = post(as_lead, "charges", "fee", {"tiers": "2026-01-01=0.50\r\nafter=1.00", "population_year": "2025"})
    assert ok.status_code == 302


def test_years_and_dates_are_in_ascii_digits(as_lead, loaded) -> None:
    before = counts(loaded)
    for year in ("²⁰²⁶", "2_026", "٢٠٢٦"):
        refused(post(as_lead, "budget", "year", {"year": year, "amount": "1.00"}), 400, "is not a year (write it like 2025)")
    for date in ("２０２６-04-02", "2026-4-2", "2026-02-30", "20260402"):
        refused(post(as_lead, "charges", "charge", {"city": "638", "date": date, "amount": "1.00", "text": "x"}), 400,
                "is not a date (YYYY-MM-DD)")
    assert counts(loaded) == before


def test_a_nul_or_control_character_in_the_address_is_a_400(as_contact) -> None:
    for url in ("/p/ia%00m/", "/p/iam/cities/6%0038", "/p/iam/what-if?join=%00", "/api/v1/projects/i%00am/shares", "/p/iam/?x=%1b"):
        response = as_contact.get(url)
        assert response.status_code == 400 and "control character" in response.get_data(as_text=True), url
        if url.startswith("/api/"):
            assert response.mimetype == "application/problem+json"


def test_ids_beyond_the_databases_integer_are_no_page(client, loaded) -> None:
    login(client, loaded, sub="admin", role="admin", city="109")
    for url in ("/p/iam/changes/99999999999999999999", "/p/iam/changes/2147483648", "/p/iam/changes/١",
                "/admin/users/9223372036854775808", "/p/iam/changes/" + "9" * 5000):
        assert client.get(url).status_code == 404, url
    assert client.get("/p/iam/changes/2147483647").status_code == 404  # within range: looked up, and not there


def test_a_revoke_beyond_the_integer_range_is_no_page(client, loaded) -> None:
    login(client, loaded, sub="admin", role="admin", city="109")
    token = csrf(client, "/admin/invitations")
    assert client.post("/admin/invitations/99999999999999999999/revoke", data={"csrf_token": token}).status_code == 404


def test_an_email_longer_than_its_column_is_a_form_error(client, loaded) -> None:
    login(client, loaded, sub="admin", role="admin", city="109")
    before = counts(loaded)
    response = client.post("/admin/invitations", data={"csrf_token": csrf(client, "/admin/invitations"),
                                                      "email": "x" * 310 + "@example.fi", "city": "638", "role": "contact"})
    refused(response, 400, "Field cannot be longer than 320 characters.")
    assert counts(loaded) == before


def test_an_upload_named_with_a_nul_is_a_form_error(as_accountant, loaded) -> None:
    before = counts(loaded)
    payment = b'2026-02-01 open Assets:Bank EUR\n\n2026-02-15 * "Porvoo" "Pays"\n  Assets:Bank  1.00 EUR\n' \
              b"  Assets:Receivable:Members:Porvoo-638  -1.00 EUR\n"
    response = as_accountant.post("/p/iam/import", data={"csrf_token": csrf(as_accountant, "/p/iam/import"),
                                                          "ledger": (io.BytesIO(payment), "pay\x00.beancount")},
                                  content_type="multipart/form-data")
    refused(response, 400, "the file&#39;s name holds a control character")
    assert counts(loaded) == before


def test_every_form_is_a_portal_form() -> None:
    """So that every form takes only text a person may type (``portal.web.Form``)."""
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        if info.name.endswith(".forms"):
            importlib.import_module(info.name)

    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("portal.")]
    assert len(ours) >= 15 and [c for c in ours if not issubclass(c, Form)] == []
