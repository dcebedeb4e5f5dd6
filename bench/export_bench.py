"""`slawatch export` of a quarter: time and peak memory, at 100,000 tickets in a SQLite file.

    .venv/bin/python bench/export_bench.py                  # --tickets 100000 --db /tmp/slawatch-export.db
    .venv/bin/python bench/export_bench.py --tickets 2000 --db /tmp/export-small.db

The demo history (web.demo.fill: the real parser and ingestion path) of `--base` tickets is
generated once into the file, every ticket created inside one quarter (2026-Q4, the 11 weeks
before 2026-12-20 in the demo's zone), then its tickets, clocks and excuses are copied under
renumbered keys (NET-7 -> NET-5007, ...) up to `--tickets`: an export reads only those tables,
and ingesting 100,000 tickets through the parser takes an hour on a shared machine. An existing
file with tickets is reused. Then each export runs in a fresh child
process (so its peak RSS is its own), through the same functions as `slawatch export`:

    read     the baseline: the same keyset scan of the clocks, rows built, nothing written
    csv      --format csv --out FILE
    xlsx     --format xlsx --out FILE (web/xlsx.py)
    json     --format json --out FILE

for the quarter and for one week of it. Printed: rows, seconds, the ratio to `read` of the same
period, peak RSS, and the quarter's peak RSS over the week's (flat memory: close to 1).
"""
from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from store.db import Database, upgrade  # noqa: E402
from store.models import ClockRow, ExcusedBreach, Ticket  # noqa: E402
from store.rulebook import read_rules  # noqa: E402
from web import demo  # noqa: E402

NOW = datetime(2026, 12, 20, 4, 0, tzinfo=timezone.utc)  # noon in Shanghai; the history: 11 weeks before
QUARTER, WEEK = "2026-Q4", "2026-W47"
FORMATS = ("read", "csv", "xlsx", "json")


def generate(url: str, tickets: int, base: int) -> None:
    upgrade(url)
    database = Database(url)
    try:
        if demo.store_is_empty(database):
            started = time.perf_counter()
            counts = demo.fill(database, read_rules(str(demo.RULES_PATH)), NOW, tickets=min(base, tickets),
                               weeks=11, seed=11)
            print(f"generated in {time.perf_counter() - started:.0f} s: {counts}", file=sys.stderr)
            started = time.perf_counter()
            for copy in range(1, -(-tickets // base)):
                database.write(lambda session: _copy(session, copy * base, tickets, base))
            print(f"copied up to {tickets:,} tickets in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    finally:
        database.dispose()


def _copy(session, offset: int, limit: int, base: int) -> None:
    """The base tickets again, numbered `offset` higher (those numbered past `limit` left out)."""
    def renumber(key: str) -> str | None:
        project, number = key.rsplit("-", 1)
        return f"{project}-{int(number) + offset}" if int(number) + offset <= limit else None

    for model, key in ((Ticket, "key"), (ClockRow, "ticket"), (ExcusedBreach, "ticket")):
        table = model.__table__
        rows = []
        for row in session.execute(select(table)).mappings():
            if int(row[key].rsplit("-", 1)[1]) > base:
                continue
            values = {k: v for k, v in row.items() if k != "id"}
            values[key] = renumber(row[key])
            if values[key] is None:
                continue
            if model is ExcusedBreach:
                values["alert_key"] = f"{row['alert_key']}:copy{offset}"
            rows.append(values)
        if rows:
            session.execute(insert(table), rows)


def run_one(url: str, label: str, fmt: str, out: str) -> dict:
    """In this (child) process: one export; its rows, seconds and peak RSS."""
    from processors.evidence import parse_period
    from web.exports import counted_clocks, csv_chunks, json_chunks, period_filter, rows_of, write_xlsx

    rules = read_rules(str(demo.RULES_PATH))
    period = parse_period(label, rules.reports.weekly.timezone)
    database = Database(url)
    names = {v.id: v.name for v in rules.vendors}
    count = [0]

    def rows():
        for row in rows_of(counted_clocks(database, period_filter(period, None, None), period, NOW), NOW, names):
            count[0] += 1
            yield row

    started = time.perf_counter()
    if fmt == "read":
        for _ in rows():
            pass
    elif fmt == "xlsx":
        write_xlsx(rows(), out)
    else:
        with open(out, "w", encoding="utf-8", newline="") as file:
            file.writelines(csv_chunks(rows()) if fmt == "csv" else json_chunks(rows()))
    seconds = time.perf_counter() - started
    database.dispose()
    return {"rows": count[0], "seconds": seconds, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "bytes": Path(out).stat().st_size if fmt != "read" else 0}


def child(url: str, label: str, fmt: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / f"export.{fmt}")
        done = subprocess.run([sys.executable, __file__, "--child", url, label, fmt, out],
                              check=True, capture_output=True, text=True)
        return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", default="/tmp/slawatch-export.db")
    parser.add_argument("--base", type=int, default=5000, help="tickets generated through the parser")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.child:
        print(json.dumps(run_one(*args.child)))
        return
    url = f"sqlite:///{args.db}"
    generate(url, args.tickets, args.base)
    results = {(label, fmt): child(url, label, fmt) for label in (WEEK, QUARTER) for fmt in FORMATS}
    print(f"{args.tickets:,} tickets in {args.db}\n")
    print("| period | format | rows | time | ratio to read | peak RSS | file |\n|---|---|---:|---:|---:|---:|---:|")
    for (label, fmt), r in results.items():
        ratio = r["seconds"] / results[(label, "read")]["seconds"]
        print(f"| {label} | {fmt} | {r['rows']:,} | {r['seconds']:.1f} s | {ratio:.2f} | "
              f"{r['peak_kib'] / 1024:.0f} MiB | {r['bytes'] / 1e6:.1f} MB |")
    print()
    for fmt in FORMATS:
        ratio = results[(QUARTER, fmt)]["peak_kib"] / results[(WEEK, fmt)]["peak_kib"]
        print(f"peak RSS {fmt}: quarter / week = {ratio:.2f}")


if __name__ == "__main__":
    main()
