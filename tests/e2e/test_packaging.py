"""What `pip install .` puts into site-packages: one package, `vledger`, and it runs.

The wheel is built from this checkout (no network: setuptools and wheel are in the
test extras) and unpacked into a folder that stands in for site-packages; the
checks then run from outside the repository, so nothing can come from its folders.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from vledger import __version__

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(REPO)],
        check=True, capture_output=True, cwd=out,
    )
    (found,) = out.glob("vledger-*.whl")
    return found


def test_the_wheel_holds_only_the_vledger_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"vledger", f"vledger-{__version__}.dist-info"}
    shipped = {n for n in names if n.endswith(".py")}
    for folder in ("domain", "sync", "tui", "fixtures"):
        for source in (REPO / folder).rglob("*.py"):
            assert f"vledger/{source.relative_to(REPO).as_posix()}" in shipped
    assert "vledger/tui/app.tcss" in names
    assert "vledger/fixtures/programs/safety-2026.toml" in names


def test_the_installed_package_runs_on_its_own(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    environment = {**os.environ, "PYTHONPATH": str(site)}
    environment.pop("VLEDGER_HOME", None)

    def python(*args: str) -> str:
        done = subprocess.run([sys.executable, *args], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, check=True)
        return done.stdout.strip()

    assert python("-m", "vledger", "--version") == f"vledger {__version__}"
    where = python("-c", "import vledger.domain.program as m; print(m.__file__)")
    assert Path(where).is_relative_to(site)
    # the sample programs are package data, read the same way when installed
    count = python("-c", "from vledger.fixtures.township import load_programs; "
                         "print(len(load_programs()))")
    assert count == str(len(list((REPO / "fixtures" / "programs").glob("*.toml"))))
