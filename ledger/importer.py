"""What an import may bring into a project ledger: payments and other bank-side entries, nothing else.

Every rule an import must pass is checked here, in :func:`validate`, and every refusal names its
line; all of them are given at once and nothing is changed (the portal posts only what this
returns). The file is parsed once; what could reach the file system or run code (``plugin``,
``include``, ``option "documents"``) is refused before anything else runs. Then:

- only ``open`` directives and cleared (``*``) transactions; none tagged by the portal
  (``#assessment``, ``#charge``, ``#fee``, :data:`ledger.entries.MANAGED_TAGS`; ``pushtag`` counts);
- no posting to, and no ``open`` of, an account the portal keeps (:func:`ledger.entries.is_managed`),
  except a payment into a member receivable the ledger already has;
- EUR only, whole cents only, no cost (``{…}``) or price (``@``, ``@@``) annotations;
- dated within the project's term and not in a closed year;
- no metadata key the portal writes itself (:data:`RESERVED_META`), ``filename`` and ``lineno``
  included (beancount would silently take them over as the entry's own source);
- balanced exactly, every account open (the ledger's own accounts with their opening dates);
- no transaction twice: not in the file (same :func:`identity`), not imported before (``seen``).

A reverted import is undone by :func:`reverse`, never by removing what was posted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from beancount.core import data
from beancount.core.amount import Amount
from beancount.ops import validation
from beancount.parser import booking, parser

from ledger import entries as E
from ledger.errors import Conflict, ImportRejected, Phrase, Word
from ledger.money import CURRENCY

ALLOWED_TYPES = (data.Open, data.Transaction)
SOURCE = "<import>"
# The metadata key of a bank's own reference for a transaction: its identity when present.
BANK_REFERENCE = "bank-ref"
# Metadata keys the portal writes itself (beancount's own source keys; ledger.recalc._meta and its
# extras; the posting year of ledger.entries; what an import and its reversal stamp): an import may
# use none of them.
RESERVED_META = frozenset({
    "filename", "lineno",
    "change", "effective", "actor", "recorded", "decision",
    "policy", "rule", "members", "allocated", "amount", "cancels", "tiers", "year",
    "imported-from", "imported-by", "import", "import-line", "reverts",
})
MAX_PROBLEMS = 500          # a refusal lists this many problems, then how many more there were
MAX_AMOUNT = Decimal(10) ** 12
LINE = "__line__"           # the file's line of a parsed entry, kept through booking (a key no file can write)
_META_LINE = re.compile(r"^[ \t]+(" + "|".join(re.escape(k) for k in sorted(RESERVED_META)) + r")[ \t]*:", re.M)
Progress = Callable[[str, int, int], None]
# beancount's booking and validation carry no annotations; these names give them their types.
_book_entries: Callable[[list[data.Directive], Any], tuple[list[data.Directive], list[Any]]] = booking.book
_validate_entries: Callable[[list[data.Directive], Any], list[Any]] = validation.validate
Seen = Callable[[Sequence[str]], Mapping[str, str]]   # identities -> "import 3 (payments.beancount)"


class Term(NamedTuple):
    """What an import is dated against: the project's term and its closed years."""

    start: dt.date
    end: dt.date
    closed: frozenset[int] = frozenset()


