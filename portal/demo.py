"""The demo consortium: the mid-sized cities' IAM project 2025–2029 and its three demo users.

Loaded by ``portal demo`` (``make demo``); loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import select

from ledger.money import parse_amount
from portal.accounts import services as accounts
from portal.auth.devidp.server import DEMO_USERS
from portal.extensions import db
from portal.projects import services as projects
from portal.projects.models import Project

SLUG = "iam"
NAME = "Mid-sized cities' IAM project 2025–2029"
ACTOR = "demo loader"

# The growth cities network (kasvukaupunkiverkosto); populations from ledger/data (2025).
FOUNDERS = ["109", "167", "205", "272", "285", "286", "405", "491", "609", "638", "698", "734", "743", "905"]
HISTORY = [
    ("add", ["106"], dt.date(2025, 6, 1), "Hyvinkää city council 12.5.2025 § 41"),
    ("add", ["444", "740"], dt.date(2026, 1, 1), "Lohja 10.11.2025 § 88; Savonlinna 17.11.2025 § 102"),
]

# The budget by year (EUR): 520,000.00 over the term.
BUDGET = {2025: "80000.00", 2026: "150000.00", 2027: "110000.00", 2028: "100000.00", 2029: "80000.00"}

__all__ = ["DEMO_USERS", "load"]  # DEMO_USERS: the development provider's people, given their roles here


def load(dev_issuer: str | None = None) -> str:
    """Create the demo project, its membership history and the demo users (idempotent)."""
    issuer = dev_issuer or current_app.config.get("DEV_IDP_ISSUER")
    if issuer:
        for sub, name, role, city in DEMO_USERS:
            accounts.grant(issuer=issuer, sub=sub, role=role, city=city, name=name, actor=ACTOR)
    if db.session.execute(select(Project.id).where(Project.slug == SLUG)).first():
        return f"demo project {SLUG!r} is already loaded"
    projects.create_project(SLUG, name=NAME, years={y: parse_amount(a) for y, a in BUDGET.items()}, start=dt.date(2025, 1, 1),
                           end=dt.date(2029, 12, 31), rule="equal", policy="whole-term", actor=ACTOR,
                           decision="Consortium agreement 15.12.2024 § 5")
    projects.add_members(SLUG, FOUNDERS, joined=dt.date(2025, 1, 1), decision="Consortium agreement signed 15.12.2024", actor=ACTOR)
    for _, codes, date, decision in HISTORY:
        projects.add_members(SLUG, codes, joined=date, decision=decision, actor=ACTOR)
    return f"loaded demo project {SLUG!r}: {NAME}, 17 members"
