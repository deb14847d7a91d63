"""What every console script shares: run a command, turn failures into one line on stderr and an exit
code, and write results to stdout as Unix tools do.

Exit codes: 0 success (also when the reader of stdout went away, as with ``| head``), 1 a model,
runtime or save failure, 2 bad input, 3 every candidate rejected, 70 an internal error (a bug: the
message says how to report it), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from opening.base.errors import BadInput, OpeningError, describe_os_error
from opening.base.messages import Message

log = logging.getLogger("opening")


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose errors are one line and exit code 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:  # "opening: error: …", also from a subcommand's parser
        command = self.prog.split(" ", 1)
        where = f"{command[1]}: " if len(command) > 1 else ""
        self.exit(2, f"{command[0]}: error: {where}{message}\n")


class _ReaderGone(Exception):
    """stdout's reader closed the pipe: stop quietly."""


def check_argv(argv: Sequence[str]) -> None:
    """Refuse arguments that were not valid UTF-8 (Python keeps their bytes as lone surrogates)."""
    for n, arg in enumerate(argv, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            raise BadInput("cli.arg_not_utf8", n=n) from None


def write_stdout(text: str) -> None:
    """Write a result; a closed pipe ends the command quietly, a closed or full stdout is an error."""
    out = sys.stdout
    if out is None:
        raise OpeningError("cli.stdout_closed")
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        raise _ReaderGone from None
    except (OSError, ValueError) as exc:  # ValueError: the stream was closed
        reason = describe_os_error(exc) if isinstance(exc, OSError) else Message("os.closed")
        raise OpeningError("cli.stdout_failed", reason=reason) from None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


def run_command(prog: str, action: Callable[[], int]) -> int:
    """Run ``action`` with the exit-code convention above; errors are one line on stderr."""

    def say(message: str) -> None:
        if sys.stderr is not None:
            try:
                print(f"{prog}: {message}", file=sys.stderr)
            except (OSError, ValueError):
                pass

    try:
        return action()
    except (_ReaderGone, BrokenPipeError):
        _silence_stdout()  # so that the interpreter's final flush does not complain
        return 0
    except BadInput as exc:
        say(f"error: {exc}")
        return 2
    except OpeningError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    except RecursionError:
        say("error: the input is nested too deeply to read")
        return 2
    except MemoryError:
        say("error: out of memory")
        return 1
    except Exception as exc:  # a bug: one line, the traceback with -v
        log.info("internal error", exc_info=True)  # shown with -v
        say(f"internal error ({type(exc).__name__}: {exc}); run with -v for details and report it")
        return 70
