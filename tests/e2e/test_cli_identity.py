"""`vledger invite`, `join`, `device list|enroll|revoke` through the real command line.

"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import REPO, store_state


def vledger(*args: object, home: Path, lang: str = "en") -> tuple[int, str, str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    environment.pop("VLEDGER_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "vledger", "--home", str(home), "--lang", lang,
         *(str(a) for a in args)],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", env=environment,
        timeout=60, check=False,
    )
    return done.returncode, done.stdout, done.stderr


def township(tmp_path: Path) -> Path:
    home = tmp_path / "t"
    assert vledger("init", "--township", "青石乡", "--id", "t1", home=home)[0] == 0
    assert vledger("office", "add", "v01", "东村", home=home)[0] == 0
    return home


def test_invite_join_enroll_list_and_revoke(tmp_path: Path) -> None:
    home = township(tmp_path)
    invitation = tmp_path / "v01.invite"
    code, out, err = vledger("invite", "v01", "--out", invitation, home=home)
    assert code == 0, err
    assert str(invitation) in out
    if os.name != "nt":
        assert stat.S_IMODE(invitation.stat().st_mode) == 0o600
    village = tmp_path / "v01"
    code, out, err = vledger("join", invitation, home=village)
    assert code == 0, err
    assert "v01" in out and (tmp_path / "v01.invite.reply").exists()
    code, out, _ = vledger("whoami", "--json", home=village)
    me = json.loads(out)
    assert (me["office"], me["kind"]) == ("v01", "village")

    code, out, err = vledger("device", "enroll", tmp_path / "v01.invite.reply", home=home)
    assert code == 0, err
    code, out, _ = vledger("device", "list", "--json", home=home)
    listed = json.loads(out)
    offices = {d["id"]: (d["office"], d["state"]) for d in listed["devices"]}
    assert offices[me["device"]] == ("v01", "active")
    assert listed["problems"] == []
    assert [d["this"] for d in listed["devices"] if d["office"] == "t1"] == [True]

    code, out, err = vledger("device", "revoke", me["device"], home=home)
    assert code == 0, err
    code, out, _ = vledger("device", "list", home=home)
    line = next(x for x in out.splitlines() if me["device"] in x)
    assert "revoked" in line


def test_refusals_exit_1_with_one_line_and_change_nothing(tmp_path: Path) -> None:
    home = township(tmp_path)
    assert vledger("device", "list", home=home)[0] == 0  # keys made before the state is taken
    before = store_state(home)
    code, _, err = vledger("invite", "v09", "--out", tmp_path / "x.invite", home=home)
    assert code == 1 and "no village v09" in err and "Traceback" not in err
    assert not (tmp_path / "x.invite").exists()
    code, _, err = vledger("device", "revoke", "ffffffffffffffff", home=home)
    assert code == 1 and "no device" in err
    code, _, err = vledger("device", "enroll", tmp_path / "missing.reply", home=home)
    assert code == 1 and "cannot read it" in err
    assert store_state(home) == before
    garbage = tmp_path / "garbage.invite"
    garbage.write_bytes(b"\x00not an invitation")
    code, _, err = vledger("join", garbage, home=tmp_path / "v")
    assert code == 1 and "not a vledger invitation" in err
    assert not (tmp_path / "v").exists()


def test_a_village_cannot_invite_or_revoke(tmp_path: Path) -> None:
    home = township(tmp_path)
    vledger("invite", "v01", "--out", tmp_path / "v01.invite", home=home)
    village = tmp_path / "v01"
    assert vledger("join", tmp_path / "v01.invite", home=village)[0] == 0
    code, _, err = vledger("invite", "v01", "--out", tmp_path / "y.invite", home=village)
    assert code == 1 and "only the township office" in err
    code, _, err = vledger("device", "revoke", "abcd", home=village)
    assert code == 1 and "only the township office" in err


def test_a_world_readable_key_is_refused_clearly(tmp_path: Path) -> None:
    if os.name == "nt":
        return
    home = township(tmp_path)
    assert vledger("device", "list", home=home)[0] == 0  # a home made by init has its key
    (home / "device.key").chmod(0o644)
    code, _, err = vledger("invite", "v01", "--out", tmp_path / "v01.invite", home=home)
    assert code == 1 and "chmod 600" in err and "Traceback" not in err


def test_chinese_output(tmp_path: Path) -> None:
    home = township(tmp_path)
    code, out, _ = vledger("device", "list", home=home, lang="zh")
    assert code == 0 and "本机" in out and "乡镇" in out
