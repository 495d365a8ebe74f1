import contextlib
import datetime
import random
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from cases import services
from cases.models import (
    Case,
    CaseEvent,
    CaseStep,
    ClosureReason,
    EventKind,
    Gender,
    Indicator,
    RaceEthnicity,
    ReferralSource,
    ScreeningOutcome,
    Status,
    StepStatus,
    SuspectedExploitation,
)
from cases.needs_demo import demo_needs_create
from hubnet.env import env_str
from protocols.models import FieldKind, Owner
from regions.demo import PERSONAS, personas_ensure
from regions.directory_demo import demo_directory_create
from regions.models import Agency, AgencyKind, County, Hub, Membership, Provider, Region, Role
from regions.services import membership_grant, membership_revoke
from training.demo import HubActors, demo_trainings_create

# Synthetic names only: common given names and surnames, combined at random.
FIRST_NAMES = [
    "Aaliyah",
    "Abigail",
    "Aiden",
    "Alexis",
    "Amara",
    "Andre",
    "Ava",
    "Brianna",
    "Caleb",
    "Camila",
    "Carlos",
    "Chloe",
    "Daniel",
    "Destiny",
    "Elijah",
    "Emma",
    "Gabriel",
    "Grace",
    "Hailey",
    "Isabella",
    "Jada",
    "Jayden",
    "Jordan",
    "Julia",
    "Kayla",
    "Keanu",
    "Leah",
    "Liam",
    "Lily",
    "Lucas",
    "Madison",
    "Maya",
    "Mia",
    "Noah",
    "Nevaeh",
    "Olivia",
    "Paige",
    "Riley",
    "Samantha",
    "Sofia",
    "Taylor",
    "Trinity",
    "Tyler",
    "Victoria",
    "Xavier",
    "Zoe",
]
LAST_NAMES = [
    "Anderson",
    "Baker",
    "Bear",
    "Brooks",
    "Carter",
    "Cloud",
    "Cruz",
    "Davis",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Green",
    "Hall",
    "Harris",
    "Hernandez",
    "Jackson",
    "Johnson",
    "Kowalski",
    "Larsen",
    "Lee",
    "Lopez",
    "Martin",
    "Miller",
    "Moore",
    "Nelson",
    "Nguyen",
    "Olson",
    "Peters",
    "Reed",
    "Rivera",
    "Schmidt",
    "Smith",
    "Thao",
    "Thomas",
    "Vang",
    "Walker",
    "White",
    "Williams",
    "Wilson",
    "Xiong",
    "Young",
]
NARRATIVES = [
    "School counselor reports the student has been absent for two weeks and was seen being "
    "picked up by an older adult in a different car each time.",
    "Officer responded to a hotel welfare check; youth gave a false age and had several "
    "prepaid cards and a phone she could not explain.",
    "Foster parent reports the youth ran away for the third time this year and returned with "
    "new clothes and jewelry.",
    "Clinic nurse noted repeated STI testing and a tattoo the youth would not explain.",
    "Hotline call from a relative worried about an online relationship with an adult the "
    "family has never met.",
    "Youth disclosed to an outreach worker that a work crew leader holds his ID and says he "
    "owes a debt for travel.",
    "Community organisation reports the youth is staying with an older boyfriend who answers "
    "for her and will not leave her alone.",
]
STATUS_MIX = [
    (Status.RECEIVED, 10),
    (Status.SCREENED, 10),
    (Status.ROUTED, 15),
    (Status.DECLINED, 5),
    (Status.ACCEPTED, 15),
    (Status.ACTIVE, 30),
    (Status.CLOSED, 15),
]
DEMO_LOADER = "demo.loader"


