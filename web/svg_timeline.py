"""A clock as a timeline bar (inline SVG, server-rendered like web/svg.py): where its time went
and whose it was. One bar per clock on an axis shared by every clock of the ticket page:

    clock_timeline(clock, pauses, axis, vendor_name) -> Markup

- the stretch the clock ran, in the colour of its vendor (its hand-off episode, for a hand-off
  policy), lighter where it was paused, red from the breach on;
- marks: a triangle at the hand-off, a bar at the stop (labelled response / resolution /
  hand-away), a red diamond at the breach.
`axis` is (first instant, last instant) of the page: the ticket's creation and now. The words
are in the page's language (Flask-Babel, docs/i18n.md); `metric_name` comes translated.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence

from flask_babel import gettext as _, pgettext
from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, RIGHT, BAR_Y, BAR_H = 640, 46, 8, 8, 14, 14
PALETTE = ("#1f5fa8", "#2e7d32", "#6a1b9a", "#00838f", "#ad5a00")
NO_VENDOR_COLOUR = "#777"
BREACH_COLOUR = "#c62828"


def _ending(ended_by: str | None) -> str:
    """The label of the mark where the clock stopped."""
    return {"response": pgettext("clock ending", "response"), "resolution": pgettext("clock ending", "resolution"),
            "handaway": pgettext("clock ending", "hand-away")}.get(ended_by or "", pgettext("clock ending", "stop"))


def vendor_colour(vendor: str | None, vendors: Sequence[str]) -> str:
    if vendor is None or vendor not in vendors:
        return NO_VENDOR_COLOUR
    return PALETTE[list(vendors).index(vendor) % len(PALETTE)]


def clock_timeline(clock: Any, pauses: Sequence[tuple[datetime, datetime | None]],
                   axis: tuple[datetime, datetime], vendor_name: str, colour: str,
                   metric_name: str | None = None) -> Markup:
    """`clock` is a stored clock row (store.models.ClockRow) or anything with its attributes."""
    first, last = axis
    span = max((last - first).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        at = min(max(at, first), last)
        return LEFT + (WIDTH - LEFT - RIGHT) * (at - first).total_seconds() / span

    start, end = clock.started_at, clock.stopped_at or last
    label = _("%(vendor)s: %(metric)s, cycle %(cycle)s", vendor=vendor_name,
              metric=metric_name or clock.metric.replace("_", " "), cycle=clock.cycle)
    parts = [f'<svg class="chart timeline" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">',
             f"<title>{escape(label)}</title>",
             f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{BAR_Y + BAR_H / 2}" y2="{BAR_Y + BAR_H / 2}" class="grid"/>',
             _rect(x(start), x(end), colour, "running", _("running"))]
    for paused_from, paused_to in pauses:
        lo, hi = max(paused_from, start), min(paused_to or end, end)
        if hi > lo:
            parts.append(_rect(x(lo), x(hi), "#ffffff", "paused", _("paused"), opacity="0.6"))
    breached = clock.breached_at
    if breached is not None and breached < end:
        parts.append(_rect(x(breached), x(end), BREACH_COLOUR, "over-target", _("over target"), opacity="0.75"))
    if getattr(clock, "handoff_at", None) is not None:
        hx = x(clock.handoff_at)
        if clock.handoff_by:
            what = _("hand-off to %(vendor)s by %(person)s, %(at)s", vendor=vendor_name, person=clock.handoff_by,
                     at=_at(clock.handoff_at))
        else:
            what = _("hand-off to %(vendor)s, %(at)s", vendor=vendor_name, at=_at(clock.handoff_at))
        parts.append(f'<path d="M{hx:.1f},{BAR_Y - 1} l-5,-9 h10 z" fill="{colour}" class="handoff">'
                     f"<title>{escape(what)}</title></path>")
    if clock.stopped_at is not None:
        sx, ending = x(clock.stopped_at), escape(_ending(getattr(clock, "ended_by", None)))
        parts.append(f'<line x1="{sx:.1f}" x2="{sx:.1f}" y1="{BAR_Y - 3}" y2="{BAR_Y + BAR_H + 3}" '
                     f'stroke="#111" stroke-width="2" class="stop"><title>{ending}, {_at(clock.stopped_at)}</title></line>'
                     f'<text x="{sx:.1f}" y="{HEIGHT - 4}" text-anchor="middle">{ending}</text>')
    if breached is not None:
        bx, what = x(breached), _("breach, %(at)s", at=_at(breached))
        parts.append(f'<path d="M{bx:.1f},{BAR_Y + BAR_H + 1} l5,6 l-5,6 l-5,-6 z" fill="{BREACH_COLOUR}" '
                     f'class="breach"><title>{escape(what)}</title></path>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _at(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _rect(x0: float, x1: float, fill: str, kind: str, what: str, opacity: str = "1") -> str:
    return (f'<rect x="{x0:.1f}" y="{BAR_Y}" width="{max(x1 - x0, 1.5):.1f}" height="{BAR_H}" fill="{fill}" '
            f'fill-opacity="{opacity}" class="{kind}"><title>{escape(what)}</title></rect>')
