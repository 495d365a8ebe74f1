"""Logging a referral, and the youth already known who may be the one referred."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cases import services
from cases.forms import (
    LinkedYouthForm,
    ReferralForm,
    YouthForm,
)
from cases.models import AccessChannel, Status
from cases.selectors import (
    linkable_youth,
    work_regions_of,
    youth_matches,
)
from cases.views.common import case_worker_required, hub_required, log_shown
from hubnet.forms import errors_to_forms

# What the form sends the service as the referral's own fields (indicators go apart).
REFERRAL_FIELDS = [f for f in ReferralForm.Meta.fields if f != "indicators"]


@require_http_methods(["GET", "POST"])
@case_worker_required
@hub_required
def referral_new(request: HttpRequest) -> HttpResponse:
    regions = work_regions_of(request.user)
    youth_form_class = (
        LinkedYouthForm if request.POST.get("referral-existing_youth") else YouthForm
    )
    youth_form = youth_form_class(request.POST or None, prefix="youth")
    referral_form = ReferralForm(request.POST or None, prefix="referral")
    linked = None
    if request.method == "POST":
        referral_form.is_valid()
        linked_id = request.POST.get("referral-existing_youth")
        linked = linkable_youth(request.user, linked_id)
        if linked_id and linked is None:
            referral_form.add_error(None, "The youth chosen to link is not one of your records.")
        # Linked: only what was typed is checked (the record's own fields are shown
        # read-only and not sent); the service refuses anything that disagrees with it.
        youth_ok = youth_form.is_valid()
        if youth_ok and not referral_form.errors:
            data = referral_form.cleaned_data
            try:
                case = services.referral_create(
                    logged_by=request.user,
                    youth=linked,
                    youth_data=youth_form.typed() if linked else youth_form.cleaned_data,
                    referral_data={k: data[k] for k in REFERRAL_FIELDS},
                    indicators=list(data["indicators"]),
                    handover=data["handover"],
                )
            except ValidationError as exc:
                errors_to_forms(exc, youth_form, referral_form)
            else:
                if case.region_id not in {r.pk for r in regions}:
                    messages.success(
                        request,
                        f"Referral logged as case {case.number} and handed to Hub "
                        f"{case.region.number}'s queue.",
                    )
                    return redirect("cases:hub-queue")
                messages.success(request, f"Referral logged as case {case.number}.")
                return redirect("cases:detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    if linked:  # shown again, read-only, beside the form
        log_shown(request, [linked.latest_case_id], AccessChannel.MATCH)
    return render(
        request,
        "cases/referral_form.html",
        {
            "youth_form": youth_form,
            "referral_form": referral_form,
            "linked_youth": linked,
            "linked_record": _youth_record_json(linked) if linked else "",
            "own_regions": " ".join(str(r.number) for r in regions),
            "handover_needed": _lives_elsewhere(youth_form, linked, regions),
        },
        status=status,
    )


def _lives_elsewhere(youth_form, linked, regions) -> bool:
    """Whether the youth's county (as sent, or the linked record's) is in another hub's
    region, so the page offers the hand-over (referral.js decides the same live)."""
    county = linked.county if linked else getattr(youth_form, "cleaned_data", {}).get("county")
    return county is not None and county.region_id not in {r.pk for r in regions}


def _youth_record_json(youth) -> str:
    """A youth's record as the referral page shows it read-only while linked (referral.js).
    Only for a youth the user may see, and never the address (the match list sends this
    for every youth it offers)."""
    return json.dumps(
        {
            "legal_first_name": youth.legal_first_name,
            "legal_last_name": youth.legal_last_name,
            "preferred_name": youth.preferred_name,
            "date_of_birth": youth.date_of_birth.isoformat() if youth.date_of_birth else "",
            "estimated_age": youth.estimated_age if youth.estimated_age is not None else "",
            "gender": youth.gender,
            "race_ethnicity": youth.race_ethnicity,
            "county": youth.county_id,
            "tribe": youth.tribe_id or "",
            "languages": youth.languages,
            "safe_at_home": youth.safe_at_home,
            "missing_from_care": youth.missing_from_care,
        }
    )


@require_GET
@case_worker_required
@hub_required
def youth_match_list(request: HttpRequest) -> HttpResponse:
    """HTMX: youth already known in the region who may be the one being referred."""
    params = request.GET
    form = YouthForm(
        QueryDict(mutable=True) | {k: v for k, v in params.items() if k.startswith("youth-")},
        prefix="youth",
    )
    born = form["date_of_birth"].value() or None
    try:
        born = form.fields["date_of_birth"].clean(born) if born else None
    except ValidationError:
        born = None
    matches = youth_matches(
        request.user,
        region_ids=[r.pk for r in work_regions_of(request.user)],
        first=params.get("youth-legal_first_name", ""),
        last=params.get("youth-legal_last_name", ""),
        born=born,
    )
    rows = [
        (youth, Status(youth.latest_case_status).label, _youth_record_json(youth))
        for youth in matches
    ]
    log_shown(request, [youth.latest_case_id for youth, _, _ in rows], AccessChannel.MATCH)
    return render(request, "cases/partials/youth_matches.html", {"matches": rows})
