"""The app's screens (tui/app.py SCREENS) and the command line's groups (tui/cli/main.py
COMMAND_MODULES) are named by module strings and imported only when needed, so the home
screen and `vledger rank ...` start without loading everything. A wrong name would only
show when a clerk opens that screen or types that command; these tests import every one
now, and check that the home screen really comes up without the others."""

from __future__ import annotations

import argparse
import importlib
import inspect
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from textual.screen import Screen

from vledger.tui.app import SCREENS, ScreenSpec
from vledger.tui.cli.main import COMMAND_MODULES, UI_MODULE, build_parser, needed_modules


@pytest.mark.parametrize("spec", SCREENS.values(), ids=list(SCREENS))
def test_every_registered_screen_exists_and_takes_the_office_and_a_language(
    spec: ScreenSpec,
) -> None:
    cls = getattr(importlib.import_module(spec.module), spec.cls)
    assert inspect.isclass(cls) and issubclass(cls, Screen)
    params = list(inspect.signature(cls).parameters)
    assert params[0] == "office" and "lang" in params  # built as Cls(office, lang=..., ...)


def test_every_screen_has_its_own_name_and_palette_command() -> None:
    assert all(name == spec.name for name, spec in SCREENS.items())
    commands = [spec.command().name for spec in SCREENS.values()]
    assert len(set(commands)) == len(commands)


@pytest.mark.parametrize("name", COMMAND_MODULES)
def test_every_command_module_exists_and_registers_commands(name: str) -> None:
    register = getattr(importlib.import_module(name), "register", None)
    assert callable(register)
    sub = argparse.ArgumentParser(prog="vledger").add_subparsers()
    register(sub)
    assert sub.choices, f"{name}.register added no command"


def test_no_two_command_modules_register_the_same_command() -> None:
    seen: dict[str, str] = {}
    for name in COMMAND_MODULES:
        sub = argparse.ArgumentParser(prog="vledger").add_subparsers()
        importlib.import_module(name).register(sub)
        for command in sub.choices:
            assert command not in seen, f"{command}: {seen.get(command)} and {name}"
            seen[command] = name


# What opens the UI, and what only looks as if it might (an option's value named "ui").
UI_WORDS = ([], ["ui"], ["--home", "h", "ui"], ["--home=h", "--lang", "zh"],
            ["--lang=en", "ui", "--serve"], ["ui", "--serve", "0.0.0.0:7421", "--lang", "en"],
            ["--home", "ui"], ["--home", "h", "ui", "--home", "g"], ["--home"])
OTHER_WORDS = (["rank", "ui"], ["--home", "ui", "rank", "p"], ["-h"], ["--version"],
               ["--ho", "h", "ui"], ["--", "ui"], ["--lang", "zh", "status"], ["uix"])


@pytest.mark.parametrize("words", UI_WORDS, ids=" ".join)
def test_opening_the_ui_parses_with_the_ui_group_alone_and_reads_alike(
    words: list[str], capsys: pytest.CaptureFixture[str],
) -> None:
    """Every start of the UI builds only the UI's commands; the arguments read the same as
    with the whole command line, mistakes included."""
    assert needed_modules(words) == (UI_MODULE,)
    outcomes = []
    for parser in (build_parser(), build_parser(needed_modules(words))):
        try:
            outcomes.append(vars(parser.parse_args(words)))
        except SystemExit as stop:
            outcomes.append({"exit": stop.code, "said": capsys.readouterr().err})
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("words", OTHER_WORDS, ids=" ".join)
def test_every_other_command_line_gets_every_group(words: list[str]) -> None:
    assert needed_modules(words) == COMMAND_MODULES


HOME_ONLY = """
import asyncio, sys
from datetime import date
from pathlib import Path

from vledger.tui.app import VLedgerApp


async def main() -> None:
    app = VLedgerApp(Path(sys.argv[1]), "en", today=date.fromisoformat(sys.argv[2]))
    app.open_early()  # as run_app does
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        for _ in range(1200):  # its counts too: they are part of what the home shows
            if getattr(app.screen, "counts", None) is not None:
                break
            await pilot.pause(0.05)
        print(type(app.screen).__name__, app.screen.counts is not None)
        print(" ".join(sorted(sys.modules)))
        await pilot.press("ctrl+q")


asyncio.run(main())
"""


def modules_of_the_home(home: Path, today: date) -> list[str]:
    """The modules loaded once the home screen is up with its counts, in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", HOME_ONLY, str(home), today.isoformat()],
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout.split("\n")
    assert out[0] == "HomeScreen True"
    return out[1].split()


def test_the_home_screen_comes_up_without_importing_the_other_screens(
    demo_home: Path, fixed_today: date,
) -> None:
    loaded = {m for m in modules_of_the_home(demo_home, fixed_today)
              if m.startswith("vledger.tui.")}
    others = {spec.module for spec in SCREENS.values() if spec.name != "home"}
    assert not loaded & others
    assert not {m for m in loaded if m.startswith("vledger.tui.grid.")}


# What the home screen (its counts included) has no use for: each costs start-up time,
# and a top-level import of one of them in a module the home uses would bring it back.
NOT_FOR_THE_HOME = (
    "cryptography", "openpyxl",  # the trust room, spreadsheets
    "vledger.sync.trust", "vledger.sync.link.session", "vledger.sync.link.transport",
    "vledger.sync.services.ledgers", "vledger.sync.services.sheets",
    "vledger.sync.services.ranking", "vledger.sync.services.publications",
    "vledger.sync.services.devices", "vledger.sync.services.tabular",
    "vledger.domain.ranking", "vledger.domain.explain", "vledger.domain.publication",
    "vledger.sync.documents.ledger",
    # the program files' parser: programs parsed at an earlier start are kept in the store
    "vledger.domain.program_file", "tomllib",
    "vledger.domain.values",  # the cell parser (what clerks type into a ledger)
    "json",
)


def test_the_home_screen_and_its_counts_come_up_without_the_rooms_they_do_not_use(
    demo_home: Path, fixed_today: date,
) -> None:
    loaded = modules_of_the_home(demo_home, fixed_today)
    found = sorted({m for m in loaded for name in NOT_FOR_THE_HOME
                    if m == name or m.startswith(name + ".")})
    assert not found, f"the home screen imports {found}"


def test_the_dataclasses_the_home_loads_say_what_they_are(
    demo_home: Path, fixed_today: date,
) -> None:
    """A dataclass without a docstring gets one made from its signature (inspect), at
    every start: the classes the home screen loads say themselves what they are."""
    import dataclasses
    import importlib

    unsaid = []
    for name in modules_of_the_home(demo_home, fixed_today):
        if not name.startswith("vledger."):
            continue
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (isinstance(value, type) and dataclasses.is_dataclass(value)
                    and value.__module__ == name
                    and (value.__doc__ or "").startswith(f"{value.__name__}(")):
                unsaid.append(f"{name}.{value.__name__}")
    assert not unsaid, f"dataclasses without a docstring: {unsaid}"
