"""Downloads of the clocks behind a figure: CSV (UTF-8 with a BOM, so Excel reads any script),
XLSX (web/xlsx.py, written as it is read) and JSON, streamed in constant memory.

    GET /exports/clocks.csv?period=2026-Q3&vendor=acme      (and clocks.xlsx)
    slawatch export --period 2026-Q3 [--vendor acme] --format csv|xlsx|json [--out FILE]   (cli.py)

The clocks are those the period's figures count (processors.evidence.counted: the clock ended,
stopped or breached, inside the period), excused breaches included and marked, read from the
store in batches by keyset (store.evidence.iter_clocks). A text cell that a spreadsheet would
take for a formula (starting with = + - @) is written to CSV with a leading apostrophe; XLSX keeps
text as inline strings, which a spreadsheet never reads as formulas.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import datetime
from typing import IO, Any, Iterable, Iterator, Mapping

from flask import Blueprint, Response, g, jsonify, request, send_file, stream_with_context

from processors.evidence import EXPORT_COLUMNS, ClockFacts, counted, export_row, parse_period
from processors.periods import Period
from store.db import Database
from store.evidence import ClockFilter, count_clocks, iter_clocks
from web import context
from web.xlsx import write_sheet

bp = Blueprint("exports", __name__)

BATCH = 2000
FORMULA_START = ("=", "+", "-", "@")


def period_filter(period: Period, vendor: str | None, scope: Iterable[str] | None) -> ClockFilter:
    return ClockFilter(vendor=vendor, may_end_in=(period.start, period.end),
                       vendors=None if scope is None else frozenset(scope))


def counted_clocks(db: Database, f: ClockFilter, period: Period, now: datetime,
                   seen: list[int] | None = None) -> Iterator[ClockFacts]:
    """The clocks behind the period's figures; `seen[0]` counts every candidate read (progress)."""
    with db.reading() as session:
        for clock in iter_clocks(session, f, now, BATCH):
            if seen is not None:
                seen[0] += 1
            if counted(clock, period, now):
                yield clock


def candidates(db: Database, f: ClockFilter, now: datetime) -> int:
    with db.reading() as session:
        return count_clocks(session, f, now)


def _text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else _text(value)


def csv_chunks(rows: Iterable[list[Any]]) -> Iterator[str]:
    """The CSV text, BOM and header first, in chunks of about 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(rows: Iterable[list[Any]], target: str | IO[bytes]) -> None:
    """One sheet `clocks`, header first; rows are deflated into the file as they come."""
    write_sheet(EXPORT_COLUMNS, rows, target, name="clocks")


def json_chunks(rows: Iterable[list[Any]]) -> Iterator[str]:
    """A JSON array of objects, one line each."""
    yield "["
    first = True
    for row in rows:
        yield ("\n" if first else ",\n") + json.dumps(dict(zip(EXPORT_COLUMNS, row)), ensure_ascii=False)
        first = False
    yield "\n]\n"


def rows_of(clocks: Iterable[ClockFacts], now: datetime, names: Mapping[str, str]) -> Iterator[list[Any]]:
    return (export_row(clock, now, names) for clock in clocks)


def filename(period: Period, vendor: str | None, fmt: str) -> str:
    return f"slawatch-clocks-{period.label}{'-' + vendor if vendor else ''}.{fmt}"


@bp.get("/exports/clocks.<fmt>")
def export(fmt: str):
    """The clocks behind `period`'s figures (of `vendor`, or every vendor the caller may see)."""
    if fmt not in ("csv", "xlsx"):
        return jsonify(error="not_found", reason="exports are clocks.csv or clocks.xlsx"), 404
    rules, now = context.rulebook().rules, context.now()
    try:
        period = parse_period(request.args.get("period", ""), rules.reports.weekly.timezone)
    except ValueError as exc:
        return jsonify(error="bad_request", reason=str(exc)), 400
    vendor, scope = request.args.get("vendor") or None, getattr(g, "slawatch_vendors", None)
    if vendor is not None and scope is not None and vendor not in scope:
        return jsonify(error="forbidden", reason=f"you may not see vendor {vendor}"), 403
    db, names = context.database(), {v.id: v.name for v in rules.vendors}
    rows = rows_of(counted_clocks(db, period_filter(period, vendor, scope), period, now), now, names)
    name = filename(period, vendor, fmt)
    if fmt == "csv":
        return Response(stream_with_context(csv_chunks(rows)), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    spool = tempfile.TemporaryFile()
    write_xlsx(rows, spool)
    spool.seek(0)
    return send_file(spool, as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
