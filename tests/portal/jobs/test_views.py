"""A job's page and JSON: progress with a self-refresh while it runs, then its result or its errors;
only its owner, accountants and admins see it."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from portal.accounts.models import User
from portal.extensions import db
from portal.jobs import services as jobs
from portal.jobs.models import Job
from tests.common.web import login


def stored(app: Flask, *, status: str, owner_sub: str | None = None, **values) -> int:
    """A job row as an executor leaves it at each step (nothing runs it)."""
    with app.app_context():
        owner = db.session.query(User).filter_by(sub=owner_sub).one() if owner_sub else None
        job = Job(kind="ledger-import", title="Import of march.beancount into IAM", status=status, actor="Aino",
                  user_id=owner.id if owner else None, **values)
        job.params = {"slug": "iam"}
        db.session.add(job)
        db.session.commit()
        return job.id


def test_a_running_job_shows_its_progress_and_refreshes_itself(client, loaded) -> None:
    login(client, loaded, sub="acc", role="accountant", city="109")
    job_id = stored(loaded, status="running", stage="booking", done=1500, total=3000)
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Running: booking (1500 of 3000)" in page and '<progress max="3000" value="1500">' in page
    assert ": käsitellään kirjauksia (" in _page(client, job_id, "fi")  # a stage the importer reports, in the page's language
    queued = client.get(f"/jobs/{stored(loaded, status='queued')}").get_data(as_text=True)
    assert "Waiting to start" in queued and 'http-equiv="refresh"' in queued


def test_a_finished_job_shows_its_result_or_its_errors(client, loaded) -> None:
    login(client, loaded, sub="acc", role="accountant", city="109")
    result = {"summary": "Imported 3 transactions from march.beancount as import 1 (posting 5)",
              "links": [{"text": "The imports", "endpoint": "accounting.import_ledger", "values": {"slug": "iam"}}]}
    done = stored(loaded, status="done", stage="done", done=3, total=3, result_json=json.dumps(result))
    page = client.get(f"/jobs/{done}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and result["summary"] in page and 'href="/p/iam/import"' in page
    failed = stored(loaded, status="failed", error="the import was refused; nothing was added (2 problems)",
                    result_json=json.dumps({"errors": ["line 3: dated 2030-01-05, outside the project's term", "line 9: x"]}))
    page = client.get(f"/jobs/{failed}").get_data(as_text=True)
    assert "the import was refused; nothing was added (2 problems)" in page
    assert "<li>line 3: dated 2030-01-05, outside the project&#39;s term</li>" in page and "<li>line 9: x</li>" in page


def test_the_json_endpoint_is_one_line(client, loaded) -> None:
    login(client, loaded, sub="acc", role="accountant", city="109")
    job_id = stored(loaded, status="running", stage="checking", done=10, total=20)
    response = client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_data(as_text=True)
    assert body.count("\n") == 1 and body.endswith("\n")
    found = json.loads(body)
    assert {k: found[k] for k in ("id", "kind", "status", "stage", "done", "total", "result", "error")} == {
        "id": job_id, "kind": "ledger-import", "status": "running", "stage": "checking", "done": 10, "total": 20,
        "result": {}, "error": None}


def test_only_the_owner_accountants_and_admins_see_a_job(client, loaded) -> None:
    login(client, loaded, sub="pia", role="contact", city="638")
    mine = stored(loaded, status="queued", owner_sub="pia")
    theirs = stored(loaded, status="queued")
    assert client.get(f"/jobs/{mine}").status_code == 200
    assert client.get(f"/api/v1/jobs/{mine}").status_code == 200
    assert client.get(f"/jobs/{theirs}").status_code == 403
    response = client.get(f"/api/v1/jobs/{theirs}")
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    for sub, role in (("acc", "accountant"), ("ada", "admin")):
        login(client, loaded, sub=sub, role=role, city="109")
        assert client.get(f"/jobs/{theirs}").status_code == 200
    login(client, loaded, sub="lead", role="lead", city="109")
    assert client.get(f"/jobs/{theirs}").status_code == 403


@pytest.mark.parametrize("job_id", ["999", str(2**40)])
def test_unknown_jobs_are_404(client, loaded, job_id) -> None:
    login(client, loaded, sub="acc", role="accountant", city="109")
    assert client.get(f"/jobs/{job_id}").status_code == 404
    response = client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_anonymous_visitors_log_in_first(client, loaded) -> None:
    job_id = stored(loaded, status="queued")
    assert client.get(f"/jobs/{job_id}").status_code == 302
    response = client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 401 and response.mimetype == "application/problem+json"


def _page(client, job_id: int, language: str) -> str:
    return client.get(f"/jobs/{job_id}", headers={"Accept-Language": language}).get_data(as_text=True)


def test_a_result_and_an_error_in_finnish_and_swedish_from_their_templates(client, loaded) -> None:
    """The result keeps the summary's and the error's template and values (``portal.jobs.services.stored``)."""
    from portal.accounting.services import ImportResult
    from portal.jobs.services import stored as worded

    login(client, loaded, sub="acc", role="accountant", city="109")
    result = ImportResult("iam", 1, "march.beancount", 3, 5, 1).to_json()
    assert result["summary"] == "Imported 3 transactions from march.beancount as import 1 (posting 5)"
    done = stored(loaded, status="done", stage="done", done=3, total=3, result_json=json.dumps(result))
    assert "Tiedostosta march.beancount tuotu tapahtumia 3, tuonti 1 (kirjaus 5)" in _page(client, done, "fi")
    assert ">Tuonnit</a>" in _page(client, done, "fi")
    assert "3 transaktioner importerade från march.beancount som import 1 (bokföring 5)" in _page(client, done, "sv")
    assert result["summary"] in _page(client, done, "en") and ">The imports</a>" in _page(client, done, "en")

    error = worded("the import was refused; nothing was added (%(n)s problems)", n=2)
    failed = stored(loaded, status="failed", error="the import was refused; nothing was added (2 problems)",
                    result_json=json.dumps({"errors": ["line 3: x"], "worded_error": error}))
    assert "tuonti hylättiin; mitään ei lisätty (2 ongelmaa)" in _page(client, failed, "fi")
    assert "the import was refused; nothing was added (2 problems)" in _page(client, failed, "en")


def test_a_word_of_an_error_is_translated_too(client, loaded) -> None:
    from ledger.errors import Word
    from portal.jobs.services import stored as worded

    login(client, loaded, sub="acc", role="accountant", city="109")
    error = worded("the %(name)s is not a signed JWT", name=Word("ID token"))
    assert error["words"] == ["name"]
    failed = stored(loaded, status="failed", error="the ID token is not a signed JWT",
                    result_json=json.dumps({"worded_error": error}))
    assert "ID-tunniste: ei ole allekirjoitettu JWT" in _page(client, failed, "fi")


def test_a_job_recorded_before_its_templates_shows_its_english_text(client, loaded) -> None:
    login(client, loaded, sub="acc", role="accountant", city="109")
    old = stored(loaded, status="done", stage="done", result_json=json.dumps({"summary": "Imported 3 transactions (old)"}))
    assert "Imported 3 transactions (old)" in _page(client, old, "fi")
    odd = stored(loaded, status="failed", error="something old", result_json=json.dumps({"worded_error": {"params": {}}}))
    assert "something old" in _page(client, odd, "sv")


def test_the_jobs_title_in_finnish_and_swedish(client, loaded) -> None:
    """The title is kept in English (``Job.title``) with its template beside it in the job's parameters."""
    from markupsafe import escape

    from portal.accounting import services as accounting

    login(client, loaded, sub="acc", role="accountant", city="109")
    with loaded.app_context():
        job = accounting.enqueue_import("iam", b"; nothing\n", filename="march.beancount", actor="acc", user_id=None)
        job_id, title, project = job.id, job.title, accounting.get_project("iam").name
    jobs.runner(loaded).join(10)  # the import runs (and fails) in this process's thread: the title stays
    assert title == f"Import of march.beancount into {project}"
    assert f"<h1>Tiedoston march.beancount tuonti hankkeen {escape(project)} kirjanpitoon</h1>" in _page(client, job_id, "fi")
    assert f"<h1>Import av march.beancount till projektet {escape(project)}</h1>" in _page(client, job_id, "sv")
    assert f"<h1>{escape(title)}</h1>" in _page(client, job_id, "en")
