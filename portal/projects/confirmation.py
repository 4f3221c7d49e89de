"""The two steps of every change form: *Preview* shows what the change would do, *Confirm* posts it.

A change form's first POST runs its service call as a preview (:func:`portal.projects.previews.preview`)
and gets back the page :func:`render` draws: every city's share of every year before and after, the
funding, anything a closed year kept, and a form carrying the same fields as hidden inputs with
``confirm`` and the project's change number the preview was made at (``expect``). That second
POST runs the same call under :func:`portal.projects.previews.confirmed`; if another change came
in between, the new preview is shown instead (409), with a word saying why. *Edit* sends the
fields back to their form. The views stay thin: they hand their service call to :func:`submit`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from portal.errors import REFUSALS, message_of, status_of
from portal.projects import privacy
from portal.projects.models import Project
from portal.projects.previews import Moved, Preview, confirmed, preview, year_totals
from portal.projects.services import Outcome
from portal.web import whole

CONTROL = ("confirm", "expect", "edit")  # the fields this module adds; never the change's own


class Step(NamedTuple):
    """Where a change form's POST got to: posted (``outcome``), to be previewed, refused, or back to editing."""

    outcome: Outcome | None = None
    preview: Preview | None = None
    error: str | None = None
    status: int = 200
    moved: bool = False

    @property
    def editing(self) -> bool:
        """The form should be shown again (with its data): *Edit* was pressed, or the change was refused."""
        return self.outcome is None and self.preview is None


def _expect() -> int | None:
    return whole(request.form.get("expect"))


def submit(run: Callable[[], Outcome]) -> Step:
    """A validated change form's POST: its preview, or with ``confirm`` (and ``expect``) its posting."""
    if request.form.get("edit"):
        return Step()
    moved = False
    expect = _expect()
    if request.form.get("confirm") and expect is not None:
        try:
            return Step(outcome=confirmed(run, expect))
        except Moved:
            moved = True
        except REFUSALS as exc:
            return Step(error=message_of(exc), status=status_of(exc))
    try:
        shown = preview(run)
    except REFUSALS as exc:
        return Step(error=message_of(exc), status=status_of(exc))
    return Step(preview=shown, status=409 if moved else 200, moved=moved)


def hidden_fields() -> list[tuple[str, str]]:
    """The posted fields to carry through the preview, each value of a multiple choice included."""
    return [(name, value) for name, value in request.form.items(multi=True)
            if name not in CONTROL and not name.endswith("csrf_token")]


def csrf_fields() -> list[tuple[str, str]]:
    return [(name, value) for name, value in request.form.items(multi=True) if name.endswith("csrf_token")]


def render(project: Project | None, step: Step, *, back: str, title: str, **context: Any) -> ResponseReturnValue:
    """The preview page of ``step``: what would change, and the form that confirms it (or goes back).

    ``project`` is None while one is being created (the page then has no project navigation)."""
    assert step.preview is not None
    shown = step.preview
    details = privacy.details(privacy.viewer(), shown.details)
    years, rows = shown.grid()
    note = _("Another change was posted while you were looking at the preview. Below is what your change "
             "would do now; check it and confirm again.") if step.moved else None
    return render_template("projects/preview.html", project=project, name=project.name if project else "", preview=shown, details=details, years=years,
                           rows=rows, changed=sum(row.changed for row in rows), totals=year_totals(rows), fields=hidden_fields(), csrf=csrf_fields(),
                           action=request.path, back=back, title=title, note=note, **context), step.status
