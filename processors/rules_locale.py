"""rules.yaml, `locale:` the language of Slack messages, reports, surveys and pages.

    locale = read_locale(ck, value)   # -> "en" (also for a missing key) or "zh_CN"
    vendor_locale = read_locale(ck, value, ("vendors", "acme", "locale"))   # vendors.<id>.locale

Babel says whether a locale exists; processors/i18n.py whether Slawatch has a catalog for it. A
problem is reported on the Checker at the value (PATH:LINE:COL) and "en" returned: parse_rules
raises anyway. The format is documented in docs/rules.md and docs/i18n.md.
"""
from __future__ import annotations

from typing import Any

from processors.i18n import DEFAULT_LOCALE, check_locale
from processors.rules_schema import Checker


def read_locale(ck: Checker, value: Any, path: tuple = ("locale",)) -> str:
    """`locale:` at the top (default "en"), or at `path` (a vendor's, same forms)."""
    if value is None:
        return DEFAULT_LOCALE
    text = ck.text(path, value, ".".join(map(str, path)))
    if text is None:
        return DEFAULT_LOCALE
    try:
        return check_locale(text)
    except ValueError as err:
        ck.report(path, str(err))
        return DEFAULT_LOCALE
