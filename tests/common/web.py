"""Driving the portal through Flask's test client: logging in, CSRF tokens, reading pages and JSON."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from flask import Flask

CSRF = re.compile(r'name="((?:[\w]+-)?csrf_token)"[^>]*value="([^"]+)"')
ROW = re.compile(r'<tr[^>]*data-city="(\d{3})"[^>]*>(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def login_as(client, app: Flask, *, sub: str, role: str, city: str | None = None, issuer: str = "https://idp.test") -> None:
    """Log ``client`` in as a user with ``role`` without an OpenID round trip (for view tests)."""
    from portal.accounts import services as users

    with app.app_context():
        user = users.grant(issuer=issuer, sub=sub, role=role, city=city, name=sub, actor="test")
        user_id = user.id
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


def login(client, app, **user) -> None:
    """``login_as``, plus the same-origin Referer a browser sends (Flask-WTF's CSRF check wants one
    on https; sending it always keeps these tests valid whichever scheme the app prefers)."""
    login_as(client, app, **user)
    client.environ_base["HTTP_REFERER"] = "https://localhost/"


def csrf(client, url: str, prefix: str = "") -> str:
    """The CSRF token of the form at ``url`` (of the form with ``prefix`` when there are several)."""
    html = client.get(url).get_data(as_text=True)
    tokens = dict(CSRF.findall(html))
    return tokens[f"{prefix}-csrf_token" if prefix else "csrf_token"]


def cents(text: str) -> int:
    """``"30 588,24 €"`` (as shown on a page) in cents."""
    raw = re.sub(r"<[^>]+>", "", text).replace("€", "").replace("\u00a0", "").replace(" ", "").strip()
    return int(Decimal(raw.replace(",", ".")) * 100)


def table(html: str, testid: str) -> dict[str, list[str]]:
    """The rows of the table ``data-testid=testid`` keyed by city code: cell texts."""
    start = html.index(f'data-testid="{testid}"')
    body = html[start: html.index("</table>", start)]
    return {code: [re.sub(r"<[^>]+>", "", c).strip() for c in CELL.findall(row)] for code, row in ROW.findall(body)}


def strict_json(response) -> object:
    """The body parsed with floats refused: any amount sent as a JSON number fails the test."""

    def no_floats(text: str):
        raise AssertionError(f"a float in the API's JSON: {text}")

    return json.loads(response.get_data(as_text=True), parse_float=no_floats)


PREVIEW = 'data-testid="preview-form"'


def confirm_form(html: str) -> list[tuple[str, str]]:
    """The fields the preview's *Confirm* button sends: its hidden inputs and ``confirm=1``."""
    from tests.common.devidp import forms

    form = forms(html)["confirm-change"]
    return [(name, value) for name, value, kind in form["inputs"] if kind == "hidden"] + [("confirm", "1")]


def submit_change(client, url: str, data):
    """Send a change form as a person does: the form shows its preview, then *Confirm* posts it.

    A response that is not a preview (a refusal, a field error) is returned as it came, so a test
    asserts what it asserted of the form's own answer; nothing has been posted then.
    """
    from werkzeug.datastructures import MultiDict

    first = client.post(url, data=data)
    html = first.get_data(as_text=True)
    if first.status_code != 200 or PREVIEW not in html:
        return first
    return client.post(url, data=MultiDict(confirm_form(html)))
