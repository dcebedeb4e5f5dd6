"""The backtest (processors/backtest.py) without a database: tickets' events judged under the rules
in force and under proposed rules, the clocks counted in the window, the attainment per vendor, the
verdict changes and the text `slawatch backtest` prints, each worked out by hand.

Rules: 24x7, vendor acme (component Network), one policy: first response 1h, resolution 8h; the
proposed rules cut first response to 15m. Window: January 2026 (UTC); judged at 10 Jan 00:00Z."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

import pytest

from processors.backtest import ALL, Backtest, Change, Comparison, render
from processors.events import EventKind, Person, TicketEvent
from processors.periods import Period
from processors.reports import ClockRecord, MetricStats
from processors.rules import parse_rules

UTC = timezone.utc
FR, RES, NR = "first_response", "resolution", "next_response"
RULES_TEXT = """\
version: 1
calendars:
  always: 24x7
vendors:
  acme:
    name: ACME Outsourcing
    match: {components: [Network]}
policies:
  - name: standard
    calendar: always
    metrics:
      first_response: {target: 1h}
      resolution: {target: 8h}
targets:
  first_response: 85%
  resolution: 95%
"""
CURRENT = parse_rules(RULES_TEXT, path="current.yaml")
PROPOSED = parse_rules(RULES_TEXT.replace("{target: 1h}", "{target: 15m}")
                       .replace("  resolution: 95%", "  resolution: 90%\n  communication: 70%"), path="proposed.yaml")
JAN = Period("month", "2026-01", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC), "UTC")
NOW = datetime(2026, 1, 10, tzinfo=UTC)
T9 = datetime(2026, 1, 5, 9, tzinfo=UTC)
M = timedelta(minutes=1)
REPORTER = Person(account_id="r-1", display_name="Rita")
AGENT = Person(account_id="a-1", display_name="Alice")
_ids = count(1)


def _ev(key: str, kind: EventKind, at: datetime, who: Person, **fields) -> TicketEvent:
    return TicketEvent(key, kind, at, f"e{next(_ids)}", actor=who, **fields)


def ticket(key: str, created: datetime, answered_after: timedelta, network: bool = True) -> list[TicketEvent]:
    """Created at `created`, answered `answered_after` later, resolved 3 hours after creation."""
    facts = {"project": "OPS", "priority": "Medium", "status": "Open", "status_category": "new",
             "issuetype": "Incident", "summary": f"{key} summary", "reporter": REPORTER, "assignee": None,
             "resolution": None, "labels": (), "components": ("Network",) if network else ()}
    return [_ev(key, EventKind.CREATED, created, REPORTER, facts=facts),
            _ev(key, EventKind.COMMENTED, created + answered_after, AGENT, public=True),
            _ev(key, EventKind.RESOLVED, created + timedelta(hours=3), AGENT, to_value="Done",
                facts={"resolution": "Done"})]


# OPS-1 acme answered after 20m: met in 1h, breached (+5m) in 15m. OPS-2 acme after 5m: met in both.
# OPS-3 no vendor after 90m: breached in both (+30m, +1h15m). All resolved after 3h: met in 8h.
HISTORY = [ticket("OPS-1", T9, 20 * M), ticket("OPS-2", T9 + 60 * M, 5 * M),
           ticket("OPS-3", T9 + 1440 * M, 90 * M, network=False)]


def run(history=HISTORY, vendor=None) -> Comparison:
    test = Backtest(CURRENT, PROPOSED, JAN, NOW, vendor)
    for events in history:
        test.add(events)
    return test.result()


def _shares(stats) -> dict:
    return {key: (s.met, s.counted) for key, s in stats.items()}


# ---- judging the tickets -------------------------------------------------------------------

def test_the_clocks_counted_under_each_rules_set():
    test = Backtest(CURRENT, PROPOSED, JAN, NOW)
    for events in HISTORY:
        test.add(events)
    before, after = test.records()
    assert test.tickets == 3
    # each ticket's first response and resolution, under each side, in the order added
    assert [(r.ticket, r.metric, r.vendor, r.met) for r in before] == [
        ("OPS-1", FR, "acme", True), ("OPS-1", RES, "acme", True), ("OPS-2", FR, "acme", True),
        ("OPS-2", RES, "acme", True), ("OPS-3", FR, None, False), ("OPS-3", RES, None, True)]
    assert [(r.ticket, r.metric, r.met) for r in after] == [
        ("OPS-1", FR, False), ("OPS-1", RES, True), ("OPS-2", FR, True), ("OPS-2", RES, True),
        ("OPS-3", FR, False), ("OPS-3", RES, True)]
    one = before[0]  # OPS-1 first response: 20 min of 1 h, stopped at the answer
    assert (one.cycle, one.target_seconds, one.elapsed_seconds, one.stopped_at, one.breached_at) == (
        1, 3600, 1200, T9 + 20 * M, None)
    assert (one.summary, one.rules_version, one.ended_by) == ("OPS-1 summary", CURRENT.version, "response")
    late = after[0]  # under 15 min: breached at 09:15, 5 min over
    assert (late.target_seconds, late.breached_at, late.over_seconds, late.rules_version) == (
        900, T9 + 15 * M, 300, PROPOSED.version)


def test_an_empty_ticket_is_not_counted_and_one_not_created_yet_counts_no_clock():
    test = Backtest(CURRENT, PROPOSED, JAN, NOW)
    test.add([])  # no events: not a ticket
    assert test.tickets == 0
    test.add(ticket("OPS-9", NOW + M, 5 * M))  # created after `now`: no state, no clocks
    assert test.tickets == 1 and test.records() == ([], [])


def test_a_ticket_given_as_a_generator():
    # any iterable of events: read once, then judged under both rules (and an empty one is no ticket)
    test = Backtest(CURRENT, PROPOSED, JAN, NOW)
    test.add(e for e in [])
    test.add(e for e in HISTORY[0])
    before, after = test.records()
    assert test.tickets == 1
    assert [(r.metric, r.met) for r in before] == [(FR, True), (RES, True)]
    assert [(r.metric, r.met) for r in after] == [(FR, False), (RES, True)]


def test_only_the_proposed_rules_when_the_current_clocks_come_from_the_cache():
    test = Backtest(CURRENT, PROPOSED, JAN, NOW)
    test.add(HISTORY[0], current=False)
    before, after = test.records()
    assert before == [] and [(r.metric, r.met) for r in after] == [(FR, False), (RES, True)]
    assert test.tickets == 1
    cached = ClockRecord("OPS-1", FR, 1, "acme", 3600, 1200, T9 + 20 * M, None)
    test.add_current([cached])
    assert test.records()[0] == [cached]


def _clock(ended: datetime | None, vendor: str | None = "acme", breached: datetime | None = None,
           metric: str = FR, ticket_: str = "X-1") -> ClockRecord:
    return ClockRecord(ticket_, metric, 1, vendor, 3600, 600, ended, breached)


@pytest.mark.parametrize("record, vendor, counted", [
    (_clock(JAN.start), None, True),  # ended at the window's first instant
    (_clock(JAN.start - timedelta(seconds=1)), None, False),  # a second before
    (_clock(JAN.end - timedelta(seconds=1)), None, True),  # the last second
    (_clock(JAN.end), None, False),  # the end is exclusive
    (_clock(None), None, False),  # not ended: counted nowhere
    (_clock(None, breached=JAN.start), None, True),  # open but breached in the window
    (_clock(JAN.start, vendor="globex"), "acme", False),  # another vendor than the one asked for
    (_clock(JAN.start, vendor=None), "acme", False),
    (_clock(JAN.start, vendor="acme"), "acme", True),
])
def test_what_counts_in_the_window(record, vendor, counted):
    test = Backtest(CURRENT, PROPOSED, JAN, NOW, vendor)
    test.add_current([record])
    assert test.records()[0] == ([record] if counted else [])


def test_a_vendors_backtest_judges_only_its_clocks():
    comparison = run(vendor="acme")
    assert comparison.vendor == "acme" and comparison.tickets == 3  # every ticket evaluated
    assert sorted({v for v, _m in comparison.before}) == [ALL, "acme"]  # OPS-3 (no vendor) not counted


def test_absorb_adds_a_workers_part():
    test = Backtest(CURRENT, PROPOSED, JAN, NOW)
    test.add(HISTORY[0])
    a, b = _clock(JAN.start, ticket_="W-1"), _clock(JAN.start, ticket_="W-2")
    test.absorb(2, [a], [b])
    before, after = test.records()
    assert test.tickets == 3 and before[-1] is a and after[-1] is b and len(before) == len(after) == 3


# ---- the attainment ------------------------------------------------------------------------

def test_attainment_per_vendor_all_and_no_vendor():
    comparison = run()
    # acme: first response 2 of 2 -> 1 of 2; no vendor 0 of 1 both; all 2 of 3 -> 1 of 3; resolution all met
    assert _shares(comparison.before) == {
        ("acme", FR): (2, 2), ("acme", RES): (2, 2), ("no vendor", FR): (0, 1), ("no vendor", RES): (1, 1),
        (ALL, FR): (2, 3), (ALL, RES): (3, 3)}
    assert _shares(comparison.after) == {
        ("acme", FR): (1, 2), ("acme", RES): (2, 2), ("no vendor", FR): (0, 1), ("no vendor", RES): (1, 1),
        (ALL, FR): (1, 3), (ALL, RES): (3, 3)}
    # each side's own targets
    assert (comparison.before[(ALL, RES)].target, comparison.after[(ALL, RES)].target) == (0.95, 0.90)
    assert comparison.before[("acme", FR)] == MetricStats(FR, 0.85, 2, 2, 0, 300, 1200)  # 5 and 20 minutes


def test_communication_metrics_only_where_counted_with_their_targets():
    test = Backtest(CURRENT, PROPOSED, JAN, NOW)
    test.absorb(1, [], [_clock(JAN.start, metric=NR), _clock(JAN.start, metric=FR)])
    comparison = test.result()
    # no next_response clock under the rules in force: only the two clocked metrics there
    assert comparison.before == {}  # nothing counted at all under the rules in force: no lines
    assert sorted(comparison.after) == sorted([("acme", FR), ("acme", RES), ("acme", NR),
                                               (ALL, FR), (ALL, RES), (ALL, NR)])
    # proposed: next_response's target is the communication target, 70%
    assert comparison.after[("acme", NR)] == MetricStats(NR, 0.70, 1, 1, 0, 600, 600)
    test2 = Backtest(CURRENT, PROPOSED, JAN, NOW)
    test2.absorb(1, [_clock(JAN.start, metric=NR)], [])
    assert test2.result().before[(ALL, NR)].target == 0.80  # no communication target: 80% by default


# ---- the changes ---------------------------------------------------------------------------

def test_breaches_gained_and_lost():
    comparison = run()
    (change,) = comparison.changes  # OPS-3 is breached under both: no change
    assert (change.ticket, change.metric, change.cycle) == ("OPS-1", FR, 1)
    assert change.before.met and not change.after.met and change.gained
    assert comparison.gained == (change,) and comparison.lost == () and comparison.changed_tickets == ("OPS-1",)
    assert not comparison.unchanged


def _r(ticket_: str, met: bool, metric: str = FR, cycle: int = 1) -> ClockRecord:
    return ClockRecord(ticket_, metric, cycle, "acme", 3600, 600 if met else 4000, JAN.start,
                       None if met else JAN.start)


@pytest.mark.parametrize("before, after, changes", [
    ([], [], []),
    ([_r("A", True)], [_r("A", True)], []),  # met under both
    ([_r("A", False)], [_r("A", False)], []),  # breached under both: not a change
    ([_r("A", True)], [_r("A", False)], [("A", True, False, True)]),  # gained
    ([_r("A", False)], [_r("A", True)], [("A", False, True, False)]),  # lost
    ([], [_r("A", False)], [("A", None, False, True)]),  # counted only now, breached: gained
    ([], [_r("A", True)], []),  # counted only now, met: nothing gained or lost
    ([_r("A", False)], [], [("A", False, None, False)]),  # a breach no longer counted: lost
    ([_r("A", True)], [], []),
    # sorted by ticket, metric, cycle whatever the order met
    ([_r("B", True), _r("A", True, RES), _r("A", True, FR, 2), _r("A", True)],
     [_r("A", False, FR, 2), _r("A", False), _r("B", False), _r("A", False, RES)],
     [("A", True, False, True), ("A", True, False, True), ("A", True, False, True), ("B", True, False, True)]),
])
def test_changes(before, after, changes):
    test = Backtest(CURRENT, PROPOSED, JAN, NOW)
    test.absorb(0, before, after)
    got = test.result().changes
    assert [(c.ticket, None if c.before is None else c.before.met, None if c.after is None else c.after.met,
             c.gained) for c in got] == changes
    keys = [(c.ticket, c.metric, c.cycle) for c in got]
    assert keys == sorted(keys)


@pytest.mark.parametrize("after, gained", [(None, False), (_r("A", True), False), (_r("A", False), True)])
def test_a_change_is_gained_when_breached_under_the_proposed_rules(after, gained):
    assert Change("A", FR, 1, None, after).gained is gained


def test_unchanged_needs_no_changes_and_the_same_shares():
    same = {(ALL, FR): MetricStats(FR, 0.85, 2, 1, 0, None, None)}
    other_target = {(ALL, FR): MetricStats(FR, 0.5, 2, 1, 0, 5, 5)}  # only met/counted compared
    fewer = {(ALL, FR): MetricStats(FR, 0.85, 3, 1, 0, None, None)}
    change = Change("A", FR, 1, None, _r("A", False))
    assert Comparison(JAN, None, 1, same, other_target, ()).unchanged
    assert not Comparison(JAN, None, 1, same, fewer, ()).unchanged
    assert not Comparison(JAN, None, 1, same, same, (change,)).unchanged
    assert Comparison(JAN, None, 1, same, same, (change,)).changed_tickets == ("A",)


# ---- the text ------------------------------------------------------------------------------

HEADER = ("vendor                   metric                  rules in force               proposed    change")


def _line(label: str, metric: str, was: str, now: str, delta: str, change_width: int = 9) -> str:
    return " ".join([label.ljust(24), metric.ljust(15), was.rjust(22), now.rjust(22), delta.rjust(change_width)])


def test_render_every_line():
    text = render(run(), {"acme": "ACME Outsourcing"}, "https://jira.example.com/")
    assert text.split("\n") == [
        "Backtest 2026-01-01 .. 2026-02-01 (end exclusive), 3 tickets", "", HEADER,
        # vendors by id, all vendors last; attainment as "%5.1f% (met/counted)"; change now - before
        _line("ACME Outsourcing", FR, "100.0% (2/2)", " 50.0% (1/2)", "-50.0pp"),
        _line("ACME Outsourcing", RES, "100.0% (2/2)", "100.0% (2/2)", "+0.0pp"),
        _line("no vendor", FR, "  0.0% (0/1)", "  0.0% (0/1)", "+0.0pp"),
        _line("no vendor", RES, "100.0% (1/1)", "100.0% (1/1)", "+0.0pp"),
        _line("all vendors", FR, " 66.7% (2/3)", " 33.3% (1/3)", "-33.3pp"),  # (1/3 - 2/3) x 100
        _line("all vendors", RES, "100.0% (3/3)", "100.0% (3/3)", "+0.0pp"),
        "", "breaches gained: 1, lost: 0, tickets whose verdict changes: 1",
        # 20 min against 15: 5 min over; the Jira link without a doubled slash
        "  OPS-1 first_response #1: met -> breached (+5m)  https://jira.example.com/browse/OPS-1",
    ]
    assert HEADER == _line("vendor", "metric", "rules in force", "proposed", "change")


def test_render_of_one_vendor_says_so_and_links_nothing_without_jira():
    text = render(run(vendor="acme"), {}, None)
    lines = text.split("\n")
    assert lines[0] == "Backtest 2026-01-01 .. 2026-02-01 (end exclusive), 3 tickets, vendor acme"
    assert lines[3] == _line("acme", FR, "100.0% (2/2)", " 50.0% (1/2)", "-50.0pp")  # no name: the id
    assert lines[-1] == "  OPS-1 first_response #1: met -> breached (+5m)"


def _comparison(before: dict, after: dict, changes=()) -> Comparison:
    return Comparison(JAN, None, 0, before, after, tuple(changes))


def _stats(met: int, counted: int, metric: str = FR) -> MetricStats:
    return MetricStats(metric, 0.85, counted, met, 0, None, None)


@pytest.mark.parametrize("was, now, cells", [
    # a side without the line, or with nothing counted: a dash, and no change
    (None, _stats(1, 2), ("    -", " 50.0% (1/2)", "")),
    (_stats(1, 2), None, (" 50.0% (1/2)", "    -", "")),
    (_stats(0, 0), _stats(1, 2), ("    -", " 50.0% (1/2)", "")),
    (_stats(1, 2), _stats(0, 0), (" 50.0% (1/2)", "    -", "")),
    (_stats(1, 4), _stats(3, 4), (" 25.0% (1/4)", " 75.0% (3/4)", "+50.0pp")),
    (_stats(2, 3), _stats(2, 3), (" 66.7% (2/3)", " 66.7% (2/3)", "+0.0pp")),
])
def test_render_attainment_cells(was, now, cells):
    before = {("acme", FR): was} if was else {}
    after = {("acme", FR): now} if now else {}
    lines = render(_comparison(before, after), {}, None).split("\n")
    assert lines[3] == _line("acme", FR, *cells)


def test_render_metrics_in_rules_order_communication_last():
    stats = {("acme", m): _stats(1, 1, m) for m in (NR, RES, FR, "periodic_update")}
    lines = render(_comparison(stats, {}), {}, None).split("\n")
    assert [line.split()[1] for line in lines[3:7]] == [FR, RES, NR, "periodic_update"]


def test_render_a_wide_change_widens_its_column():
    # +100.0pp is 8 wide (the column is at least 9); a long delta widens every line of the column
    lines = render(_comparison({("acme", FR): _stats(0, 1)}, {("acme", FR): _stats(1, 1)}), {}, None).split("\n")
    assert lines[3].endswith(" +100.0pp") and len(lines[3]) == len(lines[2])


def test_render_no_change():
    comparison = _comparison({("acme", FR): _stats(1, 2)}, {("acme", FR): MetricStats(FR, 0.5, 2, 1, 0, 1, 1)})
    lines = render(comparison, {}, None).split("\n")
    assert lines[-2:] == ["breaches gained: 0, lost: 0, tickets whose verdict changes: 0",
                          "no change: the proposed rules judge this history exactly as the rules in force"]
    # a different share without any verdict change is not "no change"
    changed = _comparison({("acme", FR): _stats(1, 2)}, {("acme", FR): _stats(2, 2)})
    assert "no change" not in render(changed, {}, None)


def _over(ticket_: str, over: int | None, metric: str = FR) -> ClockRecord | None:
    if over is None:
        return None
    return ClockRecord(ticket_, metric, 2, "acme", 3600, 3600 + over, JAN.start, None if over <= 0 else JAN.start)


@pytest.mark.parametrize("before, after, text", [
    (0, 300, "met -> breached (+5m)"),
    (None, 4500, "not counted -> breached (+1h15m)"),  # 75 minutes
    (3600, None, "breached (+1h00m) -> not counted"),  # whole hours with two-digit minutes
    (60, -60, "breached (+1m) -> met"),
    (59, 0, "breached (+0m) -> met"),  # under a minute shows 0m
    (36000 + 540, 0, "breached (+10h09m) -> met"),
])
def test_render_verdicts(before, after, text):
    change = Change("OPS-7", FR, 2, _over("OPS-7", before), _over("OPS-7", after))
    lines = render(_comparison({}, {}, [change]), {}, None).split("\n")
    assert lines[-1] == f"  OPS-7 first_response #2: {text}"


@pytest.mark.parametrize("changes, limit, shown, more", [
    (3, 3, 3, None),  # exactly the limit: all shown, no "more" line
    (4, 3, 3, "  ... and 1 more"),
    (2, 3, 2, None),
    (1, 0, 0, "  ... and 1 more"),
])
def test_render_at_most_limit_changes(changes, limit, shown, more):
    listed = [Change(f"OPS-{i}", FR, 1, None, _over(f"OPS-{i}", 60)) for i in range(changes)]
    lines = render(_comparison({}, {}, listed), {}, None, limit=limit).split("\n")
    assert sum(line.startswith("  OPS-") for line in lines) == shown
    if more:
        assert lines[-1] == more
    else:
        assert not lines[-1].startswith("  ...")


def test_render_at_most_50_changes_by_default():
    listed = [Change(f"OPS-{i}", FR, 1, None, _over(f"OPS-{i}", 60)) for i in range(51)]
    lines = render(_comparison({}, {}, listed), {}, None).split("\n")
    assert sum(line.startswith("  OPS-") for line in lines) == 50 and lines[-1] == "  ... and 1 more"


def test_render_cuts_and_pads_wide_names_to_terminal_columns():
    names = {"east": "华东运维服务", "long": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "wide": "华东运维服务有限公司上海分公司"}
    stats = {(v, FR): _stats(1, 1) for v in names}
    lines = render(_comparison(stats, stats), names, None).split("\n")
    # 6 Chinese characters take 12 columns: 12 spaces pad them to 24
    assert lines[3].startswith("华东运维服务" + " " * 12 + " first_response")
    # 26 letters cut to 24
    assert lines[4].startswith("ABCDEFGHIJKLMNOPQRSTUVWX first_response")
    # 15 Chinese characters (30 columns) cut to 12 (24 columns)
    assert lines[5].startswith("华东运维服务有限公司上海 first_response")


@pytest.mark.parametrize("locale, label", [("en", "no vendor"), ("zh_CN", "无供应商")])
def test_render_names_the_clocks_of_no_vendor_in_the_readers_language(locale, label):
    stats = {("no vendor", FR): _stats(1, 2), ("nobody", FR): _stats(1, 2)}
    lines = render(_comparison(stats, stats), {}, None, locale=locale).split("\n")
    # the name Slawatch gives the clocks of no vendor is translated; a vendor id is not
    assert [line.split(" first_response")[0].rstrip() for line in lines[3:5]] == [label, "nobody"]


def test_render_in_chinese():
    change = Change("OPS-7", FR, 1, None, _over("OPS-7", 300))
    stats = {(ALL, FR): _stats(1, 2)}
    lines = render(_comparison(stats, stats, [change]), {}, None, locale="zh_CN").split("\n")
    assert lines[3].startswith("全部供应商" + " " * 14 + " first_response")  # 5 characters, 10 columns
    assert lines[3].endswith("+0.0个百分点")
    assert lines[-1] == "  OPS-7 first_response #1: 未计入 -> 已违约（超时5分钟）"  # Babel's units in Chinese
    # the header's Chinese titles padded by columns: 现行规则 is 8 columns, right-aligned in 22
    assert " " * 14 + "现行规则" in lines[2]
