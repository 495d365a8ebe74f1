"""The caseload as a spreadsheet: the columns of the caseload page, one row per case.

Identifying (the youth's name) because only cases the user may see are ever passed in,
and each is logged as exported by the view. Text that a spreadsheet would run as a
formula is written as text."""

import csv
import io

from django.utils import timezone

from hubnet.spreadsheets import spreadsheet_cell, xlsx

COLUMNS = [
    "Case number",
    "Youth",
    "Preferred name",
    "County",
    "Tribe",
    "Status",
    "Agency",
    "Worker",
    "Imminent danger",
    "Not safe right now",
    "Next step",
    "Next step due",
    "Overdue steps (yours)",
    "Overdue steps (others')",
    "Opened",
    "Closed",
]


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def caseload_records(cases) -> list[list]:
    """`cases` (annotated by `steps_summary`) as rows under COLUMNS."""
    records = []
    for case in cases:
        worker = case.assigned_worker
        records.append(
            [
                case.number,
                f"{case.youth.legal_first_name} {case.youth.legal_last_name}",
                case.youth.preferred_name,
                case.county.name,
                case.youth.tribe.name if case.youth.tribe_id else "",
                case.get_status_display(),
                case.agency.name if case.agency_id else "",
                (worker.get_full_name() or worker.get_username()) if worker else "",
                "yes" if case.referral.imminent_danger else "no",
                "yes" if case.is_unsafe_now else "no",
                case.next_step_title or "",
                _when(case.next_step_due),
                case.overdue_mine,
                case.overdue_waiting_hub + case.overdue_waiting_agency,
                _when(case.opened_at),
                _when(case.closed_at),
            ]
        )
    return records


def caseload_csv(cases) -> str:
    """UTF-8 with a byte-order mark, so Excel shows "Díaz" as typed."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for record in caseload_records(cases):
        writer.writerow([spreadsheet_cell(value) for value in record])
    return buffer.getvalue()


def caseload_xlsx(cases, *, title: str) -> bytes:
    return xlsx(
        sheet="Caseload",
        columns=COLUMNS,
        records=caseload_records(cases),
        about=[
            title,
            "Confidential: records of youth at risk of trafficking (Wis. Stat. 48.981(7)).",
            "Every case in this file is recorded in its access log as exported.",
        ],
    )
