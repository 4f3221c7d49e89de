"""Read-only BQL over an in-memory ledger, with beanquery.

Only reading statements run (SELECT, BALANCES, JOURNAL, PRINT). Everything that could reach the
file system or run code — ``CREATE TABLE … USING 'csv:…'``, ``INSERT``, the shell's dot-commands
such as ``.output`` or ``.run`` — is refused before anything is compiled.
"""

from __future__ import annotations

import csv
import io
from typing import Any, NamedTuple

import beanquery
from beanquery import query_render
from beanquery.parser import ast

from ledger.errors import QueryError

ALLOWED = (ast.Select, ast.Balances, ast.Journal, ast.Print)
MAX_QUERY_LENGTH = 10_000


class QueryResult(NamedTuple):
    columns: list[Any]            # beanquery.Column: .name, .datatype
    rows: list[tuple]
    dcontext: Any                 # how numbers are displayed

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def cells(self) -> list[list[str]]:
        """Every cell as display text (beanquery's own renderers, one line a row)."""
        ctx = query_render.RenderContext(self.dcontext, expand=True, spaced=False, listsep=" ", null="")
        renderers = [query_render._get_renderer(c.datatype, ctx) for c in self.columns]
        for row in self.rows:
            for value, renderer in zip(row, renderers):
                if value is not None:
                    renderer.update(value)
        for renderer in renderers:
            renderer.prepare()
        return [[str(cell).strip() for cell in row] for row in query_render.render_rows(self.rows, renderers, ctx)]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.names)
        writer.writerows(self.cells())
        return out.getvalue()

    def to_text(self) -> str:
        out = io.StringIO()
        query_render.render_text(self.columns, self.rows, self.dcontext, out, expand=True)
        return out.getvalue()


def check(text: str) -> ast.Node:
    """Parse ``text`` and return its statement, or raise :class:`QueryError` saying why not."""
    if len(text or "") > MAX_QUERY_LENGTH:
        raise QueryError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    stripped = (text or "").strip().rstrip(";").strip()
    if not stripped:
        raise QueryError("the query is empty; try: SELECT account, sum(position) GROUP BY account")
    if stripped.startswith("."):
        command = stripped.split()[0]
        raise QueryError(f"shell commands such as {command} are not available here; only SELECT, BALANCES, JOURNAL and PRINT queries run")
    try:
        statement = beanquery.parser.parse(stripped)
    except beanquery.ParseError as exc:
        try:
            where = exc.parseinfo.tokenizer.line_info(exc.parseinfo.pos)
            message = f"syntax error at line {where.line + 1}, column {where.col + 1}: {where.text.rstrip()}"
        except Exception:  # the position is a nicety; the refusal is what matters
            message = "syntax error"
        raise QueryError(message) from None
    except Exception as exc:  # beanquery raises a few other types on odd input
        raise QueryError(f"the query could not be read: {exc}") from None
    if not isinstance(statement, ALLOWED):
        kind = type(statement).__name__.upper()
        raise QueryError(f"{kind} statements are not allowed: only SELECT, BALANCES, JOURNAL and PRINT queries run")
    return statement


def run(connection: beanquery.Connection, text: str) -> QueryResult:
    """Run a checked, read-only query on ``connection``."""
    statement = check(text)
    try:
        cursor = connection.cursor()
        cursor.execute(statement)
        rows = cursor.fetchall()
        columns = list(cursor.description or [])
    except beanquery.CompilationError as exc:
        raise QueryError(f"the query cannot run: {exc}") from None
    except beanquery.Error as exc:
        raise QueryError(f"the query failed: {exc}") from None
    except (TypeError, ValueError, ZeroDivisionError) as exc:
        raise QueryError(f"the query failed: {exc}") from None
    return QueryResult(columns, rows, connection.options["dcontext"])
