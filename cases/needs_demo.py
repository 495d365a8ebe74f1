"""Demo service needs on the demo cases (seed_demo calls `demo_needs_create` once the demo
directory is there). Development only.

Most cases past screening (screened as at risk, suspected or confirmed) get one to four
needs, recorded through cases.services as the case's hub specialist or, once an agency
has accepted the case, as the agency's persona where there is one. What became of each
need depends on the case's stage (at the hub: identified or referred; at the agency:
referred, receiving, completed; closed: mostly completed) and on the directory: a
directory provider serving the case's county, of the youth's age (and language, for
interpretation), or "unavailable" with the reason the directory's gaps give
(regions.directory_demo): none in reach, no capacity, age or language. Some are declined
by the youth or family, some waitlisted.

Each need is identified after the case was screened (or accepted, for the agency's) and
before it closed, never in the future; its timeline events are stamped at those times.
A closed case's needs are written as they were before it closed (see `_as_before_closing`).
"""

import contextlib
import dataclasses
import datetime
import random
from collections.abc import Callable, Iterator

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CaseEvent,
    EventKind,
    NeedStatus,
    ScreeningOutcome,
    ServiceNeed,
    Status,
    UnavailableReason,
    Youth,
)
from regions.demo import PERSONAS
from regions.directory_demo import OFTEN_FULL
from regions.models import Membership, Provider, Region, Role, ServiceType

S = NeedStatus
R = UnavailableReason

# How often each service is needed (interpretation and culturally specific services are
# drawn for the youth who speak another language or belong to a tribe).
NEED_WEIGHTS = {
    "mental_health": 12,
    "victim_advocacy": 9,
    "shelter": 6,
    "medical": 6,
    "substance_use": 5,
    "legal_advocacy": 4,
    "education_support": 4,
    "basic_needs": 4,
    "family_support": 4,
    "peer_mentoring": 3,
    "sexual_assault_exam": 2,
    "transportation": 2,
    "employment": 3,
    "immigration_legal": 1,
}
# What became of a need a provider could meet, by the case's stage: (statuses in order,
# weight). The first status is the one it was identified with.
PATHS = {
    "hub": [
        ((S.IDENTIFIED,), 30),
        ((S.REFERRED,), 40),
        ((S.REFERRED, S.WAITLISTED), 10),
        ((S.IDENTIFIED, S.DECLINED), 10),
        ((S.IDENTIFIED, S.REFERRED), 10),
    ],
    "agency": [
        ((S.REFERRED,), 15),
        ((S.REFERRED, S.RECEIVING), 35),
        ((S.REFERRED, S.RECEIVING, S.COMPLETED), 20),
        ((S.REFERRED, S.WAITLISTED), 10),
        ((S.IDENTIFIED, S.DECLINED), 8),
        ((S.REFERRED, S.DECLINED), 5),
        ((S.IDENTIFIED,), 7),
    ],
    "closed": [
        ((S.REFERRED, S.RECEIVING, S.COMPLETED), 55),
        ((S.REFERRED, S.RECEIVING), 8),
        ((S.IDENTIFIED, S.DECLINED), 12),
        ((S.REFERRED, S.DECLINED), 8),
        ((S.REFERRED,), 10),
        ((S.REFERRED, S.WAITLISTED), 7),
    ],
}
WITH_PROVIDER = (S.REFERRED, S.RECEIVING, S.COMPLETED, S.WAITLISTED)
# Providers outside the directory a worker sometimes names instead.
NAMED = {
    "mental_health": "Private therapist the family already sees",
    "education_support": "School district counselor",
    "medical": "The youth's own pediatrician",
    "basic_needs": "Church food pantry in the youth's town",
}
UNAVAILABLE_NOTES = {
    R.NONE_IN_REACH: (
        "No provider serves the youth's county; the nearest is over two hours away.",
        "Nothing in reach; the hub asked the neighbouring regions.",
    ),
    R.NO_CAPACITY: ("Every bed taken; the hub is calling daily.", "No openings this month."),
    R.AGE: ("The programmes in reach do not take youth of this age.",),
    R.LANGUAGE: (
        "No interpreter for the family's language in the region.",
        "No interpreter in the family's language; a relative translates for now.",
    ),
}
NOTES = {
    S.DECLINED: ("The youth said no for now; offered again at the next visit.", ""),
    S.WAITLISTED: ("On the waitlist; a start expected in about three weeks.", ""),
    S.REFERRED: ("Referral sent with the guardian's consent.", "", ""),
}
# Cases past screening that have no need recorded (yet): a few.
WITHOUT_NEEDS = 0.12
HOUR = datetime.timedelta(hours=1)


