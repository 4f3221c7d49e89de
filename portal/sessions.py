"""Sessions (issue 3 makes them server-side, shared by all workers and revocable). For now: hooks."""

from __future__ import annotations

from flask import Flask, session


def init_app(app: Flask) -> None:
    pass


def rotate() -> None:
    """Start a new session (at every login), so nothing from before the login carries over."""
    session.clear()


def remember_login(*, provider: str, issuer: str, sub: str, sid: str | None, id_token: str | None) -> None:
    """Record what logout needs later (id_token_hint, the provider's sid for back-channel logout)."""


def end_for_user(user_id: int) -> int:
    """End every session of a user (when disabled); returns how many were ended."""
    return 0
