"""Reading rules.yaml with positions (processors/rules_schema.py), as tables: the values and marks
read_yaml keeps, the message and line:col of each kind of YAML mistake (the indentation guesses
included), and the Checker's problems (where they point, what they say)."""
from __future__ import annotations

import pytest

from processors.rules_schema import Checker, YamlDoc, YamlSyntaxError, items, read_yaml, suggestion

INDENT = "bad indentation: this line is not aligned with the lines above it at the same level"


# ---- values --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("", None), ("# only a comment\n", None),
    ("a: 1\nb: 1.5\nc: true\nd: null\ne: x\n", {"a": 1, "b": 1.5, "c": True, "d": None, "e": "x"}),
    ("a: 2026-10-01\n", {"a": "2026-10-01"}),  # dates are kept as text
    ("a: !!int abc\n", {"a": "abc"}),  # a tag that does not fit: the text
    ("a: !!bool 1\nb: !!bool yes\n", {"a": "1", "b": True}),  # (PyYAML raises KeyError for the first)
    ("a: !!binary x\n", {"a": "x"}),  # other tags: the text
    ("- 1\n- [a, {b: c}]\n", [1, ["a", {"b": "c"}]]),
    ("x-d: &d {a: 1, b: 2}\ny:\n  <<: *d\n  b: 3\n", {"x-d": {"a": 1, "b": 2}, "y": {"b": 3, "a": 1}}),  # explicit keys win
    ("x: &x {a: 1}\nz: &z {a: 2, c: 3}\ny: {<<: [*x, *z]}\n", {"x": {"a": 1}, "z": {"a": 2, "c": 3}, "y": {"a": 1, "c": 3}}),
    ("y: {<<: 5, a: 1}\n", {"y": {"a": 1}}),  # merging a non-mapping adds nothing
])
def test_values(text, value):
    assert read_yaml(text).value == value


def test_marks_and_raws():
    doc = read_yaml("a:\n  b: ' x '\n  c: [1, 2]\n")
    assert doc.marks == {(): (1, 1), ("a",): (2, 3), ("a", "b"): (2, 6), ("a", "c"): (3, 6),
                         ("a", "c", 0): (3, 7), ("a", "c", 1): (3, 10)}
    assert doc.key_marks == {("a",): (1, 1), ("a", "b"): (2, 3), ("a", "c"): (3, 3)}
    assert doc.raws == {("a", "b"): " x ", ("a", "c", 0): "1", ("a", "c", 1): "2"}
    assert doc.problems == []


def test_merged_keys_point_at_the_anchor():
    # y.a and its inside come from x: their marks (and texts) are x's; y.b is y's own.
    doc = read_yaml("x: &x {a: {p: 1}, q: 2}\ny:\n  <<: *x\n  b: 3\n")
    assert doc.marks[("y", "a")] == doc.marks[("x", "a")] == (1, 11)
    assert doc.marks[("y", "a", "p")] == (1, 15)
    assert doc.key_marks[("y", "a")] == (1, 8)
    assert doc.raws[("y", "a", "p")] == "1" and doc.raws[("y", "q")] == "2"
    assert doc.marks[("y", "b")] == (4, 6)
    assert ("y", "<<") in doc.marks and ("y", "p") not in doc.marks  # only whole keys are copied


@pytest.mark.parametrize("text, problems", [
    ("a: 1\na: 2\n", [(2, 1, "duplicate key 'a' (first given on line 1)")]),
    ("a: 1\nb: 0\n\na: 2\n", [(4, 1, "duplicate key 'a' (first given on line 1)")]),
    ("[a]: 1\nb: 2\n", [(1, 1, "a key must be plain text, not a list or mapping")]),
    ("? {a: 1}\n: 2\n", [(1, 3, "a key must be plain text, not a list or mapping")]),
    # At the node the alias names (its anchor), which contains the alias.
    ("a: &x [1, *x]\n", [(1, 4, "this alias refers to a node that contains it")]),
    ("a: &x {b: *x}\n", [(1, 4, "this alias refers to a node that contains it")]),
    ("a: &x [1]\nb: [*x, *x]\n", []),  # the same node twice, side by side: no loop
])
def test_problems_while_reading(text, problems):
    assert read_yaml(text).problems == problems


def test_duplicate_and_bad_keys_are_left_out():
    assert read_yaml("a: 1\na: 2\n[b]: 3\nc: 4\n").value == {"a": 1, "c": 4}


