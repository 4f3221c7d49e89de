"""Read-only, bounded BQL over an in-memory ledger, with beanquery.

Only reading statements run (SELECT, BALANCES, JOURNAL, PRINT), one at a time. Everything that
could reach the file system or run code — ``CREATE TABLE … USING 'csv:…'``, ``INSERT``, the
shell's dot-commands such as ``.output`` or ``.run`` — is refused.

:func:`run` is the way in. Cheap checks (length, dot-commands, a second statement) happen here;
parsing, compiling, executing and rendering happen in a forked child bounded by
:class:`Limits` (see :mod:`ledger.sandbox`), because each of them can be made to take unbounded
time or memory: the parser by a long chain of ``+``, execution by a backtracking regex,
rendering by ``decimal('1e-99999999')``, which prints as a hundred million digits. Whatever the
child raises comes back as one :class:`QueryError` message, never a traceback. The result
carries its cells and text already rendered, so showing it costs the parent nothing.
"""

from __future__ import annotations

import csv
import decimal
import io
import pickle
import re
from typing import Any, NamedTuple

import beanquery
from beancount.core import display_context
from beancount.parser import printer
from beanquery import query_render
from beanquery.parser import ast

from ledger.errors import QueryError
from ledger.sandbox import Limits, run_forked

__all__ = ["ALLOWED", "DEFAULT_LIMITS", "MAX_QUERY_LENGTH", "Limits", "QueryError", "QueryResult", "check", "run"]

ALLOWED = (ast.Select, ast.Balances, ast.Journal, ast.Print)
MAX_QUERY_LENGTH = 10_000
DEFAULT_LIMITS = Limits()
PICKLE_ERRORS = (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError)


class QueryResult(NamedTuple):
    """A query's columns and rows; ``rendered`` and ``text`` are filled in by :func:`run`."""

    columns: list[Any]            # beanquery.Column: .name, .datatype
    rows: list[tuple[Any, ...]]
    dcontext: Any                 # how numbers are displayed
    rendered: list[list[str]] | None = None   # cells() as computed, within the limits, by the child
    text: str | None = None                   # to_text() likewise

    @property
    def names(self) -> list[str]:
        return [str(c.name) for c in self.columns]

    def cells(self) -> list[list[str]]:
        """Every cell as display text (beanquery's own renderers, one line a row)."""
        if self.rendered is not None:
            return self.rendered
        return _cells(self.columns, self.rows, self.dcontext)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.names)
        writer.writerows(self.cells())
        return out.getvalue()

    def to_text(self) -> str:
        """A text table as bean-query prints it; for PRINT, the entries in beancount syntax."""
        if self.text is not None:
            return self.text
        return _text(self.columns, self.rows, self.dcontext)


def run(entries: list[Any], options: dict[str, Any], text: str, limits: Limits = DEFAULT_LIMITS) -> QueryResult:
    """Run one read-only query over ``entries`` within ``limits``, or raise :class:`QueryError`.

    Nothing runs in this process but the cheap checks of :func:`_precheck`; a refused text starts
    no child at all.
    """
    statement_text = _precheck(text)

    def work() -> QueryResult:
        return _execute(entries, options, statement_text, limits)

    result = run_forked(work, limits, _message, _simplify)
    return result._replace(dcontext=options["dcontext"])


def check(text: str) -> ast.Node:
    """Parse ``text`` and return its statement, or raise :class:`QueryError` saying why not.

    This parses in the calling process, with no time limit: :func:`run` is for untrusted text.
    """
    return _parse(_precheck(text))


