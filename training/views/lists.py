"""The trainings list (filters, sorting, totals, upcoming) and its CSV/XLSX export."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from training.views.common import network_member_required


@require_GET
@network_member_required
def training_list(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@require_GET
@network_member_required
def training_export(request: HttpRequest, file_format: str) -> HttpResponse:
    raise NotImplementedError
