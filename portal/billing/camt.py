"""Incoming payments from ISO 20022 bank files: camt.054 notifications and camt.053 statements.

Finnish banks deliver reference payments as camt.054 (Bank-to-Customer
Debit/Credit Notification) and the account statement as camt.053, in versions
001.02 and 001.08.  Both carry entries (``Ntry``) the same way: an entry is one
booking on the account, often a batch of reference payments, whose
``NtryDtls/TxDtls`` are the single payments (Finance Finland's camt.054 sample
reports each reference payment as a ``TxDtls`` with its own archive id in
``Refs/AcctSvcrRef``).

This module turns a file into plain data for matching payments to invoices:

- every credit transaction, with the bank's reference that identifies it
  (``AcctSvcrRef`` of the transaction, else of the entry, else ``NtryRef``;
  ``bank_reference_source`` says which), amount in cents, dates, the creditor
  reference (normalised by :mod:`portal.billing.references`), debtor name,
  unstructured text and end-to-end id;
- debits, reversals and entries that are not booked, reported apart.

The file is parsed safely: no DTD (refused), no entity expansion, no network,
no huge trees.  A malformed file raises ``InvalidInput`` naming what is wrong
and where ("entry 3, transaction 2: the amount 'abc' is not a number").

Hand-written with lxml rather than a library: no maintained Python camt reader
covers both versions and Finnish reference payments; the handful of paths read
here differ between 001.02 and 001.08 only in the debtor name, the status and
the transaction amount, which :data:`_PATHS` spells out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import pycountry
from lxml import etree

from ledger.errors import InvalidInput, Phrase, Word
from portal.billing.bankfile import BankFile, BankTransaction, Direction, FileKind, ReferenceSource
from portal.billing.parties import normalize_iban
from portal.billing.references import ParsedReference, parse_reference

MAX_FILE_BYTES = 50 * 1024 * 1024
_NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"
_SUPPORTED = {"camt.053.001.02", "camt.053.001.08", "camt.054.001.02", "camt.054.001.08"}
_CONTAINERS = {"camt.053": ("BkToCstmrStmt", "Stmt"), "camt.054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
#: Paths that differ between versions; each list is tried in order.
_PATHS = {
    "status": ["c:Sts/c:Cd", "c:Sts/c:Prtry", "c:Sts"],
    "tx_amount": ["c:Amt", "c:AmtDtls/c:TxAmt/c:Amt"],
    "debtor": ["c:RltdPties/c:Dbtr/c:Pty/c:Nm", "c:RltdPties/c:Dbtr/c:Nm"],
}


class _Unreadable(Exception):
    """What is wrong with an entry or one of its transactions, as a :class:`~ledger.errors.Phrase`
    (a detail line the page words in its language): raised while an entry is read, prefixed with
    where it is, and gathered with the file's other problems into one refusal."""

    def __init__(self, problem: Phrase) -> None:
        super().__init__(problem)
        self.problem = problem


