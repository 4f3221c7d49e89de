"""Percentages, caps, floors and joining-fee tiers as rows of inputs, as pasted text, or both.

The rows are turned into the same ``CODE=VALUE`` lines the text is, so one parser reads them; a city
in both with the same value counts once, with two values it is refused with a message naming both,
and nothing is changed. The forms start from the version (and the tiers) in force, in the rows.
"""

from __future__ import annotations

import re

import pytest

from tests.common.demo import shares_now, state
from tests.portal.costs.test_views import follow, post, refused, text


def send(client, page: str, which: str, fields: dict, rows: dict[str, list[tuple[str, str]]] | None = None):
    """Post a cost-sharing form with its rows: ``rows`` maps a FieldList (``"percentage_rows"``) to its
    (first, second) column pairs. The one place these tests post (a preview step would be added here)."""
    data = dict(fields)
    for name, pairs in (rows or {}).items():
        first, second = ("until", "price") if name == "tier_rows" else ("city", "value")
        for index, (a, b) in enumerate(pairs):
            data[f"{name}-{index}-{first}"], data[f"{name}-{index}-{second}"] = a, b
    return post(client, page, which, data)


def evenly(codes: list[str]) -> list[tuple[str, str]]:
    """Rows giving 638 twenty per cent and every other member five (17 members: 20 + 16 × 5 = 100)."""
    return [(c, "20" if c == "638" else "5") for c in codes]


def row_values(html: str, field: str, column: str) -> list[str]:
    """What the form's rows of ``field`` show in ``column``, in order ("" for an empty input)."""
    if column == "city":
        cells = re.findall(rf'<select[^>]*name="rule-{field}-\d+-city"[^>]*>(.*?)</select>', html, re.S)
        return [(re.findall(r'<option selected value="([^"]*)"', c) or [""])[0] for c in cells]
    prefix = "fee" if field == "tier_rows" else "rule"
    inputs = re.findall(rf'<input[^>]*name="{prefix}-{field}-\d+-{column}"[^>]*>', html)
    return [(re.findall(r'value="([^"]*)"', i) or [""])[0] for i in inputs]


def test_percentages_caps_and_floors_as_rows(as_lead, loaded) -> None:
    codes = sorted(shares_now(loaded))
    html = follow(as_lead, send(as_lead, "rules", "rule", {"kind": "fixed", "effective": "2025-01-01"}, {
        "percentage_rows": [*evenly(codes), ("", "")], "cap_rows": [("638", "90 000,00"), ("", "")],
        "floor_rows": [("106", "20000")]}))
    assert "fixed 106 5 %" in html
    new = shares_now(loaded)
    assert sum(new.values()) == 52_000_000 and new["638"] == 9_000_000 and new["106"] >= 2_000_000
    form = as_lead.get("/p/iam/rules").get_data(as_text=True)
    # The form starts from the version in force: a row per member with its percentage, the caps, empty rows to add to.
    cities, values = row_values(form, "percentage_rows", "city"), row_values(form, "percentage_rows", "value")
    assert cities[:len(codes)] and set(cities[:len(codes)]) == set(codes) and cities[len(codes):] == [""]
    assert dict(zip(cities, values, strict=True))["638"] == "20"
    assert row_values(form, "cap_rows", "city")[0] == "638" and row_values(form, "cap_rows", "value")[:2] == ["90000.00", ""]


def test_rows_and_pasted_text_are_combined(as_lead, loaded) -> None:
    codes = sorted(shares_now(loaded))
    pairs = evenly(codes)
    pasted = "\n".join(f"{c}={v}" for c, v in pairs[8:]) + f"\n{pairs[0][0]}={pairs[0][1]}"  # one city in both, same value
    follow(as_lead, send(as_lead, "rules", "rule", {"kind": "fixed", "effective": "2025-01-01", "percentages": pasted,
                                                     "caps": "638=90000"}, {"percentage_rows": pairs[:8]}))
    new = shares_now(loaded)
    assert sum(new.values()) == 52_000_000 and new["638"] == 9_000_000


@pytest.mark.parametrize("rows, fields, message", [
    ({"percentage_rows": [("638", "20")]}, {"percentages": "638=25"},
     "percentages: 638 is 20 in the rows but 25 in the text; give it once"),
    ({"cap_rows": [("638", "90000")]}, {"caps": "638 = 80 000,00"},
     "caps: 638 is 90000.00 in the rows but 80000.00 in the text; give it once"),
    ({"floor_rows": [("", "100")]}, {}, "floors, row 1: choose the city of 100"),
    ({"percentage_rows": [("638", "50"), ("638", "50")]}, {}, "percentages: 638 is given twice"),
    ({"percentage_rows": [("638", "20\n106=80")]}, {}, "holds a control character"),
    ({"percentage_rows": [("638", "20=106")]}, {}, "is not one value"),
    ({"percentage_rows": [("999", "100")]}, {}, "999"),
])
def test_conflicting_or_bad_rows_are_refused(as_lead, loaded, rows, fields, message) -> None:
    before = state(loaded)
    html = refused(loaded, send(as_lead, "rules", "rule", {"kind": "fixed", "effective": "2026-01-01", **fields}, rows),
                   400, "", before)
    assert message in html.replace("&#39;", "'")


def test_joining_fee_tiers_as_rows_and_text(as_lead, loaded) -> None:
    before = state(loaded)
    refused(loaded, send(as_lead, "charges", "fee", {"population_year": "2025", "tiers": "2026-10-31=2.00"},
                         {"tier_rows": [("2026-10-31", "1.00"), ("", "6.00")]}), 400,
            "tiers: 2026-10-31 is 1.00 in the rows but 2.00 in the text; give it once", before)
    refused(loaded, send(as_lead, "charges", "fee", {"population_year": "2025"}, {"tier_rows": [("", ""), ("", "")]}),
            400, "give at least one tier", before)
    refused(loaded, send(as_lead, "charges", "fee", {"population_year": "2025"}, {"tier_rows": [("2026-10-31", "")]}),
            400, "tiers, row 1: give the price per resident until 2026-10-31", before)
    follow(as_lead, send(as_lead, "charges", "fee", {"population_year": "2025", "tiers": "after=6.00"},
                         {"tier_rows": [("2026-10-31", "1.00"), ("", "")]}))
    page = as_lead.get("/p/iam/charges").get_data(as_text=True)
    assert "until 2026-10-31" in text(page) and "after 2026-10-31" in text(page)
    assert row_values(page, "tier_rows", "until") == ["2026-10-31", "", "", ""]
    assert row_values(page, "tier_rows", "price") == ["1.00", "6.00", "", ""]


def test_pasted_tiers_alone_still_work(as_lead, loaded) -> None:
    follow(as_lead, send(as_lead, "charges", "fee", {"population_year": "2025", "tiers": "2026-10-31=1.00\nafter=6.00"}))
    assert row_values(as_lead.get("/p/iam/charges").get_data(as_text=True), "tier_rows", "price")[:2] == ["1.00", "6.00"]


def test_the_rows_are_labelled_and_the_text_is_folded(as_lead, loaded) -> None:
    html = as_lead.get("/p/iam/rules").get_data(as_text=True)
    assert 'aria-label="City, row 1"' in html and 'aria-label="Percentage, row 1"' in html
    assert "<summary>Paste as text</summary>" in html and 'data-add-label="Add row"' in html
    assert re.search(r'<script src="/static/rows\.js[^"]*" defer>', html)
