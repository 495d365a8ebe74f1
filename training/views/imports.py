"""Importing a batch of trainings from a CSV file: template, upload, preview, commit.

The upload is read and every row checked; a file with any error is shown with all of
them and nothing is imported. A good file is shown as the trainings it will create and
kept in the session under a random token; confirming imports what was kept (read and
checked again), never what the browser sends, and uses the token up, so a second click
imports nothing. Rows that look like trainings already logged (the same file imported
twice, most often) are listed above the button, and are imported only when the person
ticks "Import them anyway".
"""

import secrets
from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET, require_http_methods

from hubnet.csv_import import MAX_BYTES, MAX_ROWS, RowError, import_text
from regions.models import Region
from training.imports import (
    COLUMNS,
    Duplicate,
    ParsedImport,
    import_duplicates,
    import_rows,
    template_csv,
)
from training.models import Topic, TrainingFormat
from training.selectors import training_regions_managed_by
from training.services import ImportRefused, trainings_import
from training.views.common import training_manager_required, training_nav

PENDING = "training_import"  # session: the previewed file, waiting for confirmation
USED = "training_import_used"  # session: tokens already confirmed (the last few)
DUPLICATES_UNCONFIRMED = (
    "Some rows look like trainings already logged. Tick “Import them anyway” if they are "
    "new trainings; if the file was imported before, cancel."
)


class ImportForm(forms.Form):
    region = forms.TypedChoiceField(label="Region", coerce=int)
    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,
        help_text=f"Saved from the template as 'CSV UTF-8'; up to {MAX_ROWS} trainings "
        f"and {MAX_BYTES // 1024 // 1024} MB.",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, regions: list[Region], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        field.choices = [(r.number, str(r)) for r in regions]
        field.initial = regions[0].number
        if len(regions) == 1:
            field.widget = forms.HiddenInput()
        else:
            field.help_text = "The trainings are logged for this region."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is over {MAX_BYTES // 1024 // 1024} MB; split it into smaller files."
            )
        return upload


class ConfirmForm(forms.Form):
    """Beside the preview's button (with the token of the file kept): the person's word
    that rows looking like trainings already logged are new ones."""

    import_anyway = forms.BooleanField(
        label="Import them anyway",
        required=False,
        help_text="The rows listed above are new trainings, not ones logged before.",
    )


@require_GET
@training_manager_required
def import_template(request: HttpRequest) -> HttpResponse:
    """The CSV template, with two example rows for `?region=` (a region the specialist
    manages; their first when not given)."""
    regions = training_regions_managed_by(request.user)
    asked = request.GET.get("region")
    if asked is None:
        region = regions[0]
    else:
        number = int(asked) if asked.isdigit() else None
        if number is None or not Region.objects.filter(number=number).exists():
            return HttpResponseBadRequest("No such region.", content_type="text/plain")
        region = next((r for r in regions if r.number == number), None)
        if region is None:
            raise PermissionDenied("Only the region's hub specialists import its trainings.")
    response = HttpResponse(template_csv(region), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="hubnet-trainings-template-region-{region.number}.csv"'
    )
    return response


@require_http_methods(["GET", "POST"])
@training_manager_required
def training_import(request: HttpRequest) -> HttpResponse:
    regions = training_regions_managed_by(request.user)
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, regions)
    form = ImportForm(request.POST or None, request.FILES or None, regions=regions)
    if not form.is_valid():
        context = {
            "form": form,
            "regions": regions,
            "columns": COLUMNS,
            "nav": training_nav(request, "import"),
        }
        return render(request, "training/import.html", context)
    region = next(r for r in regions if r.number == form.cleaned_data["region"])
    upload = form.cleaned_data["file"]
    text, errors = import_text(upload.read())
    parsed = ParsedImport(errors=errors) if errors else import_rows(text, region=region)
    if parsed.errors:
        return _preview(request, parsed, region=region, file_name=upload.name, regions=regions)
    token = secrets.token_urlsafe(24)
    request.session[PENDING] = {
        "token": token,
        "region": region.number,
        "text": text,
        "name": upload.name,
    }
    return _preview(
        request,
        parsed,
        region=region,
        file_name=upload.name,
        regions=regions,
        token=token,
        duplicates=import_duplicates(region, parsed.rows),
    )


