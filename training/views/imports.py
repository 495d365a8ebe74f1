"""Importing a batch of trainings from a CSV file: template, upload, preview, commit."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from training.views.common import training_manager_required


@require_GET
@training_manager_required
def import_template(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@require_http_methods(["GET", "POST"])
@training_manager_required
def training_import(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
