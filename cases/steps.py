"""Protocol steps on a case: which apply, when each is due, and what completing one records.

`case_steps_sync` is the one place that derives a case's steps from its protocol
version; services call it after every change that can move a deadline or a
condition (case opened, accepted, closed or reopened, a step completed, the youth's
details).
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format

from cases.models import CLOCK_SKEW, Case, CaseStep, ScreeningOutcome, StepStatus
from cases.widgets import DateTimeInput
from protocols.models import Anchor, Condition, FieldKind, OffsetUnit, Owner, StepDefinition
from regions.models import Agency

DUE_SOON = datetime.timedelta(hours=4)


def condition_holds(condition: str, case: Case) -> bool:
    youth = case.youth
    if condition == Condition.TRIBAL_AFFILIATION:
        return youth.tribe_id is not None
    if condition == Condition.MISSING_FROM_CARE:
        return youth.missing_from_care
    if condition == Condition.IMMINENT_DANGER:
        return case.referral.imminent_danger
    return True


def due_time(definition: StepDefinition, anchor: datetime.datetime) -> datetime.datetime:
    """Hours are elapsed time; days are calendar days in Wisconsin's time, so "7 days after
    10:00" is 10:00 a week later across a daylight-saving change."""
    if definition.offset_unit == OffsetUnit.DAYS:
        local = timezone.localtime(anchor)
        wall = local.replace(tzinfo=None) + datetime.timedelta(days=definition.offset_amount)
        return timezone.make_aware(wall, local.tzinfo)
    return anchor + datetime.timedelta(hours=definition.offset_amount)


def _anchor_time(step: CaseStep, case: Case, by_key: dict[str, CaseStep]):
    anchor = step.definition.anchor
    if anchor == Anchor.REFERRAL_RECEIVED:
        return case.referral.received_at
    if anchor == Anchor.CASE_ACCEPTED:
        return case.accepted_at
    if anchor == Anchor.APPLIES_FROM:
        return step.applies_since
    before = by_key.get(step.definition.anchor_step_key)
    return before.completed_at if before and before.status == StepStatus.DONE else None


def deadline_text(definition: StepDefinition, titles: Mapping[str, str]) -> str:
    """When the step falls due, in words, naming the step it waits on by its title (from
    `titles`, key -> title, the protocol version's steps), never by its key:
    "14 days after 'Safety plan in place' is done"."""
    if definition.anchor == Anchor.STEP_COMPLETED:
        anchor = f"'{titles.get(definition.anchor_step_key, 'an earlier step')}' is done"
    else:
        anchor = definition.get_anchor_display().lower()
    amount = definition.offset_amount
    unit = definition.get_offset_unit_display()
    if amount == 1:
        unit = unit.removesuffix("s")
    return f"{amount} {unit} after {anchor}"


@dataclass(frozen=True)
class StepChange:
    step: CaseStep
    applies: bool  # True: began to apply; False: stopped applying
    closure: bool = False  # because the case closed (applies=False) or reopened (True)


def case_steps_sync(case: Case, *, opening: bool = False) -> list[StepChange]:
    """Create the case's missing steps and bring conditions and due times up to date.

    Steps already done or skipped are left as recorded. On a closed case, steps still
    to do become not applicable, `closed_with_case`, keeping their clock; once the case
    is open again they are pending again (if their condition still holds) with their
    deadlines recomputed. Returns the steps that began or stopped applying (for the
    timeline). Call inside the transaction that holds the case's row lock.
    """
    if case.protocol_version_id is None:
        return []
    definitions = list(
        StepDefinition.objects.filter(version_id=case.protocol_version_id).order_by("order", "id")
    )
    steps = {s.definition_id: s for s in case.steps.select_related("definition")}
    missing = [
        CaseStep(
            case=case,
            definition=d,
            region_id=case.region_id,
            for_agency=_for_agency(d, case),
        )
        for d in definitions
        if d.pk not in steps
    ]
    created = {id(step) for step in missing}
    if missing:
        CaseStep.objects.bulk_create(missing)
        for step in missing:
            steps[step.definition_id] = step
    now = timezone.now()
    by_key = {steps[d.pk].definition.key: steps[d.pk] for d in definitions}
    changes: list[StepChange] = []
    dirty: list[CaseStep] = []
    for definition in definitions:
        step = steps[definition.pk]
        step.definition = definition
        if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
            continue
        before = (step.status, step.applies_since, step.due_at, step.closed_with_case)
        new = id(step) in created
        if not case.is_open:
            if step.status == StepStatus.PENDING:
                if not new:
                    changes.append(StepChange(step, applies=False, closure=True))
                step.status = StepStatus.NOT_APPLICABLE
                step.closed_with_case = True
        elif condition_holds(definition.condition, case):
            if step.closed_with_case:  # pending when the case closed: its clock runs on
                changes.append(StepChange(step, applies=True, closure=True))
                step.status = StepStatus.PENDING
                step.closed_with_case = False
                step.applies_since = step.applies_since or now
            elif step.status == StepStatus.NOT_APPLICABLE or step.applies_since is None:
                step.applies_since = case.referral.received_at if opening else now
                if step.status == StepStatus.NOT_APPLICABLE:
                    changes.append(StepChange(step, applies=True))
                step.status = StepStatus.PENDING
            anchor = _anchor_time(step, case, by_key)
            step.due_at = due_time(definition, anchor) if anchor else None
        else:
            if (step.status == StepStatus.PENDING and not new) or step.closed_with_case:
                changes.append(StepChange(step, applies=False))
            step.status = StepStatus.NOT_APPLICABLE
            step.closed_with_case = False
            step.applies_since = None
            step.due_at = None
        if new or (step.status, step.applies_since, step.due_at, step.closed_with_case) != before:
            dirty.append(step)
    if dirty:
        CaseStep.objects.bulk_update(
            dirty, ["status", "applies_since", "due_at", "closed_with_case"]
        )
    return changes


