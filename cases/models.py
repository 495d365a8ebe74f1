"""Youth, referrals, cases, consent, the timeline and the access log.

Identifying data about a youth lives in one model, `Youth`, and nowhere else.
Every read of a case goes through cases.selectors; every write through
cases.services, which writes the timeline row in the same transaction.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.audit import append_only_triggers
from hubnet.text import fold
from regions.models import Agency, County, Provider, Region, ServiceType, Tribe

# How far ahead of the server's clock a typed time may be (a phone or laptop running a
# little fast): later than this is the future, and refused.
CLOCK_SKEW = datetime.timedelta(minutes=5)


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NONBINARY = "nonbinary", "Non-binary"
    TRANSGENDER = "transgender", "Transgender"
    OTHER = "other", "Another identity"
    UNKNOWN = "unknown", "Unknown or not disclosed"


class RaceEthnicity(models.TextChoices):
    AMERICAN_INDIAN = "american_indian", "American Indian or Alaska Native"
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black or African American"
    HISPANIC = "hispanic", "Hispanic or Latino"
    PACIFIC_ISLANDER = "pacific_islander", "Native Hawaiian or Pacific Islander"
    WHITE = "white", "White"
    MULTIRACIAL = "multiracial", "Two or more races"
    UNKNOWN = "unknown", "Unknown or not disclosed"


class Youth(models.Model):
    """The only model holding identifying information about a young person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The region whose hub first logged the youth (for finding duplicates).",
        db_index=False,  # (region, legal_last_name) leads with it
    )
    legal_first_name = models.CharField("legal first name", max_length=80)
    legal_last_name = models.CharField("legal last name", max_length=80)
    preferred_name = models.CharField(
        "preferred name or alias", max_length=120, blank=True, help_text="What the youth goes by."
    )
    date_of_birth = models.DateField(null=True, blank=True)
    estimated_age = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(25)],
        help_text="When the date of birth is unknown.",
    )
    gender = models.CharField(max_length=20, choices=Gender.choices, default=Gender.UNKNOWN)
    race_ethnicity = models.CharField(
        "race/ethnicity",
        max_length=20,
        choices=RaceEthnicity.choices,
        default=RaceEthnicity.UNKNOWN,
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="+", verbose_name="county of residence"
    )
    tribe = models.ForeignKey(
        Tribe,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="tribal affiliation",
    )
    safe_at_home = models.BooleanField(
        "Safe at Home participant",
        default=False,
        help_text="Address confidentiality program: the address is never displayed or exported.",
    )
    address = models.CharField(max_length=200, blank=True)
    missing_from_care = models.BooleanField("missing from care", default=False)
    languages = models.CharField(max_length=120, blank=True, help_text="e.g. English, Spanish")
    guardian_name = models.CharField("guardian or caregiver", max_length=120, blank=True)
    guardian_relationship = models.CharField(
        "relationship to the youth",
        max_length=60,
        blank=True,
        help_text="e.g. mother, foster parent",
    )
    guardian_contact = models.CharField("guardian's phone or email", max_length=120, blank=True)
    current_location = models.CharField(
        "where the youth is now",
        max_length=200,
        blank=True,
        help_text="e.g. at school, in a hospital, with a relative, unknown.",
    )
    name_folded = models.TextField(
        blank=True,
        editable=False,
        help_text="The names without case or accents, for search (set on save).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "youth"
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=False) | Q(estimated_age__isnull=False),
                name="youth_has_birth_date_or_estimated_age",
            )
        ]
        indexes = [models.Index(fields=["region", "legal_last_name"])]

    def __str__(self) -> str:
        return self.display_name

    NAME_FIELDS = ("legal_first_name", "legal_last_name", "preferred_name")

    def save(self, *args, **kwargs) -> None:
        self.name_folded = fold(" ".join(getattr(self, f) for f in self.NAME_FIELDS))
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.NAME_FIELDS):
            kwargs["update_fields"] = {*update_fields, "name_folded"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        name = f"{self.legal_first_name} {self.legal_last_name}"
        return f"{name} ({self.preferred_name})" if self.preferred_name else name

    def age_on(self, day) -> int | None:
        if self.date_of_birth is None:
            return self.estimated_age
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    @property
    def address_for_display(self) -> str:
        return "Confidential (Safe at Home)" if self.safe_at_home else self.address

    @property
    def current_location_for_display(self) -> str:
        """Where the youth is now says where they can be found: hidden like the address."""
        return "Confidential (Safe at Home)" if self.safe_at_home else self.current_location

    def clean(self) -> None:
        if self.date_of_birth is None and self.estimated_age is None:
            raise ValidationError(
                {"date_of_birth": "Give a date of birth, or an estimated age if it is unknown."}
            )
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "The date of birth is in the future."})


