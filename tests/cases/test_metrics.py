"""Every case metric against an independent computation over one seeded data set.

The data set is built the way people build it, through cases.services as the personas,
with the clock set to each moment (time-machine): three regions' worth of counties, two
tribes, referrals received before, in and after 2026Q1 (which spans the March change to
daylight time), screened, routed, declined, accepted, closed and reopened, protocol
steps done on time, late, skipped, left pending past due, set aside by a closure or by
a condition that stopped holding. It is rolled up once, as of 20 April 2026, for
2025Q4, 2026Q1 and 2026Q2 (to date).

The expected figures are computed in this file, in plain Python over the model objects,
from each metric's definition; never through cases.metrics or regions.metrics. Each
comparison covers every place (state, every region, county and tribe) and every
category, zeros included.
"""

import datetime
import importlib
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import time_machine
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cases import services
from cases.audit import audit_rewrite_allowed
from cases.models import (
    Case,
    CaseEvent,
    CaseStep,
    ClosureReason,
    EventKind,
    Gender,
    RaceEthnicity,
    ReferralSource,
    ScreeningOutcome,
    StepStatus,
    SuspectedExploitation,
)
from cases.reference_data import indicators_load
from protocols.models import FieldKind, Owner, StepDefinition
from regions.demo import PERSONAS, personas_ensure
from regions.models import Agency, County, Figure, Region, RollupStatus, Tribe
from regions.quarters import Quarter
from regions.reference_data import wisconsin_load
from regions.rollups import rollup_quarter
from tests.cases.builders import HUB_OF_REGION, WORKER_OF_AGENCY

pytestmark = pytest.mark.django_db

CT = zoneinfo.ZoneInfo("America/Chicago")
UTC = datetime.UTC


