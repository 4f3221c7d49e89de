"""What a bank file says, as plain data: its transactions and their references, whatever the format.

:mod:`portal.billing.camt` reads camt.053 and camt.054 into these; matching payments to invoices
works on them alone, so another format (a manual entry, a future file type) gives the same data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from portal.billing.references import ParsedReference

FileKind = Literal["camt.053", "camt.054"]
ReferenceSource = Literal["TxDtls/Refs/AcctSvcrRef", "Ntry/AcctSvcrRef", "Ntry/NtryRef"]
Direction = Literal["credit", "debit"]


@dataclass(frozen=True)
class BankTransaction:
    """One payment in a bank file; ``transaction`` is ``None`` for an entry without details.

    ``reference`` is the first structured creditor reference, normalised, or
    ``None`` when there is none or it is not valid; ``reference_text`` is that
    reference as the file wrote it.  A payment of several invoices at once
    carries further references, kept as written in ``extra_reference_texts``.
    """

    entry: int
    transaction: int | None
    account_iban: str
    bank_reference: str | None
    bank_reference_source: ReferenceSource | None
    amount_cents: int
    currency: str
    direction: Direction
    reversal: bool
    status: str
    booking_date: dt.date | None
    value_date: dt.date | None
    reference: ParsedReference | None
    reference_text: str | None
    extra_reference_texts: tuple[str, ...]
    debtor_name: str | None
    remittance_text: str | None
    end_to_end_id: str | None

    @property
    def location(self) -> str:
        """Where the transaction sits, in the words error messages use."""
        if self.transaction is None:
            return f"entry {self.entry}"
        return f"entry {self.entry}, transaction {self.transaction}"


@dataclass(frozen=True)
class BankFile:
    """A parsed camt.053 or camt.054 file.

    ``account_iban`` is the first reported account; a file reporting several
    accounts lists them all in ``account_ibans`` and each transaction names its
    own.  ``credits`` holds booked, non-reversed credits: the payments to match.
    ``created_at`` is as the file gives it, naive when the file names no offset.
    """

    kind: FileKind
    version: str
    message_id: str
    created_at: dt.datetime
    account_iban: str
    account_ibans: tuple[str, ...]
    credits: tuple[BankTransaction, ...]
    debits: tuple[BankTransaction, ...]
    reversals: tuple[BankTransaction, ...]
    not_booked: tuple[BankTransaction, ...]
