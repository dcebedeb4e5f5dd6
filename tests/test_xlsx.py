"""web/xlsx.py, the exports' streaming XLSX writer: every value type it writes is read back by
openpyxl (an independent reader of the format) as what was given."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from web.xlsx import MAX_TEXT, column_letter, write_sheet


@pytest.mark.parametrize("index, letters", [
    (0, "A"), (25, "Z"),        # the single letters end at Z
    (26, "AA"), (51, "AZ"),     # then two: AA is the 27th column
    (701, "ZZ"), (702, "AAA"),  # 26 + 26*26 = 702 columns have one or two letters
])
def test_column_letters(index, letters):
    assert column_letter(index) == letters


def _read(data: bytes, read_only: bool = False):
    book = load_workbook(io.BytesIO(data), read_only=read_only)
    return book, [list(row) for row in book["clocks"].iter_rows(values_only=True)]


def test_values_come_back_as_written():
    rows = [
        ["ACME-1", 3600, 0.5, True, False, None, "打印机无法连接 — 上海办公室"],
        ["=HYPERLINK(\"http://x\")", -7, 1e-7, None, None, "", "+1 @x -2"],
        ["a < b & c > d \"q\" 'q'", 2**40, 12.25, False, True, "  both ends  ", "line\nbreak\ttab"],
    ]
    out = io.BytesIO()
    assert write_sheet(["a", "b", "c", "d", "e", "f", "g"], rows, out, name="clocks") == 3
    for read_only in (False, True):
        book, values = _read(out.getvalue(), read_only)
        assert book.sheetnames == ["clocks"]
        assert values[0] == ["a", "b", "c", "d", "e", "f", "g"]
        # None and "" are both an empty cell: openpyxl reads None for each
        assert values[1:] == [
            ["ACME-1", 3600, 0.5, True, False, None, "打印机无法连接 — 上海办公室"],
            ["=HYPERLINK(\"http://x\")", -7, 1e-7, None, None, None, "+1 @x -2"],
            ["a < b & c > d \"q\" 'q'", 2**40, 12.25, False, True, "  both ends  ", "line\nbreak\ttab"],
        ]
    book, _ = _read(out.getvalue())
    formula = book["clocks"]["A3"]
    assert formula.data_type == "s"  # a text that starts with = stays text, never a formula


def test_characters_xml_cannot_hold_are_dropped_and_long_text_is_cut():
    rows = [["bad \x00\x07\x1b text \ud800 end", "x" * (MAX_TEXT + 10)]]
    out = io.BytesIO()
    write_sheet(["a", "b"], rows, out, name="clocks")
    _, values = _read(out.getvalue())
    assert values[1] == ["bad  text  end", "x" * MAX_TEXT]


def test_an_empty_export_is_a_header_and_a_frozen_first_row():
    out = io.BytesIO()
    assert write_sheet(["ticket", "metric"], iter(()), out, name="clocks") == 0
    book, values = _read(out.getvalue())
    assert values == [["ticket", "metric"]]
    assert book["clocks"].freeze_panes == "A2"
    names = zipfile.ZipFile(io.BytesIO(out.getvalue())).namelist()
    assert names == ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/worksheets/sheet1.xml"]


def test_rows_are_written_as_they_come(tmp_path):
    """Rows are a generator read once; 70,000 rows (more than one flush of 64 KiB) all arrive."""
    path = tmp_path / "big.xlsx"
    count = write_sheet(["n", "text"], ([i, f"row {i}"] for i in range(70_000)), str(path), name="clocks")
    assert count == 70_000
    _, values = _read(path.read_bytes(), read_only=True)
    assert len(values) == 70_001 and values[-1] == [69_999, "row 69999"] and values[35_001] == [35_000, "row 35000"]
