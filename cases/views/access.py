"""Who looked at a case: its access log, for the hub and the agency's supervisors."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.pagination import keyset_page
from cases.selectors import (
    access_log_by_person,
    case_access_log,
)
from cases.views.common import case_worker_required, door

ACCESS_LOG_PAGE_SIZE = 100


@require_GET
@case_worker_required
def case_access_log_view(request: HttpRequest, case_id) -> HttpResponse:
    case = door(request, case_id)
    accesses = case_access_log(request.user, case)
    page = keyset_page(
        accesses, order=("-at", "-id"), after=request.GET.get("after"), size=ACCESS_LOG_PAGE_SIZE
    )
    return render(
        request,
        "cases/access_log.html",
        {"case": case, "page": page, "people": access_log_by_person(accesses)},
    )
