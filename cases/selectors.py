"""The one door to case data. Nothing else reads `Case.objects` on behalf of a user.

- `cases_visible_to(user)` for every list, count, search and export;
- `get_case_for_user(user, case_id, write=...)` for one case: 404 when the
  user may not see it (logged as denied), 403 when they may see but not act,
  and an access-log row for every granted read.

Visibility comes from django-guardian object permissions on agencies and
regions (granted by memberships), plus rare per-case, consent-bound, expiring
grants. Superusers get nothing for free: a case is never visible without one
of those.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from cases import access_log
from cases.models import (
    AccessChannel,
    Case,
    CaseAccess,
    CaseEvent,
    CaseGrant,
    CaseNote,
    CaseStep,
    Consent,
    Notification,
    Referral,
    ServiceNeed,
    Status,
    StepStatus,
    Youth,
)
from cases.steps import DUE_SOON, SCREENING_STEP_KEY
from hubnet.request_memo import in_request, memoised
from hubnet.text import fold
from protocols.models import Owner, StepDefinition
from regions.models import (
    AgencyUserObjectPermission,
    Membership,
    Region,
    RegionUserObjectPermission,
)


def _region_ids(user, codename: str):
    return RegionUserObjectPermission.objects.filter(
        user=user, permission__codename=codename
    ).values("content_object_id")


def _agency_ids(user, codename: str):
    return AgencyUserObjectPermission.objects.filter(
        user=user, permission__codename=codename
    ).values("content_object_id")


# Which table holds each case permission a user can have on a region or an agency.
CASE_PERMISSION_TABLES = {
    "view_region_cases": RegionUserObjectPermission,
    "work_region_cases": RegionUserObjectPermission,
    "view_agency_cases": AgencyUserObjectPermission,
    "work_agency_cases": AgencyUserObjectPermission,
}


def _permitted_ids(user, codename: str) -> tuple[int, ...]:
    """The regions (or agencies) on which `user` holds `codename`. Within a GET request one
    query per table answers all its codenames, kept for the request (hubnet.request_memo)."""
    table = CASE_PERMISSION_TABLES[codename]
    if not in_request():
        rows = table.objects.filter(user=user, permission__codename=codename)
        return tuple(rows.values_list("content_object_id", flat=True))

    def every_codename() -> dict[str, tuple[int, ...]]:
        codenames = [name for name, holder in CASE_PERMISSION_TABLES.items() if holder is table]
        rows = list(
            table.objects.filter(user=user, permission__codename__in=codenames).values_list(
                "permission__codename", "content_object_id"
            )
        )
        return {name: tuple(pk for held, pk in rows if held == name) for name in codenames}

    return memoised(("case_permissions", table.__name__, user.pk), every_codename)[codename]


def _hub_region_list(user) -> list[int]:
    """The regions `user` works as hub specialist, as values: the planner then reads a
    list's cases from the index on (region, status, ...), where a subquery hid it."""
    return list(_permitted_ids(user, "work_region_cases"))


def _work_agency_list(user) -> list[int]:
    """The agencies `user` works for, as values (see `_hub_region_list`)."""
    return list(_permitted_ids(user, "work_agency_cases"))


def _live_grants(user) -> QuerySet[CaseGrant]:
    """Grants still backed by everything they rest on: not revoked or expired, the consent
    still current, and the user still working for the consent's recipient agency."""
    today = timezone.localdate()
    return CaseGrant.objects.filter(
        user=user,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
        consent__revoked_at__isnull=True,
        consent__expires_on__gte=today,
        consent__signed_on__lte=today,
    ).filter(
        Exists(
            Membership.objects.active().filter(
                user=OuterRef("user"), agency=OuterRef("consent__recipient")
            )
        )
    )


def _visibility_keys(user: AbstractBaseUser) -> tuple[tuple, tuple, tuple]:
    """The regions, agencies and granted cases whose cases `user` may see (once a GET)."""
    return memoised(
        ("visible", user.pk),
        lambda: (
            _permitted_ids(user, "view_region_cases"),
            _permitted_ids(user, "view_agency_cases"),
            tuple(_live_grants(user).values_list("case_id", flat=True)),
        ),
    )


