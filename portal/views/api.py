"""A small read-only JSON API (``/api/v1``) for other systems: projects and their shares.

Amounts are decimal strings (``"30588.24"``), never JSON numbers, so no client ever sees a
float. Errors are RFC 9457 problem documents (the app maps ``LedgerError`` and HTTP errors
under ``/api/``); a request without a session gets 401 from the auth module's handler.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_login import login_required
from sqlalchemy import select

from ledger.money import fmt
from portal import access, changes
from portal.extensions import db
from portal.models import Project
from portal.views.projects import VIEWERS, require

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/me")
def me() -> ResponseReturnValue:
    """Who this session is; a pending user who has just logged in too (they have no other session)."""
    user = access.session_user()
    if user is None:
        from portal import problem

        return problem(401, "Unauthorized", "log in first")
    return jsonify({"issuer": user.issuer, "sub": user.sub, "name": user.name, "city": user.city_code,
                    "roles": sorted(user.roles), "status": user.status})


@bp.get("/projects")
@login_required
def projects() -> ResponseReturnValue:
    require(*VIEWERS)
    rows = []
    for project in db.session.execute(select(Project).order_by(Project.slug)).scalars():
        rows.append({
            "slug": project.slug,
            "name": project.name,
            "budget": fmt(project.budget_cents),
            "rule": changes.project_rule(project).describe(),
            "members": len(changes.current_members(project)),
        })
    return jsonify(rows)


@bp.get("/projects/<slug>/shares")
@login_required
def shares(slug: str) -> ResponseReturnValue:
    """Every member's share: transparent to all member cities, as on the project page."""
    require(*VIEWERS)
    project = changes.get_project(slug)
    return jsonify([{"city": s.code, "name": s.name, "share": fmt(s.share)} for s in changes.shares(project)])