def _confirm(request: HttpRequest, regions: list[Region]) -> HttpResponse:
    """Import the file kept at preview, once; when rows look like trainings already
    logged (checked again now: someone may have logged them since), only if the person
    ticked "Import them anyway"."""
    confirm = ConfirmForm(request.POST)
    token = request.POST.get("token", "")
    pending = request.session.get(PENDING)
    if not pending or not constant_time_compare(pending["token"], token):
        return _not_pending(request, token)
    region = next((r for r in regions if r.number == pending["region"]), None)
    if region is None:
        raise PermissionDenied("Only the region's hub specialists import its trainings.")
    parsed = import_rows(pending["text"], region=region)
    duplicates = [] if parsed.errors else import_duplicates(region, parsed.rows)
    if duplicates and not (confirm.is_valid() and confirm.cleaned_data["import_anyway"]):
        confirm.add_error("import_anyway", DUPLICATES_UNCONFIRMED)
        return _preview(
            request,
            parsed,
            region=region,
            file_name=pending["name"],
            regions=regions,
            token=token,
            confirm=confirm,
            duplicates=duplicates,
        )
    # The session is saved at the end of a request; two clicks at once could both find
    # the file still pending. The cache says atomically which of them came first.
    if not cache.add(f"training-import:{token}", True, timeout=24 * 60 * 60):
        return _not_pending(request, token, submitted=True)
    del request.session[PENDING]
    request.session[USED] = [*request.session.get(USED, [])[-4:], token]
    request.session.save()

    if not parsed.errors:
        try:
            trainings = trainings_import(actor=request.user, region=region, rows=parsed.rows)
        except ImportRefused as refused:
            parsed.errors = [RowError(*error) for error in refused.row_errors]
    if parsed.errors:
        return _preview(request, parsed, region=region, file_name=pending["name"], regions=regions)
    count = len(trainings)
    messages.success(request, f"Imported {count} training{pluralize(count)}.")
    return redirect("training:list")


def _not_pending(request: HttpRequest, token: str, *, submitted=False) -> HttpResponse:
    if submitted or token in request.session.get(USED, []):
        messages.info(
            request, "That import was already submitted; nothing was imported a second time."
        )
        return redirect("training:list")
    messages.error(
        request,
        "That preview is no longer open (another file was uploaded since, or you were "
        "signed out). Nothing was imported; upload the file again.",
    )
    return redirect("training:import")


def _preview(
    request: HttpRequest,
    parsed: ParsedImport,
    *,
    region: Region,
    file_name: str,
    regions: list[Region],
    token: str = "",
    duplicates: Sequence[Duplicate] = (),
    confirm: ConfirmForm | None = None,
) -> HttpResponse:
    """The errors of a file (and a form for the corrected one), or what it will create,
    which rows look like trainings already logged, and the button importing it."""
    flagged = {duplicate.row: duplicate for duplicate in duplicates}
    trainings = [
        {
            "row": number,
            "date": data.date,
            "title": data.title,
            "counties": sorted(county.name for county in data.counties),
            "topics": [Topic(topic).label for topic in data.topics],
            "format": TrainingFormat(data.format).label,
            "delivered": bool(data.total_attendees),
            "people": data.total_attendees,
            "hours": data.duration_hours,
            "duplicate": flagged.get(number),
        }
        for number, data in parsed.rows
    ]
    delivered = [t for t in trainings if t["delivered"]]
    context = {
        "nav": training_nav(request, "import"),
        "region": region,
        "file_name": file_name,
        "errors": sorted(parsed.errors, key=lambda error: error.row or 0),
        "rows_read": parsed.rows_read,
        "rows_with_errors": parsed.rows_with_errors,
        "trainings": trainings,
        "totals": {
            "trainings": len(trainings),
            "delivered": len(delivered),
            "planned": len(trainings) - len(delivered),
            "people": sum(t["people"] for t in delivered),
            "hours": f"{sum((t['hours'] for t in delivered), Decimal(0)).normalize():f}",
            "counties": len({c for t in delivered for c in t["counties"]}),
        },
        "token": token,
        "duplicates": duplicates,
        "confirm": confirm or ConfirmForm(),
        "form": ImportForm(regions=regions, initial={"region": region.number}),
    }
    return render(request, "training/import_preview.html", context)
