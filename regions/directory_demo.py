"""The demo resource directory seed_demo adds for `make run`. Development only.

About 60 service providers across the seven regions, added through regions.services as
each region's hub specialist. The organisations, addresses, phone numbers (555-01xx) and
emails (example.org) are made up; some entries are HubNet's own agencies. The details that
vary (street numbers, hours, wording) come from a seeded generator; what each provider
offers, where and to whom is fixed below, so the gaps are the same on every run.

The gaps on purpose (the gap view must show them; cases.needs_demo records needs that run
into them, "unavailable" with the matching reason):

- No youth substance-use treatment (`substance_use`) in the north: Ashland, Bayfield,
  Burnett, Douglas, Iron, Price, Sawyer and Washburn (region 1; only Barron, Polk and Rusk
  have a program), Marinette and Oconto (north of region 2), Florence, Forest and Vilas
  (region 3; the Northwoods program that served them closed and is kept inactive).
  A need there is `none_in_reach`.
- No shelter (`shelter`) in Iron, Marquette, Florence, Adams, Pepin and Lafayette
  (`none_in_reach`).
- Capacity (`OFTEN_FULL`): the youth shelters for the Fox Valley (region 2), region 5
  and Milwaukee are often full, and region 5's one youth counselling provider (mental
  health and substance use) has a waitlist of weeks: a need there is often `no_capacity`,
  or waitlisted.
- Interpretation (`interpretation`): none in Hmong or Spanish in region 1 (Ojibwe and
  American Sign Language only), none in Spanish in region 3 and Hmong only around Wausau
  (Marathon, Lincoln, Portage, Wood), none in Hmong in region 6. A need for a youth or
  family speaking one of them there is `language`.
- Ages (`age`): youth employment programmes (`employment`) take youth from 16;
  substance-use programmes take youth from 12 or 13 to 18-21; youth shelters stop at 17
  (21 in Green Bay).

Everywhere else every county has at least one active provider for each service a demo
need is drawn for (tests/regions/test_directory_demo.py holds the directory to this).
"""

import dataclasses
import random
from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from regions.models import Agency, County, Provider, ProviderKind, Region, ServiceType, Tribe
from regions.services import ProviderInput, provider_create

K = ProviderKind

NO_SUBSTANCE_USE = (
    "Ashland",
    "Bayfield",
    "Burnett",
    "Douglas",
    "Iron",
    "Price",
    "Sawyer",
    "Washburn",
    "Marinette",
    "Oconto",
    "Florence",
    "Forest",
    "Vilas",
)
NO_SHELTER = ("Iron", "Marquette", "Florence", "Adams", "Pepin", "Lafayette")
# Per region, the languages no interpretation provider offers (in any of its counties);
# HMONG_ONLY_IN: region 3's Hmong interpretation reaches these counties only.
NO_INTERPRETATION_IN = {1: ("Hmong", "Spanish"), 3: ("Spanish",), 6: ("Hmong",)}
HMONG_ONLY_IN = {3: ("Marathon", "Lincoln", "Portage", "Wood")}
# Their capacity notes say so; a need referred there may find no bed.
OFTEN_FULL = (
    "Fox Valley Youth Shelter",
    "Capital Area Youth Shelter",
    "Milwaukee Youth Safe Haven",
    "Capital Area Youth Counseling",
)
FULL_NOTE = "Often full: a waitlist of one to three weeks. Call daily to ask for a bed."
WAITLIST_NOTE = "A waitlist of four to six weeks for new clients; crisis appointments in a day."
AREA_CODES = {1: "715", 2: "920", 3: "715", 4: "715", 5: "608", 6: "262", 7: "414"}
HO_CHUNK_LANDS = (
    "Adams",
    "Clark",
    "Dane",
    "Jackson",
    "Juneau",
    "La Crosse",
    "Monroe",
    "Sauk",
    "Shawano",
    "Wood",
)
STATEWIDE = ("*",)  # every county in Wisconsin


@dataclasses.dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    services: tuple[str, ...]
    town: str
    counties: tuple[str, ...] = ()  # () = every county of the region
    except_counties: tuple[str, ...] = ()
    ages: tuple[int | None, int | None] = (None, None)
    languages: str = "English"
    tribes: tuple[str, ...] = ()
    agency: bool = False  # the entry is the HubNet agency of this name
    specialised: bool = False
    culturally_specific: bool = False
    capacity: str = ""
    active: bool = True


