"""Words, dates and numbers in the reader's language (pure: the locale is always an argument).

    _ = translator("zh_CN").gettext;  _("first response")          # "首次响应"
    format_datetime(at, "zh_CN", "Asia/Shanghai")                    # "2026年11月20日 14:05:00"
    format_percent(0.857, "en")                                      # "85.7%"
    format_duration(timedelta(hours=2, minutes=30), "zh_CN")         # "2小时30分钟"  (exact)
    format_timedelta(timedelta(hours=2, minutes=30), "en")           # "2 hours"      (rounded, Babel's)
    week_label(2026, 47, "zh_CN"), quarter_label(2026, 3, "en")      # "2026年第47周", "2026-Q3"
    period_label(period, locale), weekday_name(0, "zh_CN")           # ..., "星期一"
    check_locale("zh-CN")                                            # "zh_CN"; ValueError if unknown

Slawatch speaks the locales it has catalogs for (`LOCALES`): English, the language of the code's
msgids, and each `processors/translations/<locale>/LC_MESSAGES/messages.po`. Text is marked the
gettext way, so `pybabel extract` finds it: `_ = translator(locale).gettext` then `_("…")`, with
`%(name)s` placeholders filled after translation. Dates, numbers and durations come from Babel's
CLDR data; labels that Chinese readers write differently from CLDR (`2026年第47周`) are catalog
entries, so a translator decides them. Terms: the glossary in docs/i18n.md.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError, dates, lists, numbers, units
from babel.support import NullTranslations

from processors import translations
from processors.periods import Period

LOCALES = translations.locales()  # ("en", "zh_CN")
DEFAULT_LOCALE = translations.SOURCE_LOCALE


def check_locale(name: str) -> str:
    """'zh_CN', 'zh-CN' or 'zh-Hans-CN' -> the catalog's name 'zh_CN'; ValueError with a message
    saying whether Babel knows no such locale or Slawatch has no catalog for it."""
    try:
        asked = Locale.parse(str(name).strip(), sep="-" if "-" in str(name) else "_")
    except (ValueError, TypeError, UnknownLocaleError):
        raise ValueError(f"unknown locale '{name}'; write it like en or zh_CN") from None
    for known in LOCALES:  # "en" takes any territory; "zh_CN" takes zh, zh-CN, zh-Hans, not zh-TW
        candidate = Locale.parse(known)
        territory_fits = candidate.territory in (None, asked.territory or candidate.territory)
        if candidate.language == asked.language and territory_fits and asked.script in (None, candidate.script):
            return known
    raise ValueError(f"Slawatch has no translation for locale '{name}'; it speaks {', '.join(LOCALES)}")


def translator(locale: str) -> NullTranslations:
    """The catalog of `locale`: `.gettext(msgid)`, `.ngettext(one, many, n)`, `.pgettext(ctx, msgid)`."""
    return translations.load(locale)


def format_datetime(at: datetime, locale: str, zone: str = "UTC", length: str = "medium") -> str:
    """An aware instant as the reader writes it, in the time zone `zone`."""
    return dates.format_datetime(at, length, tzinfo=ZoneInfo(zone), locale=locale)


def format_date(day: date, locale: str, length: str = "medium") -> str:
    return dates.format_date(day, length, locale=locale)


def format_number(value: float, locale: str) -> str:
    return numbers.format_decimal(value, locale=locale)


def format_percent(fraction: float | None, locale: str, digits: int = 1) -> str:
    """0.857 -> '85.7%'; None (nothing counted) -> '–'."""
    if fraction is None:
        return "–"
    pattern = "#,##0%" if digits == 0 else "#,##0." + "0" * digits + "%"
    return numbers.format_percent(fraction, pattern, locale=locale)


_DURATION_UNITS = (("duration-day", 86400), ("duration-hour", 3600), ("duration-minute", 60),
                   ("duration-second", 1))


def format_duration(delta: timedelta, locale: str, length: str = "narrow") -> str:
    """Exact to the second, largest units first: '2h 30m' (en), '2小时30分钟' (zh_CN)."""
    seconds = int(abs(delta.total_seconds()))
    parts = []
    for unit, size in _DURATION_UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(units.format_unit(count, unit, length=length, locale=locale))
    if not parts:
        parts.append(units.format_unit(0, "duration-minute", length=length, locale=locale))
    style = "unit" if length == "long" else f"unit-{length}"
    text = lists.format_list(parts, style=style, locale=locale)
    return f"-{text}" if delta < timedelta(0) else text


def format_timedelta(delta: timedelta, locale: str, granularity: str = "minute") -> str:
    """Rounded to its largest unit, Babel's way: '2 hours' (en), '2小时' (zh_CN)."""
    return dates.format_timedelta(delta, granularity=granularity, locale=locale)


def weekday_name(weekday: int, locale: str, width: str = "wide") -> str:
    """0 = Monday: 'Monday' / '星期一' (wide), 'Mon' / '周一' (abbreviated)."""
    return dates.get_day_names(width, locale=locale)[weekday]


def week_label(year: int, week: int, locale: str) -> str:
    """ISO week: '2026-W47' (en), '2026年第47周' (zh_CN)."""
    _ = translator(locale).gettext
    return _("%(year)d-W%(week)02d") % {"year": year, "week": week}


def quarter_label(year: int, quarter: int, locale: str) -> str:
    """'2026-Q3' (en), '2026年第3季度' (zh_CN)."""
    _ = translator(locale).gettext
    return _("%(year)d-Q%(quarter)d") % {"year": year, "quarter": quarter}


def month_label(year: int, month: int, locale: str) -> str:
    """'2026-11' (en, as in the reports), '2026年11月' (zh_CN)."""
    _ = translator(locale).gettext
    return _("%(year)d-%(month)02d") % {"year": year, "month": month}


def period_label(period: Period, locale: str) -> str:
    """A report period's label in `locale` (the period's own label is the machine one)."""
    first = period.first_day
    if period.kind == "week":
        year, week, _ = first.isocalendar()
        return week_label(year, week, locale)
    if period.kind == "quarter":
        return quarter_label(first.year, (first.month - 1) // 3 + 1, locale)
    return month_label(first.year, first.month, locale)
