"""The resource-gap view (cases.gaps): a region's, live for its hub specialists and from
the published figures for the state task force; Wisconsin's for the task force; and the
same matrix as a CSV or XLSX file. Counts only: no case is shown, so none is logged.

Everyone else (agency staff, account administrators, people with no role) gets a 403
page saying whose view it is and, for a hub specialist, a link to their own region's."""

import csv
import io
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cases.gaps import (
    EXPORT_COLUMNS,
    LAST_FOUR,
    GapMatrix,
    GapsRefused,
    gap_period,
    gap_regions,
    gaps_for,
    matrix_notes,
    matrix_records,
    period_choices,
)
from hubnet.spreadsheets import spreadsheet_cell, xlsx
from regions.models import Region
from regions.quarters import Quarter

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _region(number) -> Region | None:
    if number in (None, ""):
        return None
    try:
        return Region.objects.get(number=int(number))
    except (ValueError, Region.DoesNotExist):
        raise Http404("No such region.") from None


def _refused(request: HttpRequest, refused: GapsRefused) -> HttpResponse:
    return render(
        request,
        "cases/gaps.html",
        {"refused": str(refused), "own_regions": refused.regions},
        status=403,
    )


def _service(request: HttpRequest, matrix: GapMatrix) -> tuple[str, str]:
    """The one service type asked for ("" for all of them), and what is wrong with it."""
    service = request.GET.get("service", "").strip()
    if service and service not in {key for key, _ in matrix.columns}:
        return "", f"“{service}” is not a service type shown here."
    return service, ""


def _page(request: HttpRequest, region: Region | None) -> HttpResponse:
    current = Quarter.current()
    period_error = ""
    try:
        period = gap_period(request.GET.get("period"), current=current)
    except ValueError as exc:
        period_error = str(exc)
        period = gap_period(LAST_FOUR, current=current)
    try:
        matrix = gaps_for(request.user, region, period)
    except GapsRefused as refused:
        return _refused(request, refused)
    service_choices = matrix.columns
    service, service_error = _service(request, matrix)
    if service:
        matrix = matrix.only(service)
    export = reverse("cases:gaps-export")
    params = {"period": period.key, "region": region.number if region else "", "service": service}
    query = urlencode({key: value for key, value in params.items() if value})
    return render(
        request,
        "cases/gaps.html",
        {
            "matrix": matrix,
            "table_rows": [*matrix.rows, matrix.total],
            "period_choices": period_choices(current),
            "period_error": period_error,
            "service_choices": service_choices,
            "service_error": service_error,
            "regions": gap_regions(request.user),
            "statewide": not matrix.live and region is None,
            "sees_statewide": not matrix.live,
            "export_csv": f"{export}?{query}&format=csv",
            "export_xlsx": f"{export}?{query}&format=xlsx",
        },
    )


@require_GET
def gaps_state(request: HttpRequest) -> HttpResponse:
    """Wisconsin, a row per region: the state task force."""
    return _page(request, None)


@require_GET
def gaps_region(request: HttpRequest, number: int) -> HttpResponse:
    """A region, a row per county: its hub specialists (live), the task force
    (published)."""
    region = _region(number)
    return _page(request, region)


@require_GET
def gaps_export(request: HttpRequest) -> HttpResponse:
    """?region=N (none: Wisconsin)&period=last4|2026Q2&format=csv|xlsx: the page's matrix
    and reasons, the task force's suppressed as on the page."""
    region = _region(request.GET.get("region"))
    file_format = request.GET.get("format", "csv")
    try:
        period = gap_period(request.GET.get("period"))
    except ValueError as exc:
        return HttpResponse(f"period: {exc}", status=400, content_type="text/plain")
    if file_format not in FORMATS:
        return HttpResponse("format: choose csv or xlsx.", status=400, content_type="text/plain")
    try:
        matrix = gaps_for(request.user, region, period)
    except GapsRefused as refused:
        return _refused(request, refused)
    service, service_error = _service(request, matrix)
    if service_error:
        return HttpResponse(f"service: {service_error}", status=400, content_type="text/plain")
    if service:
        matrix = matrix.only(service)
    place = f"region-{region.number}" if region else "wisconsin"
    body = _csv(matrix) if file_format == "csv" else _xlsx(matrix)
    response = HttpResponse(body, content_type=FORMATS[file_format])
    narrowed = f"-{service}" if service else ""
    filename = f"hubnet-resource-gaps-{place}-{period.key}{narrowed}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv(matrix: GapMatrix) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for record in matrix_records(matrix):
        writer.writerow([spreadsheet_cell(value) for value in record])
    return buffer.getvalue()


def _xlsx(matrix: GapMatrix) -> bytes:
    return xlsx(
        sheet="Resource gaps",
        columns=EXPORT_COLUMNS,
        records=matrix_records(matrix),
        about=matrix_notes(matrix),
    )
