"""Reading the event log for a backtest: every ticket's events, one ticket at a time, in one
streamed query (nothing is written). See processors/backtest.py for what is computed.

Tickets read: those created in [window start - LOOKBACK, window end), not deleted; a clock of an
older ticket that ends inside the window (a ticket reopened months later) is not seen. Of those,
only the ones that can have a clock ending inside the window are evaluated (`_candidates`): a
clock counts at its end, min(stop, breach), and where it stops (a response, a done status, a
reopen) does not depend on the rules, so a ticket whose every cached clock stopped before the
window, or started after it, counts nothing there under any rules. That holds while both sides
agree on `jira.done_statuses` (they say where resolution stops); when they do not, every ticket
is evaluated. Tickets the clock cache cannot answer for (rows of another rules version, or a
recompute still pending) are evaluated on both sides (and every ticket is, when there are more
than MAX_LISTED of them).

Either side may be a `RuleSchedule` (effective-dated rules): a ticket is judged by the version
its creation instant maps to. Under the rules in force, a ticket's clocks come from the clock
cache (what the reports show) when every one of its rows was computed with the version that
judges it; only the other tickets are evaluated twice. Excused breaches count as breaches on
both sides.

With `workers` > 1 the evaluation (the costly part) runs in that many processes: this process
streams the payloads in chunks of CHUNK tickets, the workers (which parse the rules texts of the
two sides once each) decode and evaluate them and send back the clocks counted.
"""
from __future__ import annotations

import json
import multiprocessing
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import or_, select

from processors.backtest import Backtest, Comparison
from processors.events import TicketEvent
from processors.reports import ClockRecord
from processors.periods import Period
from processors.rule_schedule import Pin, RuleSchedule, as_schedule
from processors.rules import Rules, parse_rules
from store.db import Database
from store.history import load_clock_records
from store.models import ClockRow, Event, PendingRecompute, Ticket
from store.queries import judging_version

LOOKBACK = timedelta(days=90)
BATCH = 5000
CHUNK = 1000
MAX_LISTED = 5000  # more tickets for which the cache cannot answer: evaluate every ticket instead
START_METHOD = "fork"  # Linux; elsewhere spawn (workers parse the rules texts either way)


def _tickets(created_from: datetime, created_to: datetime):
    return (select(Ticket.key).where(Ticket.created_at >= created_from, Ticket.created_at < created_to,
                                     Ticket.deleted.is_(False)))


def _candidates(window: Period, stale: set[str]):
    """Tickets that can have a clock ending inside `window` (see the module docstring)."""
    spanning = select(ClockRow.ticket).where(
        ClockRow.started_at < window.end, or_(ClockRow.stopped_at.is_(None), ClockRow.stopped_at >= window.start))
    created = select(Ticket.key).where(Ticket.created_at >= window.start, Ticket.created_at < window.end)
    return or_(Event.ticket.in_(spanning), Event.ticket.in_(created), Event.ticket.in_(sorted(stale)))


def ticket_payloads(db: Database, created_from: datetime, created_to: datetime,
                    only=None) -> Iterator[tuple[str, list[str]]]:
    """Each ticket's key and stored event payloads (in event order), tickets in key order;
    `only`: a further condition on the events' ticket."""
    query = (select(Event.ticket, Event.payload).where(Event.ticket.in_(_tickets(created_from, created_to)))
             .order_by(Event.ticket, Event.at, Event.id))
    if only is not None:
        query = query.where(only)
    with db.engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=BATCH).execute(query)
        current, payloads = None, []
        for ticket, payload in result:
            if ticket != current and payloads:
                yield current, payloads
                payloads = []
            current = ticket
            payloads.append(payload)
        if payloads:
            yield current, payloads


