"""Years benchmark: opening a home and ranking this year's program must cost the same
whether the home keeps one year or three.

    python -m bench.years [--villages 60] [--rows 2000] [--seed 1] [--period year]
                          [--repeat 3] [--cache DIR] [--rebuild]

Two homes, built once through the office's services and kept under the cache folder
(bench/store.py builds the first and keys it by the code that decides what lands on
disk):

- one year: the township with `--villages` villages x `--rows` rows of safety-2026;
- three years: a copy of it to which safety-2025 and safety-2027 were added (the same
  program file and rows with the year changed), with their sheets and every village's
  ledgers: two more years of documents, each as big as 2026's.

Each measurement is a fresh Python process that opens the home and ranks safety-2026
(`office.ranking`), as `vledger rank` does: cold (the measures cache emptied first:
every village document of 2026 is opened and measured) and warm (best of `--repeat`,
one year and three taking turns). The measure is the work inside the process (open +
rank); the process's wall time is printed too. The child also counts the documents of
other years it loaded: it must be none.

Prints the ratios and one JSON line per measure (bench/report.py); the goal is that
three years cost at most 1.1x what one year does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.report import measure
from bench.store import (
    SHEETS,
    add_home_arguments,
    built_home,
    fresh_copy,
    parse_home_arguments,
)

ROOT = Path(__file__).resolve().parents[1]
PROGRAM_ID = "safety-2026"
YEAR = 2026
OTHER_YEARS = (2025, 2027)
GOAL = 1.1
WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def shifted(text: str, year: int) -> str:
    """`text` with the year 2026 written as `year` (digits as typed, also full-width)."""
    return (text.replace(str(YEAR), str(year))
            .replace(str(YEAR).translate(WIDE), str(year).translate(WIDE)))


# -- building the three-year home -----------------------------------------------------------


def add_years(target: Path, villages: int, rows: int, seed: int) -> float:
    """Add the other years' programs, sheets and ledgers to the copied home in `target`."""
    from vledger.fixtures.generate import generate_township
    from vledger.fixtures.township import program_paths
    from vledger.sync.services.office import Office

    started = time.perf_counter()
    data = generate_township(villages, rows, seed).programs[PROGRAM_ID]
    source = next(p for p in program_paths() if p.stem == PROGRAM_ID).read_text("utf-8")
    csv_dir = target / "csv"
    with Office.open(target / "home") as office:
        for year in OTHER_YEARS:
            program = f"safety-{year}"
            office.programs.add(shifted(source, year), f"{program}.toml")
            for kind in SHEETS:
                office.sheets.import_csv(program, kind, csv_dir / f"{kind}.csv")
            for n, (village, ledger) in enumerate(data.ledgers.items(), start=1):
                rows_of_year = [{k: shifted(v, year) for k, v in row.items()} for row in ledger]
                office.ledgers.session(program, village, writing=True).add_rows(rows_of_year)
                office.ledgers.release(village)
                print(f"\r  {year}: built {n}/{len(data.ledgers)} villages", end="",
                      file=sys.stderr)
            print(file=sys.stderr)
    return time.perf_counter() - started


def three_year_home(one: Path, villages: int, rows: int, seed: int, rebuild: bool) -> Path:
    """The cached three-year home next to the one-year build it was copied from."""
    target = one.with_name(one.name + "-years")
    done = target / "built.json"
    if rebuild and target.exists():
        shutil.rmtree(target)
    if done.exists():
        return target
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copytree(one / "home", target / "home")
    shutil.copytree(one / "csv", target / "csv")
    env = {"VLEDGER_BENCH_BUILD": f"{villages},{rows},{seed}"}
    seconds = run_child("build", target, "year", env)["seconds"]
    done.write_text(json.dumps({"seconds": seconds}))
    return target


# -- the children ---------------------------------------------------------------------------


def child_rank(home: Path, period: str) -> dict[str, Any]:
    """Open the home and rank this year's program; which documents it loaded."""
    from vledger.sync.documents.replica import parse_doc_id
    from vledger.sync.documents.replicas import Replicas
    from vledger.sync.services.office import Office

    loaded: set[str] = set()
    original = Replicas._load

    def spy(self: Replicas, doc_id: str) -> Any:
        loaded.add(doc_id)
        return original(self, doc_id)

    Replicas._load = spy  # type: ignore[method-assign]
    with Office.open(home) as office:
        sheet = office.ranking.sheet(PROGRAM_ID, period)
        years = office.programs.years()
    other = sorted(d for d in loaded if parse_doc_id(d)[2] != YEAR)
    return {"villages": len(sheet.rows), "top": sheet.rows[0].village, "years": years,
            "loaded": len(loaded), "other_years_loaded": other}


