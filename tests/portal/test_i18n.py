"""The page's language: the user's choice (remembered), else the browser's Accept-Language, else Finnish."""

from __future__ import annotations

import re


def lang(page: str) -> str:
    match = re.search(r'<html lang="([a-z]+)">', page)
    assert match, page[:200]
    return match.group(1)


def test_finnish_when_the_browser_names_no_language(client) -> None:
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    page = client.get("/login").get_data(as_text=True)
    assert lang(page) == "fi" and "Kirjaudu sisään" in page


def test_the_browsers_language_when_the_portal_has_it(client) -> None:
    assert lang(client.get("/login", headers={"Accept-Language": "sv-FI,sv;q=0.9"}).get_data(as_text=True)) == "sv"
    assert lang(client.get("/login", headers={"Accept-Language": "de, en;q=0.5"}).get_data(as_text=True)) == "en"
    assert lang(client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)) == "fi"


def test_the_users_choice_is_remembered_and_wins(client) -> None:
    answer = client.get("/language/sv?next=/accessibility")
    assert answer.status_code == 303 and answer.headers["Location"] == "/accessibility"
    assert "Max-Age=31536000" in answer.headers["Set-Cookie"]
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert lang(page) == "sv" and "Logga in" in page
    assert 'href="/language/fi?next=/login" lang="fi"' in page


def test_the_switch_goes_back_to_this_site_only_and_ignores_unknown_languages(client) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = client.get("/language/fi", query_string={"next": target})
        assert answer.headers["Location"] == "/", target
    assert "Set-Cookie" not in client.get("/language/de?next=/").headers


# -- formats by locale (portal.formats, the template filters) ---------------------------------------
import datetime as dt  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from beancount.core.amount import Amount  # noqa: E402
from flask_wtf import FlaskForm  # noqa: E402
from wtforms import IntegerField, StringField  # noqa: E402
from wtforms.validators import DataRequired  # noqa: E402

from ledger.errors import InvalidInput  # noqa: E402
from ledger.money import parse_amount  # noqa: E402
from portal import formats  # noqa: E402


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_amounts_dates_and_times_are_written_the_finnish_way_in_every_language(app, language) -> None:
    with app.test_request_context("/", headers={"Accept-Language": language}):
        assert formats.locale_name() == f"{language}_FI"
        assert formats.eur(3058824) == "30\u00a0588,24\u00a0€" and formats.eur(-100) == "-1,00\u00a0€"
        assert formats.date(dt.date(2026, 12, 1)) == "1.12.2026"
        assert formats.datetime(dt.datetime(2026, 12, 1, 18, 55)) == "1.12.2026 20.55"  # stored UTC, shown in Helsinki
        assert formats.datetime(dt.datetime(2026, 7, 1, 18, 55)) == "1.7.2026 21.55"    # summer time
        page = app.jinja_env.from_string("{{ 3058824|eur }} {{ d|fi_date }}").render(d=dt.date(2026, 12, 1))
        assert page == "30\u00a0588,24\u00a0€ 1.12.2026"


@pytest.mark.parametrize("typed", ["530 000,00", "530\u00a0000,00", "530\u202f000,00", "530000.00", "530000,00 €"])
def test_amounts_are_read_with_spaces_of_every_kind_and_either_decimal_mark(typed) -> None:
    assert parse_amount(typed) == 53_000_000


@pytest.mark.parametrize("typed", ["1e6", "NaN", "Infinity", "-Infinity", "1_000", "٣٠"])
def test_exponents_and_not_a_numbers_are_refused_with_a_hint(typed) -> None:
    with pytest.raises(InvalidInput, match=re.escape("is not a number (write it like 520000.00 or 520 000,00")):
        parse_amount(typed, what="the budget")


def test_a_budget_form_takes_a_finnish_amount_and_refuses_an_exponent(as_lead, loaded) -> None:
    from tests.portal.costs.test_views import post
    for typed in ("1e6", "NaN", "Infinity"):
        refused = post(as_lead, "budget", "year", {"year": "2026", "amount": typed})
        assert refused.status_code == 400 and "is not a number (write it like 520000.00 or 520 000,00)" in \
            refused.get_data(as_text=True), typed
    done = post(as_lead, "budget", "year", {"year": "2026", "amount": "150\u202f000,00"})
    assert done.status_code == 302, done.get_data(as_text=True)[-2000:]


def test_spreadsheet_csv_for_finnish_excel() -> None:
    body = formats.spreadsheet_csv(["city", "amount", "day"], [["Hämeenlinna", Amount(Decimal("20661.27"), "EUR"),
                                                                dt.date(2026, 12, 1)], ["Porvoo", Decimal("-5"), None]], "fi")
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, so Excel does not guess a legacy code page
    assert body.decode("utf-8-sig") == "city;amount;day\r\nHämeenlinna;20661,27;1.12.2026\r\nPorvoo;-5;\r\n"
    english = formats.spreadsheet_csv(["amount"], [[Amount(Decimal("20661.27"), "EUR")]], "en").decode("utf-8-sig")
    assert english == "amount\r\n20661.27\r\n"


