"""Dashboard page times with the demo history x100 (100,000 tickets) in a SQLite file.

    .venv/bin/python bench/dashboard_bench.py                    # --tickets 100000 --db /tmp/slawatch-bench.db
    .venv/bin/python bench/dashboard_bench.py --tickets 1000 --repeat 5 --figures stored

The history is generated straight into the database file with web.demo.fill (the real parser
and ingestion path, no HTTP); an existing file with tickets is reused (and upgraded). Then every
page is rendered with Flask's test client, `--repeat` times each, and the first, best and median
times are printed as a Markdown table (docs/benchmarks.md, "Dashboard"), for each `--figures`:

    absent   no stored figures: the stored ones are deleted before every render, so each render
             counts attainment live (what a page does without a worker, or with stale figures)
    stored   store.figures.refresh_figures first (the worker's step, timed), then the pages read them

Before each page's first render the database file is dropped from the OS page cache
(posix_fadvise DONTNEED), so "first" is a cold read from disk.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, func, select  # noqa: E402

from app import create_app  # noqa: E402
from store.db import Database, upgrade  # noqa: E402
from store.figures import refresh_figures  # noqa: E402
from store.models import ClockRow, DashboardFigures, Ticket  # noqa: E402
from store.rulebook import read_rules  # noqa: E402
from web import demo  # noqa: E402


def generate(url: str, tickets: int, seed: int) -> None:
    upgrade(url)  # also brings an older file up to the current tables
    database = Database(url)
    try:
        if not demo.store_is_empty(database):
            return
        started = time.perf_counter()
        now = datetime.now(timezone.utc).replace(microsecond=0)
        counts = demo.fill(database, read_rules(str(demo.RULES_PATH)), now, tickets=tickets, seed=seed)
        print(f"generated in {time.perf_counter() - started:.0f} s: {counts}", file=sys.stderr)
    finally:
        database.dispose()


def drop_from_page_cache(path: str) -> None:
    """Evict the database file (and its WAL) from the OS page cache: the next read is from disk."""
    for name in (path, path + "-wal"):
        if os.path.exists(name):
            fd = os.open(name, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def render_pages(client, database: Database, pages: list[str], args, figures: str) -> None:
    for page in pages:
        times = []
        drop_from_page_cache(args.db)
        for _ in range(args.repeat):
            if figures == "absent":
                database.write(lambda session: session.execute(delete(DashboardFigures)))
            started = time.perf_counter()
            response = client.get(page)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (page, response.status_code)
        print(f"| `{page}` | {figures} | {times[0] * 1000:.0f} ms | {min(times) * 1000:.0f} ms | "
              f"{statistics.median(times) * 1000:.0f} ms | {len(response.data):,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--db", default="/tmp/slawatch-bench.db")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--figures", choices=["absent", "stored", "both"], default="both")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    url = f"sqlite:///{args.db}"
    generate(url, args.tickets, args.seed)
    app = create_app({"SLAWATCH_DATABASE_URL": url, "SLAWATCH_RULES": str(demo.RULES_PATH),
                      "SLAWATCH_SCHEDULER_EXPECTED": False})
    client = app.test_client()
    database = Database(url)
    with database.reading() as session:
        tickets = session.scalar(select(func.count()).select_from(Ticket))
        clocks = session.scalar(select(func.count()).select_from(ClockRow))
        key = session.scalar(select(ClockRow.ticket).where(ClockRow.breached_at.is_not(None))
                             .order_by(ClockRow.ticket).limit(1))
    pages = ["/", "/vendors/acme", f"/tickets/{key}", "/rules"]
    print(f"{tickets:,} tickets, {clocks:,} clocks in {args.db}\n")
    print("| page | figures | first (cold) | best | median | bytes |\n|---|---|---:|---:|---:|---:|")
    for figures in (["absent", "stored"] if args.figures == "both" else [args.figures]):
        if figures == "stored":
            drop_from_page_cache(args.db)
            started = time.perf_counter()
            count = refresh_figures(database, read_rules(str(demo.RULES_PATH)), datetime.now(timezone.utc))
            print(f"| refresh_figures ({count} periods, the worker's step) | | "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms | | | |")
        render_pages(client, database, pages, args, figures)
    database.dispose()


if __name__ == "__main__":
    main()
