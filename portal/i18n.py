"""The portal's languages: Finnish first, then Swedish and English (Flask-Babel).

Which language a page is in: the user's own choice (the language links in every page's header
set a year-long cookie; links rather than a form, so that a visitor who has not logged in gets no
session and no CSRF token just for choosing a language), else the best of the browser's ``Accept-Language``,
else Finnish. Times are shown in Europe/Helsinki. The catalogs live in ``portal/translations``
(``messages.pot`` extracted with ``babel.cfg``; ``make translations`` compiles the ``.mo`` files,
and ``make demo`` and ``make test`` run it).
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import Babel, get_locale
from flask_login import current_user

from portal.extensions import db

LANGUAGES = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
TIMEZONE = "Europe/Helsinki"
TRANSLATIONS = Path(__file__).parent / "translations"
COOKIE = "language"
COOKIE_SECONDS = 365 * 24 * 3600

babel = Babel()


def select_locale() -> str:
    if not has_request_context():  # a job, a command, an email: their own language is given with force_locale
        return DEFAULT_LANGUAGE
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The page's language code, for ``<html lang>`` and the language switch."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def choose_language(code: str) -> ResponseReturnValue:
    """GET /language/<code>?next=/path: remember the choice and go back where the user was (this site only)."""
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = redirect(target, code=303)
    if code in LANGUAGES:
        response.set_cookie(COOKIE, code, max_age=COOKIE_SECONDS, httponly=True, samesite="Lax",
                            secure=request.is_secure)
        _remember(code)
    return response


def _remember(code: str) -> None:
    """A signed-in user's choice is also the language of their emails (``users.language``)."""
    if current_user.is_authenticated and getattr(current_user, "language", code) != code:
        current_user.language = code
        db.session.commit()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: TIMEZONE)
    app.add_url_rule("/language/<code>", "language", choose_language)
    app.jinja_env.globals.update(current_language=current_language, LANGUAGES=LANGUAGES)