def test_an_alias_bomb_is_one_problem():
    # 10 values, each line 10 aliases of the line above: a is 11 nodes, b 111, ... e 111111; with
    # the root, 123456 up to e, then f's list and its first *e: 123458. In that e, 6 whole d (66666)
    # and the 7th d's node, 8 whole c (8888) and the 9th c's node, 8 whole b (888) and the 9th b's
    # node, 8 whole a (88) and the 9th a's node: 199992; its values 0-7 make 200000, so the 200001st
    # is that a's 8 (col 32): reported there once, and everything after it is cut off (None).
    bomb = ("a: &a [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
            "f: [*e, *e, *e]\n")
    doc = read_yaml(bomb)
    assert doc.problems == [(1, 32, "the aliases expand to more than 200000 values")]
    assert doc.value["e"][9] == doc.value["d"]
    assert doc.value["f"][0][5] == doc.value["d"] and doc.value["f"][0][6][7] == doc.value["c"]
    assert doc.value["f"][0][6][8][8][7] == doc.value["a"]
    assert doc.value["f"][0][6][8][8][8] == [0, 1, 2, 3, 4, 5, 6, 7, None, None]
    assert doc.value["f"][1:] == [None, None]


# ---- syntax errors -------------------------------------------------------------------------

@pytest.mark.parametrize("text, line, col, message", [
    ("a: \x01\n", 1, 4, "control character #x0001 is not allowed in YAML"),
    ("a: 1\nb: x\x07\n", 2, 5, "control character #x0007 is not allowed in YAML"),
    ("\n\x01", 2, 1, "control character #x0001 is not allowed in YAML"),  # after a first-byte line break
    ("a:\n\tb: 1\n", 2, 1, "a tab character; YAML is indented with spaces only"),
    ("a: b: c\n", 1, 5, "unexpected ':' here; put text that contains ': ' in quotes, or check the indentation"),
    ("a: 1\n---\nb: 2\n", 2, 1, "only one YAML document is allowed; remove the '---' line"),
    ("a: *x\n", 1, 4, "an alias (*name) refers to an anchor (&name) that is not defined above it"),
    ("a: @x\n", 1, 4, "'@' cannot start a value; put the text in quotes"),
    ("a: `x\n", 1, 4, "'`' cannot start a value; put the text in quotes"),
    # Not closed: where the reader gave up, and the line where it was opened.
    ("a: 1\nb: {c: 1\n", 3, 1, "'{' on line 2 is not closed with '}'"),
    ("a: 1\nb: [1, 2\n", 3, 1, "'[' on line 2 is not closed with ']'"),
    ("a: 1\nb: 'abc\n", 3, 1, "a quote opened on line 2 is not closed"),
    ('a: "abc\n', 2, 1, "a quote opened on line 1 is not closed"),
    # Anything else: PyYAML's own words, and where its context started.
    ("a: 1\nb: [\n", 3, 1, "YAML syntax error: expected the node content, but found '<stream end>' "
                           "(while parsing a flow node started on line 3)"),  # PyYAML's context: the end
    ("{a: b}}\n", 1, 7, "YAML syntax error: expected '<document start>', but found '}'"),
    ("[" * 1000, 1, 1, "the YAML is nested too deeply to be a rules file"),
])
def test_syntax_errors(text, line, col, message):
    with pytest.raises(YamlSyntaxError) as caught:
        read_yaml(text)
    assert (caught.value.line, caught.value.col, caught.value.message) == (line, col, message)
    assert str(caught.value) == message


