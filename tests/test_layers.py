"""The layer rules of design.md at run time: domain/ and sync/ never pull in the UI, and
domain/ stays pure. (The static rules, room by room, are import-linter's contracts in
pyproject.toml; this test catches what only shows when a module is really imported.)"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules(folder: str) -> list[str]:
    """Every module under a top-level folder, by its installed name (vledger.<folder>...)."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append(".".join(["vledger", *parts]))
    return found


FORBIDDEN = {
    "domain": ("textual", "rich", "automerge", "sqlite3", "socket", "asyncio", "msgpack",
               "cryptography"),
    "sync": ("textual", "rich"),
}
# Headless parts of tui/: the CLI's commands other than the UI and the demo load no
# Textual, so a script's `vledger rank ...` starts fast.
# The grid's model, undo stack, row view and table rows are tested without a terminal.
HEADLESS_TUI = ("vledger.tui.i18n", "vledger.tui.grid.model", "vledger.tui.grid.undo",
                "vledger.tui.grid.row_view", "vledger.tui.grid.table_model",
                "vledger.tui.cli.main", "vledger.tui.cli.ledger", "vledger.tui.cli.rank",
                "vledger.tui.cli.history")


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [(m, FORBIDDEN[p]) for p in FORBIDDEN for m in modules(p)]
    + [(m, ("textual", "rich")) for m in HEADLESS_TUI],
)
def test_module_keeps_its_layer(module: str, forbidden: tuple[str, ...]) -> None:
    code = (
        "import sys, importlib; importlib.import_module(sys.argv[1]); "
        "print(' '.join(sorted({n.split('.')[0] for n in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, module], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout.split()
    leaked = [name for name in forbidden if name in out]
    assert not leaked, f"{module} imports {leaked}"


def test_every_folder_is_packaged() -> None:
    """pyproject.toml lists each package folder: a new folder left out would be missing
    from an installed copy while every test here still passes."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {"vledger"}
    for init in (ROOT / "vledger").rglob("__init__.py"):
        found.add(".".join(init.parent.relative_to(ROOT).parts))
    for folder in ("domain", "sync", "tui", "fixtures"):
        for init in (ROOT / folder).rglob("__init__.py"):
            found.add(".".join(["vledger", *init.parent.relative_to(ROOT).parts]))
    assert found == listed


def test_no_module_imports_itself_through_others() -> None:
    """No import cycle among the package's modules: every import counts, at the top, in a
    function or under TYPE_CHECKING (a cycle is a design knot, whichever way it hides)."""
    import ast

    names: dict[str, Path] = {}
    for folder in ("domain", "sync", "tui", "fixtures", "vledger"):
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[0] != "vledger":
                parts.insert(0, "vledger")
            if parts[-1] == "__init__":
                parts.pop()
            names[".".join(parts)] = path
    graph: dict[str, set[str]] = {name: set() for name in names}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            for target in targets:
                while target and target not in names:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    cycles = _cycles(graph)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
