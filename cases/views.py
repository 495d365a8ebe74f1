"""Case pages. Thin: parse, go through the door or call one service, render."""

import datetime
import json
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import access_log, services
from cases.filters import CaseFilter, case_filter_counties
from cases.forms import (
    AssignForm,
    CloseForm,
    ConsentForm,
    DeclineForm,
    LinkedYouthForm,
    NoteForm,
    ReferralForm,
    ReopenForm,
    RouteForm,
    ScreenForm,
    SkipForm,
    StatusAwareForm,
    YouthForm,
    YouthUpdateForm,
)
from cases.models import AccessChannel, ClosureReason, Status, StepStatus
from cases.pagination import SORT_LABELS, keyset_page
from cases.selectors import (
    access_log_by_person,
    case_access_log,
    case_notes,
    case_rights,
    case_steps,
    case_timeline,
    cases_visible_to,
    get_case_for_user,
    hub_queue,
    linkable_youth,
    log_denied_access,
    notifications_of,
    overdue_step_counts,
    overdue_steps_in_regions,
    pending_screening_step,
    steps_summary,
    work_regions_of,
    youth_matches,
)
from cases.steps import (
    SCREENING_STEP_KEY,
    humanize_delta,
    step_form_class,
    step_state,
    values_display,
)
from hubnet.forms import errors_to_forms
from hubnet.http import client_ip
from protocols.models import FieldKind
from regions.models import Agency, Role
from regions.selectors import memberships_of

PAGE_SIZE = 25
ACCESS_LOG_PAGE_SIZE = 100
OVERDUE_SHOWN = 50  # the hub queue lists this many overdue steps; its counts count them all
CASE_ROLES = {Role.HUB_SPECIALIST, Role.AGENCY_STAFF, Role.AGENCY_SUPERVISOR}


def case_worker_required(view):
    """Case pages are for hub specialists and agency staff only.

    Anyone else (a state administrator, a user without membership) gets a
    friendly page saying why, and an attempt on a case is logged as denied.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        roles = {m.role for m in memberships_of(request.user)}
        if not roles & CASE_ROLES:
            if "case_id" in kwargs:
                log_denied_access(
                    request.user,
                    kwargs["case_id"],
                    channel=AccessChannel.PAGE,
                    ip_address=client_ip(request),
                )
            template = (
                "cases/state_admin_no_cases.html"
                if Role.STATE_ADMIN in roles
                else "cases/no_case_access.html"
            )
            return render(request, template, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def hub_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not work_regions_of(request.user):
            raise PermissionDenied("Only hub specialists log referrals and see the hub queue.")
        return view(request, *args, **kwargs)

    return wrapper


def _door(request, case_id, *, write=False, channel=AccessChannel.PAGE):
    return get_case_for_user(
        request.user, case_id, write=write, channel=channel, ip_address=client_ip(request)
    )


def _shown(request, cases, channel: str) -> None:
    """Log that these cases (or ids) were shown with the youth's name: exactly the rows the
    response renders, in the request's one insert."""
    access_log.record_many(
        cases, user=request.user, channel=channel, ip_address=client_ip(request)
    )


# ----------------------------------------------------------------------------- lists


@require_GET
@case_worker_required
def case_list(request: HttpRequest) -> HttpResponse:
    visible = cases_visible_to(request.user)
    case_filter = CaseFilter(request.GET, queryset=visible, request=request)
    case_filter.form.fields["county"].widget = _county_select(visible)
    sort = request.GET.get("sort", "newest")
    page = keyset_page(
        steps_summary(
            case_filter.qs if case_filter.is_valid() else visible.none(),
            timezone.now(),
            user=request.user,
        ),
        sort=sort,
        after=request.GET.get("after"),
        size=PAGE_SIZE,
    )
    searching = bool(request.GET.get("q", "").strip())
    _shown(request, page.items, AccessChannel.SEARCH if searching else AccessChannel.LIST)
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "filter": case_filter,
            "page": page,
            "sort": sort if sort in SORT_LABELS else "newest",
            "sort_labels": SORT_LABELS,
            "query": query.urlencode(),
        },
    )


def _county_select(visible):
    return forms.Select(choices=case_filter_counties(visible))


@require_GET
@case_worker_required
@hub_required
def hub_queue_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    cases = list(
        steps_summary(hub_queue(request.user), now, user=request.user).order_by("opened_at", "id")
    )
    sections = [
        ("new", "New referrals to screen", Status.RECEIVED),
        ("unrouted", "Screened, not yet routed", Status.SCREENED),
        ("declined", "Declined by an agency, to route again", Status.DECLINED),
        ("awaiting", "Routed, awaiting acceptance", Status.ROUTED),
    ]
    grouped = [
        (key, title, [c for c in cases if c.status == status]) for key, title, status in sections
    ]
    _shown(request, cases, AccessChannel.LIST)
    # The overdue steps name their cases by number only: no youth's name, no row.
    overdue = list(overdue_steps_in_regions(request.user, now)[:OVERDUE_SHOWN])
    return render(
        request,
        "cases/hub_queue.html",
        {
            "sections": grouped,
            "overdue": overdue,
            "overdue_counts": overdue_step_counts(request.user, now),
            "now": now,
        },
    )