class Imported(NamedTuple):
    """A validated file: what to post (new opens, then transactions) and each transaction's identity."""

    entries: list[data.Directive]
    identities: list[tuple[int, str]]   # (line, identity), one per transaction, in the file's order

    @property
    def transactions(self) -> int:
        return len(self.identities)


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def validate(text: str, existing_opens: Iterable[data.Open], term: Term, *, seen: Seen | None = None,
             progress: Progress = _quiet) -> Imported:
    """The file's entries, validated; :class:`ImportRejected` with every problem by line otherwise.

    ``existing_opens`` are the ledger's accounts (an ``open`` of one of them in the file is dropped,
    but the ledger's opening date still applies); ``seen`` says which identities were imported before.
    """
    parsed, errors, options = parser.parse_string(text, report_filename=SOURCE)
    problems: set[tuple[int, str]] = {(_line(e.source), e.message) for e in errors}
    _refuse_options(options, problems)
    existing = {o.account: o for o in existing_opens}
    own = [_with_line(e) for e in parsed]
    transactions = [e for e in own if isinstance(e, data.Transaction)]
    problems |= {(text.count("\n", 0, m.start()) + 1, Phrase("the metadata key '%(key)s' is the portal's own; remove it", key=m.group(1)))
                 for m in _META_LINE.finditer(text)}
    for i, entry in enumerate(own):
        problems.update(_entry_problems(entry, existing, term))
        if i % 5000 == 0:
            progress("checking", i, len(own))
    if not problems and not transactions:
        raise ImportRejected("the file holds no transactions to import")
    progress("booking", 0, len(transactions))
    booked = _booked(own, existing, options, problems)
    progress("identities", 0, len(booked))
    identities = _identities(booked, problems, seen)
    if problems:
        raise ImportRejected("the import was refused; nothing was added (%(n)s problems)", n=len(problems), details=_listed(problems))
    new_opens = [e for e in own if isinstance(e, data.Open) and e.account not in existing]
    return Imported([*new_opens, *booked], identities)


def _refuse_options(options: Mapping[str, Any], problems: set[tuple[int, str]]) -> None:
    """``plugin``, ``include`` and ``option "documents"`` are refused before anything runs."""
    found = [message for key, message in (("plugin", Phrase("plugin directives are not allowed in an import")),
                                          ("include", Phrase("include directives are not allowed in an import")),
                                          ("documents", Phrase('option "documents" is not allowed in an import'))) if options.get(key)]
    if found:
        raise ImportRejected("the import was refused; nothing was added", details=_listed(problems | {(0, m) for m in found}))


def _line(meta: Mapping[str, Any] | None) -> int:
    """The file's line of an entry or error (0: the file as a whole)."""
    meta = meta or {}
    if LINE in meta:
        return int(meta[LINE])
    lineno = meta.get("lineno")
    return lineno if isinstance(lineno, int) and meta.get("filename") == SOURCE else 0


def _with_line(entry: data.Directive) -> data.Directive:
    """The entry with its line under a key no file can write (``lineno`` may have been overwritten)."""
    line = _line(entry.meta)
    if not line and isinstance(entry, data.Transaction):  # its own lineno was taken over: its first posting's
        line = min((_line(p.meta) for p in entry.postings if _line(p.meta)), default=0)
    return entry._replace(meta={**entry.meta, LINE: line})


def _listed(problems: set[tuple[int, str]]) -> list[str]:
    """The detail lines of a refusal, by line: each a :class:`Phrase` (a problem of beancount's own, its
    parser's or its validation's, is a value of one, in beancount's English)."""
    ordered: list[str] = [Phrase("line %(line)s: %(problem)s", line=n, problem=m) if n else m for n, m in sorted(problems)]
    if len(ordered) > MAX_PROBLEMS:
        ordered = [*ordered[:MAX_PROBLEMS], Phrase("… and %(n)s more problems", n=len(ordered) - MAX_PROBLEMS)]
    return ordered


def _entry_problems(entry: data.Directive, existing: Mapping[str, data.Open], term: Term) -> list[tuple[int, str]]:
    line = _line(entry.meta)
    if isinstance(entry, data.Open):
        found: list[tuple[int, str]] = []
        if E.is_managed(entry.account):
            found.append((line, Phrase("an import cannot open %(account)s: the portal opens the accounts it keeps", account=entry.account)))
        if set(entry.currencies or ()) - {CURRENCY}:
            found.append((line, Phrase("%(account)s may hold %(currency)s only, not %(others)s", account=entry.account, currency=CURRENCY,
                                       others=", ".join(sorted(set(entry.currencies) - {CURRENCY})))))
        return found
    if not isinstance(entry, data.Transaction):
        return [(line, Phrase("%(kind)s directives cannot be imported (only open and transactions)", kind=type(entry).__name__.lower()))]
    found = _dating(line, entry.date, term)
    if entry.flag != "*":
        found.append((line, Phrase("only cleared (*) transactions can be imported, not %(flag)s", flag=repr(entry.flag))))
    found += [(line, Phrase("#%(tag)s entries are made by the portal and cannot be imported", tag=tag))
              for tag in sorted(set(entry.tags or ()) & set(E.MANAGED_TAGS))]
    if not entry.postings:
        found.append((line, Phrase("a transaction without postings cannot be imported")))
    for posting in entry.postings:
        found += _posting_problems(posting, existing, _line(posting.meta) or line)
    return found


