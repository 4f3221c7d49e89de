"""Reading payments from camt.053 and camt.054 files (versions 001.02 and 001.08).

The files under data/ were written for these tests (see the comment in each)
and were checked while developing against the ISO 20022 schemas
camt.053.001.02/08 and camt.054.001.02/08; the schemas are not shipped.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ledger.errors import InvalidInput
from portal.billing import camt
from portal.billing.references import ParsedReference

DATA = Path(__file__).parent / "data"


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse(name: str) -> camt.BankFile:
    return camt.parse_bank_file(load(name))


def test_camt054_v02_reference_payments() -> None:
    bank_file = parse("camt054_v02.xml")
    assert (bank_file.kind, bank_file.version) == ("camt.054", "001.02")
    assert bank_file.message_id == "NTF20260402-0001"
    assert bank_file.created_at == dt.datetime(2026, 4, 2, 6, 15, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert bank_file.account_iban == "FI2112345600000785"
    exact, partial, over, _unreferenced, _typo = bank_file.credits
    assert exact.location == "entry 1, transaction 1"
    assert exact.bank_reference == "260401ARCH0001-001"
    assert exact.bank_reference_source == "TxDtls/Refs/AcctSvcrRef"
    assert (exact.amount_cents, exact.currency) == (100000, "EUR")
    assert exact.reference == ParsedReference("national", "7000000016")
    assert exact.debtor_name == "KOUVOLAN KAUPUNKI"
    assert exact.end_to_end_id == "KOUVOLA-2026-17"
    assert (exact.booking_date, exact.value_date) == (dt.date(2026, 4, 1), dt.date(2026, 4, 1))
    assert partial.amount_cents == 25000
    assert partial.reference == ParsedReference("rf", "RF707000000029")
    assert partial.reference_text == "RF70 7000 0000 29"
    assert partial.end_to_end_id is None  # NOTPROVIDED means none
    assert over.amount_cents == 30050
    assert over.reference == ParsedReference("national", "7000000032")  # the bank's padding zeros dropped
    # The batch adds up to its entry.
    assert exact.amount_cents + partial.amount_cents + over.amount_cents == 155050


def test_camt054_v02_payments_without_a_usable_reference() -> None:
    bank_file = parse("camt054_v02.xml")
    unreferenced, typo = bank_file.credits[3:]
    assert unreferenced.location == "entry 2, transaction 1"
    assert unreferenced.amount_cents == 7500  # from the entry: the one transaction has no amount of its own
    assert unreferenced.reference is None and unreferenced.reference_text is None
    assert unreferenced.remittance_text == "Lasku 2026-0004 ICT-osuus huhtikuu"
    assert (unreferenced.bank_reference, unreferenced.bank_reference_source) == ("260401ARCH0002", "Ntry/AcctSvcrRef")
    assert typo.reference is None and typo.reference_text == "7000000017"
    assert typo.debtor_name == "HIRVENSALMEN KUNTA"


def test_camt054_v02_debits_and_reversals_are_apart() -> None:
    bank_file = parse("camt054_v02.xml")
    (charge,) = bank_file.debits
    assert charge.location == "entry 4"
    assert (charge.bank_reference, charge.bank_reference_source) == ("CHG-2026-03", "Ntry/NtryRef")
    assert (charge.amount_cents, charge.direction) == (1240, "debit")
    assert charge.remittance_text == "Palvelumaksut 03/2026"
    (reversal,) = bank_file.reversals
    assert reversal.reversal and reversal.direction == "debit" and reversal.amount_cents == 4000
    assert reversal.reference == ParsedReference("national", "7000000045")
    assert all(not t.reversal and t.direction == "credit" for t in bank_file.credits)
    assert bank_file.not_booked == ()


def test_camt054_v08_reference_payments() -> None:
    bank_file = parse("camt054_v08.xml")
    assert (bank_file.kind, bank_file.version, bank_file.message_id) == ("camt.054", "001.08", "NTF08-20260502-77")
    assert bank_file.created_at == dt.datetime(2026, 5, 2, 5, 30, 12, 345000, tzinfo=dt.UTC)
    rf_exact, partial, over, garbage, other_account = bank_file.credits
    assert rf_exact.reference == ParsedReference("rf", "RF337000000016")
    assert (rf_exact.amount_cents, rf_exact.debtor_name) == (100000, "Seinäjoen kaupunki")
    assert rf_exact.end_to_end_id == "E2E-SJK-0501"
    assert partial.reference == ParsedReference("national", "7000000029")
    assert (partial.amount_cents, partial.remittance_text) == (30000, "Osasuoritus")
    assert over.amount_cents == 31000  # from AmtDtls/TxAmt when Amt is absent
    assert over.booking_date == dt.date(2026, 5, 1)  # from a DtTm
    assert over.reference == ParsedReference("rf", "RF867000000032")
    assert garbage.reference is None and garbage.reference_text == "LASKU 4"
    assert other_account.location == "entry 6"
    assert other_account.account_iban == "FI4819503000000010"
    assert bank_file.account_ibans == ("FI2112345600000785", "FI4819503000000010")


def test_camt054_v08_debit_and_pending_entry() -> None:
    bank_file = parse("camt054_v08.xml")
    (payment_out,) = bank_file.debits
    assert (payment_out.amount_cents, payment_out.end_to_end_id) == (89990, "PORVOO-OUT-88")
    (pending,) = bank_file.not_booked
    assert (pending.status, pending.amount_cents, pending.booking_date) == ("PDNG", 5000, None)
    assert pending not in bank_file.credits


@pytest.mark.parametrize("name", ["camt053_v02.xml", "camt053_v08.xml"])
def test_camt053_statements(name: str) -> None:
    bank_file = parse(name)
    assert bank_file.kind == "camt.053"
    assert bank_file.version == f"001.{name[9:11]}"
    assert bank_file.account_iban == "FI2112345600000785"
    batch = [t for t in bank_file.credits if t.entry == 1]
    assert [t.transaction for t in batch] == [1, 2]
    assert all(t.bank_reference_source == "TxDtls/Refs/AcctSvcrRef" for t in batch)
    assert {t.reference.kind for t in batch if t.reference} == {"national", "rf"}
    assert len(bank_file.debits) == 1


def test_camt053_v02_details() -> None:
    bank_file = parse("camt053_v02.xml")
    assert bank_file.created_at == dt.datetime(2026, 6, 2, 4, 0)
    first, second, lump = bank_file.credits
    assert (first.amount_cents, first.reference) == (100000, ParsedReference("national", "7000000058"))
    assert (second.amount_cents, second.reference) == (80000, ParsedReference("rf", "RF8512345672"))
    assert (lump.location, lump.amount_cents, lump.remittance_text) == ("entry 2", 3333, "HIRVENSALMEN KUNTA palautus")
    (debit,) = bank_file.debits
    assert (debit.bank_reference, debit.bank_reference_source) == ("260601ARCH0003", "Ntry/AcctSvcrRef")
    assert debit.end_to_end_id == "PORVOO-OUT-91"


def test_camt053_v08_reversal() -> None:
    bank_file = parse("camt053_v08.xml")
    (reversal,) = bank_file.reversals
    assert (reversal.direction, reversal.amount_cents, reversal.location) == ("credit", 15000, "entry 2")
    assert sum(t.amount_cents for t in bank_file.credits) == 90000


V02 = load("camt054_v02.xml").decode()


def broken(old: str, new: str, source: str = V02, count: int = 1) -> bytes:
    assert old in source, old
    return source.replace(old, new, count).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (broken('<Amt Ccy="EUR">250.00</Amt>', '<Amt Ccy="EUR">abc</Amt>'),
         "entry 1, transaction 2: the amount 'abc' is not a number"),
        (broken('<Amt Ccy="EUR">250.00</Amt>', '<Amt Ccy="EUR">250,00</Amt>'),
         "entry 1, transaction 2: the amount '250,00' is not a number"),
        (broken('<Amt Ccy="EUR">250.00</Amt>', '<Amt Ccy="EUR">-250.00</Amt>'),
         "entry 1, transaction 2: the amount '-250.00' is not a number"),
        (broken('<Amt Ccy="EUR">300.50</Amt>', '<Amt Ccy="EUR">300.505</Amt>'),
         "entry 1, transaction 3: the amount '300.505' has more than two decimals"),
        (broken('<AmtDtls><TxAmt><Amt Ccy="EUR">250.00</Amt></TxAmt></AmtDtls>', ""),
         "entry 1, transaction 2: the amount is missing"),
        (broken('<Amt Ccy="EUR">20.00</Amt>\n        <CdtDbtInd>', '<CdtDbtInd>'),
         "entry 3: the amount is missing"),
        (broken('<Amt Ccy="EUR">1000.00</Amt>', '<Amt Ccy="EUX">1000.00</Amt>'),
         "entry 1, transaction 1: the amount '1000.00' is in 'EUX', which is not a known currency"),
        (broken('<Amt Ccy="EUR">1000.00</Amt>', '<Amt>1000.00</Amt>'),
         "entry 1, transaction 1: the amount '1000.00' has no currency"),
        (broken("<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>DEBIT</CdtDbtInd>"),
         "entry 4: the credit/debit indicator 'DEBIT' must be CRDT or DBIT"),
        (broken("<BookgDt><Dt>2026-04-01</Dt></BookgDt>", "<BookgDt><Dt>2026-04-31</Dt></BookgDt>"),
         "entry 1: the booking date '2026-04-31' is not a date"),
        (broken("<Sts>BOOK</Sts>", ""), "entry 1: the entry status (Sts) is missing"),
        (broken("<IBAN>FI2112345600000785</IBAN>", "<IBAN>FI2112345600000786</IBAN>"),
         "account report 1: IBAN 'FI2112345600000786' is not valid: invalid checksum digits"),
        (broken("<Id><IBAN>FI2112345600000785</IBAN></Id>", "<Id><Othr><Id>123</Id></Othr></Id>"),
         "account report 1 names no account IBAN"),
        (broken("<MsgId>NTF20260402-0001</MsgId>", ""), "the group header has no message id (MsgId)"),
        (broken("<CreDtTm>2026-04-02T06:15:00+03:00</CreDtTm>", "<CreDtTm>yesterday</CreDtTm>"),
         "the file's creation time (CreDtTm) 'yesterday' is not a date and time"),
        (broken('xsd:camt.054.001.02"', 'xsd:camt.052.001.02"'),
         "the file is a camt.052.001.02 message; only camt.053 and camt.054 versions 001.02 and 001.08 are read"),
        (broken('xsd:camt.054.001.02"', 'xsd:camt.054.001.04"'),
         "the file is a camt.054.001.04 message; only camt.053 and camt.054 versions 001.02 and 001.08 are read"),
        (broken('xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"', ""),
         "the file is not an ISO 20022 bank file (its root element is Document)"),
        (broken("BkToCstmrDbtCdtNtfctn", "BkToCstmrStmt", count=2),
         "the camt.054 file has no BkToCstmrDbtCdtNtfctn element"),
        (b"Kirjauspaiva;Summa\n2026-04-01;100,00\n", "the bank file is not well-formed XML"),
        (V02.encode()[:-40], "the bank file is not well-formed XML"),
    ],
)  # fmt: skip
def test_malformed_files_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        camt.parse_bank_file(data)
    assert caught.value.message.startswith(message), caught.value.message


def test_a_payment_of_several_invoices_keeps_every_reference() -> None:
    second = (
        "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
        "<Ref>7000 0000 29</Ref></CdtrRefInf></Strd></RmtInf>"
    )
    bank_file = camt.parse_bank_file(broken("</RmtInf>", second))
    first = bank_file.credits[0]
    assert first.reference == ParsedReference("national", "7000000016")
    assert first.extra_reference_texts == ("7000 0000 29",)
    assert bank_file.credits[1].extra_reference_texts == ()


def test_trailing_zero_decimals_are_exact_and_accepted() -> None:
    bank_file = camt.parse_bank_file(broken('<Amt Ccy="EUR">300.50</Amt>', '<Amt Ccy="EUR">300.500</Amt>'))
    assert bank_file.credits[2].amount_cents == 30050


def test_every_entry_problem_is_listed() -> None:
    data = broken('<Amt Ccy="EUR">250.00</Amt>', '<Amt Ccy="EUR">abc</Amt>', source=broken(
        "<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>X</CdtDbtInd>").decode())
    with pytest.raises(InvalidInput) as caught:
        camt.parse_bank_file(data)
    assert caught.value.details == [
        "entry 1, transaction 2: the amount 'abc' is not a number",
        "entry 4: the credit/debit indicator 'X' must be CRDT or DBIT",
    ]


def test_a_dtd_is_refused_and_its_entities_never_expanded() -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE Document [\n<!ENTITY a "ha">\n'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
    )
    data = broken("<MsgId>NTF20260402-0001</MsgId>", "<MsgId>&c;</MsgId>", source=laughs + V02.split("\n", 1)[1])
    with pytest.raises(InvalidInput, match="declares a DTD"):
        camt.parse_bank_file(data)


def test_an_external_entity_is_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    doctype = f'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY x SYSTEM "file://{secret}">]>\n'
    data = broken("<MsgId>NTF20260402-0001</MsgId>", "<MsgId>&x;</MsgId>", source=doctype + V02.split("\n", 1)[1])
    with pytest.raises(InvalidInput, match="declares a DTD"):
        camt.parse_bank_file(data)


def test_only_bytes_of_reasonable_size_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidInput, match="given as bytes"):
        camt.parse_bank_file(V02)  # type: ignore[arg-type]
    monkeypatch.setattr(camt, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InvalidInput, match="larger than"):
        camt.parse_bank_file(V02.encode())
