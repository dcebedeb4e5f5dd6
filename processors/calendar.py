"""Business time: how much open calendar time lies between two instants, and when a budget of
open time runs out.

INTERFACE CONTRACT (other modules rely on exactly this; the implementation may change):

    spec = CalendarSpec(timezone="Europe/Berlin", weekly=((( 9*3600, 17*3600),),)*5 + ((), ()))
    cal = Calendar(spec)
    cal.elapsed(start, end) -> timedelta   # open time in [start, end); 0 if end <= start
    cal.add(start, duration) -> datetime   # earliest t with elapsed(start, t) >= duration;
                                           # duration == 0 -> first open instant >= start
    cal.elapsed_us(a, b) -> int, cal.add_us(a, d) -> int   # same on epoch microseconds
    cal.is_open(at) -> bool
    cal.next_open(at) -> datetime          # first open instant >= at, in UTC

`add` returns UTC. Naive datetimes raise ValueError. When no open time is found within 20
consecutive years, `CalendarNeverOpen` (a ValueError) is raised instead of searching forever.

How: local dates get their hours from `_calendar_days.DaySchedule`; each local calendar year is
turned, on first use, into sorted UTC intervals in epoch microseconds with the running open time
(a `_YearBlock`), so a query is a couple of dict lookups and bisections. Integers throughout.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from processors._calendar_days import CalendarSpec, DayHours, DaySchedule, Interval  # noqa: F401 (re-exported)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)
_US_PER_MEAN_YEAR = 31_556_952_000_000  # 365.2425 days; only a first guess of an instant's year
_NEVER_OPEN_YEARS = 20


class CalendarNeverOpen(ValueError):
    """The calendar has no open time for 20 consecutive years from where some was needed."""


def to_us(at: datetime) -> int:
    """An aware datetime as integer microseconds since the Unix epoch."""
    try:
        since = at - _EPOCH  # TypeError for naive datetimes
    except TypeError:
        raise ValueError(f"{at!r} is not an aware datetime; business time needs one") from None
    return (since.days * 86400 + since.seconds) * 1_000_000 + since.microseconds


def from_us(us: int) -> datetime:
    """Epoch microseconds as an aware UTC datetime."""
    return _EPOCH + _duration(us)


def _duration(us: int) -> timedelta:
    seconds, micros = divmod(us, 1_000_000)
    return timedelta(0, seconds, micros)


class _YearBlock:
    """The open intervals of one local calendar year, in epoch microseconds.

    The block covers [lo, hi): local Jan 1 00:00 of `year` to that of the next year. `cum[i]` is
    the open time of the block before `starts[i]`, `cum_end[i]` the open time up to `ends[i]`.
    """

    __slots__ = ("year", "lo", "hi", "starts", "ends", "cum", "cum_end", "total")

    def __init__(self, year: int, lo: int, hi: int, intervals: list[list[int]]):
        self.year, self.lo, self.hi = year, lo, hi
        self.starts = [start for start, _ in intervals]
        self.ends = [end for _, end in intervals]
        self.cum, self.cum_end = [], []
        total = 0
        for start, end in intervals:
            self.cum.append(total)
            total += end - start
            self.cum_end.append(total)
        self.total = total

    def open_before(self, t: int) -> int:
        """Open time of the block in [lo, t), for lo <= t <= hi."""
        i = bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum[i] + (t if t < end else end) - self.starts[i]

    def instant_after(self, amount: int) -> int:
        """The earliest t with open_before(t) == amount, for 0 < amount <= total."""
        i = bisect_left(self.cum_end, amount)
        return self.starts[i] + amount - self.cum[i]

    def first_open(self, t: int) -> int | None:
        """The first open instant >= t inside the block, or None."""
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return t
        return self.starts[i + 1] if i + 1 < len(self.starts) else None


@lru_cache(maxsize=None)
def _wall_clock(seconds: int) -> time:
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _merged(spans: list[tuple[int, int]]) -> list[list[int]]:
    """Sorted spans with empty ones dropped and overlapping or touching ones joined."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