def _for_agency(definition: StepDefinition, case: Case) -> bool:
    return definition.owner == Owner.AGENCY and case.agency_id is not None


def steps_follow_agency(case: Case) -> None:
    """After the case's agency changed (routed, declined): which of its steps wait on an
    agency (`CaseStep.for_agency`, what the hub's overdue counts read). Two updates."""
    steps = CaseStep.objects.filter(case=case)
    steps.filter(for_agency=True).update(for_agency=False)
    if case.agency_id is not None:
        steps.filter(definition__owner=Owner.AGENCY).update(for_agency=True)


# ----------------------------------------------------------------------------- fields


# How far ahead of the server's clock a recorded time may be: a device whose clock runs a
# couple of minutes fast (or a "now" filled a minute before the server's) is not refusing
# real work; anything later is a time that has not come yet.


def _not_in_future(label: str):
    def validate(value):
        now = timezone.now()
        if value and value > now + CLOCK_SKEW:
            shown = date_format(timezone.localtime(now), "DATETIME_FORMAT")
            raise ValidationError(
                f"{label} is later than now ({shown}). Enter when it happened.", code="future"
            )

    return validate


class _DateTimeField(forms.DateTimeField):
    """Text or a datetime only: a number or a list sent to the API is a field error."""

    def to_python(self, value):
        if value is not None and not isinstance(value, str | datetime.datetime):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def step_form_class(definition: StepDefinition) -> type[forms.Form]:
    """A form for the fields the step records, typed and marked required as defined. Its
    messages are plain words naming the field (an error summary lists them apart from it)."""
    fields: dict[str, forms.Field] = {}
    for spec in definition.fields.all():
        common = {"label": spec.label, "required": spec.required}
        quoted = f"“{spec.label}”".replace("%", "%%")  # messages may be %-formatted
        if spec.kind == FieldKind.DATETIME:
            fields[spec.key] = _DateTimeField(
                widget=DateTimeInput(now_button=True),
                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
                validators=[_not_in_future(f"“{spec.label}”")],
                error_messages={
                    "required": f"Enter the date and time for {quoted}.",
                    "invalid": f"Enter {quoted} as a date and time, e.g. 2026-03-02T14:30.",
                },
                **common,
            )
        elif spec.kind == FieldKind.CHOICE:
            fields[spec.key] = forms.ChoiceField(
                choices=[("", "Choose…"), *[(c, c) for c in spec.choice_list]],
                error_messages={
                    "required": f"Choose an answer for {quoted}.",
                    "invalid_choice": f"Choose one of the answers offered for {quoted}.",
                },
                **common,
            )
        elif spec.kind == FieldKind.YES_NO:
            fields[spec.key] = forms.TypedChoiceField(
                choices=[("yes", "Yes"), ("no", "No")],
                coerce=lambda value: value in (True, "yes", "true", "True"),
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Answer yes or no to {quoted}.",
                    "invalid_choice": f"Answer yes or no to {quoted}.",
                },
                **common,
            )
        elif spec.kind == FieldKind.AGENCY:
            fields[spec.key] = forms.ModelChoiceField(
                queryset=Agency.objects.order_by("name"),
                error_messages={
                    "required": f"Choose the agency for {quoted}.",
                    "invalid_choice": f"Choose the agency for {quoted} from the list.",
                },
                **common,
            )
        else:
            fields[spec.key] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=2000,
                error_messages={
                    "required": f"Fill in {quoted}.",
                    "max_length": f"Use %(limit_value)d characters or fewer for {quoted} "
                    "(this has %(show_value)d).",
                },
                **common,
            )
    return type(f"{definition.key.title()}StepForm", (forms.Form,), fields)


