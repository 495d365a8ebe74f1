"""A region's coverage: each county's trainings and people trained in the last four
quarters, the counties nobody reached highlighted."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from training.views.common import network_member_required


@require_GET
@network_member_required
def region_coverage(request: HttpRequest, number: int) -> HttpResponse:
    raise NotImplementedError
