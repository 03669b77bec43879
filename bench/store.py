"""Store benchmark: open a township home and rank it, as ratios.

    python -m bench.store [--villages 60] [--rows 2000] [--seed 1] [--period year]
                          [--cache DIR] [--rebuild]

Builds a township home with `--villages` villages x `--rows` safety-2026 rows
(fixtures/generate.py) through the office's services, the clerk's write path: one
transaction per village import. The built home is kept under the cache folder,
keyed by the parameters and the sources of sync/ and fixtures/, so later runs
skip the build. Every run measures a fresh copy of it.

Then, each in a fresh Python process (wall time seen by the parent, the work
time inside the child, the child's peak RSS from getrusage):

- open the home and rank one program for one period through `office.ranking`:
  run 1 with a cold measures cache (every village document opened, measured,
  cached, closed), run 2 warm (no village document opened);
- the baseline: the same rows as plain CSV files read with the csv module;
  and, for reference, the same CSV parsed, measured and ranked by the domain
  engine without any store;
- memory with every village document open at once versus opened, measured
  and closed one at a time.

Store size on disk is compared with the CSV files' bytes. The issue's budget on a
low-end laptop: open + rank under 2 s and under 200 MB RSS at 60 x 2,000.
Not run by CI.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.report import measure as report_measure

ROOT = Path(__file__).resolve().parents[1]
PROGRAM_ID = "safety-2026"
TOWNSHIP_ID = "qingshi"
SHEETS = ("targets", "entered", "manual", "adjustments")
BUDGET_SECONDS = 2.0
BUDGET_MB = 200.0


# -- building the home (in this process) -------------------------------------------------


def cache_key(villages: int, rows: int, seed: int) -> str:
    """Parameters plus the code that decides what lands on disk."""
    digest = hashlib.sha256(f"{villages}/{rows}/{seed}/{PROGRAM_ID}".encode())
    for folder in ("sync", "fixtures", "domain"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".py", ".toml"):
                digest.update(path.read_bytes())
    return f"v{villages}-r{rows}-s{seed}-{digest.hexdigest()[:12]}"


def build(target: Path, villages: int, rows: int, seed: int) -> float:
    """Write the township home to `target/home` and the same rows as CSV to `target/csv`."""
    from vledger.fixtures.generate import generate_township
    from vledger.fixtures.township import program_paths
    from vledger.sync.services.homes import init_township

    started = time.perf_counter()
    township = generate_township(villages, rows, seed)
    data = township.programs[PROGRAM_ID]
    program = data.program
    source = next(p for p in program_paths() if p.stem == PROGRAM_ID)
    csv_dir = target / "csv"
    write_csv(csv_dir, township, data)
    home = target / "home"
    with init_township(home, township.name, TOWNSHIP_ID, year=program.year) as office:
        for record in township.offices:
            office.roster.add_office(record.id, record.name, record.area)
        office.programs.add(source.read_text(encoding="utf-8"), source.name)
        for kind in SHEETS:
            office.sheets.import_csv(PROGRAM_ID, kind, csv_dir / f"{kind}.csv")
        for n, (village, ledger) in enumerate(data.ledgers.items(), start=1):
            # one transaction per import
            office.ledgers.session(PROGRAM_ID, village, writing=True).add_rows(ledger)
            office.ledgers.release(village)
            print(f"\r  built {n}/{len(data.ledgers)} villages", end="", file=sys.stderr)
    print(file=sys.stderr)
    return time.perf_counter() - started


def write_csv(folder: Path, township: Any, data: Any) -> None:
    """The rows as typed, one CSV per village, plus the roster and the four sheets."""
    ledgers = folder / "ledgers"
    ledgers.mkdir(parents=True)
    columns = [c.id for c in data.program.columns]
    tables: dict[str, tuple[Sequence[str], list[Sequence[object]]]] = {
        "offices": (("id", "name", "area"), [(o.id, o.name, o.area) for o in township.offices]),
        "targets": (("village", "indicator", "value"),
                    [(t.village, t.indicator, t.value) for t in data.targets]),
        "entered": (("village", "indicator", "period", "value"),
                    [(e.village, e.indicator, e.period, e.value) for e in data.entered]),
        "manual": (("village", "item", "period", "points"),
                   [(m.village, m.item, m.period, m.points) for m in data.manual]),
        "adjustments": (("village", "adjustment", "period", "count"),
                        [(a.village, a.adjustment, a.period, a.count) for a in data.adjustments]),
    }
    for village, rows in data.ledgers.items():
        tables[f"ledgers/{village}"] = (columns, [[r.get(c, "") for c in columns] for r in rows])
    for name, (header, rows) in tables.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)


def built_home(cache: Path, villages: int, rows: int, seed: int, rebuild: bool) -> tuple[Path, str]:
    """The cached build (made now if missing); and what building cost."""
    target = cache / cache_key(villages, rows, seed)
    done = target / "built.json"
    if rebuild and target.exists():
        shutil.rmtree(target)
    if done.exists():
        seconds = json.loads(done.read_text())["seconds"]
        return target, f"reused from {target} (building took {seconds:.0f} s)"
    if target.exists():
        shutil.rmtree(target)  # an interrupted build
    target.mkdir(parents=True)
    # In a child: the parent stays small, so its peak RSS cannot leak into later children.
    env = {"VLEDGER_BENCH_BUILD": f"{villages},{rows},{seed}"}
    seconds = run_child("build", target, "year", env)["seconds"]
    done.write_text(json.dumps({"seconds": seconds}))
    return target, f"built in {seconds:.0f} s, kept in {target}"


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- the children: each mode runs alone in a fresh process ---------------------------------


def _peak_mb() -> float:
    """ru_maxrss of this process. On Linux it carries over the parent's peak across
    fork + exec, which is why the parent builds in a child and stays small itself."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024  # bytes vs KiB


