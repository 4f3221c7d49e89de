"""What passes as a document: a real PDF by its content, within the size limit; a safe download name."""

from __future__ import annotations

import pytest

from ledger.errors import InvalidInput
from portal.documents.files import check_pdf, digest, safe_filename, size_text
from portal.errors import MB, TooLarge
from tests.common.pdf import make_pdf


def test_a_real_pdf_passes_and_its_pages_are_counted() -> None:
    assert check_pdf(make_pdf(pages=3), "agreement.pdf", 10) == 3


def test_a_pdf_with_an_owner_password_only_opens_for_everyone_and_passes() -> None:
    assert check_pdf(make_pdf(owner_only=True), "decision.pdf", 10) == 1


@pytest.mark.parametrize("content, why", [
    (b"", "is empty"),
    (b"Hello, this is a text file\n", "does not begin with the PDF header"),
    (b"PK\x03\x04 a zip archive renamed", "does not begin with the PDF header"),
    (b"<html><script>alert(1)</script></html>", "does not begin with the PDF header"),
    (b"%PDF-1.7\nnot really a PDF\n", "is not a readable PDF"),
])
def test_what_is_not_a_pdf_is_refused_whatever_its_name(content: bytes, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        check_pdf(content, "agreement.pdf", 10)


def test_a_truncated_pdf_is_refused() -> None:
    data = make_pdf()
    with pytest.raises(InvalidInput, match="is not a readable PDF"):
        check_pdf(data[: len(data) // 2], "agreement.pdf", 10)


def test_a_pdf_that_needs_a_password_to_open_is_refused() -> None:
    with pytest.raises(InvalidInput, match="protected by a password"):
        check_pdf(make_pdf(password="secret"), "agreement.pdf", 10)


def test_a_file_over_the_limit_is_refused_before_it_is_parsed() -> None:
    data = make_pdf(padding=MB + 1000)
    with pytest.raises(TooLarge, match=r"is 1,0 MB; a document may be at most 1 MB"):
        check_pdf(data, "big.pdf", 1)
    assert check_pdf(data, "big.pdf", 2) == 1


def test_the_digest_is_the_sha256_of_the_content() -> None:
    assert digest(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize("name, fallback, expected", [
    ("Konsortiosopimus 2025.pdf", "x", "Konsortiosopimus_2025.pdf"),
    ("päätös § 41.PDF", "x", "paatos_41.pdf"),
    ("../../etc/passwd", "x", "etc_passwd.pdf"),
    ('a"; filename="evil.html', "x", "a_filenameevil.html.pdf"),
    ("§§§.pdf", "Kaupunginvaltuusto 12.5.2025", "Kaupunginvaltuusto_12.5.2025.pdf"),
    ("", "", "document.pdf"),
])
def test_download_names_are_plain_ascii_and_end_in_pdf(name: str, fallback: str, expected: str) -> None:
    assert safe_filename(name, fallback) == expected


def test_sizes_for_people() -> None:
    assert size_text(500) == "1 kB" and size_text(2048) == "2 kB" and size_text(int(2.46 * MB)) == "2,5 MB"
