"""Where each key of a TOML text is written: key paths to line numbers.

`tomllib` parses a program file but forgets where things were, and a clerk who
gets "points must not be negative" needs to know *which* line to fix. This
scanner walks the same text again and remembers the line of every key, table
header, array-of-tables entry and array element, by its path:

    ("items", 1, "points")            the `points` key of the 2nd [[items]]
    ("indicators", 0, "where", "kind")  a key inside an inline table
    ("columns", 1, "choices", 2)      the 3rd element of an array
    ("ranking", "rewards", 0)         the header line of the 1st [[ranking.rewards]]

It is meant to run on text that `tomllib` has already accepted, so it does not
re-check the grammar; on text it cannot follow it stops and keeps what it found
instead of raising, because a missing line number must never hide a problem.
"""

from __future__ import annotations

import bisect
import tomllib
from dataclasses import dataclass, field

PathPart = str | int
KeyPath = tuple[PathPart, ...]

_BARE_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(",]}\n#")


@dataclass(frozen=True)
class TomlLines:
    """The line (1-based) of each key path found in one TOML text."""

    lines: dict[KeyPath, int] = field(default_factory=dict)
    # Keys given a value twice, as (dotted key, line of the second), in file order:
    # tomllib refuses them but says only "at end of document".
    repeated: list[tuple[str, int]] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int:
        """The line of `path`, or of its nearest written ancestor; 1 when none is written.

        A key that is missing from a table is reported at the table's header,
        which is where the clerk has to add it.
        """
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def locate(text: str) -> TomlLines:
    """Map every key path written in `text` to the line it starts on."""
    scanner = _Scanner(text)
    try:
        scanner.document()
    except (IndexError, ValueError, tomllib.TOMLDecodeError):
        pass  # text tomllib would refuse anyway; keep the lines found so far
    return TomlLines(scanner.found, scanner.repeated)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.found: dict[KeyPath, int] = {}
        self.repeated: list[tuple[str, int]] = []
        self._assigned: set[KeyPath] = set()
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        # How many entries each array of tables has so far, by its concrete path.
        self._array_counts: dict[KeyPath, int] = {}

    # -- positions -------------------------------------------------------

    def line(self) -> int:
        return bisect.bisect_right(self._line_starts, self.pos)

    def peek(self, ahead: int = 0) -> str:
        index = self.pos + ahead
        return self.text[index] if index < len(self.text) else ""

    def startswith(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def remember(self, path: KeyPath, line: int) -> None:
        self.found.setdefault(path, line)

    # -- layout ----------------------------------------------------------

    def skip_blanks(self, newlines: bool) -> None:
        """Skip spaces and comments, and line ends too when `newlines`."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.pos += 1
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return

    def expect(self, token: str) -> None:
        if not self.startswith(token):
            raise ValueError(f"expected {token!r} at offset {self.pos}")
        self.pos += len(token)

    # -- document --------------------------------------------------------

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip_blanks(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.startswith("[["):
                table = self.header(array=True)
            elif self.peek() == "[":
                table = self.header(array=False)
            else:
                self.key_value(table)

    def header(self, array: bool) -> KeyPath:
        line = self.line()
        self.pos += 2 if array else 1
        self.skip_blanks(newlines=False)
        keys = self.dotted_key()
        self.expect("]]" if array else "]")
        path: KeyPath = ()
        for depth, key in enumerate(keys):
            path = (*path, key)
            self.remember(path, line)
            is_last = depth == len(keys) - 1
            if array and is_last:
                index = self._array_counts.get(path, 0)
                self._array_counts[path] = index + 1
                path = (*path, index)
                self.remember(path, line)
            elif path in self._array_counts:
                # [a.b] after [[a]] means b inside the latest [[a]] entry.
                path = (*path, self._array_counts[path] - 1)
        return path

    def key_value(self, table: KeyPath) -> None:
        line = self.line()
        keys = self.dotted_key()
        path = table
        for key in keys:
            path = (*path, key)
            self.remember(path, line)
        if path in self._assigned:
            self.repeated.append((".".join(str(p) for p in path), line))
        self._assigned.add(path)
        self.expect("=")
        self.skip_blanks(newlines=False)
        self.value(path)

    def dotted_key(self) -> list[str]:
        keys = [self.simple_key()]
        self.skip_blanks(newlines=False)
        while self.peek() == ".":
            self.pos += 1
            self.skip_blanks(newlines=False)
            keys.append(self.simple_key())
            self.skip_blanks(newlines=False)
        return keys

    def simple_key(self) -> str:
        ch = self.peek()
        if ch in "\"'":
            start = self.pos
            self.single_line_string(ch)
            # Let tomllib undo the escapes, so the key matches the parsed one exactly.
            return str(tomllib.loads("k = " + self.text[start : self.pos])["k"])
        start = self.pos
        while self.peek() and self.peek() in _BARE_KEY_CHARS:
            self.pos += 1
        if self.pos == start:
            raise ValueError(f"no key at offset {start}")
        return self.text[start : self.pos]

    # -- values ----------------------------------------------------------

    def value(self, path: KeyPath) -> None:
        if self.startswith('"""') or self.startswith("'''"):
            self.multi_line_string(self.text[self.pos : self.pos + 3])
        elif self.peek() in "\"'":
            self.single_line_string(self.peek())
        elif self.peek() == "[":
            self.array(path)
        elif self.peek() == "{":
            self.inline_table(path)
        else:
            start = self.pos
            while self.peek() and self.peek() not in _SCALAR_END:
                self.pos += 1
            if self.pos == start:
                raise ValueError(f"no value at offset {start}")

    def single_line_string(self, quote: str) -> None:
        self.pos += 1
        while True:
            ch = self.peek()
            if ch in ("", "\n"):
                raise ValueError("unterminated string")
            self.pos += 1
            if ch == "\\" and quote == '"':
                self.pos += 1
            elif ch == quote:
                return

    def multi_line_string(self, delimiter: str) -> None:
        self.pos += 3
        while True:
            if self.pos >= len(self.text):
                raise ValueError("unterminated multi-line string")
            if self.peek() == "\\" and delimiter == '"""':
                self.pos += 2
            elif self.startswith(delimiter):
                self.pos += 3
                # Up to two quotes right before the closing delimiter belong to the string.
                extra = 0
                while extra < 2 and self.peek() == delimiter[0]:
                    self.pos += 1
                    extra += 1
                return
            else:
                self.pos += 1

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blanks(newlines=True)
            if self.peek() == "]":
                self.pos += 1
                return
            self.remember((*path, index), self.line())
            self.value((*path, index))
            index += 1
            self.skip_blanks(newlines=True)
            if self.peek() == ",":
                self.pos += 1

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while True:
            # TOML 1.0 keeps an inline table on one line; skipping line ends too
            # costs nothing and follows TOML 1.1 should tomllib ever accept it.
            self.skip_blanks(newlines=True)
            if self.peek() == "}":
                self.pos += 1
                return
            self.key_value(path)
            self.skip_blanks(newlines=True)
            if self.peek() == ",":
                self.pos += 1
