"""Which rules versions judged the clocks a report counts (`judged_by`), in the order reports
list them: versions no longer in the schedule first, by name; then in schedule order."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from processors.rule_schedule import RuleSpan, judged_by

T = datetime(2026, 1, 1, tzinfo=timezone.utc)
SCHEDULE = (RuleSpan("v2", None, T), RuleSpan("v1", T, None))


@pytest.mark.parametrize("versions, expected", [
    # "vb" (1 clock) and "va" (2 clocks) are in no span: first, by name (not by count).
    (["v1", "vb", "va", "va", "v2"], [("va", 2, 0), ("vb", 1, 0), ("v2", 1, 1), ("v1", 1, 1)]),
    # Unknown versions (None) are left out; the schedule's order wins over names (v2 before v1).
    (["v1", None, "v1", "v2"], [("v2", 1, 1), ("v1", 2, 1)]),
    ([None], []),
], ids=["gone-versions-by-name", "schedule-order", "unknown-only"])
def test_judged_by_order(versions, expected):
    got = judged_by(versions, SCHEDULE)
    assert [(j.version, j.clocks, len(j.spans)) for j in got] == expected


def test_a_version_back_in_force_keeps_its_first_place_and_both_spans():
    # v1, then v2, then v1 again: v1 is listed at its first place, with both of its spans.
    schedule = (RuleSpan("v1", None, T), RuleSpan("v2", T, T.replace(month=2)), RuleSpan("v1", T.replace(month=2), None))
    got = judged_by(["v2", "v1"], schedule)
    assert [(j.version, j.spans) for j in got] == [("v1", (schedule[0], schedule[2])), ("v2", (schedule[1],))]
