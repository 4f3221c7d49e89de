"""The core's words in the page's language: a rule's label, a policy, and each change's summary.

The core writes its labels and the changes' summaries in English once, into the audit log and the
ledger's narrations, where they stay as they were posted (an export reads the same in every
language). A page in Finnish or Swedish words them again from what the op holds (its kind and
parameters), here, at the one edge; an English page shows the stored text itself, so nothing a
record says is ever reworded in its own language. A kind not worded here keeps its stored summary.

The changes posted as they were built (an import, its reversal, issued invoices, imported
payments) and the documents' records keep their values in the audit record's details rather than
in an op: they are worded from those. What such a record does not keep is read back from its
stored summary, whose shape the portal wrote (a withdrawn document's title; an imported bank
file's name, count and total); a summary of another shape keeps its English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext

from ledger.errors import LedgerError
from ledger.money import from_fmt
from ledger.project import Op, version_from_json
from portal import formats
from portal.i18n import select_locale
from portal.web import city_name

_POPULATION = re.compile(r"^population \((\d{4})\)")
_HYBRID = re.compile(r"^hybrid ([\d.,]+) % equal / ([\d.,]+) % population \((\d{4})\)")
_FIXED = re.compile(r"^fixed (.+?)(?=, \d+ cap|$)")
_BOUNDS = re.compile(r", (\d+) cap\(s\), (\d+) floor\(s\)$")


def english() -> bool:
    return select_locale() == "en"


def rule_text(label: str) -> str:
    """``ledger.rules.RuleVersion.describe``'s label (``population (2025)``, ``fixed 638 75 % / …``) worded."""
    if not label or english():
        return label
    if label.startswith("equal"):
        text = _("equal shares")
    elif m := _POPULATION.match(label):
        text = _("by population (%(year)s)", year=m.group(1))
    elif m := _HYBRID.match(label):
        text = _("%(base)s %% equally, %(rest)s %% by population (%(year)s)", base=m.group(1), rest=m.group(2), year=m.group(3))
    elif m := _FIXED.match(label):
        text = _("fixed percentages: %(list)s", list=m.group(1))
    else:
        return label
    if b := _BOUNDS.search(label):
        text += ", " + _("caps: %(caps)s, floors: %(floors)s", caps=b.group(1), floors=b.group(2))
    return text


def policy_text(policy: str) -> str:
    labels = {"whole-term": _("whole term"), "pro-rata": _("pro rata")}
    return policy if english() else labels.get(policy, policy)


def _cities(codes: Any) -> str:
    return ", ".join(city_name(str(c)) for c in codes or [])


def _eur(cents: Any) -> str:
    return formats.eur(int(cents)) if isinstance(cents, int) else formats.eur(from_fmt(str(cents)))


def _day(text: Any) -> str:
    try:
        return formats.date(dt.date.fromisoformat(str(text)))
    except ValueError:
        return str(text)


def _rule_set(p: Mapping[str, Any], effective: str) -> str:
    return _("Rule from %(date)s: %(rule)s", date=_day(effective), rule=rule_text(version_from_json(p["version"]).describe()))


def _budget_set(p: Mapping[str, Any], effective: str) -> str:
    years = p.get("years") or {}
    if len(years) == 1:
        (year, cents), = years.items()
        return _("Budget of %(year)s set to %(amount)s", year=year, amount=_eur(cents))
    return _("Budget changed: %(years)s", years=", ".join(f"{y} {_eur(c)}" for y, c in sorted(years.items())))


WORDS: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    "project-created": lambda p, e: _("Project %(name)s created", name=p.get("name", "")),
    "members-added": lambda p, e: ngettext("%(cities)s joins on %(date)s", "%(cities)s join on %(date)s",
                                           len(p.get("cities") or []), cities=_cities(p.get("cities")), date=_day(e)),
    "member-withdrawn": lambda p, e: _("%(city)s leaves on %(date)s", city=city_name(str(p.get("city", ""))), date=_day(e)),
    "budget-set": _budget_set,
    "rule-set": _rule_set,
    "policy-set": lambda p, e: _("Policy changed to %(policy)s", policy=policy_text(str(p.get("policy", "")))),
    "settings-set": lambda p, e: _("Settings of leavers and joiners changed"),
    "year-closed": lambda p, e: _("Year %(year)s closed", year=p.get("year")),
    "charge-added": lambda p, e: _("%(city)s charged %(amount)s: %(text)s", city=city_name(str(p.get("city", ""))),
                                   amount=_eur(p.get("cents", 0)), text=str(p.get("text", "")).strip()),
    "charge-cancelled": lambda p, e: _("Charge %(number)s cancelled: %(reason)s", number=p.get("number"),
                                       reason=str(p.get("reason", ""))),
    "grant-added": lambda p, e: _("Funding %(year)s: %(text)s, %(amount)s", year=p.get("year"), text=str(p.get("text", "")).strip(),
                                  amount=_eur(p.get("cents", 0))),
    "subsidy-set": lambda p, e: _("Subsidy %(key)s: %(rate)s per logged hour", key=p.get("key"), rate=_eur(p.get("rate_cents", 0))),
    "hours-logged": lambda p, e: _("Hours logged for subsidy %(key)s", key=p.get("key")),
    "joining-fee-set": lambda p, e: _("Joining fee set (%(year)s populations)", year=p.get("population_year")),
}


