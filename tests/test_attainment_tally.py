"""processors/attainment.py counts grouped clocks into the dashboard's figures, by the rules of
the reports: a clock counts once, in the period its end (the earlier of its stop and its breach)
falls in; an excused breach apart; resolved tickets are resolution clocks stopped, not handed away.
Each row below is worked out by hand against two weeks, W1 = [b0, b1) and W2 = [b1, b2)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

from processors.attainment import Figures, first_bucket, tally_clocks
from processors.periods import Period

B = [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (5, 12, 19)]  # Mondays: b0, b1, b2
W1, W2 = Period("week", "2026-W02", B[0], B[1], "UTC"), Period("week", "2026-W03", B[1], B[2], "UTC")
TARGETS = {"first_response": 0.85, "resolution": 0.95}


class Row(NamedTuple):
    vendor: str | None
    metric: str
    stopped_in: int | None = None
    breached_in: int | None = None
    due_in: int | None = None
    breached: int = 0
    overdue: int = 0
    excused: int = 0
    handaway: int = 0
    n: int = 1


ROWS = [
    Row("acme", "first_response", stopped_in=0, n=3),  # met in W1
    Row("acme", "first_response", stopped_in=1, breached_in=1, breached=1, n=2),  # breached in W2
    Row("acme", "first_response", stopped_in=1, breached_in=0, breached=1),  # breached W1, stopped W2: W1
    Row("acme", "first_response", due_in=1, overdue=1),  # running past its due instant in W2: a breach there
    Row("acme", "first_response", stopped_in=1, breached_in=1, breached=1, excused=1),  # excused: apart
    Row("acme", "resolution", stopped_in=1, n=4),  # met and resolved in W2
    Row("acme", "resolution", stopped_in=1, handaway=1, n=2),  # met, ended by a hand-away: not resolved
    Row("acme", "first_response", stopped_in=-1, n=7),  # before W1: nowhere
    Row("acme", "first_response", stopped_in=2, n=7),  # from b2 on: nowhere
    Row("acme", "first_response", due_in=0),  # not overdue (due later than now): nowhere
    Row("beta", "next_response", stopped_in=0),  # another vendor, a communication metric
]


def counts(figures: Figures, vendor: str, period: Period) -> dict[str, tuple[int, int, int]]:
    return {m: (s.counted, s.met, s.excused) for m, s in figures.metrics[(vendor, period.label)].items()}


def test_each_clock_counts_once_in_the_period_its_end_falls_in():
    figures = Figures()
    tally_clocks(ROWS, B, [W1, W2], TARGETS, figures)
    assert counts(figures, "acme", W1) == {"first_response": (4, 3, 0), "resolution": (0, 0, 0)}
    assert counts(figures, "acme", W2) == {"first_response": (3, 0, 1), "resolution": (6, 6, 0)}
    assert counts(figures, "beta", W1) == {"next_response": (1, 1, 0), "first_response": (0, 0, 0),
                                           "resolution": (0, 0, 0)}
    assert ("beta", W2.label) not in figures.metrics
    assert (figures.breaches[("acme", W1.label)], figures.breaches[("acme", W2.label)]) == (1, 3)
    assert (figures.excused[("acme", W1.label)], figures.excused[("acme", W2.label)]) == (0, 1)
    assert dict(figures.resolved) == {("acme", W2.label): 4}
    assert figures.stats("acme", W2, "first_response").target == 0.85
    assert figures.stats("beta", W1, "next_response").target is None  # no target given for it


def test_a_quarter_spanning_both_weeks_counts_them_together():
    quarter = Period("quarter", "2026-Q1", B[0], B[2], "UTC")
    figures = Figures()
    tally_clocks(ROWS, B, [W1, W2, quarter], TARGETS, figures)
    assert counts(figures, "acme", quarter) == {"first_response": (7, 3, 1), "resolution": (6, 6, 0)}
    assert figures.resolved[("acme", quarter.label)] == 4


def test_the_earliest_interval_of_those_given():
    assert first_bucket(None, None) is None
    assert first_bucket(2, None, 1) == 1 and first_bucket(-1, 0) == -1