def ct(year, month, day, hour=0, minute=0):
    """A wall-clock moment in Wisconsin."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=CT)


MENOMINEE = "Menominee Indian Tribe of Wisconsin"
ONEIDA = "Oneida Nation"
OUTAGAMIE_HS = "Outagamie County Human Services"
BROWN_HS = "Brown County Human Services"
DANE_HS = "Dane County Human Services"
MENOMINEE_SS = "Menominee Indian Tribe of Wisconsin Social Services"

ROLLED_UP_AT = ct(2026, 4, 20, 12, 0)
# The periods, written out here rather than taken from regions.quarters.
BOUNDS = {
    "2025Q4": (ct(2025, 10, 1), ct(2026, 1, 1)),
    "2026Q1": (ct(2026, 1, 1), ct(2026, 4, 1)),
    "2026Q2": (ct(2026, 4, 1), ROLLED_UP_AT),  # the quarter under way: up to the run
}
QUARTERS = list(BOUNDS)

CASE_METRICS = [
    "referrals_received",
    "cases_opened",
    "cases_routed",
    "cases_accepted",
    "referrals_declined",
    "cases_closed",
    "cases_active_end",
    "median_hours_to_acceptance",
    "median_days_open",
    "step_on_time_pct",
    "steps_overdue_end",
]

NOT_SCREENED = "not_screened"
REFERRAL_CATEGORIES = {
    "source": ReferralSource.values,
    "suspected_exploitation": SuspectedExploitation.values,
    "screening_outcome": [*ScreeningOutcome.values, NOT_SCREENED],
    "age_band": ["under_12", "12_14", "15_17", "18_plus"],
    "gender": Gender.values,
    "race_ethnicity": RaceEthnicity.values,
}


# --- The data set -------------------------------------------------------------------


@dataclass
class Story:
    """One referral and what happened to its case: (moment, action, argument) in order."""

    name: str
    county: str
    received: datetime.datetime
    youth: dict
    source: str
    suspected: str
    tribe: str | None = None
    logged: datetime.datetime | None = None  # default: ten minutes after it was received
    actions: list = field(default_factory=list)


S = ScreeningOutcome
G = Gender
R = RaceEthnicity
SRC = ReferralSource
SUS = SuspectedExploitation
C = ClosureReason

STORIES = [
    # Received in 2025Q4 one minute before midnight, logged (opened) in 2026Q1.
    Story(
        "Arden",
        "Outagamie",
        ct(2025, 12, 31, 23, 59),
        {
            "date_of_birth": datetime.date(2010, 6, 1),
            "gender": G.FEMALE,
            "race_ethnicity": R.WHITE,
        },
        SRC.SCHOOL,
        SUS.SEX,
        logged=ct(2026, 1, 1, 0, 10),
        actions=[
            (ct(2026, 1, 1, 0, 30), "screen", S.SUSPECTED),
            (ct(2026, 1, 1, 1, 0), "done", "intake"),  # due 01:59: on time
            (ct(2026, 1, 1, 2, 0), "route", OUTAGAMIE_HS),
            (ct(2026, 1, 2, 9, 59), "accept", None),  # 34 hours after receipt
            (ct(2026, 1, 2, 10, 30), "done", "le_notification"),  # due Jan 1 11:59: late
            (ct(2026, 2, 15, 10, 0), "close", C.SERVICES_COMPLETED),
        ],
    ),
    # Estimated age only; declined twice, then accepted; follow-up skipped.
    Story(
        "Blake",
        "Outagamie",
        ct(2026, 1, 10, 8, 0),
        {"estimated_age": 17, "gender": G.MALE, "race_ethnicity": R.HISPANIC},
        SRC.LAW_ENFORCEMENT,
        SUS.LABOR,
        actions=[
            (ct(2026, 1, 10, 9, 0), "screen", S.AT_RISK),
            (ct(2026, 1, 10, 11, 0), "done", "intake"),  # due 10:00: late
            (ct(2026, 1, 10, 12, 0), "route", OUTAGAMIE_HS),
            (ct(2026, 1, 11, 10, 0), "decline", None),
            (ct(2026, 1, 12, 9, 0), "route", OUTAGAMIE_HS),
            (ct(2026, 1, 12, 15, 0), "decline", None),
            (ct(2026, 1, 13, 9, 0), "route", OUTAGAMIE_HS),
            (ct(2026, 1, 14, 8, 0), "accept", None),  # 96 hours
            (ct(2026, 1, 18, 10, 0), "done", "safety_plan"),
            (ct(2026, 1, 20, 10, 0), "done", "service_plan"),
            (ct(2026, 2, 1, 10, 0), "skip", "follow_up"),  # due Feb 19: skipped = missed
        ],
    ),
    # A Menominee youth in Outagamie: received at 02:30 the day after the March change,
    # on her 12th birthday; closed in 2026Q2 with steps still to do.
    Story(
        "Cedar",
        "Outagamie",
        ct(2026, 3, 9, 2, 30),
        {
            "date_of_birth": datetime.date(2014, 3, 9),
            "gender": G.FEMALE,
            "race_ethnicity": R.AMERICAN_INDIAN,
        },
        SRC.TRIBAL,
        SUS.BOTH,
        tribe=MENOMINEE,
        actions=[
            (ct(2026, 3, 9, 3, 0), "screen", S.CONFIRMED),
            (ct(2026, 3, 9, 10, 0), "done", "tribal_notice"),  # due Mar 10 02:30: on time
            (ct(2026, 3, 9, 11, 0), "route", MENOMINEE_SS),
            (ct(2026, 3, 9, 13, 0), "decline", None),
            (ct(2026, 3, 9, 14, 0), "route", MENOMINEE_SS),
            (ct(2026, 3, 10, 2, 30), "accept", None),  # 24 hours
            (ct(2026, 4, 10, 9, 0), "close", C.MOVED),
        ],
    ),
    # 23:30 on 31 March (04:30 UTC on 1 April): 2026Q1. Eleven in Wisconsin, twelve by UTC.
    Story(
        "Dakota",
        "Outagamie",
        ct(2026, 3, 31, 23, 30),
        {
            "date_of_birth": datetime.date(2014, 4, 1),
            "gender": G.NONBINARY,
            "race_ethnicity": R.BLACK,
        },
        SRC.CPS,
        SUS.SEX,
    ),
    # 00:00 on 1 April: 2026Q2.
    Story(
        "Emery",
        "Outagamie",
        ct(2026, 4, 1, 0, 0),
        {"estimated_age": 16, "gender": G.FEMALE, "race_ethnicity": R.WHITE},
        SRC.HOTLINE,
        SUS.SEX,
    ),
    # Routed, never accepted; one step on time, one late.
    Story(
        "Finley",
        "Brown",
        ct(2026, 2, 2, 14, 0),
        {
            "date_of_birth": datetime.date(2011, 3, 14),
            "gender": G.FEMALE,
            "race_ethnicity": R.ASIAN,
        },
        SRC.HEALTH_CARE,
        SUS.SEX,
        actions=[
            (ct(2026, 2, 2, 15, 0), "screen", S.SUSPECTED),
            (ct(2026, 2, 2, 15, 30), "done", "intake"),  # due 16:00: on time
            (ct(2026, 2, 2, 16, 0), "route", BROWN_HS),
            (ct(2026, 2, 2, 19, 0), "done", "immediate_safety"),  # due 18:00: late
        ],
    ),
    # An Oneida adult-aged youth received at 01:30 CST on the night of the change,
    # screened not indicated and closed at 05:00 CDT, steps set aside by the closure.
    Story(
        "Gray",
        "Brown",
        ct(2026, 3, 8, 1, 30),
        {"estimated_age": 19, "gender": G.MALE, "race_ethnicity": R.AMERICAN_INDIAN},
        SRC.SELF,
        SUS.UNKNOWN,
        tribe=ONEIDA,
        logged=ct(2026, 3, 8, 1, 45),
        actions=[
            (ct(2026, 3, 8, 4, 0), "screen", S.NOT_INDICATED),
            (ct(2026, 3, 8, 5, 0), "close", C.NOT_INDICATED),
        ],
    ),
    # Closed, reopened, accepted, closed again: counted once, with its last closure.
    Story(
        "Harper",
        "Brown",
        ct(2026, 1, 20, 10, 0),
        {
            "date_of_birth": datetime.date(2009, 1, 25),
            "gender": G.TRANSGENDER,
            "race_ethnicity": R.MULTIRACIAL,
        },
        SRC.FAMILY,
        SUS.SEX,
        actions=[
            (ct(2026, 1, 20, 11, 0), "screen", S.AT_RISK),
            (ct(2026, 1, 25, 10, 0), "close", C.UNABLE_TO_LOCATE),
            (ct(2026, 2, 10, 9, 0), "reopen", None),
            (ct(2026, 2, 10, 12, 0), "route", BROWN_HS),
            (ct(2026, 2, 11, 10, 0), "accept", None),  # 528 hours
            (ct(2026, 3, 20, 10, 0), "close", C.TRANSFERRED),
        ],
    ),
    # Received 22:00 CST the evening before the change, accepted 10:00 CDT: 11 hours.
    Story(
        "Indigo",
        "Dane",
        ct(2026, 3, 7, 22, 0),
        {
            "date_of_birth": datetime.date(2012, 5, 5),
            "gender": G.FEMALE,
            "race_ethnicity": R.WHITE,
        },
        SRC.HOTLINE,
        SUS.SEX,
        actions=[
            (ct(2026, 3, 7, 22, 15), "done", "intake"),
            (ct(2026, 3, 7, 23, 0), "screen", S.SUSPECTED),
            (ct(2026, 3, 7, 23, 30), "route", DANE_HS),
            (ct(2026, 3, 8, 10, 0), "accept", None),
            (ct(2026, 3, 8, 12, 0), "done", "le_notification"),  # due 11:00 CDT: late
            (ct(2026, 3, 30, 10, 0), "close", C.SERVICES_COMPLETED),
        ],
    ),
    # A Menominee youth in Dane (region 5): tribes are counted across regions.
    Story(
        "Jules",
        "Dane",
        ct(2026, 2, 14, 9, 0),
        {"estimated_age": 14, "gender": G.MALE, "race_ethnicity": R.AMERICAN_INDIAN},
        SRC.SCHOOL,
        SUS.LABOR,
        tribe=MENOMINEE,
        actions=[
            (ct(2026, 2, 14, 10, 0), "screen", S.SUSPECTED),
            (ct(2026, 2, 14, 10, 30), "done", "intake"),  # due 11:00: on time
            (ct(2026, 2, 14, 11, 0), "route", DANE_HS),
            (ct(2026, 2, 15, 9, 0), "accept", None),  # 24 hours
            (ct(2026, 2, 16, 9, 0), "done", "tribal_notice"),  # due Feb 15 09:00: late
            (ct(2026, 3, 31, 23, 59), "close", C.DECLINED_SERVICES),  # last minute of Q1
        ],
    ),
    # Missing from care, found: the NCMEC report stopped applying (not counted).
    Story(
        "Kai",
        "Dane",
        ct(2026, 1, 5, 9, 0),
        {
            "date_of_birth": datetime.date(2011, 1, 5),  # 15 that day
            "gender": G.OTHER,
            "race_ethnicity": R.PACIFIC_ISLANDER,
            "missing_from_care": True,
        },
        SRC.COMMUNITY,
        SUS.BOTH,
        actions=[
            (ct(2026, 1, 5, 10, 0), "screen", S.SUSPECTED),
            (ct(2026, 1, 5, 12, 0), "done", "missing_le_report"),  # due 17:00: on time
            (ct(2026, 1, 6, 8, 0), "found", None),
        ],
    ),
    # Received in 2025Q4, never touched: its 60-day assessment falls due in 2026Q1.
    Story(
        "Lane",
        "Dane",
        ct(2025, 12, 20, 10, 0),
        {"estimated_age": 16, "gender": G.FEMALE, "race_ethnicity": R.BLACK},
        SRC.LAW_ENFORCEMENT,
        SUS.UNKNOWN,
    ),
    # Accepted in 2026Q1, closed in 2026Q2; 17 the day before an 18th birthday.
    Story(
        "Morgan",
        "Dane",
        ct(2026, 3, 25, 9, 0),
        {
            "date_of_birth": datetime.date(2008, 3, 26),
            "gender": G.UNKNOWN,
            "race_ethnicity": R.UNKNOWN,
        },
        SRC.OTHER,
        SUS.SEX,
        actions=[
            (ct(2026, 3, 25, 10, 0), "screen", S.SUSPECTED),
            (ct(2026, 3, 25, 11, 0), "route", DANE_HS),
            (ct(2026, 3, 26, 9, 0), "accept", None),  # 24 hours
            (ct(2026, 4, 5, 10, 0), "close", C.SERVICES_COMPLETED),
        ],
    ),
    # A county with no agency persona: screened and closed by the hub.
    Story(
        "Noor",
        "Shawano",
        ct(2026, 2, 20, 13, 0),
        {"estimated_age": 13, "gender": G.FEMALE, "race_ethnicity": R.BLACK},
        SRC.LAW_ENFORCEMENT,
        SUS.SEX,
        actions=[
            (ct(2026, 2, 20, 14, 0), "screen", S.CONFIRMED),
            (ct(2026, 2, 28, 12, 0), "close", C.DUPLICATE),
        ],
    ),
    # The first moment of 2026Q1, in region 5's Rock County; never screened.
    Story(
        "Oakley",
        "Rock",
        ct(2026, 1, 1, 0, 0),
        {"estimated_age": 11, "gender": G.MALE, "race_ethnicity": R.WHITE},
        SRC.SCHOOL,
        SUS.UNKNOWN,
        logged=ct(2026, 1, 1, 0, 20),
    ),
    # 2026Q2 to date: accepted after 23 hours.
    Story(
        "Parker",
        "Outagamie",
        ct(2026, 4, 14, 9, 0),
        {"estimated_age": 15, "gender": G.MALE, "race_ethnicity": R.ASIAN},
        SRC.SCHOOL,
        SUS.SEX,
        actions=[
            (ct(2026, 4, 14, 9, 30), "screen", S.AT_RISK),
            (ct(2026, 4, 14, 10, 0), "route", OUTAGAMIE_HS),
            (ct(2026, 4, 15, 8, 0), "accept", None),
        ],
    ),
    # Closed in 2026Q1, reopened in 2026Q2: still closed at 2026Q1's end, and counted
    # as closed in it, though the case itself no longer says so.
    Story(
        "Quinn",
        "Outagamie",
        ct(2025, 11, 10, 9, 0),
        {"estimated_age": 16, "gender": G.FEMALE, "race_ethnicity": R.HISPANIC},
        SRC.HEALTH_CARE,
        SUS.LABOR,
        actions=[
            (ct(2025, 11, 10, 10, 0), "screen", S.SUSPECTED),
            (ct(2025, 11, 10, 11, 0), "route", OUTAGAMIE_HS),
            (ct(2025, 11, 11, 9, 0), "accept", None),
            (ct(2026, 2, 16, 15, 0), "close", C.MOVED),
            (ct(2026, 4, 8, 9, 0), "reopen", None),
        ],
    ),
]


def _users():
    """The personas (created again if a transactional test emptied the database)."""
    wisconsin_load()
    indicators_load()
    names = [p.username for p in PERSONAS]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    if len(users) != len(names):
        personas_ensure(password="metrics-test-password")
        users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    return users


def _hub(case, users):
    return users[HUB_OF_REGION[case.region.number]]


def _worker(case, users):
    return users[WORKER_OF_AGENCY[case.agency.name]]


def _step_complete(case, key, users):
    definition = StepDefinition.objects.prefetch_related("fields").get(
        version=case.protocol_version, key=key
    )
    actor = _hub(case, users)
    if definition.owner == Owner.AGENCY and case.agency_id:
        actor = _worker(case, users)
    data = {}
    for spec in definition.fields.all():
        if spec.kind == FieldKind.DATETIME:
            moment = timezone.localtime(timezone.now() - datetime.timedelta(minutes=30))
            data[spec.key] = moment.strftime("%Y-%m-%dT%H:%M")
        elif spec.kind == FieldKind.CHOICE:
            data[spec.key] = spec.choice_list[0]
        elif spec.kind == FieldKind.YES_NO:
            data[spec.key] = "yes"
        elif spec.kind == FieldKind.AGENCY:
            data[spec.key] = str(Agency.objects.filter(county=case.county).first().pk)
        else:
            data[spec.key] = "Recorded for the metrics tests."
    services.case_step_complete(case_id=case.pk, step_key=key, actor=actor, data=data)


def _act(case, action, argument, users):
    hub = _hub(case, users)
    if action == "screen":
        services.case_screen(case_id=case.pk, actor=hub, outcome=argument)
    elif action == "route":
        agency = Agency.objects.get(name=argument)
        services.case_route(case_id=case.pk, actor=hub, agency=agency)
    elif action == "accept":
        services.case_accept(case_id=case.pk, actor=_worker(case, users))
    elif action == "decline":
        services.case_decline(case_id=case.pk, actor=_worker(case, users), reason="Not ours.")
    elif action == "close":
        services.case_close(case_id=case.pk, actor=hub, reason=argument)
    elif action == "reopen":
        services.case_reopen(case_id=case.pk, actor=hub, reason="The youth was found.")
    elif action == "done":
        _step_complete(case, argument, users)
    elif action == "skip":
        actor = _worker(case, users) if case.agency_id else hub
        services.case_step_skip(
            case_id=case.pk, step_key=argument, actor=actor, reason="The youth declined contact."
        )
    elif action == "found":
        services.youth_update(case_id=case.pk, actor=hub, missing_from_care=False)
    else:
        raise AssertionError(f"unknown action {action}")


def tell(story: Story, users) -> Case:
    """Log the referral and play the story's actions, each at its moment."""
    county = County.objects.select_related("region").get(name=story.county)
    logged = story.logged or story.received + datetime.timedelta(minutes=10)
    with time_machine.travel(logged, tick=False):
        case = services.referral_create(
            logged_by=users[HUB_OF_REGION[county.region.number]],
            region=county.region,
            youth_data={
                "legal_first_name": story.name,
                "legal_last_name": "Metricstest",
                "county": county,
                "tribe": Tribe.objects.get(name=story.tribe) if story.tribe else None,
                **story.youth,
            },
            referral_data={
                "received_at": story.received,
                "source": story.source,
                "suspected_exploitation": story.suspected,
                "narrative": "Synthetic referral for the metrics tests.",
            },
        )
    for moment, action, argument in story.actions:
        with time_machine.travel(moment, tick=False):
            fresh = Case.objects.select_related("region", "agency").get(pk=case.pk)
            _act(fresh, action, argument, users)
    return case


