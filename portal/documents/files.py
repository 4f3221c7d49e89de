"""What makes an upload a document: a real PDF, judged by its content, within the size limit; its
SHA-256; and a file name that is safe to send back.

The declared content type and the file's extension are never trusted (a browser or a person sets
them). The content must begin with the PDF header (``%PDF-1.7``, ``%PDF-2.0``…) and pypdf must be
able to read its cross-reference table, its trailer and its page tree: as far as a cheap check can
go without rendering a page. A PDF that needs a password to open is refused, since the project's
users could not read it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError
from werkzeug.utils import secure_filename

from ledger.errors import InvalidInput
from portal.errors import MB, TooLarge

HEADER = re.compile(rb"%PDF-\d\.\d")
logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings about a damaged file are ours to word


def size_text(size: int) -> str:
    """``2,4 MB``, ``812 kB``: a file's size for people (Finnish decimal comma)."""
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} kB"


def check_pdf(data: bytes, filename: str, limit_mb: int) -> int:
    """The number of pages of a PDF that passes; refuses an empty, oversize or non-PDF file."""
    if not data:
        raise InvalidInput("%(filename)s is empty", filename=filename)
    if len(data) > limit_mb * MB:
        raise TooLarge("%(filename)s is %(size)s; a document may be at most %(limit)s MB",
                       filename=filename, size=size_text(len(data)), limit=limit_mb)
    if not HEADER.match(data):
        raise InvalidInput("%(filename)s is not a PDF file: its content does not begin with the PDF header (%%PDF-); "
                           "attach the agreement or the decision as PDF", filename=filename)
    try:
        pages = len(PdfReader(io.BytesIO(data), strict=False).pages)
    except FileNotDecryptedError:
        raise InvalidInput("%(filename)s is protected by a password; attach a copy that opens without one",
                           filename=filename) from None
    except Exception as exc:  # noqa: BLE001 - a damaged or hostile file can break the parser in any way: each means "not readable"
        raise InvalidInput("%(filename)s is not a readable PDF file (%(error)s: %(reason)s)", filename=filename,
                           error=type(exc).__name__, reason=str(exc)[:120]) from None
    if pages < 1:
        raise InvalidInput("%(filename)s is a PDF file without pages", filename=filename)
    return pages


def digest(data: bytes) -> str:
    """The content's SHA-256, in hex: shown with the document, so anyone can check a downloaded copy."""
    return hashlib.sha256(data).hexdigest()


def safe_filename(name: str, fallback: str) -> str:
    """A download name of ASCII letters, digits, ``_``, ``-`` and ``.`` only, ending in ``.pdf``.

    Werkzeug's ``secure_filename`` drops paths, quotes and control characters (``ä`` becomes
    ``a``), so the name needs no quoting in ``Content-Disposition`` and cannot name a path.
    """
    stem = secure_filename(name.rsplit(".", 1)[0] if name.lower().endswith(".pdf") else name)
    return f"{(stem or secure_filename(fallback) or 'document')[:100]}.pdf"
