"""A batch of trainings from a CSV file: the template's columns, and each row read into a
`TrainingInput` checked with the same rules as the form (`training_check`).

The columns, in the template's order (`COLUMNS` is the one definition; the upload page
and the README list them from here):

==================  ========  ==========================================================
column              required  what to write
==================  ========  ==========================================================
title               yes       the training's title
date                yes       YYYY-MM-DD, or M/D/YYYY as Excel writes it
start_time          no        HH:MM (24-hour), or 9:30 AM
duration_hours      yes       hours, 0.25 to 80 (1.5, or 1,5, for an hour and a half)
format              yes       in_person, virtual or hybrid (or In person, Virtual, Hybrid)
topics              yes       topic keys or labels, separated by ";"
counties            yes       county names or FIPS codes, ";"-separated ("Outagamie",
                              "Outagamie County" and "55087" are the same)
tribes              no        tribe names, ";"-separated
delivered_by_hub    no        yes or no (default yes): the hub's own people presented
partner_agencies    no        agency names as HubNet lists them, ";"-separated
presenters          no        other presenters or organisations, as text
venue               no        host or venue
education ... other no        one column per sector (training.models.Sector keys): how
                              many people of that sector attended; empty = 0. Leave all
                              empty for a planned training.
youth_attendees     no        of the attendees, how many were youth
notes               no        notes; never names or details of attendees
==================  ========  ==========================================================

Header names are read case-insensitively, trimmed, spaces taken as "_". A file may be
comma-, semicolon- or tab-separated, with or without Excel's byte-order mark, CRLF line
ends and empty rows. Rows are numbered as a spreadsheet shows them: the header is row 1.
The template's example rows (titled "EXAMPLE (delete this row): ...") are refused, so that
a forgotten one is never counted as a training.
"""

import csv
import dataclasses
import datetime
import io
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import NamedTuple, TypeVar

from django.core.exceptions import ValidationError
from django.utils import timezone

from hubnet.csv_import import (
    MAX_ROWS,
    Column,
    RowError,
    delimiter,
    header_read,
    normal,
    unknown,
)
from regions.models import Agency, County, Region, Tribe
from training.models import MAX_HOURS, MAX_PER_SECTOR, Sector, Topic, Training, TrainingFormat
from training.services import TrainingInput, training_check

T = TypeVar("T")
ATTENDANCE = "attendance (sector columns)"  # where an error about the counts as a whole goes
EXAMPLE = "EXAMPLE (delete this row): "  # how the template's example rows' titles begin


COLUMNS: list[Column] = [
    Column("title", True, "The training's title."),
    Column("date", True, "YYYY-MM-DD (2026-03-14), or M/D/YYYY (3/14/2026) as Excel writes it."),
    Column("start_time", False, "HH:MM, 24-hour (13:30), or 1:30 PM."),
    Column(
        "duration_hours",
        True,
        f"How long, in hours: 0.25 to {MAX_HOURS:g} (1.5 or 1,5 = 90 min).",
    ),
    Column(
        "format",
        True,
        "in_person, virtual or hybrid (or " + ", ".join(TrainingFormat.labels) + ").",
    ),
    Column(
        "topics",
        True,
        "One or more, separated by ';': " + "; ".join(f"{t.value} ({t.label})" for t in Topic),
    ),
    Column(
        "counties",
        True,
        "The counties reached, separated by ';': names ('Outagamie' or 'Outagamie County') "
        "or FIPS codes (55087).",
    ),
    Column("tribes", False, "The tribes reached, by name, separated by ';'."),
    Column("delivered_by_hub", False, "yes or no: the hub's own people presented (empty = yes)."),
    Column(
        "partner_agencies",
        False,
        "Agencies that presented, by their name in HubNet, separated by ';'.",
    ),
    Column("presenters", False, "Other presenters or organisations, as text."),
    Column("venue", False, "The host or venue."),
    *(
        Column(
            sector.value,
            False,
            f"Attendance, {sector.label}: how many came (a whole number; empty = 0).",
        )
        for sector in Sector
    ),
    Column("youth_attendees", False, "Of the attendees, how many were youth (optional)."),
    Column(
        "notes",
        False,
        "Notes. Attendees are counted, never named: no names or details of attendees.",
    ),
]
COLUMN_NAMES = [column.name for column in COLUMNS]
REQUIRED = [column.name for column in COLUMNS if column.required]
SECTOR_COLUMNS = Sector.values