def cases_visible_to(user: AbstractBaseUser) -> QuerySet[Case]:
    """Every case `user` may see, with what list pages and serializers need joined in."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    # The user's regions, agencies and granted cases first (three small indexed
    # queries), then the cases by those values: each branch is an index scan the planner
    # can combine ((region, status), (agency, status), the primary key). The same three
    # as subqueries ORed together hid that from it: it walked the whole table instead.
    regions, agencies, granted = _visibility_keys(user)
    branches = [
        Q(**{field: values})
        for field, values in (
            ("region_id__in", regions),
            ("agency_id__in", agencies),
            ("pk__in", granted),
        )
        if values
    ]
    if not branches:
        return Case.objects.none()
    visible = branches[0]
    for branch in branches[1:]:
        visible |= branch
    return Case.objects.filter(visible).select_related(
        "youth__county",
        "youth__tribe",
        "referral",
        "region",
        "county",
        "agency",
        "assigned_worker",
    )


@dataclass(frozen=True)
class CaseRights:
    """What one user may do with one case they can see."""

    is_hub: bool  # specialist of the case's region
    is_agency: bool  # staff of the case's current agency
    is_supervisor: bool  # supervisor of the case's current agency

    @property
    def can_write(self) -> bool:
        return self.is_hub or self.is_agency

    @property
    def can_see_access_log(self) -> bool:
        return self.is_hub or self.is_supervisor


def case_rights(user: AbstractBaseUser, case: Case) -> CaseRights:
    region_codes = set(
        RegionUserObjectPermission.objects.filter(
            user=user, content_object_id=case.region_id
        ).values_list("permission__codename", flat=True)
    )
    agency_codes: set[str] = set()
    if case.agency_id:
        agency_codes = set(
            AgencyUserObjectPermission.objects.filter(
                user=user, content_object_id=case.agency_id
            ).values_list("permission__codename", flat=True)
        )
    return CaseRights(
        is_hub="work_region_cases" in region_codes,
        is_agency="work_agency_cases" in agency_codes,
        is_supervisor="supervise_agency" in agency_codes,
    )


def get_case_for_user(
    user: AbstractBaseUser,
    case_id,
    *,
    write: bool = False,
    channel: str = AccessChannel.PAGE,
    ip_address: str | None = None,
) -> Case:
    """The case `case_id` if `user` may see it; logs the access either way.

    Raises Http404 when the case does not exist or is not visible (the two look
    the same), PermissionDenied when `write` is asked of a read-only viewer.
    """
    case_id = _as_uuid(case_id)
    case = cases_visible_to(user).filter(pk=case_id).first() if case_id else None
    if case is None:
        log_denied_access(user, case_id, channel=channel, ip_address=ip_address)
        raise Http404(NOT_FOUND)
    allowed = not write or case_rights(user, case).can_write
    access_log.record(
        case_id=case.pk, user=user, channel=channel, granted=allowed, ip_address=ip_address
    )
    if not allowed:
        raise PermissionDenied("You can see this case but not change it.")
    return case


NOT_FOUND = "Not found."


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def referrals_visible_to(user: AbstractBaseUser) -> QuerySet[Referral]:
    """Referrals of the cases `user` may see."""
    return (
        Referral.objects.filter(case__in=cases_visible_to(user))
        .select_related("case", "youth__county", "region")
        .prefetch_related("indicators")
    )


def get_referral_for_user(
    user: AbstractBaseUser, referral_id, *, channel: str, ip_address: str | None = None
) -> Referral:
    """A referral through its case's door: 404 (logged) unless the case is visible."""
    referral_id = _as_uuid(referral_id)
    case_id = (
        Case.objects.filter(referral_id=referral_id).values_list("pk", flat=True).first()
        if referral_id
        else None
    )
    if case_id is None:
        raise Http404(NOT_FOUND)  # the same answer as for a case one may not see
    case = get_case_for_user(user, case_id, channel=channel, ip_address=ip_address)
    return referrals_visible_to(user).get(pk=case.referral_id)


def linkable_youth(user: AbstractBaseUser, youth_id) -> Youth | None:
    """A youth the user may link a new referral to: one in a case they can see, with
    `latest_case_id`, the latest of those cases (whose access log records the showing)."""
    youth_id = _as_uuid(youth_id) if youth_id else None
    if youth_id is None:
        return None
    latest = _latest_visible_case(user)
    return (
        Youth.objects.filter(pk=youth_id)
        .filter(Exists(latest))
        .annotate(latest_case_id=Subquery(latest.values("pk")[:1]))
        .first()
    )


