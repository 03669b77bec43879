"""Only tui/textual_compat.py may touch Textual's private API.

A Textual upgrade can rename or drop any private name without notice; kept in one module,
the damage is one module to fix. This scans every other module of the UI (its source, with
the classes it defines resolved at run time) for:

- an import of a private Textual module or name (`textual._x`, `from textual.x import _y`);
- in a class built on Textual, a private name of one of its Textual bases defined in the
  class body (`_inherit_bindings = False`, an `_on_key` override) or used through `self`
  or `super()` (`self._bindings = ...`);
- anywhere else, `something._name` or `getattr(something, "_name")` where `_name` is a
  private name of a Textual class and not one vledger's own classes define.

The private names are read from the installed Textual (class attributes and every
`self._x = ...` in their source), so the scan follows Textual when it is upgraded.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widget import Widget

import vledger.tui

TUI = Path(vledger.tui.__file__).parent
ALLOWED = TUI / "textual_compat.py"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_textual(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "textual"


@cache
def _set_on_self(cls: type) -> frozenset[str]:
    """Private attributes the source of Textual class `cls` assigns on `self`."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):
        return frozenset()
    return frozenset(
        node.attr for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name) and node.value.id == "self" and _private(node.attr)
    )


@cache
def textual_privates(cls: type) -> frozenset[str]:
    """Private names that the Textual classes among `cls`'s bases define or set on self."""
    names: set[str] = set()
    for base in cls.__mro__:
        if _is_textual(base):
            names |= {name for name in vars(base) if _private(name)}
            names |= _set_on_self(base)
    return frozenset(names)


@dataclass(frozen=True)
class Use:
    where: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.what}"


def _is_self(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "self") or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id == "super")


def _classes(tree: ast.AST, namespace: Mapping[str, Any]) -> Iterator[tuple[ast.ClassDef, type]]:
    """Every class statement of a module with the class it made (nested ones too)."""

    def walk(body: list[ast.stmt], scope: Mapping[str, Any]) -> Iterator[tuple[ast.ClassDef, type]]:
        for statement in body:
            if isinstance(statement, ast.ClassDef) and isinstance(scope.get(statement.name), type):
                cls = scope[statement.name]
                yield statement, cls
                yield from walk(statement.body, vars(cls))

    yield from walk(getattr(tree, "body", []), namespace)


def scan(source: str, where: str, namespace: Mapping[str, Any],
         own: frozenset[str] = frozenset()) -> tuple[list[Use], set[str]]:
    """Uses of Textual privates in `source` (whose run-time names are `namespace`), and the
    private names its own classes define that are not Textual's."""
    tree = ast.parse(source)
    uses: list[Use] = []
    defined: set[str] = set()
    checked: set[int] = set()  # attribute nodes already judged as self's

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "textual" and any(_private(p) for p in parts):
                    uses.append(Use(where, node.lineno, f"imports {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "textual":
            parts = (node.module or "").split(".")
            names = [a.name for a in node.names]
            if any(_private(p) for p in parts) or any(_private(n) for n in names):
                uses.append(Use(where, node.lineno, f"imports from {node.module}: {names}"))

    for statement, cls in _classes(tree, namespace):
        textual = any(_is_textual(b) for b in cls.__mro__)
        privates = textual_privates(cls) if textual else frozenset()
        for item in statement.body:
            names = []
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [item.name]
            elif isinstance(item, ast.Assign):
                names = [t.id for t in item.targets if isinstance(t, ast.Name)]
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                names = [item.target.id]
            for name in names:
                if name in privates:
                    uses.append(Use(where, item.lineno, f"{statement.name} defines Textual's "
                                                        f"private {name}"))
                elif _private(name):
                    defined.add(name)
        for node in ast.walk(statement):
            if isinstance(node, ast.Attribute) and _is_self(node.value) and _private(node.attr):
                checked.add(id(node))
                if node.attr in privates:
                    uses.append(Use(where, node.lineno, f"{statement.name} uses Textual's "
                                                        f"private {node.attr}"))
                elif isinstance(node.ctx, ast.Store):
                    defined.add(node.attr)

    everything = own | defined
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Attribute) and id(node) not in checked:
            name = node.attr
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
              and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str)):
            name = node.args[1].value
        if name is not None and name in ALL_PRIVATES and name not in everything:
            uses.append(Use(where, node.lineno, f"uses Textual's private {name}"))
    return sorted(uses, key=lambda use: use.line), defined


def tui_modules() -> Iterator[tuple[Path, str]]:
    for path in sorted(TUI.rglob("*.py")):
        if path != ALLOWED:
            parts = path.relative_to(TUI).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            yield path, ".".join(("vledger", "tui", *parts))


def _all_privates() -> frozenset[str]:
    """Private names of the Textual classes the UI builds on (and of the nodes it reaches:
    any widget, screen or the app)."""
    names = set(textual_privates(App) | textual_privates(Screen) | textual_privates(Widget))
    for _path, name in tui_modules():
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, type) and any(_is_textual(b) for b in value.__mro__):
                names |= textual_privates(value)
    return frozenset(names)


ALL_PRIVATES = _all_privates()


def test_no_module_but_textual_compat_uses_textual_privates() -> None:
    sources = [(path, vars(importlib.import_module(name))) for path, name in tui_modules()]
    own: set[str] = set()
    for path, namespace in sources:  # first: the private names vledger's classes define
        own |= scan(path.read_text(), str(path), namespace)[1]
    uses = [use for path, namespace in sources
            for use in scan(path.read_text(), str(path.relative_to(TUI.parent)), namespace,
                            frozenset(own))[0]]
    assert not uses, ("Textual's private API is used outside tui/textual_compat.py; go "
                      "through that module (or Textual's public API):\n"
                      + "\n".join(map(str, uses)))


SAMPLE = '''
from textual.binding import BindingsMap
from textual.widgets import Input
from textual._context import active_app


class Editor(Input, inherit_bindings=False):
    _inherit_bindings = False

    def __init__(self) -> None:
        super().__init__()
        self._bindings = BindingsMap([])
        self._mine = 1

    async def _on_key(self, event: object) -> None:
        await super()._on_key(event)


def keys(node: object) -> object:
    return node._bindings, getattr(node, "_bindings"), node._mine
'''


def test_the_scan_finds_each_kind_of_use() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(SAMPLE, "sample", "exec"), namespace)
    uses, defined = scan(SAMPLE, "sample", namespace)
    assert defined == {"_mine"}
    assert sorted(use.line for use in uses) == [4, 8, 12, 15, 16, 20, 20]
