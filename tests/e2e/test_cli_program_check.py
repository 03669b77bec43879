"""`vledger program check FILE` as a clerk runs it: exit codes, stdout, stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.example_data import EXAMPLE_PROGRAM

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = EXAMPLE_PROGRAM


# The console script the package installs; `python -m vledger` would run the CLI
# module as __main__, a second copy whose Refused the handlers do not raise.
SCRIPT = Path(sys.executable).with_name("vledger")
COMMAND = (
    [str(SCRIPT)]
    if SCRIPT.exists()
    else [sys.executable, "-m", "vledger"]
)


def vledger(
    *args: str, cwd: Path, home: Path, locale: str = "C.UTF-8"
) -> subprocess.CompletedProcess[str]:
    # The locale is fixed so the language comes from --lang or this, never the machine.
    env = {**os.environ, "VLEDGER_HOME": str(home), "PYTHONPATH": str(ROOT), "LANG": locale}
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=60,
    )


def test_the_worked_example_is_ok(tmp_path: Path) -> None:
    copy = tmp_path / "safety-2026.toml"
    copy.write_bytes(EXAMPLE.read_bytes())
    result = vledger("program", "check", "safety-2026.toml", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "safety-2026.toml: ok (7 items, 3 periods)\n"
    assert result.stderr == ""


def broken_copy() -> tuple[str, list[tuple[int, str]]]:
    """The example with three mistakes, and the (line, fragment) each must be reported as."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    mistakes = {
        "year = 2026": ("year = 1026", "not a plausible year"),
        'where = { kind = "应急演练" }': ('where = { kind = "演习" }', "expected one of"),
        "penalty = 3": ("penalty = -3", "penalty must not be negative"),
    }
    expected = []
    for number, line in enumerate(lines, 1):
        if line in mistakes:
            lines[number - 1], fragment = mistakes.pop(line)
            expected.append((number, fragment))
    assert not mistakes, "the example changed; update the mistakes"
    return "\n".join(lines) + "\n", expected


def test_a_broken_file_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    text, expected = broken_copy()
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "broken.toml").write_text(text, encoding="utf-8")
    result = vledger(
        "program", "check", "programs/broken.toml", cwd=tmp_path, home=tmp_path / "home"
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    reported = result.stderr.splitlines()
    assert len(reported) == len(expected), reported
    for line, (number, fragment) in zip(reported, expected, strict=True):
        assert line.startswith(f"programs/broken.toml:{number}: "), line
        assert fragment in line


def test_a_toml_syntax_error_is_one_line_with_its_line_number(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('id = "x"\ntitle = \n', encoding="utf-8")
    result = vledger("program", "check", "bad.toml", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr.startswith("bad.toml:2: not valid TOML")
    assert len(result.stderr.splitlines()) == 1


def test_a_missing_file_is_refused_without_traceback(tmp_path: Path) -> None:
    result = vledger("program", "check", "nowhere.toml", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr == "nowhere.toml: no such file\n"
    assert result.stdout == ""


def test_a_folder_is_refused(tmp_path: Path) -> None:
    result = vledger("program", "check", ".", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr == ".: is a folder, not a program file\n"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    # A file saved by an old Windows editor in GBK: the title is not UTF-8.
    (tmp_path / "gbk.toml").write_bytes('id = "p"\ntitle = "安全"\n'.encode("gbk"))
    result = vledger("program", "check", "gbk.toml", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr.startswith("gbk.toml:2: not UTF-8 text")
    assert "Traceback" not in result.stderr


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbf" + EXAMPLE.read_bytes())
    result = vledger("program", "check", "bom.toml", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("bom.toml: ok")


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root reads any file"
)
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked.toml"
    locked.write_bytes(EXAMPLE.read_bytes())
    locked.chmod(0)
    result = vledger("program", "check", "locked.toml", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr.startswith("locked.toml: cannot read it")


def test_program_without_action_is_a_usage_error(tmp_path: Path) -> None:
    result = vledger("program", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 2
    assert "check" in result.stderr


def test_any_other_read_failure_is_refused_with_its_reason(tmp_path: Path) -> None:
    # A path through a file, not a folder: an OSError that is not "no such file".
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    result = vledger("program", "check", "plain/p.toml", cwd=tmp_path, home=tmp_path / "home")
    assert result.returncode == 1
    assert result.stderr == "plain/p.toml: cannot read it (Not a directory)\n"


# -- the language of the problems ----------------------------------------------------


def test_lang_zh_says_every_problem_in_chinese_at_its_line(tmp_path: Path) -> None:
    text, expected = broken_copy()
    (tmp_path / "broken.toml").write_text(text, encoding="utf-8")
    result = vledger(
        "--lang", "zh", "program", "check", "broken.toml", cwd=tmp_path, home=tmp_path / "home"
    )
    assert result.returncode == 1
    reported = result.stderr.splitlines()
    fragments = ["不是合理的年份", "应填以下之一", "penalty 不能为负数，这里是 -3"]
    assert len(reported) == len(expected) == len(fragments), reported
    for line, (number, _), fragment in zip(reported, expected, fragments, strict=True):
        assert line.startswith(f"broken.toml:{number}: "), line
        assert fragment in line, line
    for english in ("not a plausible year", "expected one of", "must not be negative"):
        assert english not in result.stderr


def test_lang_after_the_command_and_from_the_locale(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('id = "x"\ntitle = \n', encoding="utf-8")
    after = vledger("program", "check", "bad.toml", "--lang", "zh", cwd=tmp_path,
                    home=tmp_path / "home")
    assert after.stderr.startswith("bad.toml:2: TOML 格式错误：值的写法不对"), after.stderr
    by_locale = vledger("program", "check", "bad.toml", cwd=tmp_path, home=tmp_path / "home",
                        locale="zh_CN.UTF-8")
    assert by_locale.stderr == after.stderr
    english = vledger("--lang", "en", "program", "check", "bad.toml", cwd=tmp_path,
                      home=tmp_path / "home", locale="zh_CN.UTF-8")
    assert english.stderr.startswith("bad.toml:2: not valid TOML: Invalid value")


def test_lang_zh_says_ok_and_file_problems_in_chinese(tmp_path: Path) -> None:
    (tmp_path / "safety-2026.toml").write_bytes(EXAMPLE.read_bytes())
    ok = vledger("--lang", "zh", "program", "check", "safety-2026.toml", cwd=tmp_path,
                 home=tmp_path / "home")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "safety-2026.toml：没有问题（7 个考核项目，3 个考核阶段）\n"
    missing = vledger("--lang", "zh", "program", "check", "nowhere.toml", cwd=tmp_path,
                      home=tmp_path / "home")
    assert (missing.returncode, missing.stderr) == (1, "nowhere.toml：找不到这个文件\n")
    (tmp_path / "gbk.toml").write_bytes('id = "p"\ntitle = "安全"\n'.encode("gbk"))
    gbk = vledger("--lang", "zh", "program", "check", "gbk.toml", cwd=tmp_path,
                  home=tmp_path / "home")
    assert gbk.stderr.startswith("gbk.toml:2: 不是 UTF-8 编码的文字"), gbk.stderr
