"""The message catalogue: complete in both languages, and exactly what the code uses.

Ids are found in the source as string literals (`Message("program.key.unknown", ...)`,
`say(lang, "cli.ledger.deleted")`, or an id kept in a table), so every id must be
written out whole somewhere: an id built at run time would be invisible here.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest

from vledger.messages import CATALOGUE, LANGS, Message, PerLang, localize, placeholders, say

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("domain", "sync", "tui", "fixtures", "vledger")
CATALOGUE_DIR = ROOT / "vledger" / "messages"
ID = re.compile(r"[a-z][a-z0-9-]*(\.[a-z0-9-]+)+")
AREAS = {key.split(".", 1)[0] for key in CATALOGUE}


def source_files() -> list[Path]:
    files = [p for folder in SOURCES for p in (ROOT / folder).rglob("*.py")]
    return [p for p in files if CATALOGUE_DIR not in p.parents]


def literal_ids() -> dict[str, list[str]]:
    """Every string literal in the package that looks like a catalogue id, and where."""
    found: dict[str, list[str]] = {}
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ID.fullmatch(node.value)
                and node.value.split(".", 1)[0] in AREAS
            ):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(node.value, []).append(where)
    return found


def test_ids_are_dotted_and_meaningful() -> None:
    bad = [key for key in CATALOGUE if not ID.fullmatch(key)]
    assert not bad


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_message_has_both_languages_with_the_same_placeholders(key: str) -> None:
    zh, en = CATALOGUE[key]
    assert zh.strip() and en.strip(), key
    assert placeholders(zh) == placeholders(en), key
    # Renders in both languages with any value for each placeholder.
    args: dict[str, object] = {name: PerLang(zh="值", en="x") for name in placeholders(en)}
    for lang in LANGS:
        assert say(lang, key, **args)


def test_every_id_the_code_uses_is_in_the_catalogue() -> None:
    missing = {key: where for key, where in literal_ids().items() if key not in CATALOGUE}
    assert not missing


def test_every_id_in_the_catalogue_is_used() -> None:
    used = set(literal_ids())
    used |= {f"{key}.help" for key in used if key.startswith("cmd.")}
    unused = sorted(set(CATALOGUE) - used)
    assert not unused


def test_every_command_has_a_help_line() -> None:
    # A command names the id of its footer title; its help line is that id + ".help"
    # (tui/commands.py), for F1 help and the palette.
    titles = [key for key in literal_ids() if key.startswith("cmd.")]
    assert titles
    assert not [key for key in titles if f"{key}.help" not in CATALOGUE]


def test_the_catalogue_imports_nothing_of_vledger_but_itself() -> None:
    # Every layer imports the catalogue, so it may import none of them back.
    for path in CATALOGUE_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("vledger") or node.module == "vledger.messages"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("vledger") for a in node.names)


# -- rendering ---------------------------------------------------------------------


def test_a_message_renders_in_either_language_and_str_is_english() -> None:
    message = Message("program.key.missing", key="year")
    assert message.text("zh") == "缺少必填的设置项“year”"
    assert message.text("en") == 'missing required key "year"'
    assert str(message) == message.text("en")
    assert message.text("fr") == message.text("en")  # an unknown language still reads


def test_messages_nest_lists_join_and_articles_follow_the_language() -> None:
    what = Message("program.what.typed-column", type="int")
    message = Message("program.key.not-applicable", key="places", what=what,
                      owners=["decimal", "int"])
    assert message.text("en") == '"places" does not apply to an int column (only to decimal or int)'
    assert message.text("zh") == "“places”不适用于类型为 int 的列（只适用于 decimal 或 int 类型）"
    listed = Message("value.form.choice", choices=("宣传", "演练", "检查"))
    assert listed.text("en") == "one of: 宣传, 演练, 检查"
    assert listed.text("zh") == "以下之一：宣传、演练、检查"


def test_plural_spec_picks_the_english_form() -> None:
    assert say("en", "value.why.too-long", extra=1) == "1 character too many"
    assert say("en", "value.why.too-long", extra=3) == "3 characters too many"
    assert say("zh", "value.why.too-long", extra=1) == "多了1个字"


def test_other_values_use_python_formatting() -> None:
    assert say("en", "program.number.negative", key="bonus", value=Decimal("-0.5")) == (
        "bonus must not be negative, not -0.5"
    )


def test_unknown_ids_and_wrong_arguments_fail_loudly() -> None:
    with pytest.raises(KeyError, match="no message"):
        Message("program.no-such-message")
    with pytest.raises(TypeError, match="takes"):
        Message("program.key.missing")
    with pytest.raises(TypeError, match="takes"):
        Message("program.key.missing", key="x", extra="y")


def test_messages_compare_and_hash_by_id_and_arguments() -> None:
    a = Message("program.veto.twice", name="x")
    assert a == Message("program.veto.twice", name="x")
    assert a != Message("program.veto.twice", name="y")
    assert len({a, Message("program.veto.twice", name="x")}) == 1
    listed = Message("value.form.choice", choices=["a", "b"])
    assert listed == Message("value.form.choice", choices=("a", "b"))
    hash(listed)


def test_localize_says_messages_and_passes_text_through() -> None:
    assert localize(Message("program.title.empty"), "zh") == "title 不能为空"
    assert localize("plain", "zh") == "plain"
    assert localize(PerLang(zh="第一阶段", en="Q1"), "en") == "Q1"
