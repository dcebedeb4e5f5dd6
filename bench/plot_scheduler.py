"""The scaling curve of bench/scheduler_bench.py: steady tick against open tickets, one line per series.

    .venv/bin/python bench/plot_scheduler.py OUT.png --series "before, SQLite" run1.txt run2.txt \
        --series "after, SQLite" run3.txt ...

Each file is a saved output of scheduler_bench.py; its last line
(`tickets=N steady_tick_ms=X first_tick_ms=Y peak_rss_mb=Z drain_tickets_per_s=W`) is the point.
Log-log axes: a tick that grows with the open tickets is a rising line, one that does not is flat.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def point(path: Path) -> dict[str, float]:
    last = path.read_text().strip().splitlines()[-1]
    fields = dict(item.split("=", 1) for item in last.split())
    if "steady_tick_ms" not in fields:
        raise SystemExit(f"{path}: the last line is not a scheduler_bench result: {last!r}")
    return {key: float(value) for key, value in fields.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--series", nargs="+", action="append", metavar=("LABEL", "FILE"), required=True)
    args = parser.parse_args()
    figure = Figure(figsize=(7, 4.2), dpi=110)
    axes = figure.add_subplot()
    for label, *files in args.series:
        points = sorted((point(Path(f)) for f in files), key=lambda p: p["tickets"])
        axes.plot([p["tickets"] for p in points], [p["steady_tick_ms"] for p in points], marker="o", label=label)
        for p in points:
            axes.annotate(f"{p['steady_tick_ms']:,.0f}", (p["tickets"], p["steady_tick_ms"]),
                          textcoords="offset points", xytext=(4, 4), fontsize=7)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("open tickets")
    axes.set_ylabel("steady tick, median (ms)")
    axes.set_title("Worker tick against open tickets (bench/scheduler_bench.py)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    FigureCanvasAgg(figure).print_png(str(args.out))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
