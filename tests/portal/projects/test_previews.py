"""A change previewed before it is posted: the posting equals its preview, and a preview posts nothing.

The property runs the oracle's random histories (tests/common/histories.py) through the change
service, each change first as a preview and then confirmed: the preview leaves the database as it
was, the confirmed change's audit details (every share before and after, every year's cell, the
funding, the closed years' kept amounts) and its ledger entries are the preview's, and the
cents still agree with the independent oracle. The pages: every change form answers with its
preview (nothing posted), Confirm posts it, Edit goes back with the fields, and a preview the
project has moved on from is refused at Confirm (409) with the new preview.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ledger import entries as E
from portal.projects import previews, services
from portal.projects.models import LedgerPosting
from tests.common.core import residents, version
from tests.common.histories import both, changes, terms
from tests.common.oracle import Oracle
from tests.common.web import PREVIEW, confirm_form, csrf, submit_change
from tests.portal.projects.test_money import Portal

EXAMPLES = int(os.environ.get("ORACLE_PORTAL_EXAMPLES", "60")) // 3 or 1
RECORDED = re.compile(r"^\s*recorded: .*$", re.M)
_slugs = itertools.count(1)


class Previewing(Portal):
    """The portal's change service, each change previewed first and then confirmed on that preview."""

    def run(self, kind: str, effective: dt.date, **params: Any) -> Any:
        with self.app.app_context():
            def call() -> services.Outcome:
                return services.change(self.slug, lambda s, p: services.make_op(kind, effective, "oracle", kind, **params))

            before = self.snapshot()
            seen = previews.preview(call)
            assert self.snapshot() == before, "a preview must post nothing"
            outcome = previews.confirmed(call, seen.change_seq)
            assert previews.comparable(outcome.event.details) == previews.comparable(seen.details)
            project = services.get_project(self.slug)
            posted = db_text(project.id, outcome.seq)
            shown = "\n".join(E.format_entry(e) for e in seen.result.entries())
            assert RECORDED.sub("", posted) == RECORDED.sub("", shown)
            return outcome


def db_text(project_id: int, seq: int | None) -> str:
    from portal.extensions import db

    if seq is None:
        return ""
    return db.session.execute(select(LedgerPosting.text).where(LedgerPosting.project_id == project_id,
                                                               LedgerPosting.seq == seq)).scalar_one()


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(term=terms(), data=st.data())
def test_every_posted_change_equals_its_preview(app: Flask, term, data) -> None:
    start, end, budget = term
    portal = Previewing(app, f"preview-{next(_slugs)}")
    portal.create(start, end, budget)
    oracle = Oracle(start=start, end=end, budget=budget, policy="whole-term", rule=version("equal", start, [])[1],
                    populations=residents)
    for _ in range(data.draw(st.integers(2, 6))):
        _, steps = data.draw(changes(start, end, sorted(budget)))
        both(portal, oracle, steps)
        assessed, charged = portal.cells()
        assert assessed == oracle.assessed()
        assert charged == oracle.charged()


def test_a_confirmation_on_a_preview_the_project_moved_on_from_is_refused(loaded) -> None:
    with loaded.app_context():
        def join() -> services.Outcome:
            return services.add_members("iam", ["091"], joined=dt.date(2026, 6, 1), decision="x", actor="test")

        seen = previews.preview(join)
        services.add_members("iam", ["092"], joined=dt.date(2026, 6, 1), decision="y", actor="test")
        project = services.get_project("iam")
        before = project.ledger_seq, project.change_seq
        with pytest.raises(previews.Moved):
            previews.confirmed(join, seen.change_seq)
        project = services.get_project("iam")
        assert (project.ledger_seq, project.change_seq) == before
        assert "091" not in services.state_for(project).current()


# -- the pages ----------------------------------------------------------------------------------------
def _add(client) -> MultiDict:
    return MultiDict([("csrf_token", csrf(client, "/p/iam/members/add")), ("cities", "091"), ("cities", "837"),
                      ("joined", "2026-06-01"), ("decision", "KV 1/2026")])


def test_the_form_answers_with_its_preview_and_posts_nothing(as_lead, loaded) -> None:
    with loaded.app_context():
        before = services.get_project("iam").change_seq
    response = as_lead.post("/p/iam/members/add", data=_add(as_lead))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and PREVIEW in html
    assert "Nothing has been posted yet" in html
    assert 'data-city="091"' in html and 'data-city="837"' in html and 'data-city="638"' in html
    for year in ("2025", "2026", "2029"):
        assert f"<th scope=\"col\" class=\"num\">{year}</th>" in html
    with loaded.app_context():
        assert services.get_project("iam").change_seq == before
    fields = dict(confirm_form(html))
    assert fields["expect"] == str(before) and fields["decision"] == "KV 1/2026"
    assert [v for k, v in confirm_form(html) if k == "cities"] == ["091", "837"]