# ----------------------------------------------------------------------------- intake


REFERRAL_FIELDS = (
    "received_at",
    "source",
    "reporter_name",
    "reporter_contact",
    "narrative",
    "suspected_exploitation",
    "imminent_danger",
)


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
        _shown(request, [linked.latest_case_id], AccessChannel.MATCH)
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
    _shown(request, [youth.latest_case_id for youth, _, _ in rows], AccessChannel.MATCH)
    return render(request, "cases/partials/youth_matches.html", {"matches": rows})


# ----------------------------------------------------------------------------- one case


@require_GET
@case_worker_required
def case_detail(request: HttpRequest, case_id) -> HttpResponse:
    case = _door(request, case_id)
    return _render_case(request, case)


def _render_case(request, case, *, forms=None, status=200) -> HttpResponse:
    rights = case_rights(request.user, case)
    initial = {"expected_status": case.status}
    forms = forms or {}
    checklist = _checklist(case, rights, forms.pop("failed_step", None))
    screening = next(
        (
            row["definition"]
            for row in checklist
            if row["definition"].key == SCREENING_STEP_KEY
            and row["step"].status == StepStatus.PENDING
            and row["owner"]
        ),
        None,
    )
    workers = services.agency_workers(case.agency) if case.agency_id else None
    context = {
        "case": case,
        "rights": rights,
        "referral": case.referral,
        "indicators": case.referral.indicators.all(),
        "timeline": case_timeline(case),
        "notes": case_notes(case),
        "consents": case.consents.select_related("recipient").order_by("-signed_on"),
        "screen_form": ScreenForm(initial=initial, step_definition=screening),
        "decline_form": DeclineForm(initial=initial),
        "assign_form": AssignForm(initial=initial, workers=workers)
        if workers is not None
        else None,
        "note_form": NoteForm(),
        "close_form": CloseForm(initial=initial),
        "reopen_form": ReopenForm(initial=initial),
        "consent_form": ConsentForm(),
        "youth_form": YouthUpdateForm(
            initial={
                "missing_from_care": case.youth.missing_from_care,
                "tribe": case.youth.tribe_id,
            }
        ),
        "open_form": None,
        "checklist": checklist,
    }
    context.update(forms)
    return render(request, "cases/case_detail.html", context, status=status)


def _checklist(case, rights, failed=None):
    """Each protocol step with how it reads now and, for its owner, the forms to record it.

    `failed`: the step action that was refused, re-shown with its errors.
    """
    now = timezone.now()
    agency_choices = None
    rows = []
    for step in case_steps(case):
        definition = step.definition
        owner = services.step_owned_by(rights, case, definition)
        retry = failed if failed and failed["key"] == definition.key else None
        form = skip_form = None
        if owner and case.is_open and step.status in (StepStatus.PENDING, StepStatus.DONE):
            form_class = step_form_class(definition)
            if retry and retry["action"] != "skip":
                form = form_class(retry["data"], prefix=definition.key)
                form.is_valid()
                errors_to_forms(retry["error"], form)
            else:
                initial = _form_initial(definition, step.values)
                form = form_class(prefix=definition.key, initial=initial)
            for field in form.fields.values():
                if getattr(field, "queryset", None) is not None and field.queryset.model is Agency:
                    if agency_choices is None:
                        agencies = Agency.objects.order_by("name").values_list("pk", "name")
                        agency_choices = [("", "Choose an agency"), *agencies]
                    field.choices = agency_choices
        if owner and definition.optional and step.status == StepStatus.PENDING and case.is_open:
            skip_form = SkipForm(retry["data"] if retry else None, prefix=f"skip-{definition.key}")
            if retry and retry["action"] == "skip":
                skip_form.is_valid()
                errors_to_forms(retry["error"], skip_form)
        state = step_state(step, now)
        rows.append(
            {
                "step": step,
                "definition": definition,
                "state": state,
                "late_by": humanize_delta(state.late_by) if state.late_by else "",
                "values": values_display(definition, step.values),
                "form": form,
                "skip_form": skip_form,
                "owner": owner,
            }
        )
    return rows


