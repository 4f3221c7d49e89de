"""Run one piece of work in a forked child process, bounded in time and memory.

A BQL query is code written by whoever is at the keyboard: a backtracking regex, a decimal with
a hundred million digits or a parser fed ten thousand ``+`` signs can each hold a CPU or eat the
machine's memory, and Python cannot interrupt a regex or a ``str()`` from another thread. A child
process can be killed, so the work runs in one:

* it is *forked*, so the parent's objects (a ledger's entry list) are shared copy-on-write and
  nothing is pickled on the way in; :func:`gc.freeze` keeps the child's collector from walking
  (and so copying) every inherited object;
* its address space may grow by :attr:`Limits.memory_bytes` beyond what it inherited
  (``RLIMIT_AS``), so a runaway allocation fails inside the child with :class:`MemoryError`;
* the parent waits at most :attr:`Limits.seconds` and then kills it with SIGKILL; an
  ``RLIMIT_CPU`` a little above that stops it even if the parent itself is killed meanwhile;
* its answer comes back pickled through a pipe, at most :attr:`Limits.max_result_bytes` long.

The child is always reaped and both pipe ends closed, whatever happens.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import os
import pickle
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TypeVar, cast

from ledger.errors import Phrase, QueryError

T = TypeVar("T")

_MEMORY = pickle.dumps(("memory", ""))  # ready before the child runs: sending it allocates nothing new
_SIGNALS = {int(s): s.name for s in signal.Signals}
MAX_MESSAGE = 500  # characters of a described error's message; a longer one is cut
Describe = Callable[[BaseException], QueryError | str]


@dataclass(frozen=True)
class Limits:
    """How much one query may take. The defaults suit the web page and the CLI alike."""

    seconds: float = 10.0                 # wall-clock time, from fork to answer
    memory_bytes: int = 1 << 30           # address space the child may add to what it inherited
    max_rows: int = 100_000               # rows a result may have (checked by the caller's work)
    max_result_bytes: int = 64 << 20      # pickled answer sent back (the parent unpickles it)


def run_forked(work: Callable[[], T], limits: Limits, describe: Describe,
               simplify: Callable[[T], T] | None = None) -> T:
    """Return ``work()`` computed in a forked child within ``limits``, or raise :class:`QueryError`.

    ``describe`` turns whatever the child raised into the error (a :class:`QueryError`, which comes
    back with its template and values, or just its message); ``simplify`` makes a value that failed
    to pickle picklable (by turning odd values into text, say).
    """
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(work, writer, limits, describe, simplify), daemon=True)
    answered = False
    try:
        try:
            process.start()
        except OSError as exc:  # no memory or process slots left for a fork
            raise QueryError("the query could not be started: %(error)s", error=str(exc.strerror or exc)) from None
        writer.close()  # the child holds the only writing end now, so its death reads as EOF
        payload = _receive(reader, process, limits)
        answered = True
    finally:  # on a timeout, an error or Ctrl-C alike
        reader.close()
        writer.close()
        exitcode = _reap(process, answered)
    return cast(T, _unpack(payload, exitcode, limits))


# -- parent --------------------------------------------------------------------------------------
def _receive(reader: Connection, process: BaseProcess, limits: Limits) -> bytes | None:
    """The child's pickled answer, or None if it died without one; kills it when it overruns."""
    if not reader.poll(max(limits.seconds, 0.0)):
        process.kill()
        raise QueryError("the query ran longer than %(seconds)s s and was stopped; narrow it (WHERE, LIMIT) or simplify it"
                         " (a regular expression that backtracks, say)", seconds=format(limits.seconds, "g"))
    try:
        return reader.recv_bytes(limits.max_result_bytes)
    except EOFError:
        return None
    except OSError:  # longer than allowed: the child checks this itself, so this is a backstop
        process.kill()
        raise _too_big(limits) from None


def _reap(process: BaseProcess, answered: bool) -> int | None:
    """Wait for the child so no zombie and no descriptor is left; kill it unless it is leaving."""
    if process.pid is None:  # never started
        return None
    if answered:  # it exits right after answering
        process.join(1.0)
    if process.exitcode is None:
        process.kill()
        process.join()
    exitcode = process.exitcode
    process.close()
    return exitcode