# --- What the tests read: the rows written, and the model objects -------------------


class World:
    """The seeded cases, events and steps as Python objects, the places, and the runs."""

    def __init__(self, runs):
        self.runs = runs
        self.cases = list(Case.objects.select_related("referral", "youth"))
        self.events = list(CaseEvent.objects.select_related("case__youth"))
        self.steps = list(CaseStep.objects.select_related("definition", "case__youth"))
        self.county_region = dict(County.objects.values_list("pk", "region_id"))
        self.tribe_region = dict(Tribe.objects.values_list("pk", "primary_region_id"))
        self.places = [
            ("state", None, None, None),
            *(("region", pk, None, None) for pk in Region.objects.values_list("pk", flat=True)),
            *(("county", r, c, None) for c, r in self.county_region.items()),
            *(("tribe", r, None, t) for t, r in self.tribe_region.items()),
        ]
        self.step_keys = sorted(set(StepDefinition.objects.values_list("key", flat=True)))

    def places_of(self, case):
        """State, the case's region, its county (in the county's region), the youth's tribe."""
        places = [
            ("state", None, None, None),
            ("region", case.region_id, None, None),
            ("county", self.county_region[case.county_id], case.county_id, None),
        ]
        if case.youth.tribe_id:
            tribe = case.youth.tribe_id
            places.append(("tribe", self.tribe_region[tribe], None, tribe))
        return places

    def figures(self, quarter, metric):
        rows = list(
            Figure.objects.filter(quarter=quarter, metric=metric).values_list(
                "scope",
                "region_id",
                "county_id",
                "tribe_id",
                "dimension",
                "category",
                "value",
                "denominator",
            )
        )
        found = {tuple(row[:6]): (row[6], row[7]) for row in rows}
        assert len(found) == len(rows), f"{metric}: two rows for one place and category"
        return found


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The data set and its rollups, built once for the module and rolled back after."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            assert not Case.objects.exists(), "the metrics data set needs an empty case table"
            users = _users()
            for story in STORIES:
                tell(story, users)
            with time_machine.travel(ROLLED_UP_AT, tick=False):
                runs = {q: rollup_quarter(quarter=Quarter.parse(q)) for q in QUARTERS}
            yield World(runs)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- The independent computation ----------------------------------------------------


