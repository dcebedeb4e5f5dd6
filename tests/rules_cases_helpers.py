"""Shared by the rules*_cases.py table tests: read one section of a small YAML text the way
processors/rules.py does (a Checker over the composed document), and give back what the section
reader returned and the problems it reported, as (line, col, message), in line order."""
from __future__ import annotations

from typing import Any, Callable

from processors.rules_schema import Checker, read_yaml


def section(reader: Callable[..., Any], text: str, key: str | None, *args: Any) -> tuple[Any, list]:
    """`reader(ck, doc[key], *args)` for the YAML `text`; `key` None: the whole document."""
    doc = read_yaml(text)
    ck = Checker(doc)
    value = doc.value if key is None else (doc.value or {}).get(key)
    return reader(ck, value, *args), ck.sorted_problems()
