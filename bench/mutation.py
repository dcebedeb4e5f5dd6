"""Mutation run over processors/: how many small changes to the code do its own tests catch?

    nice -n 10 .venv/bin/python bench/mutation.py --file processors/sla.py
    nice -n 10 .venv/bin/python bench/mutation.py            # every file of processors/ (slow)
    nice -n 10 .venv/bin/python bench/mutation.py --file processors/reports.py --lines 150-170
    .venv/bin/python bench/mutation.py --file processors/alerts.py --list   # the mutants, no run

Each mutant is one change to one file (a comparison flipped at its boundary or negated, `and`
and `or` swapped, a `not` dropped, an `if` condition negated, an integer moved by one, True and
False swapped, `+`/`-` and `*`/`/` swapped, `min`/`max` swapped, `break`/`continue` swapped, a
statement replaced by `pass`). Its run: the file's own test files only (TESTS below, or
`--tests a.py,b.py`), `pytest -x`, in a child forked from this process (one at a time: the
machine is shared), against a scratch copy of the repository in which only that file is changed,
with a timeout of 5x the unmutated run plus 10 s. PYTHONPATH points at the copy, so tests that
run `slawatch` in a subprocess see the mutant too. Hypothesis runs with a fixed seed and a fresh
example database per mutant, so a run is repeatable.

A mutant is *killed* when the tests fail or time out, *survives* when they pass. Output: one line
per survivor (`file:line: description`), then, as the last lines, the score per file. Not in CI
(minutes per file). docs/testing.md has the figures and the survivors judged equivalent.
"""
from __future__ import annotations

import argparse
import ast
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each file of processors/ and its own test files (the new table and property tests included).
TESTS: dict[str, tuple[str, ...]] = {
    "processors/sla.py": ("tests/test_sla.py", "tests/test_sla_cases.py", "tests/test_sla_cycles_cases.py",
                          "tests/test_sla_vectors.py", "tests/test_hard_properties.py",
                          "tests/test_sla_handoff.py", "tests/test_sla_communication_properties.py"),
    "processors/sla_cycles.py": ("tests/test_sla_cycles_cases.py", "tests/test_sla_handoff.py",
                                 "tests/test_sla_communication_properties.py"),
    "processors/calendar.py": ("tests/test_calendar.py", "tests/test_calendar_cases.py",
                               "tests/test_calendar_properties.py", "tests/test_hard_properties.py"),
    "processors/_calendar_days.py": ("tests/test_calendar.py", "tests/test_calendar_cases.py",
                                     "tests/test_calendar_properties.py", "tests/test_hard_properties.py"),
    "processors/alerts.py": ("tests/test_alerts_plan.py", "tests/test_alerts_cases.py"),
    "processors/reports.py": ("tests/test_reports.py", "tests/test_reports_cases.py"),
    "processors/periods.py": ("tests/test_reports.py", "tests/test_reports_cases.py"),
    "processors/report_render.py": ("tests/test_report_render_cases.py",),
    "processors/report_csv.py": ("tests/test_report_csv_cases.py",),
    "processors/report_html.py": ("tests/test_report_html_cases.py",),
    "processors/charts.py": ("tests/test_charts_cases.py", "tests/test_charts_cjk.py"),
    "processors/freeze.py": ("tests/test_freeze_cases.py",),
    "processors/evidence.py": ("tests/test_evidence_cases.py",),
    "processors/events.py": ("tests/test_events_cases.py", "tests/test_sla.py", "tests/test_jira_parser.py"),
    "processors/attainment.py": ("tests/test_attainment_tally.py",),
    "processors/rules_governance.py": ("tests/test_rules_governance.py",),
    "processors/rules_locale.py": ("tests/test_rules_locale.py", "tests/test_rules_policies_cases.py"),
    "processors/i18n.py": ("tests/test_i18n.py",),
    "processors/rules.py": ("tests/test_rules_cases.py", "tests/test_rules.py"),
    "processors/rules_types.py": ("tests/test_rules_types_cases.py", "tests/test_rules.py"),
    "processors/rules_calendars.py": ("tests/test_rules_calendars_cases.py", "tests/test_rules.py"),
    "processors/rules_policies.py": ("tests/test_rules_policies_cases.py", "tests/test_rules.py"),
    "processors/rules_schema.py": ("tests/test_rules_schema_cases.py", "tests/test_rules.py"),
    "processors/rules_sections.py": ("tests/test_rules_sections_cases.py", "tests/test_rules_sections.py"),
    "processors/rule_schedule.py": ("tests/test_rule_schedule.py", "tests/test_rule_schedule_cases.py"),
    "processors/backtest.py": ("tests/test_backtest_cases.py",),
    "processors/slack_replies.py": ("tests/test_slack_replies_cases.py",),
}