def within(moment, quarter):
    start, end = BOUNDS[quarter]
    return moment is not None and start <= moment < end


def hours_between(earlier, later):
    return (later.astimezone(UTC) - earlier.astimezone(UTC)).total_seconds() / 3600


def age_band(youth, received_at):
    """Age on the day received, in Wisconsin: from the birth date, else the estimate."""
    day = received_at.astimezone(CT).date()
    born = youth.date_of_birth
    if born is None:
        age = youth.estimated_age
    else:
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if age < 12:
        return "under_12"
    if age < 15:
        return "12_14"
    if age < 18:
        return "15_17"
    return "18_plus"


def tally(world, members, categories=None):
    """Counts per place: [(case, {dimension: category})] -> {place+category: (n, None)}.
    Every place has its total and every declared category, zero included."""
    categories = categories or {}
    counts = {}
    for place in world.places:
        counts[(*place, "", "")] = 0
        for dimension, values in categories.items():
            for value in values:
                counts[(*place, dimension, value)] = 0
    for case, of_case in members:
        for place in world.places_of(case):
            counts[(*place, "", "")] += 1
            for dimension, value in of_case.items():
                key = (*place, dimension, value)
                counts[key] = counts.get(key, 0) + 1
    return {key: (n, None) for key, n in counts.items()}


