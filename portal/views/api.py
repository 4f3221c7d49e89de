"""A small read-only JSON API (``/api/v1``) for other systems: projects and their shares.

Amounts are decimal strings (``"30588.24"``), never JSON numbers, so no client ever sees a
float. Errors are RFC 9457 problem documents (the app maps ``LedgerError`` and HTTP errors
under ``/api/``); a request without a session gets 401 from the auth module's handler.
"""

from __future__ import annotations

from decimal import Decimal

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
            "rule": changes.rule_label(project),
            "members": len(changes.current_members(project)),
        })
    return jsonify(rows)


@bp.get("/projects/<slug>/shares")
@login_required
def shares(slug: str) -> ResponseReturnValue:
    """Every member's share: transparent to all member cities, as on the project page."""
    require(*VIEWERS)
    project = changes.get_project(slug)
    cells = changes.journal_for(project).assessed_cells()
    return jsonify([{"city": s.code, "name": s.name, "share": fmt(s.share), "charged": fmt(s.charged), "total": fmt(s.total),
                     "years": {str(y): fmt(c) for (y, code), c in sorted(cells.items(), key=lambda kv: kv[0][0] or 0)
                               if code == s.code and y is not None}}
                    for s in changes.shares(project)])


@bp.get("/projects/<slug>/costs")
@login_required
def costs(slug: str) -> ResponseReturnValue:
    """The cost-sharing set-up: budget years, policy, closed years, rule versions, funding and charges."""
    require(*VIEWERS)
    from ledger.project import version_to_json, versions_by_year

    state = changes.state_for(changes.get_project(slug))
    in_force = versions_by_year(state) if state.budget else {}
    versions = []
    for v in state.versions:
        data = version_to_json(v)
        data["label"] = v.describe()
        data["years"] = [y for y, x in in_force.items() if (x.kind, x.effective, x.decision) == (v.kind, v.effective, v.decision)]
        data["caps"] = {c: fmt(x) for c, x in v.caps}
        data["floors"] = {c: fmt(x) for c, x in v.floors}
        versions.append(data)
    return jsonify({
        "policy": state.policy,
        "budget": {str(y): fmt(c) for y, c in state.budget},
        "total": fmt(state.total),
        "closed": list(state.closed),
        "rules": versions,
        "grants": [{"year": g.year, "amount": fmt(g.cents), "text": g.text, "city": g.target} for g in state.grants],
        "subsidies": [{"key": x.key, "rate": fmt(x.rate_cents), "text": x.text, "city": x.target,
                       "hours": str(sum((h.entry.hours for h in state.hours if h.scheme == x.key), start=Decimal(0)))}
                      for x in state.subsidies],
        "charges": [{"city": c.code, "date": c.date.isoformat(), "amount": fmt(c.cents), "text": c.text} for c in state.charges],
        "joining_fee": {"population_year": state.fee_year,
                        "tiers": [{"until": t.until.isoformat() if t.until else None, "per_resident": fmt(t.cents_per_resident)}
                                  for t in state.tiers]},
    })