# -- checks --------------------------------------------------------------------------------------
def _precheck(text: str) -> str:
    """The statement's text without its final ``;``, if it passes the checks that need no parser."""
    text = text or ""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError("the query is longer than %(most)s characters", most=MAX_QUERY_LENGTH)
    end = _statement_end(text)
    if end is not None and text[end:].strip("; \t\r\n\f\v"):
        line = text.count("\n", 0, end) + 1
        column = end - (text.rfind("\n", 0, end) + 1) + 1
        raise QueryError("several statements: only one query runs at a time; remove what follows the ';' at line %(line)s,"
                         " column %(column)s", line=line, column=column)
    stripped = text[:end].strip()
    if not stripped:
        raise QueryError("the query is empty; try: SELECT account, sum(position) GROUP BY account")
    if stripped.startswith("."):
        command = stripped.split()[0]
        raise QueryError("shell commands such as %(command)s are not available here; only SELECT, BALANCES, JOURNAL and"
                         " PRINT queries run", command=command)
    return stripped


def _statement_end(text: str) -> int | None:
    """Index of the first ``;`` outside strings, quoted names and ``/* */`` comments, if any.

    BQL's grammar reads ``;`` as the start of a comment to the end of the line, so
    ``SELECT 1; SELECT 2`` would quietly run the first statement alone; finding the ``;``
    ourselves lets :func:`_precheck` refuse the second. A quote or ``/*`` that is never closed
    is an ordinary character here, as it is to the parser (which then refuses the text).
    """
    i, length = 0, len(text)
    while i < length:
        char = text[i]
        if char == ";":
            return i
        if char in "'\"":
            quote = _closing_quote(text, i)
            i = quote + 1 if quote is not None else i + 1
        elif text.startswith("/*", i) and (comment := text.find("*/", i + 2)) >= 0:
            i = comment + 2
        else:
            i += 1
    return None


def _closing_quote(text: str, start: int) -> int | None:
    """Where the quote opened at ``start`` closes; a doubled quote is part of the string."""
    quote, i = text[start], start + 1
    while (i := text.find(quote, i)) >= 0:
        if text.startswith(quote * 2, i):
            i += 2
            continue
        return i
    return None


def _parse(text: str) -> ast.Node:
    """The one statement of ``text``, if it is a reading one."""
    try:
        statement = beanquery.parser.parse(text)
    except beanquery.ParseError as exc:
        try:
            where = exc.parseinfo.tokenizer.line_info(exc.parseinfo.pos)
            line, column, shown = where.line + 1, where.col + 1, where.text.rstrip()
        except (AttributeError, TypeError, ValueError, IndexError):  # the position is a nicety
            raise QueryError("syntax error") from None
        raise QueryError("syntax error at line %(line)s, column %(column)s: %(text)s", line=line, column=column,
                         text=shown) from None
    except RecursionError:
        raise QueryError("the query is nested too deeply to be read") from None
    except Exception as exc:  # noqa: BLE001 - beanquery raises a few other types on odd input
        raise QueryError("the query could not be read: %(error)s", error=str(exc)) from None
    if not isinstance(statement, ALLOWED):
        kind = type(statement).__name__.upper()
        raise QueryError("%(kind)s statements are not allowed: only SELECT, BALANCES, JOURNAL and PRINT queries run",
                         kind=kind)
    return statement


# -- in the child --------------------------------------------------------------------------------
def _execute(entries: list[Any], options: dict[str, Any], text: str, limits: Limits) -> QueryResult:
    """Parse, run and render one statement: the child's whole job."""
    statement = _parse(text)
    connection = beanquery.connect("beancount:", entries=entries, errors=[], options=options)
    cursor = connection.cursor()
    cursor.execute(statement)
    columns = list(cursor.description or [])
    rows: list[tuple[Any, ...]] = cursor.fetchall()
    if len(rows) > limits.max_rows:
        raise QueryError("the query returned %(rows)s rows, more than the limit of %(most)s; narrow it with WHERE or add"
                         " a LIMIT", rows=format(len(rows), ","),
                         most=format(limits.max_rows, ","))
    if isinstance(statement, ast.Print):
        return _printed(rows, options)
    dcontext = options["dcontext"]  # the parent sets it again: no need to send it back
    return QueryResult(columns, rows, None, _cells(columns, rows, dcontext), _text(columns, rows, dcontext))


