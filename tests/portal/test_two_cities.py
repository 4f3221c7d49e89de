"""Two cities, two providers, tried as new users would: neither sees or changes what is the other's.

Porvoo (638) and Kouvola (286) each log in through their own provider. Each newcomer's city comes
from the provider's configuration (whatever the claims say); after approval as city contacts,
each sees the shares of all members (they are transparent) but only its own city's history, and
no page that changes anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import requests

from portal import demo
from portal.accounts import services as users
from portal.extensions import db
from tests.common.apps import LiveServer
from tests.common.badidp import BadIdP, log_in, serve_portal

CITIES = {"porvoo": "638", "kouvola": "286"}


@pytest.fixture
def world(tmp_path, monkeypatch) -> Iterator[tuple[LiveServer, dict[str, BadIdP]]]:
    idps = {name: BadIdP() for name in CITIES}
    portal = serve_portal(tmp_path, monkeypatch, {name: (idps[name], {"city": code}) for name, code in CITIES.items()})
    with portal.app.app_context():
        demo.load()
    yield portal, idps
    portal.stop()
    for idp in idps.values():
        idp.stop()
    with portal.app.app_context():
        db.session.remove()
        db.engine.dispose()


class Hidden(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.csrf = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") == "csrf_token":
            self.csrf = a.get("value") or ""


def csrf_token(s: requests.Session, portal: LiveServer) -> str:
    parser = Hidden()
    parser.feed(s.get(f"{portal.url}/login").text)
    assert parser.csrf
    return parser.csrf


def newcomer(portal: LiveServer, idp: BadIdP, name: str, sub: str) -> requests.Session:
    """First login (pending), the lead's approval as a contact, second login (a session)."""
    idp.behaviour.sub = sub
    idp.behaviour.claims = {"municipality": "286" if name == "porvoo" else "638"}  # a claim is never the city
    _s, first = log_in(portal, name)
    assert first.status_code == 403 and "awaits approval" in first.text
    with portal.app.app_context():
        user = users.find(idp.issuer, sub)
        assert user.status == "pending" and user.city_code == CITIES[name]
        users.grant(issuer=idp.issuer, sub=sub, role="contact", city=None, actor="lead")
    s, second = log_in(portal, name)
    assert second.status_code == 200 and urlsplit(second.url).path == "/"
    return s


def test_a_city_contact_cannot_see_or_change_the_other_citys_things(world) -> None:
    portal, idps = world
    sessions = {name: newcomer(portal, idps[name], name, f"{name}-person") for name in CITIES}
    for name, s in sessions.items():
        own, other = CITIES[name], next(code for code in CITIES.values() if code != CITIES[name])
        get = lambda path, s=s: s.get(f"{portal.url}{path}", allow_redirects=False)  # noqa: E731
        assert get("/p/iam/").status_code == 200
        assert get(f"/p/iam/cities/{own}").status_code == 200
        assert get(f"/p/iam/cities/{other}").status_code == 403
        shares = get("/api/v1/projects/iam/shares")
        assert shares.status_code == 200 and {own, other} <= {row["city"] for row in shares.json()}
        for path in ["/p/iam/members/add", f"/p/iam/members/{other}/withdraw", f"/p/iam/members/{own}/withdraw",
                     "/p/iam/settings", "/p/iam/query", "/p/iam/export.beancount", "/p/iam/import"]:
            assert get(path).status_code == 403, path
        token = csrf_token(s, portal)
        for path, data in [("/p/iam/members/add", {"codes": other, "joined": "2026-01-01", "decision": "x"}),
                           (f"/p/iam/members/{other}/withdraw", {"left": "2026-01-01", "decision": "x"}),
                           ("/p/iam/settings", {"budget": "1.00"}), ("/p/iam/query", {"query": "SELECT 1"}),
                           ("/p/iam/import", {})]:
            answer = s.post(f"{portal.url}{path}", data=data | {"csrf_token": token}, allow_redirects=False)
            assert answer.status_code == 403, path
    with portal.app.app_context():
        from portal.projects import services as changes

        assert {line.code for line in changes.shares(changes.get_project("iam"))} >= set(CITIES.values())


def test_the_same_subject_at_the_other_citys_provider_is_someone_else(world) -> None:
    portal, idps = world
    newcomer(portal, idps["kouvola"], "kouvola", "shared-sub")
    idps["porvoo"].behaviour.sub = "shared-sub"
    s, answer = log_in(portal, "porvoo")
    assert answer.status_code == 403 and "awaits approval" in answer.text  # a new, pending Porvoo account
    assert urlsplit(s.get(f"{portal.url}/p/iam/cities/286").url).path == "/login"
    with portal.app.app_context():
        kouvola = users.find(idps["kouvola"].issuer, "shared-sub")
        porvoo = users.find(idps["porvoo"].issuer, "shared-sub")
        assert kouvola.id != porvoo.id and (kouvola.city_code, kouvola.status) == ("286", "active")
        assert (porvoo.city_code, porvoo.status, porvoo.roles) == ("638", "pending", set())