class Duplicate(NamedTuple):
    """A row that looks like a training already logged: the same date and title as
    `training` (logged in the region) or as an earlier `row` of the same file."""

    row: int
    title: str
    date: datetime.date
    training: Training | None = None
    same_as_row: int | None = None


@dataclasses.dataclass
class ParsedImport:
    """A file read: its trainings as numbered rows, and every error found (none means
    every row passed `training_check`)."""

    rows: list[tuple[int, TrainingInput]] = dataclasses.field(default_factory=list)
    errors: list[RowError] = dataclasses.field(default_factory=list)
    rows_read: int = 0

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors if e.row is not None and e.row > 1})


def import_rows(text: str, *, region: Region, today: datetime.date | None = None) -> ParsedImport:
    """Every row of `text` as a `TrainingInput` for `region`, checked; with every error of
    every row (example rows, unreadable cells, unknown names, and what `training_check`
    refuses, such as another region's partner agencies)."""
    today = today or timezone.localdate()
    result = ParsedImport()
    if not text.strip():
        result.errors.append(RowError(None, "", "The file is empty."))
        return result
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter(text)))
    except csv.Error as unreadable:
        result.errors.append(RowError(None, "", f"The file cannot be read as CSV: {unreadable}."))
        return result
    header, *data = records
    names, header_errors = header_read(header, COLUMN_NAMES, REQUIRED)
    if header_errors:
        result.errors = header_errors
        return result
    numbered = [
        (number, cells)
        for number, cells in enumerate(data, start=2)
        if any(cell.strip() for cell in cells)
    ]
    result.rows_read = len(numbered)
    if not numbered:
        result.errors.append(RowError(None, "", "The file has a header but no trainings."))
        return result
    if len(numbered) > MAX_ROWS:
        result.errors.append(
            RowError(
                None,
                "",
                f"The file has {len(numbered)} trainings; import at most {MAX_ROWS} at a "
                "time (split the file).",
            )
        )
        return result
    references = _References()
    for number, cells in numbered:
        data_in, errors = _row(number, names, cells, references, region, today)
        result.errors.extend(errors)
        if not errors:
            result.rows.append((number, data_in))
    return result


def import_duplicates(region: Region, rows: list[tuple[int, TrainingInput]]) -> list[Duplicate]:
    """The rows (checked, numbered) that look like trainings already logged in `region`,
    or like an earlier row of the file: the same date and the same title, trimmed and
    whatever the case. Importing a file twice is the usual cause. One query."""
    logged: dict[tuple[datetime.date, str], Training] = {}
    dates = {data.date for _, data in rows}
    for training in Training.objects.filter(region=region, date__in=dates).order_by("pk"):
        logged.setdefault((training.date, _same_title(training.title)), training)
    earlier: dict[tuple[datetime.date, str], int] = {}
    duplicates = []
    for number, data in rows:
        key = (data.date, _same_title(data.title))
        if key in logged:
            duplicates.append(Duplicate(number, data.title, data.date, training=logged[key]))
        elif key in earlier:
            duplicates.append(Duplicate(number, data.title, data.date, same_as_row=earlier[key]))
        earlier.setdefault(key, number)
    return duplicates


def _same_title(title: str) -> str:
    return title.strip().casefold()


