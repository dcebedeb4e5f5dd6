"""rules.yaml: damaged and pathological files give a RulesError, never a crash (the slow tests of
the loader, kept apart from tests/test_rules.py so the mutation run of processors/rules*.py stays fast)."""
from __future__ import annotations

from pathlib import Path

import pytest

from processors.rules import RulesError, parse_rules

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("text", ["[" * 20000, "".join(" " * i + "k:\n" for i in range(3000))])
def test_yaml_nested_deeper_than_python_recurses_is_a_problem_not_a_crash(text):
    with pytest.raises(RulesError) as caught:
        parse_rules(text)
    assert str(caught.value) == "rules.yaml:1:1: the YAML is nested too deeply to be a rules file"



def test_damaged_example_gives_rules_or_rules_error():
    """Deleting any line, or replacing any value with junk, never crashes the loader."""
    lines = (ROOT / "rules.yaml").read_text(encoding="utf-8").splitlines()
    variants = []
    for i, line in enumerate(lines):
        variants.append(lines[:i] + lines[i + 1:])
        if ":" in line:
            key = line[: line.index(":") + 1]
            variants += [lines[:i] + [f"{key} {junk}"] + lines[i + 1:]
                         for junk in ("[]", "", "{x: 1}")]
    outcomes = {"ok": 0, "error": 0}
    for variant in variants:
        try:
            parse_rules("\n".join(variant))
            outcomes["ok"] += 1
        except RulesError as err:
            assert err.errors and all(p.line >= 1 and p.col >= 1 for p in err.errors)
            outcomes["error"] += 1
    assert outcomes["ok"] and outcomes["error"]
