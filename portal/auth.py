"""Stub: replaced by the OIDC relying party."""
from flask import Flask


def init_app(app: Flask) -> None:
    pass
