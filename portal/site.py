"""The site's own pages, outside any project: ``/favicon.ico`` and the accessibility statement.

The accessibility statement (saavutettavuusseloste) is what the Act on the Provision of Digital
Services (306/2019) asks of a public-sector service: open to everyone, logged in or not, linked
from every page's footer (``templates/base.html``). It says what the service is, how far it
conforms to WCAG 2.1 AA and what is known not to, where to send feedback
(``PORTAL_ACCESSIBILITY_EMAIL``) and who supervises; :data:`STATEMENT_DATE` is the day it was
written: change it when the statement is reviewed.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Flask, current_app, render_template, send_from_directory
from flask.typing import ResponseReturnValue

STATEMENT_DATE = dt.date(2026, 12, 1)
ICON_MAX_AGE = 7 * 24 * 3600  # a week: browsers ask for the icon on every site they open

bp = Blueprint("site", __name__)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask for ``/favicon.ico`` whatever the page links; the same file as ``static/favicon.ico``."""
    return send_from_directory(str(current_app.static_folder), "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=ICON_MAX_AGE)


@bp.get("/saavutettavuusseloste")
@bp.get("/accessibility")  # the last decorator registers first: the address url_for gives
def accessibility() -> ResponseReturnValue:
    return render_template("site/accessibility.html", email=current_app.config.get("PORTAL_ACCESSIBILITY_EMAIL", ""),
                           date=STATEMENT_DATE)