def _split(cell: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", cell) if part.strip()]


def _found(
    parts: Iterable[str],
    known: Mapping[str, T],
    *,
    what: str,
    names: Mapping[str, str],
    column: str,
    errors: dict,
) -> list[T]:
    """What each of `parts` names in `known` (by its normalised name), once each; an
    unknown one is an error of `column`, with the closest of `names` as a hint."""
    found = []
    for part in parts:
        if (item := known.get(normal(part))) is not None:
            found.append(item)
        else:
            errors[column] = unknown(what, part, names)
    return list(dict.fromkeys(found))


class _References:
    """Counties, tribes, agencies and choices by every name a row may use (3 queries), and
    the names to suggest for an unknown one."""

    def __init__(self):
        self.counties: dict[str, County] = {}
        self.county_names: dict[str, str] = {}
        for county in County.objects.all():
            for name in (county.name, f"{county.name} County"):
                self.counties[normal(name)] = county
                self.county_names[normal(name)] = county.name
            self.counties[county.fips] = county
        self.tribes = {normal(tribe.name): tribe for tribe in Tribe.objects.all()}
        self.tribe_names = {key: tribe.name for key, tribe in self.tribes.items()}
        self.agencies = {normal(agency.name): agency for agency in Agency.objects.all()}
        self.agency_names = {key: agency.name for key, agency in self.agencies.items()}
        self.topics = {}
        for topic in Topic:
            label = normal(topic.label)
            self.topics.update({normal(topic.value): topic.value, label: topic.value})
            self.topics[label.removeprefix("the ")] = topic.value
        self.formats = {}
        for choice in TrainingFormat:
            self.formats.update(
                {normal(choice.value): choice.value, normal(choice.label): choice.value}
            )


def _row(
    number: int,
    names: list[str],
    cells: list[str],
    references: _References,
    region: Region,
    today: datetime.date,
) -> tuple[TrainingInput, list[RowError]]:
    """One row as input, and its errors: what could not be read, then what
    `training_check` refuses of the rest. A template's example row is refused whole."""
    errors: dict[str, str] = {}
    value: dict[str, str] = {}
    for index, cell in enumerate(cells):
        name = names[index] if index < len(names) else ""
        if name:
            value[name] = cell.strip()
        elif cell.strip():
            errors[""] = (
                f"There is a value in column {index + 1}, which has no name in the header."
            )

    def cell(name: str) -> str:
        return value.get(name, "")

    if normal(cell("title")).startswith(normal(EXAMPLE)):
        message = (
            "This is one of the template's example rows (its title begins "
            f'"{EXAMPLE.strip()}"). Delete the example rows from the spreadsheet and '
            "upload it again."
        )
        return TrainingInput(), [RowError(number, "", message)]

    data = TrainingInput(
        title=cell("title"),
        presenters=cell("presenters"),
        venue=cell("venue"),
        notes=cell("notes"),
    )
    data.date = _date(cell("date"), errors)
    data.start_time = _time(cell("start_time"), errors)
    data.duration_hours = _hours(cell("duration_hours"), errors)

    written = cell("format")
    data.format = references.formats.get(normal(written), "")
    if written and not data.format:
        errors["format"] = f'Unknown format "{written}". Write in_person, virtual or hybrid.'

    data.topics = _found(
        _split(cell("topics")),
        references.topics,
        what="topic",
        names={key: key for key in references.topics},
        column="topics",
        errors=errors,
    )
    data.counties = _found(
        _split(cell("counties")),
        references.counties,
        what="county",
        names=references.county_names,
        column="counties",
        errors=errors,
    )
    data.tribes = _found(
        _split(cell("tribes")),
        references.tribes,
        what="tribe",
        names=references.tribe_names,
        column="tribes",
        errors=errors,
    )
    # An agency's name may hold a comma: only ";" separates agencies.
    data.partner_agencies = _found(
        [part.strip() for part in cell("partner_agencies").split(";") if part.strip()],
        references.agencies,
        what="agency",
        names=references.agency_names,
        column="partner_agencies",
        errors=errors,
    )

    by_hub = normal(cell("delivered_by_hub"))
    if by_hub in ("", "yes", "y", "true", "1"):
        data.delivered_by_hub = True
    elif by_hub in ("no", "n", "false", "0"):
        data.delivered_by_hub = False
    else:
        errors["delivered_by_hub"] = "Write yes or no (or leave it empty for yes)."

    attendance = {}
    for sector in SECTOR_COLUMNS:
        count = _count(cell(sector), sector, errors)
        if count:
            attendance[sector] = count
    data.attendance = attendance
    data.youth_attendees = _count(cell("youth_attendees"), "youth_attendees", errors, empty=None)

    try:
        training_check(data, region=region, today=today)
    except ValidationError as refused:
        for field, messages in refused.message_dict.items():
            column = {"attendance": ATTENDANCE, "__all__": ""}.get(field, field)
            if column not in errors and not (
                column == ATTENDANCE and errors.keys() & set(SECTOR_COLUMNS)
            ):
                errors[column] = " ".join(messages)
    order = {name: i for i, name in enumerate(["", *COLUMN_NAMES, ATTENDANCE])}
    return data, [
        RowError(number, column, message)
        for column, message in sorted(errors.items(), key=lambda item: order[item[0]])
    ]


def _date(text: str, errors: dict) -> datetime.date | None:
    if not text:
        return None
    # A cell Excel holds as a date and time is written with its (midnight) time.
    for pattern in ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    errors["date"] = f'"{text}" is not a date. Write YYYY-MM-DD (2026-03-14) or M/D/YYYY.'
    return None


def _time(text: str, errors: dict) -> datetime.time | None:
    if not text:
        return None
    plain = text.upper().replace(".", "")
    for pattern in ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I %p"):
        try:
            return datetime.datetime.strptime(plain, pattern).time()  # noqa: DTZ007
        except ValueError:
            continue
    errors["start_time"] = f'"{text}" is not a time. Write HH:MM (13:30), or leave it empty.'
    return None


def _hours(text: str, errors: dict) -> Decimal | None:
    if not text:
        return None
    # Excel where the decimal mark is a comma writes an hour and a half as "1,5".
    if re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")
    try:
        hours = Decimal(text)
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite():
        errors["duration_hours"] = f'"{text}" is not a number of hours. Write 1.5, 2 or 0.75.'
        return None
    return hours


def _count(text: str, column: str, errors: dict, *, empty: int | None = 0) -> int | None:
    """A whole number of people from 0 (a spreadsheet may write 12 as 12.0)."""
    if not text:
        return empty
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        errors[column] = (
            f'"{text}" is not a whole number. Write a count such as 12, or leave it empty.'
        )
        return empty
    if not 0 <= number <= MAX_PER_SECTOR:
        errors[column] = f"Give a whole number from 0 to {MAX_PER_SECTOR:,}."
        return empty
    return int(number)


def template_rows(region: Region, *, today: datetime.date | None = None) -> list[list[str]]:
    """The template: the header, and two example rows for `region` (one delivered last
    month with attendance, one planned next month). The import refuses them while their
    titles begin with `EXAMPLE`; without it they would import as they are."""
    today = today or timezone.localdate()
    counties = list(region.counties.order_by("name")[:2])
    tribe = region.tribes.order_by("name").first()
    agency = region.agencies.filter(county__in=counties).order_by("name").first()
    delivered = {
        "title": f"{EXAMPLE}Recognising trafficking, for school staff",
        "date": (today - datetime.timedelta(days=30)).isoformat(),
        "start_time": "09:30",
        "duration_hours": "2",
        "format": TrainingFormat.IN_PERSON.label,
        "topics": f"{Topic.AWARENESS.label}; {Topic.INDICATORS.label}",
        "counties": "; ".join(c.name for c in counties),
        "tribes": tribe.name if tribe else "",
        "delivered_by_hub": "yes",
        "partner_agencies": agency.name if agency else "",
        "presenters": "",
        "venue": "District office, training room",
        Sector.EDUCATION.value: "24",
        Sector.LAW_ENFORCEMENT.value: "3",
        "youth_attendees": "0",
        "notes": "Counts only: never write names or details of attendees.",
    }
    planned = {
        "title": f"{EXAMPLE}The Response Protocol for hotel staff",
        "date": (today + datetime.timedelta(days=30)).isoformat(),
        "start_time": "",
        "duration_hours": "1.5",
        "format": TrainingFormat.VIRTUAL.value,
        "topics": Topic.RESPONSE_PROTOCOL.value,
        "counties": f"{counties[0].name} County" if counties else "",
        "delivered_by_hub": "yes",
        "presenters": "",
        "venue": "",
        "notes": "Planned: leave attendance empty until it has taken place.",
    }
    return [COLUMN_NAMES] + [
        [str(example.get(name, "")) for name in COLUMN_NAMES] for example in (delivered, planned)
    ]


def template_csv(region: Region, *, today: datetime.date | None = None) -> bytes:
    """The template as a file Excel opens as UTF-8 (byte-order mark, CRLF)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(template_rows(region, today=today))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