def _family_network(region_name: str, town: str) -> Entry:
    return Entry(
        f"{region_name} Family Resource Network",
        K.COMMUNITY,
        ("family_support", "education_support", "basic_needs", "transportation"),
        town,
    )


def _youth_works(name: str, town: str, counties: tuple[str, ...] = ()) -> Entry:
    return Entry(name, K.COMMUNITY, ("employment",), town, counties, ages=(16, 24))


DIRECTORY: dict[int, list[Entry]] = {
    1: [
        Entry(
            "Northwoods Youth Shelter Network",
            K.SHELTER,
            ("shelter", "basic_needs"),
            "Rice Lake",
            except_counties=("Iron",),
            ages=(10, 17),
            capacity="Eight beds at two sites; call before bringing a youth.",
        ),
        Entry(
            "Lake Superior Advocacy Center",
            K.VICTIM_SERVICES,
            ("victim_advocacy", "legal_advocacy", "peer_mentoring"),
            "Ashland",
            specialised=True,
        ),
        Entry(
            "Chequamegon Family Health",
            K.HEALTH_CARE,
            ("medical", "sexual_assault_exam", "mental_health"),
            "Hayward",
        ),
        Entry(
            "Barron Valley Youth Recovery",
            K.BEHAVIORAL_HEALTH,
            ("substance_use", "mental_health"),
            "Barron",
            ("Barron", "Polk", "Rusk"),
            ages=(12, 18),
        ),
        Entry(
            "Northwest Interpreting Cooperative",
            K.OTHER,
            ("interpretation",),
            "Superior",
            languages="English; Ojibwe; American Sign Language",
        ),
        Entry(
            "Bad River Band of Lake Superior Chippewa Social Services",
            K.TRIBAL_SOCIAL_SERVICES,
            ("culturally_specific", "family_support", "placement"),
            "Odanah",
            ("Ashland", "Iron"),
            languages="English; Ojibwe",
            tribes=("Bad River Band of Lake Superior Chippewa",),
            agency=True,
            culturally_specific=True,
        ),
        Entry(
            "Anishinaabe Youth and Family Circle",
            K.COMMUNITY,
            ("culturally_specific", "peer_mentoring", "mental_health"),
            "Hayward",
            ("Ashland", "Bayfield", "Iron", "Sawyer", "Barron", "Burnett", "Polk"),
            languages="English; Ojibwe",
            tribes=(
                "Bad River Band of Lake Superior Chippewa",
                "Lac Courte Oreilles Band of Lake Superior Chippewa",
                "Red Cliff Band of Lake Superior Chippewa",
                "St. Croix Chippewa Indians of Wisconsin",
            ),
            culturally_specific=True,
        ),
        _family_network("Northwest", "Spooner"),
        _youth_works("Indianhead Youth Works", "Rice Lake"),
    ],
    2: [
        Entry(
            "Fox Valley Youth Shelter",
            K.SHELTER,
            ("shelter", "basic_needs"),
            "Appleton",
            (
                "Outagamie",
                "Winnebago",
                "Calumet",
                "Waupaca",
                "Waushara",
                "Fond du Lac",
                "Green Lake",
            ),
            ages=(11, 17),
            capacity=FULL_NOTE,
        ),
        Entry(
            "Bay Area Safe Harbor House",
            K.SHELTER,
            ("shelter",),
            "Green Bay",
            (
                "Brown",
                "Door",
                "Kewaunee",
                "Oconto",
                "Marinette",
                "Shawano",
                "Menominee",
                "Manitowoc",
                "Sheboygan",
            ),
            ages=(12, 21),
            specialised=True,
        ),
        Entry(
            "Northeast Wisconsin Anti-Trafficking Advocates",
            K.VICTIM_SERVICES,
            ("victim_advocacy", "peer_mentoring", "legal_advocacy"),
            "Green Bay",
            languages="English; Spanish",
            specialised=True,
        ),
        Entry(
            "Northeast Wisconsin Community Health",
            K.HEALTH_CARE,
            ("medical", "sexual_assault_exam", "mental_health"),
            "Green Bay",
        ),
        Entry(
            "Bay Lakes Youth Counseling",
            K.BEHAVIORAL_HEALTH,
            ("mental_health", "substance_use"),
            "Green Bay",
            ("Brown", "Door", "Kewaunee", "Manitowoc", "Shawano", "Menominee", "Outagamie"),
            ages=(10, 18),
        ),
        Entry(
            "Winnebago Youth Recovery Partners",
            K.BEHAVIORAL_HEALTH,
            ("substance_use", "mental_health"),
            "Oshkosh",
            (
                "Winnebago",
                "Fond du Lac",
                "Calumet",
                "Green Lake",
                "Marquette",
                "Waushara",
                "Waupaca",
                "Sheboygan",
                "Outagamie",
            ),
            ages=(13, 20),
        ),
        Entry(
            "Fox Valley Language Access",
            K.OTHER,
            ("interpretation",),
            "Appleton",
            languages="English; Spanish; Hmong; American Sign Language",
        ),
        Entry(
            "Fox Valley Hmong Community Center",
            K.COMMUNITY,
            ("culturally_specific", "interpretation", "family_support"),
            "Appleton",
            ("Outagamie", "Winnebago", "Brown", "Sheboygan", "Manitowoc"),
            languages="Hmong; English",
            culturally_specific=True,
        ),
        Entry(
            "Outagamie County Human Services",
            K.COUNTY_HUMAN_SERVICES,
            ("placement", "family_support", "basic_needs"),
            "Appleton",
            ("Outagamie",),
            agency=True,
        ),
        Entry(
            "Menominee Indian Tribe of Wisconsin Social Services",
            K.TRIBAL_SOCIAL_SERVICES,
            ("culturally_specific", "family_support", "placement", "mental_health"),
            "Keshena",
            ("Menominee", "Shawano"),
            languages="English; Menominee",
            tribes=("Menominee Indian Tribe of Wisconsin", "Stockbridge-Munsee Community"),
            agency=True,
            culturally_specific=True,
        ),
        Entry(
            "Oneida Nation Social Services",
            K.TRIBAL_SOCIAL_SERVICES,
            ("culturally_specific", "family_support"),
            "Oneida",
            ("Brown", "Outagamie"),
            languages="English; Oneida",
            tribes=("Oneida Nation",),
            agency=True,
            culturally_specific=True,
        ),
        _family_network("Northeast", "Oshkosh"),
        _youth_works("Northeast Youth Employment Project", "Green Bay"),
    ],
    3: [
        Entry(
            "Wausau Area Youth Shelter",
            K.SHELTER,
            ("shelter", "basic_needs"),
            "Wausau",
            except_counties=("Florence", "Adams"),
            ages=(10, 17),
            capacity="Ten beds; the northern counties are a long drive: the shelter can send "
            "someone to meet a youth halfway.",
        ),
        Entry(
            "North Central Victim Advocacy Alliance",
            K.VICTIM_SERVICES,
            ("victim_advocacy", "legal_advocacy", "peer_mentoring"),
            "Wausau",
            specialised=True,
        ),
        Entry(
            "Marathon Regional Health",
            K.HEALTH_CARE,
            ("medical", "sexual_assault_exam", "mental_health"),
            "Wausau",
        ),
        Entry(
            "Central Wisconsin Youth Recovery",
            K.BEHAVIORAL_HEALTH,
            ("substance_use", "mental_health"),
            "Stevens Point",
            except_counties=("Florence", "Forest", "Vilas"),
            ages=(12, 18),
        ),
        Entry(
            "Northwoods Teen Recovery House",
            K.BEHAVIORAL_HEALTH,
            ("substance_use",),
            "Rhinelander",
            ("Florence", "Forest", "Vilas", "Oneida"),
            ages=(13, 18),
            capacity="Closed; kept for the records that name it.",
            active=False,
        ),
        Entry(
            "Wausau Hmong Mutual Assistance Center",
            K.COMMUNITY,
            ("interpretation", "culturally_specific", "family_support"),
            "Wausau",
            HMONG_ONLY_IN[3],
            languages="Hmong; English",
            culturally_specific=True,
        ),
        Entry(
            "Northwoods Interpreting",
            K.OTHER,
            ("interpretation",),
            "Rhinelander",
            languages="English; American Sign Language",
        ),
        Entry(
            "Lac du Flambeau Band of Lake Superior Chippewa Social Services",
            K.TRIBAL_SOCIAL_SERVICES,
            ("culturally_specific", "family_support", "mental_health"),
            "Lac du Flambeau",
            ("Vilas", "Oneida", "Iron"),
            languages="English; Ojibwe",
            tribes=("Lac du Flambeau Band of Lake Superior Chippewa",),
            agency=True,
            culturally_specific=True,
        ),
        Entry(
            "Forest County Potawatomi Community Social Services",
            K.TRIBAL_SOCIAL_SERVICES,
            ("culturally_specific", "family_support"),
            "Crandon",
            ("Forest", "Milwaukee"),
            languages="English; Potawatomi",
            tribes=("Forest County Potawatomi Community",),
            agency=True,
            culturally_specific=True,
        ),
        _family_network("North Central", "Wausau"),
        _youth_works("Wisconsin River Youth Works", "Wisconsin Rapids"),
    ],
    4: [
        Entry(
            "Chippewa Valley Youth Shelter",
            K.SHELTER,
            ("shelter", "basic_needs"),
            "Eau Claire",
            except_counties=("Pepin",),
            ages=(10, 17),
        ),
        Entry(
            "West Central Advocacy and Response",
            K.VICTIM_SERVICES,
            ("victim_advocacy", "legal_advocacy", "peer_mentoring"),
            "Eau Claire",
            languages="English; Spanish; Hmong",
            specialised=True,
        ),
        Entry(
            "Coulee Region Health Partners",
            K.HEALTH_CARE,
            ("medical", "sexual_assault_exam", "mental_health"),
            "La Crosse",
        ),
        Entry(
            "Coulee Youth Recovery Services",
            K.BEHAVIORAL_HEALTH,
            ("substance_use", "mental_health"),
            "La Crosse",
            ages=(12, 18),
        ),
        Entry(
            "West Central Language Line",
            K.OTHER,
            ("interpretation",),
            "Eau Claire",
            languages="English; Spanish; Hmong; American Sign Language",
        ),
        Entry(
            "Ho-Chunk Nation Social Services",
            K.TRIBAL_SOCIAL_SERVICES,
            ("culturally_specific", "family_support", "placement"),
            "Black River Falls",
            HO_CHUNK_LANDS,
            languages="English; Ho-Chunk",
            tribes=("Ho-Chunk Nation",),
            agency=True,
            culturally_specific=True,
        ),
        _family_network("West Central", "Menomonie"),
        _youth_works("Chippewa Valley Youth Works", "Eau Claire"),
    ],
    5: [
        Entry(
            "Capital Area Youth Shelter",
            K.SHELTER,
            ("shelter", "basic_needs"),
            "Madison",
            except_counties=("Lafayette",),
            ages=(10, 17),
            capacity=FULL_NOTE,
        ),
        Entry(
            "South Central Anti-Trafficking Project",
            K.VICTIM_SERVICES,
            ("victim_advocacy", "peer_mentoring", "legal_advocacy"),
            "Madison",
            languages="English; Spanish",
            specialised=True,
        ),
        Entry(
            "Capital Area Forensic Nursing Program",
            K.HEALTH_CARE,
            ("sexual_assault_exam", "medical"),
            "Madison",
        ),
        Entry(
            "Capital Area Youth Counseling",
            K.BEHAVIORAL_HEALTH,
            ("mental_health", "substance_use"),
            "Madison",
            ages=(10, 21),
            capacity=WAITLIST_NOTE,
        ),
        Entry(
            "South Central Immigrant Legal Clinic",
            K.LEGAL,
            ("immigration_legal", "legal_advocacy"),
            "Madison",
            ("Dane", "Rock", "Jefferson", "Dodge", "Columbia", "Sauk", "Green"),
            languages="English; Spanish; Hmong",
        ),
        Entry(
            "Capital Area Language Services",
            K.OTHER,
            ("interpretation",),
            "Madison",
            languages="English; Spanish; Hmong; American Sign Language",
        ),
        Entry(
            "Dane County Human Services",
            K.COUNTY_HUMAN_SERVICES,
            ("placement", "family_support", "basic_needs"),
            "Madison",
            ("Dane",),
            agency=True,
        ),
        _family_network("South Central", "Madison"),
        _youth_works("Capital Area Youth Employment", "Madison"),
    ],
    6: [
        Entry(
            "Southeast Youth Shelter Collaborative",
            K.SHELTER,
            ("shelter", "basic_needs"),
            "Waukesha",
            ages=(10, 17),
        ),
        Entry(
            "Lakeshore Anti-Trafficking Advocates",
            K.VICTIM_SERVICES,
            ("victim_advocacy", "legal_advocacy", "peer_mentoring"),
            "Racine",
            languages="English; Spanish",
            specialised=True,
        ),
        Entry(
            "Waukesha Regional Medical Center",
            K.HEALTH_CARE,
            ("medical", "sexual_assault_exam", "mental_health"),
            "Waukesha",
        ),
        Entry(
            "Kenosha-Racine Youth Recovery",
            K.BEHAVIORAL_HEALTH,
            ("substance_use", "mental_health"),
            "Kenosha",
            ages=(12, 19),
        ),
        Entry(
            "Southeast Language Access",
            K.OTHER,
            ("interpretation",),
            "Racine",
            languages="English; Spanish; Arabic; American Sign Language",
        ),
        _family_network("Southeast", "Waukesha"),
    ],
    7: [
        Entry(
            "Milwaukee Youth Safe Haven",
            K.SHELTER,
            ("shelter", "basic_needs"),
            "Milwaukee",
            ages=(10, 17),
            capacity=FULL_NOTE,
            specialised=True,
        ),
        Entry(
            "Milwaukee Anti-Trafficking Collaborative",
            K.VICTIM_SERVICES,
            ("victim_advocacy", "peer_mentoring", "legal_advocacy"),
            "Milwaukee",
            languages="English; Spanish; Hmong",
            specialised=True,
        ),
        Entry(
            "Lakefront Children's Health Center",
            K.HEALTH_CARE,
            ("medical", "sexual_assault_exam", "mental_health"),
            "Milwaukee",
        ),
        Entry(
            "Milwaukee Youth Recovery Center",
            K.BEHAVIORAL_HEALTH,
            ("substance_use", "mental_health"),
            "Milwaukee",
            ages=(12, 21),
        ),
        Entry(
            "Wisconsin Immigrant Youth Legal Project",
            K.LEGAL,
            ("immigration_legal", "legal_advocacy"),
            "Milwaukee",
            STATEWIDE,
            languages="English; Spanish; Hmong; Arabic",
            capacity="Statewide by video; in person in Milwaukee.",
        ),
        Entry(
            "Milwaukee Language Bank",
            K.OTHER,
            ("interpretation",),
            "Milwaukee",
            languages="English; Spanish; Hmong; Arabic; Somali; American Sign Language",
        ),
        Entry(
            "Milwaukee County Human Services",
            K.COUNTY_HUMAN_SERVICES,
            ("placement", "family_support", "basic_needs"),
            "Milwaukee",
            agency=True,
        ),
        _family_network("Milwaukee", "Milwaukee"),
        _youth_works(
            "Milwaukee Youth Jobs Collaborative",
            "Milwaukee",
            ("Milwaukee", "Kenosha", "Ozaukee", "Racine", "Walworth", "Washington", "Waukesha"),
        ),
    ],
}

