"""Trainings the hubs deliver to community partners: when, where, on what, for whom.

Attendees are counted by sector, never named: nothing here is personal data of the people
trained. A training belongs to one region (its hub's); the counties and tribes it reached
can be several. Every change writes a `TrainingChange` row (who, when, what changed), in
the same transaction, through training.services only.
"""

from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from regions.models import Agency, County, Region, Tribe


class TrainingFormat(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIRTUAL = "virtual", "Virtual"
    HYBRID = "hybrid", "Hybrid"


class Topic(models.TextChoices):
    AWARENESS = "awareness", "Awareness"
    PREVENTION = "prevention", "Prevention"
    INDICATORS = "indicators", "Recognising the indicators"
    RESPONSE_PROTOCOL = "response_protocol", "The Response Protocol"
    TRAUMA_INFORMED = "trauma_informed", "Trauma-informed care"
    CULTURALLY_SPECIFIC = "culturally_specific", "Culturally specific or tribal"
    LABOR_TRAFFICKING = "labor_trafficking", "Labor trafficking"
    OTHER = "other", "Other"


class Sector(models.TextChoices):
    EDUCATION = "education", "Education"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    HEALTH_CARE = "health_care", "Health care"
    CHILD_WELFARE = "child_welfare", "Child welfare"
    HOSPITALITY = "hospitality", "Hospitality (hotels, casinos)"
    TRANSPORTATION = "transportation", "Transportation (trucking, transit)"
    TRIBAL = "tribal", "Tribal government or services"
    FAITH = "faith", "Faith community"
    COMMUNITY = "community", "Community organisation"
    YOUTH = "youth", "Youth"
    PARENTS = "parents", "Parents and caregivers"
    OTHER = "other", "Other"


class TrainingStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


MAX_HOURS = Decimal("80")


def hours_text(value) -> str:
    """2, 2.0 and 2.00 hours alike as "2"; 1.50 as "1.5" (pages, history, exports)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(str(value)).quantize(Decimal('0.01')).normalize():f}"


MAX_PER_SECTOR = 100_000


class Training(models.Model):
    """One training event. `status` is planned until attendance is recorded (delivered);
    a cancelled one stays, for the record. `total_attendees` is the sum of its
    attendance rows, kept by training.services in the same transaction."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="trainings")
    title = models.CharField(max_length=200)
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    duration_hours = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(MAX_HOURS)],
    )
    format = models.CharField(max_length=12, choices=TrainingFormat.choices)
    status = models.CharField(
        max_length=12, choices=TrainingStatus.choices, default=TrainingStatus.PLANNED
    )
    delivered_by_hub = models.BooleanField("delivered by the hub's own people", default=True)
    partner_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="trainings_delivered"
    )
    presenters = models.CharField(
        max_length=300, blank=True, help_text="Other presenters or organisations, as text."
    )
    venue = models.CharField("host or venue", max_length=200, blank=True)
    counties = models.ManyToManyField(County, related_name="trainings")
    tribes = models.ManyToManyField(Tribe, blank=True, related_name="trainings")
    youth_attendees = models.PositiveIntegerField(
        null=True, blank=True, help_text="Of the attendees, how many were youth (optional)."
    )
    total_attendees = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-start_time", "-id"]
        indexes = [
            models.Index(fields=["region", "date"]),
            models.Index(fields=["status", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_hours__gte=Decimal("0.25"), duration_hours__lte=MAX_HOURS),
                name="training_duration_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(status=TrainingStatus.DELIVERED) | Q(total_attendees__gt=0),
                name="training_delivered_has_attendees",
            ),
            models.CheckConstraint(
                condition=Q(youth_attendees__isnull=True)
                | Q(youth_attendees__lte=models.F("total_attendees")),
                name="training_youth_within_total",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%Y-%m-%d})"

    @property
    def is_cancelled(self) -> bool:
        return self.status == TrainingStatus.CANCELLED

    @property
    def awaits_attendance(self) -> bool:
        """Planned, and its day has passed: the hub should record who came. (On the day
        itself it is still upcoming.)"""
        return self.status == TrainingStatus.PLANNED and self.date < timezone.localdate()


class TrainingTopic(models.Model):
    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="topic_rows")
    topic = models.CharField(max_length=30, choices=Topic.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["training", "topic"], name="one_row_per_topic")
        ]
        indexes = [models.Index(fields=["topic", "training"])]

    def __str__(self) -> str:
        return self.get_topic_display()


class Attendance(models.Model):
    """How many people of one sector attended: a count, never a name."""

    training = models.ForeignKey(Training, on_delete=models.CASCADE, related_name="attendance")
    sector = models.CharField(max_length=20, choices=Sector.choices)
    count = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PER_SECTOR)]
    )

    class Meta:
        ordering = ["sector"]
        constraints = [
            models.UniqueConstraint(fields=["training", "sector"], name="one_count_per_sector"),
            models.CheckConstraint(condition=Q(count__gte=1), name="attendance_count_positive"),
        ]
        indexes = [models.Index(fields=["sector", "training"])]

    def __str__(self) -> str:
        return f"{self.get_sector_display()}: {self.count}"


class ChangeKind(models.TextChoices):
    CREATED = "created", "Logged"
    IMPORTED = "imported", "Imported from a spreadsheet"
    EDITED = "edited", "Edited"
    ATTENDANCE = "attendance", "Attendance recorded"
    CANCELLED = "cancelled", "Cancelled"


class TrainingChange(models.Model):
    """One change of a training: who, when, and each field's value before and after
    (`changes`: {field: [before, after]}, as text). Append-only: PostgreSQL refuses an
    UPDATE or DELETE of a row."""

    training = models.ForeignKey(Training, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["training", "at"])]
        triggers = [
            pgtrigger.Protect(
                name="trainingchange_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"
