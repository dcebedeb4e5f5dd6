"""A streaming XLSX writer for one sheet of plain values (text, numbers, booleans, empty): all
the clock exports need, at the speed a quarter's evidence needs.

Why not a library: openpyxl's write-only mode wrote about 55,000 cells a second on the project's
machine and XlsxWriter's constant-memory mode about 200,000 (both build and check every cell as an
object); a quarter of 100,000 tickets is over 5 million cells, 25 to 95 seconds. Here a row is one
string: each cell's reference and type are worked out once per column, text is escaped with one
`str.translate`. docs/benchmarks.md, "Export", has the figures; tests/test_exports.py reads the
files back with openpyxl.

The file is the minimum SpreadsheetML package (ECMA-376 part 1): content types, the package and
workbook relationships, the workbook, one worksheet. Text goes in inline strings (`t="inlineStr"`),
so there is no shared-string table to hold in memory, and a text is never read as a formula,
whatever it starts with. The worksheet is deflated into the zip as it is written: memory stays flat.
"""
from __future__ import annotations

import re
import zipfile
from typing import IO, Any, Iterable, Sequence

MAX_TEXT = 32767  # Excel's limit for one cell's text
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")  # XML 1.0 cannot hold them
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_FLUSH = 1 << 16

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    '</Relationships>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '</Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0">'  # the header row stays in view
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    '</sheetView></sheetViews><sheetData>')
_SHEET_END = '</sheetData></worksheet>'


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_xml(value: str) -> str:
    """A text as the content of an inline string: without the characters XML 1.0 cannot hold,
    cut to Excel's limit, escaped, spaces at either end kept."""
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    value = value[:MAX_TEXT].translate(_ESCAPE)
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f"<is><t{space}>{value}</t></is>"


def _cell(ref: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr">{text_xml(value)}</c>' if value else ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr">{text_xml(str(value))}</c>'


def write_sheet(header: Sequence[str], rows: Iterable[Sequence[Any]], target: str | IO[bytes],
                name: str = "sheet") -> int:
    """One sheet `name`: `header` as its first row, then `rows`, written as they come.
    Returns the number of rows after the header."""
    letters = [column_letter(i) for i in range(len(header))]
    count = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _PACKAGE_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK.format(name=name.translate(_ESCAPE).replace('"', "&quot;")))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            parts = [_SHEET_START, _row(1, letters, header)]
            size = 0
            for count, row in enumerate(rows, start=1):
                line = _row(count + 1, letters, row)
                parts.append(line)
                size += len(line)
                if size > _FLUSH:
                    sheet.write("".join(parts).encode())
                    parts, size = [], 0
            parts.append(_SHEET_END)
            sheet.write("".join(parts).encode())
    return count


def _row(number: int, letters: Sequence[str], values: Sequence[Any]) -> str:
    n = str(number)
    cells = "".join(_cell(letter + n, value) for letter, value in zip(letters, values))
    return f'<row r="{n}">{cells}</row>'


__all__ = ["MAX_TEXT", "column_letter", "text_xml", "write_sheet"]
