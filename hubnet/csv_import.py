"""What the spreadsheet imports share (trainings, the resource directory): reading the
uploaded bytes, the delimiter and the header row, row-numbered errors, "did you mean"."""

import dataclasses
import difflib
import re
from collections.abc import Mapping
from typing import NamedTuple

MAX_BYTES = 1024 * 1024
MAX_ROWS = 500


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    required: bool
    what: str


class RowError(NamedTuple):
    """What is wrong, where: `row` as a spreadsheet numbers it (the header is row 1;
    None for the file as a whole), the column's name ("" for the whole row)."""

    row: int | None
    column: str
    message: str


def import_text(raw: bytes) -> tuple[str, list[RowError]]:
    """The file's text (UTF-8, a byte-order mark dropped), or the errors saying why it
    cannot be read."""
    if len(raw) > MAX_BYTES:
        return "", [RowError(None, "", f"The file is over {MAX_BYTES // 1024 // 1024} MB.")]
    if raw.startswith(b"PK\x03\x04"):
        return "", [
            RowError(
                None,
                "",
                "This is an Excel workbook, not a CSV file. In Excel choose File, Save As, "
                "'CSV UTF-8 (Comma delimited)', and upload that.",
            )
        ]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as bad:
        row = raw[: bad.start].count(b"\n") + 1
        return "", [
            RowError(
                row,
                "",
                "The file is not UTF-8 text (it may have been saved as 'CSV (Comma "
                "delimited)'). In Excel choose File, Save As, 'CSV UTF-8 (Comma delimited)'.",
            )
        ]


def delimiter(text: str) -> str:
    """Excel writes ';' where the decimal mark is a comma; the header row tells."""
    first = text.split("\n", 1)[0]
    return max([",", ";", "\t"], key=first.count)


def column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def normal(text: str) -> str:
    return " ".join(re.sub(r"[_\-.]+", " ", text).lower().split())


def unknown(what: str, value: str, names: Mapping[str, str]) -> str:
    """'Unknown county "Outagami". Did you mean "Outagamie"?': `names` are the known
    names as a person writes them, by their normalised form."""
    close = difflib.get_close_matches(normal(value), list(names), n=1, cutoff=0.6)
    return f'Unknown {what} "{value}".' + (f' Did you mean "{names[close[0]]}"?' if close else "")


def header_read(
    header: list[str], known: list[str], required: list[str]
) -> tuple[list[str], list[RowError]]:
    """The column each cell of a row belongs to ("" for a column without a name), and
    the header's errors: unknown (with a guess), repeated and missing required columns."""
    names = [column_key(name) for name in header]
    errors = []
    for name in dict.fromkeys(n for n in names if n and n not in known):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        errors.append(RowError(1, name, f'Unknown column "{name}".{hint}'))
    for name in dict.fromkeys(n for n in names if n and names.count(n) > 1):
        errors.append(RowError(1, name, "The column appears more than once."))
    for name in required:
        if name not in names:
            errors.append(RowError(1, name, "This required column is missing."))
    return names, errors
