"""Logout: ends the portal session (issue 3 adds RP-initiated and back-channel logout)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, session, url_for
from flask_login import logout_user
from werkzeug.wrappers import Response

bp = Blueprint("logout", __name__)


@bp.post("/auth/logout")
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You have logged out.", "info")
    return redirect(url_for("auth.login"))