class Calendar:
    """Business-time arithmetic over one `CalendarSpec`; year blocks are built lazily and cached."""

    def __init__(self, spec: CalendarSpec):
        self.spec = spec
        self.zone = ZoneInfo(spec.timezone)
        self._days = DaySchedule(spec)
        self._always_open = spec.always_open
        self._blocks: dict[int, _YearBlock] = {}
        self._year_starts: dict[int, int] = {}

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return _duration(self.elapsed_us(to_us(start), to_us(end)))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return from_us(self.add_us(to_us(start), duration // _ONE_US))

    def is_open(self, at: datetime) -> bool:
        t = to_us(at)
        return self._always_open or self._block_of(t).first_open(t) == t

    def next_open(self, at: datetime) -> datetime:
        return from_us(self.next_open_us(to_us(at)))

    def elapsed_us(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        if self._always_open:
            return b - a
        first, last = self._block_of(a), self._block_of(b)
        if first is last:
            return last.open_before(b) - first.open_before(a)
        total = first.total - first.open_before(a) + last.open_before(b)
        for year in range(first.year + 1, last.year):
            total += self._block(year).total
        return total

    def add_us(self, a: int, d: int) -> int:
        if d < 0:
            raise ValueError(f"negative business duration: {d} µs")
        if self._always_open:
            return a + d
        if d == 0:
            return self.next_open_us(a)
        block = self._block_of(a)
        amount = block.open_before(a) + d
        if amount <= block.total:
            return block.instant_after(amount)
        amount -= block.total
        for block in self._blocks_after(block):
            if amount <= block.total:
                return block.instant_after(amount)
            amount -= block.total
        raise AssertionError("unreachable: _blocks_after never ends")  # pragma: no cover

    def next_open_us(self, t: int) -> int:
        if self._always_open:
            return t
        block = self._block_of(t)
        found = block.first_open(t)
        if found is not None:
            return found
        for block in self._blocks_after(block):
            if block.starts:
                return block.starts[0]
        raise AssertionError("unreachable: _blocks_after never ends")  # pragma: no cover

    def _blocks_after(self, block: _YearBlock):
        """The blocks of the following years; CalendarNeverOpen after 20 without open time."""
        empty = 0
        while True:
            block = self._block(block.year + 1)
            empty = empty + 1 if block.total == 0 else 0
            if empty >= _NEVER_OPEN_YEARS:
                raise CalendarNeverOpen(
                    f"calendar {self.spec.timezone} has no open time from {block.year - empty + 1}"
                    f" to {block.year}"
                )
            yield block

    def _block_of(self, t: int) -> _YearBlock:
        """The block of the local year that contains instant t."""
        year = 1970 + t // _US_PER_MEAN_YEAR
        block = self._blocks.get(year)
        if block is not None and block.lo <= t < block.hi:
            return block
        while t < self._year_start(year):
            year -= 1
        while t >= self._year_start(year + 1):
            year += 1
        return self._block(year)

    def _year_start(self, year: int) -> int:
        start = self._year_starts.get(year)
        if start is None:
            start = self._year_starts[year] = to_us(datetime(year, 1, 1, tzinfo=self.zone))
        return start

    def _block(self, year: int) -> _YearBlock:
        block = self._blocks.get(year)
        if block is None:
            block = self._blocks[year] = self._build(year)
        return block

    def _build(self, year: int) -> _YearBlock:
        lo, hi = self._year_start(year), self._year_start(year + 1)
        spans = []
        for day, hours in self._days.year(year):
            for start, end in hours:
                # Clipping to the year only matters in zones that shift their clocks at New Year.
                spans.append((max(self._local_us(day, start), lo), min(self._local_us(day, end), hi)))
        return _YearBlock(year, lo, hi, _merged(spans))

    def _local_us(self, day: date, seconds: int) -> int:
        """Local wall-clock `seconds` after midnight of `day` (fold=0) in epoch microseconds."""
        if seconds == 86400:
            day, seconds = day + timedelta(days=1), 0
        return to_us(datetime.combine(day, _wall_clock(seconds), tzinfo=self.zone))
