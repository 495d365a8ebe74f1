"""The trainings list (filters, sorting, totals, upcoming) and its CSV/XLSX export."""

from django.core.paginator import Paginator
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from hubnet.forms import QuickSelect
from hubnet.sorting import SortableColumns
from regions.models import County, Region
from regions.quarters import Quarter
from training import exports
from training.filters import TrainingFilter
from training.models import Sector, TrainingStatus
from training.selectors import (
    home_region_of,
    training_regions_managed_by,
    training_totals,
    trainings_visible_to,
)
from training.views.common import network_member_required, training_nav

PAGE_SIZE = 25
UPCOMING_SHOWN = 5
WAITING_SHOWN = 5  # planned trainings whose day has come, listed for their hub
EXPORT_LIMIT = 5000
QUARTERS_OFFERED = 8

# (key, column heading, what it orders by ascending or None when it does not sort,
#  descending first?)
COLUMNS = [
    ("date", "Date", ("date", "start_time"), True),
    ("title", "Title", (Lower("title"),), False),
    ("region", "Region", ("region__number",), False),
    ("counties", "Counties", None, False),
    ("topics", "Topics", None, False),
    ("format", "Format", ("format",), False),
    ("status", "Status", None, False),
    ("people", "People trained", ("total_attendees",), True),
    ("hours", "Hours", ("duration_hours",), True),
]
SORTING = SortableColumns(COLUMNS, default="-date", numeric={"people", "hours"})
# What the list calls each filter, to name the one that is wrong.
FILTER_LABELS = {
    "q": "Search",
    "region": "Region",
    "quarter": "Quarter",
    "county": "County reached",
    "tribe": "Tribe reached",
    "topic": "Topic",
    "sector": "Sector trained",
    "format": "Format",
    "status": "Status",
}


def _quarter_choices(chosen: str) -> list:
    """The last QUARTERS_OFFERED quarters, newest first, and any other quarter the link
    asked for (from the API or a coverage page)."""
    quarters = list(reversed(Quarter.current().back(QUARTERS_OFFERED)))
    try:
        asked = Quarter.parse(chosen) if chosen else None
    except ValueError:
        asked = None
    if asked and asked not in quarters:
        quarters = sorted([*quarters, asked], reverse=True)
    return [("", "Any quarter"), *((str(q), q.label) for q in quarters)]


def _county_choices(home: Region | None) -> list:
    """The county filter's choices: the viewer's region's counties first, then the rest.
    Reference data only: no scan of the trainings."""
    counties = list(County.objects.order_by("name").values_list("fips", "name", "region_id"))
    if home is None:
        return [("", "Any county"), *((fips, name) for fips, name, _ in counties)]
    own = [(fips, name) for fips, name, region in counties if region == home.pk]
    other = [(fips, name) for fips, name, region in counties if region != home.pk]
    return [("", "Any county"), ("Your region", own), ("Other counties", other)]


def _filtered(request, visible):
    """The filter (the viewer's home region unless they chose "All regions"; cancelled
    trainings hidden unless a status is chosen) and its trainings in the chosen order."""
    data = request.GET.copy()
    home = home_region_of(request.user)
    if "region" not in data and home is not None:
        data["region"] = str(home.number)
    training_filter = TrainingFilter(data, queryset=visible, request=request)
    form = training_filter.form
    form.fields["quarter"].widget = QuickSelect(choices=_quarter_choices(data.get("quarter", "")))
    regions = [("", "All regions"), *((r.number, str(r)) for r in Region.objects.all())]
    form.fields["region"].widget = QuickSelect(choices=regions)
    form.fields["county"].widget = QuickSelect(choices=_county_choices(home))
    trainings = training_filter.qs if training_filter.is_valid() else visible.none()
    return training_filter, trainings.order_by(*SORTING.ordering(SORTING.sort_of(request)))


def _chosen(training_filter, name: str):
    """The value of filter `name` when the filters are valid and it is set, else None."""
    if not training_filter.is_valid():
        return None
    return training_filter.form.cleaned_data.get(name) or None


def _filter_errors(training_filter) -> list[dict]:
    """Each filter that is wrong, by the name the list gives it, with what is wrong."""
    return [
        {"label": FILTER_LABELS.get(name, name.capitalize()), "message": " ".join(messages)}
        for name, messages in training_filter.errors.items()
    ]


@require_GET
@network_member_required
def training_list(request: HttpRequest) -> HttpResponse:
    visible = trainings_visible_to(request.user)
    training_filter, trainings = _filtered(request, visible)
    page = Paginator(trainings, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    today = timezone.localdate()
    number = _chosen(training_filter, "region")
    region = int(number) if number else None
    sector = _chosen(training_filter, "sector")

    # A title, a date and a format each: nothing to prefetch.
    upcoming = visible.prefetch_related(None).filter(
        status=TrainingStatus.PLANNED, date__gte=today
    )
    if region:
        upcoming = upcoming.filter(region__number=region)
    # What the hub should do next: record who came to the trainings that have taken place
    # (before today: a training today is still upcoming).
    managed = training_regions_managed_by(request.user)
    waiting = (
        visible.prefetch_related(None)
        .filter(region__in=managed, status=TrainingStatus.PLANNED, date__lt=today)
        .order_by("date", "start_time", "id")
    )
    return render(
        request,
        "training/list.html",
        {
            "nav": training_nav(request, "list"),
            "filter": training_filter,
            "page": page,
            "headers": SORTING.headers(SORTING.sort_of(request), query),
            "query": query.urlencode(),
            "filter_errors": _filter_errors(training_filter),
            "totals": training_totals(trainings, sector=sector),
            # With a sector chosen, people trained are that sector's attendees only.
            "sector_trained": Sector(sector).label.lower() if sector else "",
            "region": region,
            "upcoming": list(upcoming.order_by("date", "start_time", "id")[:UPCOMING_SHOWN]),
            "upcoming_count": upcoming.count(),
            "waiting": list(waiting[:WAITING_SHOWN]) if managed else [],
            "waiting_count": waiting.count() if managed else 0,
            "filtered": any(
                value for key, value in request.GET.items() if key not in ("sort", "page")
            ),
        },
    )


@require_GET
@network_member_required
def training_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The list as it is filtered and sorted, every row (up to EXPORT_LIMIT), as CSV or
    XLSX."""
    training_filter, trainings = _filtered(request, trainings_visible_to(request.user))
    refused = {"nav": training_nav(request, "list"), "back": "?" + request.GET.urlencode()}
    if not training_filter.is_valid():
        # Not an empty file: the filters that are wrong, named, as the list names them.
        refused["filter_errors"] = _filter_errors(training_filter)
        return render(request, "training/export_refused.html", refused, status=400)
    rows = list(trainings[: EXPORT_LIMIT + 1])
    if len(rows) > EXPORT_LIMIT:
        refused.update(limit=EXPORT_LIMIT, count=trainings.count())
        return render(request, "training/export_refused.html", refused, status=400)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    if file_format == "xlsx":
        filters = ", ".join(
            f"{key}={value}"
            for key, value in training_filter.data.items()
            if value and key not in ("sort", "page")
        )
        title = f"HubNet trainings exported {stamp} by {request.user.get_username()}"
        body = exports.trainings_xlsx(rows, title=title, filters=filters)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.trainings_csv(rows)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="trainings-{stamp}.{file_format}"'
    return response
