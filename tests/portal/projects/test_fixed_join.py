"""Adding a member while fixed percentages govern: the advice can be followed, and following it works.

Under whole-term a first-time joiner shares every open year of the term, also those before it
joined, so the percentages given with the join must take effect from the first such year, not from
the join date (issue 12's defect: the advice given could not be followed).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.errors import InvalidInput
from portal.projects import services

D = dt.date


def _fixed(app, slug: str, policy: str = "whole-term") -> None:
    with app.app_context():
        services.create_project(slug, name="Fixed", start=D(2025, 1, 1), end=D(2027, 12, 31), rule="fixed",
                                years={2025: 100_000_00, 2026: 100_000_00, 2027: 100_000_00}, policy=policy, actor="t",
                                percentages={"638": "60", "109": "40"})
        services.add_members(slug, ["638", "109"], joined=D(2025, 1, 1), decision="founding", actor="t")


def test_the_refusal_says_to_give_the_percentages_with_the_join(app) -> None:
    _fixed(app, "fixed-advice")
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        services.add_members("fixed-advice", ["091"], joined=D(2026, 6, 1), decision="x", actor="t")
    assert "give every member's percentage with the join" in refused.value.message
    assert "from 2025-01-01" in refused.value.message and "who share 2025" in refused.value.message


def test_percentages_given_with_the_join_take_effect_from_the_first_year_the_joiner_shares(app) -> None:
    _fixed(app, "fixed-join")
    with app.app_context():
        services.add_members("fixed-join", ["091"], joined=D(2026, 6, 1), decision="x", actor="t",
                             percentages={"638": "50", "109": "30", "091": "20"})
        state = services.state_for(services.get_project("fixed-join"))
        assert state.versions[-1].effective == D(2025, 1, 1)
        cells = services.assessed_cells(services.get_project("fixed-join"))
    assert cells[(2025, "091")] == 20_000_00 and cells[(2027, "638")] == 50_000_00
    assert sum(v for (y, _), v in cells.items() if y == 2026) == 100_000_00


def test_under_pro_rata_the_new_percentages_start_in_the_join_year(app) -> None:
    _fixed(app, "fixed-pro-rata", policy="pro-rata")
    with app.app_context():
        services.add_members("fixed-pro-rata", ["091"], joined=D(2026, 7, 1), decision="x", actor="t",
                             percentages={"638": "50", "109": "30", "091": "20"})
        state = services.state_for(services.get_project("fixed-pro-rata"))
        assert state.versions[-1].effective == D(2026, 1, 1)
        cells = services.assessed_cells(services.get_project("fixed-pro-rata"))
    assert cells.get((2025, "091"), 0) == 0 and cells[(2026, "091")] > 0


def test_the_add_members_form_takes_the_new_percentages(client, app) -> None:
    from tests.common.web import csrf, login, submit_change

    _fixed(app, "fixed-form")
    login(client, app, sub="lead", role="lead", city="109")
    page = client.get("/p/fixed-form/members/add").get_data(as_text=True)
    assert 'data-testid="join-percentages" open' in page  # a fixed rule governs: the field is shown unfolded
    token = csrf(client, "/p/fixed-form/members/add")
    refused = submit_change(client, "/p/fixed-form/members/add", {"csrf_token": token, "cities": ["091"],
                                                                  "joined": "2026-06-01", "decision": "x"})
    assert refused.status_code == 400 and "give every member" in refused.get_data(as_text=True)
    posted = submit_change(client, "/p/fixed-form/members/add", {
        "csrf_token": token, "cities": ["091"], "joined": "2026-06-01", "decision": "x",
        "percentages": "638=50\n109=30\n091=20"})
    assert posted.status_code == 302
    with app.app_context():
        cells = services.assessed_cells(services.get_project("fixed-form"))
    assert cells[(2025, "091")] == 20_000_00


def test_the_advice_is_in_the_pages_language(client, app) -> None:
    from tests.common.web import csrf, login, submit_change

    _fixed(app, "fixed-fi")
    login(client, app, sub="lead", role="lead", city="109")
    token = csrf(client, "/p/fixed-fi/members/add")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fi"
    refused = submit_change(client, "/p/fixed-fi/members/add", {"csrf_token": token, "cities": ["091"],
                                                                "joined": "2026-06-01", "decision": "x"})
    assert refused.status_code == 400
    assert "anna kaikkien jäsenten prosenttiosuudet liittymisen yhteydessä" in refused.get_data(as_text=True)