def _imported(p: Mapping[str, Any], e: str) -> str:
    return _("%(transactions)s transactions imported from %(filename)s (import %(number)s)",
             transactions=p["transactions"], filename=p["filename"], number=p["import"])


def _import_reverted(p: Mapping[str, Any], e: str) -> str:
    return _("Import %(number)s (%(filename)s) reverted: %(transactions)s transactions reversed",
             number=p["import"], filename=p["filename"], transactions=p["transactions"])


def _invoices_issued(p: Mapping[str, Any], e: str) -> str:
    invoices = list(p["invoices"])
    return _("%(count)s invoice(s) for %(year)s issued, numbers %(first)s–%(last)s, %(total)s in all", count=len(invoices),
             year=p["year"], first=invoices[0]["number"], last=invoices[-1]["number"], total=_eur(p["total"]))


_PAYMENTS = re.compile(r"^(\d+) payment\(s\) imported from (.+), (-?\d+\.\d\d) EUR$")


def _payments_imported(p: Mapping[str, Any], e: str, stored: str) -> str:
    m = _PAYMENTS.match(stored)  # the file's kind and message id and the total are not in the details
    if m is None:
        raise ValueError(stored)
    return _("%(count)s payment(s) imported from %(file)s, %(total)s in all", count=m.group(1), file=m.group(2),
             total=_eur(m.group(3)))


def _document_kind(kind: Any) -> str:
    """The words of the attaching form (``portal.documents.forms``, which this layer does not import)."""
    labels = {"agreement": _("Agreement"), "decision": _("Council decision"), "other": _("Other")}
    return labels[str(kind)].lower()


def _size(size: int) -> str:
    """``2,4 MB``, ``812 kB``, as ``portal.documents.files.size_text`` wrote it into the summary."""
    return f"{size / 2**20:.1f} MB".replace(".", ",") if size >= 2**20 else f"{max(1, round(size / 1024))} kB"


def _document_attached(p: Mapping[str, Any], e: str) -> str:
    values = {"title": p["title"], "kind": _document_kind(p["kind"]), "size": _size(int(p["size"]))}
    if p.get("change") is not None:
        return _("Document “%(title)s” (%(kind)s, %(size)s) attached to change %(change)s", change=p["change"], **values)
    return _("Document “%(title)s” (%(kind)s, %(size)s) attached", **values)


def _document_withdrawn(p: Mapping[str, Any], e: str, stored: str) -> str:
    head, tail = "Document “", f"” withdrawn: {p['reason']}"  # the title is not in the details: it is read back
    if not (stored.startswith(head) and stored.endswith(tail)) or len(stored) < len(head) + len(tail):
        raise ValueError(stored)
    return _("Document “%(title)s” withdrawn: %(reason)s", title=stored[len(head):len(stored) - len(tail)], reason=p["reason"])


def _agreement_signed(p: Mapping[str, Any], e: str) -> str:
    return _("%(city)s signed the agreement on %(date)s (%(signer)s)", city=city_name(str(p["city"])), date=_day(p["signed_on"]),
             signer=p["signer"])


#: Records whose values are the audit record's details, not an op's (``post_entries``, the documents' own).
RECORDED: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    "ledger-imported": _imported,
    "ledger-import-reverted": _import_reverted,
    "invoices-issued": _invoices_issued,
    "document-attached": _document_attached,
    "agreement-signed": _agreement_signed,
}
#: Those that also read back what the details do not keep from the stored summary.
READ_BACK: dict[str, Callable[[Mapping[str, Any], str, str], str]] = {
    "payments-imported": _payments_imported,
    "document-withdrawn": _document_withdrawn,
}


def _worded(kind: str, params: Mapping[str, Any], effective: str, stored: str) -> str | None:
    if kind in READ_BACK:
        return READ_BACK[kind](params, effective, stored)
    worder = WORDS.get(kind) or RECORDED.get(kind)
    return worder(params, effective) if worder is not None else None


def summary(source: Any) -> str:
    """A change's summary in the page's language: ``source`` an ``Op``, an audit record or its details."""
    if isinstance(source, Op):
        stored, kind, params, effective = source.summary, source.kind, source.params, source.effective.isoformat()
    else:
        details = source if isinstance(source, Mapping) else (getattr(source, "details", None) or {})
        op = details.get("op") or {}
        stored = str(details.get("summary") or getattr(source, "action", "") or "")
        kind, params, effective = op.get("kind", ""), op.get("params") or {}, str(op.get("effective", ""))
        if not op:  # a posting's or a document's record: its action is its kind, its details its values
            kind, params = str(getattr(source, "action", "") or ""), details
    if english():
        return stored
    try:
        return _worded(kind, params, effective, stored) or stored
    except (KeyError, TypeError, ValueError, IndexError, LedgerError):  # recorded before its values took this shape
        return stored


def init_app(app: Flask) -> None:
    for name, fn in (("change_summary", summary), ("rule_text", rule_text), ("policy_text", policy_text)):
        app.add_template_filter(fn, name)
