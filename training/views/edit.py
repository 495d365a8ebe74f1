"""One training: its page (with history), logging, editing and cancelling it."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.views.decorators.http import require_GET, require_http_methods

from training import services
from training.forms import CancelForm, TrainingForm
from training.models import ChangeKind, Sector, TrainingStatus
from training.selectors import (
    get_training_for_user,
    may_manage_trainings,
    training_regions_managed_by,
)
from training.views.common import (
    network_member_required,
    training_manager_required,
    training_nav,
)

# What the history calls each field of a change row (training.services._snapshot's keys).
FIELD_NAMES = {
    "title": "Title",
    "date": "Date",
    "start_time": "Start time",
    "duration_hours": "Duration (hours)",
    "format": "Format",
    "topics": "Topics",
    "delivered_by_hub": "Delivered by the hub's own people",
    "partner_agencies": "Partner agencies",
    "presenters": "Other presenters",
    "venue": "Host or venue",
    "counties": "Counties reached",
    "tribes": "Tribes reached",
    "attendance": "Attendance",
    "youth_attendees": "Youth attendees",
    "notes": "Notes",
    "status": "Status",
}


def _shown(field: str, value: str) -> str:
    """A history value as the rest of the page writes it (dates as "Mar 4, 2026")."""
    if field == "date" and value:
        try:
            return formats.date_format(datetime.date.fromisoformat(value))
        except ValueError:
            return value
    return value


def _history(training) -> list[dict]:
    """Each change row, oldest first, with its fields named: what was first recorded, or
    each change before and after."""
    entries = []
    for change in training.changes.select_related("actor").order_by("at", "id"):
        fields = [
            {
                "name": FIELD_NAMES.get(field, field.replace("_", " ").capitalize()),
                "before": _shown(field, before),
                "after": _shown(field, after),
            }
            for field, (before, after) in change.changes.items()
        ]
        entries.append(
            {
                "change": change,
                "first": change.kind in (ChangeKind.CREATED, ChangeKind.IMPORTED),
                "fields": fields,
            }
        )
    return entries


@require_GET
@network_member_required
def training_detail(request: HttpRequest, training_id: int) -> HttpResponse:
    training = get_training_for_user(request.user, training_id)
    order = {sector: index for index, sector in enumerate(Sector.values)}
    attendance = sorted(training.attendance.all(), key=lambda row: order[row.sector])
    return render(
        request,
        "training/detail.html",
        {
            "nav": training_nav(request, "detail"),
            "training": training,
            "attendance": attendance,
            "may_manage": may_manage_trainings(request.user, training.region),
            "history": _history(training),
        },
    )


@require_http_methods(["GET", "POST"])
@training_manager_required
def training_create(request: HttpRequest) -> HttpResponse:
    regions = training_regions_managed_by(request.user)
    if request.method == "POST":
        form = TrainingForm(request.POST, regions=regions)
        if form.check():
            try:
                training = services.training_create(
                    actor=request.user, region=form.chosen_region, data=form.training_input()
                )
            except ValidationError as invalid:
                form.add_service_errors(invalid)
            else:
                messages.success(request, "Training logged.")
                return redirect("training:detail", training.pk)
    else:
        form = TrainingForm(regions=regions)
    return render(
        request,
        "training/form.html",
        {"nav": training_nav(request, "new"), "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@network_member_required
def training_edit(request: HttpRequest, training_id: int) -> HttpResponse:
    training = get_training_for_user(request.user, training_id, write=True)
    context = {"nav": training_nav(request, "detail"), "training": training}
    if training.is_cancelled:
        # Kept as it was, for the record: the page says so instead of offering a form.
        status = 409 if request.method == "POST" else 200
        return render(request, "training/form.html", context, status=status)
    if request.method == "POST":
        form = TrainingForm(request.POST, region=training.region)
        if form.check():
            try:
                services.training_update(
                    actor=request.user,
                    training_id=training.pk,
                    data=form.training_input(),
                    expected_updated_at=form.version_loaded,
                )
            except ValidationError as invalid:
                form.add_service_errors(invalid)
            except services.TrainingConflict as conflict:
                form.add_error(None, str(conflict))
                return render(request, "training/form.html", {**context, "form": form}, status=409)
            else:
                messages.success(request, "Saved.")
                return redirect("training:detail", training.pk)
    else:
        initial = TrainingForm.initial_of(services.training_input_of(training))
        initial["version"] = training.updated_at.isoformat()
        form = TrainingForm(region=training.region, initial=initial)
    return render(
        request,
        "training/form.html",
        {**context, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@network_member_required
def training_cancel(request: HttpRequest, training_id: int) -> HttpResponse:
    training = get_training_for_user(request.user, training_id, write=True)
    context = {"nav": training_nav(request, "detail"), "training": training}
    if training.status != TrainingStatus.PLANNED:
        # Only a planned training can be cancelled; the page says why there is no form.
        status = 409 if request.method == "POST" else 200
        return render(request, "training/cancel.html", context, status=status)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.training_cancel(
                actor=request.user, training_id=training.pk, reason=form.cleaned_data["reason"]
            )
        except ValidationError as invalid:
            form.add_service_errors(invalid)
        else:
            messages.success(request, "Training cancelled. It stays in the list, for the record.")
            return redirect("training:detail", training.pk)
    return render(
        request,
        "training/cancel.html",
        {**context, "form": form},
        status=400 if form.errors else 200,
    )
