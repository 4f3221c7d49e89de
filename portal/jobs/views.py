"""A job's page and its JSON: progress while it runs, then its result or its errors.

The page refreshes itself (``<meta http-equiv="refresh">``, no JavaScript) until the job has
finished, so a long import never holds a request open. Only the job's owner sees it, and
accountants and admins (who see every job of the projects' ledgers).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ledger.errors import Phrase, Word
from portal.jobs import services as jobs
from portal.jobs.models import Job
from portal.refusals import translated

bp = Blueprint("jobs", __name__)
api = Blueprint("jobs_api", __name__, url_prefix="/api/v1")
REFRESH_SECONDS = 2


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api)
    app.add_template_global(job_text, "job_text")
    app.add_template_global(job_stage, "job_stage")


#: The stages jobs report (``JobContext.progress``: the importer's own and the domains'), in the page's language.
STAGES = {"started": _l("started"), "checking": _l("checking"), "booking": _l("booking"), "identities": _l("identities"),
          "matching": _l("matching"), "posting": _l("posting"), "reversing": _l("reversing"), "done": _l("done")}


def job_stage(stage: str) -> str:
    """A stage named here in the page's language; another as the job reported it."""
    return str(STAGES.get(stage, stage))


@dataclass
class _Stored:
    """A stored summary or error in the shape :func:`portal.refusals.translated` reads."""

    message: str
    template: str
    params: dict[str, object]


def job_text(worded: Mapping[str, Any] | None, recorded: str | None) -> str:
    """A job's summary or error in the page's language: its stored template and values worded again
    (``portal.jobs.services.stored``); the recorded English text on an English page, and for a job
    recorded before its result kept them, or kept them in another shape."""
    locale = get_locale()
    if not isinstance(worded, Mapping) or (locale is not None and locale.language == "en"):
        return recorded or ""
    try:
        return translated(_Stored(recorded or jobs.text_of(worded), str(worded["template"]), _params(worded)))
    except (KeyError, TypeError, ValueError):
        return recorded or ""


def _params(worded: Mapping[str, Any]) -> dict[str, object]:
    """The values of a stored text as the core gave them: its words as Words, its phrases as Phrases."""
    words = set(worded.get("words") or [])
    params: dict[str, object] = {}
    for name, value in dict(worded.get("params") or {}).items():
        if isinstance(value, Mapping) and isinstance(value.get("phrase"), Mapping):
            inner = value["phrase"]
            params[str(name)] = Phrase.stored(str(inner["template"]), _params(inner))
        else:
            params[str(name)] = Word(value) if name in words and isinstance(value, str) else value
    return params


def _visible(job_id: int) -> Job:
    job = jobs.get(job_id)
    if not (job.user_id is not None and job.user_id == current_user.id) and not current_user.has_role("accountant"):
        abort(403)
    return job


@bp.get("/jobs/<int:job_id>")
@login_required
def show(job_id: int) -> ResponseReturnValue:
    job = _visible(job_id)
    return render_template("jobs/show.html", job=job, result=job.result, refresh=None if job.finished else REFRESH_SECONDS)


@api.get("/jobs/<int:job_id>")
@login_required
def api_show(job_id: int) -> ResponseReturnValue:
    """The job as one line of JSON (for scripts that wait for it)."""
    body = json.dumps(_visible(job_id).to_json(), ensure_ascii=False, separators=(",", ":"), default=str)
    response = Response(body + "\n", mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
