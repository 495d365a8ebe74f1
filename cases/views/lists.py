"""The caseload (sortable, paged, exportable, with bulk actions) and the hub queue."""

import datetime
import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as Choose
from django.db.models import F, Value, When
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cases import exports, services
from cases.filters import CaseFilter, case_filter_counties, case_filter_tribes
from cases.models import AccessChannel, Status
from cases.selectors import (
    cases_visible_to,
    get_case_for_user,
    hub_queue,
    hub_queue_counts,
    overdue_cases_in_regions,
    overdue_step_counts,
    steps_summary,
)
from cases.views.common import case_worker_required, hub_required, log_shown
from hubnet.forms import QuickSelect
from hubnet.http import client_ip
from hubnet.sorting import SortableColumns
from regions.selectors import memberships_held

PAGE_SIZE = 25
QUEUE_SHOWN = 10  # rows per hub-queue section; its count counts them all
OVERDUE_CASES_SHOWN = 8  # cases listed under "overdue steps"; the counts count every step
EXPORT_LIMIT = 5000


# (key, column heading, what it orders by ascending, descending first?)
COLUMNS = [
    ("number", "Case", ("number",), False),
    ("youth", "Youth", (Lower("youth__legal_last_name"), Lower("youth__legal_first_name")), False),
    ("county", "County", ("county__name",), False),
    (
        "status",
        "Status",
        (Choose(*(When(status=s, then=Value(i)) for i, s in enumerate(Status.values))),),
        False,
    ),
    ("agency", "Agency", ("agency__name",), False),
    ("worker", "Worker", ("assigned_worker__last_name", "assigned_worker__first_name"), False),
    ("next_due", "Next step", ("next_step_due",), False),
    # Every overdue step the column shows: the viewer's own and those waiting on others.
    (
        "overdue",
        "Overdue",
        (F("overdue_mine") + F("overdue_waiting_hub") + F("overdue_waiting_agency"),),
        True,
    ),
    ("opened", "Opened", ("opened_at",), True),
]
SORTING = SortableColumns(COLUMNS, default="-opened", tiebreak="number")


def _caseload(request, memberships):
    """The filter (closed cases hidden unless a status is chosen or a search made) and its
    cases, annotated with what their steps ask of this user, in the chosen order."""
    data = request.GET.copy()
    if "status" not in data:
        # A search (the header's box) finds closed cases too; browsing hides them.
        data["status"] = "" if data.get("q", "").strip() else "open"
    visible = cases_visible_to(request.user)
    case_filter = CaseFilter(data, queryset=visible, request=request)
    regions = _home_region_ids(memberships)
    case_filter.form.fields["county"].widget = QuickSelect(choices=case_filter_counties(regions))
    case_filter.form.fields["tribe"].widget = QuickSelect(choices=case_filter_tribes(regions))
    cases = case_filter.qs if case_filter.is_valid() else visible.none()
    ordered = steps_summary(cases, timezone.now(), user=request.user).order_by(
        *SORTING.ordering(SORTING.sort_of(request))
    )
    return case_filter, cases, ordered


# Sorts by what the steps ask (annotations): the whole filtered set is annotated to order
# it. Any other sort pages the plain rows first and annotates only the page's.
STEP_SORTS = {"next_due", "overdue"}


def _caseload_page(request, cases, ordered):
    """The requested page of `ordered` (the caseload `_caseload` built from `cases`).
    Unless the sort is by the steps, the page's ids come from the plain ordering (an
    index) and only those 25 cases get the per-case step subqueries: a deep page costs
    what the first does."""
    sort = SORTING.sort_of(request)
    number = request.GET.get("page")
    if sort.lstrip("-") in STEP_SORTS:
        return Paginator(ordered, PAGE_SIZE).get_page(number)
    ids = cases.order_by(*SORTING.ordering(sort)).values_list("pk", flat=True)
    page = Paginator(ids, PAGE_SIZE).get_page(number)
    page_ids = list(page.object_list)
    rows = {case.pk: case for case in ordered.filter(pk__in=page_ids).order_by()}
    page.object_list = [rows[pk] for pk in page_ids if pk in rows]
    return page


