"""The message catalogue: every sentence vledger says to a person, by id, in zh and en.

One registry, `CATALOGUE`, maps a stable dotted id (`program.key.unknown`,
`value.refused`) to its Chinese and English templates; the tables live per area in
this package's modules and are merged here (an id given twice is an error at import).

Two ways to say something:

- `Message(id, **args)`: a value that renders later, in whichever language the
  reader wants (`message.text("zh")`). `str(message)` is the English text, so code,
  logs and tests that treat problems as strings keep working. Domain code returns
  these, and front ends pick the language when they show them.
- `say(lang, id, **args)`: the text at once, for front ends that know the language.

Templates name their arguments (`{key}`), and both languages use the same names.
An argument renders by what it is:

- a `Message` (or anything with `.text(lang)`, such as a `PerLang`) in the same
  language, so messages nest;
- a list or tuple as its items joined with ", " (en) or "、" (zh); the spec `or`
  joins the last two with " or " / " 或 ", `comma` uses "，" in Chinese, `semi`
  uses "; " / "；";
- the spec `a` puts "a" or "an" before an English word ("an int"); Chinese has none;
- a spec `one|many` picks the English singular or plural by whether the value is 1;
- anything else by Python's own `format(value, spec)`.

Keep this package free of every other vledger module: every layer imports it.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Literal, Protocol, runtime_checkable

from vledger.messages import (
    cli,
    commands,
    explain,
    ledger,
    program,
    publish,
    ranking,
    sync,
    ui,
    values,
)

__all__ = [
    "CATALOGUE",
    "LANGS",
    "Lang",
    "Localized",
    "Message",
    "PerLang",
    "localize",
    "say",
]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

Entry = tuple[str, str]  # (zh, en)


def _merge(*tables: Mapping[str, Entry]) -> dict[str, Entry]:
    merged: dict[str, Entry] = {}
    for table in tables:
        for key, entry in table.items():
            if key in merged:
                raise ValueError(f"message id {key!r} is defined twice")
            merged[key] = entry
    return merged


CATALOGUE: dict[str, Entry] = _merge(
    program.MESSAGES,
    values.MESSAGES,
    ledger.MESSAGES,
    ranking.MESSAGES,
    explain.MESSAGES,
    cli.MESSAGES,
    sync.MESSAGES,
    ui.MESSAGES,
    commands.MESSAGES,
    publish.MESSAGES,
)


@runtime_checkable
class Localized(Protocol):
    """Anything that can say itself in a language."""

    def text(self, lang: str) -> str: ...


def _pick(lang: str) -> int:
    # Anything that is not "zh" reads English: an unknown language must still read.
    return 0 if lang == "zh" else 1


@cache
def placeholders(template: str) -> frozenset[str]:
    """The argument names a template uses (`{month.year}` uses `month`)."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split(".", 1)[0].split("[", 1)[0])
    return frozenset(names)


class Message:
    """One thing to say: a catalogue id and its arguments, rendered in either language."""

    __slots__ = ("args", "id")

    def __init__(self, id: str, /, **args: object) -> None:
        try:
            zh, en = CATALOGUE[id]
        except KeyError:
            raise KeyError(f"no message {id!r} in the catalogue") from None
        expected = placeholders(zh) | placeholders(en)
        if set(args) != expected:
            raise TypeError(
                f"message {id!r} takes {sorted(expected)}, was given {sorted(args)}"
            )
        self.id = id
        # Lists become tuples so a message can be compared, hashed and kept in a set.
        self.args: tuple[tuple[str, object], ...] = tuple(
            sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in args.items())
        )

    def text(self, lang: str) -> str:
        template = CATALOGUE[self.id][_pick(lang)]
        return _FORMATTERS[_pick(lang)].vformat(template, (), dict(self.args))

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.args)
        return f"Message({self.id!r}{args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (self.id, self.args) == (other.id, other.args)

    def __hash__(self) -> int:
        return hash((self.id, self.args))


class PerLang:
    """A value that is written differently per language but is data, not a sentence.

    For names that come from a file: a period is "第一阶段" to a Chinese reader and
    "Q1" (its id) to an English one.
    """

    __slots__ = ("en", "zh")

    def __init__(self, *, zh: str, en: str) -> None:
        self.zh = zh
        self.en = en

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def __str__(self) -> str:
        return self.en

    def __repr__(self) -> str:
        return f"PerLang(zh={self.zh!r}, en={self.en!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PerLang):
            return NotImplemented
        return (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))


def localize(value: object, lang: str) -> str:
    """`value` in `lang` when it can say itself (a Message), else its plain text."""
    if isinstance(value, Localized):
        return value.text(lang)
    return str(value)


def say(lang: str, id: str, /, **args: object) -> str:
    """The catalogue's text for `id` in `lang`, with `args` filled in."""
    return Message(id, **args).text(lang)


_JOIN = {"": (("、", "、"), (", ", ", ")), "comma": (("，", "，"), (", ", ", ")),
         "semi": (("；", "；"), ("; ", "; ")), "or": (("、", " 或 "), (", ", " or "))}  # fmt: skip


class _Formatter(string.Formatter):
    """Formats a template's arguments for one language (see the module's rules)."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" in format_spec:
            one, many = format_spec.split("|", 1)
            return one if value == 1 else many
        if isinstance(value, Localized):
            value = value.text(self.lang)
        if isinstance(value, Sequence) and not isinstance(value, str):
            return self._join(value, format_spec)
        if format_spec in _JOIN:  # a listing of one
            return str(value)
        if format_spec == "a":
            return self._article(str(value))
        return format(value, format_spec)

    def _join(self, values: Sequence[object], spec: str) -> str:
        (sep_zh, last_zh), (sep_en, last_en) = _JOIN[spec]
        sep, last = (sep_zh, last_zh) if self.lang == "zh" else (sep_en, last_en)
        items = [localize(v, self.lang) for v in values]
        if len(items) < 2:
            return "".join(items)
        return sep.join(items[:-1]) + last + items[-1]

    def _article(self, word: str) -> str:
        if self.lang == "zh":
            return word
        return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


_FORMATTERS = (_Formatter("zh"), _Formatter("en"))