class _Reader:
    """Namespace-aware look-ups in one document."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"c": namespace}

    def find(self, element: etree._Element, path: str) -> etree._Element | None:
        return element.find(path, self.ns)

    def findall(self, element: etree._Element, path: str) -> list[etree._Element]:
        return list(element.findall(path, self.ns))

    def text(self, element: etree._Element, *paths: str) -> str | None:
        for path in paths:
            found = element.find(path, self.ns)
            if found is not None and found.text is not None and found.text.strip():
                return " ".join(found.text.split())
        return None


def _parse_xml(data: bytes) -> etree._Element:
    if not isinstance(data, bytes):
        raise InvalidInput("the bank file must be given as bytes, as it was downloaded")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("the bank file is larger than %(mb)s MB", mb=MAX_FILE_BYTES // (1024 * 1024))
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise InvalidInput("the bank file is not well-formed XML: %(reason)s", reason=error.msg) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise InvalidInput("the bank file declares a DTD, which bank files never do, so it is refused")
    return root


def _message_name(root: etree._Element) -> tuple[FileKind, str]:
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    if qname.localname != "Document" or not namespace.startswith(_NS_PREFIX):
        raise InvalidInput("the file is not an ISO 20022 bank file (its root element is %(root)s)", root=qname.localname)
    name = namespace[len(_NS_PREFIX) :]
    if name not in _SUPPORTED:
        raise InvalidInput(
            "the file is a %(name)s message; only camt.053 and camt.054 versions 001.02 and 001.08 are read", name=name
        )
    kind: FileKind = "camt.053" if name.startswith("camt.053") else "camt.054"
    return kind, name[len("camt.05x.") :]


def _datetime(text: str | None, what: str) -> dt.datetime:
    if text is None:
        raise InvalidInput("the %(what)s is missing", what=what)
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("the %(what)s '%(text)s' is not a date and time", what=what, text=text) from None


def _date(reader: _Reader, element: etree._Element, path: str, what: str) -> dt.date | None:
    text = reader.text(element, f"{path}/c:Dt", f"{path}/c:DtTm")
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise _Unreadable(Phrase("the %(what)s '%(text)s' is not a date", what=what, text=text)) from None


def _amount(element: etree._Element | None) -> tuple[int, str]:
    """(cents, currency) of an amount element; the direction is never in the sign."""
    if element is None or element.text is None or not element.text.strip():
        raise _Unreadable(Phrase("the amount is missing"))
    text = element.text.strip()
    if not _AMOUNT.fullmatch(text):
        raise _Unreadable(Phrase("the amount '%(text)s' is not a number", text=text))
    cents = Decimal(text) * 100
    # A trailing zero ("10.500") is exact and harmless; a third significant decimal is not.
    if cents != cents.to_integral_value():
        raise _Unreadable(Phrase("the amount '%(text)s' has more than two decimals", text=text))
    currency = (element.get("Ccy") or "").strip()
    if not currency:
        raise _Unreadable(Phrase("the amount '%(text)s' has no currency", text=text))
    if len(currency) != 3 or not currency.isupper() or pycountry.currencies.get(alpha_3=currency) is None:
        raise _Unreadable(Phrase("the amount '%(text)s' is in '%(currency)s', which is not a known currency", text=text,
                                 currency=currency))
    return int(cents), currency


def _direction(text: str | None) -> Direction:
    if text == "CRDT":
        return "credit"
    if text == "DBIT":
        return "debit"
    raise _Unreadable(Phrase("the credit/debit indicator '%(text)s' must be CRDT or DBIT", text=text or ""))


def _references(reader: _Reader, tx: etree._Element) -> tuple[ParsedReference | None, str | None, tuple[str, ...]]:
    """The first structured creditor reference, its text as the file had it, and any further ones.

    A reference that is not valid is kept as text only: a payer's typo must not
    stop the file, it makes the payment one to match by hand.
    """
    texts = [
        " ".join(ref.text.split())
        for ref in reader.findall(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref")
        if ref.text and ref.text.strip()
    ]
    if not texts:
        return None, None, ()
    try:
        parsed: ParsedReference | None = parse_reference(texts[0])
    except InvalidInput:
        parsed = None
    return parsed, texts[0], tuple(texts[1:])


def _bank_reference(
    reader: _Reader, tx: etree._Element | None, entry: etree._Element
) -> tuple[str | None, ReferenceSource | None]:
    candidates: list[tuple[etree._Element | None, str, ReferenceSource]] = [
        (tx, "c:Refs/c:AcctSvcrRef", "TxDtls/Refs/AcctSvcrRef"),
        (entry, "c:AcctSvcrRef", "Ntry/AcctSvcrRef"),
        (entry, "c:NtryRef", "Ntry/NtryRef"),
    ]
    for element, path, source in candidates:
        value = None if element is None else reader.text(element, path)
        if value is not None:
            return value, source
    return None, None


@dataclass(frozen=True)
class _Entry:
    """What an entry gives each of its transactions."""

    number: int
    element: etree._Element
    account_iban: str
    cents: int
    currency: str
    direction: Direction
    reversal: bool
    status: str
    booking_date: dt.date | None
    value_date: dt.date | None
    single: bool


def _read_entry(reader: _Reader, element: etree._Element, number: int, iban: str) -> _Entry:
    cents, currency = _amount(reader.find(element, "c:Amt"))
    status = reader.text(element, *_PATHS["status"])
    if status is None:
        raise _Unreadable(Phrase("the entry status (Sts) is missing"))
    return _Entry(
        number=number,
        element=element,
        account_iban=iban,
        cents=cents,
        currency=currency,
        direction=_direction(reader.text(element, "c:CdtDbtInd")),
        reversal=(reader.text(element, "c:RvslInd") or "").lower() in ("true", "1"),
        status=status,
        booking_date=_date(reader, element, "c:BookgDt", Word("booking date")),
        value_date=_date(reader, element, "c:ValDt", Word("value date")),
        single=len(reader.findall(element, "c:NtryDtls/c:TxDtls")) <= 1,
    )


def _unstructured(reader: _Reader, tx: etree._Element) -> str | None:
    """The unstructured remittance lines (``RmtInf/Ustrd``), joined by spaces."""
    lines = [" ".join(u.text.split()) for u in reader.findall(tx, "c:RmtInf/c:Ustrd") if u.text and u.text.strip()]
    return " ".join(lines) or None


def _transaction(reader: _Reader, entry: _Entry, tx: etree._Element | None, index: int | None) -> BankTransaction:
    cents, currency, direction = entry.cents, entry.currency, entry.direction
    reference: ParsedReference | None = None
    reference_text = debtor = end_to_end = None
    extra_references: tuple[str, ...] = ()
    remittance = reader.text(entry.element, "c:AddtlNtryInf")
    if tx is not None:
        amount = next((found for p in _PATHS["tx_amount"] if (found := reader.find(tx, p)) is not None), None)
        if amount is not None or not entry.single:
            cents, currency = _amount(amount)
        if (indicator := reader.text(tx, "c:CdtDbtInd")) is not None:
            direction = _direction(indicator)
        reference, reference_text, extra_references = _references(reader, tx)
        debtor = reader.text(tx, *_PATHS["debtor"])
        remittance = _unstructured(reader, tx)
        end_to_end = reader.text(tx, "c:Refs/c:EndToEndId")
        end_to_end = None if end_to_end == "NOTPROVIDED" else end_to_end
    bank_reference, source = _bank_reference(reader, tx, entry.element)
    return BankTransaction(
        entry=entry.number,
        transaction=index,
        account_iban=entry.account_iban,
        bank_reference=bank_reference,
        bank_reference_source=source,
        amount_cents=cents,
        currency=currency,
        direction=direction,
        reversal=entry.reversal,
        status=entry.status,
        booking_date=entry.booking_date,
        value_date=entry.value_date,
        reference=reference,
        reference_text=reference_text,
        extra_reference_texts=extra_references,
        debtor_name=debtor,
        remittance_text=remittance,
        end_to_end_id=end_to_end,
    )


def _entry_transactions(reader: _Reader, element: etree._Element, number: int, iban: str) -> list[BankTransaction]:
    """The transactions of one entry; a problem (:class:`_Unreadable`) is prefixed with where it is."""
    try:
        entry = _read_entry(reader, element, number, iban)
    except _Unreadable as error:
        raise _Unreadable(Phrase("entry %(number)s: %(reason)s", number=number, reason=error.problem)) from None
    details = reader.findall(element, "c:NtryDtls/c:TxDtls")
    if not details:
        return [_transaction(reader, entry, None, None)]
    result = []
    for index, tx in enumerate(details, start=1):
        try:
            result.append(_transaction(reader, entry, tx, index))
        except _Unreadable as error:
            raise _Unreadable(Phrase("entry %(number)s, transaction %(index)s: %(reason)s", number=number, index=index,
                                     reason=error.problem)) from None
    return result


def _report_iban(reader: _Reader, report: etree._Element, number: int) -> str:
    text = reader.text(report, "c:Acct/c:Id/c:IBAN")
    if text is None:
        raise InvalidInput("account report %(number)s names no account IBAN", number=number)
    try:
        return normalize_iban(text)
    except InvalidInput as error:
        raise InvalidInput("account report %(number)s: %(reason)s", number=number, reason=error) from None


def _all_transactions(reader: _Reader, reports: list[etree._Element]) -> tuple[list[str], list[BankTransaction]]:
    """Every transaction of every report; all entry problems are gathered before refusing."""
    ibans: list[str] = []
    transactions: list[BankTransaction] = []
    problems: list[str] = []  # each a Phrase
    number = 0
    for report_number, report in enumerate(reports, start=1):
        iban = _report_iban(reader, report, report_number)
        ibans.append(iban)
        for element in reader.findall(report, "c:Ntry"):
            number += 1
            try:
                transactions.extend(_entry_transactions(reader, element, number, iban))
            except _Unreadable as error:
                problems.append(error.problem)
    if problems:
        # The first problem is the message; all of them are the details, each worded in the page's language.
        raise InvalidInput("%(message)s", message=problems[0], details=problems)
    return ibans, transactions


def parse_bank_file(data: bytes) -> BankFile:
    """Read a camt.053 or camt.054 file (001.02 or 001.08) into payments."""
    root = _parse_xml(data)
    kind, version = _message_name(root)
    reader = _Reader(etree.QName(root).namespace or "")
    message_tag, report_tag = _CONTAINERS[kind]
    message = reader.find(root, f"c:{message_tag}")
    if message is None:
        raise InvalidInput("the %(kind)s file has no %(element)s element", kind=kind, element=message_tag)
    message_id = reader.text(message, "c:GrpHdr/c:MsgId")
    if message_id is None:
        raise InvalidInput("the group header has no message id (MsgId)")
    created_at = _datetime(reader.text(message, "c:GrpHdr/c:CreDtTm"), Word("file's creation time (CreDtTm)"))
    reports = reader.findall(message, f"c:{report_tag}")
    if not reports:
        raise InvalidInput("the %(kind)s file reports no account (%(element)s)", kind=kind, element=report_tag)
    ibans, transactions = _all_transactions(reader, reports)
    booked = [t for t in transactions if t.status == "BOOK"]
    return BankFile(
        kind=kind,
        version=version,
        message_id=message_id,
        created_at=created_at,
        account_iban=ibans[0],
        account_ibans=tuple(dict.fromkeys(ibans)),
        credits=tuple(t for t in booked if not t.reversal and t.direction == "credit"),
        debits=tuple(t for t in booked if not t.reversal and t.direction == "debit"),
        reversals=tuple(t for t in booked if t.reversal),
        not_booked=tuple(t for t in transactions if t.status != "BOOK"),
    )
