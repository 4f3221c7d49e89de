"""The city picker's markup, without JavaScript: the plain multiple select stays, with every city,
carrying the picker's translated texts; the scripts are files (the CSP forbids inline script)."""

from __future__ import annotations

import re

from tests.common.web import csrf, submit_change


def test_add_members_offers_the_plain_select_with_the_pickers_texts(as_lead, loaded) -> None:
    html = as_lead.get("/p/iam/members/add").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="cities"[^>]*>', html)
    assert select and "multiple" in select[0] and "data-picker" in select[0]
    assert 'data-picker-remove="Remove {city}"' in select[0]
    assert len(re.findall(r'<option value="\d{3}"', html)) > 250  # every city that is not a member
    assert re.search(r'<script src="/static/picker\.js[^"]*" defer>', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script


def test_what_if_offers_both_lists_to_the_picker_in_finnish(as_lead, loaded) -> None:
    html = as_lead.get("/p/iam/what-if", headers={"Accept-Language": "fi"}).get_data(as_text=True)
    for name in ("join", "leave"):
        select = re.search(rf'<select[^>]*name="{name}"[^>]*>', html)
        assert select and "data-picker" in select[0] and 'data-picker-remove="Poista {city}"' in select[0]
    assert "Liittyvät kunnat" in html and "Eroavat kunnat" in html


def test_several_cities_posted_as_the_picker_posts_them_join_together(as_lead, loaded) -> None:
    token = csrf(as_lead, "/p/iam/members/add")
    response = submit_change(as_lead, "/p/iam/members/add", {"csrf_token": token, "cities": ["179", "837"],
                                                              "joined": "2026-06-01", "decision": "KH 5/2026"})
    assert response.status_code == 302
    page = as_lead.get(response.headers["Location"]).get_data(as_text=True)
    assert "Jyväskylä (179), Tampere (837) join on 2026-06-01" in page
