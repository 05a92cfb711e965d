"""Every spreadsheet or CSV file a user takes out of the system is written here, and audited.

Two promises hold for each of them:

- **No cell runs.** Text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  is what Excel, LibreOffice and WPS read as a formula (OWASP, "CSV Injection"): a member named
  ``=cmd|' /C calc'!A0`` would run a command on the cadre's computer. In a workbook such text is an
  explicit text cell with Excel's quote prefix (what Excel itself stores when someone types
  ``'=…``): it shows exactly as typed and stays text when the cell is edited. In a CSV file, which
  has no cell types, a single quote is put before it. Numbers, money and dates that the code
  produces (``int``, ``Decimal``, ``date``) stay typed: only text is ever neutralised.
- **One audit line per export** (``export``): who took which file, with its row count, written once
  the file is complete. A file that failed half-way went nowhere and leaves no line.

Workbooks are written in openpyxl's write-only mode, which streams rows to the target, so a list of
half a million members never holds half a million rows in memory.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from gonghui.core import audit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
FORMATS = {"xlsx": XLSX, "csv": CSV}

# A text beginning with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = frozenset("=+-@\t\r")
PROGRESS_EVERY = 2_000


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value[:1] in FORMULA_STARTS


def csv_text(value: str) -> str:
    """``value`` as a CSV field: with a leading single quote when a spreadsheet would run it."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


@dataclass(frozen=True)
class Sheet:
    """One sheet (or the one table of a CSV file): a header row, then rows of plain values."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[float] = ()  # column widths, from the first column on
    freeze_header: bool = False


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl took a leading "=" for a formula
    cell.quotePrefix = True
    return cell


def write_xlsx(sheets: Iterable[Sheet], target: str | IO[bytes], *,
               progress: Callable[[int], None] | None = None, progress_every: int = PROGRESS_EVERY) -> int:
    """Write ``sheets`` as one workbook to ``target``; returns the number of rows (headers not counted).

    ``progress(rows written so far)`` is called every ``progress_every`` rows.
    """
    wb = Workbook(write_only=True)
    count = 0
    try:
        for spec in sheets:
            ws = wb.create_sheet(spec.title[:31])  # Excel's limit for a sheet's name
            for index, width in enumerate(spec.widths, start=1):
                ws.column_dimensions[get_column_letter(index)].width = width
            if spec.freeze_header:
                ws.freeze_panes = "A2"
            header = []
            for title in spec.headers:
                cell = _text_cell(ws, title) if is_formula_like(title) else WriteOnlyCell(ws, value=title)
                cell.font = Font(bold=True)
                header.append(cell)
            ws.append(header)
            for row in spec.rows:
                ws.append([_text_cell(ws, v) if isinstance(v, str) and v[:1] in FORMULA_STARTS else v for v in row])
                count += 1
                if progress is not None and count % progress_every == 0:
                    progress(count)
        wb.save(target)
    except BaseException:
        _discard(wb)
        raise
    return count


def _discard(wb: Workbook) -> None:
    """Remove the sheets' temporary files of a workbook that will not be saved (they hold its rows)."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)  # openpyxl streams each write-only sheet to a temporary file
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            ws.close()
        with contextlib.suppress(OSError, ValueError):
            writer.cleanup()


def _csv_field(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal | dt.date):  # typed by the code: written as it is
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return csv_text(str(value))


def write_csv(sheet: Sheet, target: IO[bytes]) -> int:
    """Write ``sheet`` as CSV in UTF-8 with a BOM (so Excel reads the Chinese); returns the row count."""
    out = io.TextIOWrapper(target, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(out)
        writer.writerow([_csv_field(h) for h in sheet.headers])
        count = 0
        for row in sheet.rows:
            writer.writerow([_csv_field(v) for v in row])
            count += 1
    finally:
        out.detach()  # the caller's file stays open
    return count


def export(*, actor, action: str, sheets: Sheet | Sequence[Sheet], target: str | IO[bytes], fmt: str = "xlsx",
           obj=None, org_path: str = "", data: dict | None = None, count_key: str = "rows",
           progress: Callable[[int], None] | None = None, progress_every: int = PROGRESS_EVERY) -> int:
    """Write a file a user takes away, then its audit line; returns the number of rows written.

    The audit line is ``action`` with ``data`` and the row count under ``count_key``. The caller has
    checked the actor's rights; ``fmt`` is ``xlsx`` (any number of sheets) or ``csv`` (one sheet).
    """
    specs = [sheets] if isinstance(sheets, Sheet) else list(sheets)
    if fmt == "csv":
        if len(specs) != 1 or isinstance(target, str):
            raise ValueError("a CSV export is one sheet written to an open binary file")
        count = write_csv(specs[0], target)
    elif fmt == "xlsx":
        count = write_xlsx(specs, target, progress=progress, progress_every=progress_every)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    with transaction.atomic():
        audit.record(actor=actor, action=action, obj=obj, org_path=org_path, data={**(data or {}), count_key: count})
    return count


def export_bytes(**kwargs) -> bytes:
    """``export`` into memory, for files small enough to hold (a payment batch, a feed's result)."""
    buffer = io.BytesIO()
    export(target=buffer, **kwargs)
    return buffer.getvalue()


def written(write: Callable[[IO[bytes]], object]) -> IO[bytes]:
    """A nameless temporary file that ``write(file)`` fills, rewound for reading; closed if writing fails.

    Write-only workbooks need a real file; this one never has a name on disk to leave behind."""
    handle = tempfile.TemporaryFile()
    try:
        write(handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def attachment(content: bytes | IO[bytes], *, filename: str, content_type: str = XLSX) -> HttpResponse:
    """The download response of an export: an attachment that no cache keeps (it holds personal data).

    ``content`` is the file's bytes, or an open file that is streamed and then closed."""
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        response = FileResponse(content, as_attachment=True, filename=filename, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response

