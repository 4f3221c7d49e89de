"""The signed-in user's notification settings, and the unsubscribe link of every email (no login needed)."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.errors import REFUSALS, message_of
from portal.extensions import db
from portal.notifications import services
from portal.notifications.forms import LABELS, SettingsForm, UnsubscribeForm, field_name

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    services.init_app(app)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    form = SettingsForm()
    if form.validate_on_submit():
        services.set_choices(current_user, [k for k in services.KINDS if form[field_name(k)].data])
        current_user.language = form.language.data
        db.session.commit()
        flash(_("Your notification settings were saved."))
        return redirect(url_for("notifications.settings"), code=303)
    if not form.is_submitted():
        off = services.opted_out(current_user.id)
        for kind in services.KINDS:
            form[field_name(kind)].data = kind not in off
        form.language.data = current_user.language
    status = 400 if form.is_submitted() else 200
    return render_template("notifications/settings.html", form=form, kinds=[field_name(k) for k in services.KINDS]), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> ResponseReturnValue:
    """GET asks (a mail scanner following links turns nothing off); POST turns the email's kinds off."""
    form = UnsubscribeForm()
    try:
        user, kinds = services.read_token(token)
        if form.validate_on_submit():
            services.unsubscribe(token)
            return render_template("notifications/unsubscribe.html", form=None, done=True,
                                   kinds=[LABELS[k] for k in kinds])
    except REFUSALS as refusal:
        return render_template("notifications/unsubscribe.html", form=None, done=False, error=message_of(refusal), kinds=[]), 400
    return render_template("notifications/unsubscribe.html", form=form, done=False, email=user.email,
                           kinds=[LABELS[k] for k in kinds])