class Command(BaseCommand):
    help = (
        "Create the demo personas (synthetic people, password from HUBNET_DEMO_PASSWORD or "
        "generated and printed) and about 360 synthetic cases across all regions and "
        "statuses. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a server holding real records.",
        )
        parser.add_argument("--cases", type=int, default=360, help="How many demo cases.")
        parser.add_argument("--seed", type=int, default=2017, help="Random seed.")

    def handle(self, *args, force=False, cases=360, seed=2017, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a shared password and refuses to run with "
                "DEBUG off. Use --force only on a throw-away database."
            )
        password = env_str("HUBNET_DEMO_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        usernames = personas_ensure(password=password)
        self.stdout.write(self.style.SUCCESS(f"Demo personas ready: {', '.join(usernames)}"))
        if generated:
            self.stdout.write(
                "Password for all of them (generated; set HUBNET_DEMO_PASSWORD to choose): "
                f"{password}"
            )
        else:
            self.stdout.write("Password: the value of HUBNET_DEMO_PASSWORD.")

        existing = Case.objects.count()
        if existing:
            self.stdout.write(f"{existing} cases already present; no demo cases added.")
            self._trainings(seed)
            if not Provider.objects.exists():
                self._directory(seed)
            return
        created = DemoCases(random.Random(seed)).create(cases)  # noqa: S311 - synthetic data
        self.stdout.write(self.style.SUCCESS(f"Created {created} synthetic demo cases."))
        self._trainings(seed)
        self._directory(seed)

    def _trainings(self, seed):
        created = demo_trainings_create(seed=seed)  # none when trainings exist
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {created} demo trainings."))

    def _directory(self, seed):
        # As each region's hub specialist: training's HubActors (the personas, else the
        # demo loader account, a hub specialist for the run only).
        actors = HubActors()
        try:
            providers = demo_directory_create(hub_actor=actors.of, seed=seed)
            needs = demo_needs_create(hub_actor=actors.of, seed=seed)
        finally:
            actors.release()
        if providers:
            self.stdout.write(self.style.SUCCESS(f"Created {providers} directory providers."))
        if needs:
            self.stdout.write(self.style.SUCCESS(f"Recorded {needs} needs on the demo cases."))


class DemoCases:
    """Builds demo cases through the real services, acting as the personas where they exist
    and as an inactive loader account elsewhere (its memberships revoked at the end)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        user_model = get_user_model()
        self.loader, _ = user_model.objects.get_or_create(
            username=DEMO_LOADER, defaults={"first_name": "Demo", "last_name": "Loader"}
        )
        self.loader.set_unusable_password()
        self.loader.is_active = False
        self.loader.save()
        self.personas = {
            u.username: u
            for u in user_model.objects.filter(username__in=[p.username for p in PERSONAS])
        }
        self.hub_actor = {p.hub: self.personas[p.username] for p in PERSONAS if p.hub}
        self.agency_actor = {}
        for membership in Membership.objects.active().filter(
            user__in=self.personas.values(), role__in=[Role.AGENCY_STAFF]
        ):
            self.agency_actor[membership.agency_id] = membership.user
        self.indicators = list(Indicator.objects.filter(active=True))
        # The timeline's times come from a copy of the generator, so that drawing them
        # does not change the cases themselves.
        self.clock_rng = random.Random()  # noqa: S311 - synthetic data
        self.clock_rng.setstate(rng.getstate())

    def _hub_user(self, region: Region):
        if region.number in self.hub_actor:
            return self.hub_actor[region.number]
        hub = Hub.objects.get(region=region)
        if not Membership.objects.active().filter(user=self.loader, hub=hub).exists():
            membership_grant(user=self.loader, role=Role.HUB_SPECIALIST, hub=hub)
        return self.loader

    def _agency_user(self, agency: Agency):
        if agency.pk in self.agency_actor:
            return self.agency_actor[agency.pk]
        if not Membership.objects.active().filter(user=self.loader, agency=agency).exists():
            membership_grant(user=self.loader, role=Role.AGENCY_STAFF, agency=agency)
        return self.loader

    def create(self, count: int) -> int:
        regions = list(Region.objects.all())
        counties = {r.pk: list(County.objects.filter(region=r)) for r in regions}
        now = timezone.now()
        for index in range(count):
            # Hubs 2 and 5 get more cases, so the personas have full caseloads.
            region = self.rng.choice([*regions, regions[1], regions[1], regions[4]])
            with transaction.atomic():
                self._one_case(index, region, counties[region.pk], now)
        for membership in Membership.objects.active().filter(user=self.loader):
            membership_revoke(membership=membership)
        return count

    def _one_case(self, index: int, region: Region, counties, now):
        rng = self.rng
        county = rng.choice(counties)
        if region.number == 2 and rng.random() < 0.5:
            county = County.objects.get(name=rng.choice(["Outagamie", "Brown", "Menominee"]))
        if region.number == 5 and rng.random() < 0.5:
            county = County.objects.get(name="Dane")
        tribe = county.tribes.order_by("?").first() if rng.random() < 0.3 else None
        days_ago = rng.randint(0, 730)  # two years: the dashboards' eight quarters
        received_at = now - datetime.timedelta(
            days=days_ago, hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
        )
        age = rng.randint(11, 17)
        known_birth = rng.random() < 0.8
        hub_user = self._hub_user(region)
        clock = EventClock(received_at + datetime.timedelta(minutes=20), now, self.clock_rng)
        with clock.running():
            case = services.referral_create(
                logged_by=hub_user,
                region=region,
                youth_data={
                    "legal_first_name": rng.choice(FIRST_NAMES),
                    "legal_last_name": rng.choice(LAST_NAMES),
                    "preferred_name": rng.choice(["", "", "", "Jay", "Bee", "Lulu", "Mo"]),
                    "date_of_birth": (
                        received_at - datetime.timedelta(days=age * 365 + rng.randint(0, 360))
                    ).date()
                    if known_birth
                    else None,
                    "estimated_age": None if known_birth else age,
                    "gender": rng.choice(
                        [Gender.FEMALE] * 6 + [Gender.MALE] * 3 + [Gender.NONBINARY]
                    ),
                    "race_ethnicity": rng.choice(RaceEthnicity.values),
                    "county": county,
                    "tribe": tribe,
                    "safe_at_home": rng.random() < 0.05,
                    "missing_from_care": rng.random() < 0.12,
                    "languages": rng.choice(
                        ["English", "English", "English, Spanish", "Hmong, English"]
                    ),
                },
                referral_data={
                    "received_at": received_at,
                    "source": rng.choice(ReferralSource.values),
                    "reporter_name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "reporter_contact": f"(920) 555-{rng.randint(100, 199):04d}",
                    "narrative": rng.choice(NARRATIVES),
                    "suspected_exploitation": rng.choice(SuspectedExploitation.values),
                    "imminent_danger": rng.random() < 0.1,
                },
                indicators=rng.sample(self.indicators, rng.randint(1, 4)),
            )
            target = rng.choices([s for s, _ in STATUS_MIX], weights=[w for _, w in STATUS_MIX])[0]
            if days_ago > 90 and rng.random() < min(0.8, days_ago / 500):
                target = Status.CLOSED  # most old cases have closed by now
            self._advance(case, target, hub_user, county, tribe)
            self._record_past_steps(case, hub_user, now)
        self._dates_from_timeline(case, clock)

    def _record_past_steps(self, case, hub_user, now):
        """Most steps whose deadline has passed were done on time; some were not."""
        case.refresh_from_db()
        if not case.is_open:
            return
        agency_user = self._agency_user(case.agency) if case.agency_id else hub_user
        for step in (
            CaseStep.objects.filter(case=case, status=StepStatus.PENDING, due_at__lt=now)
            .select_related("definition")
            .prefetch_related("definition__fields")
        ):
            if self.rng.random() < 0.15:
                continue  # left overdue
            actor = hub_user if step.definition.owner == Owner.HUB else agency_user
            data = {}
            for spec in step.definition.fields.all():
                data[spec.key] = self._demo_value(spec, step, case, now)
            services.case_step_complete(
                case_id=case.pk, step_key=step.definition.key, actor=actor, data=data
            )
            CaseStep.objects.filter(pk=step.pk).update(
                completed_at=step.due_at - datetime.timedelta(hours=self.rng.randint(1, 6))
            )

    def _demo_value(self, spec, step, case, now):
        if spec.kind == FieldKind.DATETIME:
            moment = min(step.due_at, now) - datetime.timedelta(hours=self.rng.randint(1, 6))
            return _unambiguous_local(moment)
        if spec.kind == FieldKind.CHOICE:
            return spec.choice_list[0]
        if spec.kind == FieldKind.YES_NO:
            return "yes"
        if spec.kind == FieldKind.AGENCY:
            return case.agency_id or Agency.objects.filter(county=case.county).first().pk
        return "Recorded (demo data)."

    def _dates_from_timeline(self, case, clock: "EventClock"):
        """Demo only: the case's own dates agree with its timeline's."""
        Case.objects.filter(pk=case.pk).update(
            opened_at=clock.opened_at,
            screened_at=clock.stamps.get(EventKind.SCREENED),
            accepted_at=clock.stamps.get(EventKind.ACCEPTED),
            closed_at=clock.stamps.get(EventKind.CLOSED),
        )

    def _advance(self, case, target, hub_user, county, tribe):
        rng = self.rng
        if target == Status.RECEIVED:
            return
        outcome = rng.choice(
            [ScreeningOutcome.AT_RISK, ScreeningOutcome.SUSPECTED, ScreeningOutcome.CONFIRMED]
        )
        if target == Status.CLOSED and rng.random() < 0.3:
            outcome = ScreeningOutcome.NOT_INDICATED
        services.case_screen(case_id=case.pk, actor=hub_user, outcome=outcome)
        if target == Status.SCREENED or outcome == ScreeningOutcome.NOT_INDICATED:
            if target == Status.CLOSED:
                services.case_close(
                    case_id=case.pk, actor=hub_user, reason=ClosureReason.NOT_INDICATED
                )
            return
        agency = None
        if tribe and rng.random() < 0.5:
            agency = Agency.objects.filter(
                kind=AgencyKind.TRIBAL_SOCIAL_SERVICES, tribe=tribe
            ).first()
        agency = agency or Agency.objects.get(kind=AgencyKind.COUNTY_HUMAN_SERVICES, county=county)
        services.case_route(case_id=case.pk, actor=hub_user, agency=agency)
        if target == Status.ROUTED:
            return
        agency_user = self._agency_user(agency)
        if target == Status.DECLINED:
            services.case_decline(
                case_id=case.pk,
                actor=agency_user,
                reason="Youth lives with a relative in another county now; please re-route.",
            )
            return
        services.case_accept(case_id=case.pk, actor=agency_user)
        if target == Status.ACCEPTED:
            return
        workers = list(services.agency_workers(agency))
        if workers:
            services.case_assign(case_id=case.pk, actor=agency_user, worker=rng.choice(workers))
            services.case_note_add(
                case_id=case.pk,
                actor=agency_user,
                body="First contact made; youth agreed to meet with the advocate next week.",
            )
        if target == Status.CLOSED:
            services.case_close(
                case_id=case.pk,
                actor=agency_user,
                reason=rng.choice(
                    [
                        ClosureReason.SERVICES_COMPLETED,
                        ClosureReason.MOVED,
                        ClosureReason.DECLINED_SERVICES,
                    ]
                ),
            )


class EventClock:
    """Demo only: each timeline event of a case is written with the time it would have
    happened at, spread over the weeks after the referral (the timeline is append-only:
    an event cannot be moved afterwards). A few hours between events, weeks to months
    before a closure; never later than a few minutes ago."""

    def __init__(self, opened_at: datetime.datetime, now: datetime.datetime, rng):
        self.opened_at = self.moment = opened_at
        self.latest = now - datetime.timedelta(minutes=5)
        self.rng = rng
        self.stamps: dict[str, datetime.datetime] = {}

    @contextlib.contextmanager
    def running(self):
        pre_save.connect(self._stamp, sender=CaseEvent, dispatch_uid="demo-event-clock")
        try:
            yield self
        finally:
            pre_save.disconnect(sender=CaseEvent, dispatch_uid="demo-event-clock")

    def _stamp(self, sender, instance: CaseEvent, **kwargs) -> None:
        if not instance._state.adding:
            return
        if instance.kind == EventKind.CLOSED:  # casework takes weeks to months
            later = self.moment + datetime.timedelta(days=self.rng.randint(7, 160))
            self.moment = min(later, self.latest)
        instance.at = self.stamps[instance.kind] = self.moment
        step = datetime.timedelta(hours=self.rng.randint(1, 72))
        self.moment = min(self.moment + step, self.latest)


def _unambiguous_local(moment: datetime.datetime) -> str:
    """A local time as typed into a form, avoiding the hour clocks repeat or skip at the
    daylight-saving changes (a form cannot tell which 01:30 on that night was meant)."""
    zone = timezone.get_current_timezone()
    while True:
        local = timezone.localtime(moment)
        wall = local.replace(tzinfo=None)
        earlier = wall.replace(tzinfo=zone, fold=0).utcoffset()
        later = wall.replace(tzinfo=zone, fold=1).utcoffset()
        if earlier == later:
            return wall.strftime("%Y-%m-%dT%H:%M")
        moment -= datetime.timedelta(hours=2)
