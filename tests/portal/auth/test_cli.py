"""``portal sessions``: the server-side sessions' upkeep."""

from __future__ import annotations


def test_sessions_purge(runner) -> None:
    result = runner.invoke(args=["sessions", "purge", "--days", "0"])
    assert result.exit_code == 0 and "deleted 0 ended sessions" in result.output
    assert runner.invoke(args=["sessions", "purge", "--days", "-1"]).exit_code == 2
