"""The README's screenshots: the demo consortium in a live server, its main pages in Finnish and Swedish, desktop and 360 px.

Run ``make screenshots`` (Debian's chromium at /usr/bin/chromium). The portal runs on a throwaway
SQLite file with the development OpenID provider; each demo user logs in through it once, and each
page is saved as docs/screenshots/<page>-<language>-<width>.png.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

OUT = Path(__file__).parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# (file name, demo user, path): the city's dashboard, the project, a change's preview, the invoices.
PAGES = [
    ("city", "porvoo-contact", "/p/iam/cities/638"),
    ("project", "porvoo-contact", "/p/iam/"),
    ("add-members", "hameenlinna-lead", "/p/iam/members/add"),
    ("invoices", "accountant", "/p/iam/invoices"),
]
WIDTHS = {"desktop": (1280, 800), "360": (360, 740)}
# A few small files for the README (one screen each, not whole long pages): each page in one
# language at each width, the languages alternating so that both are shown.
SHOTS = {("city", "fi"), ("city", "sv"), ("project", "sv"), ("add-members", "fi"), ("invoices", "sv")}
LANGUAGES = ["fi", "sv"]


def serve(tmp: Path) -> str:
    """The portal with the demo loaded, served on a free loopback port in a thread; its base URL."""
    from flask_migrate import upgrade

    from portal import create_app, demo

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    os.environ["PORTAL_INSTANCE_PATH"] = str(tmp / "instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'demo.sqlite3'}", "SECRET_KEY": "screenshots",
                      "DEVELOPMENT": True, "PORTAL_ENV": "development", "SESSION_COOKIE_SECURE": False,
                      "DEV_IDP": True, "DEV_IDP_ISSUER": f"http://127.0.0.1:{port}/dev-idp",
                      "PORTAL_REDIS_URL": "", "PORTAL_JOBS_REDIS_URL": ""})
    with app.app_context():
        upgrade()
        demo.load()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


def shoot(base_url: str) -> list[Path]:
    """Every page of ``PAGES`` in each language at each width; the files written."""
    from playwright.sync_api import sync_playwright

    from portal.auth.devidp.server import DEMO_USERS

    names = {sub: name for sub, name, _, _ in DEMO_USERS}
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for sub in dict.fromkeys(user for _, user, _ in PAGES):
            context = browser.new_context(base_url=base_url, locale="en-GB")
            page = context.new_page()
            page.goto("/login")
            page.get_by_role("link", name="Log in with Development provider").click()
            page.get_by_role("button", name=names[sub], exact=True).click()
            page.wait_for_url(f"{base_url}/**")
            for name, _, path in (entry for entry in PAGES if entry[1] == sub):
                for language in (code for code in LANGUAGES if (name, code) in SHOTS):
                    page.goto(f"/language/{language}?next={path}")
                    for width, size in WIDTHS.items():
                        page.set_viewport_size({"width": size[0], "height": size[1]})
                        target = OUT / f"{name}-{language}-{width}.png"
                        page.screenshot(path=str(target))
                        written.append(target)
            context.close()
        browser.close()
    return written


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        for path in shoot(serve(Path(tmp))):
            print(f"{path} ({path.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
