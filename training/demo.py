"""Demo trainings for `make run` (seed_demo calls `demo_trainings_create`). Development only.

About 80 delivered trainings across the seven regions over the last six quarters, eight
planned in the coming weeks and three cancelled, logged through training.services as
each region's hub specialist. The titles, venues and counts are made up; venues are
named after the county or tribe, never after a person. A few counties are deliberately
never reached (`UNREACHED`), so the coverage page has gaps to show.
"""

import contextlib
import dataclasses
import datetime
import itertools
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from regions.demo import PERSONAS
from regions.models import Agency, AgencyKind, County, Hub, Membership, Region, Role, Tribe
from regions.quarters import Quarter
from regions.services import membership_grant, membership_revoke
from training.models import Training, TrainingChange
from training.services import TrainingInput, training_cancel, training_create

# The account cases' seed_demo acts as in the regions no persona works in (its hub
# memberships are granted for the run and revoked at the end).
DEMO_LOADER = "demo.loader"

# Delivered trainings per region over the six quarters (80 in all).
DELIVERED = {1: 10, 2: 18, 3: 10, 4: 11, 5: 14, 6: 10, 7: 7}
QUARTERS = 6
QUARTER_WEIGHTS = (2, 2, 3, 3, 3, 3)  # oldest first
# Counties no demo training ever reaches: the gaps the coverage page shows.
UNREACHED = {
    1: ("Iron",),
    2: ("Green Lake", "Marquette"),
    3: ("Florence", "Forest"),
    4: ("Pepin",),
}
# Where the personas work: more trainings there, so their pages are full.
BUSY_COUNTIES = {2: ("Outagamie", "Brown", "Winnebago"), 5: ("Dane",)}
# A hub's virtual sessions sometimes reach a neighbouring region's counties.
NEIGHBOURS = {7: ("Waukesha", "Racine", "Ozaukee"), 5: ("Rock", "Jefferson")}
TRIBE_SHORT = {
    "Bad River Band of Lake Superior Chippewa": "Bad River",
    "Forest County Potawatomi Community": "Potawatomi",
    "Ho-Chunk Nation": "Ho-Chunk",
    "Lac Courte Oreilles Band of Lake Superior Chippewa": "Lac Courte Oreilles",
    "Lac du Flambeau Band of Lake Superior Chippewa": "Lac du Flambeau",
    "Menominee Indian Tribe of Wisconsin": "Menominee",
    "Oneida Nation": "Oneida",
    "Red Cliff Band of Lake Superior Chippewa": "Red Cliff",
    "Sokaogon Chippewa Community (Mole Lake)": "Mole Lake",
    "St. Croix Chippewa Indians of Wisconsin": "St. Croix Chippewa",
    "Stockbridge-Munsee Community": "Stockbridge-Munsee",
}


@dataclasses.dataclass(frozen=True)
class Audience:
    titles: tuple[str, ...]
    venues: tuple[str, ...]  # "{county}" or "{tribe}" filled in
    # (sector, fewest, most): the audience's own sector first, then others who may come.
    sectors: tuple[tuple[str, int, int], ...]
    topics: tuple[str, ...]
    starts: tuple[datetime.time, ...] = (datetime.time(9), datetime.time(13))
    youth: bool = False  # the attendees counted as youth are the "youth" sector's