# Third-party modules the tests import, loaded once here so each forked child starts warm. No
# module of this repository is imported here: the child must import the mutated copy.
WARM = ("pytest", "hypothesis", "yaml", "holidays", "zoneinfo", "flask", "sqlalchemy",
        "alembic", "slack_sdk", "jira", "requests", "pydantic")


@dataclass(frozen=True)
class Mutant:
    line: int
    description: str
    source: str  # the whole mutated file


# ---- making mutants ------------------------------------------------------------------------

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
         ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_ARITH = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
          ast.FloorDiv: ast.Div}
_SKIP_FIELDS = {"annotation", "returns", "type_comment", "decorator_list"}


class _Collector:
    """Every (node, replacement text, description) of one module, in source order."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.found: list[tuple[ast.AST, str, str]] = []

    def visit(self, node: ast.AST, depth: int = 0) -> None:
        if self._skipped(node):
            return
        self._mutate(node, depth)
        for name, value in ast.iter_fields(node):
            if name in _SKIP_FIELDS or isinstance(node, ast.JoinedStr):
                continue
            children = value if isinstance(value, list) else [value]
            inner = depth + 1 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else depth
            for child in children:
                if isinstance(child, ast.AST):
                    self.visit(child, inner)

    def _skipped(self, node: ast.AST) -> bool:
        line = getattr(node, "lineno", None)
        if line is None:
            return False
        text = self.lines[line - 1]
        if "pragma: no cover" in text or "pragma: no mutate" in text:
            return True
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            return True
        return isinstance(node, (ast.Import, ast.ImportFrom))

    def add(self, node: ast.AST, text: str, description: str) -> None:
        self.found.append((node, text, description))

    def _mutate(self, node: ast.AST, depth: int) -> None:
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in _FLIP:
                    new = ast.Compare(node.left, node.ops[:i] + [_FLIP[type(op)]()] + node.ops[i + 1:],
                                      node.comparators)
                    self.add(node, f"({ast.unparse(new)})",
                             f"{_sym(op)} -> {_sym(_FLIP[type(op)]())}")
        elif isinstance(node, ast.BoolOp):
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            self.add(node, f"({ast.unparse(ast.BoolOp(other, node.values))})",
                     f"{_sym(node.op)} -> {_sym(other)}")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.add(node, f"({ast.unparse(node.operand)})", "drop `not`")
        elif isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            new_op = _ARITH[type(node.op)]()
            self.add(node, f"({ast.unparse(ast.BinOp(node.left, new_op, node.right))})",
                     f"{_sym(node.op)} -> {_sym(new_op)}")
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            self.add(node, f"({node.value + 1})", f"{node.value} -> {node.value + 1}")
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            self.add(node, f"({not node.value})", f"{node.value} -> {not node.value}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            other = "max" if node.func.id == "min" else "min"
            new = ast.Call(ast.Name(other, ast.Load()), node.args, node.keywords)
            self.add(node, f"({ast.unparse(new)})", f"{node.func.id} -> {other}")
        if isinstance(node, (ast.If, ast.IfExp, ast.While)):
            self.add(node.test, f"(not ({ast.unparse(node.test)}))", "negate condition")
        if isinstance(node, ast.Break):
            self.add(node, "continue", "break -> continue")
        elif isinstance(node, ast.Continue):
            self.add(node, "break", "continue -> break")
        elif depth > 0 and isinstance(node, ast.stmt) and not _kept(node):
            self.add(node, "pass", f"drop statement `{_short(node)}`")


def _kept(node: ast.stmt) -> bool:
    """Statements never dropped: docstrings, `pass`, nested definitions."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        return True
    return isinstance(node, (ast.Pass, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Global,
                             ast.Nonlocal))


def _short(node: ast.stmt) -> str:
    text = ast.unparse(node).splitlines()[0]
    return text if len(text) <= 60 else text[:57] + "..."


_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=",
            ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.And: "and",
            ast.Or: "or", ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//"}


def _sym(op: ast.AST) -> str:
    return _SYMBOLS[type(op)]


