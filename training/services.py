"""Every write to trainings: log, edit, cancel, import a batch.

The one write path for the pages, the API and the CSV import. Each function checks the
actor's right on the training's region (`regions.manage_region_trainings`, granted with
a hub specialist's membership), validates with the same rules whatever the screen
(errors name the field), and writes the training with its `TrainingChange` row in one
transaction.
"""

import dataclasses
import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from regions.models import Agency, County, Region, Tribe
from regions.rollups import past_quarters_refresh
from training.models import (
    MAX_HOURS,
    MAX_PER_SECTOR,
    Attendance,
    ChangeKind,
    Sector,
    Topic,
    Training,
    TrainingChange,
    TrainingFormat,
    TrainingStatus,
    TrainingTopic,
    hours_text,
)
from training.selectors import may_manage_trainings

EARLIEST = datetime.date(2000, 1, 1)
PLANNING_HORIZON_DAYS = 2 * 366
MAX_NOTES = 4000


@dataclasses.dataclass
class TrainingInput:
    """What a person says about a training, from a form, the API or a spreadsheet row."""

    title: str = ""
    date: datetime.date | None = None
    start_time: datetime.time | None = None
    duration_hours: Decimal | None = None
    format: str = ""
    topics: Sequence[str] = ()
    delivered_by_hub: bool = True
    partner_agencies: Sequence[Agency] = ()
    presenters: str = ""
    venue: str = ""
    counties: Sequence[County] = ()
    tribes: Sequence[Tribe] = ()
    attendance: dict[str, int] = dataclasses.field(default_factory=dict)
    youth_attendees: int | None = None
    notes: str = ""

    @property
    def total_attendees(self) -> int:
        return sum(count for count in self.attendance.values() if count)


def training_input_of(training: Training) -> TrainingInput:
    """A training as it stands, as input (to change a few fields of it)."""
    return TrainingInput(
        title=training.title,
        date=training.date,
        start_time=training.start_time,
        duration_hours=training.duration_hours,
        format=training.format,
        topics=[row.topic for row in training.topic_rows.all()],
        delivered_by_hub=training.delivered_by_hub,
        partner_agencies=list(training.partner_agencies.all()),
        presenters=training.presenters,
        venue=training.venue,
        counties=list(training.counties.all()),
        tribes=list(training.tribes.all()),
        attendance={row.sector: row.count for row in training.attendance.all()},
        youth_attendees=training.youth_attendees,
        notes=training.notes,
    )