STREETS = (
    "Main Street",
    "Oak Avenue",
    "River Road",
    "Lake Street",
    "College Avenue",
    "Mill Street",
    "Park Avenue",
    "Washington Street",
)
HOURS = (
    "Mon-Fri 8:00-4:30; after hours through the county crisis line",
    "Mon-Fri 9:00-5:00",
    "Mon-Thu 8:00-6:00, Fri 8:00-12:00",
    "Mon-Fri 8:30-5:00; evening groups Tue and Thu",
)
HOW_TO_REFER = {
    K.SHELTER: (
        "Call the intake line at any hour; staff screen for a bed the same day. The hub or "
        "the agency may call on the youth's behalf.",
        "Call first: the location is confidential. Staff meet the youth and whoever brings "
        "them at a public place.",
    ),
    K.VICTIM_SERVICES: (
        "Call or email the intake coordinator; no form needed. Say it is a Response "
        "Protocol case.",
        "Call the advocate line; an advocate can meet the youth within a day, at school or "
        "at the agency.",
    ),
    K.HEALTH_CARE: (
        "Call the referral line. For a sexual-assault exam, go to the emergency department "
        "and ask for the forensic nurse on call.",
    ),
    K.BEHAVIORAL_HEALTH: (
        "Email the referral form (sent on request) with the guardian's consent; the intake "
        "call follows within five working days.",
        "Call intake with the guardian; an assessment is booked within two weeks.",
    ),
    K.LEGAL: (
        "Email the intake address with a short description and no names; an attorney calls "
        "back within two working days.",
    ),
    K.OTHER: (
        "Book by phone at least a day ahead; phone interpretation the same day when an "
        "interpreter is free.",
    ),
    K.COMMUNITY: (
        "Call or walk in during open hours; no referral form.",
        "Call the programme coordinator; the youth or a worker may call.",
    ),
    K.COUNTY_HUMAN_SERVICES: ("Through the case's agency contact in HubNet, or the access line.",),
    K.TRIBAL_SOCIAL_SERVICES: (
        "Through the case's agency contact in HubNet, or call the family services line.",
    ),
}