def _form_initial(definition, values):
    """A recorded step's values as its form expects them, field by field, by kind."""
    initial = {}
    for spec in definition.fields.all():
        if spec.key not in (values or {}):
            continue
        value = values[spec.key]
        if spec.kind == FieldKind.DATETIME:
            moment = datetime.datetime.fromisoformat(value)
            initial[spec.key] = timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")
        elif spec.kind == FieldKind.AGENCY:
            initial[spec.key] = value.get("id")
        elif spec.kind == FieldKind.YES_NO:
            initial[spec.key] = "yes" if value else "no"
        else:
            initial[spec.key] = value
    return initial


def _case_action(
    form_class,
    run,
    *,
    success: str,
    form_name: str,
    gone_after: bool = False,
    form_kwargs=None,
    confirm=None,
):
    """A POST that changes a case: door (write), form, one service, redirect or re-render.
    With `confirm`, a valid first post shows what `confirm(request, case, form)` renders
    (are you sure?) and only the post from that page, marked confirmed, runs."""

    @require_POST
    @case_worker_required
    def view(request: HttpRequest, case_id) -> HttpResponse:
        case = _door(request, case_id, write=True, channel=AccessChannel.ACTION)
        kwargs = form_kwargs(case) if form_kwargs else {}
        form = form_class(request.POST, **kwargs)
        if form.is_valid() and confirm is not None and not form.cleaned_data.get("confirmed"):
            return confirm(request, case, form)
        if form.is_valid():
            try:
                run(request, case, form.cleaned_data)
            except ValidationError as exc:
                errors_to_forms(exc, form)
            except services.CaseConflict as exc:
                messages.error(request, str(exc))
                return redirect("cases:detail", case_id=case.pk)
            else:
                messages.success(request, success.format(case=case))
                if gone_after:
                    return redirect("cases:list")
                return redirect("cases:detail", case_id=case.pk)
        return _render_case(
            request, case, forms={form_name: form, "open_form": form_name}, status=400
        )

    return view


def _expected(data):
    return data.get("expected_status") or None


case_screen = _case_action(
    ScreenForm,
    lambda request, case, data: services.case_screen(
        case_id=case.pk,
        actor=request.user,
        outcome=data["outcome"],
        note=data["note"],
        step_fields=data["step_fields"],
        expected_status=_expected(data),
    ),
    success="Screening recorded for {case.number}.",
    form_name="screen_form",
    form_kwargs=lambda case: {"step_definition": pending_screening_step(case)},
)
case_accept = _case_action(
    StatusAwareForm,
    lambda request, case, data: services.case_accept(
        case_id=case.pk, actor=request.user, expected_status=_expected(data)
    ),
    success="You accepted case {case.number}.",
    form_name="accept_form",
)


def _confirm_decline(request, case, form) -> HttpResponse:
    return render(
        request,
        "cases/confirm_action.html",
        {
            "case": case,
            "form": form,
            "action_url": reverse("cases:decline", args=[case.pk]),
            "title": f"Decline case {case.number}?",
            "consequence": (
                "The referral goes back to the hub to be routed elsewhere, and your agency "
                "no longer sees it."
            ),
            "button": "Decline the referral",
            "danger": True,
        },
    )


def _confirm_close(request, case, form) -> HttpResponse:
    unfinished = list(
        case.steps.filter(status=StepStatus.PENDING, definition__optional=False)
        .order_by("definition__order")
        .values_list("definition__title", flat=True)
    )
    return render(
        request,
        "cases/confirm_action.html",
        {
            "case": case,
            "form": form,
            "action_url": reverse("cases:close", args=[case.pk]),
            "title": f"Close case {case.number}?",
            "consequence": (
                f"Reason: {ClosureReason(form.cleaned_data['reason']).label}. Open protocol "
                "steps are set aside with the closure as the reason; reopening brings them "
                "back."
            ),
            "unfinished": unfinished,
            "button": "Close the case",
            "danger": bool(unfinished),
        },
    )


case_decline = _case_action(
    DeclineForm,
    lambda request, case, data: services.case_decline(
        case_id=case.pk,
        actor=request.user,
        reason=data["reason"],
        expected_status=_expected(data),
    ),
    success="Case {case.number} was declined and returned to the hub.",
    form_name="decline_form",
    gone_after=True,
    confirm=_confirm_decline,
)
case_assign = _case_action(
    AssignForm,
    lambda request, case, data: services.case_assign(
        case_id=case.pk,
        actor=request.user,
        worker=data["worker"],
        expected_status=_expected(data),
    ),
    success="Worker assigned to {case.number}.",
    form_name="assign_form",
    form_kwargs=lambda case: {"workers": services.agency_workers(case.agency)},
)
case_note = _case_action(
    NoteForm,
    lambda request, case, data: services.case_note_add(
        case_id=case.pk, actor=request.user, body=data["body"]
    ),
    success="Note added.",
    form_name="note_form",
)
case_close = _case_action(
    CloseForm,
    lambda request, case, data: services.case_close(
        case_id=case.pk,
        actor=request.user,
        reason=data["reason"],
        note=data["note"],
        expected_status=_expected(data),
    ),
    success="Case {case.number} closed.",
    form_name="close_form",
    confirm=_confirm_close,
)
case_reopen = _case_action(
    ReopenForm,
    lambda request, case, data: services.case_reopen(
        case_id=case.pk,
        actor=request.user,
        reason=data["reason"],
        expected_status=_expected(data),
    ),
    success="Case {case.number} reopened.",
    form_name="reopen_form",
)
case_consent = _case_action(
    ConsentForm,
    lambda request, case, data: services.consent_record(
        case_id=case.pk, actor=request.user, **data
    ),
    success="Consent recorded.",
    form_name="consent_form",
)


