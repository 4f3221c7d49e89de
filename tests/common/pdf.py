"""Real PDF files made by the tests themselves (pypdf's writer), and counting what is stored."""

from __future__ import annotations

import io
import os

from pypdf import PdfWriter
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.extensions import db


def make_pdf(*, pages: int = 1, title: str = "Consortium agreement", padding: int = 0, password: str | None = None,
             owner_only: bool = False) -> bytes:
    """A small, real PDF: ``pages`` blank A4 pages; ``padding`` bytes of an embedded file make it larger."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    if padding:
        writer.add_attachment("padding.bin", os.urandom(padding))
    if password is not None or owner_only:
        writer.encrypt(user_password=password or "", owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def stored(app) -> tuple[int, int, int]:
    """(documents, signatures, audit records): what a refused upload or signature must not move."""
    from portal.documents.models import Document, Signature

    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Document, Signature, AuditEvent))
