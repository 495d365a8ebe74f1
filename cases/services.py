"""Every write to a case. Each service locks the case row, checks who is acting and
the current state, writes the change and its timeline event in one transaction.

Errors:
- django ValidationError: bad input (shown next to the field, a 400 in the API);
- PermissionDenied: the actor may see the case but not do this (403);
- CaseConflict: the case is not in a state that allows this, typically because
  someone else changed it first (409). Nothing is written in any of these cases.
"""

import datetime
import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from cases.models import (
    AlertThreshold,
    Case,
    CaseEvent,
    CaseGrant,
    CaseNote,
    CaseNumberCounter,
    CaseStep,
    ClosureReason,
    Consent,
    EventKind,
    Indicator,
    LegalBasis,
    NeedStatus,
    Notification,
    Referral,
    ScreeningOutcome,
    ServiceNeed,
    Status,
    StepAlert,
    StepStatus,
    UnavailableReason,
    Youth,
)
from cases.selectors import case_rights, cases_visible_to, work_regions_of
from cases.steps import (
    DUE_SOON,
    SCREENING_STEP_KEY,
    case_steps_sync,
    screening_step_data,
    step_values_clean,
    steps_follow_agency,
    values_display,
)
from protocols.models import Owner
from protocols.selectors import protocol_for_region
from regions.models import (
    AGENCY_ROLES,
    Agency,
    AgencyUserObjectPermission,
    Membership,
    Provider,
    Region,
    RegionUserObjectPermission,
    ServiceType,
    Tribe,
)
from regions.rollups import past_quarters_refresh

logger = logging.getLogger(__name__)


class CaseConflict(Exception):
    """The case is not (or no longer) in a state that allows the change."""


def _locked_case(case_id) -> Case:
    try:
        return Case.objects.select_for_update().get(pk=case_id)
    except Case.DoesNotExist:
        raise CaseConflict("This case no longer exists.") from None


def _check_state(case: Case, allowed: list[str], action: str, expected_status: str | None) -> None:
    if expected_status and case.status != expected_status:
        raise CaseConflict(
            f"Case {case.number} changed while you were looking at it: it is now "
            f"'{case.get_status_display()}'. Reload the case to see what happened."
        )
    if case.status not in allowed:
        raise CaseConflict(
            f"Case {case.number} is '{case.get_status_display()}' and cannot be {action}."
        )


def _require_hub(actor, case: Case) -> None:
    if not case_rights(actor, case).is_hub:
        raise PermissionDenied("Only the region's hub specialists can do this.")


def _require_agency(actor, case: Case) -> None:
    if not case_rights(actor, case).is_agency:
        raise PermissionDenied("Only staff of the case's current agency can do this.")


def _require_writer(actor, case: Case) -> None:
    if not case_rights(actor, case).can_write:
        raise PermissionDenied("You can see this case but not change it.")


def _event(
    case: Case,
    kind: str,
    actor,
    *,
    from_status="",
    from_agency=None,
    reason="",
    closure_reason="",
    from_another_case=False,
) -> None:
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        from_status=from_status,
        to_status=case.status,
        from_agency=from_agency,
        to_agency=case.agency,
        reason=reason,
        closure_reason=closure_reason,
        from_another_case=from_another_case,
    )
    if from_status != case.status:
        # The case waits in its new state from now (the hub queue's order).
        case.status_since = event.at
        Case.objects.filter(pk=case.pk).update(status_since=event.at)