def _dating(line: int, when: dt.date, term: Term) -> list[tuple[int, str]]:
    if not term.start <= when <= term.end:
        return [(line, Phrase("dated %(day)s, outside the project's term (%(start)s – %(end)s)", day=str(when), start=str(term.start),
                              end=str(term.end)))]
    if when.year in term.closed:
        return [(line, Phrase("dated %(day)s, in %(year)s, which is closed", day=str(when), year=when.year))]
    return []


def _posting_problems(posting: data.Posting, existing: Mapping[str, data.Open], line: int) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    if posting.flag not in (None, "*"):
        found.append((line, Phrase("a flagged posting (%(flag)s) cannot be imported", flag=posting.flag)))
    if posting.cost is not None:
        found.append((line, Phrase("cost annotations ({…}) cannot be imported")))
    if posting.price is not None:
        found.append((line, Phrase("price annotations (@, @@) cannot be imported")))
    if E.is_managed(posting.account):
        if not E.is_payable(posting.account):
            found.append((line, Phrase("%(account)s is kept by the portal itself; an import cannot post to it", account=posting.account)))
        elif posting.account not in existing:
            found.append((line, Phrase("%(account)s is not an account of this ledger; an import pays into existing member accounts only",
                                       account=posting.account)))
    return found + _amount_problems(posting.units, line)


def _amount_problems(units: Any, line: int) -> list[tuple[int, str]]:
    """EUR, whole cents, a sane size; a missing amount (beancount fills it in) is checked once booked."""
    if not isinstance(units, Amount):
        return []
    found: list[tuple[int, str]] = []
    if isinstance(units.currency, str) and units.currency != CURRENCY:
        found.append((line, Phrase("only %(currency)s can be imported, not %(other)s", currency=CURRENCY, other=units.currency)))
    number = units.number
    if isinstance(number, Decimal):
        if not number.is_finite() or abs(number) >= MAX_AMOUNT:
            found.append((line, Phrase("%(number)s is beyond any amount the ledger takes", number=str(number))))
        elif int(number.normalize().as_tuple().exponent) < -2:
            found.append((line, Phrase("%(number)s %(currency)s is not a whole number of cents", number=str(number),
                                       currency=str(units.currency))))
    return found


def _booked(own: list[data.Directive], existing: Mapping[str, data.Open], options: Mapping[str, Any],
          problems: set[tuple[int, str]]) -> list[data.Transaction]:
    """Book and validate the file with the ledger's accounts, as beancount's loader would.

    Not ``loader.load_string``: it would parse the text a second time and run the pad, balance and
    document plugins, which have nothing to do in a file of opens and transactions (half the time
    of a 100,000-transaction import).
    """
    opened_here = {e.account for e in own if isinstance(e, data.Open)}
    entries = [*own, *(o for a, o in existing.items() if a not in opened_here)]
    entries.sort(key=data.entry_sortkey)
    booked, errors = _book_entries(entries, options)
    errors += _validate_entries(booked, options)
    problems.update((_line(e.source), e.message) for e in errors)
    imported = [e for e in booked if isinstance(e, data.Transaction) and LINE in e.meta]
    imported.sort(key=lambda e: e.meta[LINE])
    problems.update((_line(e.meta), p) for e in imported for p in E.check_balanced([e]))
    for entry in imported:
        for posting in entry.postings:
            problems.update(_amount_problems(posting.units, _line(posting.meta) or _line(entry.meta)))
            opened = existing.get(posting.account)
            if opened is not None and entry.date < opened.date:
                problems.add((_line(entry.meta), Phrase("%(account)s is open in the ledger from %(opened)s; this entry is dated %(day)s",
                                                        account=posting.account, opened=str(opened.date), day=str(entry.date))))
    return imported