def _hwm_mb() -> float | None:
    """The kernel's high-water mark of this process image alone (Linux), as a cross-check."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _village_doc_id(office: Any, village: str) -> str:
    from vledger.sync.documents.replica import doc_id

    return doc_id(office.me.township, village, office.me.year)


def child_rank(home: Path, period: str) -> dict[str, Any]:
    from vledger.sync.services.office import Office

    with Office.open(home) as office:
        sheet = office.ranking.sheet(PROGRAM_ID, period)
        opened = sum(office.store.is_open(_village_doc_id(office, v.id))
                     for v in office.roster.villages())
    return {"villages": len(sheet.rows), "top": sheet.rows[0].village, "left_open": opened}


def child_csv_read(folder: Path, period: str) -> dict[str, Any]:
    rows = 0
    kept: list[list[dict[str, str]]] = []
    for path in sorted((folder / "ledgers").glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            kept.append(list(csv.DictReader(f)))
        rows += len(kept[-1])
    for name in ("offices", *SHEETS):
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            kept.append(list(csv.DictReader(f)))
    return {"rows": rows}


def child_csv_engine(folder: Path, period: str) -> dict[str, Any]:
    """The CSV parsed, measured and ranked by the domain engine with no store at all."""
    from decimal import Decimal

    from vledger.domain.indicators import LedgerRow, measure
    from vledger.domain.program_file import load_program
    from vledger.domain.ranking import SheetInputs, rank_sheet
    from vledger.domain.values import parse_cell
    from vledger.domain.villages import Village
    from vledger.fixtures.township import program_paths

    source = next(p for p in program_paths() if p.stem == PROGRAM_ID)
    program = load_program(source.read_text(encoding="utf-8"), str(source))

    def table(name: str) -> list[dict[str, str]]:
        with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    villages = [Village(r["id"], r["name"], r["area"] or None) for r in table("offices")]
    measures = {}
    for village in villages:
        ledger = [
            LedgerRow(f"{village.id}-{n}", {
                c.id: parse_cell(c, raw.get(c.id, "")) for c in program.columns
            }, order=n)
            for n, raw in enumerate(table(f"ledgers/{village.id}"))
        ]
        measures[village.id] = measure(program, ledger)
    inputs = SheetInputs(
        targets={(r["village"], r["indicator"]): Decimal(r["value"]) for r in table("targets")},
        entered={(r["village"], r["indicator"], r["period"]): Decimal(r["value"])
                 for r in table("entered")},
        manual={(r["village"], r["item"], r["period"]): Decimal(r["points"])
                for r in table("manual")},
        adjustments={(r["village"], r["adjustment"], r["period"]): Decimal(r["count"])
                     for r in table("adjustments")},
    )
    sheet = rank_sheet(program, villages, measures, inputs, period)
    return {"villages": len(sheet.rows), "top": sheet.rows[0].village}


def child_open_all(home: Path, period: str) -> dict[str, Any]:
    """Every village document open at once, measured while all stay open."""
    from vledger.domain.indicators import measure
    from vledger.sync.services.office import Office

    with Office.open(home) as office:
        program = office.programs.get(PROGRAM_ID)
        docs = [office.store.village(_village_doc_id(office, v.id))
                for v in office.roster.villages()]
        for doc in docs:
            measure(program, doc.rows(PROGRAM_ID, include_deleted=True))
        return {"open_at_once": len(docs)}


def child_open_lazy(home: Path, period: str) -> dict[str, Any]:
    """Each village document opened, measured and closed before the next."""
    from vledger.domain.indicators import measure
    from vledger.sync.services.office import Office

    most = 0
    with Office.open(home) as office:
        program = office.programs.get(PROGRAM_ID)
        villages = office.roster.villages()
        for village in villages:
            doc = office.store.village(_village_doc_id(office, village.id))
            measure(program, doc.rows(PROGRAM_ID, include_deleted=True))
            most = max(most, sum(office.store.is_open(_village_doc_id(office, v.id))
                                 for v in villages))
            office.ledgers.release(village.id)
    return {"most_open_at_once": most}


def child_forget_measures(home: Path, period: str) -> dict[str, Any]:
    """Empty the measures cache of a copied home, so the next ranking starts cold."""
    import sqlite3

    from vledger.sync.store.database import DB_FILE

    with sqlite3.connect(home / DB_FILE) as conn:
        dropped = conn.execute("DELETE FROM measures").rowcount
    return {"dropped": dropped}


def child_build(target: Path, period: str) -> dict[str, Any]:
    villages, rows, seed = (int(x) for x in os.environ["VLEDGER_BENCH_BUILD"].split(","))
    return {"seconds": build(target, villages, rows, seed)}


def child_edit_one(home: Path, period: str) -> dict[str, Any]:
    """One cell of one village changed, as a sync would bring it: that village's heads
    move, so the next ranking measures it again and reads the rest from the cache."""
    from vledger.sync.services.office import Office

    with Office.open(home) as office:
        village = office.roster.villages()[0].id
        ledger = office.ledgers.session(PROGRAM_ID, village, writing=True)
        row = ledger.rows()[0]
        people = row.cells.get("participants")
        new = (people + 1) if isinstance(people, int) else 1
        ledger.write_cells(row.id, {"participants": new})
    return {"village": village}


def child_nothing(home: Path, period: str) -> dict[str, Any]:
    """The interpreter with the sync layer imported: the floor under every RSS here."""
    import vledger.sync.services.office  # noqa: F401

    return {}


CHILDREN: dict[str, Callable[[Path, str], dict[str, Any]]] = {
    "rank": child_rank,
    "csv-read": child_csv_read,
    "csv-engine": child_csv_engine,
    "open-all": child_open_all,
    "open-lazy": child_open_lazy,
    "nothing": child_nothing,
    "edit-one": child_edit_one,
    "forget-measures": child_forget_measures,
    "build": child_build,
}


def run_child(
    mode: str, path: Path, period: str, env: dict[str, str] | None = None
) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.store", "--child", mode, "--path", str(path),
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
    result["peak_mb"] = _peak_mb()
    result["hwm_mb"] = _hwm_mb()
    # Helper processes that measured villages alongside (sync/services/measuring.py):
    # the largest of them, running at the same time as this one.
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["helpers_peak_mb"] = children / ((1 << 20) if sys.platform == "darwin" else 1024)
    print(json.dumps(result))


# -- the report ------------------------------------------------------------------------


def best(runs: list[dict[str, Any]], key: str) -> float:
    return min(r[key] for r in runs)


def fresh_copy(built: Path, scratch: Path) -> Path:
    """A copy of the built home with an empty measures cache (run 1 must be cold)."""
    home = scratch / "home"
    if home.exists():
        shutil.rmtree(home)
    shutil.copytree(built / "home", home)
    # The build never measures, but a kept home may have been ranked by hand since.
    run_child("forget-measures", home, "year")
    return home


def table(lines: list[tuple[str, str, str, str]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def add_home_arguments(
    parser: argparse.ArgumentParser, *, rows: str, repeat: int, children: Iterable[str]
) -> None:
    """The options of a benchmark over the cached 60-village home (bench.store, bench.years);
    `children`: the names of its child processes' jobs."""
    parser.add_argument("--villages", type=int, default=60)
    parser.add_argument("--rows", type=int, default=2000, help=rows)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--period", default="year", help="period to rank (Q1, Q2, Q3, year)")
    parser.add_argument("--repeat", type=int, default=repeat,
                        help="runs of each warm measurement")
    parser.add_argument("--cache", type=Path,
                        default=Path(tempfile.gettempdir()) / "vledger-bench-store")
    parser.add_argument("--rebuild", action="store_true", help="build the home again")
    parser.add_argument("--child", choices=sorted(children), help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)


