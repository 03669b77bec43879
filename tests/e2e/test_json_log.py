"""`vledger serve --json-log` and `sync --json-log`: one JSON object per line per event, for
a program that runs them as its child (the UI does); `--stop-with-stdin` ends the server
with its parent. The events and fields are the ones docs/cli.md lists."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from tests.e2e.fault_proxy import (
    REPO,
    add_rows,
    environment,
    make_township,
    make_village,
    run_vledger,
    vledger_command,
)


def start_serve(home: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*vledger_command(), "--home", str(home), "--lang", "en", "serve", "--listen",
         "127.0.0.1:0", "--json-log", *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=environment(), cwd=REPO)


def next_event(process: subprocess.Popen[str], kind: str, seconds: float = 60) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, f"serve ended before saying {kind!r}"
        event = json.loads(line)  # every line is one JSON object
        assert isinstance(event.get("at"), str) and "T" in event["at"]
        if event["event"] == kind:
            return dict(event)
    raise AssertionError(f"no {kind!r} event")


async def test_serve_and_sync_say_each_event_as_one_json_line(tmp_path: Path) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, 1)
    make_village(town, village, "v01")
    add_rows(village, None, 2, "村里")
    server = start_serve(town, "--stop-with-stdin")
    try:
        serving = next_event(server, "serving")
        assert serving["township"] == "t1" and serving["address"].startswith("127.0.0.1:")
        code, out, err = await run_vledger(village, "sync", serving["address"], "--json-log")
        assert code == 0, err
        said = [json.loads(line) for line in out.splitlines()]
        assert [e["event"] for e in said] == ["connecting", "synced"]
        assert said[1]["peer_office"] == "t1" and said[1]["sent"] > 0
        assert said[1]["address"] == serving["address"]
        connected = next_event(server, "connected")
        assert connected["office"] == "v01" and connected["peer"].startswith("v01:")
        synced = next_event(server, "synced")
        assert synced["office"] == "v01" and synced["received"] > 0
        left = next_event(server, "disconnected")
        assert left["received"] >= synced["received"]
        assert server.stdin is not None
        server.stdin.close()  # the parent leaves: the server stops by itself
        assert next_event(server, "stopped")["event"] == "stopped"
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


async def test_a_failed_sync_says_why_on_a_json_line_and_exits_as_always(
    tmp_path: Path,
) -> None:
    town = tmp_path / "town"
    make_township(town, 1)
    code, out, err = await run_vledger(town, "sync", "127.0.0.1:1", "--json-log",
                                       "--timeout", "1")
    assert code == 3
    failed = json.loads(out.splitlines()[-1])
    assert failed["event"] == "failed" and failed["exit"] == 3
    assert "127.0.0.1:1" in failed["problems"][0]
    assert "127.0.0.1:1" in err  # stderr as without --json-log


async def test_bundles_say_what_they_did_on_a_json_line(tmp_path: Path) -> None:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, 1)
    make_village(town, village, "v01")
    add_rows(village, None, 1, "U盘")
    stick = tmp_path / "stick.bundle"
    code, out, err = await run_vledger(village, "bundle", "export", str(stick), "--json-log")
    assert code == 0, err
    exported = json.loads(out)
    assert exported["event"] == "exported" and exported["size"] == stick.stat().st_size
    code, out, err = await run_vledger(town, "bundle", "import", str(stick), "--json-log")
    assert code == 0, err
    imported = json.loads(out)
    assert imported["event"] == "imported" and imported["office"] == "v01"
    assert imported["changes"] > 0 and imported["refused"] == []