class _Shape(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired()])
    count = IntegerField("Count")


@pytest.mark.parametrize("language, required, integer", [
    ("fi", "Pakollinen.", "Ei ole kelvollinen kokonaisluku"),
    ("sv", "Det här fältet är obligatoriskt.", "Inte ett giltigt heltal"),
    ("en", "This field is required.", "Not a valid integer value."),
])
def test_wtforms_own_messages_are_in_the_pages_language(app, language, required, integer) -> None:
    with app.test_request_context("/", method="POST", data={"name": "", "count": "x"},
                                  headers={"Accept-Language": language}):
        form = _Shape()
        assert not form.validate()
        assert form.name.errors == [required] and form.count.errors[0].startswith(integer)


@pytest.mark.parametrize("language, title, statement", [
    ("fi", "Kirjaudu sisään", "Palvelu täyttää WCAG 2.1 -kriteeristön A- ja AA-tason vaatimukset osittain."),
    ("sv", "Logga in", "Tjänsten uppfyller delvis kraven på nivå AA i WCAG 2.1."),
    ("en", "Log in", "The service is partially conformant with WCAG 2.1 level AA."),
])
def test_the_pages_and_the_statement_in_each_language(client, language, title, statement) -> None:
    headers = {"Accept-Language": language}
    login = client.get("/login", headers=headers).get_data(as_text=True)
    assert lang(login) == language and f"<h1>{title}</h1>" in login
    page = client.get("/accessibility", headers=headers).get_data(as_text=True)
    assert statement in page and "Etelä-Suomen aluehallintovirasto" in page and "saavutettavuusvaatimukset.fi" in page
    assert "PORTAL_ACCESSIBILITY_EMAIL" in page


def test_the_cores_refusals_are_translated_at_the_edge(app) -> None:
    from ledger.errors import Conflict, InvalidInput, Word
    from portal.refusals import translated
    core = Conflict("%(city)s is not a member of %(project)s", city="Helsinki (091)", project="IAM 2025–2029")
    amount = InvalidInput("%(what)s %(text)s is not a number (write it like 520000.00 or 520 000,00)",
                          what=Word("the budget"), text="'1e6'")
    unknown = InvalidInput("a message of no known %(shape)s", shape="shape")
    with app.test_request_context("/", headers={"Accept-Language": "fi"}):
        assert translated(core) == "Helsinki (091) ei ole hankkeen IAM 2025–2029 jäsen"
        assert translated(amount) == "'1e6' ei ole luku (kirjoita esimerkiksi 520000.00 tai 520 000,00)"
        assert translated(unknown) == "a message of no known shape"  # not in the catalog: the English sentence
    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        assert translated(core) == "Helsinki (091) är inte medlem i IAM 2025–2029"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert translated(core) == core.message
    assert translated(core) == core.message == "Helsinki (091) is not a member of IAM 2025–2029"  # outside a request


def test_a_translation_that_does_not_fit_its_values_falls_back_to_english(app) -> None:
    from ledger.errors import Conflict
    from portal.refusals import translated
    refusal = Conflict("%(year)s is closed already", year=2025)
    refusal.params = {"other": 1}  # as if the catalog's placeholders and the values disagreed
    with app.test_request_context("/", headers={"Accept-Language": "fi"}):
        assert translated(refusal) == "2025 is closed already"


def test_an_http_error_page_speaks_the_pages_language(app) -> None:
    client = app.test_client()
    fi = client.get("/no/such/page", headers={"Accept-Language": "fi"}).get_data(as_text=True)
    sv = client.get("/no/such/page", headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Sivua ei löytynyt" in fi and "Sidan hittades inte" in sv
    assert "requested URL" not in fi + sv  # Werkzeug's English description is not shown


def test_a_refusal_given_as_the_reason_of_another_is_translated_too(app) -> None:
    from ledger.errors import Conflict, InvalidInput
    from portal.refusals import translated
    inner = Conflict("%(year)s is closed already", year=2025)
    outer = InvalidInput("entry %(number)s: %(reason)s", number=3, reason=inner)
    assert outer.message == "entry 3: 2025 is closed already"
    with app.test_request_context("/", headers={"Accept-Language": "fi"}):
        assert translated(inner) != inner.message and translated(inner) in translated(outer)


def test_the_detail_lines_of_a_refusal_are_worded_in_the_pages_language(app) -> None:
    from ledger.errors import ImportRejected, Phrase
    from portal.errors import message_of
    from portal.refusals import details_of
    inner = Phrase("%(year)s is closed already", year=2025)
    refusal = ImportRejected("the import was refused; nothing was added", details=[inner, "beancount's own text"])
    with app.test_request_context("/", headers={"Accept-Language": "fi"}):
        lines = details_of(refusal)
        assert lines[0] != str(inner) and "2025" in lines[0] and lines[1] == "beancount's own text"
        assert lines[0] in message_of(refusal) and "nothing was added" not in message_of(refusal)
    assert details_of(refusal) == [str(inner), "beancount's own text"]  # outside a request: English
