"""One case: its page, the actions on it, routing and protocol steps."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import services
from cases.forms import (
    AssignForm,
    CloseForm,
    ConsentForm,
    DeclineForm,
    NoteForm,
    ReopenForm,
    RouteForm,
    ScreenForm,
    SkipForm,
    StatusAwareForm,
    YouthUpdateForm,
)
from cases.models import AccessChannel, ClosureReason, StepStatus
from cases.selectors import (
    case_consents,
    case_notes,
    case_rights,
    case_steps,
    case_timeline,
    pending_screening_step,
)
from cases.steps import (
    SCREENING_STEP_KEY,
    deadline_text,
    humanize_delta,
    step_form_class,
    step_state,
    values_display,
)
from cases.views.common import case_worker_required, door
from cases.views.needs import needs_context
from hubnet.forms import errors_to_forms
from protocols.models import FieldKind
from regions.models import Agency


@require_GET
@case_worker_required
def case_detail(request: HttpRequest, case_id) -> HttpResponse:
    case = door(request, case_id)
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
    # The first step this user records that is to do, earliest due: shown at the top (on a
    # phone, above everything else).
    next_step = min(
        (
            row
            for row in checklist
            if row["owner"] and row["step"].status == StepStatus.PENDING and case.is_open
        ),
        key=lambda row: (
            row["step"].due_at is None,
            row["step"].due_at or 0,
            row["definition"].order,
        ),
        default=None,
    )
    workers = services.agency_workers(case.agency) if case.agency_id else None
    context = {
        "case": case,
        "rights": rights,
        "referral": case.referral,
        "indicators": case.referral.indicators.all(),
        "timeline": case_timeline(case),
        "notes": case_notes(case),
        "consents": case_consents(case),
        "screen_form": ScreenForm(initial=initial, step_definition=screening),
        "decline_form": DeclineForm(initial=initial),
        "assign_form": AssignForm(
            initial={**initial, "worker": case.assigned_worker_id}, workers=workers
        )
        if workers is not None
        else None,
        "note_form": NoteForm(),
        "close_form": CloseForm(initial=initial),
        "reopen_form": ReopenForm(initial=initial),
        "consent_form": ConsentForm(case=case),
        "youth_form": YouthUpdateForm(
            initial={
                "missing_from_care": case.youth.missing_from_care,
                "tribe": case.youth.tribe_id,
            }
        ),
        "open_form": None,
        "checklist": checklist,
        "next_step": next_step,
    }
    context.update(
        needs_context(
            request.user,
            case,
            rights,
            new_form=forms.pop("need_form", None),
            failed=forms.pop("failed_need", None),
        )
    )
    context.update(forms)
    return render(request, "cases/case_detail.html", context, status=status)


def _checklist(case, rights, failed=None):
    """Each protocol step with how it reads now and, for its owner, the forms to record it.

    `failed`: the step action that was refused, re-shown with its errors.
    """
    now = timezone.now()
    agency_choices = None
    rows = []
    steps = list(case_steps(case))
    titles = {step.definition.key: step.definition.title for step in steps}
    for step in steps:
        definition = step.definition
        owner = services.step_owned_by(rights, case, definition)
        retry = failed if failed and failed["key"] == definition.key else None
        form = skip_form = None
        if owner and case.is_open and step.status in (StepStatus.PENDING, StepStatus.DONE):
            form_class = step_form_class(definition)
            if retry and retry["action"] != "skip":
                form = form_class(retry["data"], prefix=definition.key)
                if form.is_valid():  # else the form shows what the service refused, once
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
            if retry and retry["action"] == "skip" and skip_form.is_valid():
                errors_to_forms(retry["error"], skip_form)
        state = step_state(step, now)
        rows.append(
            {
                "step": step,
                "definition": definition,
                "state": state,
                "late_by": humanize_delta(state.late_by) if state.late_by else "",
                "deadline": deadline_text(definition, titles),
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
        case = door(request, case_id, write=True, channel=AccessChannel.ACTION)
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
    form_kwargs=lambda case: {"case": case},
)


@require_http_methods(["GET", "POST"])
@case_worker_required
def case_route(request: HttpRequest, case_id) -> HttpResponse:
    case = door(request, case_id, write=True, channel=AccessChannel.ACTION)
    if not case_rights(request.user, case).is_hub:
        raise PermissionDenied("Only the region's hub specialists route cases.")
    consents = list(case_consents(case))
    form = RouteForm(
        request.POST or None,
        case=case,
        consents=consents,
        initial={"expected_status": case.status},
    )
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
    return render(
        request,
        "cases/route.html",
        {"case": case, "form": form, "consents": consents, "today": timezone.localdate()},
        status=status,
    )


STEP_SERVICES = {
    "complete": (services.case_step_complete, "recorded"),
    "correct": (services.case_step_correct, "corrected"),
}


@require_POST
@case_worker_required
def case_step(request: HttpRequest, case_id, step_key: str, action: str) -> HttpResponse:
    """Complete, correct or skip a protocol step (its owner only)."""
    case = door(request, case_id, write=True, channel=AccessChannel.ACTION)
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
    case = door(request, case_id, write=True, channel=AccessChannel.ACTION)
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
