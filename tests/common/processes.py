"""This process's children, to check that a forked child was reaped."""

from __future__ import annotations

import os
from pathlib import Path


def children() -> list[int]:
    """Process ids of this process's children, zombies included (Linux), whichever of its threads forked them."""
    found: list[int] = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            found += [int(pid) for pid in (task / "children").read_text().split()]
        except FileNotFoundError:  # a thread that has just ended
            continue
    return found
