"""A region's coverage: each county's trainings and people trained in the last four
quarters, the counties nobody reached highlighted."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from regions.models import Region
from regions.quarters import Quarter
from training.coverage import coverage_of
from training.selectors import may_manage_trainings
from training.views.common import network_member_required, training_nav

QUARTERS_SHOWN = 4


@require_GET
@network_member_required
def region_coverage(request: HttpRequest, number: int) -> HttpResponse:
    """Any region, for anyone in the network: trainings are not confidential."""
    region = get_object_or_404(Region, number=number)
    current = Quarter.current()
    coverage = coverage_of(region, current.back(QUARTERS_SHOWN))
    tables = [
        {"kind": kind, "title": title, "noun": noun, "rows": rows}
        for kind, title, noun, rows in [
            ("county", "Counties", "County", coverage.counties),
            ("tribe", "Tribes", "Tribe", coverage.tribes),
        ]
        if rows
    ]
    return render(
        request,
        "training/coverage.html",
        {
            "coverage": coverage,
            "tables": tables,
            "current_quarter": current,
            "regions": Region.objects.order_by("number"),
            "may_log": may_manage_trainings(request.user, region),
            "nav": training_nav(request, "coverage"),
        },
    )
