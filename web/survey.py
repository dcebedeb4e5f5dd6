"""GET/POST /survey/<token>: the one-page satisfaction form for reporters without Slack.

No login: the token in the link (32 random characters, from the survey's row) is the key. One
survey per ticket and resolution cycle; the answers can be changed until the survey expires
(then 410). Unknown tokens: 404. Answers must be 1-5 (400 otherwise, nothing stored).
"""
from __future__ import annotations

from html import escape

from flask import Blueprint, request

from store.surveys import SCORES, answer_survey, survey_by_token
from web import context

bp = Blueprint("survey", __name__)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Slawatch survey</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}
fieldset{{border:0;margin:1em 0;padding:0}} label{{margin-right:1em}}</style></head>
<body>{body}</body></html>
"""


def page(body: str, status: int = 200):
    return PAGE.format(body=body), status, {"Content-Type": "text/html; charset=utf-8",
                                            "Cache-Control": "no-store"}


def _form(survey, token: str, questions, note: str = "") -> str:
    fields = []
    for key, wording in questions:
        current = getattr(survey, key)
        options = "".join(
            f'<label><input type="radio" name="{key}" value="{n}"{" checked" if current == n else ""}> {n}</label>'
            for n in SCORES)
        fields.append(f"<fieldset><legend>{escape(wording)}</legend>{options}</fieldset>")
    return (f"<h1>How did we do on {escape(survey.ticket)}?</h1>{note}"
            f"<p>1 = poor, 5 = excellent. You can change your answers until "
            f"{survey.expires_at:%Y-%m-%d %H:%M} UTC.</p>"
            f'<form method="post" action="/survey/{escape(token)}">{"".join(fields)}'
            f'<button type="submit">Send</button></form>')


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey_form(token: str):
    now, questions = context.now(), context.rulebook().rules.surveys.questions
    if request.method == "GET":
        with context.database().reading() as session:
            survey = survey_by_token(session, token)
        if survey is None:
            return page("<p>There is no such survey.</p>", 404)
        if now >= survey.expires_at:
            return page("<p>This survey has closed. Thank you anyway!</p>", 410)
        return page(_form(survey, token, questions))
    scores = {}
    for key, _ in questions:
        value = request.form.get(key, "")
        if value:
            if value not in ("1", "2", "3", "4", "5"):
                return page("<p>Answers are numbers from 1 to 5.</p>", 400)
            scores[key] = int(value)
    if not scores:
        return page("<p>Please choose an answer.</p>", 400)

    def work(session) -> int:
        survey = survey_by_token(session, token)
        if survey is None:
            return 404
        return 200 if answer_survey(session, survey, scores, now) else 410

    status = context.database().write(work)
    if status == 404:
        return page("<p>There is no such survey.</p>", 404)
    if status == 410:
        return page("<p>This survey has closed. Thank you anyway!</p>", 410)
    return page("<h1>Thank you!</h1><p>Your answers are saved. You can change them with the same link.</p>")
