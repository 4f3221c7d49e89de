"""``portal users``: grant, list, approve, disable and invite; bad input exits 2 without a traceback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts import services as users
from portal.accounts.models import Invitation
from portal.extensions import db
from tests.common.accounts import ISS, login


def test_users_grant(runner) -> None:
    result = runner.invoke(args=["users", "grant", "--issuer", "https://login.example/t/v2.0", "--sub", "abc", "--role", "contact", "--city", "638"])
    assert result.exit_code == 0 and "roles contact, city 638" in result.output
    result = runner.invoke(args=["users", "grant", "--issuer", "https://login.example/t/v2.0", "--sub", "abc", "--role", "accountant"])
    assert "roles accountant, contact" in result.output


def test_cli_list_approve_disable_invite(app, runner) -> None:
    with app.app_context():
        login("anna")
        login("nobody", city=None)
    listed = runner.invoke(args=["users", "list", "--status", "pending"])
    assert listed.exit_code == 0 and [line.split("\t")[2] for line in listed.output.splitlines()] == ["nobody", "anna"]
    done = runner.invoke(args=["users", "approve", "--issuer", ISS, "--sub", "anna", "--role", "contact", "--role", "lead"])
    assert done.exit_code == 0 and "active, roles contact, lead, city 638" in done.output
    done = runner.invoke(args=["users", "approve", "--issuer", ISS, "--sub", "nobody", "--role", "contact", "--city", "91"])
    assert done.exit_code == 0 and "city 091" in done.output
    assert runner.invoke(args=["users", "list", "--status", "pending"]).output == ""
    done = runner.invoke(args=["users", "disable", "--issuer", ISS, "--sub", "anna"])
    assert done.exit_code == 0 and "disabled" in done.output
    done = runner.invoke(args=["users", "invite", "--email", "Bo@Porvoo.fi", "--city", "638", "--role", "admin"])
    assert done.exit_code == 0 and "invited bo@porvoo.fi as admin of 638" in done.output
    with app.app_context():
        assert users.find(ISS, "anna").status == "disabled"
        assert db.session.execute(select(Invitation)).scalar_one().role == "admin"


@pytest.mark.parametrize("args, message", [
    (["approve", "--issuer", ISS, "--sub", "ghost", "--role", "contact"], "no user ghost"),
    (["approve", "--issuer", ISS, "--sub", "anna", "--role", "contact", "--city", "091"], "cannot be changed"),
    (["approve", "--issuer", ISS, "--sub", "anna", "--role", "boss"], "Invalid value for '--role'"),
    (["disable", "--issuer", ISS, "--sub", "ghost"], "no user ghost"),
    (["invite", "--email", "nope", "--city", "638", "--role", "contact"], "not an email address"),
    (["invite", "--email", "a@b.fi", "--city", "999", "--role", "contact"], "999"),
    (["list", "--status", "gone"], "Invalid value for '--status'"),
])
def test_cli_bad_input_exits_2(app, runner, args, message) -> None:
    with app.app_context():
        login("anna")
    result = runner.invoke(args=["users", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output
