"""Files people open in a spreadsheet: what someone typed is never run as a formula."""

import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def spreadsheet_cell(value):
    """`value` for a CSV cell: text that would start a formula (=, +, -, @, tab, return)
    gets a leading quote, so opening the file never runs what someone typed."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _storable(value):
    """Text without the control characters a workbook cannot hold (a vertical tab pasted
    into a title would otherwise make the whole file fail)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def xlsx(*, sheet: str, columns: list[str], records, about: list[str]) -> bytes:
    """A workbook: `records` under bold `columns` (frozen), and an "About" sheet with the
    lines of `about` (the first in bold). Typed text beginning with "=" stays text; control
    characters are dropped."""
    book = Workbook()
    data = book.active
    data.title = sheet
    data.append(columns)
    for cell in data[1]:
        cell.font = Font(bold=True)
    # Cell by cell (asking the sheet for its last row each time would read every cell
    # written so far: minutes for a quarter's figures).
    for row, record in enumerate(records, start=2):
        for column, value in enumerate(record, start=1):
            cell = data.cell(row=row, column=column, value=_storable(value))
            if cell.data_type == "f":
                cell.data_type = "s"
    data.freeze_panes = "A2"
    for index, name in enumerate(columns, start=1):
        data.column_dimensions[get_column_letter(index)].width = max(14, len(name) + 2)
    notes = book.create_sheet("About")
    for line in about:
        notes.append([_storable(line)])
    notes["A1"].font = Font(bold=True)
    notes.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