def demo_directory_create(
    *, hub_actor: Callable[[Region], AbstractBaseUser], seed: int = 2017
) -> int:
    """Add the demo directory unless the directory holds providers already; returns how
    many were added (0 when skipped). `hub_actor(region)` is who keeps the region's
    directory for the run: one of its hub specialists (seed_demo passes training's
    HubActors, which uses the demo loader account where no persona works)."""
    if Provider.objects.exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    services = {s.key: s for s in ServiceType.objects.all()}
    counties = {c.name: c for c in County.objects.all()}
    in_region: dict[int, list[County]] = {}
    for county in counties.values():
        in_region.setdefault(county.region.number, []).append(county)
    tribes = {t.name: t for t in Tribe.objects.all()}
    agencies = {a.name: a for a in Agency.objects.all()}
    created = 0
    with transaction.atomic():
        for number, entries in DIRECTORY.items():
            region = Region.objects.get(number=number)
            actor = hub_actor(region)
            for entry in entries:
                if entry.counties == STATEWIDE:
                    served = list(counties.values())
                elif entry.counties:
                    served = [counties[name] for name in entry.counties]
                else:
                    served = in_region[number]
                served = [c for c in served if c.name not in entry.except_counties]
                data = ProviderInput(
                    name=entry.name,
                    kind=entry.kind,
                    agency=agencies[entry.name] if entry.agency else None,
                    service_types=[services[key] for key in entry.services],
                    counties=sorted(served, key=lambda c: c.name),
                    tribes=[tribes[name] for name in entry.tribes],
                    min_age=entry.ages[0],
                    max_age=entry.ages[1],
                    languages=entry.languages,
                    trafficking_specialised=entry.specialised,
                    trauma_informed=entry.specialised or rng.random() < 0.7,
                    culturally_specific=entry.culturally_specific,
                    capacity_notes=entry.capacity,
                    **_how_to_reach(rng, entry, number, created),
                    active=entry.active,
                )
                provider_create(actor=actor, region=region, data=data)
                created += 1
    return created


def _how_to_reach(rng: random.Random, entry: Entry, number: int, index: int) -> dict:
    slug = "".join(c if c.isalnum() else "-" for c in entry.name.lower().replace("'", ""))
    slug = "-".join(part for part in slug.split("-") if part)[:60]
    confidential = entry.kind == K.SHELTER
    return {
        "phone": f"({AREA_CODES[number]}) 555-01{index % 100:02d}",
        "email": f"intake@{slug}.example.org",
        "address": "Confidential location; call first"
        if confidential
        else f"{rng.randint(100, 2999)} {rng.choice(STREETS)}, {entry.town}, WI",
        "hours": "24 hours, every day" if confidential else rng.choice(HOURS),
        "how_to_refer": rng.choice(HOW_TO_REFER[entry.kind]),
    }
