"""bench.tui times start-ups with bytecode as an installed package has it: every folder
the package is made of is compiled first, or a start would pay for compiling the ones
left out (with PYTHONDONTWRITEBYTECODE set, at every start)."""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_start_up_bench_compiles_every_folder_of_the_package() -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.tui import PACKAGE_FOLDERS
    finally:
        sys.path.remove(str(ROOT))
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(PACKAGE_FOLDERS) == set(setuptools["package-dir"].values())
