"""A camt.054.001.02 (or camt.053.001.02) file written for a test: one booked credit entry per payment."""

from __future__ import annotations

from collections.abc import Sequence

_ENTRY = """
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>{date}</Dt></BookgDt><ValDt><Dt>{date}</Dt></ValDt>
        <AcctSvcrRef>{archive}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>{archive}-1</AcctSvcrRef></Refs>
          <AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>
          <RltdPties><Dbtr><Nm>{debtor}</Nm></Dbtr></RltdPties>
          <RmtInf>{remittance}</RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt(payments: Sequence[tuple[str, str, str | None]], *, kind: str = "054", iban: str = "FI2112345600000785",
         message: str = "MSG-1", date: str = "2025-03-10") -> bytes:
    """``payments``: (archive id, amount like 100.00, creditor reference or None for a text-only payment)."""
    entries = []
    for archive, amount, reference in payments:
        remittance = (f"<Strd><CdtrRefInf><Ref>{reference}</Ref></CdtrRefInf></Strd>" if reference
                      else "<Ustrd>maksu laskusta</Ustrd>")
        entries.append(_ENTRY.format(amount=amount, date=date, archive=archive, debtor="KUNTA", remittance=remittance))
    outer, inner = ("BkToCstmrDbtCdtNtfctn", "Ntfctn") if kind == "054" else ("BkToCstmrStmt", "Stmt")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.{kind}.001.02">
  <{outer}>
    <GrpHdr><MsgId>{message}</MsgId><CreDtTm>{date}T06:00:00+02:00</CreDtTm></GrpHdr>
    <{inner}>
      <Id>{message}-1</Id><CreDtTm>{date}T06:00:00+02:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>{''.join(entries)}
    </{inner}>
  </{outer}>
</Document>
""".encode()
