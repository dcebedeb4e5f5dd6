"""Issue 12: unsigned mode is loud. Without JIRA_WEBHOOK_SECRET: a warning at start, /healthz
`jira_signature: off`, and a bind beyond loopback refused unless SLAWATCH_ALLOW_UNSIGNED=1."""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys

from app import gunicorn_hosts
from tests.conftest import WEBHOOK_SECRET
from tests.test_service_cli import REPO, free_port, http, service_env, start, stop, wait_for  # noqa: F401


def test_without_a_secret_healthz_says_off_and_the_start_warns(make_app, db_url, caplog):
    with caplog.at_level(logging.WARNING, logger="slawatch"):
        unsigned = make_app(db_url)
    assert "JIRA_WEBHOOK_SECRET is not set" in caplog.text
    assert unsigned.test_client().get("/healthz").json["jira_signature"] == "off"
    signed = make_app(db_url, JIRA_WEBHOOK_SECRET=WEBHOOK_SECRET)
    assert signed.test_client().get("/healthz").json["jira_signature"] == "on"


def test_serve_beyond_loopback_without_a_secret_refuses_to_start(service_env, tmp_path):
    log = tmp_path / "serve.log"
    process = start(service_env, "serve", "--host", "0.0.0.0", "--port", str(free_port()), log=log)
    assert process.wait(timeout=30) == 1
    assert "JIRA_WEBHOOK_SECRET is not set and the service listens on 0.0.0.0" in log.read_text()


def test_serve_beyond_loopback_starts_when_unsigned_is_allowed(service_env, tmp_path):
    port, log = free_port(), tmp_path / "serve.log"
    process = start({**service_env, "SLAWATCH_ALLOW_UNSIGNED": "1"}, "serve", "--host", "0.0.0.0",
                    "--port", str(port), log=log)
    try:
        health = wait_for(lambda: (lambda r: r[1] if r[0] == 200 else None)(http(f"http://127.0.0.1:{port}/healthz")))
        assert health["jira_signature"] == "off"
    finally:
        assert stop(process) == 0
    assert "Jira webhooks are accepted unsigned" in log.read_text()


def test_gunicorn_bound_beyond_loopback_without_a_secret_does_not_boot(service_env, tmp_path):
    gunicorn = shutil.which("gunicorn", path=str(REPO / ".venv" / "bin")) or shutil.which("gunicorn")
    result = subprocess.run([gunicorn, "--bind", f"0.0.0.0:{free_port()}", "app:create_app()"], cwd=REPO,
                            env=service_env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "JIRA_WEBHOOK_SECRET is not set and the service listens on 0.0.0.0" in result.stderr


def test_the_hosts_gunicorn_binds():
    environ = {"SERVER_SOFTWARE": "gunicorn/23.0.0"}
    assert gunicorn_hosts(["gunicorn", "-w", "2", "app:create_app()"], environ) == ["127.0.0.1"]
    assert gunicorn_hosts(["gunicorn", "--bind", "0.0.0.0:8000", "app:create_app()"], environ) == ["0.0.0.0"]
    assert gunicorn_hosts(["gunicorn", "-b", "127.0.0.1:8000", "-b", "[::]:8000"], environ) == ["127.0.0.1", "[::]"]
    assert gunicorn_hosts(["x"], {**environ, "GUNICORN_CMD_ARGS": "--bind=10.0.0.5:80"}) == ["10.0.0.5"]
    assert gunicorn_hosts(["gunicorn", "-b", "unix:/run/slawatch.sock"], environ) == ["127.0.0.1"]
    assert gunicorn_hosts(sys.argv, {}) is None