def _printed(rows: list[tuple[Any, ...]], options: dict[str, Any]) -> QueryResult:
    """PRINT's entries as beancount text (one cell an entry) that beancount loads back.

    Numbers keep their natural precision, as bean-query's own PRINT does; only the ledger's
    ``render_commas`` option is honoured.
    """
    dcontext = display_context.DisplayContext()
    dcontext.set_commas(bool(options["dcontext"].commas))
    texts = [printer.format_entry(entry, dcontext) for entry, in rows]
    columns = [beanquery.Column("entry", str)]
    return QueryResult(columns, [(t,) for t in texts], None, [[t.rstrip("\n")] for t in texts], "\n".join(texts))


def _cells(columns: list[Any], rows: list[tuple[Any, ...]], dcontext: Any) -> list[list[str]]:
    ctx = query_render.RenderContext(dcontext, expand=True, spaced=False, listsep=" ", null="")
    # beanquery 0.2 renders cells only inside render_text/render_csv (which join lists with commas
    # and write a file); its per-type renderers are the same ones, taken here for one cell each.
    renderers = [query_render._get_renderer(c.datatype, ctx) for c in columns]
    for row in rows:
        for value, renderer in zip(row, renderers, strict=True):
            if value is not None:
                renderer.update(value)
    for renderer in renderers:
        renderer.prepare()
    return [[str(cell).strip() for cell in row] for row in query_render.render_rows(rows, renderers, ctx)]


def _text(columns: list[Any], rows: list[tuple[Any, ...]], dcontext: Any) -> str:
    out = io.StringIO()
    query_render.render_text(columns, rows, dcontext, out, expand=True)
    return out.getvalue()


def _simplify(result: QueryResult) -> QueryResult:
    """``result`` with every column whose values do not pickle turned into its display text."""
    cells = result.cells()
    columns, values = list(result.columns), [list(row) for row in result.rows]
    for j, column in enumerate(result.columns):
        try:
            pickle.dumps((column, [row[j] for row in result.rows]))
        except PICKLE_ERRORS:
            columns[j] = beanquery.Column(column.name, str)
            for i, row in enumerate(values):
                row[j] = cells[i][j] if i < len(cells) and row[j] is not None else None
    return result._replace(columns=columns, rows=[tuple(row) for row in values])


def _message(exc: BaseException) -> QueryError:
    """The refusal for what a query raised, as the person who wrote it can act on it (built in the
    child, raised in the parent). Beanquery's own text is a value, kept as it is."""
    if isinstance(exc, QueryError):
        return exc
    if isinstance(exc, beanquery.CompilationError):
        return QueryError("the query cannot run: %(error)s", error=str(exc))
    if isinstance(exc, re.error):
        if isinstance(exc.pattern, str):
            return QueryError("invalid regular expression %(pattern)s: %(error)s", pattern=repr(exc.pattern), error=str(exc))
        return QueryError("invalid regular expression: %(error)s", error=str(exc))
    if isinstance(exc, ZeroDivisionError):  # decimal.DivisionByZero is one too
        return QueryError("the query failed: division by zero")
    if isinstance(exc, decimal.Overflow):
        return QueryError("the query failed: a number grew too large (decimal overflow)")
    if isinstance(exc, decimal.InvalidOperation):
        return QueryError("the query failed: invalid decimal operation (such as comparing NaN, a malformed number, "
                          "or round() to more digits than a number can hold)")
    if isinstance(exc, decimal.DecimalException):
        return QueryError("the query failed: decimal arithmetic error (%(kind)s)", kind=type(exc).__name__)
    if isinstance(exc, RecursionError):
        return QueryError("the query is nested too deeply to run")
    if isinstance(exc, (beanquery.Error, TypeError, ValueError, ArithmeticError)) and str(exc):
        return QueryError("the query failed: %(error)s", error=str(exc))
    named = f"{type(exc).__name__}: {exc}".rstrip(": ")
    return QueryError("the query failed: %(error)s", error=named)