def _home_region_ids(memberships) -> set[int]:
    """The regions the user works in (a hub's, or an agency's), whose counties and tribes
    the filters offer first."""
    ids = set()
    for membership in memberships:
        if membership.hub_id:
            ids.add(membership.hub.region_id)
        elif membership.agency_id:
            ids.add(membership.agency.region_id)
    return ids


@require_GET
@case_worker_required
def case_list(request: HttpRequest) -> HttpResponse:
    memberships = list(memberships_held(request.user))
    case_filter, cases, ordered = _caseload(request, memberships)
    page = _caseload_page(request, cases, ordered)
    searching = bool(request.GET.get("q", "").strip())
    log_shown(request, page.object_list, AccessChannel.SEARCH if searching else AccessChannel.LIST)
    query = request.GET.copy()
    query.pop("page", None)
    sort = SORTING.sort_of(request)
    rights = _bulk_rights(memberships)
    return render(
        request,
        "cases/case_list.html",
        {
            "filter": case_filter,
            "page": page,
            "headers": SORTING.headers(sort, query),
            "query": query.urlencode(),
            "export_query": query.urlencode(),
            "bulk": rights,
            "workers": _bulk_workers(memberships) if rights else None,
            "now": timezone.now(),
        },
    )


# ----------------------------------------------------------------------------- export