class Indicator(models.Model):
    """An indicator a referral can note; the list is data an administrator edits."""

    class Exploitation(models.TextChoices):
        SEX = "sex", "Sex trafficking"
        LABOR = "labor", "Labor trafficking"
        BOTH = "both", "Both"

    key = models.SlugField(max_length=60, unique=True)
    category = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    exploitation = models.CharField(max_length=10, choices=Exploitation.choices)
    active = models.BooleanField(default=True, help_text="Inactive indicators are not offered.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "category", "label"]

    def __str__(self) -> str:
        return self.label


class ReferralSource(models.TextChoices):
    SCHOOL = "school", "School"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    CPS = "cps", "Child protective services"
    HEALTH_CARE = "health_care", "Health care"
    HOTLINE = "hotline", "Hotline"
    SELF = "self", "Self-referral"
    FAMILY = "family", "Family"
    COMMUNITY = "community", "Community organisation"
    TRIBAL = "tribal", "Tribal agency"
    OTHER = "other", "Other"


class SuspectedExploitation(models.TextChoices):
    SEX = "sex", "Sex"
    LABOR = "labor", "Labor"
    BOTH = "both", "Both"
    UNKNOWN = "unknown", "Unknown"


class Referral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="referrals")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField("received at")
    source = models.CharField(max_length=20, choices=ReferralSource.choices)
    reporter_name = models.CharField(max_length=120, blank=True)
    reporter_contact = models.CharField(
        max_length=200, blank=True, help_text="Phone or email of the person who reported."
    )
    reporter_folded = models.TextField(
        blank=True,
        editable=False,
        help_text="The reporter's name without case or accents, for search (set on save).",
    )
    narrative = models.TextField("concerns", help_text="What was observed or reported.")
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="+")
    suspected_exploitation = models.CharField(
        max_length=10, choices=SuspectedExploitation.choices, default=SuspectedExploitation.UNKNOWN
    )
    imminent_danger = models.BooleanField(default=False)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Referral received {self.received_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        self.reporter_folded = fold(self.reporter_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "reporter_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "reporter_folded"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.received_at and self.received_at > timezone.now() + CLOCK_SKEW:
            raise ValidationError(
                {"received_at": "The referral cannot be received in the future."}
            )


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    SCREENED = "screened", "Screened"
    ROUTED = "routed", "Routed, awaiting acceptance"
    DECLINED = "declined", "Declined, back with the hub"
    ACCEPTED = "accepted", "Accepted"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = [s for s in Status if s != Status.CLOSED]
HUB_QUEUE_STATUSES = [Status.RECEIVED, Status.SCREENED, Status.DECLINED, Status.ROUTED]


class ScreeningOutcome(models.TextChoices):
    NOT_INDICATED = "not_indicated", "Not indicated"
    AT_RISK = "at_risk", "At risk"
    SUSPECTED = "suspected", "Suspected"
    CONFIRMED = "confirmed", "Confirmed"


class LegalBasis(models.TextChoices):
    CONSENT = "consent", "Written consent on file"
    MANDATED_CPS_REPORT = "mandated_cps_report", "Mandated CPS report (Wis. Stat. 48.981)"


class ClosureReason(models.TextChoices):
    SERVICES_COMPLETED = "services_completed", "Services completed"
    NOT_INDICATED = "not_indicated", "Screened: trafficking not indicated"
    DECLINED_SERVICES = "declined_services", "Youth or family declined services"
    MOVED = "moved", "Moved out of the service area"
    TRANSFERRED = "transferred", "Transferred to another agency or state"
    AGED_OUT = "aged_out", "Aged out"
    UNABLE_TO_LOCATE = "unable_to_locate", "Unable to locate"
    DUPLICATE = "duplicate", "Duplicate referral"
    OTHER = "other", "Other"


class CaseNumberCounter(models.Model):
    """The last case number handed out per region and year (locked when incremented)."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="one_counter_per_region_year")
        ]

    def __str__(self) -> str:
        return f"Region {self.region_id}, {self.year}: {self.last}"


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(
        "case number", max_length=20, unique=True, help_text="R{region}-{year}-{sequence}"
    )
    youth = models.ForeignKey(Youth, on_delete=models.PROTECT, related_name="cases")
    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="case")
    # (region, status) and (agency, status) lead with them: no index of their own.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    county = models.ForeignKey(
        County,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The youth's county when the case was opened (for caseload filters).",
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name="current agency",
        db_index=False,
    )
    assigned_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    status_since = models.DateTimeField(
        default=timezone.now,
        help_text="When the case came into its status: the hub queue's 'waiting since'.",
    )
    screening_outcome = models.CharField(
        max_length=20, choices=ScreeningOutcome.choices, blank=True
    )
    screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    screened_at = models.DateTimeField(null=True, blank=True)
    routing_basis = models.CharField(
        max_length=30,
        choices=LegalBasis.choices,
        blank=True,
        help_text="Why the current agency may receive the youth's information.",
    )
    protocol_version = models.ForeignKey(
        "protocols.ProtocolVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text="The Response Protocol version the case started on; it stays on it.",
    )
    opened_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(max_length=30, choices=ClosureReason.choices, blank=True)
    unsafe_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set while the latest safety check says the youth is not safe right now.",
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The hub queue: a region's cases in a state, longest waiting first.
            models.Index(fields=["region", "status", "status_since", "id"]),
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["-opened_at", "-id"], name="case_opened_keyset"),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_routed_states_have_agency",
                condition=~Q(status__in=["routed", "accepted", "active"])
                | Q(agency__isnull=False),
            ),
            models.CheckConstraint(
                name="case_closed_has_reason",
                condition=~Q(status="closed")
                | (Q(closed_at__isnull=False) & ~Q(closure_reason="")),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    @property
    def is_unsafe_now(self) -> bool:
        """The latest safety check said the youth is not safe, and the case is open (a
        closed case flags nothing; reopening it shows the flag again until a check says
        the youth is safe)."""
        return self.unsafe_since is not None and self.is_open


class Consent(models.Model):
    """Informed, written, time-limited consent to share with one named agency (VAWA/VOCA).

    For an unemancipated minor both the youth and a parent or guardian (never
    the alleged abuser) consent.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    recipient = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name="recipient agency"
    )
    scope = models.CharField(max_length=200, help_text="What may be shared, and for what purpose.")
    youth_consented = models.BooleanField(default=False)
    guardian_consented = models.BooleanField("parent/guardian consented", default=False)
    guardian_name = models.CharField("parent/guardian name", max_length=120, blank=True)
    signed_on = models.DateField()
    expires_on = models.DateField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="consent_expires_after_signing",
                condition=Q(expires_on__gte=models.F("signed_on")),
            )
        ]

    def __str__(self) -> str:
        return f"Consent to share with {self.recipient} until {self.expires_on}"

    def is_current(self, day=None) -> bool:
        day = day or timezone.localdate()
        return (
            self.revoked_at is None
            and self.youth_consented
            and self.guardian_consented
            and self.signed_on <= day <= self.expires_on
        )

    def clean(self) -> None:
        if self.signed_on and self.expires_on and self.expires_on < self.signed_on:
            raise ValidationError({"expires_on": "Consent cannot expire before it was signed."})
        if self.guardian_consented and not self.guardian_name.strip():
            raise ValidationError({"guardian_name": "Name the parent or guardian who consented."})