def parse_home_arguments(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if not args.child and (args.villages < 1 or args.rows < 0 or args.repeat < 1):
        parser.error("--villages and --repeat must be at least 1, --rows at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store", description=(__doc__ or "").split("\n")[0]
    )
    add_home_arguments(parser, rows="safety-2026 rows per village", repeat=3, children=CHILDREN)
    args = parse_home_arguments(parser, argv)
    if args.child:
        child_main(args.child, args.path, args.period)
        return 0

    print(f"bench.store: {args.villages} villages x {args.rows} rows of {PROGRAM_ID}, "
          f"ranking period {args.period}")
    built, how = built_home(args.cache, args.villages, args.rows, args.seed, args.rebuild)
    print(f"home {how}")
    with tempfile.TemporaryDirectory(prefix="vledger-bench-store-") as folder:
        home = fresh_copy(built, Path(folder))
        csv_dir = built / "csv"
        colds = [run_child("rank", home, args.period)]
        for _ in range(args.repeat - 1):
            run_child("forget-measures", home, args.period)
            colds.append(run_child("rank", home, args.period))
        cold = min(colds, key=lambda r: r["wall"])
        warm = [run_child("rank", home, args.period) for _ in range(args.repeat)]
        run_child("edit-one", home, args.period)
        one = run_child("rank", home, args.period)
        reads = [run_child("csv-read", csv_dir, args.period) for _ in range(args.repeat)]
        engine = run_child("csv-engine", csv_dir, args.period)
        floor = run_child("nothing", home, args.period)
        every = run_child("open-all", home, args.period)
        lazy = run_child("open-lazy", home, args.period)
        store_bytes, csv_bytes = folder_bytes(home), folder_bytes(csv_dir)
    report(args, cold, warm, one, reads, engine, floor, every, lazy, store_bytes, csv_bytes)
    print()
    walls = ", ".join(f"{r['wall']:.2f}" for r in colds)
    print(f"cold runs (wall, s): {walls}")
    # The budgets are seconds and megabytes on this machine; the same run's
    # CSV read + domain engine (no store at all) is printed beside them for scale.
    report_measure("store.cold_open_rank_s", cold["wall"], "s", goal=BUDGET_SECONDS,
                   baseline=engine["wall"], goal_on="value")
    report_measure("store.warm_open_rank_s", best(warm, "wall"), "s", goal=BUDGET_SECONDS,
                   baseline=engine["wall"], goal_on="value")
    peak = max(r["peak_mb"] + r["helpers_peak_mb"] for r in [*colds, *warm, one])
    report_measure("store.peak_rss_mb", peak, "MB", goal=BUDGET_MB,
                   baseline=engine["peak_mb"], goal_on="value")
    return 0


def report(
    args: argparse.Namespace, cold: dict[str, Any], warm: list[dict[str, Any]],
    one: dict[str, Any], reads: list[dict[str, Any]], engine: dict[str, Any], floor: dict[str, Any],
    every: dict[str, Any], lazy: dict[str, Any], store_bytes: int, csv_bytes: int,
) -> None:
    base_wall, base_work = best(reads, "wall"), best(reads, "work")
    base_mb = max(r["peak_mb"] for r in reads)
    warm_wall, warm_work = best(warm, "wall"), best(warm, "work")
    warm_mb = max(r["peak_mb"] for r in warm)
    assert cold["top"] == warm[0]["top"] == engine["top"], "rankings disagree"
    assert warm[0]["left_open"] == 0 and cold["left_open"] == 0
    mb = 1 << 20
    lines = [
        ("measured", "value", "baseline (csv read)", "ratio"),
        ("open + rank, warm cache: process wall", f"{warm_wall:.2f} s", f"{base_wall:.2f} s",
         ratio(warm_wall, base_wall)),
        ("open + rank, warm cache: work in process", f"{warm_work:.2f} s", f"{base_work:.2f} s",
         ratio(warm_work, base_work)),
        ("open + rank, cold cache: process wall", f"{cold['wall']:.2f} s", f"{base_wall:.2f} s",
         ratio(cold["wall"], base_wall)),
        ("open + rank, cold cache: work in process", f"{cold['work']:.2f} s",
         f"{base_work:.2f} s", ratio(cold["work"], base_work)),
        ("open + rank, one village changed: wall", f"{one['wall']:.2f} s",
         f"{base_wall:.2f} s", ratio(one["wall"], base_wall)),
        ("csv + domain engine, no store: wall", f"{engine['wall']:.2f} s", f"{base_wall:.2f} s",
         ratio(engine["wall"], base_wall)),
        ("peak RSS, open + rank warm", f"{warm_mb:.0f} MB", f"{base_mb:.0f} MB",
         ratio(warm_mb, base_mb)),
        ("peak RSS, open + rank cold", f"{cold['peak_mb']:.0f} MB", f"{base_mb:.0f} MB",
         ratio(cold["peak_mb"], base_mb)),
        ("peak RSS, open + rank one changed", f"{one['peak_mb']:.0f} MB", f"{base_mb:.0f} MB",
         ratio(one["peak_mb"], base_mb)),
        ("peak RSS, csv + domain engine", f"{engine['peak_mb']:.0f} MB", f"{base_mb:.0f} MB",
         ratio(engine["peak_mb"], base_mb)),
        ("size on disk (home vs csv files)", f"{store_bytes / mb:.1f} MB",
         f"{csv_bytes / mb:.1f} MB", ratio(store_bytes, csv_bytes)),
    ]
    print()
    print(table(lines))
    per_doc = (every["peak_mb"] - lazy["peak_mb"]) / max(args.villages - 1, 1)
    memory = [
        ("village documents", "peak RSS", "vs lazily opened", "work"),
        (f"all {every['open_at_once']} open at once", f"{every['peak_mb']:.0f} MB",
         ratio(every["peak_mb"], lazy["peak_mb"]), f"{every['work']:.2f} s"),
        (f"one at a time (most open at once: {lazy['most_open_at_once']})",
         f"{lazy['peak_mb']:.0f} MB", "1.00x", f"{lazy['work']:.2f} s"),
        ("interpreter + sync layer imported, nothing open", f"{floor['peak_mb']:.0f} MB",
         ratio(floor["peak_mb"], lazy["peak_mb"]), f"{floor['work']:.2f} s"),
    ]
    print()
    print(table(memory))
    print(f"\nabout {per_doc:.1f} MB per open village document of {args.rows} rows")
    print(f"\nbudget (a low-end laptop, 60 x 2,000): open + rank under "
          f"{BUDGET_SECONDS:.0f} s and under {BUDGET_MB:.0f} MB RSS")
    for name, seconds, peak in (
        ("warm cache", warm_wall, warm_mb), ("one village changed", one["wall"], one["peak_mb"]),
        ("cold cache", cold["wall"], cold["peak_mb"]),
    ):
        verdict = "within" if seconds < BUDGET_SECONDS and peak < BUDGET_MB else "OVER"
        print(f"  {name}: {seconds:.2f} s, {peak:.0f} MB -> {verdict} budget on this machine")
    print(f"(this machine: {os.cpu_count()} cores; timings are the best of {args.repeat} "
          "except cold runs, which happen once per copy)")
    runs = [cold, *warm, one, *reads, engine, floor, every, lazy]
    hwm = [r["hwm_mb"] for r in runs if r.get("hwm_mb") is not None]
    if hwm:
        print(f"peak RSS is ru_maxrss; the kernel's VmHWM agrees within "
              f"{max(abs(r['peak_mb'] - r['hwm_mb']) for r in runs if r.get('hwm_mb')):.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
