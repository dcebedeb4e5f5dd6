"""The OpenAPI 3.1 document of the read API, served at /api/openapi.json.

tests/test_openapi.py validates it (openapi-spec-validator) and holds every answer the API gives
in the tests to it (openapi-core). Objects allow more properties than they list, so a field added
later is not a break; the listed ones are required and typed.
"""
from __future__ import annotations

from typing import Any

_S = {"type": "string"}
_INT = {"type": "integer"}
_BOOL = {"type": "boolean"}
_NSTR = {"type": ["string", "null"]}
_INSTANT = {"type": "string", "format": "date-time"}
_NINSTANT = {"type": ["string", "null"], "format": "date-time"}
_NNUM = {"type": ["number", "null"]}
_NINT = {"type": ["integer", "null"]}
_METRIC = {"type": "string", "enum": ["first_response", "resolution", "next_response", "periodic_update"]}


def _object(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, description: str, schema: dict[str, Any], where: str = "query",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {"400": _json(_ref("Error"), "A bad parameter: the reason says which and why"),
           "401": _json(_ref("Error"), "Not signed in"), "403": _json(_ref("Error"), "Not allowed")}

_REPLAY_CLOCK = _object({
    "metric": _S, "cycle": _INT, "state": {"type": "string", "enum": ["running", "paused", "stopped"]},
    "target_seconds": _INT, "elapsed_seconds": _INT, "remaining_seconds": _INT, "started_at": _INSTANT,
    "stopped_at": _NINSTANT, "due_at": _NINSTANT, "breached": _BOOL, "breached_at": _NINSTANT,
    "paused_seconds": _INT, "policy": _S, "calendar": _S, "vendor": _NSTR,
    "warnings": {"type": "array", "items": _object({"percent": {"type": "number"}, "at": _NINSTANT})},
    "rules_version": _S})

_TICKET = _object({
    "key": _S, "policy": _NSTR, "vendor": _NSTR, "status": _NSTR, "summary": _NSTR, "project": _NSTR,
    "issuetype": _NSTR, "priority": _NSTR, "reporter": _NSTR, "assignee": _NSTR, "created_at": _INSTANT,
    "deleted": _BOOL, "clocks": {"type": "array", "items": _ref("ReplayClock")}, "rules_version": _S,
    "excuses": {"type": "array", "items": _object({
        "metric": _S, "cycle": _INT, "action": _S, "by": _S, "at": _INSTANT, "reason": _NSTR})}})

_STORED_CLOCK = _object({
    "metric": _S, "cycle": _INT, "state": _S, "breached": _BOOL, "target_seconds": _INT,
    "elapsed_seconds": _INT, "paused_seconds": _INT, "started_at": _INSTANT, "stopped_at": _NINSTANT,
    "due_at": _NINSTANT, "breached_at": _NINSTANT, "policy": _S, "calendar": _S, "rules_version": _S,
    "computed_at": _INSTANT})

_TICKET_SUMMARY = _object({
    "key": _S, "summary": _NSTR, "status": _NSTR, "priority": _NSTR, "vendor": _NSTR, "policy": _NSTR,
    "clocks": {"type": "array", "items": _STORED_CLOCK}})

_CLOCK = _object({
    "ticket": _S, "summary": _NSTR, "priority": _NSTR, "status": _NSTR, "metric": _METRIC, "cycle": _INT,
    "state": {"type": "string", "enum": ["running", "paused", "stopped"]}, "vendor": _NSTR, "policy": _S,
    "calendar": _S, "target_seconds": _INT, "elapsed_seconds": _INT, "remaining_seconds": _INT,
    "paused_seconds": _INT, "started_at": _INSTANT, "stopped_at": _NINSTANT, "due_at": _NINSTANT,
    "breached": _BOOL, "breached_at": _NINSTANT, "excused": _BOOL,
    "excuse": {"oneOf": [{"type": "null"}, _object({"by": _S, "at": _INSTANT, "reason": _NSTR})]},
    "rules_version": _S, "computed_at": _INSTANT})

_STATS = _object({
    "counted": _INT, "met": _INT, "excused": _INT, "attainment": _NNUM, "target": _NNUM,
    "above_target": {"type": ["boolean", "null"]}, "median_seconds": _NINT, "p90_seconds": _NINT})

_PERIOD = _object({
    "label": _S, "start": _INSTANT, "end": _INSTANT,
    "vendors": {"type": "array", "items": _object({
        "vendor": _NSTR, "name": _NSTR,
        "metrics": {"type": "object", "additionalProperties": _ref("MetricStats")}})}})

_CLOCK_PARAMS = [
    _param("vendor", "Only clocks attributed to this vendor id", _S),
    _param("metric", "Only this metric", _METRIC),
    _param("state", "Only clocks in this state", {"type": "string", "enum": ["running", "paused", "stopped"]}),
    _param("breached", "Only breached (true) or unbreached (false) clocks", _BOOL),
    _param("excused", "Only excused (true) or not excused (false) breaches", _BOOL),
    _param("from", "Clocks started or stopped at or after: a date (midnight UTC) or an instant", _S),
    _param("to", "... and before: a date (the end of that day, UTC) or an instant", _S),
    _param("limit", "Page size, 1-1000 (default 100)", {"type": "integer", "minimum": 1, "maximum": 1000}),
    _param("cursor", "`next_cursor` of the previous page", _S),
]

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Slawatch API", "version": "1",
             "description": "SLA clocks of Jira tickets and the attainment figures of the reports. "
                            "Instants are UTC ISO 8601 with a Z. See docs/operations.md."},
    "paths": {
        "/api/tickets/{key}": {"get": {
            "summary": "One ticket evaluated now from its event log (the `slawatch replay` shape)",
            "parameters": [_param("key", "Jira issue key", _S, "path", True)],
            "responses": {"200": _json(_ref("Ticket"), "The ticket"),
                          "404": _json(_ref("Error"), "No such ticket"), **_ERRORS}}},
        "/api/tickets": {"get": {
            "summary": "Tickets with open clocks, the most urgent first",
            "parameters": [_param("state", "breached, running or paused",
                                  {"type": "string", "enum": ["breached", "running", "paused"]}),
                           _param("vendor", "Vendor id", _S), _param("limit", "1-1000", _INT)],
            "responses": {"200": _json(_object({"tickets": {"type": "array", "items": _TICKET_SUMMARY},
                                                "count": _INT}), "The tickets"), **_ERRORS}}},
        "/api/clocks": {"get": {
            "summary": "Every clock, open and stopped, paged by cursor in (ticket, metric, cycle) order",
            "parameters": _CLOCK_PARAMS,
            "responses": {"200": _json(_object({"clocks": {"type": "array", "items": _ref("Clock")},
                                                "count": _INT, "next_cursor": _NSTR}), "One page"),
                          **_ERRORS}}},
        "/api/attainment": {"get": {
            "summary": "The figures of the weekly summaries and quarterly scorecards, per period, vendor and metric",
            "parameters": [_param("period", "week (default), month or quarter",
                                  {"type": "string", "enum": ["week", "month", "quarter"]}),
                           _param("from", "First day (YYYY-MM-DD, default today in the reports' zone)", _S),
                           _param("to", "Last day (default `from`)", _S),
                           _param("vendor", "Vendor id", _S), _param("metric", "One metric", _METRIC)],
            "responses": {"200": _json(_object({"period": _S, "zone": _S,
                                                "periods": {"type": "array", "items": _ref("Period")}}),
                                       "The figures"), **_ERRORS}}},
        "/api/openapi.json": {"get": {
            "summary": "This document",
            "responses": {"200": _json({"type": "object"}, "The OpenAPI document")}}},
    },
    "components": {"schemas": {
        "Error": _object({"error": _S, "reason": _S}), "ReplayClock": _REPLAY_CLOCK, "Ticket": _TICKET,
        "Clock": _CLOCK, "MetricStats": _STATS, "Period": _PERIOD,
    }},
}
