"""Every refusal is raised with a literal template, so that Babel's extractor finds it and the
portal's pages can show it in Finnish and Swedish (``ledger.errors``, ``portal.refusals``).

An f-string, a concatenation or a variable as the message would be English on every page; the
values go in as keyword arguments instead. Walks the syntax trees of ``ledger/`` and ``portal/``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The refusal kinds (the core's and the portal's own) and the name of ``ledger.errors.Word``.
REFUSALS = {"LedgerError", "InvalidInput", "Conflict", "NotFound", "QueryError", "ImportRejected",
            "PortalRefusal", "Forbidden", "TooLarge", "Busy", "Moved",
            "LoginRefused", "Refused", "UnknownKey", "UnknownTenant",  # the login's (portal.auth)
            "Phrase"}  # a detail line or a value of words and values (ledger.errors)


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def refusals_not_literal() -> list[str]:
    """Each call of a refusal kind whose message is not one literal string, as ``file:line``."""
    found = []
    for path in sorted([*ROOT.joinpath("ledger").rglob("*.py"), *ROOT.joinpath("portal").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in REFUSALS:
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_refusal_is_a_literal_template() -> None:
    found = refusals_not_literal()
    assert not found, f"{len(found)} refusals not raised with a literal template:\n" + "\n".join(found)


def test_the_walk_finds_refusals() -> None:
    source = ROOT / "ledger" / "changes.py"
    assert "Conflict(" in source.read_text(encoding="utf-8")