@pytest.mark.parametrize("text, line, col", [
    # One line: no usual step to judge by; where PyYAML stopped.
    ("a: [1]]\n", 1, 7),
    # The line itself is out of line with its neighbours: that line.
    ("a:\n  b: 1\n c: 2\n", 3, 2),
    ("a:\n  - x\n - y\n", 3, 2),
    # The file steps by 2; the edited line above (c, 5 in under b, 2 in) is off the step, the line
    # PyYAML stopped at (d) is on it: the edited line.
    ("# c\n\na:\n  b:\n     c: 1\n    d: 2\n", 5, 6),
    ("x:\n  a:\n    b: 1\n  c:\n      d: 1\n    e: 2\n", 5, 7),
    # b is 3 in under a (off the step), c is 2 in: PyYAML stops at c, the edited line is b.
    ("top:\n  x:\n    y: 1\na:\n   b: 1\n  c: 2\n", 5, 4),
    # c is 2 in under b (on the step), d 3 in: d itself.
    ("top:\n  x:\n    y: 1\na:\n  b:\n    c: 1\n   d: 2\n", 7, 4),
    # The most common step wins (4 here, twice; 2 once): b, 4 in, is on it; d where PyYAML stopped.
    ("a:\n    b:\n        c: 1\n      d: 1\n", 4, 7),
    # Steps 3 and 4 once each (the first, 3, is the usual one); f is 4 in under e, g (where PyYAML
    # stopped) 3 in: f. The blank line does not count.
    ("  a:\n \n     c:\n  d: 1\n  e:\n      f: 1\n     g:\n", 6, 7),
    # Step 3 (twice); the block b is in is 1 in under a, d (where PyYAML stopped) 3 in: b's line.
    ("a:\n b:\n    c: 1\n   d: 1\n      e: 1\n   # x\n", 2, 2),
    # Step 2; a's block (b, c) is 1 in under a, f 2 in: b's line.
    (" a:\n  b: 1\n  c:\n    d:\n      e: 1\n   f:\n  g: 1\n", 2, 3),
    # Comment lines do not count, neither for the step nor as the line above a block.
    (" a:\n    b: 1\n  # x\n     d: 1\n    e:\n", 4, 6),
    ("  # x\n   b:\n      c:\n # x\n     e: 1\n", 5, 6),
    # The most common step, 2 (twice; 5 and 1 once): c's block (d) is on it, e is not: e itself.
    ("a:\n     b:\nc:\n  d:\n e:\n   f:\n    g:\n", 5, 2),
    ("   a:\n      b: 1\n     c:\n    d: 1\n", 3, 6),
    (" a:\n      b:\n   c:\n     d:\n", 2, 7),
    # The line above a block is found by its indentation from the block's (not from the file's left).
    (" a:\n  b:\n     c:\n       d: 1\n    e: 1\n   f: 1\n      g:\n", 2, 3),
    ("    \n  b:\n    c:\n     d:\n       e: 1\n      f:\n", 4, 6),
    # Lists: a list item's mapping starts after its "- ", at the same column as the lines of the
    # item above it; those lines are neither the line above the block nor its owner.
    ("- a: 1\n  b:\n- c:\n     d:\n     e:\n    f: 1\n      g: 1\n", 6, 5),
    ("  - a:\n      b:\n    - c:\n   d:\n     e: 1\n  f:\n    g: 1\n", 3, 5),
    ("    a:\n    - b: 1\n     c: 1\n  d: 1\n     e: 1\n    - f:\n      g:\n", 3, 6),
    ("  a:\n    b: 1\n   - c: 1\n    - d:\n    e: 1\n", 2, 5),
])
def test_bad_indentation_points_at_the_edited_line(text, line, col):
    with pytest.raises(YamlSyntaxError) as caught:
        read_yaml(text)
    assert (caught.value.line, caught.value.col, caught.value.message) == (line, col, INDENT)


# ---- the checker ---------------------------------------------------------------------------

DOC = "a:\n  b: ' x '\n  c: [1, {d: 2}]\n  e:\n  f: ''\n"


def checker(text=DOC):
    return Checker(read_yaml(text))


@pytest.mark.parametrize("path, key, pos", [
    (("a", "b"), False, (2, 6)), (("a", "b"), True, (2, 3)),
    (("a", "c", 1, "d"), False, (3, 14)), (("a", "c", 1, "d"), True, (3, 11)),
    (("a", "c", 0), True, (3, 7)),  # a list item has no key: its value
    (("a", "zz", "y"), False, (2, 3)),  # not in the file: the nearest value above it that is (a's)
    (("a", "zz"), True, (2, 3)),
    (("zz",), False, (1, 1)), ((), False, (1, 1)),
])
def test_pos(path, key, pos):
    assert checker().pos(path, key=key) == pos


def test_pos_is_at_the_value_unless_asked():
    assert checker().pos(("a", "b")) == (2, 6)  # not the key (2, 3)


def test_pos_in_an_empty_file():
    assert Checker(read_yaml("")).pos(("a", "b")) == (1, 1)
    assert Checker(YamlDoc()).pos(()) == (1, 1)


def test_problems_start_with_those_of_reading_and_come_sorted_once():
    ck = checker("a: 1\na: 2\nb: 3\n")
    ck.report(("b",), "late")
    ck.report(("a",), "early")
    ck.report(("a",), "early")  # the same twice: once
    ck.report(("a",), "second at the same place", key=True)
    assert ck.sorted_problems() == [(1, 1, "second at the same place"), (1, 4, "early"),
                                    (2, 1, "duplicate key 'a' (first given on line 1)"), (3, 4, "late")]


@pytest.mark.parametrize("path, value, raw", [
    (("a", "b"), " x ", "x"),  # the source text, trimmed
    (("a", "c", 0), 1, "1"),
    (("nowhere",), 2.50, "2.5"),  # not in the file: the value as text
])
def test_raw(path, value, raw):
    assert checker().raw(path, value) == raw


