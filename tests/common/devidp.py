"""The development OpenID provider driven as a person would, with ``requests`` playing the browser.

``log_in`` walks the whole code flow (portal, the provider's page, back to the callback) by
pressing the provider's buttons; ``pkce``, ``authorize_params``, ``get_code`` and ``token_request``
talk to the provider directly, as a relying party would.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from sqlalchemy import select

from portal.accounts import services as users
from portal.audit import AuditEvent
from portal.auth.devidp import server as devidp
from portal.demo import DEMO_USERS
from portal.extensions import db

# --- a tiny browser -----------------------------------------------------------------------------

class Forms(HTMLParser):
    """Every form on a page: its action, hidden/text inputs and submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._button: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"id": a.get("id"), "action": a.get("action", ""), "method": a.get("method", "get"),
                               "inputs": [], "buttons": []})
        elif tag == "input" and self.forms:
            self.forms[-1]["inputs"].append((a.get("name"), a.get("value", ""), a.get("type", "text")))
        elif tag == "button" and self.forms:
            self._button = {"name": a.get("name"), "value": a.get("value"), "text": ""}
            self.forms[-1]["buttons"].append(self._button)

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._button = None


def forms(html: str) -> dict[str, dict]:
    parser = Forms()
    parser.feed(html)
    return {f["id"] or str(i): f for i, f in enumerate(parser.forms)}


def hidden(form: dict) -> dict[str, str]:
    return {name: value for name, value, kind in form["inputs"] if kind == "hidden"}


def choose(s: requests.Session, page: requests.Response, *, sub: str | None = None, other_sub: str | None = None,
           cancel: bool = False, follow: bool = True) -> requests.Response:
    """Submit the development provider's page as a person would, by pressing a button."""
    assert page.status_code == 200 and "/dev-idp/authorize" in page.url, page.text[:500]
    found = forms(page.text)
    form = found["other-user"] if other_sub is not None else found["choose-user"]
    data = hidden(form)
    if other_sub is not None:
        data["other_sub"] = other_sub
    elif cancel:
        data["cancel"] = "1"
    else:
        assert any(b["name"] == "sub" and b["value"] == sub for b in form["buttons"]), f"no button for {sub}"
        data["sub"] = sub
    return s.post(urljoin(page.url, form["action"]), data=data, allow_redirects=follow)


def log_in(server, *, sub: str | None = None, other_sub: str | None = None, next: str | None = None,
           s: requests.Session | None = None) -> tuple[requests.Session, requests.Response]:
    s = s or requests.Session()
    start = f"{server.url}/auth/login/dev" + (f"?{urlencode({'next': next})}" if next is not None else "")
    page = s.get(start)
    return s, choose(s, page, sub=sub, other_sub=other_sub)


def current_user(s: requests.Session, server) -> str | None:
    """The name in the page header, or None when nobody is logged in."""
    page = s.get(f"{server.url}/login")
    marker = 'data-testid="current-user">'
    if marker not in page.text:
        return None
    return page.text.split(marker, 1)[1].split("<", 1)[0]


def issuer(server) -> str:
    return f"{server.url}/dev-idp"


def grant_demo_users(server) -> None:
    with server.app.app_context():
        for sub, name, role, city in DEMO_USERS:
            users.grant(issuer=issuer(server), sub=sub, role=role, city=city, name=name, actor="test")


def audit(server) -> list[AuditEvent]:
    with server.app.app_context():
        rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        db.session.expunge_all()
        return rows


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(server, challenge: str | None, **extra: str) -> dict[str, str]:
    params = {"response_type": "code", "client_id": devidp.CLIENT_ID, "redirect_uri": f"{server.url}/auth/callback/dev",
              "scope": "openid profile email", "state": secrets.token_urlsafe(16), "nonce": secrets.token_urlsafe(16)}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params | extra


def get_code(server, sub: str, params: dict[str, str]) -> str:
    """Walk the provider's page by hand and take the code from the redirect, without following it."""
    s = requests.Session()
    page = s.get(f"{issuer(server)}/authorize", params=params)
    answer = choose(s, page, sub=sub, follow=False)
    assert answer.status_code == 302, answer.text[:500]
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == [params["state"]]
    return query["code"][0]


def token_request(server, code: str, verifier: str | None, *, basic: bool = True) -> requests.Response:
    client_id, secret = devidp.client_credentials(server.app)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": f"{server.url}/auth/callback/dev"}
    if verifier is not None:
        data["code_verifier"] = verifier
    if basic:
        return requests.post(f"{issuer(server)}/token", data=data, auth=(client_id, secret))
    return requests.post(f"{issuer(server)}/token", data=data | {"client_id": client_id, "client_secret": secret})
