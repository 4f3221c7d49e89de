"""The core's refusals: a message for a person, the details behind it, one base class for every kind."""

from __future__ import annotations

import pytest

from ledger.errors import Conflict, ImportRejected, InvalidInput, LedgerError, NotFound, QueryError


@pytest.mark.parametrize("kind", [InvalidInput, Conflict, NotFound, QueryError, ImportRejected])
def test_every_refusal_is_a_ledger_error(kind) -> None:
    with pytest.raises(LedgerError) as raised:
        raise kind("refused")
    assert type(raised.value) is kind and raised.value.message == "refused" and raised.value.details == []


def test_the_details_follow_the_message_one_per_line() -> None:
    details = ["line 3: unbalanced", "line 9: unknown account"]
    error = ImportRejected("the import was refused; nothing was added", details=details)
    details.append("added later")  # the error keeps its own copy
    assert error.details == ["line 3: unbalanced", "line 9: unknown account"]
    assert str(error) == "the import was refused; nothing was added\n  line 3: unbalanced\n  line 9: unknown account"
    assert str(InvalidInput("no details")) == "no details" and error.args == ("the import was refused; nothing was added",)


def test_a_refusal_keeps_its_template_and_values_for_translation() -> None:
    error = Conflict("%(year)s is closed already", year=2025)
    assert error.message == str(error) == "2025 is closed already" and error.args == ("2025 is closed already",)
    assert error.template == "%(year)s is closed already" and error.params == {"year": 2025}


def test_a_template_without_values_keeps_its_percent_signs() -> None:
    assert InvalidInput("at most 100 %").message == "at most 100 %"
    assert InvalidInput("%(share)s %% of the total", share=40).message == "40 % of the total"


def test_a_phrase_is_its_english_text_and_keeps_its_template() -> None:
    import pickle

    from ledger.errors import Phrase
    line = Phrase("line %(line)s: %(problem)s", line=3, problem=Phrase("dated %(day)s, in a closed year", day="2025-03-01"))
    assert line == "line 3: dated 2025-03-01, in a closed year" and isinstance(line, str)
    assert line.template == "line %(line)s: %(problem)s" and line.params["line"] == 3
    again = pickle.loads(pickle.dumps(line))  # a query's refusal comes back from its child process pickled
    assert again == line and again.template == line.template and again.params == line.params