def test_confirm_posts_what_the_preview_showed(as_lead, loaded) -> None:
    html = as_lead.post("/p/iam/members/add", data=_add(as_lead)).get_data(as_text=True)
    shown = dict(re.findall(r'data-city="(\d{3})".*?data-testid="after">([^<]+)<', html, re.S))
    posted = as_lead.post("/p/iam/members/add", data=MultiDict(confirm_form(html)))
    assert posted.status_code == 302
    page = as_lead.get(posted.headers["Location"]).get_data(as_text=True)
    after = dict(re.findall(r'<tr data-city="(\d{3})"[^>]*>\s*<td>\d{3}</td>\s*<td>[^<]*</td>\s*<td class="num">[^<]*</td>\s*'
                            r'<td class="num">([^<]+)</td>', page))
    assert shown and after == shown


def test_edit_goes_back_to_the_form_with_its_fields(as_lead, loaded) -> None:
    html = as_lead.post("/p/iam/members/add", data=_add(as_lead)).get_data(as_text=True)
    back = as_lead.post("/p/iam/members/add", data=MultiDict([*confirm_form(html)[:-1], ("edit", "1")]))
    page = back.get_data(as_text=True)
    assert back.status_code == 200 and PREVIEW not in page
    assert 'value="KV 1/2026"' in page and re.search(r'<option selected value="091"|<option value="091" selected', page)


def test_a_stale_confirmation_shows_the_new_preview(as_lead, loaded) -> None:
    html = as_lead.post("/p/iam/members/add", data=_add(as_lead)).get_data(as_text=True)
    with loaded.app_context():
        services.add_members("iam", ["020"], joined=dt.date(2026, 6, 1), decision="y", actor="test")
        seq = services.get_project("iam").change_seq
    again = as_lead.post("/p/iam/members/add", data=MultiDict(confirm_form(html)))
    page = again.get_data(as_text=True)
    assert again.status_code == 409 and PREVIEW in page and 'data-testid="preview-moved"' in page
    assert dict(confirm_form(page))["expect"] == str(seq) and 'data-city="020"' in page
    with loaded.app_context():
        assert services.get_project("iam").change_seq == seq
    assert submit_change(as_lead, "/p/iam/members/add", MultiDict(confirm_form(page)[:-1])).status_code == 302


@pytest.mark.parametrize(("url", "fields"), [
    ("/p/iam/rules/rule", {"rule-kind": "population", "rule-effective": "2027-01-01", "rule-population_year": "2025"}),
    ("/p/iam/budget/year", {"year-year": "2027", "year-amount": "90000.00"}),
    ("/p/iam/budget/policy", {"policy-policy": "pro-rata"}),
    ("/p/iam/charges/charge", {"charge-city": "638", "charge-date": "2026-04-02", "charge-amount": "10,00", "charge-text": "devices"}),
    ("/p/iam/funding/grant", {"grant-year": "2026", "grant-amount": "1000.00", "grant-text": "EU"}),
    ("/p/iam/settings", {"budget-budget": "600000.00"}),
])
def test_every_cost_form_is_previewed_first(as_lead, loaded, url, fields) -> None:
    prefix = next(iter(fields)).split("-")[0]
    page = url.rsplit("/", 1)[0] if not url.endswith("settings") else url
    data = {**fields, f"{prefix}-csrf_token": csrf(as_lead, page, prefix)}
    with loaded.app_context():
        before = services.get_project("iam").change_seq
    response = as_lead.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and PREVIEW in html, html[-2000:]
    with loaded.app_context():
        assert services.get_project("iam").change_seq == before
    posted = as_lead.post(url, data=MultiDict(confirm_form(html)))
    assert posted.status_code == 302
    with loaded.app_context():
        assert services.get_project("iam").change_seq == before + 1


def test_a_refused_change_is_refused_at_its_preview(as_lead, loaded) -> None:
    data = {"year-year": "2027", "year-amount": "-5.00", "year-csrf_token": csrf(as_lead, "/p/iam/budget", "year")}
    response = as_lead.post("/p/iam/budget/year", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and PREVIEW not in html and "Nothing was changed." in html