def _latest_visible_case(user: AbstractBaseUser) -> QuerySet[Case]:
    """The cases of the youth `OuterRef("pk")` that `user` may see, latest referral first."""
    return (
        cases_visible_to(user)
        .filter(youth=OuterRef("pk"))
        .order_by("-referral__received_at", "-opened_at")
    )


def log_denied_access(user, case_id, *, channel: str, ip_address: str | None) -> None:
    """Record an attempt to open an existing case the user may not see."""
    case_id = _as_uuid(case_id)
    if case_id and user.is_authenticated and Case.objects.filter(pk=case_id).exists():
        access_log.record(
            case_id=case_id, user=user, channel=channel, granted=False, ip_address=ip_address
        )


def work_regions_of(user: AbstractBaseUser) -> list[Region]:
    """Regions whose cases the user works as a hub specialist."""
    return list(Region.objects.filter(pk__in=_region_ids(user, "work_region_cases")))


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    """The case's events, oldest first. Call only with a case from the door."""
    return case.events.select_related("actor", "from_agency", "to_agency").order_by("at", "id")


def case_steps(case: Case) -> QuerySet[CaseStep]:
    """The case's protocol checklist in order, definitions and fields joined in."""
    return (
        case.steps.select_related("definition", "completed_by")
        .prefetch_related("definition__fields")
        .order_by("definition__order", "id")
    )


def pending_screening_step(case: Case) -> StepDefinition | None:
    """The definition (fields joined in) of the case's screening step while it is to do."""
    step = (
        case.steps.filter(definition__key=SCREENING_STEP_KEY, status=StepStatus.PENDING)
        .select_related("definition")
        .prefetch_related("definition__fields")
        .first()
    )
    return step.definition if step else None


# Who records a step, in SQL, for CaseStep rows (`step_owned_by` in cases.services is the
# rule for one step): hub steps are the hub's; agency steps the current agency's, and the
# hub's while no agency holds the case.
HUB_OWNED_STEP = Q(definition__owner=Owner.HUB) | Q(case__agency__isnull=True)
AGENCY_OWNED_STEP = Q(definition__owner=Owner.AGENCY, case__agency__isnull=False)


def _steps_owned_by(user: AbstractBaseUser) -> Q:
    """CaseStep rows `user` records: hub-owned ones in regions they work as hub specialist,
    agency-owned ones of the agencies they work for."""
    # As values, not subqueries: the step summaries repeat this in five subqueries a case
    # list, and planning their permission subqueries cost more than running the list.
    owned = Q()
    if regions := _hub_region_list(user):
        owned |= HUB_OWNED_STEP & Q(case__region_id__in=regions)
    if agencies := _work_agency_list(user):
        owned |= AGENCY_OWNED_STEP & Q(case__agency_id__in=agencies)
    return owned or Q(pk__isnull=True)  # someone who records none: a condition nothing meets


def _count(steps: QuerySet[CaseStep]):
    return Coalesce(
        Subquery(steps.order_by().values("case").annotate(n=Count("pk")).values("n")), 0
    )


def steps_summary(cases: QuerySet[Case], now, *, user: AbstractBaseUser) -> QuerySet[Case]:
    """Annotate each case with what its protocol steps ask of `user`:

    - `overdue_mine`: overdue steps `user` records;
    - `overdue_waiting_hub`, `overdue_waiting_agency`: the other overdue steps, by who
      records them;
    - `next_step_title`, `next_step_due`: the next due step, the earliest of `user`'s own
      if they have one, and `next_step_waits_on` ("hub", "agency", or "" when it is theirs).

    Steps of closed cases are never to do, so closed cases count nothing. Correlated
    subqueries: the list's query count does not grow with its length.
    """
    mine = _steps_owned_by(user)
    pending = CaseStep.objects.filter(
        case=OuterRef("pk"), status=StepStatus.PENDING, due_at__isnull=False
    )
    overdue = pending.filter(due_at__lt=now)
    next_steps = pending.annotate(
        waits_on=models.Case(
            models.When(mine, then=models.Value("")),
            models.When(HUB_OWNED_STEP, then=models.Value("hub")),
            default=models.Value("agency"),
        )
    ).order_by(
        models.Case(models.When(mine, then=models.Value(0)), default=models.Value(1)),
        "due_at",
        "id",
    )
    return cases.annotate(
        next_step_title=Subquery(next_steps.values("definition__title")[:1]),
        next_step_due=Subquery(next_steps.values("due_at")[:1]),
        next_step_waits_on=Subquery(next_steps.values("waits_on")[:1]),
        overdue_mine=_count(overdue.filter(mine)),
        overdue_waiting_hub=_count(overdue.filter(HUB_OWNED_STEP).exclude(mine)),
        overdue_waiting_agency=_count(overdue.filter(AGENCY_OWNED_STEP).exclude(mine)),
    )


