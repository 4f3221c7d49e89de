"""What every ``portal`` command shares: refusals as exit status 2, the actor, dates, printing a change.

Each domain keeps its commands in its own ``cli.py`` (``portal.projects.cli``, ``portal.costs.cli``…),
which import these helpers (and nothing here imports a domain);
``portal.cli.commands`` registers them all on the app, and ``portal.cli.main`` is the console script.
A refusal of the core or the portal gives its message on one line and exit status 2, as Click's own
usage errors do; a database that cannot be reached or is not migrated gives a clear message.
"""

from __future__ import annotations

import functools
import getpass
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from ledger import parse
from portal.errors import REFUSALS, first_line
from portal.extensions import is_connection_lost, is_lock_timeout

F = TypeVar("F", bound=Callable[..., Any])
DATE = click.DateTime(formats=["%Y-%m-%d"])
_UNMIGRATED = re.compile(r"no such (table|column)|does not exist", re.IGNORECASE)  # SQLite's words, PostgreSQL's


class BadInput(click.ClickException):
    """A refusal: the message, and exit status 2 (as for Click's own usage errors)."""

    exit_code = 2

    def format_message(self) -> str:
        return self.message


def actor() -> str:
    """Who runs the command, as the audit log and the ledger's metadata name them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError, ImportError):  # no login name in some containers
        return "cli"


def refusing(fn: F) -> F:
    """Turn refusals into exit status 2 and database trouble into a clear message."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except REFUSALS as exc:
            raise BadInput(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            raise database_trouble(exc) from None

    return wrapper  # type: ignore[return-value]


def database_trouble(exc: OperationalError | ProgrammingError) -> click.ClickException:
    """What the command line says of a database error: busy (exit 2, try again), unreachable, or not migrated.

    Only a schema that lacks the portal's tables or columns is told to run ``portal db upgrade``;
    a connection that was lost or refused says so, with the driver's own words.
    """
    if is_lock_timeout(exc):
        return BadInput("the project is busy with another change; nothing was changed, try again in a moment")
    if is_connection_lost(exc):
        return click.ClickException(f"the database connection was lost or refused ({first_line(exc)}); nothing was changed: "
                                    "check PORTAL_DATABASE_URL and that the database server is running, then try again")
    if _UNMIGRATED.search(first_line(exc)) or getattr(getattr(exc, "orig", None), "sqlstate", None) in ("42P01", "42703"):
        return click.ClickException(f"the database is not ready ({first_line(exc)}); run 'portal db upgrade' first")
    return click.ClickException(f"the database refused the command ({first_line(exc)}); nothing was changed")


# -- the options of a rule version, shared by ``project create`` and ``rule set`` ------------------
def rule_options(fn: F) -> F:
    """``--population-year``, ``--base-percent``, ``--percent``, ``--cap``, ``--floor``."""
    for option in reversed([
        click.option("--population-year", type=int, default=None, help="Whose populations the population and hybrid rules use."),
        click.option("--base-percent", default=None, help="Hybrid: the percentage split equally (the rest by population), e.g. 40."),
        click.option("--percent", "percents", multiple=True, metavar="CODE=PERCENT", help="Fixed: one member's percentage; repeat for every member."),
        click.option("--cap", "caps", multiple=True, metavar="CODE=AMOUNT", help="The most a member pays over the term (EUR); repeatable."),
        click.option("--floor", "floors", multiple=True, metavar="CODE=AMOUNT", help="The least a member pays over the term (EUR); repeatable."),
    ]):
        fn = option(fn)
    return fn


def rule_kw(base_percent: str | None, percents: tuple[str, ...], caps: tuple[str, ...], floors: tuple[str, ...]) -> dict[str, Any]:
    """The rule options as keyword arguments of ``create_project`` and ``set_rule``, by the one parser of pairs."""
    return {
        "base_percent": base_percent,
        "percentages": parse.percentages(parse.option_items("--percent", percents)) or None,
        "caps": parse.amounts(parse.option_items("--cap", caps), "the cap") or None,
        "floors": parse.amounts(parse.option_items("--floor", floors), "the floor") or None,
    }
