"""The shape of the house, checked: what each package may import, no import cycles, small modules.

Read from the source with ``ast`` (nothing is imported), so every ``import`` counts: those at the
top, those inside functions and those under ``if TYPE_CHECKING``. See docs/architecture.md.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ledger", "portal")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
# The core may import these and the standard library, nothing else (never Flask or portal).
CORE_ALLOWED = {"ledger", "beancount", "beanquery"}
# Who may import whom inside the portal: a domain package never reaches into a package that
# depends on it. ``auth`` and ``accounts`` work together (the login finds the account;
# disabling an account ends its sessions through ``auth.sessions``, which imports neither).
ENTRY = {"portal.cli.commands", "portal.cli.main"}  # what registers and runs every domain's commands
PORTAL_LAYERS = {
    "portal.projects": {"portal.costs", "portal.accounting", "portal.billing", "portal.documents", *ENTRY},
    "portal.costs": {"portal.accounting", "portal.billing", "portal.documents", *ENTRY},
    "portal.accounting": {"portal.costs", "portal.billing", "portal.documents", *ENTRY},
    "portal.accounts": {"portal.projects", "portal.costs", "portal.accounting", "portal.billing", "portal.documents", *ENTRY},
    "portal.auth": {"portal.projects", "portal.costs", "portal.accounting", "portal.billing", "portal.documents", *ENTRY},
    # billing builds on projects (and may on costs); nothing builds on billing yet.
    "portal.billing": {"portal.accounting", "portal.auth", "portal.accounts", "portal.documents", *ENTRY},
    # Documents and signatures build on projects (the project page includes their panel by a template global).
    "portal.documents": {"portal.costs", "portal.accounting", "portal.billing", "portal.auth", "portal.accounts", *ENTRY},
    # The job queue runs every domain's work and knows none of them (their kinds are registered with it).
    "portal.jobs": {"portal.projects", "portal.costs", "portal.accounting", "portal.auth", "portal.accounts", "portal.billing",
                    "portal.documents", *ENTRY},
    "portal.cli": {"portal.projects", "portal.costs", "portal.accounting", "portal.auth", "portal.accounts", "portal.billing",
                   "portal.documents", "portal.jobs"},
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = modules()


def imports_of(name: str) -> set[str]:
    """Every module ``name`` imports, anywhere in its text, resolved to the modules that exist."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{name}: relative imports are not used here"
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                targets.add(full if full in MODULES else node.module)
    return targets


GRAPH = {name: {t for t in imports_of(name) if t in MODULES and t != name} for name in MODULES}


def test_the_core_imports_beancount_beanquery_and_the_standard_library_only() -> None:
    for name in (n for n in MODULES if n.split(".")[0] == "ledger"):
        for target in imports_of(name):
            top = target.split(".")[0]
            assert top in CORE_ALLOWED or top in sys.stdlib_module_names, f"{name} imports {target}"


def test_no_module_imports_one_that_imports_it_back() -> None:
    cycles = [c for c in strongly_connected(GRAPH) if len(c) > 1]
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_domain_packages_depend_one_way() -> None:
    for name, targets in GRAPH.items():
        for package, forbidden in PORTAL_LAYERS.items():
            if (name == package or name.startswith(package + ".")) and name not in ENTRY:
                bad = [t for t in targets if any(t == f or t.startswith(f + ".") for f in forbidden)]
                assert bad == [], f"{name} imports {bad}"


def test_package_inits_of_the_domains_import_nothing() -> None:
    """Importing one module of a domain never loads the others (and hides no cycle)."""
    for name, path in MODULES.items():
        if path.name == "__init__.py" and name not in PACKAGES and name != "portal.cli":
            assert imports_of(name) <= {"__future__"}, name


def test_nothing_but_the_entry_points_imports_the_app_factory() -> None:
    users = sorted(n for n, targets in GRAPH.items() if "portal" in targets)
    assert users == ["portal.cli.main", "portal.wsgi"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_functions_are_small(name: str) -> None:
    text = MODULES[name].read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{name} has {len(text.splitlines())} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{name}.{node.name} has {length} lines"


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components: each set of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert {frozenset(c) for c in strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})} == \
        {frozenset({"a", "b", "c"}), frozenset({"d"})}
