"""How every benchmark reports: one JSON line per measure, and a table of them.

    {"measure": ID, "value": N, "unit": U, "baseline": N, "ratio": N, "goal": N, "ok": BOOL}

`ratio` is value / baseline, both measured in the same run (these machines are noisy:
absolute times are not stable); `goal` bounds the ratio, or the value itself when the
measure has no baseline (a budget in seconds or megabytes). `make bench` runs every
module and prints the lines it collected as one table (`python -m bench.report FILE`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

PREFIX = '{"measure"'


def measure(measure_id: str, value: float, unit: str, *, goal: float,
            baseline: float | None = None, goal_on: str = "ratio") -> dict[str, object]:
    """Print one measure's JSON line (lower is better for every measure here).

    The goal bounds the ratio when there is a baseline, unless `goal_on="value"`: a
    budget in seconds or megabytes, with the baseline printed beside it for scale.
    """
    ratio = value / baseline if baseline else None
    judged = ratio if ratio is not None and goal_on == "ratio" else value
    line: dict[str, object] = {
        "measure": measure_id, "value": round(value, 4), "unit": unit,
        "baseline": round(baseline, 4) if baseline is not None else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
        "goal": goal, "ok": judged <= goal,
    }
    print(json.dumps(line), flush=True)
    return line


def table(lines: list[dict[str, object]]) -> str:
    head = ("measure", "value", "unit", "baseline", "ratio", "goal", "ok")
    rows = [[str(line.get(k, "")) if line.get(k) is not None else "-" for k in head]
            for line in lines]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def read_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith(PREFIX)]


if __name__ == "__main__":
    found = read_lines(Path(sys.argv[1]).read_text(encoding="utf-8"))
    print(table(found))
    failed = [line["measure"] for line in found if not line["ok"]]
    print(f"\n{len(found) - len(failed)} of {len(found)} measures within their goal"
          + (f"; over: {', '.join(map(str, failed))}" if failed else ""))