def cached_clocks(db: Database, current: Rules | RuleSchedule, window: Period, now: datetime,
                  created_from: datetime) -> tuple[list[ClockRecord], set[str]]:
    """The cached clock records under `current` of the window's tickets, and the tickets whose
    cache holds rows of another rules version than the one that judges them (to be evaluated
    instead)."""
    current = as_schedule(current)
    tickets = _tickets(created_from, window.end)
    stale_query = (select(ClockRow.ticket).distinct()
                   .where(ClockRow.rules_version != judging_version(current), ClockRow.ticket.in_(tickets)))
    if current.pins:  # the version depends on the ticket's creation instant
        stale_query = stale_query.join(Ticket, Ticket.key == ClockRow.ticket)
    with db.engine.connect() as connection:
        stale = set(connection.scalars(stale_query))
        stale |= set(connection.scalars(select(PendingRecompute.ticket).where(PendingRecompute.ticket.in_(tickets))))
        keys = set(connection.scalars(tickets))
        records = [replace(r, excused=False) for r in
                   load_clock_records(connection, window.start, window.end, now, current.current.calendars)
                   if r.ticket in keys and r.ticket not in stale]
    return records, stale


def _decode(payloads: list[str]) -> list[TicketEvent]:
    return [TicketEvent.from_json(json.loads(p)) for p in payloads]


def run_backtest(db: Database, current: Rules | RuleSchedule, proposed: Rules | RuleSchedule,
                 window: Period, now: datetime, vendor: str | None = None, workers: int = 1) -> Comparison:
    current, proposed = as_schedule(current), as_schedule(proposed)
    test = Backtest(current, proposed, window, now, vendor)
    created_from = window.start - LOOKBACK
    records, stale = cached_clocks(db, current, window, now, created_from)
    test.add_current(records)
    narrow = (len({rules.done_statuses for rules in (*_all_rules(current), *_all_rules(proposed))}) == 1
              and len(stale) <= MAX_LISTED)
    only = _candidates(window, stale) if narrow else None
    histories = ((p, key in stale) for key, p in ticket_payloads(db, created_from, window.end, only))
    if workers <= 1:
        for payloads, evaluate_current in histories:
            test.add(_decode(payloads), evaluate_current)
        return test.result()
    setup = (_texts(current), _texts(proposed), window, now, vendor)
    context = multiprocessing.get_context(START_METHOD if START_METHOD in multiprocessing.get_all_start_methods()
                                          else "spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=setup) as pool:
        for part in pool.imap_unordered(_judge_chunk, _chunks(histories)):
            test.absorb(*part)
    return test.result()


def _all_rules(schedule: RuleSchedule) -> list[Rules]:
    return [schedule.current, *(pin.rules for pin in schedule.pins)]


def _chunks(histories: Iterator[tuple[list[str], bool]]) -> Iterator[list[tuple[list[str], bool]]]:
    chunk: list[tuple[list[str], bool]] = []
    for payloads in histories:
        chunk.append(payloads)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_worker: dict[str, object] = {}


Texts = tuple[tuple[str, str], tuple[tuple[datetime, str, str], ...]]  # (text, path), pins


def _texts(schedule: RuleSchedule) -> Texts:
    """A schedule as the texts a worker parses again."""
    return ((schedule.current.text, schedule.current.path),
            tuple((pin.created_before, pin.rules.text, pin.rules.path) for pin in schedule.pins))


def _schedule(texts: Texts, parsed: dict[str, Rules]) -> RuleSchedule:
    def rules(text: str, path: str) -> Rules:
        if text not in parsed:
            parsed[text] = parse_rules(text, path)
        return parsed[text]
    (text, path), pins = texts
    return RuleSchedule(rules(text, path), tuple(Pin(before, rules(t, p)) for before, t, p in pins))


def _start_worker(current: Texts, proposed: Texts, window: Period, now: datetime, vendor: str | None) -> None:
    parsed: dict[str, Rules] = {}  # every distinct text parsed once
    _worker["args"] = (_schedule(current, parsed), _schedule(proposed, parsed), window, now, vendor)


def _judge_chunk(chunk: list[tuple[list[str], bool]]):
    test = Backtest(*_worker["args"])
    for payloads, evaluate_current in chunk:
        test.add(_decode(payloads), evaluate_current)
    before, after = test.records()
    return test.tickets, before, after
