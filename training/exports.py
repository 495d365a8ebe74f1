"""The trainings list as a spreadsheet: one row per training, attendance one column per
sector.

Nothing here is personal data (attendees are counted, never named). Text someone typed
that a spreadsheet would run as a formula is written as text."""

import csv
import io

from hubnet.spreadsheets import spreadsheet_cell, xlsx
from training.models import Sector, hours_text

COLUMNS = [
    "ID",
    "Region",
    "Date",
    "Start time",
    "Title",
    "Status",
    "Format",
    "Topics",
    "Counties",
    "County FIPS",
    "Tribes",
    "Delivered by hub",
    "Partner agencies",
    "Presenters",
    "Host or venue",
    "Duration (hours)",
    *(f"Attendance: {label}" for label in Sector.labels),
    "Youth attendees",
    "Total attendees",
    "Cancel reason",
    "Notes",
]
HOURS = COLUMNS.index("Duration (hours)")


def training_records(trainings) -> list[list]:
    """`trainings` (from `trainings_visible_to`, related rows prefetched) as rows under
    COLUMNS. The duration is a number (a workbook shows 2.00 as 2 and adds it up)."""
    records = []
    for training in trainings:
        counties = list(training.counties.all())
        attendance = {row.sector: row.count for row in training.attendance.all()}
        records.append(
            [
                training.pk,
                training.region.number,
                training.date.isoformat(),
                training.start_time.strftime("%H:%M") if training.start_time else "",
                training.title,
                training.get_status_display(),
                training.get_format_display(),
                "; ".join(row.get_topic_display() for row in training.topic_rows.all()),
                "; ".join(county.name for county in counties),
                "; ".join(county.fips for county in counties),
                "; ".join(tribe.name for tribe in training.tribes.all()),
                "yes" if training.delivered_by_hub else "no",
                "; ".join(agency.name for agency in training.partner_agencies.all()),
                training.presenters,
                training.venue,
                training.duration_hours,
                *(attendance.get(sector, "") for sector in Sector.values),
                "" if training.youth_attendees is None else training.youth_attendees,
                training.total_attendees,
                training.cancel_reason,
                training.notes,
            ]
        )
    return records


def trainings_csv(trainings) -> str:
    """UTF-8 with a byte-order mark, so Excel shows "Lac Courte Oreilles" and "Ho-Chunk"
    as typed."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for record in training_records(trainings):
        record[HOURS] = hours_text(record[HOURS])  # "2" and "1.5", as the pages write them
        writer.writerow([spreadsheet_cell(value) for value in record])
    return buffer.getvalue()


def trainings_xlsx(trainings, *, title: str, filters: str) -> bytes:
    return xlsx(
        sheet="Trainings",
        columns=COLUMNS,
        records=training_records(trainings),
        about=[
            title,
            f"Filters: {filters or 'none'}.",
            "Attendance is counted by sector; no attendee is named.",
            "Cancelled trainings are listed only when the status filter asks for them.",
        ],
    )
