"""The one edge where refusals become HTTP statuses, JSON problems, form messages and exit codes.

The ledger core refuses with typed errors that carry a message and details and nothing else
(``ledger.errors``); the portal adds refusals of its own: :class:`Forbidden`, since the core knows
no users, :class:`TooLarge`, since it knows no uploads, and :class:`Busy`, a change that could not
have the project's lock in time (or a database that could not be reached), which may be sent again
unchanged. Views show :func:`message_of` beside the form that was sent, with
:func:`status_of` as the response's status; anything that escapes a view is turned into an
error page or, under ``/api/``, an RFC 9457 problem document by the handlers
:func:`register` installs. The command line exits with status 2 and the same message.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ledger.errors import Conflict, ImportRejected, InvalidInput, LedgerError, NotFound, QueryError, Worded
from portal.extensions import is_connection_lost, is_lock_timeout
from portal.refusals import details_of, translated

MB = 1024 * 1024  # what the size settings and messages call a megabyte


class PortalRefusal(Worded):
    """A refusal of the portal's own, with a message, its template and values, and details, as the
    core's refusals have (``ledger.errors``)."""


class Forbidden(PortalRefusal):
    """The acting user may not do this (a lead outside their city, on their own account, granting admin)."""


class TooLarge(PortalRefusal):
    """An upload over its size limit (a document over ``PORTAL_MAX_DOCUMENT_MB``): the core knows no files."""


class Busy(PortalRefusal):
    """Nothing was done because another change held the project (or the database) longer than the
    portal waits (``PORTAL_LOCK_SECONDS``): the same request may simply be sent again.

    503 with ``Retry-After``, not 409: the request does not conflict with the project's state (a
    409 asks the client to change its request); the server was only busy for a moment, which is
    what 503 and ``Retry-After`` say (RFC 9110, 15.6.4), and a client may retry it unchanged.
    """


Refusal = LedgerError | PortalRefusal
REFUSALS = (LedgerError, PortalRefusal)  # what a view catches to show as the form's error

STATUS: dict[type[Exception], int] = {
    InvalidInput: 400, QueryError: 400, ImportRejected: 400, Conflict: 409, NotFound: 404, Forbidden: 403, TooLarge: 413,
    Busy: 503, LedgerError: 400,
}


def status_of(exc: Refusal) -> int:
    """The HTTP status of a refusal: its nearest kind in :data:`STATUS`."""
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def message_of(exc: Refusal) -> str:
    """A refusal in one line, its details in brackets: what a form or a flash shows."""
    return translated(exc) + (f" ({'; '.join(details_of(exc))})" if exc.details else "")


def problem(status: int, title: str, detail: str, errors: list[str] | None = None) -> Response:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def refusal_response(exc: Refusal) -> Response | tuple[str, int]:
    """What a refusal that escaped a view becomes: a problem document under /api/, else a page."""
    status = status_of(exc)
    if _wants_json():
        return problem(status, type(exc).__name__, exc.message, exc.details)
    return render_template("error.html", status=status, message=translated(exc), details=details_of(exc)), status


def retry_after() -> int:
    """Seconds a client should wait before sending a busy request again: the portal's lock wait."""
    return max(1, math.ceil(float(current_app.config.get("PORTAL_LOCK_SECONDS", 5))))


def database_refusal(exc: OperationalError) -> Busy | None:
    """A database error that is not the request's fault, as a busy refusal: a lock not had in time,
    or a connection lost or refused (the pool replaces dead connections, so the next request works)."""
    if is_lock_timeout(exc):
        return Busy("the portal is busy with another change; nothing was changed, try again in a moment")
    if is_connection_lost(exc):
        current_app.logger.warning("database connection lost or refused: %s", first_line(exc))
        return Busy("the database cannot be reached just now; nothing was changed, try again in a moment")
    return None


def first_line(exc: BaseException) -> str:
    """The driver's own first line of a database error (SQLAlchemy's adds the statement and a link)."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def _database_error(exc: OperationalError) -> Response | tuple[str, int]:
    refusal = database_refusal(exc)
    if refusal is None:
        raise exc
    try:
        return refusal_response(refusal)
    except SQLAlchemyError:  # the page itself needed the database (the signed-in user): say it plainly
        return refusal.message, 503


def register(app: Flask) -> None:
    """Install the handlers: refusals and HTTP errors, as pages or as problem documents."""
    app.register_error_handler(LedgerError, refusal_response)
    app.register_error_handler(PortalRefusal, refusal_response)
    app.register_error_handler(OperationalError, _database_error)

    @app.errorhandler(413)
    def too_large(exc: HTTPException) -> Response | tuple[str, int]:
        """A request over ``MAX_CONTENT_LENGTH``: Flask refuses it before any view runs; say what the limits are."""
        document_mb = current_app.config.get("PORTAL_MAX_DOCUMENT_MB")
        request_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // MB
        detail = (_("The upload is too large: the portal accepts at most %(request)s MB in one request, and a document "
                    "may be at most %(document)s MB.", request=request_mb, document=document_mb) if document_mb else
                  _("The upload is too large: the portal accepts at most %(request)s MB in one request.", request=request_mb))
        if _wants_json():
            return problem(413, "Payload Too Large", detail)
        return render_template("errors/413.html", message=detail), 413

    @app.after_request
    def busy_retry_after(response: Response) -> Response:
        if response.status_code == 503:
            response.headers.setdefault("Retry-After", str(retry_after()))
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | tuple[str, int]:
        if _wants_json():
            return problem(exc.code or 500, exc.name, exc.description or exc.name)
        # Werkzeug's own description is English: the page says its status in the page's language
        # instead (error.html), and keeps only a description the portal wrote itself (translated).
        own = exc.description if exc.description and exc.description != type(exc).description else None
        return render_template("error.html", status=exc.code, message=translated(own) if own else None,
                               details=[]), exc.code or 500