MORNING, AFTERNOON, EVENING = datetime.time(9), datetime.time(13, 30), datetime.time(18, 30)
AUDIENCES = [
    Audience(
        (
            "Recognising trafficking: what school staff see",
            "Online enticement and sextortion: a briefing for school counselors",
            "Back-to-school in-service: indicators and the Response Protocol",
        ),
        ("{county} High School library", "{county} County CESA office"),
        (("education", 15, 60), ("community", 0, 4)),
        ("awareness", "indicators", "response_protocol", "prevention"),
        (datetime.time(8), AFTERNOON),
    ),
    Audience(
        (
            "Trafficking indicators on patrol: roll-call training",
            "Interviewing youth who may be trafficked: a trauma-informed approach",
            "The Response Protocol for law enforcement: who to call and when",
        ),
        (
            "{county} County Sheriff's Office training room",
            "{county} County Public Safety Building",
        ),
        (("law_enforcement", 8, 35), ("child_welfare", 0, 5)),
        ("indicators", "response_protocol", "trauma_informed"),
        (datetime.time(7), MORNING),
    ),
    Audience(
        (
            "Trafficking in the emergency department: indicators and a safe response",
            "Trauma-informed care for youth who have been trafficked",
        ),
        ("{county} Memorial Hospital conference room", "{county} County community health clinic"),
        (("health_care", 12, 45), ("child_welfare", 0, 3)),
        ("indicators", "trauma_informed", "response_protocol"),
        (datetime.time(12), AFTERNOON),
    ),
    Audience(
        (
            "Front desk awareness: trafficking in hotels and motels",
            "Hotel housekeeping and security staff: what to notice, who to call",
        ),
        ("{county} County lodging association meeting", "Conference hotel, {county} County"),
        (("hospitality", 10, 50),),
        ("awareness", "indicators"),
        (datetime.time(10), datetime.time(14)),
    ),
    Audience(
        (
            "Labor and sex trafficking on the road: a briefing for drivers",
            "Truck stop and transit staff: recognising trafficking",
        ),
        ("Trucking firm driver meeting, {county} County", "Transit depot, {county} County"),
        (("transportation", 10, 40),),
        ("labor_trafficking", "indicators", "awareness"),
        (datetime.time(6, 30), AFTERNOON),
    ),
    Audience(
        (
            "Missing from care: trafficking risk and the Response Protocol",
            "Screening child welfare referrals for trafficking",
        ),
        ("{county} County Human Services", "{county} County Human Services training room"),
        (("child_welfare", 8, 30), ("tribal", 0, 3), ("law_enforcement", 0, 4)),
        ("response_protocol", "indicators", "trauma_informed"),
        (MORNING, AFTERNOON),
    ),
    Audience(
        (
            "What parents should know about online exploitation",
            "Faith communities and trafficking prevention",
            "Community awareness evening: trafficking in our county",
        ),
        ("{county} County public library", "Community centre, {county} County"),
        (("parents", 10, 40), ("faith", 0, 12), ("community", 2, 15)),
        ("awareness", "prevention"),
        (EVENING,),
    ),
    Audience(
        ("Healthy relationships and staying safe online: a youth session",),
        ("{county} County youth centre", "{county} Middle School gym"),
        (("youth", 15, 60), ("education", 1, 4)),
        ("prevention", "awareness"),
        (datetime.time(15, 30),),
        youth=True,
    ),
    Audience(
        ("Labor trafficking on farms and dairies: what employers and advocates see",),
        ("{county} County extension office",),
        (("community", 5, 20), ("other", 2, 10), ("law_enforcement", 0, 3)),
        ("labor_trafficking", "indicators"),
        (MORNING,),
    ),
]
TRIBAL_AUDIENCES = [
    Audience(
        (
            "Culturally specific prevention: trafficking and Native youth",
            "Strengthening our relatives: trafficking awareness for tribal programs",
        ),
        ("{tribe} community centre", "{tribe} tribal health center"),
        (("tribal", 8, 30), ("parents", 0, 10), ("health_care", 0, 6)),
        ("culturally_specific", "prevention", "awareness"),
        (MORNING, datetime.time(17, 30)),
    ),
    Audience(
        ("Casino hotel staff briefing: what to notice and who to call",),
        ("{tribe} casino hotel conference room",),
        (("hospitality", 15, 60), ("tribal", 2, 8)),
        ("awareness", "indicators", "culturally_specific"),
        (datetime.time(10), datetime.time(15)),
    ),
]
PRESENTERS = (
    "Wisconsin Department of Justice trainer",
    "Regional sexual assault service provider",
    "Survivor-leader consultant",
    "County victim-witness coordinator",
)
NOTES = (
    "Handouts: the Response Protocol one-pager and the hub's contact cards.",
    "The host asked for a follow-up session for staff who could not come.",
    "Several attendees took the hub's referral line; evaluations were positive.",
    "",
    "",
    "",
)
CANCEL_REASONS = (
    "The venue closed for a winter storm; to be rescheduled.",
    "Too few registrations; folded into the spring session.",
    "The presenter was unavailable; the school asked to move it to next semester.",
)


def demo_trainings_create(*, seed: int = 2017) -> int:
    """Add the demo trainings unless there are trainings already; returns how many were
    added (0 when skipped). Deterministic for a seed and a day."""
    if Training.objects.exists():
        return 0
    with transaction.atomic():
        return DemoTrainings(random.Random(seed)).create()  # noqa: S311 - synthetic data


