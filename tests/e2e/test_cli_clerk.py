"""The command line as a Chinese clerk meets it: a GBK console, the Windows locale and
home, values holding terminal escapes, warnings while typing, the remembered language,
and a computer whose clock is wrong."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, vledger_command
from tests.e2e.test_cli_ledger import P, make_township
from vledger.messages import Message
from vledger.sync.services.office import Office
from vledger.tui.cli import main as cli

ESCAPES = "red\x1b[31m\x1b[2J\u202eevil\x00"
SHOWN = "red\\x1b[31m\\x1b[2J\\u202eevil\\x00"


@pytest.fixture(scope="module")
def township(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example township, v01's ledger holding what a GBK console cannot show (𠀀, a
    line break shown as ↵) and a cell written before control characters were refused."""
    home = tmp_path_factory.mktemp("clerk") / "town"
    make_township(home)
    with Office.open(home) as office:
        ledger = office.ledgers.session(P, "v01", writing=True)
        ledger.add_rows([{"date": "2026-03-05", "kind": "例会", "note": "𠀀 第一行\n第二行"}])
        ledger.import_rows([{"date": "2026-03-06", "kind": "例会", "note": ESCAPES}])
    return home


def run_bytes(home: Path, *args: str, encoding: str) -> tuple[int, bytes, bytes]:
    """`vledger` with stdout and stderr encoded as `encoding` (PYTHONIOENCODING), as a
    Chinese Windows console (code page 936) or a redirect there is."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": encoding}
    environment.pop("VLEDGER_HOME", None)
    done = subprocess.run(
        [*vledger_command(), "--home", str(home), "--lang", "zh", *args],
        cwd=REPO, capture_output=True, env=environment, timeout=60, check=False,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("command", [("ledger", "list", P, "--village", "v01"), ("history",)])
def test_a_gbk_console_gets_what_it_can_hold_and_never_a_crash(
    township: Path, command: tuple[str, ...]
) -> None:
    code, out, err = run_bytes(township, *command, encoding="cp936")
    assert code == 0, err.decode("cp936", "replace")
    assert b"Traceback" not in err
    text = out.decode("cp936")
    assert "第一行?第二行" in text  # ↵ is not in GBK: a replacement, not a crash
    assert "? 第一行" in text  # nor is 𠀀
    assert "例会" in text


@pytest.mark.parametrize(
    "command", [("ledger", "list", P, "--village", "v01"), ("history", "--village", "v01")]
)
def test_listings_neutralise_terminal_escapes_in_stored_values(
    township: Path, command: tuple[str, ...]
) -> None:
    code, out, err = run_bytes(township, *command, encoding="utf-8")
    assert code == 0, err
    text = out.decode("utf-8")
    assert SHOWN in text
    assert not any(c in text for c in "\x1b\x00\u202e")


def test_a_control_character_typed_into_a_cell_is_refused(township: Path) -> None:
    code, out, err = run_bytes(township, "--lang", "en", "ledger", "add", P, "--village", "v02",
                               "date=2026-03-05", "kind=例会", "note=a\x1b[2Jb", encoding="utf-8")
    assert code == 1 and out == b""
    line = err.decode("utf-8").strip()
    assert line.startswith("备注 (note): holds control characters U+001B")
    assert "\x1b" not in line and 'got "a\\x1b[2Jb"' in line


def test_the_xlsx_export_writes_a_stored_nul(township: Path, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "v01.xlsx"
    code, _, err = run_bytes(township, "ledger", "export", P, "--village", "v01", "--out",
                             str(out), encoding="utf-8")
    assert code == 0, err.decode()
    cells = [c for row in openpyxl.load_workbook(out).active.iter_rows(values_only=True)
             for c in row]
    # What XML cannot hold is escaped; the rest (a bidi mark) is Excel's to show.
    assert "red\\x1b[31m\\x1b[2J\u202eevil\\x00" in cells


def test_typing_a_date_outside_the_year_warns_and_keeps_it(township: Path) -> None:
    code, out, err = run_bytes(township, "--lang", "en", "ledger", "add", P, "--village", "v02",
                               "date=2027-01-05", "kind=yjyl", encoding="utf-8")
    assert code == 0, err
    assert err.decode().strip() == ("warning: 日期 2027-01-05 is outside the program's year "
                                    "2026: the row counts in no period")
    row = out.decode().strip()
    code, out, err = run_bytes(township, "ledger", "set", P, row, "--village", "v02",
                               "date=3月10日", "kind=2", encoding="utf-8")
    assert code == 0 and err == b""
    listed = json.loads(run_bytes(township, "ledger", "list", P, "--village", "v02", "--json",
                                  encoding="utf-8")[1])
    [cells] = [r["cells"] for r in listed["rows"] if r["id"] == row]
    assert cells["date"] == "2026-03-10" and cells["kind"] == "应急演练"


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        ("Chinese (Simplified)_China", "zh"),  # what Python reads on a Chinese Windows
        ("Chinese (Simplified)_China.936", "zh"),
        ("Chinese_China.936", "zh"),
        ("Chinese (Traditional)_Taiwan.950", "zh"),
        ("zh_CN", "zh"),
        ("zh_CN.UTF-8", "zh"),
        ("zh-CN", "zh"),
        ("English_United States.1252", "en"),
        ("en_US.UTF-8", "en"),
        ("C", "en"),
        ("", None),
    ],
)
def test_the_language_follows_the_locale_name_of_any_platform(name: str, lang: str | None) -> None:
    assert cli.lang_of_locale(name) == lang


def test_a_windows_locale_with_no_environment_starts_in_chinese(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(cli.locale, "getlocale", lambda: ("Chinese (Simplified)_China", "936"))
    assert cli.default_lang() == "zh"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert cli.default_lang() == "en"


def test_the_windows_home_is_one_vledger_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    import platformdirs

    monkeypatch.delenv("VLEDGER_HOME", raising=False)
    asked: list[tuple[Any, ...]] = []

    def user_data_dir(*args: Any, **kwargs: Any) -> str:
        asked.append((args, kwargs))
        return "C:/Users/clerk/AppData/Local/vledger"

    monkeypatch.setattr(platformdirs, "user_data_dir", user_data_dir)
    assert cli.default_home() == Path("C:/Users/clerk/AppData/Local/vledger")
    assert asked == [(("vledger",), {"appauthor": False})]
    from platformdirs import windows

    monkeypatch.setattr(windows, "get_win_folder", lambda _name: "C:/Users/clerk/AppData/Local")
    folder = windows.Windows(appname="vledger", appauthor=False).user_data_dir
    assert folder.replace("\\", "/").endswith("Local/vledger")
    doubled = windows.Windows(appname="vledger").user_data_dir  # what it was
    assert doubled.replace("\\", "/").endswith("vledger/vledger")


def test_the_ui_starts_in_the_language_last_chosen_in_the_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vledger.sync.documents.replicas import Replicas
    from vledger.sync.services.office import remembered_lang
    from vledger.tui.app import VLedgerApp

    home = tmp_path / "town"
    make_township(home)
    started: list[tuple[str, str | None]] = []  # the app's language, its office's
    monkeypatch.setattr(VLedgerApp, "run", lambda app, *_a, **_k: started.append(
        (app.lang, app.office.lang if app.office is not None else None)) or 0)
    opened: list[Path] = []
    store_open = Replicas.open
    monkeypatch.setattr(Replicas, "open",
                        lambda *a, **k: opened.append(a[0]) or store_open(*a, **k))
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert remembered_lang(home) is None
    assert cli.main(["--home", str(home), "ui"]) == 0
    with Office.open(home) as office:
        assert office.remembered_lang is None
        office.remember_lang("zh")  # Ctrl+L
        assert office.lang == "zh"
    assert remembered_lang(home) == "zh"
    opened.clear()
    assert cli.main(["--home", str(home), "ui"]) == 0
    assert len(opened) == 1  # the language is read from the office the UI opens
    assert cli.main(["--home", str(home), "--lang", "en", "ui"]) == 0  # asked for: taken
    assert started == [("en", "en"), ("zh", "zh"), ("en", "en")]
    assert remembered_lang(tmp_path / "nowhere") is None
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("command", [["sync", "127.0.0.1:9"], ["serve"]])
def test_sync_and_serve_say_when_the_clock_is_obviously_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    monkeypatch.setattr("vledger.sync.services.sync.clock_problem",
                        lambda: Message("sync.clock", now="1999-12-31 23:00"))
    assert cli.main(["--home", str(tmp_path / "none"), "--lang", "zh", *command]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("警告：这台电脑的时钟是 1999-12-31 23:00：请先把日期和时间调对"
                      "（每处修改都记下时间；同步照常进行）")
    assert "vledger init" in err[1]  # and then what the command met


def test_a_clock_before_vledger_existed_is_a_problem() -> None:
    from datetime import datetime

    from vledger.sync.services.sync import clock_problem

    said = clock_problem(datetime(1999, 12, 31, 23, 0))
    assert said is not None and "1999-12-31 23:00" in said.text("en")
    assert clock_problem(datetime(2026, 3, 5, 9, 0)) is None


def test_a_sheet_saved_by_chinese_excel_is_read_as_gbk(
    township: Path, tmp_path: Path
) -> None:
    """A sheet names villages by id, but a clerk's file may name one by its name: read as
    GBK, the problem is that name, not the file's encoding."""
    sheet = tmp_path / "targets.csv"
    sheet.write_bytes("village,indicator,value\n东坪村,drills,3\n".encode("gbk"))
    code, _, err = run_bytes(township, "--lang", "en", "sheet", "import", P, "targets",
                             str(sheet), encoding="utf-8")
    assert code == 1
    assert err.decode().splitlines() == [
        f'{sheet}: not UTF-8, so read as GBK (GB18030), as Chinese Excel saves a plain "CSV"',
        f"{sheet}:2:village: no village 东坪村"]
