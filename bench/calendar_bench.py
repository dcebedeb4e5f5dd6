"""Business-time arithmetic: processors.calendar against the `businesstimedelta` package.

    .venv/bin/python bench/calendar_bench.py [--n N] [--repeat R] [--seed S]

Both libraries get the same calendar (America/Los_Angeles, Monday to Friday 09:00-12:00 and
13:00-18:00, a few explicit holidays per year) and the same random inputs from a fixed seed. The
script first checks that both give identical answers on every input and stops at the first
mismatch, then times them (best of R repetitions, time.perf_counter) and prints operations per
second and the ratio, for `elapsed` and for `add`.

Inputs are restricted to what businesstimedelta answers as documented here: whole seconds (its
`difference` rebuilds the result from whole hours and seconds, dropping microseconds) and
end >= start (it sorts the two instants, so a reversed span gets a positive answer; ours is 0).
Its HolidayRule also walks day by day and fails (TypeError) when no holiday lies within five years
of a date, so the holiday list covers the whole input range.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time as clock
from datetime import date, datetime, time, timedelta, timezone

import pytz
from businesstimedelta import BusinessTimeDelta, HolidayRule, LunchTimeRule, Rules, WorkDayRule

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from processors.calendar import Calendar, CalendarSpec, from_us, to_us  # noqa: E402

ZONE = "America/Los_Angeles"
H = 3600
HOLIDAYS = frozenset(
    date(year, month, day)
    for year in (2025, 2026, 2027)
    for month, day in ((1, 1), (5, 25), (7, 3), (9, 7), (11, 26), (11, 27), (12, 24), (12, 25))
)
FIRST_START = datetime(2025, 1, 1, tzinfo=timezone.utc)
START_RANGE_SECONDS = 2 * 365 * 86400
MAX_SPAN_SECONDS = 14 * 86400  # elapsed: end up to two calendar weeks after start
MAX_DURATION_SECONDS = 45 * H  # add: up to five business days


def ours() -> Calendar:
    day = ((9 * H, 12 * H), (13 * H, 18 * H))
    return Calendar(CalendarSpec(ZONE, weekly=(day,) * 5 + ((), ()), holiday_dates=HOLIDAYS))


def theirs() -> Rules:
    tz = pytz.timezone(ZONE)
    weekdays = [0, 1, 2, 3, 4]
    return Rules([
        WorkDayRule(start_time=time(9), end_time=time(18), working_days=weekdays, tz=tz),
        LunchTimeRule(start_time=time(12), end_time=time(13), working_days=weekdays, tz=tz),
        HolidayRule(set(HOLIDAYS), tz=tz),
    ])


def inputs(n: int, seed: int):
    """n (start, end) pairs for elapsed and n (start, duration) pairs for add, whole seconds."""
    rng = random.Random(seed)
    tz = pytz.timezone(ZONE)

    def instant() -> datetime:
        utc = FIRST_START + timedelta(seconds=rng.randrange(START_RANGE_SECONDS))
        return utc.astimezone(tz)  # a pytz-localized datetime, as businesstimedelta expects

    spans = []
    for _ in range(n):
        start = instant()
        spans.append((start, start + timedelta(seconds=rng.randrange(MAX_SPAN_SECONDS))))
    budgets = [(instant(), timedelta(seconds=rng.randrange(MAX_DURATION_SECONDS))) for _ in range(n)]
    return spans, budgets


def check(cal: Calendar, rules: Rules, spans, budgets) -> None:
    for start, end in spans:
        mine, other = cal.elapsed(start, end), rules.difference(start, end).timedelta
        if mine != other or cal.elapsed_us(to_us(start), to_us(end)) != mine // timedelta(microseconds=1):
            sys.exit(f"MISMATCH elapsed({start.isoformat()}, {end.isoformat()}): ours {mine}, "
                     f"businesstimedelta {other}")
    for start, duration in budgets:
        mine, other = cal.add(start, duration), start + BusinessTimeDelta(rules, timedelta=duration)
        if mine != other or from_us(cal.add_us(to_us(start), duration // timedelta(microseconds=1))) != mine:
            sys.exit(f"MISMATCH add({start.isoformat()}, {duration}): ours {mine.isoformat()}, "
                     f"businesstimedelta {other.astimezone(timezone.utc).isoformat()}")
    print(f"checked: identical answers on {len(spans)} elapsed and {len(budgets)} add inputs"
          " (whole seconds and end >= start only: businesstimedelta's difference drops the"
          " microseconds and answers |end - start| for reversed spans)")


def best_rate(run, count: int, repeat: int) -> float:
    """Operations per second of the fastest of `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        began = clock.perf_counter()
        run()
        best = min(best, clock.perf_counter() - began)
    return count / best


def bench(cal: Calendar, rules: Rules, spans, budgets, repeat: int) -> None:
    n = len(spans)
    spans_us = [(to_us(a), to_us(b)) for a, b in spans]
    budgets_us = [(to_us(a), d // timedelta(microseconds=1)) for a, d in budgets]
    rows = [
        ("elapsed", lambda: [cal.elapsed(a, b) for a, b in spans],
         lambda: [cal.elapsed_us(a, b) for a, b in spans_us],
         lambda: [rules.difference(a, b) for a, b in spans], n),
        ("add", lambda: [cal.add(a, d) for a, d in budgets],
         lambda: [cal.add_us(a, d) for a, d in budgets_us],
         lambda: [a + BusinessTimeDelta(rules, timedelta=d) for a, d in budgets], n),
    ]
    print(f"{'operation':<10}{'ours (datetime)':>18}{'ours (epoch µs)':>18}"
          f"{'businesstimedelta':>20}{'ratio (datetime)':>18}")
    for name, mine, mine_us, other, count in rows:
        theirs_rate = best_rate(other, count, max(1, repeat // 2))
        mine_rate, mine_us_rate = best_rate(mine, count, repeat), best_rate(mine_us, count, repeat)
        print(f"{name:<10}{mine_rate:>14,.0f} /s{mine_us_rate:>14,.0f} /s{theirs_rate:>16,.0f} /s"
              f"{mine_rate / theirs_rate:>17,.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="inputs per operation (default 1000)")
    parser.add_argument("--repeat", type=int, default=5, help="timing repetitions, best kept")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
          f"n={args.n}, repeat={args.repeat}, seed={args.seed}")
    print(f"calendar: {ZONE}, Mon-Fri 09:00-12:00 + 13:00-18:00, {len(HOLIDAYS)} holidays 2025-2027;"
          f" starts in 2025-2026, spans < 14 days, durations < 45 business hours, whole seconds")
    cal, rules = ours(), theirs()
    spans, budgets = inputs(args.n, args.seed)
    began = clock.perf_counter()
    cal.elapsed(datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2028, 1, 1, tzinfo=timezone.utc))
    print(f"ours, cold: building the year blocks 2024-2027 took {(clock.perf_counter() - began) * 1000:.1f} ms"
          " (once per calendar; the timings below run on warm caches)")
    check(cal, rules, spans, budgets)
    bench(cal, rules, spans, budgets, args.repeat)


if __name__ == "__main__":
    main()