def demo_needs_create(*, hub_actor: Callable[[Region], AbstractBaseUser], seed: int = 2017) -> int:
    """Add needs to the cases past screening unless any case has needs already; returns how
    many were added (0 when skipped). `hub_actor(region)` is a hub specialist of the region
    for the run (seed_demo passes training's HubActors). Deterministic for a seed, a day
    and the same cases."""
    if ServiceNeed.objects.exists():
        return 0
    return DemoNeeds(random.Random(seed), hub_actor).create()  # noqa: S311 - synthetic data


@dataclasses.dataclass(frozen=True)
class Outcome:
    statuses: tuple[str, ...]
    provider: Provider | None = None
    provider_name: str = ""
    reason: str = ""


class DemoNeeds:
    def __init__(self, rng: random.Random, hub_actor: Callable[[Region], AbstractBaseUser]):
        self.rng = rng
        self.hub_actor = hub_actor
        self.now = timezone.now()
        self.services = {s.key: s for s in ServiceType.objects.all()}
        # (service key, county id) -> the active providers offering it there.
        self.offering: dict[tuple[str, int], list[Provider]] = {}
        for provider in Provider.objects.filter(active=True).prefetch_related(
            "service_types", "counties"
        ):
            for service in provider.service_types.all():
                for county in provider.counties.all():
                    self.offering.setdefault((service.key, county.pk), []).append(provider)
        personas = get_user_model().objects.filter(username__in=[p.username for p in PERSONAS])
        self.agency_actor = {
            m.agency_id: m.user
            for m in Membership.objects.active()
            .filter(user__in=personas, role=Role.AGENCY_STAFF)
            .select_related("user")
        }
        self.hub_actors: dict[int, AbstractBaseUser] = {}
        self.moment = self.now

    def create(self) -> int:
        indicated = [o for o in ScreeningOutcome.values if o != ScreeningOutcome.NOT_INDICATED]
        cases = (
            Case.objects.filter(screening_outcome__in=indicated, screened_at__isnull=False)
            .exclude(status=Status.RECEIVED)
            .select_related("youth", "referral", "region")
            .order_by("number")
        )
        created = 0
        with transaction.atomic(), self._clock():  # one commit: SQLite syncs on each
            for case in cases:
                if self.rng.random() < WITHOUT_NEEDS:
                    continue
                created += self._needs_of(case)
        return created

    def _needs_of(self, case: Case) -> int:
        rng = self.rng
        at_agency = case.accepted_at is not None and case.agency_id is not None
        stage = "closed" if not case.is_open else "agency" if at_agency else "hub"
        start = case.accepted_at if at_agency else case.screened_at
        end = (
            case.closed_at - HOUR if case.closed_at else self.now - datetime.timedelta(minutes=10)
        )
        if end <= start:
            return 0
        actor = self.agency_actor.get(case.agency_id) if at_agency else None
        if actor is None:
            if case.region_id not in self.hub_actors:
                self.hub_actors[case.region_id] = self.hub_actor(case.region)
            actor = self.hub_actors[case.region_id]
        span = end - start
        created = 0
        with _as_before_closing(case):
            for key in self._draw(case):
                # Identified in the first weeks, most often; then what became of it.
                self.moment = start + min(span, datetime.timedelta(days=30)) * rng.random() ** 2
                day = timezone.localdate(self.moment)
                outcome = self._outcome(case, key, day, stage)
                need = services.need_identify(
                    case_id=case.pk,
                    actor=actor,
                    service_type=self.services[key],
                    identified_on=day,
                    status=outcome.statuses[0],
                    reason=outcome.reason if outcome.statuses[0] == S.UNAVAILABLE else "",
                    **self._provider_of(outcome, outcome.statuses[0]),
                    notes=self._note(outcome, outcome.statuses[0]),
                )
                for status in outcome.statuses[1:]:
                    self.moment += datetime.timedelta(hours=rng.randint(24, 21 * 24))
                    if self.moment > end:
                        break  # not yet (or not before the case closed)
                    services.need_update(
                        case_id=case.pk,
                        need_id=need.pk,
                        actor=actor,
                        status=status,
                        reason=outcome.reason if status == S.UNAVAILABLE else "",
                        **self._provider_of(outcome, status),
                        notes=self._note(outcome, status) or None,
                    )
                created += 1
        return created

    def _draw(self, case: Case) -> list[str]:
        """The services a youth needs: those of their language, tribe and county first."""
        rng, youth = self.rng, case.youth
        keys = []
        if youth.tribe_id and rng.random() < 0.6:
            keys.append("culturally_specific")
        others = _other_languages(youth)
        # Most often for a youth whose first language is not English; else for the family.
        if others and rng.random() < (0.7 if youth.languages.startswith(others[0]) else 0.25):
            keys.append("interpretation")
        if not self.offering.get(("substance_use", case.county_id)) and rng.random() < 0.4:
            keys.append("substance_use")  # where there is none, it shows
        wanted = max(len(keys), rng.choices([1, 2, 3, 4], weights=[3, 4, 2, 1])[0])
        while len(keys) < wanted:
            key = rng.choices(list(NEED_WEIGHTS), weights=list(NEED_WEIGHTS.values()))[0]
            if key not in keys:
                keys.append(key)
        return keys

    def _outcome(self, case: Case, key: str, day: datetime.date, stage: str) -> Outcome:
        rng, youth = self.rng, case.youth
        unavailable = (S.IDENTIFIED, S.UNAVAILABLE) if rng.random() < 0.5 else (S.UNAVAILABLE,)
        offering = self.offering.get((key, case.county_id), [])
        if not offering:
            return Outcome(unavailable, reason=R.NONE_IN_REACH)
        if key == "interpretation":
            spoken = {language.casefold() for language in _other_languages(youth)}
            offering = [p for p in offering if spoken & _languages(p)]
            if not offering:
                return Outcome(unavailable, reason=R.LANGUAGE)
        age = _age_on(youth, case, day)
        offering = [
            p
            for p in offering
            if (p.min_age is None or p.min_age <= age) and (p.max_age is None or age <= p.max_age)
        ]
        if not offering:
            return Outcome(unavailable, reason=R.AGE)
        provider = rng.choice(offering)
        if all(p.name in OFTEN_FULL for p in offering):
            full = rng.random()
            if full < 0.4:
                return Outcome(unavailable, reason=R.NO_CAPACITY)
            if full < 0.7:
                return Outcome((S.IDENTIFIED, S.WAITLISTED), provider)
        statuses = rng.choices(
            [path for path, _ in PATHS[stage]], weights=[w for _, w in PATHS[stage]]
        )[0]
        if key in NAMED and rng.random() < 0.15:
            return Outcome(statuses, provider_name=NAMED[key])
        return Outcome(statuses, provider)

    def _provider_of(self, outcome: Outcome, status: str) -> dict:
        """The provider the need names at this status: none before a referral or when the
        service was unavailable; kept once referred (declined after a referral included)."""
        referred = status in WITH_PROVIDER or (
            status == S.DECLINED and outcome.statuses[0] == S.REFERRED
        )
        if not referred:
            return {"provider": None, "provider_name": ""}
        return {"provider": outcome.provider, "provider_name": outcome.provider_name}

    def _note(self, outcome: Outcome, status: str) -> str:
        if status == S.UNAVAILABLE:
            return self.rng.choice(UNAVAILABLE_NOTES[outcome.reason])
        return self.rng.choice(NOTES.get(status, ("",)))

    @contextlib.contextmanager
    def _clock(self) -> Iterator[None]:
        """Demo only: each need and its timeline events are stamped at `self.moment`, the
        time they would have been recorded at (the timeline is append-only: an event is
        stamped as it is written, never moved afterwards)."""

        def stamp(sender, instance, **kwargs):
            if sender is CaseEvent:
                if instance._state.adding:
                    instance.at = self.moment
                return
            if instance._state.adding:
                instance.created_at = self.moment
            instance.updated_at = self.moment

        for model in (CaseEvent, ServiceNeed):
            pre_save.connect(stamp, sender=model, dispatch_uid=f"demo-needs-{model.__name__}")
        try:
            yield
        finally:
            for model in (CaseEvent, ServiceNeed):
                pre_save.disconnect(sender=model, dispatch_uid=f"demo-needs-{model.__name__}")


