"""rules.yaml, the reading half: YAML with node positions, and a checker that collects problems
pointing at nodes. The sections are read on top of it: `calendars` in processors/rules_calendars.py,
the rest in processors/rules.py, rules_policies.py and rules_sections.py.

Nothing here knows the rules dataclasses; problems are plain (line, col, message) triples, 1-based.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import yaml

Path = tuple[str | int, ...]
Pos = tuple[int, int]
Problem = tuple[int, int, str]

_CONSTRUCTED_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null")}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAX_NODES = 200_000  # an alias bomb is a mistake too


class YamlSyntaxError(Exception):
    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


@dataclass
class YamlDoc:
    """Plain Python values (dict/list/str/int/float/bool/None) plus where each came from."""

    value: Any = None
    marks: dict[Path, Pos] = field(default_factory=dict)  # the value node's start
    key_marks: dict[Path, Pos] = field(default_factory=dict)  # the key node's start
    raws: dict[Path, str] = field(default_factory=dict)  # a scalar's source text
    problems: list[Problem] = field(default_factory=list)  # duplicate keys and the like


_SYNTAX_HINTS = (
    (r"found character '\\t'", "a tab character; YAML is indented with spaces only"),
    (r"expected <block end>, but found", "bad indentation: this line is not aligned with the "
                                         "lines above it at the same level"),
    (r"mapping values are not allowed here", "unexpected ':' here; put text that contains ': ' "
                                             "in quotes, or check the indentation"),
    (r"but found another document", "only one YAML document is allowed; remove the '---' line"),
    (r"found undefined alias", "an alias (*name) refers to an anchor (&name) that is not defined "
                               "above it"),
    (r"found character '(.)' that cannot start any token", "'{0}' cannot start a value; put the "
                                                           "text in quotes"),
)


_UNCLOSED = {"while parsing a flow mapping": "'{' on line {} is not closed with '}'",
             "while parsing a flow sequence": "'[' on line {} is not closed with ']'",
             "while scanning a quoted scalar": "a quote opened on line {} is not closed"}


def _syntax_message(err: yaml.MarkedYAMLError) -> str:
    problem = err.problem or "not valid YAML"
    for pattern, hint in _SYNTAX_HINTS:
        if found := re.search(pattern, problem):
            return hint.format(*found.groups())
    started = err.context_mark.line + 1 if err.context_mark is not None else None
    if err.context in _UNCLOSED and started is not None:
        return _UNCLOSED[err.context].replace("{}", str(started), 1)
    where = f" ({err.context} started on line {started})" if err.context and started else ""
    return f"YAML syntax error: {problem}{where}"


def read_yaml(text: str) -> YamlDoc:
    """Compose `text` keeping positions; raise YamlSyntaxError for text that is not YAML."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as err:  # a control character: reported before any parsing
        line = text.count("\n", 0, err.position) + 1
        col = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        raise YamlSyntaxError(line, col, f"control character #x{err.character:04x} is not "
                                         f"allowed in YAML") from None
    try:
        root = loader.get_single_node()
        doc = YamlDoc()
        if root is not None:
            doc.value = _Converter(doc, loader).convert(root, ())
    except yaml.MarkedYAMLError as err:
        mark = _misaligned(text, err) or err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(line, col, _syntax_message(err)) from None
    except RecursionError:  # thousands of nested [ or {: no rules file looks like that
        raise YamlSyntaxError(1, 1, "the YAML is nested too deeply to be a rules file") from None
    finally:
        loader.dispose()
    return doc


def _misaligned(text: str, err: yaml.MarkedYAMLError) -> yaml.Mark | None:
    """For a bad indentation, the start of the block indented off the file's usual step (the
    edited line), when the line PyYAML stopped at (below it) is indented by that step."""
    found, block = err.problem_mark, err.context_mark
    if found is None or block is None or "expected <block end>" not in (err.problem or ""):
        return None
    lines = text.splitlines()
    step = _usual_step(lines)
    parent = next((_indent(line) for line in reversed(lines[:block.line])
                   if _content(line) and _indent(line) < block.column), None)
    # A file without a step (no line indented below another) makes no test below true.
    if parent is not None and block.column - parent != step and found.column - parent == step:
        return block  # the block the parser was in starts off the step
    if found.column > block.column:  # a deeper block ended at another column: it starts below its key
        owner = next((n for n in range(found.line - 1, block.line - 1, -1)
                      if _content(lines[n]) and _indent(lines[n]) <= block.column), None)
        child = next((n for n in range(owner + 1, found.line) if _content(lines[n])), None) \
            if owner is not None else None
        if child is not None and _indent(lines[child]) - _indent(lines[owner]) != step \
                and found.column - _indent(lines[owner]) == step:
            return yaml.Mark("", 0, child, _indent(lines[child]), None, None)
    return None


