"""Bank files as jobs: a big camt file is imported by the job queue (``portal.jobs``), not inside the request.

A page upload larger than :data:`INLINE_BYTES` is checked at once (a malformed file is refused on the
form, nothing queued), then queued; the user is sent to the job's page, which shows its progress and
then the result (matched, already imported, unallocated) with a link back to the payments. Smaller
files, the usual daily camt.054 of a few kilobytes, are imported in the request and the result is
shown on the payments page itself. The command line always imports in its own process.
"""

from __future__ import annotations

from typing import Any

from portal.billing import payments as pay
from portal.billing.camt import parse_bank_file
from portal.jobs.models import Job
from portal.jobs.services import N_, JobContext, enqueue, stored, text_of
from portal.projects.services import get_project

INLINE_BYTES = 256 * 1024  # a day's reference payments of a consortium fit many times over


def _import_job(context: JobContext) -> dict[str, Any]:
    slug = context.params["slug"]
    context.progress("matching", 0, 0)
    result = pay.import_file(slug, context.file().content, actor=context.actor)
    counts = result.summary()
    # Plain English, as the ledger imports' jobs say it (the job's result is data, kept as written),
    # with its template and values beside it for the job's page in Finnish and Swedish.
    worded = stored(N_("%(m)s matched (%(p)s partial, %(o)s over), %(u)s unallocated, %(a)s already imported"),  # the payments page's
                    m=counts["matched"], p=counts["partial"], o=counts["over"], u=counts["unallocated"], a=counts["already_imported"])
    return {**counts, "seq": result.seq, "repeated_file": result.repeated_file, "summary": text_of(worded), "worded": worded,
            "links": [{"endpoint": "payments.payments", "values": {"slug": slug}, "text": N_("Back to the payments")}]}


JOB_KINDS = {"payments-import": _import_job}


def enqueue_import(slug: str, content: bytes, *, filename: str, actor: str, user_id: int | None) -> Job:
    """Queue a bank file's import; a malformed file is refused here, before anything is queued."""
    project = get_project(slug)
    bank = parse_bank_file(content)
    return enqueue("payments-import", {"slug": project.slug}, actor, user_id=user_id, file=(filename or "bank.xml", content),
                   title=stored(N_("Payments from %(kind)s %(message)s into %(project)s"), kind=bank.kind, message=bank.message_id,
                                project=project.name))
