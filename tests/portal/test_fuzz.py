"""Every page, form and API endpoint, driven with hostile values by every role: a 4xx (or 2xx/3xx for
a valid accident), never a 500 or a traceback, a problem document under ``/api/``, and nothing changed
when the request was refused.

The routes come from the app's own ``url_map`` and the forms from its own pages (every form every
page carries, as an admin sees them, with its fields and choices), so a new route or form is
fuzzed without editing this test. A request makes one value hostile (``tests.common.fuzz``) and the
others plausible, so that it gets past the first check and reaches the services, the core and the
database. Each form gets a valid CSRF token for its session (Flask-WTF's own way of signing one),
so the values, not the token, are what is tested. The development provider's issuer is a closed
local port, so a callback never reaches another server.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.routing import AnyConverter, Rule

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.costs import services as costs
from portal.extensions import db
from portal.web import IdConverter
from tests.common.apps import dispose, free_port, make_app, migrated_database
from tests.common.fuzz import HOSTILE, NUMBERS, TEXTS, counts, fuzz_settings, hostile_values, value
from tests.common.web import login_as

ROLES = {"anonymous": None, "contact": "638", "lead": "109", "accountant": "109", "admin": "109"}
UPLOADS = [b'2026-02-01 open Assets:Bank EUR\n\n2026-02-15 * "Porvoo" "Payment"\n  Assets:Bank  1.00 EUR\n'
           b"  Assets:Receivable:Members:Porvoo-638  -1.00 EUR\n", b"\xff\xfe\x00garbage", b"", b"\x00" * 100,
           b'2026-01-01 * "x" #assessment\n  Income:Contributions  1e1000000 EUR\n', "é€\u202e".encode() * 1000]
ISSUER = "https://fuzz.test"
CSRF_RAW = "fuzz-csrf-0123456789abcdef"
ALLOWED_5XX = (502, 503)  # a provider that cannot be reached; a busy project (never 500)


CSRF = object()  # where a request's valid CSRF token goes
EXPECT = object()  # where the project's current change number goes (a confirmed preview)


class FormSpec(NamedTuple):
    action: str
    method: str
    multipart: bool
    fields: tuple[tuple[str, str, tuple[str, ...]], ...]  # (name, kind, choices)


class Forms(HTMLParser):
    """The forms of a page: their action, method and fields (and a select's choices)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.forms, self._form, self._select = url, [], None, None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.url
            self._form = {"action": urlsplit(action).path, "method": a.get("method", "get").upper(),
                          "multipart": "multipart" in a.get("enctype", ""), "fields": {}}
        elif self._form is not None and tag in ("input", "textarea", "select") and a.get("name"):
            csrf = a["name"] == "csrf_token" or a["name"].endswith("-csrf_token")
            kind = "csrf" if csrf else a.get("type", "text") if tag == "input" else tag
            self._form["fields"].setdefault(a["name"], [kind, [a["value"]] if "value" in a and kind != "text" else []])
            if tag == "select":
                self._select = a["name"]
        elif tag == "option" and self._form is not None and self._select:
            self._form["fields"][self._select][1].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            f = self._form
            self.forms.append(FormSpec(f["action"], f["method"], f["multipart"],
                                       tuple((n, k, tuple(c)) for n, (k, c) in f["fields"].items())))
            self._form = None


def enter(client, app, role: str) -> str:
    """Log ``client`` in as ``role`` (an active user with that role alone: a fuzzed admin may have changed it);
    the CSRF token of its session, signed as Flask-WTF signs it."""
    if ROLES[role] is not None:
        login_as(client, app, sub=f"fuzz-{role}", role=role, city=ROLES[role], issuer=ISSUER)
        with app.app_context():
            user = db.session.execute(select(User).where(User.issuer == ISSUER, User.sub == f"fuzz-{role}")).scalar_one()
            user.roles, user.status = {role}, "active"
            db.session.commit()
    with client.session_transaction() as session:
        session["csrf_token"] = CSRF_RAW
    client.environ_base["HTTP_REFERER"] = "http://localhost/"
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(CSRF_RAW)


def plausible_args(rule: Rule, ids: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            out[name] = sorted(converter.items)
        elif isinstance(converter, IdConverter):
            out[name] = ids.get(name, ["1"])
        else:
            out[name] = {"slug": ["iam"], "code": ["638", "286"], "name": ["dev"], "which": ["charge", "grant", "year", "rule"],
                         "filename": ["portal.css"]}.get(name, ["x"])
    return out


def url_for_rule(rule: Rule, args: dict[str, str]) -> str:
    """The rule's path with each ``<converter:name>`` replaced by its value, percent-encoded as sent."""
    path = rule.rule
    for name in rule._converters:
        start = path.index(f":{name}>") if f":{name}>" in path else path.index(f"<{name}>")
        opening = path.rindex("<", 0, start + 1)
        path = path[:opening] + quote(raw(args[name]), safe="") + path[path.index(">", opening) + 1:]
    return path


@pytest.fixture
def site(backend: str, tmp_path: Path):
    """The demo with a subsidy, a charge and an invitation; the routes, and the forms of every page an admin sees."""
    app = make_app(migrated_database(backend, tmp_path), tmp_path,
                   DEV_IDP_ISSUER=f"http://127.0.0.1:{free_port()}/dev-idp")
    from portal import demo
    from portal.accounts import services as accounts

    with app.app_context():
        demo.load()
        costs.set_subsidy("iam", key="state", rate=4500, text="state subsidy", actor="test")
        costs.add_charge("iam", city="286", amount=120000, date=costs.dt.date(2026, 3, 1), text="tablets", actor="test")
        accounts.invite(email="new@example.fi", city="638", role="contact", by=None, actor="test")
        ids = {"event_id": [str(i) for i in db.session.scalars(select(AuditEvent.id).where(AuditEvent.project_id.is_not(None)))][-3:],
               "user_id": [str(i) for i in db.session.scalars(select(User.id))][:3], "invitation_id": ["1"]}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    client = app.test_client()
    enter(client, app, "admin")
    forms: dict[tuple[str, str], FormSpec] = {}
    for rule in rules:
        if "GET" not in rule.methods or rule.endpoint.startswith("devidp") or rule.endpoint.startswith("auth"):
            continue
        url = url_for_rule(rule, {k: v[0] for k, v in plausible_args(rule, ids).items()})
        response = client.get(url)
        if response.mimetype != "text/html":
            continue  # PDFs, CSV, XML and the favicon hold no forms
        parser = Forms(url)
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            forms.setdefault((form.action, form.method), form)
    assert len(forms) >= 15, sorted(forms)
    yield Site(app, rules, ids, sorted(forms.values()))
    dispose(app)


class Request(NamedTuple):
    role: str
    method: str
    url: str
    form: dict[str, Any]
    multipart: bool

    def __str__(self) -> str:
        return f"{self.role}: {self.method} {self.url} {self.form!r}"[:3000]


@st.composite
def form_request(draw: st.DrawFn, forms: list[FormSpec]) -> Request:
    form = draw(st.sampled_from(forms))
    target = draw(st.integers(0, max(len(form.fields) - 1, 0)))
    data: dict[str, Any] = {}
    for i, (name, kind, choices) in enumerate(form.fields):
        hostile = i == target
        if kind == "csrf":
            data[name] = CSRF if not hostile or draw(st.booleans()) else draw(hostile_values(name))
        elif kind == "file":
            data[name] = (io.BytesIO(draw(st.sampled_from(UPLOADS))), draw(st.sampled_from(["x.beancount", "a\x00b", "é.txt"])))
        elif kind in ("submit", "checkbox"):
            if draw(st.booleans()) or hostile:
                data[name] = choices[0] if choices and not hostile else draw(hostile_values(name))
        elif hostile or not choices:
            data[name] = draw(value(name.split("-", 1)[-1], hostile=hostile))
        else:
            picked = draw(st.lists(st.sampled_from(choices), min_size=1, max_size=3 if kind == "select" else 1))
            data[name] = picked if len(picked) > 1 else picked[0]
    if form.method == "POST" and draw(st.booleans()):  # as if Confirm was pressed on the change's preview
        data["confirm"] = "1"
        data["expect"] = EXPECT if draw(st.integers(0, 3)) else draw(hostile_values("expect"))
    role = draw(st.sampled_from(["admin", "admin", "lead", "accountant", "contact"]))  # mostly those who may use it
    if form.method == "GET":
        return Request(role, "GET", form.action + "?" + _query(data), {}, False)
    return Request(role, "POST", form.action, data, form.multipart)


def _query(data: dict[str, Any]) -> str:
    pairs = [(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs]) if isinstance(v, str)]
    return "&".join(f"{quote(raw(k), safe='')}={quote(raw(v), safe='')}" for k, v in pairs)


IDS = ["2147483648", "99999999999999999999", "9223372036854775808", "9" * 5000, "١", "１", "-1", "0", "1e3", "0x1"]


@st.composite
def route_request(draw: st.DrawFn, rules: list[Rule], ids: dict[str, list[str]]) -> Request:
    """A route with one hostile part of its address (an id beyond the integers, a NUL in a slug) or query string."""
    with_args = [r for r in rules if r._converters]
    rule = draw(st.sampled_from(with_args) | st.sampled_from(rules))
    plausible = plausible_args(rule, ids)
    target = draw(st.integers(0, len(plausible) - 1)) if plausible and draw(st.integers(0, 3)) else None
    args = {}
    for i, (name, choices) in enumerate(plausible.items()):
        if i != target:
            args[name] = draw(st.sampled_from(choices))
        elif name in ids:
            args[name] = draw(st.sampled_from(IDS) | st.sampled_from(NUMBERS))
        else:
            args[name] = draw(st.sampled_from([*TEXTS, *HOSTILE[:10]]))
    query = draw(st.dictionaries(st.sampled_from(["next", "city", "join", "leave", "on", "q", "code", "state", "x"]),
                                 st.sampled_from(HOSTILE) | st.text(max_size=8), max_size=3)) if target is None else {}
    method = draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))
    body = draw(st.dictionaries(st.text(min_size=1, max_size=8), st.sampled_from(HOSTILE), max_size=3)) if method == "POST" else {}
    role = draw(st.sampled_from(list(ROLES)))
    return Request(role, method, url_for_rule(rule, args) + ("?" + _query(query) if query else ""), body, False)


