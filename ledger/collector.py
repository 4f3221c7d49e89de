"""Python's cyclic garbage collector, held off while a change computes.

Why: a change of a 300-member project makes some 200,000 short-lived objects (Fractions, cells,
postings, rows), none of them in a reference cycle: reference counting frees each as soon as it
is dropped. Yet every 700 allocations the collector walks the young objects, every tenth time
the older ones too, and now and then the whole heap, which in a worker holding a journal of
100,000 entries is millions of objects (half a second). During a change that was a third of
its time, spent finding nothing. :func:`paused` holds the collector off for the length of a
block; it runs as usual afterwards, on what is left.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the block (nested blocks and threads: the outermost turns it back on).

    Only the block that found the collector on turns it on again, so a block never leaves it off,
    and never turns on a collector someone else had turned off before it.
    """
    was_on = gc.isenabled()
    if was_on:
        gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def without_collection(fn: Callable[P, T]) -> Callable[P, T]:
    """``fn`` run inside :func:`paused`."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        with paused():
            return fn(*args, **kwargs)

    return run
