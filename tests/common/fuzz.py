"""What the fuzzers share: hostile values, plausible ones by what a value is for, and what a refusal must not change.

Hostile values are the measured crashers of issue 9 and their kin: huge numbers and exponents,
NaN and infinities, ``1_000``, other scripts' digits and superscripts, NUL and other control
characters, bytes that are not UTF-8 (as a command line argument carries them: lone surrogates),
texts longer than any column, wrong types, invalid dates and ids beyond the databases' integer.
Plausible values (a member's code, an amount, a date within the term) let the fuzzers get past
the first check and reach the services, the core and the database.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.extensions import db
from portal.projects.models import LedgerPosting, ProjectChange

# Audit records that record a refusal itself (a failed login is audited by design).
AUDITED_REFUSALS = ("login-failed", "backchannel-logout-refused", "invitation-not-bound", "user-pending")

NUMBERS = [  # huge, exponents, not numbers, other scripts' digits, separators, signs, beyond the databases' integer
    "1e1000000", "1e5000", "1e6", "1E3", "1e-2", "9" * 5000, "99999999999999999999", "2147483648", "-2147483649",
    "9223372036854775808", "999999999", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "1_000", "١٢٣", "۱۲",
    "१२", "１２", "²⁰²⁶", "¹", "--5", "+-5", "-1", "-0", "0", "0x10", "1,000.00", "1.000,00", "1.001", "12.", ".5",
    "5 30000",
]
TEXTS = [  # control characters, bytes that are not UTF-8 (lone surrogates), over-long, odd scripts and shapes
    "a\x00b", "\x00", "\x07", "\x1b[31mred", "line\nbreak", "tab\there", "\x7f", "\x85", "\r", "a\udcffb", "\udcff",
    "\ud800", "x" * 65, "x" * 201, "x" * 256, "x" * 321, "x" * 501, "é" * 1000, "x" * 100_000, "\u202ertl", "𝄞",
    "' OR 1=1 --", "<script>alert(1)</script>", "%00", "../../etc/passwd", "", " ", "true", "null", "[]", "{}",
    "638=", "=75", "638=1e5000", "638=NaN", "after=1e6", "2026=1e1000000", "٦٣٨", "0638", "999",
]
DATES = [
    "2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "9999-12-31", "2026-1-1", "٢٠٢٦-٠١-٠١", "20260101",
    "2026-W01-1", "1.12.2026", "２０２６-01-01", "99999-01-01", "2026-03-01\x00",
]
HOSTILE = NUMBERS + TEXTS + DATES
NUMERIC = {"amount", "budget", "rate", "year", "population_year", "base_percent", "hours", "number", "days", "port",
           "workers", "user_id", "event_id", "invitation_id"}
DATED = {"date", "effective", "joined", "left", "on", "start", "end", "rule_effective"}


def hostile_values(name: str) -> st.SearchStrategy[str]:
    """Hostile values, those of the kind ``name`` takes (numbers for ``--amount``) more often than the rest."""
    key = name.lstrip("-").replace("-", "_").lower()
    kind = NUMBERS if key in NUMERIC or key.rsplit("_", 1)[-1] in NUMERIC else DATES if key in DATED else TEXTS
    return st.one_of(st.sampled_from(kind), st.sampled_from(kind), st.sampled_from(HOSTILE), st.text(max_size=12))


# What a value is for, guessed from its option's or field's name, and what would be plausible there.
PLAUSIBLE: dict[str, list[str]] = {
    "slug": ["iam"],
    "city": ["638", "286", "109", "853", "091", "97"],
    "cities": ["853", "091", "638"],
    "code": ["638", "109"],
    "amount": ["12.00", "150 000,00", "1000", "0", "0,01"],
    "budget": ["520000.00", "600 000,00"],
    "rate": ["45.00", "1"],
    "year": ["2026", "2027", "2025"],
    "years": ["2026=100000.00", "2027=1.00"],
    "population_year": ["2025"],
    "date": ["2026-03-01", "2027-06-30", "2025-01-01"],
    "effective": ["2026-01-01", "2027-01-01"],
    "joined": ["2026-03-01"],
    "left": ["2026-12-31"],
    "on": ["2026-07-01"],
    "percent": ["638=50", "109=50"],
    "percents": ["638=50", "109=50"],
    "percentages": ["638=50\n109=50"],
    "base_percent": ["40", "33,5"],
    "caps": ["638=40000.00"],
    "floors": ["109=1000.00"],
    "tiers": ["after=1.00", "2026-01-01=0.50"],
    "tier": ["after=1.00"],
    "hours": ["7.5", "1"],
    "number": ["1", "2"],
    "days": ["7", "0", "30"],
    "what_if": ["+853", "-638", "+853,-638"],
    "explain": ["638", "109"],
    "query": ["SELECT account, sum(position) GROUP BY account", "BALANCES", "PRINT FROM 'charge' IN tags"],
    "key": ["state"],
    "issuer": ["https://idp.test"],
    "sub": ["porvoo", "lead"],
    "email": ["someone@example.fi"],
    "role": ["contact", "lead", "accountant"],
    "roles": ["contact", "lead"],
    "format": ["table", "csv", "json"],
    "text": ["20 tablets", "EU grant"],
    "reason": ["charged to the wrong city"],
    "decision": ["KV 12.5.2025 § 41", ""],
    "name": ["IAM 2026", "Aino"],
    "person": ["Aino"],
    "task": ["development"],
    "source": ["Statistics Finland"],
}
ANYTHING = ["ok", "1", "2026-03-01", "638", "iam"]


def plausible(name: str) -> list[str]:
    """Plausible values for an option or a field named ``name`` (``--base-percent``, ``charge-amount``)."""
    key = name.lstrip("-").replace("-", "_").lower()
    for candidate in (key, key.split("_", 1)[-1], key.rsplit("_", 1)[-1]):
        if candidate in PLAUSIBLE:
            return PLAUSIBLE[candidate]
    return ANYTHING


def value(name: str, *, hostile: bool, extra: list[str] | None = None) -> st.SearchStrategy[str]:
    """A plausible value for ``name``, or with ``hostile`` a hostile one (or any short text).

    A fuzzer makes one value of a request hostile and the others plausible, so that the request
    gets past the first check and the hostile value reaches the services, the core and the database.
    """
    good = st.sampled_from([*plausible(name), *(extra or [])])
    return hostile_values(name) if hostile else good


def examples(default: int) -> int:
    """``FUZZ_EXAMPLES`` scales every fuzzer (``FUZZ_EXAMPLES=2000 pytest tests/portal -k fuzz``)."""
    return int(os.environ.get("FUZZ_EXAMPLES", default))


def fuzz_settings(default: int) -> settings:
    return settings(max_examples=examples(default), deadline=None, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


def counts(app) -> tuple[int, int, int]:
    """(postings, recorded changes, audit records other than those that record a refusal): what a refusal leaves alone."""
    with app.app_context():
        audited = select(func.count()).select_from(AuditEvent).where(AuditEvent.action.not_in(AUDITED_REFUSALS))
        return (db.session.scalar(select(func.count()).select_from(LedgerPosting)) or 0,
                db.session.scalar(select(func.count()).select_from(ProjectChange)) or 0,
                db.session.scalar(audited) or 0)