def training_check(
    data: TrainingInput, *, region: Region | None = None, today: datetime.date | None = None
) -> None:
    """Raise ValidationError naming every field that is wrong (the same rules for the
    form, the API and each imported row). With `region`, the partner agencies must be
    that region's. Cleans `data` in place (trimmed text, zero attendance counts
    dropped)."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    data.title = (data.title or "").strip()
    data.presenters = (data.presenters or "").strip()
    data.venue = (data.venue or "").strip()
    data.notes = (data.notes or "").strip()
    if not data.title:
        errors["title"] = "Give the training a title."
    elif len(data.title) > 200:
        errors["title"] = "Keep the title to 200 characters."
    if data.date is None:
        errors["date"] = "Give the date of the training."
    elif data.date < EARLIEST:
        errors["date"] = f"The date is before {EARLIEST:%Y}; check the year."
    elif data.date > today + datetime.timedelta(days=PLANNING_HORIZON_DAYS):
        errors["date"] = "The date is more than two years ahead; check the year."
    if data.duration_hours is None:
        errors["duration_hours"] = "Give how long the training lasted, in hours."
    elif not Decimal("0.25") <= data.duration_hours <= MAX_HOURS:
        errors["duration_hours"] = f"Give a length from 0.25 to {MAX_HOURS:g} hours."
    elif data.duration_hours != data.duration_hours.quantize(Decimal("0.01")):
        errors["duration_hours"] = "Give the length to at most two decimals (1.5, 0.75)."
    if data.format not in TrainingFormat.values:
        errors["format"] = "Choose in person, virtual or hybrid."
    topics = list(dict.fromkeys(data.topics))
    if not topics:
        errors["topics"] = "Choose at least one topic."
    elif unknown := [t for t in topics if t not in Topic.values]:
        errors["topics"] = f"Unknown topic: {', '.join(unknown)}."
    data.topics = topics
    if not data.counties:
        errors["counties"] = "Choose at least one county the training reached."
    if not (data.delivered_by_hub or data.partner_agencies or data.presenters):
        errors["delivered_by_hub"] = (
            "Say who delivered it: the hub's own people, a partner agency or other presenters."
        )
    if region is not None and (
        strangers := sorted(a.name for a in data.partner_agencies if a.region_id != region.pk)
    ):
        errors["partner_agencies"] = (
            f"Not an agency of {region}: {', '.join(strangers)}. Choose the region's own "
            "agencies, or name others under other presenters."
        )
    if len(data.presenters) > 300:
        errors["presenters"] = "Keep the presenters to 300 characters."
    if len(data.venue) > 200:
        errors["venue"] = "Keep the host or venue to 200 characters."
    if len(data.notes) > MAX_NOTES:
        errors["notes"] = f"Keep the notes to {MAX_NOTES} characters."
    _attendance_check(data, today, errors)
    if errors:
        raise ValidationError(errors)


def _attendance_check(data: TrainingInput, today: datetime.date, errors: dict) -> None:
    attendance = {}
    for sector, count in (data.attendance or {}).items():
        if sector not in Sector.values:
            errors["attendance"] = f"Unknown sector: {sector}."
            return
        if count is None or count == 0:
            continue
        if not isinstance(count, int) or count < 0 or count > MAX_PER_SECTOR:
            errors["attendance"] = (
                f"Give each sector's attendance as a whole number from 0 to {MAX_PER_SECTOR:,}."
            )
            return
        attendance[sector] = count
    data.attendance = attendance
    total = data.total_attendees
    if total and data.date and data.date > today:
        errors["attendance"] = (
            "Attendance is recorded once the training has taken place; this one is on "
            f"{data.date:%b %-d, %Y}. Leave it empty while the training is planned."
        )
    if data.youth_attendees is not None:
        if data.youth_attendees < 0:
            errors["youth_attendees"] = "Give a whole number of youth attendees."
        elif data.youth_attendees > total:
            errors["youth_attendees"] = (
                f"More youth ({data.youth_attendees}) than attendees in all ({total})."
            )


def _require_manager(actor: AbstractBaseUser, region: Region) -> None:
    if not may_manage_trainings(actor, region):
        raise PermissionDenied(
            f"Only the hub specialists of {region} log and change its trainings."
        )


WRITTEN_FIELDS = [
    "title",
    "date",
    "start_time",
    "duration_hours",
    "format",
    "delivered_by_hub",
    "presenters",
    "venue",
    "notes",
    "total_attendees",
    "youth_attendees",
    "status",
]


def _write(training: Training, data: TrainingInput) -> None:
    """Store `data` (checked) on `training` and its related rows."""
    training.title = data.title
    training.date = data.date
    training.start_time = data.start_time
    training.duration_hours = data.duration_hours
    training.format = data.format
    training.delivered_by_hub = data.delivered_by_hub
    training.presenters = data.presenters
    training.venue = data.venue
    training.notes = data.notes
    training.total_attendees = data.total_attendees
    training.youth_attendees = data.youth_attendees
    training.status = TrainingStatus.DELIVERED if data.total_attendees else TrainingStatus.PLANNED
    training.updated_at = timezone.now()
    if training.pk is None:
        training.save()
    else:
        training.save(update_fields=[*WRITTEN_FIELDS, "updated_at"])
    training.partner_agencies.set(data.partner_agencies)
    training.counties.set(data.counties)
    training.tribes.set(data.tribes)
    TrainingTopic.objects.filter(training=training).exclude(topic__in=data.topics).delete()
    have = set(TrainingTopic.objects.filter(training=training).values_list("topic", flat=True))
    TrainingTopic.objects.bulk_create(
        TrainingTopic(training=training, topic=t) for t in data.topics if t not in have
    )
    Attendance.objects.filter(training=training).delete()
    Attendance.objects.bulk_create(
        Attendance(training=training, sector=sector, count=count)
        for sector, count in data.attendance.items()
    )


def _snapshot(data: TrainingInput) -> dict[str, str]:
    """Each field as the history shows it."""
    return {
        "title": data.title,
        "date": data.date.isoformat() if data.date else "",
        "start_time": data.start_time.strftime("%H:%M") if data.start_time else "",
        "duration_hours": hours_text(data.duration_hours),
        "format": TrainingFormat(data.format).label if data.format else "",
        "topics": ", ".join(Topic(t).label for t in data.topics),
        "delivered_by_hub": "yes" if data.delivered_by_hub else "no",
        "partner_agencies": ", ".join(sorted(a.name for a in data.partner_agencies)),
        "presenters": data.presenters,
        "venue": data.venue,
        "counties": ", ".join(sorted(c.name for c in data.counties)),
        "tribes": ", ".join(sorted(t.name for t in data.tribes)),
        "attendance": ", ".join(
            f"{Sector(s).label}: {c}" for s, c in sorted(data.attendance.items())
        ),
        "youth_attendees": "" if data.youth_attendees is None else str(data.youth_attendees),
        "status": (
            TrainingStatus.DELIVERED if data.total_attendees else TrainingStatus.PLANNED
        ).label,
        "notes": data.notes,
    }


def _difference(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    return {
        key: [before.get(key, ""), value]
        for key, value in after.items()
        if before.get(key, "") != value
    }


def training_create(
    *,
    actor: AbstractBaseUser,
    region: Region,
    data: TrainingInput,
    kind: str = ChangeKind.CREATED,
) -> Training:
    """Log a training for `region` (its hub specialists only). Planned when no attendance
    is given, delivered when some is. Raises PermissionDenied or ValidationError; nothing
    is written then."""
    _require_manager(actor, region)
    training_check(data, region=region)
    with transaction.atomic():
        training = Training(region=region, created_by=actor)
        _write(training, data)
        TrainingChange.objects.create(
            training=training, kind=kind, actor=actor, changes=_difference({}, _snapshot(data))
        )
        if kind != ChangeKind.IMPORTED:  # a batch asks once, for all its quarters
            past_quarters_refresh([data.date], requested_by=actor)
    return training


class TrainingConflict(Exception):
    """The training changed since the person loaded it; nothing was saved."""


def training_update(
    *,
    actor: AbstractBaseUser,
    training_id: int,
    data: TrainingInput | None = None,
    changes: dict | None = None,
    expected_updated_at: datetime.datetime | None = None,
) -> Training:
    """Change a training (its region's hub specialists only; a cancelled training is kept
    as it was): replace everything with `data` (a form), or set only the fields in
    `changes` ({TrainingInput attribute: value}, an API PATCH) on the training as it
    stands once locked, so a change made meanwhile by someone else is kept. With
    `expected_updated_at`, raises TrainingConflict if it was changed since.

    The change row holds each field that changed, before and after (status included);
    recording attendance on a planned training marks it delivered."""
    with transaction.atomic():
        training = (
            Training.objects.select_for_update().select_related("region").get(pk=training_id)
        )
        _require_manager(actor, training.region)
        if training.is_cancelled:
            raise ValidationError("This training was cancelled; it is kept as it was.")
        if expected_updated_at is not None and training.updated_at != expected_updated_at:
            raise TrainingConflict(
                "Someone changed this training while you were editing it. Reload it to "
                "see their change, then make yours again."
            )
        current = training_input_of(training)
        if data is None:
            data = dataclasses.replace(current, **(changes or {}))
        training_check(data, region=training.region)
        before = _snapshot(current)
        was_planned = training.status == TrainingStatus.PLANNED
        _write(training, data)
        difference = _difference(before, _snapshot(data))
        if difference:
            past_quarters_refresh({current.date, data.date}, requested_by=actor)
            delivered_now = was_planned and training.status == TrainingStatus.DELIVERED
            TrainingChange.objects.create(
                training=training,
                kind=ChangeKind.ATTENDANCE if delivered_now else ChangeKind.EDITED,
                actor=actor,
                changes=difference,
            )
    return training


def training_cancel(*, actor: AbstractBaseUser, training_id: int, reason: str) -> Training:
    """Mark a planned training cancelled, with why. It stays in the list for the record
    and counts nowhere."""
    reason = (reason or "").strip()
    with transaction.atomic():
        training = Training.objects.select_for_update().get(pk=training_id)
        _require_manager(actor, training.region)
        if not reason:
            raise ValidationError({"reason": "Say why the training was cancelled."})
        if len(reason) > 300:
            raise ValidationError({"reason": "Keep the reason to 300 characters."})
        if training.status != TrainingStatus.PLANNED:
            raise ValidationError(
                "Only a planned training can be cancelled; this one is "
                f"{training.get_status_display().lower()}."
            )
        training.status = TrainingStatus.CANCELLED
        training.cancel_reason = reason
        training.updated_at = timezone.now()
        training.save(update_fields=["status", "cancel_reason", "updated_at"])
        TrainingChange.objects.create(
            training=training,
            kind=ChangeKind.CANCELLED,
            actor=actor,
            changes={"status": [TrainingStatus.PLANNED.label, TrainingStatus.CANCELLED.label]},
            reason=reason,
        )
    return training


class ImportRefused(ValidationError):
    """Some rows are wrong: `row_errors` is [(row number, field, message)]. Nothing was
    imported."""

    def __init__(self, row_errors: list[tuple[int, str, str]]):
        self.row_errors = row_errors
        super().__init__([f"Row {n}, {field}: {message}" for n, field, message in row_errors])


def trainings_import(
    *, actor: AbstractBaseUser, region: Region, rows: Sequence[tuple[int, TrainingInput]]
) -> list[Training]:
    """Log a batch of trainings (numbered rows of a spreadsheet) for `region`: every row
    is checked, and either all are written (one transaction) or none (ImportRefused with
    every row's errors)."""
    _require_manager(actor, region)
    row_errors = []
    for number, data in rows:
        try:
            training_check(data, region=region)
        except ValidationError as invalid:
            for field, messages in invalid.message_dict.items():
                row_errors.extend((number, field, message) for message in messages)
    if row_errors:
        raise ImportRefused(row_errors)
    with transaction.atomic():
        trainings = [
            training_create(actor=actor, region=region, data=data, kind=ChangeKind.IMPORTED)
            for _, data in rows
        ]
        past_quarters_refresh({data.date for _, data in rows}, requested_by=actor)
    return trainings
