"""What every ``portal`` command shares: refusals as exit status 2, the actor, the types of its values.

Each domain keeps its commands in its own ``cli.py`` (``portal.projects.cli``, ``portal.costs.cli``…),
which import these helpers (and nothing here imports a domain);
``portal.cli.commands`` registers them all on the app, and ``portal.cli.main`` is the console script.

Bad input exits with status 2 and never with a traceback, in one of two shapes:

* a value an option or argument cannot be (an amount ``1e6``, a year in superscript digits, a
  text with a NUL byte or bytes that are not UTF-8, a text longer than its database column) is
  refused by the option's type, below, before anything runs. Each type calls the core's parser
  (``ledger.money.parse_amount``, ``ledger.parse``), so a value is read exactly as on the web.
  Click prints these as it prints every usage error: the usage line, a hint, and
  ``Error: Invalid value for '--amount': …``;
* a refusal of the core or the portal (a city that is no member, a closed year) is one line,
  ``Error: …`` (:class:`BadInput`, through :func:`refusing`).

Every option and argument of a ``portal`` command has one of these types, or a choice, a flag or a
path (``tests/portal/cli/test_types.py`` checks it), so a new command cannot take unchecked text.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from ledger import parse
from ledger.errors import LedgerError
from ledger.money import parse_amount
from portal.errors import REFUSALS, first_line
from portal.extensions import is_connection_lost, is_lock_timeout

F = TypeVar("F", bound=Callable[..., Any])
_UNMIGRATED = re.compile(r"no such (table|column)|does not exist", re.IGNORECASE)  # SQLite's words, PostgreSQL's
TEXT_LENGTH = 500  # what the core takes (ledger.checks.MAX_TEXT) where no column says otherwise
MAX_DAYS = 36_525  # a hundred years: the longest span of days a command takes


class Parsed(click.ParamType):
    """A value read by one of the core's parsers; its refusal is this option's usage error (exit 2)."""

    def __init__(self, name: str, read: Callable[[str], Any]) -> None:
        self.name = name
        self.read = read

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):  # a default, already what it should be
            return value
        try:
            return self.read(value)
        except LedgerError as exc:
            self.fail(exc.message, param, ctx)


def Amount(what: str) -> Parsed:
    """EUR as typed (``150000.00``, ``"150 000,00"``) in integer cents, not below zero."""
    return Parsed("amount", lambda text: parse_amount(text, what=what))


def Number(what: str, *, minimum: int = 0, maximum: int = parse.MAX_INT) -> Parsed:
    """A whole number in ASCII digits within its range (an id within the databases' integers)."""
    return Parsed("integer", lambda text: parse.number(text, what, minimum=minimum, maximum=maximum))


def Percent(what: str) -> Parsed:
    """A percentage from 0 to 100, kept as exact text (``"33.5"``)."""
    return Parsed("percent", lambda text: parse.percent(text, what))


def Text(max_length: int = TEXT_LENGTH, what: str = "the text") -> Parsed:
    """Text without control characters or bytes that are not UTF-8, at most ``max_length`` characters.

    Give the database column's length where the text is stored in one (``portal.extensions.column_length``).
    """
    return Parsed("text", lambda text: parse.text(text, what, max_length=max_length))


class File(click.Path):
    """A path, checked as text first: Click's own ``Path`` raises ``ValueError`` on a NUL byte, and a
    name that is not UTF-8 could not be stored or printed. ``output=True``: a file to write (``-``:
    standard output); else one that exists, to read."""

    def __init__(self, *, output: bool = False) -> None:
        if output:
            super().__init__(dir_okay=False, writable=True, allow_dash=True)
        else:
            super().__init__(exists=True, dir_okay=False, readable=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            try:
                parse.text(value, "the file name", max_length=4_096)
            except LedgerError as exc:
                self.fail(exc.message, param, ctx)
        return super().convert(value, param, ctx)


def _date(text: str) -> dt.date:
    return parse.date(text, repr(text[:20]))


DATE = Parsed("date", _date)                                 # 2026-12-01, as a datetime.date
YEAR = Parsed("year", parse.year)                            # 2026
ID = Number("the number", minimum=1)                          # a row's or a list item's number
DAYS = Number("the number of days", maximum=MAX_DAYS)
PORT = Number("the port", minimum=1, maximum=65_535)
CITY = Text(20, "the municipality code")                     # read by ledger.municipalities
SLUG = Text(64, "the project id")                            # projects.slug
DECISION = Text(TEXT_LENGTH, "the decision")
PAIR = Text(200, "the pair")                                  # CODE=VALUE, read by ledger.parse's pairs


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
        click.option("--population-year", type=YEAR, default=None, help="Whose populations the population and hybrid rules use."),
        click.option("--base-percent", type=Percent("the base percentage"), default=None,
                     help="Hybrid: the percentage split equally (the rest by population), e.g. 40."),
        click.option("--percent", "percents", type=PAIR, multiple=True, metavar="CODE=PERCENT",
                     help="Fixed: one member's percentage; repeat for every member."),
        click.option("--cap", "caps", type=PAIR, multiple=True, metavar="CODE=AMOUNT",
                     help="The most a member pays over the term (EUR); repeatable."),
        click.option("--floor", "floors", type=PAIR, multiple=True, metavar="CODE=AMOUNT",
                     help="The least a member pays over the term (EUR); repeatable."),
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
