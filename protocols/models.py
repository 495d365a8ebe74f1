"""Response Protocol definitions: versions, steps with deadlines and conditions, fields.

A published version never changes; editing means a new draft made from an
existing version (protocols.services). A case stays on the version it started on.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from regions.models import Region


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class ProtocolVersion(models.Model):
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="protocol_versions",
        help_text="Empty for the statewide protocol.",
    )
    name = models.CharField(max_length=120)
    number = models.PositiveIntegerField("version")
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True, help_text="What changed in this version, and why.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    # The only fields a published version may still change: its retirement.
    LIFECYCLE_FIELDS = frozenset({"status", "retired_at"})

    class Meta:
        ordering = ["region__number", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "number"], name="one_version_number_per_region"
            ),
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(region__isnull=True),
                name="one_statewide_version_number",
            ),
            models.UniqueConstraint(
                fields=["region"],
                condition=Q(status="published"),
                name="one_published_version_per_region",
            ),
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="published", region__isnull=True),
                name="one_published_statewide_version",
            ),
        ]

    def __str__(self) -> str:
        scope = f"Region {self.region.number}" if self.region_id else "Statewide"
        return f"{self.name} v{self.number} ({scope}, {self.get_status_display().lower()})"

    def save(self, *args, **kwargs):
        if self.pk and not self._may_change(kwargs.get("update_fields")):
            raise ValidationError("A published or retired protocol version never changes.")
        super().save(*args, **kwargs)

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT

    def delete(self, *args, **kwargs):
        _refuse_unless_draft(self.pk)
        return super().delete(*args, **kwargs)

    def _may_change(self, update_fields) -> bool:
        """Drafts change freely; a published version may only be retired; retired is final."""
        stored = (
            ProtocolVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        )
        if stored in (None, VersionStatus.DRAFT):
            return True
        return (
            stored == VersionStatus.PUBLISHED
            and self.status == VersionStatus.RETIRED
            and update_fields is not None
            and set(update_fields) <= self.LIFECYCLE_FIELDS
        )


class Owner(models.TextChoices):
    HUB = "hub", "Hub specialist of the region"
    AGENCY = "agency", "Staff of the case's current agency"


class Anchor(models.TextChoices):
    REFERRAL_RECEIVED = "referral_received", "Referral received"
    CASE_ACCEPTED = "case_accepted", "Case accepted by the agency"
    STEP_COMPLETED = "step_completed", "Another step completed"
    APPLIES_FROM = "applies_from", "The step's condition began to hold"


class Condition(models.TextChoices):
    ALWAYS = "always", "Always"
    TRIBAL_AFFILIATION = "tribal_affiliation", "The youth has a tribal affiliation"
    MISSING_FROM_CARE = "missing_from_care", "The youth is missing from care"
    IMMINENT_DANGER = "imminent_danger", "Imminent danger was reported"


class OffsetUnit(models.TextChoices):
    HOURS = "hours", "hours"
    DAYS = "days", "days"


class StepDefinition(models.Model):
    version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(
        max_length=40,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", "Lower-case letters, digits and _.")],
    )
    title = models.CharField(max_length=160)
    guidance = models.TextField(help_text="What the worker does, and the rule it comes from.")
    order = models.PositiveSmallIntegerField()
    owner = models.CharField(max_length=10, choices=Owner.choices)
    anchor = models.CharField(max_length=20, choices=Anchor.choices)
    anchor_step_key = models.CharField(
        max_length=40, blank=True, help_text="The earlier step whose completion starts the clock."
    )
    offset_amount = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    offset_unit = models.CharField(max_length=5, choices=OffsetUnit.choices)
    condition = models.CharField(
        max_length=20, choices=Condition.choices, default=Condition.ALWAYS
    )
    optional = models.BooleanField(
        default=False, help_text="May be skipped with a reason instead of completed."
    )

    class Meta:
        ordering = ["version", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="step_key_unique_in_version")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    def save(self, *args, **kwargs):
        _refuse_unless_draft(self.version_id)
        if self.pk:  # moving a step out of a published version is a change to it too
            stored = StepDefinition.objects.filter(pk=self.pk).values_list("version_id").first()
            _refuse_unless_draft(stored[0] if stored else None)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_unless_draft(self.version_id)
        return super().delete(*args, **kwargs)

    @property
    def deadline_label(self) -> str:
        anchor = self.get_anchor_display().lower()
        if self.anchor == Anchor.STEP_COMPLETED:
            anchor = f"step '{self.anchor_step_key}' completed"
        return f"{self.offset_amount} {self.get_offset_unit_display()} after {anchor}"


class FieldKind(models.TextChoices):
    DATETIME = "datetime", "Date and time"
    CHOICE = "choice", "Choice"
    TEXT = "text", "Text"
    YES_NO = "yes_no", "Yes/no"
    AGENCY = "agency", "Agency"


class StepField(models.Model):
    step = models.ForeignKey(StepDefinition, on_delete=models.CASCADE, related_name="fields")
    key = models.CharField(
        max_length=40,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", "Lower-case letters, digits and _.")],
    )
    label = models.CharField(max_length=160)
    kind = models.CharField(max_length=10, choices=FieldKind.choices)
    required = models.BooleanField(default=True)
    choices = models.TextField(blank=True, help_text="For a choice field: one choice per line.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["step", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["step", "key"], name="field_key_unique_in_step")
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        step_ids = [self.step_id]
        if self.pk:  # the step it belonged to, too
            step_ids += StepField.objects.filter(pk=self.pk).values_list("step_id", flat=True)
        for version_id in StepDefinition.objects.filter(pk__in=step_ids).values_list(
            "version_id", flat=True
        ):
            _refuse_unless_draft(version_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _refuse_unless_draft(self.step.version_id)
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        if self.kind == FieldKind.CHOICE and len(self.choice_list) < 2:
            raise ValidationError({"choices": "A choice field needs at least two choices."})

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


def _refuse_unless_draft(version_id) -> None:
    status = ProtocolVersion.objects.filter(pk=version_id).values_list("status", flat=True).first()
    if status is not None and status != VersionStatus.DRAFT:
        raise ValidationError("A published or retired protocol version never changes.")
