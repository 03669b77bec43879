"""The command line's exit codes come from the one error root: a VledgerError prints its
lines on stderr and ends with its `exit_code`; anything else is a bug and a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from tests.example_data import EXAMPLE_PROGRAM
from vledger.errors import EXIT_UNREACHABLE, Unreachable, VledgerError
from vledger.messages import Message
from vledger.tui.cli import main as cli


def command_raising(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """`vledger whoami` raising `error` (commands are looked up when the parser is built)."""

    def run(_args: object) -> int:
        raise error

    monkeypatch.setattr("vledger.tui.cli.offices.run_whoami", run)


def test_any_vledger_error_ends_with_its_lines_and_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    class Gone(VledgerError):
        exit_code: ClassVar[int] = 3

    command_raising(monkeypatch, Gone("the peer is gone", "try again later"))
    assert cli.main(["--home", str(tmp_path), "whoami"]) == 3
    out, err = capsys.readouterr()
    assert (out, err) == ("", "the peer is gone\ntry again later\n")


def test_unreachable_is_exit_3_and_a_refusal_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    command_raising(monkeypatch, Unreachable("could not sync with 10.0.0.5:7420"))
    assert cli.main(["--home", str(tmp_path), "whoami"]) == EXIT_UNREACHABLE
    command_raising(monkeypatch, VledgerError("not allowed here"))
    assert cli.main(["--home", str(tmp_path), "whoami"]) == 1
    assert capsys.readouterr().err.splitlines() == ["could not sync with 10.0.0.5:7420",
                                                     "not allowed here"]


def test_a_catalogue_message_is_said_in_the_language_asked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    command_raising(monkeypatch, VledgerError(Message("cli.file.missing", file="p.toml"),
                                              "a line of plain text"))
    assert cli.main(["--home", str(tmp_path), "--lang", "zh", "whoami"]) == 1
    assert capsys.readouterr().err == "p.toml：找不到这个文件\na line of plain text\n"
    assert cli.main(["--home", str(tmp_path), "--lang", "en", "whoami"]) == 1
    assert capsys.readouterr().err == "p.toml: no such file\na line of plain text\n"


def test_a_service_refusal_in_the_catalogue_follows_lang(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    home = ["--home", str(tmp_path / "home")]
    assert cli.main([*home, "init", "--township", "青石乡", "--year", "2026"]) == 0
    assert cli.main([*home, "program", "add", str(EXAMPLE_PROGRAM)]) == 0
    capsys.readouterr()
    for lang, said in (
        ("zh", "方案 safety-2026 没有考核阶段 Q7（考核阶段有：Q1、Q2、Q3、year）"),
        ("en", "no period Q7 in program safety-2026 (periods: Q1, Q2, Q3, year)"),
    ):
        assert cli.main([*home, "--lang", lang, "rank", "safety-2026", "--period", "Q7"]) == 1
        assert capsys.readouterr().err == said + "\n"


def test_a_service_refusal_reaches_the_clerk_as_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli.main(["--home", str(tmp_path / "nobody"), "whoami"]) == 1
    assert "holds no office yet" in capsys.readouterr().err


def test_a_program_file_problem_is_its_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "x"\nyear = "soon"\n', encoding="utf-8")
    assert cli.main(["program", "check", str(broken)]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines and all(line.startswith(f"{broken}:") for line in lines)


def test_a_bug_is_a_traceback_not_a_polite_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    command_raising(monkeypatch, RuntimeError("a bug"))
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["--home", str(tmp_path), "whoami"])
