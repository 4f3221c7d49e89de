"""Document and agreement pages: attaching a PDF (to the project or to one change), downloading
it, withdrawing it; the agreement's signatures and whether it is in force; and their JSON.

The project page and each change's page show their documents through the template global
``documents_panel`` that :func:`init_app` installs, so ``portal.projects`` never imports this
package (documents build on projects, never the other way). Downloads are for the users of the
project only (``portal.documents.services.may_read``): a user of a city that is not a member gets
403, and anonymous users are sent to log in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ledger import parse
from ledger.errors import NotFound, Word
from portal.audit import AuditEvent
from portal.documents import services as documents
from portal.documents.files import safe_filename, size_text
from portal.documents.forms import KIND_LABELS, AttachForm, SignForm, WithdrawDocumentForm
from portal.documents.models import Document
from portal.errors import MB
from portal.projects import privacy
from portal.projects import services as projects
from portal.projects.models import Project
from portal.web import VIEWERS, attachment, attempt, day, require, text, whole

bp = Blueprint("documents", __name__)
api = Blueprint("documents_api", __name__, url_prefix="/api/v1")
FORM_MARGIN = MB  # room for the other fields of an upload's form, above the document limit


def init_app(app: Flask) -> None:
    """The pages, the panels the project templates include, and a request limit that admits a document."""
    app.register_blueprint(bp)
    app.register_blueprint(api)
    app.add_template_global(panel, "documents_panel")
    app.add_template_global(documents.agreement_of, "project_agreement")
    app.add_template_filter(size_text, "file_size")
    wanted = int(app.config["PORTAL_MAX_DOCUMENT_MB"]) * MB + FORM_MARGIN
    app.config["MAX_CONTENT_LENGTH"] = max(int(app.config.get("MAX_CONTENT_LENGTH") or 0), wanted)


def _change_links(project: Project, rows: list[Document]) -> dict[int, tuple[int, str | None]]:
    """Each change the documents are attached to (by its row id): its number and its page."""
    return {change_id: (seq, url_for("projects.change", slug=project.slug, event_id=event_id) if event_id else None)
            for change_id, (seq, event_id) in documents.attached_changes(project, rows).items()}


def panel(project: Project, event: AuditEvent | None = None) -> dict[str, Any]:
    """What the documents section of the project page (or of a change's page, with ``event``) shows."""
    change = documents.change_of_event(project, event) if event is not None else None
    readable = documents.may_read(current_user, project)
    rows = documents.documents_of(project, change) if readable and (event is None or change is not None) else []
    rows = documents.visible(project, rows, privacy.viewer())
    return {"readable": readable, "documents": rows, "change": change, "changes": _change_links(project, rows),
            "may_attach": current_user.has_role("lead") and (event is None or change is not None), "kinds": KIND_LABELS}


def _back(project: Project, document: Document) -> str:
    _seq, link = _change_links(project, [document]).get(document.change_id or 0, (0, None))
    return link or url_for("projects.show", slug=project.slug) + "#documents"


# -- documents -------------------------------------------------------------------------------------
@bp.route("/p/<slug>/documents/attach", methods=["GET", "POST"])
@login_required
def attach(slug: str) -> ResponseReturnValue:
    require("lead")
    project = projects.get_project(slug)
    form = AttachForm()
    if request.method == "GET" and (change := whole(request.args.get("change"))) is not None:
        form.change.data = change
    error, status = None, 200
    if form.validate_on_submit():
        upload = form.file.data
        document, error, status = attempt(lambda: documents.attach(
            slug, upload.read(), filename=upload.filename or "", title=text(form.title), kind=text(form.kind),
            actor=current_user.actor, change=form.change.data))
        if document is not None:
            flash(_("Attached “%(title)s” (%(size)s).", title=document.title, size=size_text(document.size)), "success")
            return redirect(_back(project, document))
    elif form.is_submitted():
        status = 400
    return render_template("documents/attach.html", project=project, form=form, error=error,
                           limit=documents.limit_mb()), status


@bp.get("/p/<slug>/documents/<int:document_id>")
@login_required
def download(slug: str, document_id: int) -> ResponseReturnValue:
    """The file itself: as an attachment, never shown inline, with a name that needs no quoting."""
    project = projects.get_project(slug)
    documents.require_reader(current_user, project)
    document = documents.get_document(project, document_id)
    if not documents.visible(project, [document], privacy.viewer()):
        raise NotFound("%(project)s has no document %(document)s", project=project.name, document=document_id)
    response = attachment(document.content, safe_filename(document.filename, document.title), "application/pdf")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/p/<slug>/documents/<int:document_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(slug: str, document_id: int) -> ResponseReturnValue:
    require("lead")
    project = projects.get_project(slug)
    document = documents.get_document(project, document_id)
    form = WithdrawDocumentForm()
    error, status = None, 200
    if form.validate_on_submit():
        done, error, status = attempt(lambda: documents.withdraw(slug, document_id, reason=text(form.reason),
                                                                 actor=current_user.actor))
        if done is not None:
            flash(_("Withdrew “%(title)s”; it stays listed as withdrawn.", title=done.title), "success")
            return redirect(_back(project, done))
    elif form.is_submitted():
        status = 400
    return render_template("documents/withdraw.html", project=project, document=document, form=form, error=error), status


# -- the agreement ---------------------------------------------------------------------------------
def _sign_form(project: Project, found: documents.Agreement) -> SignForm:
    """The lead's form: every city that is or was a member (a past signature can be recorded late), marked."""
    form = SignForm()
    signed = {line.row.city_code for line in found.signatures if line.party}
    current = {*found.status.parties, *found.status.upcoming}

    def label(code: str, name: str) -> str:
        note = " – " + _("signed") if code in signed else "" if code in current else " – " + _("former member")
        return f"{name} ({code}){note}"

    form.city.choices = [("", _("Choose a member city"))] + [
        (code, label(code, name)) for code, name in sorted(found.names.items(), key=lambda kv: kv[1])]
    standing = [d for d in documents.documents_of(project) if not d.withdrawn]
    form.document.choices = [("", _("None"))] + [(str(d.id), f"{d.id} · {d.title}") for d in standing]
    return form


@bp.route("/p/<slug>/agreement", methods=["GET", "POST"])
@login_required
def agreement(slug: str) -> ResponseReturnValue:
    """Whether the agreement is in force, who has signed and who has not; the lead records signatures here."""
    require(*VIEWERS)
    if request.method == "POST":
        require("lead")
    project = projects.get_project(slug)
    found = documents.agreement_of(project)
    form = _sign_form(project, found) if current_user.has_role("lead") else None
    error, status = None, 200
    if form is not None and form.validate_on_submit():
        chosen = text(form.document)
        done, error, status = attempt(lambda: documents.sign(
            slug, text(form.city), signer=text(form.signer), signed_on=day(form.signed_on), decision=text(form.decision),
            document_id=parse.number(chosen, Word("the decision document")) if chosen else None, actor=current_user.actor))
        if done is not None:
            flash(_("Recorded the signature of %(city)s.", city=found.names.get(done.city_code, done.city_code)), "success")
            return redirect(url_for("documents.agreement", slug=slug))
    elif form is not None and form.is_submitted():
        status = 400
    return render_template("documents/agreement.html", project=project, found=found, form=form, error=error,
                           readable=documents.may_read(current_user, project)), status


# -- JSON ------------------------------------------------------------------------------------------
@api.get("/projects/<slug>/agreement")
@login_required
def api_agreement(slug: str) -> ResponseReturnValue:
    """In force or not, since when, who signed (for which membership) and who is still to sign."""
    require(*VIEWERS)
    return jsonify(documents.agreement_json(projects.get_project(slug)))


@api.get("/projects/<slug>/documents")
@login_required
def api_documents(slug: str) -> ResponseReturnValue:
    project = projects.get_project(slug)
    documents.require_reader(current_user, project)
    rows = documents.visible(project, documents.documents_of(project), privacy.viewer())
    changes = documents.attached_changes(project, rows)
    return jsonify([{"id": d.id, "title": d.title, "kind": d.kind, "filename": d.filename, "size": d.size, "sha256": d.sha256,
                     "change": changes[d.change_id][0] if d.change_id in changes else None, "attached_by": d.attached_by,
                     "attached_at": d.attached_at.isoformat(), "withdrawn": d.withdrawn,
                     "withdrawn_reason": d.withdrawn_reason, "url": url_for("documents.download", slug=slug, document_id=d.id)}
                    for d in rows])
