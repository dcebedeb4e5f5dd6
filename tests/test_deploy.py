"""The deploy files: the Dockerfile's install and entry commands run in a fresh virtualenv (the
image without Docker), compose.yaml's services, the systemd units, hadolint on the Dockerfile,
and `docker build` where a Docker daemon answers."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

from tests.test_service_cli import free_port, http, stop, wait_for

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def exec_form(arguments: str) -> list[str]:
    return yaml.safe_load(arguments)  # a JSON array is YAML too


def test_the_dockerfile_has_what_a_deployer_expects():
    steps = instructions()
    kinds = [k for k, _ in steps]
    base = dict(steps)["FROM"]
    assert re.fullmatch(r"python:3\.1[1-9]-slim", base)
    user = [a for k, a in steps if k == "USER"][-1]
    assert user.split(":")[0] not in ("root", "0")
    assert "/healthz" in dict(steps)["HEALTHCHECK"]
    assert exec_form(dict(steps)["CMD"])[0] == "gunicorn" and "app:create_app()" in exec_form(dict(steps)["CMD"])
    entry = (REPO / "deploy" / "docker-entrypoint.sh").read_text(encoding="utf-8")
    assert "slawatch db upgrade" in entry and 'exec "$@"' in entry
    assert kinds.index("USER") > kinds.index("RUN")  # installed as root, run as the user


def build_app_dir(target: Path) -> None:
    """The image's /app: what the Dockerfile's COPY lines copy."""
    target.mkdir()
    for kind, arguments in instructions():
        if kind != "COPY":
            continue
        *sources, destination = shlex.split(arguments)
        for source in sources:
            path = REPO / source
            if destination.startswith("/usr/local/bin/"):
                continue  # the entry point script: run from the repo below
            if path.is_dir():
                shutil.copytree(path, target / destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(path, target / (destination if not destination.endswith("/") and
                                             destination != "./" else path.name))


@pytest.mark.slow
def test_the_images_install_and_entry_commands_serve_in_a_fresh_venv(tmp_path):
    app = tmp_path / "app"
    build_app_dir(app)
    assert not (app / "tests").exists()  # the image carries no tests
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    (install,) = [a for k, a in instructions() if k == "RUN"]
    pip_line = install.split("&&")[0].strip()
    assert pip_line == 'pip install ".[charts]"'
    installed = subprocess.run([str(bin_dir / "python"), "-m", *shlex.split(pip_line)], cwd=app,
                               capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]

    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLAWATCH_", "JIRA_", "SLACK_"))}
    env = {**clean, "PATH": f"{bin_dir}{os.pathsep}{clean.get('PATH', '')}",
           "SLAWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'slawatch.db'}",
           "SLAWATCH_RULES": str(app / "rules.yaml"), "SLAWATCH_TICK_SECONDS": "1"}
    (tmp_path / "data").mkdir()
    command = [c.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for c in exec_form(dict(instructions())["CMD"])]
    entry = str(REPO / "deploy" / "docker-entrypoint.sh")
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    with web_log.open("wb") as out:
        web = subprocess.Popen([entry, *command], cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT)
    worker = None
    try:
        wait_for(lambda: "Booting worker" in web_log.read_text(), seconds=90)  # migrated, then gunicorn
        with worker_log.open("wb") as out:
            worker = subprocess.Popen([entry, "slawatch", "worker"], cwd=app, env={**env, "SLAWATCH_MIGRATE": "0"},
                                      stdout=out, stderr=subprocess.STDOUT)
        health = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(http(f"http://127.0.0.1:{port}/healthz")),
                          seconds=90)
    finally:
        stop(web)
        if worker is not None:
            stop(worker)
    assert health[1]["status"] == "ok", (web_log.read_text(), worker_log.read_text())
    assert "migrated from empty to" in web_log.read_text()  # the init step ran
    assert "Booting worker" in web_log.read_text()  # gunicorn served it


def test_compose_has_postgresql_the_web_app_and_the_worker():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["slawatch", "db", "upgrade"]
    for name in ("web", "worker"):
        assert services[name]["environment"]["SLAWATCH_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["command"] == ["slawatch", "worker"]
    assert services["web"]["ports"] == ["8000:8000"]


def test_the_systemd_units_run_the_web_app_and_the_worker():
    web = (REPO / "deploy" / "systemd" / "slawatch-web.service").read_text(encoding="utf-8")
    worker = (REPO / "deploy" / "systemd" / "slawatch-worker.service").read_text(encoding="utf-8")
    assert "ExecStartPre=/opt/slawatch/.venv/bin/slawatch db upgrade" in web
    assert re.search(r"^ExecStart=\S+/gunicorn .*\"app:create_app\(\)\"$", web, re.M)
    assert "ExecStart=/opt/slawatch/.venv/bin/slawatch worker" in worker
    for unit in (web, worker):
        assert "User=slawatch" in unit and "EnvironmentFile=/etc/slawatch/slawatch.env" in unit


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    linted = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not docker_answers(), reason="no Docker daemon answers here (`docker info` fails)")
def test_docker_build():
    built = subprocess.run(["docker", "build", "-t", "slawatch:test", str(REPO)], capture_output=True,
                           text=True, timeout=1800)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