@pytest.mark.parametrize("value, result, problems", [
    ({"k": 1}, {"k": 1}, []), ({}, {}, []),
    (None, None, [(2, 6, "the thing has no value; give it 'key: value' lines")]),
    ([1], None, [(2, 6, "the thing must be a mapping of 'key: value' lines, not a list")]),
    ("x", None, [(2, 6, "the thing must be a mapping of 'key: value' lines, not 'x'")]),
    (0, None, [(2, 6, "the thing must be a mapping of 'key: value' lines, not '0'")]),
])
def test_mapping(value, result, problems):
    ck = checker()
    assert ck.mapping(("a", "b"), value, "the thing") == result
    assert ck.sorted_problems() == problems


@pytest.mark.parametrize("value, allowed, required, what, problems", [
    ({"b": 1, "c": 2}, ("b", "c", "e"), (), None, []),
    ({"b": 1}, ("b",), ("b", "x"), "the part", [(1, 1, "the part is missing 'x'")]),  # at the key a
    ({"b": 1}, ("b",), ("x",), None, [(1, 1, "the file is missing 'x'")]),
    # Keys not in the file have no mark of their own: a's value.
    ({"chanel": 1}, ("channel", "day"), (), "the part",
     [(2, 5, "unknown key 'chanel' in the part; did you mean 'channel'?")]),
    ({"zzz": 1}, ("channel", "day"), (), None, [(2, 5, "unknown key 'zzz'; expected one of: channel, day")]),
])
def test_fields(value, allowed, required, what, problems):
    ck = checker("a:\n    b: 1\n")
    ck.fields(("a",), value, allowed, required, what)
    assert ck.sorted_problems() == problems


def test_fields_point_at_the_key():
    ck = checker("top:\n  chanel: 1\n  other: 2\n")
    ck.fields(("top",), {"chanel": 1, "other": 2}, ("channel", "other"), ("day",), "top")
    assert ck.sorted_problems() == [(1, 1, "top is missing 'day'"),
                                    (2, 3, "unknown key 'chanel' in top; did you mean 'channel'?")]


@pytest.mark.parametrize("path, value, result, problem", [
    (("a", "b"), " x ", "x", None),
    (("a", "e"), None, None, (4, 5, "it has no value")),
    (("a", "c"), [1], None, (3, 6, "it must be text, not a list")),
    (("a", "c", 1), {"d": 2}, None, (3, 10, "it must be text, not a mapping")),
    (("a", "f"), "", None, (5, 6, "it is empty")),
    (("a", "zz"), "  ", None, (2, 3, "it is empty")),  # not in the file: the value given, trimmed
])
def test_text(path, value, result, problem):
    ck = checker()
    assert ck.text(path, value, "it") == result
    assert ck.sorted_problems() == ([problem] if problem else [])


def test_text_of_blank_source():
    ck = checker("a: '   '\n")
    assert ck.text(("a",), "   ", "it") is None
    assert ck.sorted_problems() == [(1, 4, "it is empty")]


@pytest.mark.parametrize("text, result, problems", [
    ("n: [A, b]\n", ("A", "b"), []),
    ("n: A\n", ("A",), []),  # one text alone: a list of one
    ("n: []\n", (), []),
    ("n:\n", None, [(1, 3, "the names has no value; write a list like [A, B], or [] for none")]),
    ("n: [A, [B], '']\n", None, [(1, 8, "an entry of the names must be text, not a list"),
                                 (1, 13, "an entry of the names is empty")]),
])
def test_names(text, result, problems):
    doc = read_yaml(text)
    ck = Checker(doc)
    assert ck.names(("n",), doc.value["n"], "the names") == result
    assert ck.sorted_problems() == problems


@pytest.mark.parametrize("word, candidates, expected", [
    ("chanel", ("channel", "day"), "channel"),
    ("CHANNEL", ("channel",), "channel"),  # casefolded both ways, the candidate as written
    ("utc", ("UTC", "Europe/Berlin"), "UTC"),
    ("zzz", ("channel", "day"), None),
    ("dy", ("day",), "day"),  # 0.8 alike
    ("dx", ("day",), None),  # 0.4 alike: below 0.6
])
def test_suggestion(word, candidates, expected):
    assert suggestion(word, candidates) == expected


@pytest.mark.parametrize("value, expected", [
    ([1, 2], [(("p", 0), 1), (("p", 1), 2)]),
    ([], []),
    ("x", [(("p",), "x")]),
    (None, [(("p",), None)]),
])
def test_items(value, expected):
    assert items(("p",), value) == expected
