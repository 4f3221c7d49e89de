"""The signed-in user's notification settings: a checkbox per kind and the emails' language."""

from __future__ import annotations

from portal.accounts.models import User
from portal.extensions import db
from portal.notifications import services as notify
from tests.common.web import csrf, login


def test_a_user_turns_kinds_off_and_picks_a_language(client, app) -> None:
    login(client, app, sub="pia", role="contact", city="638")
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert 'name="share_changed"' in page and "checked" in page
    token = csrf(client, "/notifications/settings")
    saved = client.post("/notifications/settings", data={"csrf_token": token, "invoice_issued": "y", "language": "sv"})
    assert saved.status_code == 303
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.sub == "pia")).scalar_one()
        assert notify.opted_out(user.id) == {"share-changed", "invoice-overdue", "user-pending"}
        assert user.language == "sv"
    bad = client.post("/notifications/settings", data={"csrf_token": token, "language": "de"})
    assert bad.status_code == 400 and 'class="field-error"' in bad.get_data(as_text=True)


def test_the_settings_need_a_login(client) -> None:
    assert client.get("/notifications/settings").status_code in (302, 401)


def test_the_language_link_is_remembered_for_emails(client, app) -> None:
    login(client, app, sub="pia", role="contact", city="638")
    assert client.get("/language/sv?next=/").status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(User.language).where(User.sub == "pia")).scalar_one() == "sv"
