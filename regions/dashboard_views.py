"""The task force's dashboards, their exports and the "Recompute this quarter" button.

State admins see Wisconsin and every region; hub specialists and agency staff see their
own region's page. These views read regions.figures only (suppressed figures), never a
case, youth, referral or step table; tests capture their SQL to hold them to that.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from regions import exports
from regions.dashboards import Dashboard, metric_choices
from regions.figures import (
    dashboard_regions,
    may_view_region,
    sees_statewide,
    suppression_threshold,
)
from regions.metrics import metrics
from regions.models import Region, RollupRun, RollupTrigger
from regions.quarters import Quarter
from regions.rollups import rollup_request

EXPORT_FORMATS = {"csv", "xlsx"}


def _dashboard(request: HttpRequest, region: Region | None) -> Dashboard:
    return Dashboard(
        request.user,
        threshold=suppression_threshold(),
        quarter=request.GET.get("quarter"),
        region=region,
        metric_key=request.GET.get("metric"),
        dimension=request.GET.get("dimension"),
    )


def _region_for(request: HttpRequest, number) -> Region | None:
    """None for Wisconsin (state admins only); a region the user may see, or 403."""
    if number in (None, ""):
        if not sees_statewide(request.user):
            raise PermissionDenied("The statewide dashboard is for the state task force.")
        return None
    try:
        region = Region.objects.get(number=int(number))
    except (ValueError, Region.DoesNotExist):
        raise Http404("No such region.") from None
    if not may_view_region(request.user, region):
        raise PermissionDenied("This region's dashboard is not yours to see.")
    return region


def _page(request: HttpRequest, region: Region | None) -> HttpResponse:
    dashboard = _dashboard(request, region)
    run = None
    if run_id := request.GET.get("run", "").strip():
        run = RollupRun.objects.filter(pk=run_id).first() if run_id.isdigit() else None
    return render(
        request,
        "dashboards/page.html",
        {
            "dashboard": dashboard,
            "panels": dashboard.panels(),
            "metric_choices": metric_choices(),
            "may_recompute": request.user.has_perm("regions.recompute_figures"),
            "run": run,
            "query": request.GET.urlencode(),
        },
    )


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Wisconsin: the state task force's home. `?region=N` goes to that region's page."""
    if region_number := request.GET.get("region"):
        region = _region_for(request, region_number)
        params = request.GET.copy()
        params.pop("region")
        url = reverse("dashboards:region", args=[region.number])
        return redirect(f"{url}?{params.urlencode()}" if params else url)
    return _page(request, _region_for(request, None))


@require_GET
def region_page(request: HttpRequest, number: int) -> HttpResponse:
    return _page(request, _region_for(request, number))


@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """?panel=tiles|regions|counties|trend|breakdown|timeliness|tribes|quarter&format=csv|xlsx"""
    region = _region_for(request, request.GET.get("region"))
    dashboard = _dashboard(request, region)
    fmt = request.GET.get("format", "csv")
    panel_key = request.GET.get("panel", "quarter")
    if fmt not in EXPORT_FORMATS:
        raise Http404("No such export.")
    if not dashboard.has_figures:
        rows, title = [], "No quarter has been rolled up yet"
    elif panel_key == "quarter":
        rows, title = dashboard.quarter_figures(), "All figures"
    else:
        panel = dashboard.panel(panel_key)
        if panel is None:
            raise Http404("No such panel.")
        rows, title = panel.figures, panel.title
    place = f"region-{region.number}" if region else "wisconsin"
    filename = f"hubnet-{dashboard.quarter or 'no-figures'}-{place}-{panel_key}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(exports.as_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        notes = [
            f"{dashboard.place.label}, {dashboard.quarter_label}. Exported "
            f"{timezone.localtime():%Y-%m-%d %H:%M} (Central time).",
            f"Figures computed {timezone.localtime(dashboard.computed_at):%Y-%m-%d %H:%M}."
            if dashboard.computed_at
            else "",
            f"Suppression: counts from 1 to {dashboard.threshold - 1} are never shown, nor "
            f"rates or medians resting on fewer than {dashboard.threshold} cases; further "
            "cells are hidden so that no hidden value can be worked out from a total. A "
            "suppressed cell has no value and suppressed = TRUE.",
            "De-identified: no names, no case numbers, nothing identifying.",
        ]
        response = HttpResponse(
            exports.as_xlsx(rows, title=title, notes=[n for n in notes if n]),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def report(request: HttpRequest) -> HttpResponse:
    """A printable quarterly report for the task force's meeting: every panel as a table,
    and the referrals broken down by every dimension."""
    region = _region_for(request, request.GET.get("region"))
    dashboard = _dashboard(request, region)
    panels = [p for p in dashboard.panels() if p.key != "breakdown"]
    breakdowns = []
    for dimension in dashboard.metric.dimensions:
        dashboard.dimension = dimension
        breakdowns.append(dashboard.breakdown())
    return render(
        request,
        "dashboards/report.html",
        {"dashboard": dashboard, "panels": panels, "breakdowns": breakdowns},
    )


@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    """Enqueue a rollup of one quarter (a late record changed a closed quarter)."""
    if not request.user.has_perm("regions.recompute_figures"):
        raise PermissionDenied("Only the state task force recomputes figures.")
    try:
        quarter = Quarter.parse(request.POST.get("quarter", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("dashboards:overview")
    if quarter > Quarter.current():
        messages.error(request, f"{quarter.label} has not started yet.")
        return redirect("dashboards:overview")
    run = rollup_request(quarter=quarter, trigger=RollupTrigger.PERSON, requested_by=request.user)
    back = request.POST.get("back", "")
    url = reverse("dashboards:overview")
    if back.isdigit() and Region.objects.filter(number=int(back)).exists():
        url = reverse("dashboards:region", args=[int(back)])
    return redirect(f"{url}?quarter={quarter}&run={run.pk}#about")


@require_GET
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress of one run, polled by HTMX until it finishes."""
    if not dashboard_regions(request.user):
        raise PermissionDenied("Rollup runs are for dashboard users.")
    run = get_object_or_404(RollupRun, pk=run_id)
    return render(request, "dashboards/_run_status.html", {"run": run})


@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    """When the numbers were made: the latest runs, for everyone with a dashboard."""
    if not dashboard_regions(request.user):
        raise PermissionDenied("Rollup runs are for dashboard users.")
    runs = RollupRun.objects.select_related("requested_by")[:100]
    return render(request, "dashboards/runs.html", {"runs": runs, "metric_count": len(metrics())})
