"""One training: its page (with history), logging, editing and cancelling it."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from training.views.common import network_member_required, training_manager_required


@require_GET
@network_member_required
def training_detail(request: HttpRequest, training_id: int) -> HttpResponse:
    raise NotImplementedError


@require_http_methods(["GET", "POST"])
@training_manager_required
def training_create(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@require_http_methods(["GET", "POST"])
@network_member_required
def training_edit(request: HttpRequest, training_id: int) -> HttpResponse:
    raise NotImplementedError


@require_http_methods(["GET", "POST"])
@network_member_required
def training_cancel(request: HttpRequest, training_id: int) -> HttpResponse:
    raise NotImplementedError