class DemoTrainings:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.regions = {r.number: r for r in Region.objects.all()}
        unreached = {name for names in UNREACHED.values() for name in names}
        self.counties = {
            number: [c for c in County.objects.filter(region=r) if c.name not in unreached]
            for number, r in self.regions.items()
        }
        self.by_name = {c.name: c for c in County.objects.all()}
        self.tribes = {
            number: list(Tribe.objects.filter(primary_region=r).prefetch_related("counties"))
            for number, r in self.regions.items()
        }
        self.county_agency = {
            a.county_id: a for a in Agency.objects.filter(kind=AgencyKind.COUNTY_HUMAN_SERVICES)
        }
        self.tribe_agency = {
            a.tribe_id: a for a in Agency.objects.filter(kind=AgencyKind.TRIBAL_SOCIAL_SERVICES)
        }
        self.turns: dict[tuple, list] = {}
        self.actors = HubActors()

    def create(self) -> int:
        rng, created = self.rng, 0
        quarters = Quarter.current().back(QUARTERS)
        bounds = list(itertools.accumulate(QUARTER_WEIGHTS))
        for number, count in DELIVERED.items():
            # Spread over the quarters, more in recent ones (the hubs are growing); the
            # newest logged first, so that the places taken in turn are the recent ones.
            for position in reversed(range(count)):
                share = (position + 0.5) / count * bounds[-1]
                quarter = quarters[next(i for i, bound in enumerate(bounds) if share < bound)]
                day = self._weekday(
                    quarter.start.date(), min(quarter.end.date(), self.today + _DAY)
                )
                self._log(number, day, delivered=True)
                created += 1
        for number in (2, 2, 5, 5, 1, 3, 4, 6):
            self._log(number, self.today + datetime.timedelta(days=rng.randint(3, 56)))
            created += 1
        # The gap hub 2 means to close next: a planned training in a county never reached.
        self._log(2, self.today + datetime.timedelta(days=24), counties=["Green Lake"])
        created += 1
        for number, days, reason in zip((2, 5, 1), (-40, -75, 20), CANCEL_REASONS, strict=True):
            training = self._log(number, self.today + datetime.timedelta(days=days))
            cancelled_at = min(_at(training.date - datetime.timedelta(days=2)), self.now - _DAY)
            with _clock(cancelled_at):
                training_cancel(
                    actor=self.actors.of(self.regions[number]),
                    training_id=training.pk,
                    reason=reason,
                )
            created += 1
        self.actors.release()
        return created

    def _log(self, number: int, day: datetime.date, *, delivered=False, counties=None):
        rng = self.rng
        region = self.regions[number]
        tribe = None
        if self.tribes[number] and rng.random() < 0.25:
            tribe = self._in_turn(("tribe", number), self.tribes[number])
            audience = rng.choice(TRIBAL_AUDIENCES)
        else:
            audience = rng.choice(AUDIENCES)
        form = rng.choices(["in_person", "virtual", "hybrid"], weights=[13, 4, 3])[0]
        reached = [self.by_name[name] for name in counties] if counties else None
        reached = reached or self._counties(number, form, tribe)
        place = reached[0].name
        venue = rng.choice(audience.venues).format(
            county=place, tribe=TRIBE_SHORT.get(tribe.name, "") if tribe else ""
        )
        if form == "virtual":
            venue = f"Online, hosted by Hub {number}"
        partners = []
        if rng.random() < 0.3:
            agency = self.tribe_agency.get(tribe.pk) if tribe else None
            agency = agency or self.county_agency.get(reached[0].pk)
            partners = [agency] if agency else []
        by_hub = rng.random() < 0.9 or not partners
        presenters = rng.choice(PRESENTERS) if rng.random() < 0.15 or not by_hub else ""
        attendance, youth = {}, None
        if delivered:
            for sector, fewest, most in audience.sectors:
                count = rng.randint(fewest, most)
                if count:
                    attendance[sector] = count
            if audience.youth:
                youth = attendance.get("youth")
        data = TrainingInput(
            title=rng.choice(audience.titles),
            date=day,
            start_time=rng.choice(audience.starts),
            duration_hours=Decimal(rng.choice(["1", "1.5", "1.5", "2", "2", "3", "4", "6"])),
            format=form,
            topics=rng.sample(audience.topics, rng.randint(1, min(3, len(audience.topics)))),
            delivered_by_hub=by_hub,
            partner_agencies=partners,
            presenters=presenters,
            venue=venue,
            counties=reached,
            tribes=[tribe] if tribe else [],
            attendance=attendance,
            youth_attendees=youth,
            notes=rng.choice(NOTES) if delivered else "",
        )
        if delivered:  # logged a few days after it took place
            logged_at = _at(day + datetime.timedelta(days=rng.randint(1, 6)))
            logged_at = min(logged_at, self.now - datetime.timedelta(hours=1))
        else:  # planned a few weeks ahead (and before any cancellation)
            logged_at = _at(day - datetime.timedelta(days=rng.randint(14, 60)))
            logged_at = min(logged_at, self.now - 3 * _DAY)
        with _clock(logged_at):
            return training_create(actor=self.actors.of(region), region=region, data=data)

    def _counties(self, number: int, form: str, tribe: Tribe | None) -> list[County]:
        """The counties a training reached, its venue's first: a tribe's lands for a
        tribal training; else the region's counties in turn, the busy ones (where the
        personas work) often hosting."""
        rng, counties = self.rng, self.counties[number]
        reached = []
        if tribe is not None:
            lands = [c for c in tribe.counties.all() if c in counties]
            reached = [rng.choice(lands)] if lands else []
        if not reached:
            reached = [self._in_turn(("county", number), counties)]
            if number in BUSY_COUNTIES and rng.random() < 0.35:
                busy = self.by_name[rng.choice(BUSY_COUNTIES[number])]
                reached = [busy, *(c for c in reached if c != busy)]
        others = [c for c in counties if c not in reached]
        if form == "in_person":
            extra = 1 if others and len(reached) == 1 and rng.random() < 0.25 else 0
        else:
            extra = min(len(others), rng.randint(1, 3))
        reached += rng.sample(others, extra)
        if form == "virtual" and number in NEIGHBOURS and rng.random() < 0.5:
            reached.append(self.by_name[rng.choice(NEIGHBOURS[number])])
        return reached

    def _in_turn(self, key: tuple, places: list):
        """The next of `places`, each in turn (in a shuffled order), so few are missed."""
        if not self.turns.get(key):
            self.turns[key] = self.rng.sample(places, len(places))
        return self.turns[key].pop()

    def _weekday(self, start: datetime.date, end: datetime.date) -> datetime.date:
        """A working day from `start` to before `end` (`start` itself if there is none)."""
        days = [
            start + datetime.timedelta(days=n)
            for n in range((end - start).days)
            if (start + datetime.timedelta(days=n)).weekday() < 5
        ]
        return self.rng.choice(days) if days else start


