"""The one root of everything vledger refuses or cannot do.

A `VledgerError` is said to the person at the keyboard: one line per problem, and
the exit code the command line ends with. The CLI prints the lines and exits with
the code; the UI shows them. Any other exception is a bug: it fails loudly (a
traceback in the CLI, a crash report in tests), never a friendly message.

A problem is anything whose `str()` is its line: usually text, but a program file's
problems keep their file and line (`domain.program_file.Problem`) for callers that
point at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


class VledgerError(Exception):
    """What vledger will not or cannot do, one line per problem; nothing was written."""

    exit_code: ClassVar[int] = EXIT_REFUSED
    problems: Sequence[object]

    def __init__(self, *problems: object) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = list(problems)

    @property
    def message(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class Unreachable(VledgerError):
    """A peer could not be reached in time, after every retry."""

    exit_code: ClassVar[int] = EXIT_UNREACHABLE