class CaseGrant(models.Model):
    """A rare, consent-bound, expiring exception: one user may read one case.

    Access normally comes from agency and region permissions; this exists for
    e.g. a worker in another agency named in a consent. Read-only.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="grants")
    expires_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user} may read {self.case} until {self.expires_at:%Y-%m-%d}"


class StepStatus(models.TextChoices):
    PENDING = "pending", "To do"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class CaseStep(models.Model):
    """One protocol step on one case: its due time, and what was recorded when done.

    Steps are never deleted: a step that stops applying becomes not applicable, and so
    does a step still to do when its case closes (`closed_with_case`).
    """

    # One index fewer to write: (case, definition) and (case, status, due_at) lead with it.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps", db_index=False)
    definition = models.ForeignKey(
        "protocols.StepDefinition", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=StepStatus.choices, default=StepStatus.PENDING
    )
    applies_since = models.DateTimeField(
        null=True, blank=True, help_text="When the step's condition began to hold."
    )
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty while the step's clock has not started."
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    values = models.JSONField(default=dict, blank=True)
    skip_reason = models.TextField(blank=True)
    closed_with_case = models.BooleanField(
        default=False,
        help_text="Not applicable because the case closed while the step was still to do "
        "(not because its condition stopped holding): reopening the case revives it.",
    )
    # Kept from the case, so that a hub's overdue steps are read from one index
    # (casestep_region_overdue) without visiting each of its open cases. A case's region
    # never changes; `for_agency` follows its agency (cases.steps.steps_follow_agency).
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    for_agency = models.BooleanField(
        default=False,
        help_text="Waits on the case's agency: an agency's step, and the case has one.",
    )

    class Meta:
        ordering = ["definition__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "definition"], name="one_step_per_definition")
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="casestep_open_due"),
            models.Index(fields=["case", "status", "due_at"], name="casestep_case_next_due"),
            # A region's steps to do, soonest due first, with what the hub's counts need.
            models.Index(
                fields=["region", "due_at", "case", "for_agency"],
                name="casestep_region_overdue",
                condition=Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.definition.title}"


class AlertThreshold(models.TextChoices):
    DUE_SOON = "due_soon", "Due within 4 hours"
    OVERDUE = "overdue", "Overdue"


class StepAlert(models.Model):
    """The record that a step's owners were told it crossed a threshold: at most once per
    deadline (a step that applies again later, with a new deadline, is alerted again)."""

    step = models.ForeignKey(CaseStep, on_delete=models.CASCADE, related_name="alerts")
    threshold = models.CharField(max_length=10, choices=AlertThreshold.choices)
    due_at = models.DateTimeField(help_text="The deadline this alert was about.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["step", "threshold", "due_at"], name="one_alert_per_deadline_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.step}: {self.get_threshold_display()}"


class Notification(models.Model):
    """An in-app notice for one user (also sent by email, without identifying details)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(StepAlert, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message


class EventKind(models.TextChoices):
    LOGGED = "logged", "Referral logged"
    SCREENED = "screened", "Screened"
    ROUTED = "routed", "Routed"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    ASSIGNED = "assigned", "Worker assigned"
    NOTE_ADDED = "note_added", "Note added"
    CONSENT_RECORDED = "consent_recorded", "Consent recorded"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    YOUTH_UPDATED = "youth_updated", "Youth details updated"
    STEP_COMPLETED = "step_completed", "Protocol step completed"
    STEP_SKIPPED = "step_skipped", "Protocol step skipped"
    STEP_CORRECTED = "step_corrected", "Protocol step corrected"
    STEP_APPLIES = "step_applies", "Protocol step now applies"
    STEP_NOT_APPLICABLE = "step_not_applicable", "Protocol step no longer applies"
    NEED_IDENTIFIED = "need_identified", "Service need identified"
    NEED_UPDATED = "need_updated", "Service need updated"


class CaseEvent(models.Model):
    """One row per change of a case: the timeline and the audit trail. Append-only: the
    database refuses to update or delete a row (cases.audit)."""

    # (case, at) leads with it.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    from_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    from_another_case = models.BooleanField(
        default=False,
        help_text="Written here because of a change made from another case of the youth "
        "(kept for the audit; the timeline does not name who, or which agency).",
    )
    closure_reason = models.CharField(
        max_length=30,
        choices=ClosureReason.choices,
        blank=True,
        help_text="On a closure: why, as recorded then (the case's own reason is cleared "
        "when it reopens; the quarterly figures count closures from here).",
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"]),
            # The quarterly figures: a quarter's routings, acceptances, declines, closures.
            models.Index(fields=["kind", "at"], name="caseevent_kind_at"),
        ]
        triggers = append_only_triggers("caseevent")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def shown_actor(self) -> str | None:
        """Who the timeline names: nobody for a change made from another case (it must
        not reveal that another agency works with the youth)."""
        if self.from_another_case:
            return None
        return self.actor.get_full_name() or self.actor.username


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note by {self.author} on {self.created_at:%Y-%m-%d}"