class HubActors:
    """Who logs a region's trainings: its hub specialist persona where there is one (hubs
    2 and 5), else the demo loader account, made a hub specialist of the region for the
    run (the same account and approach as cases' seed_demo), then let go."""

    def __init__(self):
        user_model = get_user_model()
        personas = {
            u.username: u
            for u in user_model.objects.filter(username__in=[p.username for p in PERSONAS])
        }
        self.personas = {
            p.hub: personas[p.username] for p in PERSONAS if p.hub and p.username in personas
        }
        self.loader = None

    def of(self, region: Region):
        if region.number in self.personas:
            return self.personas[region.number]
        if self.loader is None:
            self.loader, _ = get_user_model().objects.get_or_create(
                username=DEMO_LOADER, defaults={"first_name": "Demo", "last_name": "Loader"}
            )
            self.loader.set_unusable_password()
            # Only an active account holds object permissions; it never signs in.
            self.loader.is_active = True
            self.loader.save()
        hub = Hub.objects.get(region=region)
        if not Membership.objects.active().filter(user=self.loader, hub=hub).exists():
            membership_grant(user=self.loader, role=Role.HUB_SPECIALIST, hub=hub)
        return self.loader

    def release(self) -> None:
        if self.loader is None:
            return
        for membership in Membership.objects.active().filter(user=self.loader):
            membership_revoke(membership=membership)
        self.loader.is_active = False
        self.loader.save(update_fields=["is_active"])


_DAY = datetime.timedelta(days=1)


def _at(day: datetime.date) -> datetime.datetime:
    """Mid-morning, Wisconsin time, on `day`."""
    return datetime.datetime.combine(
        day, datetime.time(10), tzinfo=timezone.get_current_timezone()
    )


@contextlib.contextmanager
def _clock(moment: datetime.datetime):
    """Demo only: what is written inside is stamped as logged at `moment` (the training
    and its change row; the change rows are append-only, so they are stamped as they are
    written, never moved afterwards)."""

    def stamp(sender, instance, **kwargs):
        if sender is Training:
            if instance._state.adding:
                instance.created_at = moment
            instance.updated_at = moment
        elif instance._state.adding:
            instance.at = moment

    for model in (Training, TrainingChange):
        pre_save.connect(stamp, sender=model, dispatch_uid=f"demo-clock-{model.__name__}")
    try:
        yield
    finally:
        for model in (Training, TrainingChange):
            pre_save.disconnect(sender=model, dispatch_uid=f"demo-clock-{model.__name__}")