def _content(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _usual_step(lines: list[str]) -> int | None:
    """The indentation step the file uses most (2 in the example rules)."""
    levels = [_indent(line) for line in lines if _content(line)]
    steps = [b - a for a, b in zip(levels, levels[1:]) if b > a]
    return max(set(steps), key=steps.count) if steps else None


class _Converter:
    def __init__(self, doc: YamlDoc, loader: yaml.SafeLoader):
        self.doc, self.loader, self.active, self.count = doc, loader, set(), 0

    def convert(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        mark = (node.start_mark.line + 1, node.start_mark.column + 1)
        self.doc.marks[path] = mark
        if id(node) in self.active:
            self.doc.problems.append((*mark, "this alias refers to a node that contains it"))
            return None
        if self.count > _MAX_NODES:
            if self.count == _MAX_NODES + 1:
                self.doc.problems.append((*mark, f"the aliases expand to more than {_MAX_NODES} "
                                                 f"values"))
            return None
        if isinstance(node, yaml.ScalarNode):
            self.doc.raws[path] = node.value
            return self._scalar(node)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in _CONSTRUCTED_TAGS:
            try:
                return self.loader.construct_object(node)
            except (ValueError, KeyError, yaml.YAMLError):  # KeyError: `!!bool 1`
                pass
        return node.value  # strings, and dates kept as text: the rules parse them strictly

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merges.append(value_node)
                continue
            kmark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key_node, yaml.ScalarNode):
                self.doc.problems.append((*kmark, "a key must be plain text, not a list or mapping"))
                continue
            key = key_node.value
            if key in out:
                self.doc.problems.append(
                    (*kmark, f"duplicate key '{key}' (first given on line {first_line[key]})"))
                continue
            first_line[key] = kmark[0]
            self.doc.key_marks[(*path, key)] = kmark
            out[key] = self.convert(value_node, (*path, key))
        for merged in merges:  # `<<: *anchor` — explicit keys win
            sources = merged.value if isinstance(merged, yaml.SequenceNode) else [merged]
            for source in sources:
                value = self.convert(source, (*path, "<<"))
                for key, item in (value.items() if isinstance(value, dict) else ()):
                    if key not in out:
                        out[key] = item
                        self._copy_marks((*path, "<<"), (*path, key))
        return out

    def _copy_marks(self, src: Path, dst: Path) -> None:
        n = len(src) + 1
        for table in (self.doc.marks, self.doc.key_marks, self.doc.raws):
            for p, v in list(table.items()):
                if p[: len(src)] == src and len(p) >= n and p[len(src)] == dst[-1]:
                    table[(*dst, *p[n:])] = v


def suggestion(word: str, candidates: Iterable[str]) -> str | None:
    by_fold = {c.casefold(): c for c in candidates}
    found = difflib.get_close_matches(word.casefold(), list(by_fold), n=1, cutoff=0.6)
    return by_fold[found[0]] if found else None


def items(path: Path, value: Any) -> list[tuple[Path, Any]]:
    """(path, item) of each list item; a single value stands for a list of one."""
    if isinstance(value, list):
        return [((*path, i), item) for i, item in enumerate(value)]
    return [(path, value)]


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    return "a list" if isinstance(value, list) else f"'{value}'"


class Checker:
    """Collects problems, each pointing at the node (or the key) it is about."""

    def __init__(self, doc: YamlDoc):
        self.doc = doc
        self.problems: list[Problem] = list(doc.problems)

    def pos(self, path: Path, *, key: bool = False) -> Pos:
        if key and path in self.doc.key_marks:
            return self.doc.key_marks[path]
        while path and path not in self.doc.marks:
            path = path[:-1]
        return self.doc.marks.get(path, (1, 1))

    def report(self, path: Path, message: str, *, key: bool = False) -> None:
        self.problems.append((*self.pos(path, key=key), message))

    def raw(self, path: Path, value: Any) -> str:
        return self.doc.raws.get(path, str(value)).strip()

    def mapping(self, path: Path, value: Any, what: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        if value is None:
            self.report(path, f"{what} has no value; give it 'key: value' lines")
        else:
            self.report(path, f"{what} must be a mapping of 'key: value' lines, not {_kind(value)}")
        return None

    def fields(self, path: Path, value: dict[str, Any], allowed: Sequence[str],
               required: Sequence[str] = (), what: str | None = None) -> None:
        """Unknown keys (with a suggestion) and missing required keys."""
        inside = f" in {what}" if what else ""
        for key in value:
            if key in allowed:
                continue
            close = suggestion(key, allowed)
            hint = f"did you mean '{close}'?" if close else "expected one of: " + ", ".join(allowed)
            self.report((*path, key), f"unknown key '{key}'{inside}; {hint}", key=True)
        for key in required:
            if key not in value:
                self.report(path, f"{what or 'the file'} is missing '{key}'", key=True)

    def text(self, path: Path, value: Any, what: str) -> str | None:
        if value is None:
            self.report(path, f"{what} has no value")
            return None
        if isinstance(value, (dict, list)):
            self.report(path, f"{what} must be text, not {_kind(value)}")
            return None
        text = self.raw(path, value)
        if not text:
            self.report(path, f"{what} is empty")
            return None
        return text

    def names(self, path: Path, value: Any, what: str) -> tuple[str, ...] | None:
        """A list of texts; one text alone is a list of one."""
        if value is None:
            self.report(path, f"{what} has no value; write a list like [A, B], or [] for none")
            return None
        texts = [self.text(where, item, f"an entry of {what}") for where, item in items(path, value)]
        return None if None in texts else tuple(texts)  # type: ignore[arg-type]

    def sorted_problems(self) -> list[Problem]:
        return sorted(dict.fromkeys(self.problems), key=lambda p: (p[0], p[1]))
