"""The floor for bench/ingest_bench.py: a bare Flask app whose `POST /webhooks/jira` reads the
body and answers 204, served by gunicorn exactly like the real app, so the difference between the
two is Slawatch's own work (verify, parse, store, recompute, commit).

    gunicorn -w 2 -b 127.0.0.1:8001 --pythonpath bench "bare_app:app"
"""
from __future__ import annotations

from flask import Flask, request

app = Flask(__name__)


@app.post("/webhooks/jira")
def jira_webhook():
    request.get_data()
    return "", 204


@app.get("/healthz")
def healthz():
    return {"status": "ok"}
