"""Population figures: the bundled years, and official figures of other years that an administrator loads.

An agreement names the year whose populations it uses; only 2025 is bundled (``ledger/data``).
``portal populations import YEAR FILE`` loads another year from a CSV file (columns ``code`` and
``population``, as Statistics Finland publishes them; others are ignored), all or nothing:
every code must be a municipality, every figure a whole number, no code twice. :class:`Figures`
then serves both to whatever builds a change (``ledger.params``).
"""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

from sqlalchemy import func, select

from ledger import municipalities as M
from ledger.errors import Conflict, InvalidInput, Phrase
from portal import audit
from portal.extensions import db
from portal.projects.models import PopulationFigure

COLUMNS = ("code", "population")


class Figures:
    """The bundled figures and those loaded into the database (``ledger.municipalities.Figures``)."""

    def years(self) -> tuple[int, ...]:
        loaded = db.session.execute(select(PopulationFigure.year).distinct()).scalars()
        return tuple(sorted({*M.available_years(), *loaded}))

    def residents(self, code: str, year: int) -> int:
        if year in M.available_years():
            return M.BUNDLED.residents(code, year)
        normal = M.lookup(code).code
        found = db.session.execute(select(PopulationFigure.residents).where(
            PopulationFigure.year == year, PopulationFigure.code == normal)).scalar_one_or_none()
        if found is None:
            M.check_year(self, year)
            raise InvalidInput("the loaded %(year)s figures have no population for %(code)s", year=year, code=normal)
        return int(found)


class Loaded(NamedTuple):
    year: int
    rows: int
    total: int


def _rows(text: str) -> list[tuple[int, str, int]]:
    """(line, code, residents) of each row; every problem named by its line."""
    reader = csv.DictReader(io.StringIO(text), dialect=_dialect(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvalidInput("the file needs the columns %(columns)s (missing: %(missing)s)", columns=", ".join(COLUMNS),
                           missing=", ".join(missing))
    reader.fieldnames = header
    rows: list[tuple[int, str, int]] = []
    problems: list[str] = []  # each a Phrase, "line N: ..." in the page's language
    seen: set[str] = set()
    for record in reader:
        line = reader.line_num
        raw_code, raw_count = (record.get("code") or "").strip(), (record.get("population") or "").strip().replace(" ", "")
        try:
            code = M.lookup(raw_code).code
        except InvalidInput as exc:
            problems.append(Phrase("line %(line)s: %(problem)s", line=line, problem=exc))
            continue
        if not (raw_count.isascii() and raw_count.isdigit()):
            problems.append(Phrase("line %(line)s: %(problem)s", line=line, problem=Phrase(
                "the population %(count)s of %(code)s is not a whole number", count=repr(raw_count), code=code)))
        elif code in seen:
            problems.append(Phrase("line %(line)s: %(problem)s", line=line, problem=Phrase("%(code)s is given twice", code=code)))
        else:
            seen.add(code)
            rows.append((line, code, int(raw_count)))
    if problems:
        raise InvalidInput("the population file was refused; nothing was loaded", details=problems)
    if not rows:
        raise InvalidInput("the population file has no rows")
    return rows


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def load(year: int, text: str, *, source: str, actor: str) -> Loaded:
    """Load the official figures of ``year``; refused as a whole if any row is wrong."""
    if year in M.available_years():
        raise Conflict("the %(year)s figures are bundled with the portal and cannot be replaced", year=year)
    if not 1900 <= year <= 2200:
        raise InvalidInput("%(year)s is not a population year", year=year)
    if db.session.execute(select(func.count()).select_from(PopulationFigure).where(PopulationFigure.year == year)).scalar():
        raise Conflict("figures for %(year)s are loaded already", year=year)
    rows = _rows(text)
    try:
        for _, code, residents in rows:
            db.session.add(PopulationFigure(year=year, code=code, residents=residents, source=source[:500], imported_by=actor[:500]))
        total = sum(r for _, _, r in rows)
        audit.record(actor, "populations-loaded", {"year": year, "count": len(rows), "total": total, "source": source})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return Loaded(year, len(rows), total)
