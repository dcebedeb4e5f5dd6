"""processors/i18n.py: dates, numbers, durations and labels in English and Chinese, table-driven;
the locale check behind `locale:` in rules.yaml; the catalogs built from the committed .po."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from processors import i18n, translations
from processors.periods import month_of, quarter_of, week_of

AT = datetime(2026, 11, 20, 6, 5, tzinfo=timezone.utc)  # 14:05 in Shanghai, a Friday


@pytest.mark.parametrize("locale, expected", [
    ("en", "Nov 20, 2026, 2:05:00\u202fPM"),
    ("zh_CN", "2026年11月20日 14:05:00"),
])
def test_datetime_in_the_zone_and_the_language(locale, expected):
    assert i18n.format_datetime(AT, locale, "Asia/Shanghai") == expected


@pytest.mark.parametrize("locale, length, expected", [
    ("en", "short", "11/20/26, 2:05\u202fPM"),
    ("zh_CN", "short", "2026/11/20 14:05"),
])
def test_short_datetime(locale, length, expected):
    assert i18n.format_datetime(AT, locale, "Asia/Shanghai", length) == expected


@pytest.mark.parametrize("locale, expected", [("en", "Nov 20, 2026"), ("zh_CN", "2026年11月20日")])
def test_date(locale, expected):
    assert i18n.format_date(date(2026, 11, 20), locale) == expected


@pytest.mark.parametrize("locale, fraction, digits, expected", [
    ("en", 0.857, 1, "85.7%"), ("zh_CN", 0.857, 1, "85.7%"), ("en", 0.85, 0, "85%"),
    ("zh_CN", 1.0, 1, "100.0%"), ("en", None, 1, "–"),
])
def test_percent(locale, fraction, digits, expected):
    assert i18n.format_percent(fraction, locale, digits) == expected


def test_percent_has_one_decimal_by_default():
    assert i18n.format_percent(0.857, "en") == "85.7%" and i18n.format_percent(2 / 3, "zh_CN") == "66.7%"


@pytest.mark.parametrize("locale, value, expected", [("en", 12345.5, "12,345.5"), ("zh_CN", 12345.5, "12,345.5")])
def test_number(locale, value, expected):
    assert i18n.format_number(value, locale) == expected


@pytest.mark.parametrize("locale, delta, expected", [
    ("en", timedelta(hours=2, minutes=30), "2h 30m"),
    ("zh_CN", timedelta(hours=2, minutes=30), "2小时30分钟"),
    ("zh_CN", timedelta(days=1, seconds=5), "1天5秒"),
    ("en", timedelta(0), "0m"),
    ("zh_CN", -timedelta(minutes=45), "-45分钟"),
    ("en", timedelta(minutes=45), "45m"),
])
def test_exact_duration(locale, delta, expected):
    assert i18n.format_duration(delta, locale) == expected


@pytest.mark.parametrize("locale, delta, expected", [
    ("en", timedelta(hours=2, minutes=30), "2 hours"), ("zh_CN", timedelta(hours=2, minutes=30), "2小时"),
    ("en", timedelta(minutes=50), "50 minutes"), ("zh_CN", timedelta(days=3), "3天"),
])
def test_rounded_timedelta(locale, delta, expected):
    assert i18n.format_timedelta(delta, locale) == expected


@pytest.mark.parametrize("locale, weekday, width, expected", [
    ("en", 0, "wide", "Monday"), ("zh_CN", 0, "wide", "星期一"), ("zh_CN", 6, "abbreviated", "周日"),
    ("en", 4, "abbreviated", "Fri"),
])
def test_weekday_names(locale, weekday, width, expected):
    assert i18n.weekday_name(weekday, locale, width) == expected


@pytest.mark.parametrize("period, en, zh", [
    (week_of(date(2026, 11, 18), "Asia/Shanghai"), "2026-W47", "2026年第47周"),
    (week_of(date(2026, 1, 1), "UTC"), "2026-W01", "2026年第1周"),
    (week_of(date(2027, 1, 1), "UTC"), "2026-W53", "2026年第53周"),  # ISO week of the year before
    (quarter_of(date(2026, 8, 1), "Asia/Shanghai"), "2026-Q3", "2026年第3季度"),
    (month_of(date(2026, 11, 1), "UTC"), "2026-11", "2026年11月"),
])
def test_period_labels(period, en, zh):
    assert i18n.period_label(period, "en") == en == period.label  # English keeps the machine label
    assert i18n.period_label(period, "zh_CN") == zh


@pytest.mark.parametrize("name, expected", [
    ("en", "en"), ("zh_CN", "zh_CN"), ("zh-CN", "zh_CN"), ("zh-Hans-CN", "zh_CN"), ("zh", "zh_CN"),
    ("en_GB", "en"),
])
def test_known_locales(name, expected):
    assert i18n.check_locale(name) == expected


@pytest.mark.parametrize("name, message", [
    ("xx", "unknown locale 'xx'; write it like en or zh_CN"),
    ("", "unknown locale ''; write it like en or zh_CN"),
    ("fr", "Slawatch has no translation for locale 'fr'; it speaks en, zh_CN"),
    ("zh_TW", "Slawatch has no translation for locale 'zh_TW'; it speaks en, zh_CN"),
    ("zh-Hant", "Slawatch has no translation for locale 'zh-Hant'; it speaks en, zh_CN"),
])
def test_unknown_or_untranslated_locales(name, message):
    with pytest.raises(ValueError) as err:
        i18n.check_locale(name)
    assert str(err.value) == message


def test_gettext_by_locale_argument():
    assert i18n.translator("zh_CN").gettext("first response") == "首次响应"
    assert i18n.translator("en").gettext("first response") == "first response"
    assert i18n.translator("zh_CN").gettext("a text nobody marked") == "a text nobody marked"


def test_catalogs_are_compiled_from_the_po_into_a_given_folder(tmp_path):
    target = translations.compile_catalogs(tmp_path)
    mo = target / "zh_CN" / "LC_MESSAGES" / "messages.mo"
    assert mo.is_file() and translations.locales() == ("en", "zh_CN")
    from babel.support import Translations

    with mo.open("rb") as fp:
        assert Translations(fp).gettext("%(year)d-W%(week)02d") == "%(year)d年第%(week)d周"
    built = mo.stat().st_mtime_ns
    translations.compile_catalogs(tmp_path)  # up to date: not written again
    assert mo.stat().st_mtime_ns == built and [p.name for p in mo.parent.iterdir()] == ["messages.mo"]