def identity(entry: data.Transaction) -> str:
    """What makes a transaction the same as another: the bank's own reference when it has one
    (metadata ``bank-ref``), else its date, payee, narration and postings, normalised (spaces
    collapsed, amounts as numbers, postings in order), hashed (sha256, hex)."""
    ref = (entry.meta or {}).get(BANK_REFERENCE)
    if isinstance(ref, (str, Decimal)) and str(ref).strip():
        basis = ["bank-ref", " ".join(str(ref).split())]
    else:
        postings = sorted(f"{p.account} {(p.units.number + 0).normalize()} {p.units.currency}" for p in entry.postings
                          if isinstance(p.units, Amount) and isinstance(p.units.number, Decimal))
        basis = [entry.date.isoformat(), " ".join((entry.payee or "").split()), " ".join((entry.narration or "").split()), *postings]
    return hashlib.sha256("\x1f".join(basis).encode("utf-8")).hexdigest()


def _identities(booked: list[data.Transaction], problems: set[tuple[int, str]], seen: Seen | None) -> list[tuple[int, str]]:
    """Each transaction's identity; a second one in the file, or one imported before, is a problem."""
    first: dict[str, int] = {}
    found = []
    for entry in booked:
        line, key = _line(entry.meta), identity(entry)
        if key in first:
            why = Word("the same bank-ref") if BANK_REFERENCE in entry.meta else Word("the same date, payee, narration and postings")
            problems.add((line, Phrase("the same transaction as line %(first)s (%(why)s); give each its own %(key)s to import both",
                                       first=first[key], why=why, key=BANK_REFERENCE)))
        else:
            first[key] = line
        found.append((line, key))
    for key, where in (seen(list(first)) if seen else {}).items():
        problems.add((first[key], Phrase("this transaction was imported already in %(where)s", where=where)))
    return found


def stamp(entries: Iterable[data.Directive], meta: Mapping[str, Any]) -> list[data.Directive]:
    """Add provenance metadata (who imported, when, from which file and line) to imported transactions."""
    result = []
    for entry in entries:
        clean = _clean_meta(entry.meta)
        if isinstance(entry, data.Transaction):
            clean.update(meta)
            if entry.meta.get(LINE):
                clean["import-line"] = Decimal(entry.meta[LINE])
            postings = [p._replace(meta=_clean_meta(p.meta) or None) for p in entry.postings]
            entry = entry._replace(postings=postings)
        result.append(entry._replace(meta=clean))
    return result


def _clean_meta(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (meta or {}).items() if k not in ("filename", "lineno") and not k.startswith("__")}


# -- undoing an import -------------------------------------------------------------------------------
def reversal_date(today: dt.date, original: dt.date, term: Term) -> dt.date:
    """When the reversal of a transaction dated ``original`` is posted: today, or the original's date
    if that is later (a reversal never comes before what it reverses), clamped into the term and
    moved out of a closed year into the nearest open one (the first day of the next, else the last
    day of the one before), since a closed year keeps what it holds; :class:`Conflict` if none is open.
    """
    when = min(max(today, original, term.start), term.end)
    years = [y for y in range(term.start.year, term.end.year + 1) if y not in term.closed]
    if when.year in years:
        return when
    later = [y for y in years if y > when.year]
    if later:
        return max(dt.date(later[0], 1, 1), term.start)
    earlier = [y for y in years if y < when.year]
    if earlier:
        return min(dt.date(earlier[-1], 12, 31), term.end)
    raise Conflict("every year of the project's term is closed: nothing can be posted to undo the import")


def reverse(entries: Sequence[data.Directive], *, today: dt.date, term: Term, label: str,
            meta: Mapping[str, Any]) -> list[data.Transaction]:
    """The reversal of each transaction among ``entries``: every posting negated, with ``meta``.

    Opens stay (an account once opened stays open; a corrected file may use it again).
    """
    result = []
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        postings = [data.Posting(p.account, -p.units, None, None, None, None) for p in entry.postings if isinstance(p.units, Amount)]
        when = reversal_date(today, entry.date, term)
        narration = f"{label}: {entry.narration or ''}".rstrip(": ")
        result.append(data.Transaction(dict(meta), when, "*", entry.payee, narration, entry.tags or frozenset(),
                                       entry.links or frozenset(), postings))
    return result