def _unpack(payload: bytes | None, exitcode: int | None, limits: Limits) -> object:
    if payload is None:
        if exitcode and exitcode < 0:
            ended = Phrase("the query process ended by signal %(signal)s without an answer", signal=str(_SIGNALS.get(-exitcode, -exitcode)))
        else:
            ended = Phrase("the query process ended by exit status %(status)s without an answer", status=str(exitcode))
        raise _memory(limits, details=[ended])
    kind, value = pickle.loads(payload)  # noqa: S301 - written by our own forked child, never by a user
    if kind == "ok":
        return value
    if kind == "memory":
        raise _memory(limits)
    raise cast(QueryError, value)  # described in the child: its template and values came back with it


def _memory(limits: Limits, details: list[str] | None = None) -> QueryError:
    return QueryError("the query needed more memory than its limit of %(size)s and was stopped; narrow it (WHERE, LIMIT)",
                      size=_size(limits.memory_bytes), details=details)


def _too_big(limits: Limits) -> QueryError:
    return QueryError("the query's result is larger than %(size)s; narrow it (WHERE, LIMIT) or select fewer columns",
                      size=_size(limits.max_result_bytes))


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


# -- child ---------------------------------------------------------------------------------------
def _child(work: Callable[[], T], writer: Connection, limits: Limits, describe: Describe,
           simplify: Callable[[T], T] | None) -> None:
    """Body of the forked child: confine, work, answer, and leave at once.

    ``os._exit`` skips atexit handlers, finalizers and stdio flushing inherited from the parent
    (a web server's, a test runner's), none of which belong to this short-lived process.
    """
    status = 0
    try:
        _confine(limits)
        gc.freeze()
        writer.send_bytes(_answer(work, limits, describe, simplify))
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child; the parent sees EOF
        status = 1
    finally:
        os._exit(status)


def _answer(work: Callable[[], T], limits: Limits, describe: Describe,
            simplify: Callable[[T], T] | None) -> bytes:
    try:
        value = work()
        try:
            payload = pickle.dumps(("ok", value), pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            raise
        except Exception:
            if simplify is None:
                raise
            payload = pickle.dumps(("ok", simplify(value)), pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return _MEMORY
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a message for the parent
        error = _describe(describe, exc)
        try:
            payload = pickle.dumps(("error", error))
        except Exception:  # noqa: BLE001 - a value that does not pickle: its English text still does
            payload = pickle.dumps(("error", QueryError("%(message)s", message=error.message, details=error.details)))
    if len(payload) > limits.max_result_bytes:
        payload = pickle.dumps(("error", _too_big(limits)))
    return payload


def _describe(describe: Describe, exc: BaseException) -> QueryError:
    """The error ``describe`` makes of ``exc``, its message at most :data:`MAX_MESSAGE` characters
    (a longer one, or a plain text, can only be shown as its English text)."""
    try:
        error = describe(exc)
    except Exception:  # noqa: BLE001 - a message that cannot be built is still better than none
        error = QueryError("the query failed: %(kind)s", kind=type(exc).__name__)
    if not isinstance(error, QueryError):
        error = QueryError("%(message)s", message=str(error))
    if len(error.message) <= MAX_MESSAGE:
        return error
    return QueryError("%(message)s", message=error.message[:MAX_MESSAGE - 3] + "...", details=error.details)


def _confine(limits: Limits) -> None:
    """Set the child's own limits: memory, CPU as a backstop, no core files, default signals."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    space = _address_space() + max(limits.memory_bytes, 0)
    _lower(resource.RLIMIT_AS, space, space)  # hard as well: nothing in the child may raise it again
    cpu = math.ceil(max(limits.seconds, 0.0)) + 1
    _lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    try:  # the parent's handlers (a web server's) must not run here; Ctrl-C simply ends the child
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
    except ValueError:  # not the main thread: keep the parent's handlers, the limits still hold
        pass


def _lower(which: int, soft: int, hard: int | None = None) -> None:
    """Lower a resource limit to ``soft`` (and ``hard``), never above the hard limit in force."""
    _, current = resource.getrlimit(which)
    if current != resource.RLIM_INFINITY:
        soft = min(soft, current)
        hard = current if hard is None else min(hard, current)
    resource.setrlimit(which, (soft, current if hard is None else hard))


def _address_space() -> int:
    """Bytes of address space the child inherited (Linux); 0 where that cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0
