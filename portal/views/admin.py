"""Account administration for project leads (their own city) and admins (every city).

Thin views over :mod:`portal.users` and :mod:`portal.access`, which hold every rule: a refusal
(``LedgerError``) is shown on the page with its status, and nothing has been changed.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from ledger import municipalities as M
from ledger.errors import LedgerError
from portal import access, users
from portal.forms import ActionForm, ApproveForm, InvitationForm
from portal.models import User
from portal.views.projects import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _cities() -> list[tuple[str, str]]:
    return [(m.code, f"{m.name} ({m.code})") for m in sorted(M.municipalities().values(), key=lambda m: m.name)]


def _managed(user_id: int) -> User:
    """The user, if the current user may manage them: 403 otherwise (404 if there is none)."""
    user = users.get(user_id)
    if not users.may_manage(current_user, user):
        abort(403)
    return user


def _refused(exc: LedgerError) -> str:
    return exc.message + (f" ({'; '.join(exc.details)})" if exc.details else "")


@bp.get("/users")
@login_required
def user_list() -> ResponseReturnValue:
    require("lead")
    return render_template("admin/users.html", users=users.visible(current_user), may_manage=users.may_manage,
                           action=ActionForm())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int) -> ResponseReturnValue:
    """Approve a pending user, or change an active one's roles."""
    require("lead")
    user = _managed(user_id)
    form = ApproveForm(data={"roles": sorted(user.roles)})
    grantable = access.invitable_roles(current_user)
    form.roles.choices = [(r, r) for r in grantable]
    may_set_city = user.city_code is None and "admin" in current_user.roles
    form.city.choices = [("", "—")] + _cities() if may_set_city else []
    error, status = None, 200
    if form.validate_on_submit():
        try:
            users.approve(user, form.roles.data, by=current_user, actor=current_user.actor,
                          city=(form.city.data or None) if may_set_city else None)
        except LedgerError as exc:
            error, status = _refused(exc), exc.status
        else:
            flash(f"{user.name or user.sub}: {user.status}, roles {', '.join(sorted(user.roles))}.", "info")
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
    change = users.disable if what == "disable" else users.enable
    try:
        change(user, by=current_user, actor=current_user.actor)
    except LedgerError as exc:
        flash(_refused(exc), "error")
    else:
        flash(f"{user.name or user.sub} is now {user.status}.", "info")
    return redirect(url_for("admin.user_list"))


@bp.route("/invitations", methods=["GET", "POST"])
@login_required
def invitations() -> ResponseReturnValue:
    require("lead")
    admin = "admin" in current_user.roles
    form = InvitationForm()
    form.city.choices = _cities() if admin else [(current_user.city_code or "", current_user.city_code or "—")]
    form.role.choices = [(r, r) for r in access.invitable_roles(current_user)]
    error, status = None, 200
    if form.validate_on_submit():
        city = form.city.data if admin else (current_user.city_code or "")
        try:
            access.invite(email=form.email.data, city=city, role=form.role.data, by=current_user,
                          actor=current_user.actor)
        except LedgerError as exc:
            error, status = _refused(exc), exc.status
        else:
            flash(f"Invited {form.email.data.strip().lower()} as {form.role.data} of {city}.", "info")
            return redirect(url_for("admin.invitations"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/invitations.html", form=form, invitations=access.invitations(current_user),
                           is_open=access.is_open, admin=admin, action=ActionForm(), error=error), status


@bp.post("/invitations/<int:invitation_id>/revoke")
@login_required
def revoke(invitation_id: int) -> ResponseReturnValue:
    require("lead")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        access.revoke(invitation_id, by=current_user, actor=current_user.actor)
    except LedgerError as exc:
        if exc.status in (403, 404):
            abort(exc.status)
        flash(_refused(exc), "error")
    else:
        flash("The invitation was revoked.", "info")
    return redirect(url_for("admin.invitations"))