def overdue_steps_in_regions(user: AbstractBaseUser, now) -> QuerySet[CaseStep]:
    """Overdue steps of the open cases in the regions the user works as hub specialist
    (and sees: every case of them), each with `for_agency` (recorded by the case's agency,
    not the hub).

    Read from the index casestep_region_overdue (region, due_at, ...) of the steps to do:
    never each open case of the region. A closed case has no step to do (closing sets
    them aside: cases.steps.case_steps_sync)."""
    visible_regions = _visibility_keys(user)[0]
    regions = [pk for pk in _hub_region_list(user) if pk in visible_regions]
    return (
        CaseStep.objects.filter(region_id__in=regions, status=StepStatus.PENDING, due_at__lt=now)
        .select_related("definition", "case__agency")
        .order_by("due_at", "id")
    )


def overdue_step_counts(user: AbstractBaseUser, now) -> dict[str, int]:
    """How many steps `overdue_steps_in_regions` finds: all of them (`total`), those the
    hub records (`hub`) and those waiting on the cases' agencies (`agency`), and in how
    many cases. One query, on the index alone."""
    counts = (
        overdue_steps_in_regions(user, now)
        .order_by()
        .aggregate(
            # Columns of the index (casestep_region_overdue), not the key: read from it.
            total=Count("case"),
            agency=Count("case", filter=Q(for_agency=True)),
            cases=Count("case", distinct=True),
        )
    )
    return {**counts, "hub": counts["total"] - counts["agency"]}


def overdue_cases_in_regions(user: AbstractBaseUser, now, *, limit: int) -> list[dict]:
    """The `limit` cases of `overdue_steps_in_regions` whose steps are longest overdue,
    each as {"case", "steps"} with its overdue steps, longest overdue first.

    The steps are read in due order until `limit` cases have come up (one query while no
    case has more than 20 overdue steps), then those cases' steps: whatever the number of
    overdue steps in the region, two queries read a few hundred rows."""
    steps = overdue_steps_in_regions(user, now)
    batch = limit * 20
    first: list = []
    offset = 0
    while len(first) < limit:
        rows = list(steps.values_list("case_id", flat=True)[offset : offset + batch])
        for case_id in rows:
            if case_id not in first:
                first.append(case_id)
                if len(first) == limit:
                    break
        if len(rows) < batch:
            break
        offset += batch
    grouped: dict = {case_id: [] for case_id in first}
    for step in steps.filter(case_id__in=first).select_related("case"):
        grouped[step.case_id].append(step)
    return [{"case": rows[0].case, "steps": rows} for rows in grouped.values() if rows]


def notifications_of(user: AbstractBaseUser, *, show: str = "all", now=None):
    """`user`'s own notifications about cases they can still see, grouped by case (the case
    with the newest notice first) and newest first within a case, the step each is about
    joined in.

    `show` narrows them (`NOTIFICATION_FILTERS`): "unread"; "overdue", about a step still to
    do whose deadline has passed; "due_soon", about a step still to do and due within the
    next 4 hours. Overdue and due soon are the step's state at `now`, not the alert's: a
    notice about a step since done is neither. A notice about a case routed away or a
    membership ended is left out (and comes back if the access does).
    """
    notices = _visible_notifications(user).filter(
        _notification_condition(show, now or timezone.now())
    )
    return notices.select_related("case", "alert__step__definition").order_by(
        Window(Max("created_at"), partition_by=[F("case_id")]).desc(),
        "case_id",
        "-created_at",
        "-id",
    )


def case_notes(case: Case) -> QuerySet[CaseNote]:
    return case.notes.select_related("author").order_by("-created_at", "-id")


