"""`locale:` at the top of rules.yaml: default en, the locales Slawatch has catalogs for, and a
PATH:LINE:COL error for a locale Babel does not know or Slawatch cannot speak."""
from __future__ import annotations

import pytest

from processors.rules import RulesError, load_rules, parse_rules
from tests.conftest import RULES_YAML


def test_english_by_default():
    assert parse_rules(RULES_YAML).locale == "en"


@pytest.mark.parametrize("written, locale", [("zh_CN", "zh_CN"), ("zh-CN", "zh_CN"), ("en", "en"), ('"zh_CN"', "zh_CN")])
def test_a_locale_slawatch_speaks(written, locale):
    assert parse_rules(f"locale: {written}\n{RULES_YAML}").locale == locale


@pytest.mark.parametrize("written, message", [
    ("xx_YY", "unknown locale 'xx_YY'; write it like en or zh_CN"),
    ("fr", "Slawatch has no translation for locale 'fr'; it speaks en, zh_CN"),
    ("zh_TW", "Slawatch has no translation for locale 'zh_TW'; it speaks en, zh_CN"),
    ("[zh_CN]", "locale must be text, not a list"),
])
def test_a_bad_locale_is_an_error_at_its_place(tmp_path, written, message):
    path = tmp_path / "rules.yaml"
    path.write_text(f"{RULES_YAML}locale: {written}\n", encoding="utf-8")
    line = RULES_YAML.count("\n") + 1
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(caught.value) == f"{path}:{line}:9: {message}"


def test_a_misspelt_key_is_suggested():
    with pytest.raises(RulesError) as caught:
        parse_rules(f"locle: zh_CN\n{RULES_YAML}", "rules.yaml")
    assert str(caught.value) == "rules.yaml:1:1: unknown key 'locle'; did you mean 'locale'?"


# ---- vendors.<id>.locale ------------------------------------------------------------------

_ACME = "    name: ACME Outsourcing\n"


def test_a_vendor_speaks_its_own_locale_and_the_others_the_rules_one():
    rules = parse_rules(RULES_YAML.replace(_ACME, _ACME + "    locale: zh-CN\n", 1))
    assert (rules.vendor("acme").locale, rules.vendor("globex").locale) == ("zh_CN", None)
    # acme's channel reads Chinese; globex and tickets of no vendor follow `locale:` (en here)
    assert [rules.locale_for(v) for v in ("acme", "globex", None, "gone")] == ["zh_CN", "en", "en", "en"]


@pytest.mark.parametrize("own", ["", "    locale:\n", "    locale: ~\n"], ids=["no-key", "empty", "null"])
def test_without_its_own_a_vendor_follows_the_top_locale(own):
    # an empty `locale:` under a vendor is no choice: the rules' locale, not English
    rules = parse_rules(f"locale: zh_CN\n{RULES_YAML}".replace(_ACME, _ACME + own, 1))
    assert (rules.vendor("acme").locale, rules.locale_for("acme")) == (None, "zh_CN")


def test_a_bad_vendor_locale_is_an_error_at_its_place(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(RULES_YAML.replace(_ACME, _ACME + "    locale: fr\n", 1), encoding="utf-8")
    line = RULES_YAML[:RULES_YAML.index(_ACME)].count("\n") + 2
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert str(caught.value) == f"{path}:{line}:13: Slawatch has no translation for locale 'fr'; it speaks en, zh_CN"