def raw(text: str) -> bytes:
    """``text`` as the bytes a client sends: a byte that is not UTF-8 (``\\udcff``) as that byte."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no byte stands for: what a client could not send either
        return text.encode("utf-8", "replace")


def _change_seq(app, url: str) -> str:
    """The change number of the project a form posts to: what its preview's Confirm carries."""
    from portal.projects.models import Project

    slug = url.split("/")[2] if url.startswith("/p/") else ""
    with app.app_context():
        seq = db.session.scalar(select(Project.change_seq).where(Project.slug == slug))
    return str(seq or 0)


def send(client, token: str, request: Request):
    """The request as a browser would send it: a form url-encoded (or multipart with its file), bytes as they are."""
    data = {k: token if v is CSRF else _change_seq(client.application, request.url) if v is EXPECT else v
            for k, v in request.form.items()}
    if request.multipart:
        fields = {k: v if isinstance(v, tuple) else raw(v).decode("utf-8", "replace") if isinstance(v, str) else v
                  for k, v in data.items()}
        return client.open(request.url, method=request.method, data=fields, content_type="multipart/form-data")
    pairs = [(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs])]
    body = "&".join(f"{quote(raw(k), safe='')}={quote(raw(v), safe='')}" for k, v in pairs)
    return client.open(request.url, method=request.method, data=body.encode("ascii"),
                       content_type="application/x-www-form-urlencoded")