def case_access_log(user: AbstractBaseUser, case: Case) -> QuerySet[CaseAccess]:
    """Who looked at this record, and who was shown the youth's name in a list, search or
    match: for the region's hub and the agency's supervisors."""
    if not case_rights(user, case).can_see_access_log:
        raise PermissionDenied("Only hub specialists and agency supervisors see the access log.")
    return case.accesses.select_related("user").order_by("-at", "-id")


def access_log_by_person(accesses: QuerySet[CaseAccess]) -> QuerySet:
    """`accesses` (from `case_access_log`) per person, last seen first: how often they were
    shown the case, how often refused, first and last time. One query."""
    return (
        accesses.order_by()
        .values("user_id", "user__username", "user__first_name", "user__last_name")
        .annotate(
            shown=Count("pk", filter=Q(granted=True)),
            refused=Count("pk", filter=Q(granted=False)),
            first_at=Min("at"),
            last_at=Max("at"),
        )
        .order_by("-last_at", "user__username")
    )


def case_search_condition(query: str) -> Q:
    """Cases every word of `query` finds in the youth's names (legal and preferred), the
    reporter's name or the case number, ignoring case and accents ("Díaz" finds "Diaz" and
    "diaz" finds "Díaz"). Only ever narrows a queryset from `cases_visible_to`.

    Names are compared folded (`hubnet.text.fold`) against the folded copies the models keep
    (`Youth.name_folded`, `Referral.reporter_folded`), so SQLite and PostgreSQL agree.
    """
    condition = Q()
    for word in fold(query).split():
        condition &= Q(pk__in=_cases_with_word(word))
    return condition


def _cases_with_word(word: str) -> QuerySet[Case]:
    """The ids of every case whose youth's names, reporter's name or number holds `word`
    (already folded), as a UNION of three indexed lookups. On PostgreSQL each is answered
    by its trigram index (migration cases 0013) and the case found by its foreign key or
    number; an OR of the three in one WHERE could not use them and read the whole table."""
    branches = [
        Case.objects.filter(
            youth_id__in=Youth.objects.filter(name_folded__contains=word).values("pk")
        ),
        Case.objects.filter(
            referral_id__in=Referral.objects.filter(reporter_folded__contains=word).values("pk")
        ),
        Case.objects.filter(number__icontains=word),
    ]
    first, *rest = (branch.order_by().values("pk") for branch in branches)
    return first.union(*rest)


def hub_queue(user: AbstractBaseUser) -> QuerySet[Case]:
    """Cases waiting on the hub: new, unrouted, declined, awaiting acceptance."""
    return cases_visible_to(user).filter(
        region_id__in=_hub_region_list(user),
        status__in=[Status.RECEIVED, Status.SCREENED, Status.DECLINED, Status.ROUTED],
    )


def hub_queue_counts(user: AbstractBaseUser) -> dict[str, int]:
    rows = hub_queue(user).order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def youth_matches(user: AbstractBaseUser, *, region_ids, first: str, last: str, born=None):
    """Youth already known in the user's regions who may be the same person.

    A match: the last name starts alike and the first initial (or the alias)
    fits, or the same date of birth with the same last initial. Only youth with
    a case the user can see are offered, so the lookup reveals nothing new.
    """
    first, last = first.strip(), last.strip()
    if len(last) < 2:
        return Youth.objects.none()
    name_match = Q(legal_last_name__istartswith=last[:3])
    if first:
        name_match &= Q(legal_first_name__istartswith=first[0]) | Q(
            preferred_name__icontains=first
        )
    condition = name_match
    if born:
        condition |= Q(date_of_birth=born, legal_last_name__istartswith=last[0])
    # What the specialist needs to decide, from the cases they may see only: the latest
    # visible case's number and status and when its referral came in (and its id, whose
    # access log records that the youth's name was shown).
    latest = _latest_visible_case(user)
    return (
        Youth.objects.filter(region_id__in=region_ids)
        .filter(condition)
        .filter(Exists(latest))
        .annotate(
            latest_case_id=Subquery(latest.values("pk")[:1]),
            latest_case_number=Subquery(latest.values("number")[:1]),
            latest_case_status=Subquery(latest.values("status")[:1]),
            latest_referral_at=Subquery(latest.values("referral__received_at")[:1]),
        )
        .select_related("county", "tribe")
        .order_by("legal_last_name", "legal_first_name")[:5]
    )