def medians(world, members):
    """[(case, value)] -> {place total: (median rounded to 0.1, how many)}."""
    values = defaultdict(list)
    for case, value in members:
        for place in world.places_of(case):
            values[place].append(value)
    return {
        (*place, "", ""): (
            (round(statistics.median(values[place]), 1), len(values[place]))
            if values[place]
            else (None, 0)
        )
        for place in world.places
    }


def shares(world, members):
    """[(case, step key, on time)] -> {place+step: (percent on time, how many due)};
    a place with nothing due has an empty total."""
    counts = defaultdict(lambda: [0, 0])
    for case, key, on_time in members:
        for place in world.places_of(case):
            for dimension, category in (("", ""), ("step", key)):
                counted = counts[(*place, dimension, category)]
                counted[0] += on_time
                counted[1] += 1
    expected = {key: (round(100 * n / due, 1), due) for key, (n, due) in counts.items()}
    for place in world.places:
        expected.setdefault((*place, "", ""), (None, 0))
    return expected


def counted_steps(world):
    """Steps that count: not those that stopped applying because their condition ended."""
    return [
        s
        for s in world.steps
        if not (s.status == StepStatus.NOT_APPLICABLE and not s.closed_with_case)
    ]


def expected_referrals_received(world, quarter):
    members = [
        (
            case,
            {
                "source": case.referral.source,
                "suspected_exploitation": case.referral.suspected_exploitation,
                "screening_outcome": case.screening_outcome or NOT_SCREENED,
                "age_band": age_band(case.youth, case.referral.received_at),
                "gender": case.youth.gender,
                "race_ethnicity": case.youth.race_ethnicity,
            },
        )
        for case in world.cases
        if within(case.referral.received_at, quarter)
    ]
    return tally(world, members, REFERRAL_CATEGORIES)


