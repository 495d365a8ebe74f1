"""Wisconsin's hub network: regions, hubs, counties, tribes, agencies, and who belongs where.

Region membership, hub hosts and resource-agency designations are data an
administrator edits or loads (shared/domain/README.md), never code. Permissions
live on agencies and regions (django-guardian, direct foreign-key tables),
granted and revoked only through regions.services.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

REGION_NUMBERS = range(1, 8)


class Provenance(models.TextChoices):
    """How a reference-data row's region (or a hub's host) was decided."""

    SOURCED = "sourced", "Sourced (published)"
    INFERRED = "inferred", "Inferred (medium confidence)"
    PROVISIONAL = "provisional", "Provisional (placeholder)"
    TASK_FORCE = "task_force", "Set by the task force"


class Region(models.Model):
    number = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=7), name="region_number_1_to_7"
            )
        ]
        permissions = [
            ("view_region_cases", "Can see the cases of the region"),
            ("work_region_cases", "Can log, screen, route and follow the cases of the region"),
            ("view_statewide_dashboard", "Can see statewide de-identified dashboards"),
            ("view_region_dashboard", "Can see the region's de-identified dashboards"),
            ("recompute_figures", "Can recompute a quarter's figures"),
            ("manage_region_trainings", "Can log, change and cancel the region's trainings"),
            ("manage_region_directory", "Can keep the region's resource directory"),
        ]

    def __str__(self) -> str:
        return f"Region {self.number} ({self.name})"


class County(models.Model):
    name = models.CharField(max_length=60, unique=True)
    fips = models.CharField(
        "FIPS code",
        max_length=5,
        unique=True,
        validators=[
            RegexValidator(r"^55\d{3}$", "A Wisconsin county FIPS code is 55 and 3 digits.")
        ],
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="counties")
    region_assignment = models.CharField(
        max_length=20, choices=Provenance.choices, default=Provenance.PROVISIONAL
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "counties"

    def __str__(self) -> str:
        return f"{self.name} County"


class Tribe(models.Model):
    name = models.CharField(max_length=120, unique=True)
    counties = models.ManyToManyField(
        County, related_name="tribes", blank=True, help_text="Counties with tribal lands."
    )
    primary_region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="tribes")
    region_assignment = models.CharField(
        max_length=20, choices=Provenance.choices, default=Provenance.PROVISIONAL
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgencyKind(models.TextChoices):
    COUNTY_HUMAN_SERVICES = "county_human_services", "County human services"
    TRIBAL_SOCIAL_SERVICES = "tribal_social_services", "Tribal social services"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    SCHOOL = "school", "School or school district"
    HEALTH_CARE = "health_care", "Health care"
    VICTIM_SERVICES = "victim_services", "Victim service provider"
    OTHER = "other", "Other"


class Agency(models.Model):
    name = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=30, choices=AgencyKind.choices)
    county = models.ForeignKey(
        County,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        help_text="The county the agency serves (leave empty for a tribal agency).",
    )
    tribe = models.ForeignKey(
        Tribe,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agencies",
        help_text="The tribe the agency serves (leave empty for a county agency).",
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="agencies")
    is_resource_agency = models.BooleanField(
        "designated Resource Agency",
        default=False,
        help_text="Works directly with the hub; listed first when a case is routed.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.CheckConstraint(
                condition=Q(county__isnull=True) | Q(tribe__isnull=True),
                name="agency_serves_county_or_tribe_not_both",
            )
        ]
        permissions = [
            ("view_agency_cases", "Can see the cases routed to the agency"),
            ("work_agency_cases", "Can accept, decline and work the agency's cases"),
            ("supervise_agency", "Can see who looked at the agency's case records"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.county_id and self.tribe_id:
            raise ValidationError("An agency serves a county or a tribe, not both.")
        if self.kind == AgencyKind.COUNTY_HUMAN_SERVICES and not self.county_id:
            raise ValidationError({"county": "A county human services agency serves a county."})
        if self.kind == AgencyKind.TRIBAL_SOCIAL_SERVICES and not self.tribe_id:
            raise ValidationError({"tribe": "A tribal social services agency serves a tribe."})


class Hub(models.Model):
    region = models.OneToOneField(Region, on_delete=models.PROTECT, related_name="hub")
    host_agency = models.ForeignKey(
        Agency,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hosted_hubs",
        help_text="The agency that hosts the hub (Hub 2: Outagamie County).",
    )
    provisional = models.BooleanField(
        default=True, help_text="The host is not yet designated or not from a published source."
    )

    class Meta:
        ordering = ["region__number"]

    def __str__(self) -> str:
        return f"Hub {self.region.number}"


# --- The regional resource directory (no youth data) ----------------------------------


class ServiceType(models.Model):
    """A kind of service a youth may need (shelter, mental-health counselling, ...): an
    editable list; the defaults come from regions/data/service_types.csv. `key` is what
    the API and the figures use."""

    key = models.SlugField(max_length=40, unique=True, allow_unicode=False)
    label = models.CharField(max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(
        default=True, help_text="Inactive types stay on the records that name them."
    )

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return self.label


class ProviderKind(models.TextChoices):
    """The agency kinds, and the kinds of outside organisations a directory lists."""

    COUNTY_HUMAN_SERVICES = (
        AgencyKind.COUNTY_HUMAN_SERVICES.value,
        AgencyKind.COUNTY_HUMAN_SERVICES.label,
    )
    TRIBAL_SOCIAL_SERVICES = (
        AgencyKind.TRIBAL_SOCIAL_SERVICES.value,
        AgencyKind.TRIBAL_SOCIAL_SERVICES.label,
    )
    LAW_ENFORCEMENT = AgencyKind.LAW_ENFORCEMENT.value, AgencyKind.LAW_ENFORCEMENT.label
    SCHOOL = AgencyKind.SCHOOL.value, AgencyKind.SCHOOL.label
    HEALTH_CARE = AgencyKind.HEALTH_CARE.value, AgencyKind.HEALTH_CARE.label
    VICTIM_SERVICES = AgencyKind.VICTIM_SERVICES.value, AgencyKind.VICTIM_SERVICES.label
    SHELTER = "shelter", "Shelter or housing provider"
    BEHAVIORAL_HEALTH = "behavioral_health", "Mental-health or substance-use provider"
    LEGAL = "legal", "Legal services"
    COMMUNITY = "community", "Community, faith or culturally specific organisation"
    OTHER = AgencyKind.OTHER.value, AgencyKind.OTHER.label


class Provider(models.Model):
    """A service provider in a region's directory: one of HubNet's agencies (`agency`) or
    an outside organisation (no users). Kept by the region's hub specialists."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=ProviderKind.choices)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="providers",
        help_text="The region whose directory lists it (its hub keeps the entry).",
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="provider_entries",
        help_text="When the provider is one of HubNet's agencies.",
    )
    service_types = models.ManyToManyField(ServiceType, related_name="providers")
    counties = models.ManyToManyField(County, related_name="providers")
    tribes = models.ManyToManyField(Tribe, blank=True, related_name="providers")
    min_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(30)]
    )
    max_age = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(30)]
    )
    languages = models.CharField(
        max_length=200, blank=True, help_text='Separated by ";": "English; Spanish; Hmong".'
    )
    trafficking_specialised = models.BooleanField(default=False)
    trauma_informed = models.BooleanField(default=False)
    culturally_specific = models.BooleanField(
        default=False, help_text="e.g. tribal, Hmong, Latino services"
    )
    capacity_notes = models.CharField(max_length=500, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    hours = models.CharField("hours or how to reach", max_length=200, blank=True)
    how_to_refer = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            # Case-insensitive, like the check in regions.services, which it backs when two
            # people add the same name at once.
            models.UniqueConstraint("region", Lower("name"), name="one_provider_name_per_region"),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(min_age__lte=models.F("max_age")),
                name="provider_ages_in_order",
            ),
        ]
        indexes = [models.Index(fields=["region", "active"])]

    def __str__(self) -> str:
        return self.name

    def serves_age(self, age: int | None) -> bool:
        if age is None:
            return True
        return (self.min_age is None or age >= self.min_age) and (
            self.max_age is None or age <= self.max_age
        )


