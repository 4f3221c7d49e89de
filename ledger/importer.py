"""Validate a ``.beancount`` file of balanced transactions for appending to a project ledger.

The import is all or nothing: the file is parsed and validated by beancount (booking,
balancing, accounts opened before use) against the accounts the ledger already has, and every
error is reported with its line. Directives that could reach the file system or run code
(``plugin``, ``include``, ``option "documents"``) are refused before beancount sees them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from beancount import loader
from beancount.core import data
from beancount.parser import parser

from ledger import entries as E
from ledger.errors import ImportRejected

ALLOWED_TYPES = (data.Open, data.Transaction)


def _line_of(meta: Mapping[str, Any] | None, limit: int) -> str:
    lineno = (meta or {}).get("lineno")
    return f"line {lineno}" if isinstance(lineno, int) and lineno <= limit else "the file"


def validate(text: str, existing_opens: Iterable[data.Open]) -> list[data.Directive]:
    """The file's entries, validated; :class:`ImportRejected` with errors by line otherwise.

    Open directives for accounts the ledger already has are dropped (the ledger's own stay),
    but the ledger's opening dates still apply to the imported transactions.
    """
    n_lines = text.count("\n") + 1
    parsed, errors, options = parser.parse_string(text)
    problems = [f"{_line_of(e.source, n_lines)}: {e.message}" for e in errors]
    if options.get("plugin"):
        problems.append("plugin directives are not allowed in an import")
    if options.get("include"):
        problems.append("include directives are not allowed in an import")
    if options.get("documents"):
        problems.append('option "documents" is not allowed in an import')
    for entry in parsed:
        if not isinstance(entry, ALLOWED_TYPES):
            problems.append(f"{_line_of(entry.meta, n_lines)}: {type(entry).__name__.lower()} directives cannot be imported (only open and transactions)")
        elif isinstance(entry, data.Transaction) and E.ASSESSMENT_TAG in (entry.tags or ()):
            problems.append(f"{_line_of(entry.meta, n_lines)}: #assessment entries are made by the portal's recalculation and cannot be imported")
    if problems:
        raise ImportRejected("the import was refused; nothing was added", details=problems)
    if not any(isinstance(e, data.Transaction) for e in parsed):
        raise ImportRejected("the file holds no transactions to import")

    existing = {o.account: o for o in existing_opens}
    opened_here = {e.account for e in parsed if isinstance(e, data.Open)}
    # The ledger's own open directives go after the file's last line, so the file's lines keep
    # their numbers in beancount's error messages.
    ours = [existing[a] for a in sorted(existing) if a not in opened_here]
    full = text + "\n\n" + "\n".join(E.format_entry(o) for o in ours)
    loaded, errors, _ = loader.load_string(full)
    problems = [f"{_line_of(e.source, n_lines)}: {e.message}" for e in errors]
    imported = [e for e in loaded if isinstance(e.meta.get("lineno"), int) and e.meta["lineno"] <= n_lines]
    problems += E.check_balanced(imported)
    for entry in imported:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                opened = existing.get(posting.account)
                if opened is not None and entry.date < opened.date:
                    problems.append(f"{_line_of(entry.meta, n_lines)}: {posting.account} is open in the ledger from {opened.date}; this entry is dated {entry.date}")
    if problems:
        raise ImportRejected("the import was refused; nothing was added", details=sorted(set(problems), key=_sort_key))
    return [e for e in imported if not (isinstance(e, data.Open) and e.account in existing)]


def _sort_key(problem: str) -> tuple[int, str]:
    head = problem.split(":", 1)[0]
    return (int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 10**9, problem)


def stamp(entries: Iterable[data.Directive], meta: Mapping[str, Any]) -> list[data.Directive]:
    """Add provenance metadata (who imported, when, from which file) to imported transactions."""
    result = []
    for entry in entries:
        clean = _clean_meta(entry.meta)
        if isinstance(entry, data.Transaction):
            clean.update(meta)
            postings = [p._replace(meta=_clean_meta(p.meta) or None) for p in entry.postings]
            entry = entry._replace(postings=postings)
        result.append(entry._replace(meta=clean))
    return result


def _clean_meta(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (meta or {}).items() if k not in ("filename", "lineno") and not k.startswith("__")}