def expected_cases_opened(world, quarter):
    return tally(world, [(c, {}) for c in world.cases if within(c.opened_at, quarter)])


def _cases_with_event(world, kind, quarter):
    ids = {e.case_id for e in world.events if e.kind == kind and within(e.at, quarter)}
    return [(c, {}) for c in world.cases if c.pk in ids]


def expected_cases_routed(world, quarter):
    return tally(world, _cases_with_event(world, EventKind.ROUTED, quarter))


def expected_cases_accepted(world, quarter):
    return tally(world, _cases_with_event(world, EventKind.ACCEPTED, quarter))


def expected_referrals_declined(world, quarter):
    declines = [
        (e.case, {})
        for e in world.events
        if e.kind == EventKind.DECLINED and within(e.at, quarter)
    ]
    return tally(world, declines)


def _closed_in(world, quarter):
    """(case, its last closure event in the quarter), read from the timeline: a case
    reopened since was still closed then."""
    last = {}
    for e in sorted(world.events, key=lambda e: (e.at, e.pk)):
        if e.kind == EventKind.CLOSED and within(e.at, quarter):
            last[e.case_id] = e
    return [(event.case, event) for event in last.values()]


def expected_cases_closed(world, quarter):
    members = [(c, {"closure_reason": e.closure_reason}) for c, e in _closed_in(world, quarter)]
    return tally(world, members, {"closure_reason": ClosureReason.values})


def closed_at(world, case, moment) -> bool:
    """Whether `case` was closed at `moment`, replaying its closures and reopenings."""
    closed = False
    for e in sorted(world.events, key=lambda e: (e.at, e.pk)):
        if e.case_id == case.pk and e.at < moment:
            if e.kind == EventKind.CLOSED:
                closed = True
            elif e.kind == EventKind.REOPENED:
                closed = False
    return closed


