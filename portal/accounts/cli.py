"""``portal users``: list, approve, disable and invite users (keyed on issuer and subject)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from portal.accounts import services as accounts
from portal.accounts.models import ROLES, STATUSES, Invitation, User
from portal.cli import CITY, Text, actor, refusing
from portal.extensions import column_length

ROLE = click.Choice(ROLES)
ISSUER = Text(column_length(User.issuer), "the issuer")
SUB = Text(column_length(User.sub), "the subject")


@click.group("users", help="List, approve, disable and invite users (keyed on issuer and subject).")
def users_group() -> None:
    pass


@users_group.command("grant")
@click.option("--issuer", type=ISSUER, required=True)
@click.option("--sub", type=SUB, required=True)
@click.option("--role", required=True, type=ROLE)
@click.option("--city", type=CITY, default=None, help="Municipality code (required for a contact).")
@click.option("--name", type=Text(column_length(User.name), "the name"), default="", help="Display name until the user first logs in.")
@with_appcontext
@refusing
def users_grant(issuer, sub, role, city, name) -> None:
    user = accounts.grant(issuer=issuer, sub=sub, role=role, city=city, name=name, actor=actor())
    click.echo(f"{user.sub}@{user.issuer}: roles {', '.join(sorted(user.roles))}" + (f", city {user.city_code}" if user.city_code else ""))


@users_group.command("list", help="Users, those awaiting approval first.")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@with_appcontext
@refusing
def users_list(status) -> None:
    for u in accounts.visible(None, status):
        click.echo("\t".join([u.status, u.issuer, u.sub, u.city_code or "-", ",".join(sorted(u.roles)) or "-",
                              u.name, u.email, u.created_at.strftime("%Y-%m-%d %H:%M")]))


@users_group.command("approve", help="Make a user active with exactly these roles (repeat --role).")
@click.option("--issuer", type=ISSUER, required=True)
@click.option("--sub", type=SUB, required=True)
@click.option("--role", "roles", multiple=True, required=True, type=ROLE)
@click.option("--city", type=CITY, default=None, help="Only for a user whose provider vouches for no city.")
@with_appcontext
@refusing
def users_approve(issuer, sub, roles, city) -> None:
    user = accounts.approve(accounts.find_or_refuse(issuer, sub), roles, by=None, actor=actor(), city=city)
    click.echo(f"{user.sub}@{user.issuer}: active, roles {', '.join(sorted(user.roles))}, city {user.city_code or '-'}")


@users_group.command("disable", help="Disable a user and end all of their sessions.")
@click.option("--issuer", type=ISSUER, required=True)
@click.option("--sub", type=SUB, required=True)
@with_appcontext
@refusing
def users_disable(issuer, sub) -> None:
    ended = accounts.disable(accounts.find_or_refuse(issuer, sub), by=None, actor=actor())
    click.echo(f"{sub}@{issuer}: disabled, {ended} session(s) ended")


@users_group.command("invite", help="Invite an email address into a city with a role.")
@click.option("--email", type=Text(column_length(Invitation.email), "the email address"), required=True)
@click.option("--city", type=CITY, required=True)
@click.option("--role", required=True, type=ROLE)
@with_appcontext
@refusing
def users_invite(email, city, role) -> None:
    invitation = accounts.invite(email=email, city=city, role=role, by=None, actor=actor())
    click.echo(f"invited {invitation.email} as {invitation.role} of {invitation.city_code} "
               f"until {invitation.expires_at:%Y-%m-%d}")



COMMANDS = (users_group,)