# ----------------------------------------------------------------------------- notifications

NOTIFICATION_FILTERS = {
    "all": "All",
    "unread": "Unread",
    "overdue": "Overdue",
    "due_soon": "Due soon",
}


def _notification_condition(show: str, now) -> Q:
    """The notifications `show` (a key of `NOTIFICATION_FILTERS`) keeps, at `now`."""
    step_to_do = Q(alert__step__status=StepStatus.PENDING) & ~Q(case__status=Status.CLOSED)
    if show == "unread":
        return Q(read_at__isnull=True)
    if show == "overdue":
        return step_to_do & Q(alert__step__due_at__lt=now)
    if show == "due_soon":
        return step_to_do & Q(
            alert__step__due_at__gte=now, alert__step__due_at__lte=now + DUE_SOON
        )
    return Q()


def _visible_notifications(user: AbstractBaseUser) -> QuerySet[Notification]:
    """`user`'s own notifications whose case they may still see (through the door)."""
    return Notification.objects.filter(user=user, case__in=cases_visible_to(user).values("pk"))


def notification_counts(user: AbstractBaseUser, now=None) -> dict[str, int]:
    """How many of `notifications_of(user, show=...)` there are for each filter, all in one
    query: the true totals, whatever page is shown."""
    now = now or timezone.now()
    return _visible_notifications(user).aggregate(
        **{
            show: Count("pk", filter=_notification_condition(show, now))
            for show in NOTIFICATION_FILTERS
        }
    )


def unread_notifications_of(user: AbstractBaseUser) -> QuerySet[Notification]:
    """The unread ones `notifications_of` lists: what "mark all as read" marks, and the
    header's count."""
    return _visible_notifications(user).filter(read_at__isnull=True)


def notification_to_open(
    user: AbstractBaseUser, notification_id: int, *, ip_address: str | None = None
) -> Notification:
    """One of `user`'s own notifications, its step joined in, to open its case at that step.

    Raises Http404 when it is someone else's or does not exist, and when its case is no
    longer visible to `user`: the same answer as the door gives, logged as a denied access
    to that case as the door logs one, and nothing read from the case itself.
    """
    notice = (
        Notification.objects.filter(user=user, pk=notification_id)
        .select_related("alert__step__definition")
        .first()
    )
    if notice is None:
        raise Http404(NOT_FOUND)
    if not cases_visible_to(user).filter(pk=notice.case_id).exists():
        log_denied_access(user, notice.case_id, channel=AccessChannel.PAGE, ip_address=ip_address)
        raise Http404(NOT_FOUND)
    return notice


# ----------------------------------------------------------------------------- access log


def access_log_filter(
    accesses: QuerySet[CaseAccess],
    *,
    person_id: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    granted: bool | None = None,
) -> QuerySet[CaseAccess]:
    """`accesses` (from `case_access_log`) narrowed to one person, to the days `since` to
    `until` (both included, Wisconsin's calendar days) and to granted or refused looks.
    Only ever narrows: who may read the log is `case_access_log`'s to decide."""
    if person_id is not None:
        accesses = accesses.filter(user_id=person_id)
    if since is not None:
        accesses = accesses.filter(at__gte=_local_midnight(since))
    if until is not None:
        accesses = accesses.filter(at__lt=_local_midnight(until + datetime.timedelta(days=1)))
    if granted is not None:
        accesses = accesses.filter(granted=granted)
    return accesses


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def access_log_position(accesses: QuerySet[CaseAccess], first: CaseAccess) -> int:
    """How many of `accesses` come before `first` newest first (`case_access_log`'s order):
    where a page of the log starts. One query."""
    newer = Q(at__gt=first.at) | Q(at=first.at, id__gt=first.id)
    return accesses.order_by().filter(newer).count()


def case_consents(case: Case) -> QuerySet[Consent]:
    """The case's consents to share, newest signed first, revoked and expired ones too (the
    route page shows the legal basis for sharing). Call only with a case from the door."""
    return case.consents.select_related("recipient__region").order_by("-signed_on", "-id")


def case_needs(case: Case) -> QuerySet:
    """The service needs of a case already fetched through the door (get_case_for_user),
    oldest first, with their service type and provider joined in."""
    return (
        ServiceNeed.objects.filter(case=case)
        .select_related("service_type", "provider")
        .order_by("identified_on", "id")
    )
