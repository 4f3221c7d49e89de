"""Account administration for project leads (their own city) and admins (every city), and ``/api/v1/me``.

Thin views over :mod:`portal.accounts.services`, which holds every rule: a refusal is shown on
the page with its status (``portal.errors``), and nothing has been changed.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ledger import municipalities as M
from portal.accounts import services as accounts
from portal.accounts.forms import ROLE_LABELS, ActionForm, ApproveForm, InvitationForm
from portal.accounts.models import User
from portal.errors import REFUSALS, message_of, problem, status_of
from portal.web import chosen, require, text

STATUS = {"pending": _l("awaiting approval"), "active": _l("active"), "disabled": _l("disabled")}  # as the pages say it

bp = Blueprint("admin", __name__, url_prefix="/admin")
api = Blueprint("accounts_api", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(api)


@api.get("/me")
def me() -> ResponseReturnValue:
    """Who this session is; a pending user who has just logged in too (they have no other session)."""
    user = accounts.session_user()
    if user is None:
        return problem(401, "Unauthorized", "log in first")
    return jsonify({"issuer": user.issuer, "sub": user.sub, "name": user.name, "city": user.city_code,
                    "roles": sorted(user.roles), "status": user.status})


def _cities() -> list[tuple[str, str]]:
    return [(m.code, f"{m.name} ({m.code})") for m in sorted(M.municipalities().values(), key=lambda m: m.name)]


def _managed(user_id: int) -> User:
    """The user, if the current user may manage them: 403 otherwise (404 if there is none)."""
    user = accounts.get(user_id)
    if not accounts.may_manage(current_user, user):
        abort(403)
    return user


@bp.get("/users")
@login_required
def user_list() -> ResponseReturnValue:
    require("lead")
    return render_template("admin/users.html", users=accounts.visible(current_user), may_manage=accounts.may_manage,
                           action=ActionForm())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int) -> ResponseReturnValue:
    """Approve a pending user, or change an active one's roles."""
    require("lead")
    user = _managed(user_id)
    form = ApproveForm(data={"roles": sorted(user.roles)})
    grantable = accounts.invitable_roles(current_user)
    form.roles.choices = [(r, ROLE_LABELS.get(r, r)) for r in grantable]
    may_set_city = user.city_code is None and "admin" in current_user.roles
    form.city.choices = [("", "—"), *_cities()] if may_set_city else []
    error, status = None, 200
    if form.validate_on_submit():
        try:
            accounts.approve(user, chosen(form.roles), by=current_user, actor=current_user.actor,
                          city=(form.city.data or None) if may_set_city else None)
        except REFUSALS as exc:
            error, status = message_of(exc), status_of(exc)
        else:
            flash(_("%(name)s: %(status)s, roles %(roles)s.", name=user.name or user.sub, status=STATUS.get(user.status, user.status),
                    roles=", ".join(str(ROLE_LABELS.get(r, r)) for r in sorted(user.roles))), "info")
            return redirect(url_for("admin.user_list"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/user.html", user=user, form=form, may_set_city=may_set_city, error=error), status


@bp.post("/users/<int:user_id>/<any(disable, enable):what>")
@login_required
def set_status(user_id: int, what: str) -> ResponseReturnValue:
    require("lead")
    user = _managed(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    change = accounts.disable if what == "disable" else accounts.enable
    try:
        change(user, by=current_user, actor=current_user.actor)
    except REFUSALS as exc:
        flash(message_of(exc), "error")
    else:
        flash(_("%(name)s is now %(status)s.", name=user.name or user.sub, status=STATUS.get(user.status, user.status)), "info")
    return redirect(url_for("admin.user_list"))


@bp.route("/invitations", methods=["GET", "POST"])
@login_required
def invitations() -> ResponseReturnValue:
    require("lead")
    admin = "admin" in current_user.roles
    form = InvitationForm()
    form.city.choices = _cities() if admin else [(current_user.city_code or "", current_user.city_code or "—")]
    form.role.choices = [(r, ROLE_LABELS.get(r, r)) for r in accounts.invitable_roles(current_user)]
    error, status = None, 200
    if form.validate_on_submit():
        city = form.city.data if admin else (current_user.city_code or "")
        try:
            accounts.invite(email=text(form.email), city=city, role=form.role.data, by=current_user,
                          actor=current_user.actor)
        except REFUSALS as exc:
            error, status = message_of(exc), status_of(exc)
        else:
            flash(_("Invited %(email)s as %(role)s of %(city)s.", email=text(form.email).strip().lower(), role=ROLE_LABELS.get(form.role.data, form.role.data), city=city), "info")
            return redirect(url_for("admin.invitations"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/invitations.html", form=form, invitations=accounts.invitations(current_user),
                           is_open=accounts.is_open, admin=admin, action=ActionForm(), error=error), status


@bp.post("/invitations/<int:invitation_id>/revoke")
@login_required
def revoke(invitation_id: int) -> ResponseReturnValue:
    require("lead")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        accounts.revoke(invitation_id, by=current_user, actor=current_user.actor)
    except REFUSALS as exc:
        if status_of(exc) in (403, 404):
            abort(status_of(exc))
        flash(message_of(exc), "error")
    else:
        flash(_("The invitation was revoked."), "info")
    return redirect(url_for("admin.invitations"))