class NeedStatus(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    REFERRED = "referred", "Referred to a provider"
    RECEIVING = "receiving", "Receiving services"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined by the youth or family"
    WAITLISTED = "waitlisted", "Waitlisted"
    UNAVAILABLE = "unavailable", "Unavailable"


# A need is met once services are received (or done); unmet while nothing has reached the
# youth yet. A need the youth or family declined is neither: it is their choice.
MET_NEEDS = (NeedStatus.RECEIVING, NeedStatus.COMPLETED)
UNMET_NEEDS = (
    NeedStatus.IDENTIFIED,
    NeedStatus.REFERRED,
    NeedStatus.WAITLISTED,
    NeedStatus.UNAVAILABLE,
)


class UnavailableReason(models.TextChoices):
    NONE_IN_REACH = "none_in_reach", "No provider within reach"
    NO_CAPACITY = "no_capacity", "No provider with capacity"
    AGE = "age", "None for the youth's age"
    LANGUAGE = "language", "None in the youth's language"
    OTHER = "other", "Other"


class ServiceNeed(models.Model):
    """A service a youth needs, identified on a case, and what became of it. Written by
    cases.services (each change a timeline event), read through the case's door."""

    # (case, status) leads with it.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="needs", db_index=False)
    service_type = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="+")
    identified_on = models.DateField()
    status = models.CharField(
        max_length=12, choices=NeedStatus.choices, default=NeedStatus.IDENTIFIED
    )
    reason = models.CharField(
        "why unavailable", max_length=20, choices=UnavailableReason.choices, blank=True
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="needs"
    )
    provider_name = models.CharField(
        max_length=200, blank=True, help_text="A provider not in the directory, by name."
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["identified_on", "id"]
        indexes = [
            models.Index(fields=["case", "status"]),
            models.Index(fields=["status", "identified_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=NeedStatus.UNAVAILABLE, reason__gt="")
                | (~Q(status=NeedStatus.UNAVAILABLE) & Q(reason="")),
                name="need_reason_when_unavailable_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_type}: {self.get_status_display()}"

    @property
    def is_met(self) -> bool:
        return self.status in MET_NEEDS

    @property
    def is_unmet(self) -> bool:
        return self.status in UNMET_NEEDS

    @property
    def provider_label(self) -> str:
        return self.provider.name if self.provider_id else self.provider_name


class AccessChannel(models.TextChoices):
    """How someone saw a case. The first five open one case; the others show the youth's
    name in a list of cases, one row per case shown."""

    PAGE = "page", "Case page"
    ACTION = "action", "Action on the case"
    API = "api", "API: the case"
    EXPORT = "export", "Export"
    LIST = "list", "Case list or queue: name shown"
    SEARCH = "search", "Search results: name shown"
    MATCH = "match", "Possible match for a new referral: name shown"
    API_LIST = "api_list", "API case list: name sent"
    API_SEARCH = "api_search", "API search results: name sent"


class CaseAccess(models.Model):
    """Who looked at (or tried to look at) which case, when, from where: every page,
    action, list, search and match that showed the youth's name. Append-only: the
    database refuses to update or delete a row (cases.audit)."""

    # A row for every look: the fewest indexes that serve "who looked at this case" and
    # "what did this person look at", (case, -at) and (user, -at).
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="accesses", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, choices=AccessChannel.choices)
    granted = models.BooleanField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "case accesses"
        indexes = [models.Index(fields=["case", "-at"]), models.Index(fields=["user", "-at"])]
        triggers = append_only_triggers("caseaccess")

    def __str__(self) -> str:
        outcome = "viewed" if self.granted else "was denied"
        return f"{self.user} {outcome} {self.case} ({self.get_channel_display()})"