def step_values_clean(definition: StepDefinition, data, *, prefix: str | None = None) -> dict:
    """Validate what a user entered for a step; the JSON-ready values, or ValidationError
    with a message per field."""
    if isinstance(data, dict):  # JSON from the API: yes/no may come as true/false
        yes_no = {f.key for f in definition.fields.all() if f.kind == FieldKind.YES_NO}
        data = {
            key: ("yes" if value else "no") if key in yes_no and isinstance(value, bool) else value
            for key, value in data.items()
        }
    form = step_form_class(definition)(data, prefix=prefix)
    if not form.is_valid():
        raise ValidationError(
            {
                key: [e["message"] for e in errs]
                for key, errs in form.errors.get_json_data().items()
            }
        )
    values = {}
    for key, value in form.cleaned_data.items():
        if isinstance(value, datetime.datetime):
            values[key] = value.isoformat()
        elif isinstance(value, Agency):
            values[key] = {"id": value.pk, "name": value.name}
        elif value in (None, ""):
            continue
        else:
            values[key] = value
    return values


# The protocol step the hub's screening records, and the fields of it the screening fills
# by key: `outcome` (text, or a choice listing the outcome's label), `screened_at`, and
# `notes` or `note` (the note, led by the outcome when no field takes the outcome). Other
# fields of the step come from whoever screens (the screening form asks for them).
SCREENING_STEP_KEY = "screening"
SCREENING_FILLED_KEYS = frozenset({"outcome", "screened_at", "notes", "note"})


def screening_step_data(
    definition: StepDefinition,
    *,
    outcome: str,
    note: str,
    screened_at: datetime.datetime,
    given: dict,
) -> dict:
    """The screening step's data, as `step_values_clean` takes it, from a screening and
    `given` values for the fields the screening does not fill."""
    keys = {spec.key for spec in definition.fields.all()}
    data = {key: value for key, value in given.items() if key in keys - SCREENING_FILLED_KEYS}
    label = ScreeningOutcome(outcome).label
    note = note.strip()
    if "outcome" in keys:
        data["outcome"] = label
    else:
        note = f"{label}: {note}" if note else label
    if "screened_at" in keys:
        data["screened_at"] = screened_at
    for key in ("notes", "note"):
        if key in keys and note:
            data[key] = note
    return data


def values_display(definition: StepDefinition, values: dict) -> list[tuple[str, str]]:
    """(label, text) pairs of recorded values, in the step's field order."""
    rows = []
    for spec in definition.fields.all():
        if spec.key not in values:
            continue
        value = values[spec.key]
        if spec.kind == FieldKind.DATETIME:
            moment = datetime.datetime.fromisoformat(value)
            text = date_format(timezone.localtime(moment), "DATETIME_FORMAT")
        elif spec.kind == FieldKind.YES_NO:
            text = "Yes" if value else "No"
        elif spec.kind == FieldKind.AGENCY:
            text = value.get("name", "")
        else:
            text = str(value)
        rows.append((spec.label, text))
    return rows


@dataclass(frozen=True)
class StepState:
    """How a step reads on the checklist at a moment."""

    label: str  # done, skipped, not applicable, overdue, due soon, to do, waiting
    late_by: datetime.timedelta | None = None


def step_state(step: CaseStep, now: datetime.datetime) -> StepState:
    if step.status == StepStatus.DONE:
        return StepState("done")
    if step.status == StepStatus.SKIPPED:
        return StepState("skipped")
    if step.status == StepStatus.NOT_APPLICABLE:
        return StepState("not applicable")
    if step.due_at is None:
        return StepState("waiting")
    if step.due_at < now:
        return StepState("overdue", late_by=now - step.due_at)
    if step.due_at - now <= DUE_SOON:
        return StepState("due soon")
    return StepState("to do")


def humanize_delta(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"