def expected_cases_active_end(world, quarter):
    end = BOUNDS[quarter][1]
    active = [(c, {}) for c in world.cases if c.opened_at < end and not closed_at(world, c, end)]
    return tally(world, active)


def expected_median_hours_to_acceptance(world, quarter):
    accepted = [
        (c, hours_between(c.referral.received_at, c.accepted_at))
        for c in world.cases
        if within(c.accepted_at, quarter)
    ]
    return medians(world, accepted)


def expected_median_days_open(world, quarter):
    closed = [(c, hours_between(c.opened_at, e.at) / 24) for c, e in _closed_in(world, quarter)]
    return medians(world, closed)


def expected_step_on_time_pct(world, quarter):
    due = [
        (
            s.case,
            s.definition.key,
            s.status == StepStatus.DONE and s.completed_at <= s.due_at,
        )
        for s in counted_steps(world)
        if within(s.due_at, quarter)
    ]
    return shares(world, due)


def overdue_at(step, end):
    """Due before `end` and neither done, skipped nor set aside by a closure before it."""
    if step.due_at is None or step.due_at >= end:
        return False
    if step.status in (StepStatus.DONE, StepStatus.SKIPPED) and step.completed_at < end:
        return False
    closed_at = step.case.closed_at
    return not (step.closed_with_case and closed_at is not None and closed_at < end)


def expected_steps_overdue_end(world, quarter):
    end = BOUNDS[quarter][1]
    overdue = [
        (s.case, {"step": s.definition.key}) for s in counted_steps(world) if overdue_at(s, end)
    ]
    return tally(world, overdue, {"step": world.step_keys})


EXPECTED = {
    "referrals_received": expected_referrals_received,
    "cases_opened": expected_cases_opened,
    "cases_routed": expected_cases_routed,
    "cases_accepted": expected_cases_accepted,
    "referrals_declined": expected_referrals_declined,
    "cases_closed": expected_cases_closed,
    "cases_active_end": expected_cases_active_end,
    "median_hours_to_acceptance": expected_median_hours_to_acceptance,
    "median_days_open": expected_median_days_open,
    "step_on_time_pct": expected_step_on_time_pct,
    "steps_overdue_end": expected_steps_overdue_end,
}


# --- The tests ----------------------------------------------------------------------


@pytest.mark.parametrize("quarter", QUARTERS)
@pytest.mark.parametrize("metric", CASE_METRICS)
def test_every_figure_equals_the_independent_computation(world, metric, quarter):
    assert world.figures(quarter, metric) == EXPECTED[metric](world, quarter)


@pytest.mark.parametrize("quarter", QUARTERS)
def test_each_run_succeeded_and_wrote_exactly_the_quarter_figures(world, quarter):
    run = world.runs[quarter]
    run.refresh_from_db()
    written = Figure.objects.filter(quarter=quarter)

    assert run.status == RollupStatus.SUCCEEDED, run.error
    assert run.as_of == min(BOUNDS[quarter][1], ROLLED_UP_AT)
    assert run.figures_written == written.count() > 0
    assert set(written.values_list("run_id", flat=True)) == {run.pk}
    # Every case metric, the training ones (tests/training/test_metrics.py) and the need
    # and provider ones (tests/cases/test_need_metrics.py).
    training = {"trainings_delivered", "people_trained", "training_hours", "counties_reached"}
    needs = {"needs_identified", "needs_met", "needs_unmet", "needs_unavailable"}
    needs.add("providers_active")
    assert set(written.values_list("metric", flat=True)) == {*CASE_METRICS, *training, *needs}


