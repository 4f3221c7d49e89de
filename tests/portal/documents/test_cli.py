"""``portal document add|list|withdraw`` and ``portal agreement sign|status``: exit status 2 on bad input, nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.common.pdf import make_pdf, stored


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "Konsortiosopimus.pdf"
    path.write_bytes(make_pdf(pages=4))
    return path


def test_add_and_list_documents(created, app, pdf: Path) -> None:
    result = created.invoke(args=["document", "add", "iam", str(pdf), "--title", "Consortium agreement", "--kind", "agreement"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("attached document 1 “Consortium agreement” (agreement, ")
    result = created.invoke(args=["document", "add", "iam", str(pdf), "--title", "Decision of the members' join", "--kind",
                                  "decision", "--change", "2"])
    assert result.exit_code == 0 and "to change 2" in result.output
    listed = created.invoke(args=["document", "list", "iam"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert "agreement  Consortium agreement" in lines[0] and "project" in lines[0] and "by cli:" in lines[0]
    assert "decision   Decision of the members' join" in lines[2] and "change 2" in lines[2]
    assert lines[1].strip().startswith("sha256 ") and len(lines[1].split()[1]) == 64


def test_withdraw_a_document(created, app, pdf: Path) -> None:
    created.invoke(args=["document", "add", "iam", str(pdf), "--title", "Agreement", "--kind", "agreement"])
    result = created.invoke(args=["document", "withdraw", "iam", "1", "--reason", "an old draft"])
    assert result.exit_code == 0 and "withdrew document 1" in result.output
    assert "WITHDRAWN" in created.invoke(args=["document", "list", "iam"]).output
    before = stored(app)
    again = created.invoke(args=["document", "withdraw", "iam", "1", "--reason", "again"])
    assert again.exit_code == 2 and "withdrawn already" in again.output and stored(app) == before


def test_bad_documents_exit_2_and_store_nothing(created, app, tmp_path: Path) -> None:
    text, pdf = tmp_path / "text.pdf", tmp_path / "decision.pdf"
    text.write_bytes(b"plain text, not a PDF")
    pdf.write_bytes(make_pdf())
    before = stored(app)
    for path, extra, message in ((text, [], "is not a PDF file"), (pdf, ["--change", "99"], "has no change 99"),
                                 (pdf, ["--change", "0"], "Invalid value for '--change'"),
                                 (tmp_path / "missing.pdf", [], "does not exist")):
        result = created.invoke(args=["document", "add", "iam", str(path), "--title", "Decision", "--kind", "decision", *extra])
        assert result.exit_code == 2 and message in result.output, result.output
        assert "Traceback" not in result.output
    result = created.invoke(args=["document", "add", "iam", str(pdf), "--title", "Decision", "--kind", "invoice"])
    assert result.exit_code == 2 and "Invalid value for '--kind'" in result.output
    assert stored(app) == before


def test_an_oversize_document_exits_2(created, app, tmp_path: Path) -> None:
    app.config["PORTAL_MAX_DOCUMENT_MB"] = 1
    path = tmp_path / "big.pdf"
    path.write_bytes(make_pdf(padding=1_100_000))
    before = stored(app)
    result = created.invoke(args=["document", "add", "iam", str(path), "--title", "Big", "--kind", "other"])
    assert result.exit_code == 2 and "a document may be at most 1 MB" in result.output and stored(app) == before


def test_sign_and_status(created, app) -> None:
    status = created.invoke(args=["agreement", "status", "iam"])
    assert status.exit_code == 0
    assert status.output.splitlines()[0] == "Not in force: waiting for the signatures of Hämeenlinna, Kouvola, Porvoo."
    for code, day in (("638", "2025-02-01"), ("286", "2025-02-10")):
        result = created.invoke(args=["agreement", "sign", "iam", "--city", code, "--signer", "Mayor", "--date", day,
                                      "--decision", "City board § 4"])
        assert result.exit_code == 0, result.output
    result = created.invoke(args=["agreement", "sign", "iam", "--city", "109", "--signer", "Mayor Heikki", "--date", "2025-03-01"])
    assert result.exit_code == 0
    assert result.output.splitlines() == ["recorded the signature of 109 on 1.3.2025 (Mayor Heikki)", "Agreement in force since 1.3.2025."]
    lines = created.invoke(args=["agreement", "status", "iam"]).output.splitlines()
    assert lines[0] == "Agreement in force since 1.3.2025." and len(lines) == 4
    assert "638 Porvoo" in lines[1] and "1.2.2025" in lines[1] and "City board § 4" in lines[1]


BAD_SIGNATURES = [
    (["--city", "999", "--signer", "x", "--date", "2025-02-01"], "999"),
    (["--city", "091", "--signer", "x", "--date", "2025-02-01"], "Helsinki (091) is not a member"),
    (["--city", "638", "--signer", "x", "--date", "2025-03-01"], "has signed already"),
    (["--city", "286", "--signer", "x", "--date", "2999-01-01"], "cannot be dated in the future"),
    (["--city", "286", "--signer", "x", "--date", "1.2.2025"], "Invalid value for '--date'"),
    (["--city", "286", "--signer", " ", "--date", "2025-02-01"], "give the signer's name and title"),
]


def test_bad_signatures_exit_2_and_store_nothing(created, app) -> None:
    assert created.invoke(args=["agreement", "sign", "iam", "--city", "638", "--signer", "x", "--date", "2025-02-01"]).exit_code == 0
    before = stored(app)
    for args, message in BAD_SIGNATURES:
        result = created.invoke(args=["agreement", "sign", "iam", *args])
        assert result.exit_code == 2 and message in result.output, result.output
    assert stored(app) == before


def test_an_unknown_project_exits_2(created) -> None:
    for args in (["document", "list", "nope"], ["agreement", "status", "nope"]):
        result = created.invoke(args=args)
        assert result.exit_code == 2 and "no project 'nope'" in result.output
