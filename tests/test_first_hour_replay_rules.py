"""`slawatch replay` and `slawatch rules check` on the mistakes of a first hour: every bad line
of an events file reported and skipped, comments by issue id and moved issues filed as the service
files them; an indentation error at the edited line; a bad `version:` hiding nothing."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests import jira_payloads as jp
from tests.conftest import RULES_YAML
from tests.test_first_hour import run


# ---------------------------------------------------------------- replay: bad lines, moves, ids


def replay_file_with(tmp_path, lines: list[str]) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_replay_reports_every_bad_line_and_goes_on(rules_path, tmp_path):
    created = json.dumps(jp.load_fixture("issue_created"))
    comment = json.dumps(jp.load_fixture("comment_created"))
    path = replay_file_with(tmp_path, [created, '{"webhookEvent": ', comment, '{"issue": {}}', "[1]"])
    result = run("replay", "--rules", str(rules_path), "--events", str(path), "--at", "2026-01-05T10:00:00Z")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:2: not JSON: Expecting value at column 18",
        f"{path}:4: not a Jira webhook: no webhookEvent",
        f"{path}:5: body is not a JSON object",
        f"{path}: 3 bad lines skipped",
    ]
    (ticket,) = json.loads(result.stdout)["tickets"]
    assert ticket["key"] == "OPS-1" and ticket["clocks"][0]["state"] == "stopped"  # line 3 counted
    strict = run("replay", "--strict", "--rules", str(rules_path), "--events", str(path))
    assert strict.exit_code == 1 and strict.stdout == ""
    assert strict.stderr == f"{path}:2: not JSON: Expecting value at column 18\n"


def test_replay_files_a_comment_by_issue_id_and_shows_a_moved_issues_new_key(rules_path, tmp_path):
    ticket = jp.JiraTicket("OPS-5", datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc), issue_id="10555")
    created = ticket.created()
    comment = ticket.commented(datetime(2026, 1, 5, 9, 20, tzinfo=timezone.utc), jp.AGENT)
    del comment["issue"]  # Data Center: only comment.self names the issue, by id
    moved = ticket.moved(datetime(2026, 1, 5, 9, 40, tzinfo=timezone.utc), "NET-12")
    path = replay_file_with(tmp_path, [json.dumps(p) for p in (created, comment, moved)])
    result = run("replay", "--rules", str(rules_path), "--events", str(path), "--at", "2026-01-05T10:00:00Z")
    assert result.exit_code == 0, result.stderr
    (shown,) = json.loads(result.stdout)["tickets"]
    assert shown["key"] == "NET-12"
    first = next(c for c in shown["clocks"] if c["metric"] == "first_response")
    assert first["state"] == "stopped" and first["stopped_at"] == "2026-01-05T09:20:00Z"


# ---------------------------------------------------------------- rules check: where and how many


def edited(number: int, line: str) -> str:
    lines = RULES_YAML.splitlines()
    lines[number - 1] = line
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("number, shift", [(20, 1), (20, -1), (8, 2), (6, 1), (29, 1), (5, -1)])
def test_an_indentation_error_is_reported_at_the_edited_line(rules_path, number, shift):
    original = RULES_YAML.splitlines()[number - 1]
    line = " " * shift + original if shift > 0 else original[-shift:]
    rules_path.write_text(edited(number, line), encoding="utf-8")
    result = run("rules", "check", str(rules_path))
    assert result.exit_code == 1
    column = len(line) - len(line.lstrip()) + 1
    assert result.stderr == (f"{rules_path}:{number}:{column}: bad indentation: this line is not "
                             f"aligned with the lines above it at the same level\n")


def test_a_bad_version_does_not_hide_the_other_problems(rules_path):
    text = RULES_YAML.replace("version: 1", "version: 2").replace("target: 1h,", "target: soon,")
    rules_path.write_text(text, encoding="utf-8")
    result = run("rules", "check", str(rules_path))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"{rules_path}:1:10: unsupported rules version 2; this Slawatch reads version 1"
    assert lines[1].startswith(f"{rules_path}:26:32: bad duration 'soon'") and len(lines) == 2
