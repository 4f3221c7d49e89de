"""Fava for the accountants, inside the portal at ``/p/<slug>/fava/``: behind the portal's sign-on, read-only.

Fava has no authentication of its own, so it is never served on its own: the portal's view checks
the session and the role (accountants and leads; others 403), refuses every method but GET (and
HEAD), lets through only Fava's reading pages and API endpoints (:func:`allowed`: no source editor,
no import or upload, no documents, no extensions), checks every BQL text Fava would run with the
portal's own rule (``ledger.query.check``: reading statements only, no ``.output`` or
``CREATE TABLE … USING``), and only then hands the request to Fava's WSGI app, which itself runs
with ``read_only=True`` (Fava answers any other method with 401).

Fava reads a file: each process writes the project's ledger (the same text as the export) into a
private temporary folder, and writes it again and reloads Fava when the project has a new posting,
so Fava shows the current ledger without a restart.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from ledger import export as ledger_export
from ledger.errors import QueryError
from ledger.project import settings
from ledger.query import check
from portal.errors import problem, status_of
from portal.projects import services as projects
from portal.projects.models import Project
from portal.web import BOOKKEEPERS, require

bp = Blueprint("fava", __name__)
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; "
       "base-uri 'self'; frame-ancestors 'none'")
#: Fava's pages that only show the ledger (its reports are drawn in the browser from the API below).
REPORTS = {"income_statement", "balance_sheet", "trial_balance", "journal", "query", "holdings", "commodities", "events",
           "statistics", "errors", "options", "help", "account"}
#: Fava's API endpoints that only read (every writing one is a PUT or DELETE, refused anyway).
READING_API = {"changed", "query", "journal", "journal_page", "events", "options", "help", "commodities", "income_statement",
               "balance_sheet", "trial_balance", "account_report", "statistics", "payee_accounts", "payee_transaction",
               "narration_transaction", "narrations", "context", "errors"}
QUERIES = {"api/query", "download-query/query_result.csv"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


def allowed(path: str) -> bool:
    """Whether a path under the mount is one of Fava's reading pages, endpoints or its static files."""
    parts = path.split("/")
    if path in ("", "jump") or parts[0] == "static":
        return True
    rest = "/".join(parts[1:]).rstrip("/")
    if rest in ("", "download-journal") or rest in QUERIES:
        return True
    if parts[1:2] == ["api"]:
        return len(parts) == 3 and parts[2] in READING_API
    return parts[1] in REPORTS


class Mount:
    """One project's Fava app over a file this process writes, and the posting that file holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seq = -1
        self.app: Flask | None = None
        self.lock = threading.Lock()

    def refresh(self, project: Project) -> Flask:
        """Fava's app, over the project's ledger as it is now (written again and reloaded after a new posting)."""
        with self.lock:
            if self.app is None or self.seq != project.ledger_seq:
                state = projects.state_for(project)
                text = ledger_export.render(projects.journal_for(project).entries, title=project.name,
                                            settings=settings(state), start=state.start)
                partial = self.path.with_suffix(".tmp")
                partial.write_text(text, encoding="utf-8")
                os.replace(partial, self.path)
                self.app = _reload(self.app, self.path)
                self.seq = project.ledger_seq
            return self.app


def _reload(app: Flask | None, path: Path) -> Flask:
    if app is None:
        from fava.application import create_app  # loaded when an accountant first opens Fava

        return create_app([str(path)], load=True, read_only=True, poll_watcher=True)
    for ledger in app.config["LEDGERS"].ledgers:
        ledger.load_file()
    return app


def _mount(project: Project) -> Mount:
    registry: dict[str, Any] = current_app.extensions.setdefault("portal.fava", {})
    with registry.setdefault("lock", threading.Lock()):
        if "folder" not in registry:
            folder = Path(tempfile.mkdtemp(prefix="portal-fava-"))  # private to this process: 0700
            atexit.register(shutil.rmtree, folder, True)
            registry["folder"] = folder
        mounts: dict[int, Mount] = registry.setdefault("mounts", {})
        if project.id not in mounts:
            mounts[project.id] = Mount(registry["folder"] / f"{project.slug}.beancount")
        return mounts[project.id]


def _check_queries(path: str) -> None:
    """Fava runs BQL in this process: only what the portal's own query page would run."""
    if "/".join(path.split("/")[1:]) in QUERIES:
        check(request.args.get("query_string", ""))


@bp.route("/p/<slug>/fava/", defaults={"path": ""}, methods=["GET"])
@bp.route("/p/<slug>/fava/<path:path>", methods=["GET"])
@login_required
def fava(slug: str, path: str) -> ResponseReturnValue:
    require(*BOOKKEEPERS)
    project = projects.get_project(slug)
    if not allowed(path):
        abort(403, description="the portal's Fava only reads: its editor, imports, documents and extensions are not available")
    try:
        _check_queries(path)
    except QueryError as exc:
        return problem(status_of(exc), type(exc).__name__, exc.message)
    app = _mount(project).refresh(project)
    environ = dict(request.environ)
    environ["SCRIPT_NAME"] = f"{request.script_root}/p/{slug}/fava"
    # WSGI carries the path as its bytes, each read as a latin-1 character: the route's decoded
    # path is encoded back (Werkzeug's own helper for it is private).
    environ["PATH_INFO"] = ("/" + path).encode("utf-8", "surrogateescape").decode("latin-1")
    response = Response.from_app(app, environ, buffered=True)
    response.headers["Content-Security-Policy"] = CSP
    return response
