"""/metrics under several processes (gunicorn workers): with PROMETHEUS_MULTIPROC_DIR the counters
of every process are summed, whichever process answers the scrape. Real processes, real app."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests import jira_payloads as jp

REPO = Path(__file__).resolve().parents[1]
T9 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

# One "worker": posts the bodies given as JSON in argv[1] (a list of [delivery id, body or null for
# a malformed one]), then prints /metrics.
WORKER = """
import json, sys
from app import create_app
client = create_app().test_client()
for delivery, body in json.loads(sys.argv[1]):
    data = json.dumps(body) if body is not None else "[not json"
    answer = client.post("/webhooks/jira", data=data, content_type="application/json",
                         headers={"X-Atlassian-Webhook-Identifier": delivery})
    assert answer.status_code == (200 if body is not None else 400), answer.get_data(as_text=True)
sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def run_worker(env: dict[str, str], posts: list) -> str:
    done = subprocess.run([sys.executable, "-c", WORKER, json.dumps(posts)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def value(scraped: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", scraped, re.M)
    return float(match.group(1)) if match else 0.0


def test_counters_are_summed_over_processes_only_in_multiprocess_mode(db_url, rules_path, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "PROMETHEUS_"))}
    base.update(SLAWATCH_DATABASE_URL=db_url, SLAWATCH_RULES=str(rules_path))
    received, rejected = 'slawatch_webhooks_received_total{source="jira"}', \
        'slawatch_webhooks_rejected_total{reason="malformed",source="jira"}'
    first = [["a1", jp.created("OPS-1", T9)], ["a2", jp.created("OPS-2", T9)]]
    second = [["b1", jp.created("OPS-3", T9)], ["b2", None]]

    alone = run_worker(base, second)  # without the directory: each process counts its own
    assert (value(alone, received), value(alone, rejected)) == (2.0, 1.0)

    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**base, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    run_worker(env, first)
    scraped = run_worker(env, second)  # answers for both processes
    assert (value(scraped, received), value(scraped, rejected)) == (4.0, 1.0)
    assert value(scraped, "slawatch_database_up") == 1.0  # the database gauges are still there
    assert value(scraped, "slawatch_recompute_pending") == 3.0  # no worker ran in these processes