def mutants(source: str) -> list[Mutant]:
    """Every mutant of `source` that parses and differs from it, in source order."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    collector = _Collector([line.rstrip("\n") for line in lines])
    for stmt in tree.body:
        collector.visit(stmt)
    original = ast.dump(tree)
    out: list[Mutant] = []
    for node, text, description in collector.found:
        mutated = _replace(lines, node, text)
        try:
            changed = ast.dump(ast.parse(mutated)) != original
        except SyntaxError:
            continue
        if changed:
            out.append(Mutant(node.lineno, description, mutated))
    return out


def _replace(lines: list[str], node: ast.AST, text: str) -> str:
    """The source with the node's exact span replaced by `text` (offsets are UTF-8 bytes)."""
    first, last = node.lineno - 1, node.end_lineno - 1
    head = lines[first].encode()[:node.col_offset].decode()
    tail = lines[last].encode()[node.end_col_offset:].decode()
    return "".join(lines[:first]) + head + text + tail + "".join(lines[last + 1:])


# ---- running them --------------------------------------------------------------------------

def _scratch() -> Path:
    """A copy of the repository (code and tests, not .git or .venv) to mutate in."""
    folder = Path(tempfile.mkdtemp(prefix="slawatch-mutation-"))
    ignore = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".hypothesis", "node_modules",
                                    "*.egg-info", ".pytest_cache")
    shutil.copytree(ROOT, folder / "repo", ignore=ignore)
    return folder / "repo"


def _run_tests(copy: Path, tests: tuple[str, ...], timeout: float) -> str:
    """'passed', 'failed' or 'timeout' for the tests against the copy, in a forked child."""
    shutil.rmtree(copy / ".hypothesis", ignore_errors=True)
    pid = os.fork()
    if pid == 0:  # the child: run pytest in-process on the copy, exit with its status
        try:
            os.chdir(copy)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest
            code = pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0",
                                *[str(copy / t) for t in tests]])
        except BaseException:  # noqa: BLE001 - whatever happens, the child must not return
            code = 3
        os._exit(int(code))
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return "passed" if os.waitstatus_to_exitcode(status) == 0 else "failed"
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "timeout"
        time.sleep(0.05)


def _in_lines(line: int, spans: list[tuple[int, int]] | None) -> bool:
    return spans is None or any(lo <= line <= hi for lo, hi in spans)


def _spans(text: str | None) -> list[tuple[int, int]] | None:
    if not text:
        return None
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return out


def run_file(copy: Path, path: str, tests: tuple[str, ...], spans, listing: bool) -> tuple[int, int, int]:
    """Mutate one file; print its survivors; return (mutants, killed, timeouts)."""
    target = copy / path
    original = target.read_text()
    found = [m for m in mutants(original) if _in_lines(m.line, spans)]
    if listing:
        for m in found:
            print(f"{path}:{m.line}: {m.description}")
        return len(found), 0, 0
    started = time.monotonic()
    if _run_tests(copy, tests, timeout=1800) != "passed":
        print(f"{path}: its tests fail without any mutant ({', '.join(tests)}); not run", flush=True)
        return len(found), -1, 0
    timeout = 5 * (time.monotonic() - started) + 10
    killed = timeouts = 0
    try:
        for m in found:
            target.write_text(m.source)
            outcome = _run_tests(copy, tests, timeout)
            if outcome == "passed":
                print(f"{path}:{m.line}: {m.description}", flush=True)
            else:
                killed += 1
                timeouts += outcome == "timeout"
    finally:
        target.write_text(original)
    return len(found), killed, timeouts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", action="append", help="a file of processors/ (repeatable); default: all")
    parser.add_argument("--tests", help="comma-separated test files instead of the file's own (TESTS)")
    parser.add_argument("--lines", help="only mutants on these lines, e.g. 10-40,55")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    args = parser.parse_args(argv)
    files = args.file or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "processors").glob("*.py")
                                if p.name != "__init__.py")
    sys.dont_write_bytecode = True
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    copy = _scratch()
    os.environ["PYTHONPATH"] = str(copy) + os.pathsep + os.environ.get("PYTHONPATH", "")
    sys.path.insert(0, str(copy))
    for name in WARM:
        try:
            __import__(name)
        except ImportError:
            pass
    scores = []
    try:
        for path in files:
            path = str(Path(path))
            tests = tuple(args.tests.split(",")) if args.tests else TESTS.get(path)
            if not tests:
                scores.append(f"{path}: no test files mapped (add it to TESTS or pass --tests)")
                continue
            tests = tuple(t for t in tests if (ROOT / t).exists())
            total, killed, timeouts = run_file(copy, path, tests, _spans(args.lines), args.list)
            if args.list:
                scores.append(f"{path}: {total} mutants")
            elif killed < 0:
                scores.append(f"{path}: not run, its tests fail unmutated")
            else:
                score = 100.0 * killed / total if total else 100.0
                scores.append(f"{path}: {score:.1f}% ({killed}/{total} killed, {timeouts} by timeout,"
                              f" {total - killed} survived) with {', '.join(tests)}")
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    print("\n".join(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
