"""The layer rules of design.md: domain/ and sync/ never pull in the UI, domain/ stays pure."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def modules(package: str) -> list[str]:
    return [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(ROOT / package)])] + [package]


FORBIDDEN = {
    "domain": ("textual", "rich", "automerge", "sqlite3", "socket", "asyncio", "msgpack"),
    "sync": ("textual", "rich"),
}


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [(m, FORBIDDEN[p]) for p in FORBIDDEN for m in modules(p)],
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