def child_build(target: Path, period: str) -> dict[str, Any]:
    villages, rows, seed = (int(x) for x in os.environ["VLEDGER_BENCH_BUILD"].split(","))
    return {"seconds": add_years(target, villages, rows, seed)}


CHILDREN = {"rank": child_rank, "build": child_build}


def run_child(mode: str, path: Path, period: str,
              env: dict[str, str] | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.years", "--child", mode, "--path", str(path),
         "--period", period],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=None if mode == "build" else subprocess.PIPE,
        text=True, check=False, env={**os.environ, **(env or {})},
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"child {mode} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def child_main(mode: str, path: Path, period: str) -> None:
    started = time.perf_counter()
    result = CHILDREN[mode](path, period)
    result["work"] = time.perf_counter() - started
    print(json.dumps(result))


# -- the report -----------------------------------------------------------------------------


def runs(one: Path, three: Path, period: str, repeat: int) -> tuple[
    dict[str, Any], list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]
]:
    """A cold run of each (the copies' measures caches are empty), then `repeat` warm
    ones, one year and three taking turns (this machine's load drifts)."""
    cold_one, cold_three = run_child("rank", one, period), run_child("rank", three, period)
    warm_one, warm_three = [], []
    for _ in range(repeat):
        warm_one.append(run_child("rank", one, period))
        warm_three.append(run_child("rank", three, period))
    return cold_one, warm_one, cold_three, warm_three


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.years", description=(__doc__ or "").split("\n")[0]
    )
    add_home_arguments(parser, rows="rows per village and year", repeat=5, children=CHILDREN)
    args = parse_home_arguments(parser, argv)
    if args.child:
        child_main(args.child, args.path, args.period)
        return 0

    print(f"bench.years: {args.villages} villages x {args.rows} rows a year; open + rank "
          f"{PROGRAM_ID} ({args.period}) with one year held and with three")
    one, how = built_home(args.cache, args.villages, args.rows, args.seed, args.rebuild)
    print(f"one-year home {how}")
    three = three_year_home(one, args.villages, args.rows, args.seed, args.rebuild)
    print(f"three-year home kept in {three}")
    with tempfile.TemporaryDirectory(prefix="vledger-bench-years-") as folder:
        home_one = fresh_copy(one, Path(folder) / "one")
        home_three = fresh_copy(three, Path(folder) / "three")
        cold_one, warm_one, cold_three, warm_three = runs(home_one, home_three, args.period,
                                                          args.repeat)
    report(args, cold_one, warm_one, cold_three, warm_three)
    return 0


def report(args: argparse.Namespace, cold_one: dict[str, Any], warm_one: list[dict[str, Any]],
           cold_three: dict[str, Any], warm_three: list[dict[str, Any]]) -> None:
    assert cold_one["top"] == cold_three["top"] == warm_three[0]["top"], "rankings disagree"
    assert warm_three[0]["years"] == [YEAR, *sorted(OTHER_YEARS, reverse=True)], \
        warm_three[0]["years"]
    loaded_elsewhere = sorted({d for r in [cold_three, *warm_three]
                               for d in r["other_years_loaded"]})
    best_one = min(r["wall"] for r in warm_one)
    best_three = min(r["wall"] for r in warm_three)
    work_one = min(r["work"] for r in warm_one)
    work_three = min(r["work"] for r in warm_three)
    print()
    print(f"{'open + rank ' + PROGRAM_ID:44} {'one year':>10} {'three years':>12} {'ratio':>7}")
    for name, a, b in (
        ("warm cache: process wall (best)", best_one, best_three),
        ("warm cache: work in process (best)", work_one, work_three),
        ("cold cache: process wall", cold_one["wall"], cold_three["wall"]),
        ("cold cache: work in process", cold_one["work"], cold_three["work"]),
    ):
        print(f"{name:44} {a:9.2f}s {b:11.2f}s {b / a:6.2f}x")
    print(f"documents loaded (cold): {cold_one['loaded']} with one year, "
          f"{cold_three['loaded']} with three; of other years: "
          f"{', '.join(loaded_elsewhere) or 'none'}")
    print()
    # Judged on the work inside the process (open + rank): the interpreter's start is the
    # same for both and would only water the ratio down.
    measure("store.open_rank_three_years_vs_one", work_three, "s", goal=GOAL,
            baseline=work_one)
    measure("store.open_rank_cold_three_years_vs_one", cold_three["work"], "s", goal=GOAL,
            baseline=cold_one["work"])
    measure("store.open_rank_other_years_loaded", float(len(loaded_elsewhere)), "documents",
            goal=0)


if __name__ == "__main__":
    raise SystemExit(main())
