"""Every text the portal shows has a Finnish and a Swedish translation.

The texts are extracted in memory with Babel's own extractor (the same ``babel.cfg`` and keywords
as ``make messages``), so the test needs no ``messages.pot`` kept up to date, and the catalogs are
read from the ``.po`` files the branches append to. A missing translation is named with the file
and line that uses it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
# The refusal kinds are keywords too: their templates are the msgids the pages translate (``portal.refusals``),
# and so is ``Word``, a value of a refusal that is translated as well.
REFUSALS = ("LedgerError", "InvalidInput", "Conflict", "NotFound", "QueryError", "ImportRejected", "PortalRefusal",
            "Forbidden", "TooLarge", "Busy", "Moved", "Word", "Phrase", "LoginRefused", "Refused", "UnknownKey", "UnknownTenant")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, **dict.fromkeys(REFUSALS)}
METHODS = [("ledger/**.py", "python"), ("portal/**.py", "python"), ("portal/templates/**.html", "jinja2"), ("portal/templates/**.txt", "jinja2")]
SKIPPED = ("portal/templates/devidp/",)  # the development provider's pages may stay English


def used_msgids() -> dict[str, str]:
    """Every msgid the code and templates use, with where it is first used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, keywords=KEYWORDS, options_map={"portal/templates/**.html": {}}):
        if filename.startswith(SKIPPED):
            continue
        msgid = message[0] if isinstance(message, tuple) else message  # a plural's catalog key is its singular
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def missing(language: str) -> list[str]:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and (m.string if isinstance(m.string, str) else all(m.string))}
    return [f"{where}: {msgid!r}" for msgid, where in sorted(used_msgids().items(), key=lambda i: i[1])
            if msgid not in translated]


def test_the_extraction_finds_the_texts() -> None:
    assert "Log in" in used_msgids() and "Accessibility statement" in used_msgids()


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_text_has_a_translation(language: str) -> None:
    gaps = missing(language)
    assert not gaps, f"{len(gaps)} texts without a {language} translation:\n" + "\n".join(gaps)