class Site(NamedTuple):
    app: Any
    rules: list[Rule]
    ids: dict[str, list[str]]
    forms: list[FormSpec]

    def __repr__(self) -> str:  # hypothesis prints the fixture with a failing example
        return f"<the demo: {len(self.rules)} routes, {len(self.forms)} forms>"


@fuzz_settings(120)
@given(data=st.data())
def test_no_request_gives_a_500_and_a_refused_one_changes_nothing(site, data) -> None:
    app = site.app
    request = data.draw(st.one_of(form_request(site.forms), route_request(site.rules, site.ids)),
                        label="request")
    client = app.test_client()
    token = enter(client, app, request.role)
    before = counts(app)
    try:
        response = send(client, token, request)
    except Exception as exc:  # TESTING propagates what would have been a 500
        raise AssertionError(f"{request}\n{type(exc).__name__}: {exc}") from exc
    status = response.status_code
    event(f"{request.method} {status // 100}xx")
    body = response.get_data(as_text=True) if response.mimetype.startswith(("text/", "application/")) else ""
    assert status < 500 or status in ALLOWED_5XX, f"{status} for {request}"
    assert "Traceback" not in body, str(request)
    if urlsplit(request.url).path.startswith("/api/") and status >= 400:
        assert response.mimetype == "application/problem+json", f"{status} {response.mimetype} for {request}"
    if status >= 400:
        assert counts(app) == before, f"refused with {status}, yet something changed: {request}"