@contextlib.contextmanager
def _as_before_closing(case: Case) -> Iterator[None]:
    """Demo only: a closed case's needs were recorded while it was open, but the demo
    cases are all written before their needs, and the services refuse a closed case. For
    the writes, the case is back at the status it closed from (its timeline says which),
    then closed again; its closure, dates and events are untouched."""
    if case.is_open:
        yield
        return
    closing = case.events.filter(kind=EventKind.CLOSED).order_by("-at", "-id").first()
    Case.objects.filter(pk=case.pk).update(status=closing.from_status)
    try:
        yield
    finally:
        Case.objects.filter(pk=case.pk).update(status=Status.CLOSED)


def _other_languages(youth: Youth) -> list[str]:
    """The youth's (or family's) languages other than English: "Hmong, English" -> ["Hmong"]."""
    parts = [p.strip() for p in youth.languages.replace(";", ",").split(",")]
    return [p for p in parts if p and p.casefold() != "english"]


def _languages(provider: Provider) -> set[str]:
    return {p.strip().casefold() for p in provider.languages.split(";") if p.strip()}


def _age_on(youth: Youth, case: Case, day: datetime.date) -> int:
    born = youth.date_of_birth
    if born is None:  # the estimate was for the day the referral came in
        received = timezone.localdate(case.referral.received_at)
        return (youth.estimated_age or 15) + (day - received).days // 365
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
