"""The caseload and the hub queue."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cases.filters import CaseFilter, case_filter_counties
from cases.models import AccessChannel, Status
from cases.pagination import SORT_LABELS, keyset_page
from cases.selectors import (
    cases_visible_to,
    hub_queue,
    overdue_step_counts,
    overdue_steps_in_regions,
    steps_summary,
)
from cases.views.common import case_worker_required, hub_required, log_shown

PAGE_SIZE = 25
OVERDUE_SHOWN = 50  # the hub queue lists this many overdue steps; its counts count them all


@require_GET
@case_worker_required
def case_list(request: HttpRequest) -> HttpResponse:
    visible = cases_visible_to(request.user)
    case_filter = CaseFilter(request.GET, queryset=visible, request=request)
    case_filter.form.fields["county"].widget = _county_select(visible)
    sort = request.GET.get("sort", "newest")
    page = keyset_page(
        steps_summary(
            case_filter.qs if case_filter.is_valid() else visible.none(),
            timezone.now(),
            user=request.user,
        ),
        sort=sort,
        after=request.GET.get("after"),
        size=PAGE_SIZE,
    )
    searching = bool(request.GET.get("q", "").strip())
    log_shown(request, page.items, AccessChannel.SEARCH if searching else AccessChannel.LIST)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "filter": case_filter,
            "page": page,
            "sort": sort if sort in SORT_LABELS else "newest",
            "sort_labels": SORT_LABELS,
            "query": query.urlencode(),
        },
    )


def _county_select(visible):
    return forms.Select(choices=case_filter_counties(visible))


@require_GET
@case_worker_required
@hub_required
def hub_queue_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    cases = list(
        steps_summary(hub_queue(request.user), now, user=request.user).order_by("opened_at", "id")
    )
    sections = [
        ("new", "New referrals to screen", Status.RECEIVED),
        ("unrouted", "Screened, not yet routed", Status.SCREENED),
        ("declined", "Declined by an agency, to route again", Status.DECLINED),
        ("awaiting", "Routed, awaiting acceptance", Status.ROUTED),
    ]
    grouped = [
        (key, title, [c for c in cases if c.status == status]) for key, title, status in sections
    ]
    log_shown(request, cases, AccessChannel.LIST)
    # The overdue steps name their cases by number only: no youth's name, no row.
    overdue = list(overdue_steps_in_regions(request.user, now)[:OVERDUE_SHOWN])
    return render(
        request,
        "cases/hub_queue.html",
        {
            "sections": grouped,
            "overdue": overdue,
            "overdue_counts": overdue_step_counts(request.user, now),
            "now": now,
        },
    )
