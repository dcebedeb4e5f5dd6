"""The language of a page (Flask-Babel): the reader's choice, else the browser's, else the rules'.

    i18n.init_app(app)      # in create_app: catalogs compiled, Babel's locale selector installed
    page_locale()           # "en" or "zh_CN" for this request (also `get_locale()` of Flask-Babel)

In order: `?lang=zh_CN` on any page (the switch; remembered in the signed session when the app
has a secret key, else in a plain `slawatch_lang` cookie: a preference, not a credential), the
remembered choice, the first of the browser's Accept-Language that Slawatch speaks (`zh-CN`,
`zh`, `en-GB` …), the `locale:` of rules.yaml. A value Slawatch does not speak is ignored. Texts
built outside a request (Slack messages, reports) take the locale as an argument instead:
processors/i18n.py. Templates get Flask-Babel's `_()`/`gettext()`, `page_locale()` and
`LOCALES`.
"""
from __future__ import annotations

from functools import cached_property

from flask import current_app, g, request, session
from flask_babel import Babel, Domain, get_locale

from processors import translations
from processors.i18n import DEFAULT_LOCALE, LOCALES, check_locale
from web import context

LANG_COOKIE = "slawatch_lang"


class _Catalogs(Domain):
    """Flask-Babel's message domain, read from processors/translations. Babel names Simplified
    Chinese `zh_Hans_CN`; the catalog's folder, rules.yaml and the switch say `zh_CN`."""

    def get_translations(self):
        return translations.load(page_locale())


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return _Catalogs(domain=self.domain)


def init_app(app) -> None:
    translations.compiled_directory()  # .mo files built (or found fresh) now, not on the first page
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    _Babel(app, locale_selector=select_locale)
    app.before_request(_take_choice)
    app.after_request(_remember_choice)
    app.jinja_env.globals.update(page_locale=page_locale, LOCALES=LOCALES)


def _spoken(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return check_locale(name)
    except ValueError:
        return None


def _take_choice() -> None:
    """`?lang=` on any request: this page is in that language and the next ones too."""
    chosen = _spoken(request.args.get("lang"))
    if chosen is None:
        return
    g.slawatch_lang = chosen
    if current_app.secret_key:
        session["locale"] = chosen


def _remember_choice(response):
    chosen = g.get("slawatch_lang")
    if chosen and not current_app.secret_key:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="Lax")
    return response


def select_locale() -> str:
    """Flask-Babel's locale selector (see the module's doc for the order)."""
    remembered = session.get("locale") if current_app.secret_key else request.cookies.get(LANG_COOKIE)
    for name in (g.get("slawatch_lang"), remembered):
        if _spoken(name):
            return _spoken(name)
    for name, _quality in request.accept_languages:
        if _spoken(name):
            return _spoken(name)
    return context.rulebook().rules.locale


def page_locale() -> str:
    """This request's locale as Slawatch names it ("zh_CN"), for `<html lang>` and the switch."""
    chosen = get_locale()
    return _spoken(str(chosen)) if chosen is not None else DEFAULT_LOCALE