class Role(models.TextChoices):
    HUB_SPECIALIST = "hub_specialist", "Hub specialist"
    AGENCY_STAFF = "agency_staff", "Agency staff"
    AGENCY_SUPERVISOR = "agency_supervisor", "Agency supervisor"
    STATE_ADMIN = "state_admin", "State task force admin"


AGENCY_ROLES = (Role.AGENCY_STAFF, Role.AGENCY_SUPERVISOR)
# Roles that open case records. Separation of duties: an account holding the state
# admin role never holds one of these (shared/DESIGN.md, "Who grants access").
CASE_ROLES = (Role.HUB_SPECIALIST, *AGENCY_ROLES)


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(revoked_at__isnull=True)


class Membership(models.Model):
    """A user's place in the network: staff of an agency, specialist of a hub, or state admin.

    Revoking keeps the row (who granted, who revoked, when) as the audit trail.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    hub = models.ForeignKey(
        Hub, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    grant_reason = models.CharField("why granted", max_length=300, blank=True)
    revoke_reason = models.CharField("why ended", max_length=300, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__username", "role"]
        permissions = [
            (
                "administer_accounts",
                "Can invite users, grant and end any membership, and deactivate accounts",
            )
        ]
        constraints = [
            models.CheckConstraint(
                name="membership_target_matches_role",
                condition=(
                    Q(role__in=AGENCY_ROLES, agency__isnull=False, hub__isnull=True)
                    | Q(role=Role.HUB_SPECIALIST, hub__isnull=False, agency__isnull=True)
                    | Q(role=Role.STATE_ADMIN, hub__isnull=True, agency__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "agency", "role"],
                condition=Q(revoked_at__isnull=True, agency__isnull=False),
                name="one_active_membership_per_agency_role",
            ),
            models.UniqueConstraint(
                fields=["user", "hub"],
                condition=Q(revoked_at__isnull=True, hub__isnull=False),
                name="one_active_membership_per_hub",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True, role=Role.STATE_ADMIN),
                name="one_active_state_admin_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} - {self.organisation_label}"

    @property
    def organisation_label(self) -> str:
        if self.agency_id:
            return str(self.agency)
        if self.hub_id:
            return f"{self.hub} ({self.hub.region.name})"
        return "State of Wisconsin"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def clean(self) -> None:
        if self.role in AGENCY_ROLES and (not self.agency_id or self.hub_id):
            raise ValidationError({"agency": "Agency staff and supervisors belong to an agency."})
        if self.role == Role.HUB_SPECIALIST and (not self.hub_id or self.agency_id):
            raise ValidationError({"hub": "A hub specialist belongs to a hub."})
        if self.role == Role.STATE_ADMIN and (self.hub_id or self.agency_id):
            raise ValidationError("A state task force admin belongs to no agency or hub.")
        self._check_separation_of_duties()

    @property
    def region_id(self) -> int | None:
        """The region whose case records this membership opens (None for the state role)."""
        if self.agency_id:
            return self.agency.region_id
        if self.hub_id:
            return self.hub.region_id
        return None

    def _check_separation_of_duties(self) -> None:
        """A state admin account never holds a case role, and the other way round."""
        if not self.user_id or self.revoked_at is not None:
            return
        others = Membership.objects.active().filter(user_id=self.user_id).exclude(pk=self.pk)
        if self.role == Role.STATE_ADMIN and others.filter(role__in=CASE_ROLES).exists():
            raise ValidationError(
                {
                    "role": "This account works cases; a state task force admin account never "
                    "does. End its case memberships first, or use a separate account."
                }
            )
        if self.role in CASE_ROLES and others.filter(role=Role.STATE_ADMIN).exists():
            raise ValidationError(
                {
                    "role": "This account is a state task force admin, which never holds a case "
                    "role (separation of duties). Use a separate account for casework."
                }
            )


class AccessChangeKind(models.TextChoices):
    INVITED = "invited", "Invited"
    GRANTED = "granted", "Membership granted"
    REVOKED = "revoked", "Membership ended"
    DEACTIVATED = "deactivated", "Account deactivated"
    INVITE_ACCEPTED = "invite_accepted", "Invitation accepted"
    REFUSED = "refused", "Grant refused"
    MFA_RESET = "mfa_reset", "Second factor reset"
    LOCKED_OUT = "locked_out", "Sign-in locked after failed attempts"
    UNLOCKED = "unlocked", "Sign-in lock lifted"


class AccessChange(models.Model):
    """Who gave or took whose access to what, when and why: the record of every change to
    memberships and accounts, shown to the region's hub specialists. Rows are only added."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=AccessChangeKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: a command run on the server.",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_changes"
    )
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hub = models.ForeignKey(Hub, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="access_changes",
        help_text="The region whose case records the change concerns.",
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["region", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}: {self.subject}"

    @property
    def organisation_label(self) -> str:
        if self.agency_id:
            return str(self.agency)
        if self.hub_id:
            return str(self.hub)
        return "State of Wisconsin" if self.role == Role.STATE_ADMIN else ""


# Direct foreign-key object-permission tables (django-guardian): fast joins,
# real referential integrity, no generic object_pk strings.
class AgencyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)


class AgencyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Agency, on_delete=models.CASCADE)


class RegionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)


class RegionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Region, on_delete=models.CASCADE)


# --- Numbers for the state: quarterly rollups (shared/DESIGN.md) ----------------------


class ScopeKind(models.TextChoices):
    STATE = "state", "Statewide"
    REGION = "region", "Region"
    COUNTY = "county", "County"
    TRIBE = "tribe", "Tribe"


class RollupTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    COMMAND = "command", "Command on the server"
    PERSON = "person", "Recompute pressed"
    LATE_RECORD = "late_record", "A record of a past quarter changed"


class RollupStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Finished"
    FAILED = "failed", "Failed"


class RollupRun(models.Model):
    """One computation of one quarter's figures: when the numbers were made, by what,
    and how it went. Rows are only added and updated by regions.rollups."""

    quarter = models.CharField(max_length=6, help_text="e.g. 2026Q3")
    trigger = models.CharField(max_length=12, choices=RollupTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The moment the figures count up to: the quarter's end, or the run's "
        "start for the quarter under way.",
    )
    status = models.CharField(
        max_length=10, choices=RollupStatus.choices, default=RollupStatus.QUEUED
    )
    metrics_total = models.PositiveSmallIntegerField(default=0)
    metrics_done = models.PositiveSmallIntegerField(default=0)
    figures_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["quarter", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.quarter} rollup {self.get_status_display().lower()}"

    @property
    def is_finished(self) -> bool:
        return self.status in (RollupStatus.SUCCEEDED, RollupStatus.FAILED)


