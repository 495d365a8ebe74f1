"""Service needs on a case: the case page's needs section, and recording a need or what
became of it (the case's hub or its current agency, while the case is open)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from cases import services
from cases.forms import NeedForm, NeedUpdateForm
from cases.models import AccessChannel, Case, ServiceNeed
from cases.selectors import CaseRights, case_needs
from cases.views.common import case_worker_required, door
from hubnet.forms import errors_to_forms
from regions.models import Provider
from regions.selectors import providers_visible_to

NEW_NEED_PREFIX = "need"


def update_prefix(need: ServiceNeed) -> str:
    return f"need-{need.pk}"


def county_providers(user, case: Case) -> list[Provider]:
    """The active directory providers serving the case's county, by name, with the
    services they offer (the form groups them by the youth's age)."""
    return list(
        providers_visible_to(user)
        .filter(active=True, counties=case.county_id)
        .prefetch_related(None)
        .prefetch_related("service_types")
        .order_by("name")
    )


def _offered(providers: list[Provider], need: ServiceNeed) -> list[Provider]:
    """What the need's form offers: the county's providers and the need's own provider,
    even when it no longer serves the county or is no longer active."""
    if need.provider_id is None or any(p.pk == need.provider_id for p in providers):
        return providers
    return sorted([*providers, need.provider], key=lambda p: p.name)


def _update_form(case: Case, need: ServiceNeed, providers, data=None) -> NeedUpdateForm:
    return NeedUpdateForm(
        data,
        prefix=update_prefix(need),
        providers=_offered(providers, need),
        age=case.youth.age,
        county=case.county,
        initial={
            "status": need.status,
            "reason": need.reason,
            "provider": need.provider_id or "",
            "provider_name": need.provider_name,
            "notes": need.notes,
        },
    )


def _new_form(case: Case, providers, data=None) -> NeedForm:
    return NeedForm(
        data,
        prefix=NEW_NEED_PREFIX,
        providers=providers,
        age=case.youth.age,
        county=case.county,
    )


def needs_context(
    user, case: Case, rights: CaseRights, *, new_form=None, failed=None
) -> dict[str, object]:
    """The case page's needs section: each need and, for those who may write while the
    case is open, the form to record what became of it and the form to record a new one.
    `failed`: (need id, the update form that was refused), shown again with its errors.
    A constant number of queries, however many needs."""
    needs = list(case_needs(case))
    writable = rights.can_write and case.is_open
    rows = [{"need": need, "form": None} for need in needs]
    context = {
        "needs": rows,
        "needs_unmet": sum(need.is_unmet for need in needs),
        "needs_writable": writable,
        "need_form": None,
    }
    if not writable:
        return context
    providers = county_providers(user, case)
    listed = {p.pk for p in providers}
    prefetch_related_objects(
        [n.provider for n in needs if n.provider_id and n.provider_id not in listed],
        "service_types",
    )
    for row in rows:
        need = row["need"]
        if failed is not None and failed[0] == need.pk:
            row["form"] = failed[1]
        else:
            row["form"] = _update_form(case, need, providers)
    context["need_form"] = new_form or _new_form(case, providers)
    return context


def _needs_url(case: Case) -> str:
    return reverse("cases:detail", kwargs={"case_id": case.pk}) + "#needs"


def _render_refused(request, case, forms) -> HttpResponse:
    # The case page imports this module for its needs section: imported here, not above.
    from cases.views.case import _render_case

    return _render_case(request, case, forms=forms, status=400)


@require_POST
@case_worker_required
def need_add(request: HttpRequest, case_id) -> HttpResponse:
    """Record a service need identified on the case."""
    case = door(request, case_id, write=True, channel=AccessChannel.ACTION)
    form = _new_form(case, county_providers(request.user, case), request.POST)
    if form.is_valid():
        try:
            need = services.need_identify(case_id=case.pk, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_forms(exc, form)
        except services.CaseConflict as exc:
            messages.error(request, str(exc))
            return redirect(_needs_url(case))
        else:
            messages.success(
                request, f"Need recorded: {need.service_type} ({need.get_status_display()})."
            )
            return redirect(_needs_url(case))
    return _render_refused(request, case, {"need_form": form, "open_form": "need_form"})


@require_POST
@case_worker_required
def need_update(request: HttpRequest, case_id, need_id: int) -> HttpResponse:
    """Record what became of one of the case's needs."""
    case = door(request, case_id, write=True, channel=AccessChannel.ACTION)
    need = case_needs(case).filter(pk=need_id).first()
    if need is None:
        raise Http404("No such need on this case.")
    form = _update_form(case, need, county_providers(request.user, case), request.POST)
    if form.is_valid():
        try:
            need = services.need_update(
                case_id=case.pk, need_id=need.pk, actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            errors_to_forms(exc, form)
        except services.CaseConflict as exc:
            messages.error(request, str(exc))
            return redirect(_needs_url(case))
        else:
            messages.success(request, f"{need.service_type}: {need.get_status_display().lower()}.")
            return redirect(_needs_url(case))
    return _render_refused(
        request,
        case,
        {"failed_need": (need.pk, form), "open_form": update_prefix(need)},
    )