def _case_number(region: Region, year: int) -> str:
    counter, _ = CaseNumberCounter.objects.select_for_update().get_or_create(
        region=region, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"R{region.number}-{year}-{counter.last:04d}"


# Youth fields a linked referral may bring up to date (a youth update with its timeline
# event); every other youth field must match the linked record or the link is refused.
YOUTH_SITUATION_FIELDS = ("missing_from_care", "tribe")
YOUTH_IDENTITY_FIELDS = ("legal_first_name", "legal_last_name", "date_of_birth")


def referral_region(county) -> Region:
    """The rule: a referral belongs to the region of the youth's county of residence."""
    return county.region


def referral_create(
    *,
    logged_by: AbstractBaseUser,
    region: Region | None = None,
    youth: Youth | None = None,
    youth_data: dict | None = None,
    referral_data: dict,
    indicators: list[Indicator] = (),
    handover: bool = False,
) -> Case:
    """Log a referral and open its case (status received), for a youth new or already known.

    Only hub specialists log referrals. The case's region follows the youth's county of
    residence (`referral_region`): a youth from another hub's region is logged only with
    `handover=True`, and the case then goes to that region's hub queue (the logger does
    not see it afterwards). `region`, when given, is what the caller expects and must agree.

    A linked youth (`youth`) must have a case the logger can see, and `youth_data` (what
    was typed) must match the youth's record except for the situation fields (missing
    from care, tribal affiliation), which are applied as a youth update on every case of
    the youth. Nothing typed is ever silently dropped: a mismatch is a ValidationError.
    """
    own_regions = {r.pk for r in work_regions_of(logged_by)}
    if not own_regions:
        raise PermissionDenied("Only hub specialists log referrals.")
    youth_data = dict(youth_data or {})
    county = youth.county if youth is not None else youth_data.get("county")
    if county is None:
        raise ValidationError({"county": "Choose the youth's county of residence."})
    home = referral_region(county)
    if region is not None and region.pk != home.pk:
        raise ValidationError(
            {"region": f"{county} is in {home}, not {region}: a referral follows the county."}
        )
    if home.pk not in own_regions and not handover:
        raise ValidationError({"county": handover_warning(county)})
    with transaction.atomic():
        situation = {}
        if youth is None:
            youth = Youth(region=home, **youth_data)
            youth.full_clean()
            youth.save()
        elif not cases_visible_to(logged_by).filter(youth=youth).exists():
            raise ValidationError({"youth": "That youth is not one of your region's records."})
        else:
            situation = _linked_youth_check(youth, youth_data)

        referral = Referral(youth=youth, region=home, logged_by=logged_by, **referral_data)
        referral.full_clean()
        referral.save()
        referral.indicators.set(indicators)

        received_year = timezone.localtime(referral.received_at).year
        case = Case(
            number=_case_number(home, received_year),
            youth=youth,
            referral=referral,
            region=home,
            county=youth.county,
            status=Status.RECEIVED,
            protocol_version=protocol_for_region(home),
        )
        case.save()
        reason = referral.get_source_display()
        if home.pk not in own_regions:
            reason += f"; handed over to Hub {home.number} ({home.name}) by the logging hub"
        _event(case, EventKind.LOGGED, logged_by, reason=reason)
        case_steps_sync(case, opening=True)
        if situation:
            youth_update(case_id=case.pk, actor=logged_by, **situation)
    return case


def handover_warning(county) -> str:
    home = referral_region(county)
    return (
        f"{county} is in Region {home.number} ({home.name}). Referrals follow the youth's "
        f"county, so this one will go to Hub {home.number}'s queue and you will not see the "
        'case after saving. Tick "Hand over to that region\'s hub" to confirm, or correct '
        "the county."
    )


def _linked_youth_check(youth: Youth, typed: dict) -> dict:
    """What a referral linked to `youth` may change (the situation fields that differ);
    raises ValidationError naming every other typed field that disagrees with the record."""
    differing = []
    for name, value in typed.items():
        if name in YOUTH_SITUATION_FIELDS or value in (None, ""):
            continue
        recorded = getattr(youth, name)
        if isinstance(value, str) and isinstance(recorded, str):
            same = value.strip().casefold() == recorded.strip().casefold()
        else:
            same = value == recorded
        if not same:
            differing.append(Youth._meta.get_field(name).verbose_name)
    if differing:
        raise ValidationError(
            f"What you typed differs from the linked youth's record ({', '.join(differing)}). "
            "Unlink to log a different youth, or correct the fields to match the record; "
            "nothing was saved."
        )
    return {
        name: typed[name]
        for name in YOUTH_SITUATION_FIELDS
        if name in typed and typed[name] != getattr(youth, name)
    }


def case_screen(
    *,
    case_id,
    actor: AbstractBaseUser,
    outcome: str,
    note: str = "",
    step_fields: dict | None = None,
    expected_status: str | None = None,
) -> Case:
    """Record the screening outcome (hub). A received case becomes screened.

    The same action records the protocol's screening step, while it is to do, from the
    outcome and note, and `step_fields` for the step's other fields (e.g. the tool used):
    see `_screening_step_record`. A value given in `step_fields` that the step refuses is a
    ValidationError (nothing is written); a step the screening cannot fill stays to do.
    """
    if outcome not in ScreeningOutcome.values:
        raise ValidationError({"outcome": "Choose a screening outcome."})
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_hub(actor, case)
        _check_state(
            case, [Status.RECEIVED, Status.SCREENED, Status.DECLINED], "screened", expected_status
        )
        before = case.status
        case.screening_outcome = outcome
        case.screened_by = actor
        case.screened_at = timezone.now()
        if case.status == Status.RECEIVED:
            case.status = Status.SCREENED
        case.save(
            update_fields=[
                "screening_outcome",
                "screened_by",
                "screened_at",
                "status",
                "updated_at",
            ]
        )
        reason = ScreeningOutcome(outcome).label + (f": {note}" if note else "")
        _event(case, EventKind.SCREENED, actor, from_status=before, reason=reason)
        _screening_step_record(case, actor, outcome=outcome, note=note, given=step_fields or {})
    return case


def _screening_step_record(case: Case, actor, *, outcome: str, note: str, given: dict) -> None:
    """Complete the case's screening step from the screening just saved, when the step is to
    do, `actor` owns it and the screening (with `given`) fills its required fields; else
    leave it as it is. A protocol version without the step has nothing to record."""
    step = (
        CaseStep.objects.select_for_update(of=("self",))
        .filter(case=case, definition__key=SCREENING_STEP_KEY, status=StepStatus.PENDING)
        .select_related("definition")
        .first()
    )
    if step is None or not step_owned_by(case_rights(actor, case), case, step.definition):
        return
    given = {key: value for key, value in given.items() if value not in (None, "")}
    data = screening_step_data(
        step.definition, outcome=outcome, note=note, screened_at=case.screened_at, given=given
    )
    try:
        values = step_values_clean(step.definition, data)
    except ValidationError as exc:
        refused = {key: errors for key, errors in exc.message_dict.items() if key in given}
        if refused:
            raise ValidationError(refused) from exc
        return  # fields the screening cannot fill: the step waits for them
    _step_done(case, step, actor, values=values, at=case.screened_at)


def routing_agencies(case: Case):
    """Agencies a case may be routed to: those serving the youth's county or tribe (wherever
    they are) first, Resource Agencies first among them; then the region's other agencies."""
    youth = case.youth
    serves = Q(county_id=youth.county_id)
    if youth.tribe_id:
        serves |= Q(tribe_id=youth.tribe_id)
    return (
        Agency.objects.filter(serves | Q(region_id=case.region_id))
        .annotate(serves_youth=ExpressionWrapper(serves, output_field=BooleanField()))
        .select_related("county", "tribe")
        .order_by("-serves_youth", "-is_resource_agency", "name")
    )


def current_consent(case: Case, agency: Agency) -> Consent | None:
    today = timezone.localdate()
    for consent in case.consents.filter(recipient=agency, revoked_at__isnull=True):
        if consent.is_current(today):
            return consent
    return None


def case_route(
    *,
    case_id,
    actor: AbstractBaseUser,
    agency: Agency,
    legal_basis: str = "",
    reason: str = "",
    expected_status: str | None = None,
) -> Case:
    """Route a screened (or declined) case to an agency (hub).

    Routing outside the youth's own county or tribe needs a current consent
    naming that agency or a recorded legal basis (a mandated CPS report).
    """
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_hub(actor, case)
        _check_state(case, [Status.SCREENED, Status.DECLINED], "routed", expected_status)
        if case.screening_outcome == ScreeningOutcome.NOT_INDICATED:
            raise ValidationError(
                {"agency": "This case was screened as not indicated; screen it again to route it."}
            )
        candidate = routing_agencies(case).filter(pk=agency.pk).first()
        if candidate is None:
            raise ValidationError(
                {
                    "agency": (
                        f"{agency} neither serves the youth's county or tribe nor belongs to "
                        f"{case.region}. A case moving to another region is transferred by "
                        "that region's hub."
                    )
                }
            )
        basis = ""
        if not candidate.serves_youth:
            if legal_basis == LegalBasis.MANDATED_CPS_REPORT:
                basis = legal_basis
            elif current_consent(case, agency):
                basis = LegalBasis.CONSENT
            else:
                raise ValidationError(
                    {
                        "agency": (
                            f"{agency} does not serve the youth's county or tribe. Record a "
                            "current consent naming this agency, or a legal basis, first."
                        )
                    }
                )
        before, from_agency = case.status, case.agency
        case.agency = agency
        case.routing_basis = basis
        case.assigned_worker = None
        case.status = Status.ROUTED
        case.save(
            update_fields=["agency", "routing_basis", "assigned_worker", "status", "updated_at"]
        )
        steps_follow_agency(case)
        _event(
            case,
            EventKind.ROUTED,
            actor,
            from_status=before,
            from_agency=from_agency,
            reason=reason,
        )
    return case


def case_accept(*, case_id, actor: AbstractBaseUser, expected_status: str | None = None) -> Case:
    """The current agency takes the routed case on (agency staff)."""
    with transaction.atomic():
        case = _locked_case(case_id)
        # State first: the agency's right to act comes from the routing itself, so a
        # decline that won a race must read as a conflict, not as "not your agency".
        _check_state(case, [Status.ROUTED], "accepted", expected_status)
        _require_agency(actor, case)
        case.status = Status.ACCEPTED
        case.accepted_at = timezone.now()
        case.save(update_fields=["status", "accepted_at", "updated_at"])
        _event(case, EventKind.ACCEPTED, actor, from_status=Status.ROUTED)
        _steps_sync(case, actor)
    return case


def case_decline(
    *, case_id, actor: AbstractBaseUser, reason: str, expected_status: str | None = None
) -> Case:
    """The agency sends the routed case back to the hub queue, saying why (agency staff).

    The agency loses access at once; the timeline keeps the fact.
    """
    if not reason.strip():
        raise ValidationError({"reason": "Say why the referral is declined."})
    with transaction.atomic():
        case = _locked_case(case_id)
        _check_state(case, [Status.ROUTED], "declined", expected_status)  # see case_accept
        _require_agency(actor, case)
        from_agency = case.agency
        case.agency = None
        case.routing_basis = ""
        case.status = Status.DECLINED
        case.save(update_fields=["agency", "routing_basis", "status", "updated_at"])
        steps_follow_agency(case)
        _event(
            case,
            EventKind.DECLINED,
            actor,
            from_status=Status.ROUTED,
            from_agency=from_agency,
            reason=reason.strip(),
        )
    return case


def agency_workers(agency: Agency):
    """Users who may be assigned the agency's cases (active staff or supervisors)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            memberships__agency=agency,
            memberships__role__in=AGENCY_ROLES,
            memberships__revoked_at__isnull=True,
            is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def case_assign(
    *, case_id, actor: AbstractBaseUser, worker: AbstractBaseUser, expected_status=None
) -> Case:
    """Give an accepted case a worker of the agency; the case becomes active (agency staff)."""
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_agency(actor, case)
        _check_state(case, [Status.ACCEPTED, Status.ACTIVE], "assigned", expected_status)
        if not agency_workers(case.agency).filter(pk=worker.pk).exists():
            raise ValidationError({"worker": f"{worker} is not on the staff of {case.agency}."})
        before = case.status
        case.assigned_worker = worker
        case.status = Status.ACTIVE
        case.save(update_fields=["assigned_worker", "status", "updated_at"])
        name = worker.get_full_name() or worker.get_username()
        _event(case, EventKind.ASSIGNED, actor, from_status=before, reason=f"Assigned to {name}")
    return case


def case_note_add(*, case_id, actor: AbstractBaseUser, body: str) -> CaseNote:
    """Add a note to the case (hub or current agency)."""
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write the note before saving it."})
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_writer(actor, case)
        note = CaseNote.objects.create(case=case, author=actor, body=body)
        _event(case, EventKind.NOTE_ADDED, actor, from_status=case.status)
    return note


def case_close(
    *,
    case_id,
    actor: AbstractBaseUser,
    reason: str,
    note: str = "",
    expected_status: str | None = None,
) -> Case:
    """Close an open case with a reason (hub or current agency).

    Its protocol steps still to do become not applicable, closed with the case (one
    timeline event names them), so no list, count or alert shows them overdue.
    """
    if reason not in ClosureReason.values:
        raise ValidationError({"reason": "Choose why the case is closed."})
    if reason == ClosureReason.OTHER and not note.strip():
        raise ValidationError({"note": "Say why, when the reason is 'Other'."})
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_writer(actor, case)
        _check_state(case, [s for s in Status if s != Status.CLOSED], "closed", expected_status)
        before = case.status
        case.status = Status.CLOSED
        case.closed_at = timezone.now()
        case.closure_reason = reason
        case.save(update_fields=["status", "closed_at", "closure_reason", "updated_at"])
        text = ClosureReason(reason).label + (f": {note.strip()}" if note.strip() else "")
        _event(
            case,
            EventKind.CLOSED,
            actor,
            from_status=before,
            reason=text,
            closure_reason=reason,
        )
        _steps_sync(case, actor)
    return case


def case_reopen(
    *, case_id, actor: AbstractBaseUser, reason: str, expected_status: str | None = None
) -> Case:
    """Reopen a closed case, saying why (hub or current agency).

    The steps that were still to do when it closed are pending again, with their
    deadlines recomputed, if their conditions still hold.
    """
    if not reason.strip():
        raise ValidationError({"reason": "Say why the case is reopened."})
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_writer(actor, case)
        _check_state(case, [Status.CLOSED], "reopened", expected_status)
        # Back to where it was when closed: a case closed while awaiting acceptance
        # reopens awaiting acceptance, never as accepted.
        closing = case.events.filter(kind=EventKind.CLOSED).order_by("-at", "-id").first()
        case.status = closing.from_status if closing else Status.RECEIVED
        case.closed_at = None
        case.closure_reason = ""
        case.save(update_fields=["status", "closed_at", "closure_reason", "updated_at"])
        _event(case, EventKind.REOPENED, actor, from_status=Status.CLOSED, reason=reason.strip())
        _steps_sync(case, actor)  # the youth's situation may have changed while closed
    return case


def consent_record(
    *,
    case_id,
    actor: AbstractBaseUser,
    recipient: Agency,
    scope: str,
    youth_consented: bool,
    guardian_consented: bool,
    guardian_name: str,
    signed_on: datetime.date,
    expires_on: datetime.date,
) -> Consent:
    """Record a written consent to share with `recipient` (hub or current agency)."""
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_writer(actor, case)
        consent = Consent(
            case=case,
            recipient=recipient,
            scope=scope,
            youth_consented=youth_consented,
            guardian_consented=guardian_consented,
            guardian_name=guardian_name,
            signed_on=signed_on,
            expires_on=expires_on,
            recorded_by=actor,
        )
        consent.full_clean()
        if not (youth_consented and guardian_consented):
            raise ValidationError(
                "A minor's consent needs both the youth and a parent or guardian (never the "
                "alleged abuser)."
            )
        consent.save()
        _event(
            case,
            EventKind.CONSENT_RECORDED,
            actor,
            from_status=case.status,
            reason=f"Consent to share with {recipient} until {expires_on:%Y-%m-%d}: {scope}",
        )
    return consent


def case_grant_create(
    *, case_id, actor: AbstractBaseUser, user: AbstractBaseUser, consent: Consent
) -> CaseGrant:
    """Let one user of the consent's recipient agency read one case until the consent expires.

    The rare exception to agency/region permissions (hub only).
    """
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_hub(actor, case)
        if consent.case_id != case.pk or not consent.is_current():
            raise ValidationError({"consent": "Choose a current consent recorded on this case."})
        if not Membership.objects.active().filter(user=user, agency=consent.recipient).exists():
            raise ValidationError({"user": f"{user} does not work for {consent.recipient}."})
        end_of_consent = datetime.datetime.combine(
            consent.expires_on + datetime.timedelta(days=1),
            datetime.time.min,
            tzinfo=timezone.get_current_timezone(),
        )
        return CaseGrant.objects.create(
            case=case, user=user, consent=consent, expires_at=end_of_consent, granted_by=actor
        )


# ----------------------------------------------------------------------------- protocol steps


def _steps_sync(case: Case, actor, *, from_another_case: bool = False) -> None:
    """Bring the case's steps up to date and put what began or stopped applying on the timeline:
    one event per step, and one for all the steps a closure or a reopening set aside or back."""
    closure = []
    for change in case_steps_sync(case):
        if change.closure:
            closure.append(change.step.definition.title)
            continue
        kind = EventKind.STEP_APPLIES if change.applies else EventKind.STEP_NOT_APPLICABLE
        _event(
            case,
            kind,
            actor,
            from_status=case.status,
            reason=change.step.definition.title,
            from_another_case=from_another_case,
        )
    if closure and case.is_open:
        reason = f"Steps to do again after reopening: {', '.join(closure)}"
        _event(
            case,
            EventKind.STEP_APPLIES,
            actor,
            from_status=case.status,
            reason=reason,
            from_another_case=from_another_case,
        )
    elif closure:
        reason = f"Open steps not applicable after closure: {', '.join(closure)}"
        _event(
            case,
            EventKind.STEP_NOT_APPLICABLE,
            actor,
            from_status=case.status,
            reason=reason,
            from_another_case=from_another_case,
        )


def _locked_step(case: Case, step_key: str) -> CaseStep:
    step = (
        CaseStep.objects.select_for_update(of=("self",))
        .filter(case=case, definition__key=step_key)
        .first()
    )
    if step is None:
        raise Http404(f"Case {case.number} has no protocol step '{step_key}'.")
    # the definition with its fields, for validation and display
    step.definition = (
        type(step)
        .definition.field.related_model.objects.prefetch_related("fields")
        .get(pk=step.definition_id)
    )
    return step


def step_owned_by(rights, case: Case, definition) -> bool:
    """Whether someone with `rights` on `case` records this step: hub steps are the hub's;
    agency steps the current agency's, and the hub's while no agency holds the case (the
    12- and 24-hour reports cannot wait for routing)."""
    if definition.owner == Owner.HUB:
        return rights.is_hub
    return rights.is_agency or (rights.is_hub and case.agency_id is None)


def _require_step_owner(actor, case: Case, step: CaseStep) -> None:
    if not step_owned_by(case_rights(actor, case), case, step.definition):
        if step.definition.owner == Owner.HUB:
            raise PermissionDenied("Only the region's hub specialists record this step.")
        raise PermissionDenied("Only staff of the case's current agency record this step.")


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise CaseConflict(f"Case {case.number} is closed; reopen it to change it.")


def case_step_complete(*, case_id, step_key: str, actor: AbstractBaseUser, data, prefix=None):
    """Record a protocol step as done, with its fields validated (the step's owner only).

    Steps anchored on this one get their deadlines.
    """
    with transaction.atomic():
        case = _locked_case(case_id)
        step = _locked_step(case, step_key)
        _require_step_owner(actor, case, step)
        _require_open(case)
        if step.status != StepStatus.PENDING:
            raise CaseConflict(
                f"'{step.definition.title}' is {step.get_status_display().lower()} already."
            )
        values = step_values_clean(step.definition, data, prefix=prefix)
        _step_done(case, step, actor, values=values, at=timezone.now())
    return step


def _step_done(case: Case, step: CaseStep, actor, *, values: dict, at) -> None:
    """Record a locked, pending step as done with its cleaned values; its timeline event;
    the steps anchored on it get their deadlines."""
    step.values = values
    step.status = StepStatus.DONE
    step.completed_at = at
    step.completed_by = actor
    step.save(update_fields=["values", "status", "completed_at", "completed_by"])
    _event(
        case, EventKind.STEP_COMPLETED, actor, from_status=case.status, reason=_step_summary(step)
    )
    _safety_sync(case, step, at)
    _steps_sync(case, actor)


# The safety check whose "No" flags the case, like imminent danger, until a later check
# (or a correction) says the youth is safe.
SAFETY_STEP_KEY = "immediate_safety"
SAFETY_FIELD = "safe_now"


def _safety_sync(case: Case, step: CaseStep, at) -> None:
    """Raise or lower the case's "not safe right now" flag from the safety check just
    recorded on the locked `case`."""
    if step.definition.key != SAFETY_STEP_KEY or SAFETY_FIELD not in (step.values or {}):
        return
    unsafe = step.values[SAFETY_FIELD] is False
    if unsafe and case.unsafe_since is None:
        case.unsafe_since = at
    elif not unsafe:
        case.unsafe_since = None
    else:
        return
    case.save(update_fields=["unsafe_since", "updated_at"])


def case_step_skip(*, case_id, step_key: str, actor: AbstractBaseUser, reason: str) -> CaseStep:
    """Skip an optional step, saying why (the step's owner only)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the step is skipped."})
    with transaction.atomic():
        case = _locked_case(case_id)
        step = _locked_step(case, step_key)
        _require_step_owner(actor, case, step)
        _require_open(case)
        if not step.definition.optional:
            raise ValidationError(
                {"reason": f"'{step.definition.title}' is required and cannot be skipped."}
            )
        if step.status != StepStatus.PENDING:
            raise CaseConflict(
                f"'{step.definition.title}' is {step.get_status_display().lower()} already."
            )
        step.status = StepStatus.SKIPPED
        step.skip_reason = reason.strip()
        step.completed_at = timezone.now()
        step.completed_by = actor
        step.save(update_fields=["status", "skip_reason", "completed_at", "completed_by"])
        _event(
            case,
            EventKind.STEP_SKIPPED,
            actor,
            from_status=case.status,
            reason=f"{step.definition.title}: {step.skip_reason}",
        )
        _steps_sync(case, actor)
    return step


def case_step_correct(*, case_id, step_key: str, actor: AbstractBaseUser, data, prefix=None):
    """Correct what a completed step recorded; the earlier values stay on the timeline."""
    with transaction.atomic():
        case = _locked_case(case_id)
        step = _locked_step(case, step_key)
        _require_step_owner(actor, case, step)
        _require_open(case)
        if step.status != StepStatus.DONE:
            raise CaseConflict(
                f"'{step.definition.title}' is not done, so it cannot be corrected."
            )
        earlier = _step_summary(step)
        step.values = step_values_clean(step.definition, data, prefix=prefix)
        step.save(update_fields=["values"])
        _event(
            case,
            EventKind.STEP_CORRECTED,
            actor,
            from_status=case.status,
            reason=f"Was: {earlier}. Now: {_step_summary(step)}",
        )
        _safety_sync(case, step, step.completed_at or timezone.now())
    return step


def _step_summary(step: CaseStep) -> str:
    shown = "; ".join(
        f"{label}: {text}" for label, text in values_display(step.definition, step.values)
    )
    return f"{step.definition.title}" + (f" ({shown})" if shown else "")


_UNCHANGED = object()


def youth_update(
    *,
    case_id,
    actor: AbstractBaseUser,
    missing_from_care: bool | None = None,
    tribe: Tribe | object | None = _UNCHANGED,
) -> Youth:
    """Record that the youth went missing (or returned) or their tribal affiliation (hub or
    current agency). Every open case of the youth re-evaluates its protocol steps."""
    with transaction.atomic():
        # Lock order: the youth, then all their cases by id, so two updates made from two
        # cases of one youth queue up instead of deadlocking.
        youth_id = Case.objects.filter(pk=case_id).values_list("youth_id", flat=True).first()
        if youth_id is None:
            raise CaseConflict("This case no longer exists.")
        youth = Youth.objects.select_for_update().get(pk=youth_id)
        cases = list(Case.objects.select_for_update().filter(youth=youth).order_by("pk"))
        case = next(c for c in cases if str(c.pk) == str(case_id))
        _require_writer(actor, case)
        changes = []
        if missing_from_care is not None and missing_from_care != youth.missing_from_care:
            youth.missing_from_care = missing_from_care
            changes.append("missing from care" if missing_from_care else "no longer missing")
        if tribe is not _UNCHANGED and tribe != youth.tribe:
            youth.tribe = tribe
            changes.append(f"tribal affiliation: {tribe or 'none'}")
        if not changes:
            return youth
        youth.save(update_fields=["missing_from_care", "tribe"])
        reason = "; ".join(changes).capitalize()
        for other in cases:  # every case records it; open ones re-evaluate their steps now
            other.youth = youth
            elsewhere = other.pk != case.pk  # its timeline names neither who nor which agency
            _event(
                other,
                EventKind.YOUTH_UPDATED,
                actor,
                from_status=other.status,
                reason=reason,
                from_another_case=elsewhere,
            )
            if other.status != Status.CLOSED:
                _steps_sync(other, actor, from_another_case=elsewhere)
    return youth


# ----------------------------------------------------------------------------- deadline alerts


def step_deadline_alerts_send() -> int:
    """Tell each pending step's owners, once per threshold, that it is due within 4 hours
    or overdue: an in-app notification and an email (case number only, nothing identifying).

    Reads only the steps that crossed a threshold and have no alert for it yet; safe to run
    twice or concurrently (one alert per step and threshold, by a unique constraint).
    Returns how many notifications were created.
    """
    now = timezone.now()
    alerted = StepAlert.objects.filter(step=OuterRef("pk"), due_at=OuterRef("due_at"))
    due = (
        CaseStep.objects.filter(
            status=StepStatus.PENDING, due_at__isnull=False, due_at__lte=now + DUE_SOON
        )
        .exclude(case__status=Status.CLOSED)
        .annotate(
            has_overdue=Exists(alerted.filter(threshold=AlertThreshold.OVERDUE)),
            has_due_soon=Exists(alerted.filter(threshold=AlertThreshold.DUE_SOON)),
        )
        .filter(Q(due_at__lte=now, has_overdue=False) | Q(due_at__gt=now, has_due_soon=False))
        .select_related("definition", "case")
        .order_by("due_at", "id")
    )
    steps = list(due)
    if not steps:
        return 0
    owners = _step_owners(steps)
    created = 0
    for step in steps:
        threshold = AlertThreshold.OVERDUE if step.due_at <= now else AlertThreshold.DUE_SOON
        recipients = owners(step)
        with transaction.atomic():
            # Re-check under the step's lock: it may have been done, or its case closed,
            # since it was read.
            still_due = (
                CaseStep.objects.select_for_update(of=("self",))
                .filter(pk=step.pk, status=StepStatus.PENDING, due_at=step.due_at)
                .exclude(case__status=Status.CLOSED)
                .exists()
            )
            if not still_due:
                continue
            alert, is_new = StepAlert.objects.get_or_create(
                step=step, threshold=threshold, due_at=step.due_at
            )
            if not is_new:
                continue  # another run got there first
            message = _alert_message(step, threshold)
            Notification.objects.bulk_create(
                Notification(user=user, case=step.case, alert=alert, message=message)
                for user in recipients
            )
            created += len(recipients)
            addresses = [user.email for user in recipients if user.email]
            if addresses:
                transaction.on_commit(lambda m=message, a=addresses: _alert_emails(m, a))
    return created


def _step_owners(steps: list[CaseStep]):
    """A lookup of the users who own each step: the region's hub specialists for hub steps,
    the current agency's staff for agency steps (the hub, while no agency has the case)."""
    from django.contrib.auth import get_user_model

    region_ids = {s.case.region_id for s in steps}
    agency_ids = {s.case.agency_id for s in steps if s.case.agency_id}
    users = get_user_model().objects.filter(is_active=True)
    by_region: dict[int, list] = {}
    for perm in RegionUserObjectPermission.objects.filter(
        content_object_id__in=region_ids,
        permission__codename="work_region_cases",
        user__in=users,
    ).select_related("user"):
        by_region.setdefault(perm.content_object_id, []).append(perm.user)
    by_agency: dict[int, list] = {}
    for perm in AgencyUserObjectPermission.objects.filter(
        content_object_id__in=agency_ids,
        permission__codename="work_agency_cases",
        user__in=users,
    ).select_related("user"):
        by_agency.setdefault(perm.content_object_id, []).append(perm.user)

    def owners(step: CaseStep) -> list:
        hub = by_region.get(step.case.region_id, [])
        if step.definition.owner == Owner.AGENCY and step.case.agency_id:
            return by_agency.get(step.case.agency_id) or hub  # an agency with no one: the hub
        return hub

    return owners


def _alert_message(step: CaseStep, threshold: str) -> str:
    due = date_format(timezone.localtime(step.due_at), "DATETIME_FORMAT")
    state = "is overdue" if threshold == AlertThreshold.OVERDUE else "is due within 4 hours"
    return f"Case {step.case.number}: '{step.definition.title}' {state} (due {due})."


def _alert_emails(message: str, addresses: list[str]) -> None:
    """One email per recipient (nobody sees who else was told). A failed send is logged
    and does not stop the others; the in-app notification is already there."""
    for number, address in enumerate(addresses, start=1):
        try:
            send_mail(
                subject="HubNet: a protocol step needs you",
                message=(
                    f"{message}\n\nOpen the case in HubNet to see it and record the step. "
                    "For the youth's privacy this email carries no names."
                ),
                from_email=None,
                recipient_list=[address],
                fail_silently=False,
            )
        except Exception:
            # Which recipient by position only: the log holds no one's address.
            logger.exception(
                "Deadline alert email %s of %s failed: %s", number, len(addresses), message
            )


# ----------------------------------------------------------------------------- needs

NEED_STATUSES_WITH_PROVIDER = (NeedStatus.REFERRED, NeedStatus.RECEIVING, NeedStatus.WAITLISTED)


def _need_check(
    *,
    service_type: ServiceType | None,
    identified_on: datetime.date | None,
    status: str,
    reason: str,
    provider: Provider | None,
    provider_name: str,
    notes: str,
    new: bool,
) -> None:
    """The rules for a need, whatever the screen; ValidationError names the fields. (The
    provider's own rules, which need the case, are in _need_provider_check.)"""
    errors: dict[str, str] = {}
    if service_type is None:
        errors["service_type"] = "Choose the kind of service the youth needs."
    elif new and not service_type.active:
        errors["service_type"] = f"“{service_type}” is no longer offered as a choice."
    if identified_on is None:
        errors["identified_on"] = "Give the date the need was identified."
    elif identified_on > timezone.localdate():
        errors["identified_on"] = "The date the need was identified cannot be in the future."
    elif identified_on < datetime.date(2000, 1, 1):
        errors["identified_on"] = "Check the year of the date identified."
    if status not in NeedStatus.values:
        errors["status"] = "Choose what became of the need."
    elif status == NeedStatus.UNAVAILABLE and not reason:
        errors["reason"] = "Say why the service is unavailable."
    elif status != NeedStatus.UNAVAILABLE and reason:
        errors["reason"] = "A reason is given only when the service is unavailable."
    if reason and reason not in UnavailableReason.values:
        errors["reason"] = "Choose a reason from the list."
    if status in NEED_STATUSES_WITH_PROVIDER and provider is None and not provider_name:
        errors["provider"] = (
            "Choose the provider from the directory, or name it when it is not listed."
        )
    if len(provider_name) > 200:
        errors["provider_name"] = "Keep the provider's name to 200 characters."
    if len(notes) > 4000:
        errors["notes"] = "Keep the notes to 4,000 characters."
    if errors:
        raise ValidationError(errors)


def _need_provider_check(case: Case, provider: Provider | None, *, kept: bool) -> None:
    """A provider newly named on a need is an active one serving the youth's county (the
    directory's promise); one already on the need stays even if it closed since."""
    if provider is None or kept:
        return
    if not provider.active:
        raise ValidationError({"provider": f"{provider} is no longer active in the directory."})
    if not provider.counties.filter(pk=case.county_id).exists():
        raise ValidationError(
            {"provider": f"{provider} does not serve {case.county}; choose one that does."}
        )


def _need_summary(need: ServiceNeed, before: str = "") -> str:
    """What the timeline says: the service, the status (from what), the provider."""
    status = need.get_status_display().lower()
    text = f"{need.service_type}: {before + ' → ' if before else ''}{status}"
    if need.provider_label:
        text += f" ({need.provider_label})"
    if need.status == NeedStatus.UNAVAILABLE:
        text += f": {need.get_reason_display().lower()}"
    return text


def need_identify(
    *,
    case_id,
    actor: AbstractBaseUser,
    service_type: ServiceType | None,
    identified_on: datetime.date | None,
    status: str = NeedStatus.IDENTIFIED,
    reason: str = "",
    provider: Provider | None = None,
    provider_name: str = "",
    notes: str = "",
) -> ServiceNeed:
    """Record a service need on an open case (its hub or current agency), with what became
    of it so far; a timeline event in the same transaction."""
    provider_name = "" if provider is not None else (provider_name or "").strip()
    notes = (notes or "").strip()
    _need_check(
        service_type=service_type,
        identified_on=identified_on,
        status=status,
        reason=reason,
        provider=provider,
        provider_name=provider_name,
        notes=notes,
        new=True,
    )
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_writer(actor, case)
        _require_open(case)
        _need_provider_check(case, provider, kept=False)
        need = ServiceNeed.objects.create(
            case=case,
            service_type=service_type,
            identified_on=identified_on,
            status=status,
            reason=reason,
            provider=provider,
            provider_name=provider_name,
            notes=notes,
            created_by=actor,
        )
        past_quarters_refresh([identified_on], requested_by=actor)
        _event(
            case,
            EventKind.NEED_IDENTIFIED,
            actor,
            from_status=case.status,
            reason=_need_summary(need),
        )
    return need


def need_update(
    *,
    case_id,
    need_id: int,
    actor: AbstractBaseUser,
    status: str,
    reason: str = "",
    provider: Provider | None = None,
    provider_name: str = "",
    notes: str | None = None,
) -> ServiceNeed:
    """Record what became of a need (referred, receiving, completed, declined, waitlisted,
    unavailable with why), on an open case, by its hub or current agency; a timeline
    event in the same transaction. `notes` None keeps the notes."""
    provider_name = "" if provider is not None else (provider_name or "").strip()
    with transaction.atomic():
        case = _locked_case(case_id)
        _require_writer(actor, case)
        _require_open(case)
        need = (
            ServiceNeed.objects.select_for_update(of=("self",))
            .select_related("service_type", "provider")
            .filter(case=case, pk=need_id)
            .first()
        )
        if need is None:
            raise Http404("No such need on this case.")
        notes = need.notes if notes is None else notes.strip()
        _need_check(
            service_type=need.service_type,
            identified_on=need.identified_on,
            status=status,
            reason=reason,
            provider=provider,
            provider_name=provider_name,
            notes=notes,
            new=False,
        )
        _need_provider_check(
            case, provider, kept=provider is not None and provider.pk == need.provider_id
        )
        before = need.get_status_display().lower()
        status_changed = (need.status, need.reason) != (status, reason)
        changed = (need.status, need.reason, need.provider_id, need.provider_name, need.notes) != (
            status,
            reason,
            provider.pk if provider else None,
            provider_name,
            notes,
        )
        if not changed:
            return need
        need.status, need.reason, need.provider = status, reason, provider
        need.provider_name, need.notes, need.updated_at = provider_name, notes, timezone.now()
        need.save(
            update_fields=["status", "reason", "provider", "provider_name", "notes", "updated_at"]
        )
        shown_before = before if before != need.get_status_display().lower() else ""
        if status_changed:  # the figures count statuses and reasons, not notes
            past_quarters_refresh([need.identified_on], requested_by=actor)
        _event(
            case,
            EventKind.NEED_UPDATED,
            actor,
            from_status=case.status,
            reason=_need_summary(need, shown_before),
        )
    return need
