"""An admin creates a project from the pages (the same service as ``portal project create``)."""

from __future__ import annotations

from portal.projects import services as projects
from tests.common.web import csrf, login, submit_change

FORM = {"slug": "iam2", "name": "IAM 2", "start": "2025-01-01", "end": "2026-12-31", "budget": "100 000,00", "years": "",
        "rule": "equal", "policy": "whole-term", "leaver": "keeps-years", "joiner": "open-years", "decision": "KV 1/2025"}


def test_an_admin_creates_a_project_and_a_refusal_is_a_form_error(client, app) -> None:
    login(client, app, sub="ada", role="admin")
    token = csrf(client, "/projects/new")
    bad = submit_change(client, "/projects/new", {**FORM, "end": "2024-12-31", "csrf_token": token})
    assert bad.status_code == 400 and 'data-testid="form-error"' in bad.get_data(as_text=True)
    both = submit_change(client, "/projects/new", {**FORM, "years": "2025=1.00", "csrf_token": token})
    assert both.status_code == 400
    made = submit_change(client, "/projects/new", {**FORM, "csrf_token": token})
    assert made.status_code == 303 and made.headers["Location"].endswith("/p/iam2/")
    with app.app_context():
        state = projects.state_for(projects.get_project("iam2"))
        assert sum(c for _, c in state.budget) == 10_000_000
    again = submit_change(client, "/projects/new", {**FORM, "csrf_token": token})
    assert again.status_code == 409


def test_only_an_admin_may_create_a_project(client, app) -> None:
    login(client, app, sub="heikki", role="lead", city="109")
    assert client.get("/projects/new").status_code == 403
