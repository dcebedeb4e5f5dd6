"""GET/POST /survey/<token>: the one-page satisfaction form for reporters without Slack.

No login: the token in the link (32 random characters, from the survey's row) is the key. One
survey per ticket and resolution cycle; the answers can be changed until the survey expires
(then 410). Unknown tokens: 404. Answers must be 1-5 (400 otherwise, nothing stored).

The page is in the reader's language (web/i18n.py: `?lang=`, Accept-Language, the rules'
`locale:`), with a switch at its foot. The default questions are translated; questions the admin
wrote in rules.yaml are shown as written.
"""
from __future__ import annotations

from html import escape

from babel import Locale
from flask import Blueprint, request
from flask_babel import gettext as _

from processors.i18n import LOCALES, format_datetime
from processors.rules import SURVEY_QUESTIONS
from store.surveys import SCORES, answer_survey, survey_by_token
from web import context
from web.i18n import page_locale

bp = Blueprint("survey", __name__)


def N_(message: str) -> str:
    """Marks a msgid for `pybabel extract` without translating it here."""
    return message


DEFAULT_QUESTIONS = (N_("How satisfied are you with how your request was handled?"),
                     N_("How good was our communication with you?"))  # = SURVEY_QUESTIONS' wordings

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em}}
fieldset{{border:0;margin:1em 0;padding:0}} label{{margin-right:1em}}
footer{{margin-top:3em;font-size:small}}</style></head>
<body>{body}<footer>{switch}</footer></body></html>
"""


def _switch() -> str:
    """Links to this page in each language Slawatch speaks, each named in its own language."""
    return " | ".join(f'<a href="{escape(request.path)}?lang={name}" lang="{name.replace("_", "-")}">'
                      f"{escape(Locale.parse(name).get_language_name(name))}</a>" for name in LOCALES)


def page(body: str, status: int = 200):
    html = PAGE.format(lang=page_locale().replace("_", "-"), title=escape(_("Slawatch survey")), body=body,
                       switch=_switch())
    html_type = "text/html; charset=utf-8"  # i18n: skip
    return html, status, {"Content-Type": html_type, "Cache-Control": "no-store",
                          "Content-Language": page_locale().replace("_", "-")}


def _wording(text: str) -> str:
    return _(text) if text in SURVEY_QUESTIONS.values() else text


def _form(survey, token: str, questions, note: str = "") -> str:
    fields = []
    for key, wording in questions:
        current = getattr(survey, key)
        options = "".join(
            f'<label><input type="radio" name="{key}" value="{n}"{" checked" if current == n else ""}> {n}</label>'
            for n in SCORES)
        fields.append(f"<fieldset><legend>{escape(_wording(wording))}</legend>{options}</fieldset>")
    until = format_datetime(survey.expires_at, page_locale(), "UTC", "short")
    heading = _("How did we do on %(ticket)s?", ticket=survey.ticket)
    scale = _("1 = poor, 5 = excellent. You can change your answers until %(until)s UTC.", until=until)
    send = _("Send")
    return (f"<h1>{escape(heading)}</h1>{note}<p>{escape(scale)}</p>"
            f'<form method="post" action="/survey/{escape(token)}">{"".join(fields)}'
            f'<button type="submit">{escape(send)}</button></form>')


def _message(text: str, status: int):
    return page(f"<p>{escape(text)}</p>", status)


def _no_such_survey():
    return _message(_("There is no such survey."), 404)


def _closed():
    return _message(_("This survey has closed. Thank you anyway!"), 410)


@bp.route("/survey/<token>", methods=["GET", "POST"])
def survey_form(token: str):
    now, questions = context.now(), context.rulebook().rules.surveys.questions
    if request.method == "GET":
        with context.database().reading() as session:
            survey = survey_by_token(session, token)
        if survey is None:
            return _no_such_survey()
        if now >= survey.expires_at:
            return _closed()
        return page(_form(survey, token, questions))
    scores = {}
    for key, _wording_ in questions:
        value = request.form.get(key, "")
        if value:
            if value not in ("1", "2", "3", "4", "5"):
                return _message(_("Answers are numbers from 1 to 5."), 400)
            scores[key] = int(value)
    if not scores:
        return _message(_("Please choose an answer."), 400)

    def work(session) -> int:
        survey = survey_by_token(session, token)
        if survey is None:
            return 404
        return 200 if answer_survey(session, survey, scores, now) else 410

    status = context.database().write(work)
    if status == 404:
        return _no_such_survey()
    if status == 410:
        return _closed()
    thanks, saved = _("Thank you!"), _("Your answers are saved. You can change them with the same link.")
    return page(f"<h1>{escape(thanks)}</h1><p>{escape(saved)}</p>")
