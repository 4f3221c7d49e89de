"""WSGI entry point for gunicorn: ``gunicorn 'portal.wsgi:app'`` (requires PORTAL_SECRET_KEY)."""

from portal import create_app

app = create_app()