@require_http_methods(["GET", "POST"])
@case_worker_required
def case_route(request: HttpRequest, case_id) -> HttpResponse:
    case = _door(request, case_id, write=True, channel=AccessChannel.ACTION)
    if not case_rights(request.user, case).is_hub:
        raise PermissionDenied("Only the region's hub specialists route cases.")
    form = RouteForm(request.POST or None, case=case, initial={"expected_status": case.status})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_route(
                case_id=case.pk,
                actor=request.user,
                agency=data["agency"],
                legal_basis=data["legal_basis"],
                reason=data["reason"],
                expected_status=_expected(data),
            )
        except ValidationError as exc:
            errors_to_forms(exc, form)
        except services.CaseConflict as exc:
            messages.error(request, str(exc))
            return redirect("cases:detail", case_id=case.pk)
        else:
            messages.success(request, f"Case {case.number} routed to {data['agency']}.")
            return redirect("cases:detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/route.html", {"case": case, "form": form}, status=status)


@require_GET
@case_worker_required
def case_access_log_view(request: HttpRequest, case_id) -> HttpResponse:
    case = _door(request, case_id)
    accesses = case_access_log(request.user, case)
    page = keyset_page(
        accesses, order=("-at", "-id"), after=request.GET.get("after"), size=ACCESS_LOG_PAGE_SIZE
    )
    return render(
        request,
        "cases/access_log.html",
        {"case": case, "page": page, "people": access_log_by_person(accesses)},
    )


STEP_SERVICES = {
    "complete": (services.case_step_complete, "recorded"),
    "correct": (services.case_step_correct, "corrected"),
}


@require_POST
@case_worker_required
def case_step(request: HttpRequest, case_id, step_key: str, action: str) -> HttpResponse:
    """Complete, correct or skip a protocol step (its owner only)."""
    case = _door(request, case_id, write=True, channel=AccessChannel.ACTION)
    try:
        if action == "skip":
            reason = request.POST.get(f"skip-{step_key}-reason", "")
            step = services.case_step_skip(
                case_id=case.pk, step_key=step_key, actor=request.user, reason=reason
            )
            done = "skipped"
        else:
            run, done = STEP_SERVICES[action]
            step = run(
                case_id=case.pk,
                step_key=step_key,
                actor=request.user,
                data=request.POST,
                prefix=step_key,
            )
    except services.CaseConflict as exc:
        messages.error(request, str(exc))
        return redirect("cases:detail", case_id=case.pk)
    except ValidationError as exc:
        failed = {"key": step_key, "action": action, "error": exc, "data": request.POST}
        return _render_case(
            request,
            case,
            forms={"open_form": f"step-{step_key}", "failed_step": failed},
            status=400,
        )
    messages.success(request, f"'{step.definition.title}' {done}.")
    detail = reverse("cases:detail", kwargs={"case_id": case.pk})
    return redirect(f"{detail}#step-{step_key}")


@require_POST
@case_worker_required
def case_youth_update(request: HttpRequest, case_id) -> HttpResponse:
    case = _door(request, case_id, write=True, channel=AccessChannel.ACTION)
    form = YouthUpdateForm(request.POST)
    if not form.is_valid():
        return _render_case(
            request, case, forms={"youth_form": form, "open_form": "youth_form"}, status=400
        )
    try:
        services.youth_update(
            case_id=case.pk,
            actor=request.user,
            missing_from_care=form.cleaned_data["missing_from_care"],
            tribe=form.cleaned_data["tribe"],
        )
    except services.CaseConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Youth details updated; the protocol checklist follows.")
    return redirect("cases:detail", case_id=case.pk)


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own notifications (deadline alerts)."""
    notices = list(notifications_of(request.user)[:200])
    return render(request, "cases/notifications.html", {"notices": notices})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, "All notifications marked as read.")
    return redirect("cases:notifications")