@require_GET
@case_worker_required
def case_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The caseload view as it is filtered and sorted, every row (up to EXPORT_LIMIT), as
    CSV or XLSX. Each case in the file is logged as exported."""
    _, _, ordered = _caseload(request, list(memberships_held(request.user)))
    rows = list(ordered[: EXPORT_LIMIT + 1])
    if len(rows) > EXPORT_LIMIT:
        return render(
            request,
            "cases/export_too_large.html",
            {"limit": EXPORT_LIMIT, "back": "?" + request.GET.urlencode()},
            status=400,
        )
    log_shown(request, rows, AccessChannel.EXPORT)
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    title = f"HubNet caseload exported {stamp} by {request.user.get_username()}"
    if file_format == "xlsx":
        body = exports.caseload_xlsx(rows, title=title)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = exports.caseload_csv(rows)
        content_type = "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="caseload-{stamp}.{file_format}"'
    return response


# ----------------------------------------------------------------------------- bulk


BULK_ACTIONS = {"accept": "Accept", "assign": "Assign to"}
BULK_LIMIT = 100


def _bulk_rights(memberships) -> bool:
    """Bulk accept and assign are for agency staff (what they do one case at a time)."""
    return any(m.agency_id for m in memberships)


def _bulk_workers(memberships):
    """Workers the user may assign: the staff of the agencies they work for."""
    agencies = [m.agency for m in memberships if m.agency_id]
    workers = {}
    for agency in agencies:
        for worker in services.agency_workers(agency):
            workers[worker.pk] = worker
    return sorted(workers.values(), key=lambda w: (w.get_full_name() or w.username).lower())


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    cases = forms.TypedMultipleChoiceField(coerce=str, choices=[])
    worker = forms.IntegerField(required=False)

    def __init__(self, *args, case_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [(i, i) for i in case_ids]

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("worker"):
            self.add_error("worker", "Choose the worker to assign the selected cases to.")
        return data


@require_POST
@case_worker_required
def case_bulk(request: HttpRequest) -> HttpResponse:
    """Accept or assign several cases: each through the door and the same service as one
    at a time, each its own timeline event; what failed is reported case by case."""
    # Back to the same view: only the caseload's own parameters, re-encoded.
    posted = QueryDict(request.POST.get("back", ""))
    back = QueryDict(mutable=True)
    for key in ("q", "status", "county", "tribe", "worker", "sort", "page"):
        if key in posted:
            back[key] = posted[key]
    back = back.urlencode()
    target = "cases:list"
    memberships = list(memberships_held(request.user))
    if not _bulk_rights(memberships):
        raise PermissionDenied("Bulk accept and assign are for agency staff.")
    ids = request.POST.getlist("cases")
    if len(ids) > BULK_LIMIT:
        messages.error(request, f"Select at most {BULK_LIMIT} cases at a time.")
        return _back(target, back)
    form = BulkForm(request.POST, case_ids=ids)
    if not ids:
        messages.error(request, "Select at least one case first.")
        return _back(target, back)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(target, back)
    action = form.cleaned_data["action"]
    worker = None
    if action == "assign":
        worker = next(
            (w for w in _bulk_workers(memberships) if w.pk == form.cleaned_data["worker"]), None
        )
        if worker is None:
            messages.error(request, "That worker is not on your agency's staff.")
            return _back(target, back)
    numbers = dict(
        cases_visible_to(request.user)
        .filter(pk__in=[i for i in ids if _is_uuid(i)])
        .values_list("pk", "number")
    )
    done, failed = [], []
    for case_id in ids:
        try:
            case = get_case_for_user(
                request.user,
                case_id,
                write=True,
                channel=AccessChannel.ACTION,
                ip_address=client_ip(request),
            )
            if action == "accept":
                case = services.case_accept(case_id=case.pk, actor=request.user)
            else:
                case = services.case_assign(case_id=case.pk, actor=request.user, worker=worker)
            done.append(case.number)
        except Http404:
            failed.append("a case you cannot see (it may have been routed elsewhere).")
        except (PermissionDenied, ValidationError) as exc:
            number = numbers.get(uuid.UUID(case_id), "a case")
            failed.append(f"{number}: {_reason(exc)}")
        except services.CaseConflict as exc:
            failed.append(str(exc))
    verb = "Accepted" if action == "accept" else f"Assigned to {_name(worker)}:"
    if done:
        messages.success(request, f"{verb} {', '.join(done)}.")
    for reason in failed:
        messages.error(request, f"Not done: {reason}")
    return _back(target, back)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def _reason(exc) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _back(target: str, query: str) -> HttpResponse:
    response = redirect(target)
    if query:
        response["Location"] += "?" + query
    return response


# ----------------------------------------------------------------------------- hub queue

# (anchor, heading, status)
QUEUE_SECTIONS = [
    ("new", "New referrals to screen", Status.RECEIVED),
    ("unrouted", "Screened, not yet routed", Status.SCREENED),
    ("declined", "Declined by an agency, to route again", Status.DECLINED),
    ("awaiting", "Routed, awaiting acceptance", Status.ROUTED),
]


@require_GET
@case_worker_required
@hub_required
def hub_queue_view(request: HttpRequest) -> HttpResponse:
    """What waits on the hub: each section's oldest cases (QUEUE_SHOWN) with its true total
    and a link to all of them, and the cases with overdue steps, grouped by case. The
    page's size and query count do not grow with the region's caseload."""
    now = timezone.now()
    counts = hub_queue_counts(request.user)
    queue = hub_queue(request.user)
    # Each state's longest-waiting ids from the index (region, status, status_since, id),
    # then those cases with their step summaries in one query (costly to plan: once).
    ids = {
        status: list(
            queue.filter(status=status)
            .order_by("status_since", "id")
            .values_list("pk", flat=True)[:QUEUE_SHOWN]
        )
        for _, _, status in QUEUE_SECTIONS
    }
    found = steps_summary(
        queue.filter(pk__in=[pk for section in ids.values() for pk in section]),
        now,
        user=request.user,
    ).annotate(waiting_since=F("status_since"))
    by_id = {case.pk: case for case in found}
    sections, shown = [], []
    for key, title, status in QUEUE_SECTIONS:
        rows = [by_id[pk] for pk in ids[status] if pk in by_id]
        shown += rows
        sections.append(
            {
                "key": key,
                "title": title,
                "status": status,
                "cases": rows,
                "total": counts.get(status, 0),
            }
        )
    log_shown(request, shown, AccessChannel.LIST)
    # The overdue steps name their cases by number only: no youth's name, no row.
    overdue_cases = overdue_cases_in_regions(request.user, now, limit=OVERDUE_CASES_SHOWN)
    return render(
        request,
        "cases/hub_queue.html",
        {
            "sections": sections,
            "overdue_cases": overdue_cases,
            "overdue_counts": overdue_step_counts(request.user, now),
            "now": now,
            "today": timezone.localdate(),
            "week_ago": now - datetime.timedelta(days=7),
        },
    )