# Hand-worked from the stories above (not from running the code): the independent
# computation and the rollup must both agree with them.
def test_worked_numbers_for_2026q1(world):
    state = ("state", None, None, None)
    region2 = ("region", Region.objects.get(number=2).pk, None, None)
    region5 = ("region", Region.objects.get(number=5).pk, None, None)
    menominee = Tribe.objects.get(name=MENOMINEE)
    tribe = ("tribe", menominee.primary_region_id, None, menominee.pk)

    def figure(metric, place, dimension="", category=""):
        return world.figures("2026Q1", metric)[(*place, dimension, category)]

    # Blake to Oakley, less Emery: Arden came at 23:59 on 31 December, Emery at 00:00 on
    # 1 April; Dakota's 23:30 on 31 March (04:30 UTC on 1 April) is in.
    assert figure("referrals_received", state) == (12, None)
    # Oakley (11) and Dakota (11 in Wisconsin on 31 March; 12 on the UTC date)
    assert figure("referrals_received", state, "age_band", "under_12") == (2, None)
    # Cedar on her 12th birthday, Finley 14, Indigo 13, Jules and Noor estimated
    assert figure("referrals_received", state, "age_band", "12_14") == (5, None)
    # Blake (estimated 17), Harper 16, Kai on his 15th birthday, Morgan 17
    assert figure("referrals_received", state, "age_band", "15_17") == (4, None)
    assert figure("referrals_received", state, "age_band", "18_plus") == (1, None)
    assert figure("referrals_received", state, "screening_outcome", NOT_SCREENED) == (2, None)
    assert figure("cases_opened", state) == (13, None)  # with Arden, logged at 00:10
    assert figure("cases_routed", state) == (8, None)  # Blake's three routings count once
    assert figure("referrals_declined", state) == (3, None)  # Blake twice, Cedar once
    # Harper once, by her last closure; Quinn, though reopened since
    assert figure("cases_closed", state) == (7, None)
    assert figure("cases_closed", state, "closure_reason", "moved") == (1, None)
    assert figure("cases_closed", state, "closure_reason", "services_completed") == (2, None)
    assert figure("cases_active_end", state) == (8, None)
    # 11 (Indigo, over the change), 24, 24, 24, 34, 96, 528 hours
    assert figure("median_hours_to_acceptance", state) == (24.0, 7)
    assert figure("median_hours_to_acceptance", region2) == ((34 + 96) / 2, 4)
    assert figure("median_hours_to_acceptance", region5) == (24.0, 3)
    assert figure("median_hours_to_acceptance", tribe) == (24.0, 2)


def test_the_data_set_reaches_every_scope_and_dimension(world):
    """Guards the data set: the comparisons above are not all zeros and empty medians."""
    outagamie = County.objects.get(name="Outagamie")
    menominee = Tribe.objects.get(name=MENOMINEE)
    places = [
        ("state", None, None, None),
        ("region", outagamie.region_id, None, None),
        ("county", outagamie.region_id, outagamie.pk, None),
        ("tribe", menominee.primary_region_id, None, menominee.pk),
    ]
    referrals = expected_referrals_received(world, "2026Q1")
    for place in places:
        assert referrals[(*place, "", "")][0] > 0, place
        for dimension in REFERRAL_CATEGORIES:
            assert any(
                referrals[(*place, dimension, category)][0]
                for category in REFERRAL_CATEGORIES[dimension]
            ), (place, dimension)
    for metric in CASE_METRICS:
        expected = EXPECTED[metric](world, "2026Q1")
        for place in places:
            assert expected[(*place, "", "")][0], (metric, place)
    closed = expected_cases_closed(world, "2026Q1")
    assert sum(closed[(*places[0], "closure_reason", r)][0] > 0 for r in C.values) >= 4
    hours = expected_median_hours_to_acceptance(world, "2026Q1")
    sizes = {n for value, n in hours.values() if n}
    assert {n % 2 for n in sizes} == {0, 1}  # an even and an odd number of cases
    on_time = expected_step_on_time_pct(world, "2026Q1")
    value, due = on_time[(*places[0], "", "")]
    assert 0 < value < 100
    assert due > 10
    steps = {s.definition.key: s for s in counted_steps(world) if within(s.due_at, "2026Q1")}
    assert {"intake", "le_notification", "tribal_notice", "follow_up"} <= set(steps)
    statuses = {s.status for s in counted_steps(world) if within(s.due_at, "2026Q1")}
    assert statuses >= {StepStatus.DONE, StepStatus.SKIPPED, StepStatus.PENDING}
    assert any(s.closed_with_case for s in counted_steps(world) if within(s.due_at, "2026Q1"))
    assert any(
        s.status == StepStatus.NOT_APPLICABLE and not s.closed_with_case for s in world.steps
    )
    overdue = expected_steps_overdue_end(world, "2026Q1")
    assert overdue[(*places[0], "", "")][0] > 0


@pytest.mark.django_db
def test_closures_logged_before_the_field_take_their_reason_from_the_text(make_case):
    """Migration 0006 reads the closure reason back from the event's text."""
    migration = importlib.import_module("cases.migrations.0006_closure_reason_on_event")
    case = make_case(county="Outagamie", status="closed")
    event = case.events.get(kind=EventKind.CLOSED)
    assert event.closure_reason == case.closure_reason != ""
    # As it ran: before migration 0009 made the timeline append-only.
    with audit_rewrite_allowed():
        CaseEvent.objects.filter(pk=event.pk).update(closure_reason="")
        migration.closure_reasons_from_text(django_apps, None)

    event.refresh_from_db()
    assert event.closure_reason == case.closure_reason