class RollupQuarter(models.Model):
    """The lock two runs of one quarter take in turn, and the run whose figures stand."""

    quarter = models.CharField(max_length=6, unique=True)
    holder = models.ForeignKey(
        RollupRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    held_until = models.DateTimeField(null=True, blank=True)
    current_run = models.ForeignKey(
        RollupRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.quarter


class Figure(models.Model):
    """One de-identified number: a metric for a quarter and a place, in total (empty
    dimension) or for one category of a dimension. No case ids, nothing identifying.

    `value` is raw: small counts are here as they are. `shown`, `suppressed` and `small`
    are the published figure, decided by regions.figures when the row is written. Only
    regions.figures reads this table, and it hands out the published figure only.
    """

    quarter = models.CharField(max_length=6)
    scope = models.CharField(max_length=10, choices=ScopeKind.choices)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For a county or tribe, the region it belongs to.",
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tribe = models.ForeignKey(
        Tribe, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    metric = models.CharField(max_length=60)
    dimension = models.CharField(max_length=40, blank=True)
    category = models.CharField(max_length=60, blank=True)
    value = models.FloatField(null=True, blank=True)
    denominator = models.PositiveIntegerField(
        null=True, blank=True, help_text="For a rate or median: how many it rests on."
    )
    run = models.ForeignKey(RollupRun, on_delete=models.PROTECT, related_name="figures")
    # What the figure shows once suppressed, decided when it is written (regions.figures).
    shown = models.FloatField(
        null=True, blank=True, help_text="The published value: empty when suppressed."
    )
    suppressed = models.BooleanField(default=False)
    small = models.BooleanField(
        default=False,
        help_text="Suppressed because it is itself small, not as a complementary cell.",
    )
    threshold = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The suppression threshold it was published at."
    )

    class Meta:
        indexes = [models.Index(fields=["quarter", "metric", "dimension", "scope", "region"])]

    def __str__(self) -> str:
        return f"{self.quarter} {self.scope} {self.metric} {self.dimension}={self.category}"


class DisclosureControl(models.Model):
    """The small-cell suppression threshold: data the task force decides, not code. One
    row; without it, settings.SUPPRESSION_THRESHOLD applies."""

    threshold = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(3), MaxValueValidator(20)],
        help_text="Counts from 1 to this minus one are never shown (Wisconsin public health "
        "uses 5; CMS uses 11).",
    )
    reason = models.CharField(max_length=300, help_text="Why the threshold is what it is.")
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=3, threshold__lte=20), name="disclosure_threshold_3_20"
            )
        ]

    def __str__(self) -> str:
        return f"Suppress counts below {self.threshold}"
