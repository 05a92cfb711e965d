"""Text that a spreadsheet program would run as a formula, and how the tests read exports back."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

# One per dangerous first character that survives the services' trimming (OWASP, "CSV Injection").
FORMULAS = ("=cmd|' /C calc'!A0", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0")


def body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content) if response.streaming else response.content


def cells(content: bytes, sheet: int = 0) -> list:
    """Every cell of one sheet (full mode: read-only mode does not tell a formula from text)."""
    book = load_workbook(io.BytesIO(content))
    return [cell for row in book.worksheets[sheet].iter_rows() for cell in row]


def assert_shown_as_text(content: bytes, texts, sheet: int = 0) -> None:
    """Each of ``texts`` stands in the sheet exactly as typed, as a text cell; no cell is a formula."""
    found = cells(content, sheet)
    assert not [c.coordinate for c in found if c.data_type == "f"], "a cell would run as a formula"
    by_value = {c.value: c for c in found if isinstance(c.value, str)}
    for text in texts:
        text = text.replace("\r", "\n")  # XML reads a carriage return in text back as a line feed
        assert text in by_value, f"{text!r} is not in the sheet as typed"
        assert by_value[text].data_type == "s" and by_value[text].quotePrefix


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def assert_csv_neutralised(content: bytes, texts) -> None:
    """Each of ``texts`` stands in the CSV behind a single quote; no field starts a formula."""
    fields = [field for row in csv_rows(content) for field in row]
    for text in texts:
        assert "'" + text in fields, f"{text!r} is not neutralised"
    assert not [f for f in fields if f[:1] in "=+@\t\r" or (f.startswith("-") and not _number(f))]


def _number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True
