"""Loading Wisconsin's reference data and the task force's county-to-region map.

The loader fills in what is missing and never overwrites what an administrator
changed afterwards (a county's region, a hub's host, a resource-agency
designation), so running it again is always safe.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from regions.models import (
    REGION_NUMBERS,
    Agency,
    AgencyKind,
    County,
    Hub,
    Provenance,
    Region,
    Tribe,
)
from regions.services import county_region_assign

DATA_DIR = Path(__file__).resolve().parent / "data"

# Other apps' reference data (the default protocol, the indicator list) is loaded
# with Wisconsin's, without regions importing them: each app registers its loader
# in AppConfig.ready(). A loader creates what is missing and returns how many rows.
_LOADERS: list[tuple[str, Callable[[], int]]] = []


def reference_loader_register(label: str, loader: Callable[[], int]) -> None:
    if all(existing != label for existing, _ in _LOADERS):
        _LOADERS.append((label, loader))


def reference_loaders() -> list[tuple[str, Callable[[], int]]]:
    return list(_LOADERS)


class RegionMapError(Exception):
    """A region map that cannot be applied; `problems` lists each one with its line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values())


@dataclass(frozen=True)
class CountyMove:
    county: County
    from_region: int
    to_region: int


def county_agency_name(county_name: str) -> str:
    return f"{county_name} County Human Services"


def tribe_agency_name(tribe_name: str) -> str:
    return f"{tribe_name} Social Services"


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def wisconsin_load(data_dir: Path = DATA_DIR) -> LoadReport:
    """Create the regions, hubs, counties, tribes and their agencies that are missing."""
    report = LoadReport()

    regions: dict[int, Region] = {}
    hub_hosts: dict[int, tuple[str, str]] = {}
    created = 0
    for row in _read_csv(data_dir / "wi_regions.csv"):
        number = int(row["region"])
        region, was_created = Region.objects.get_or_create(
            number=number, defaults={"name": row["name"]}
        )
        regions[number] = region
        hub_hosts[number] = (row["hub_host"].strip(), row["hub_host_status"].strip())
        created += was_created
    report.created["regions"] = created

    counties: dict[str, County] = {}
    created = 0
    for row in _read_csv(data_dir / "wi_counties.csv"):
        county, was_created = County.objects.get_or_create(
            fips=row["fips"],
            defaults={
                "name": row["county"],
                "region": regions[int(row["region"])],
                "region_assignment": row["region_assignment"],
            },
        )
        counties[county.name] = county
        created += was_created
    report.created["counties"] = created

    tribes: list[Tribe] = []
    created = 0
    for row in _read_csv(data_dir / "wi_tribes.csv"):
        tribe, was_created = Tribe.objects.get_or_create(
            name=row["tribe"],
            defaults={
                "primary_region": regions[int(row["primary_region"])],
                "region_assignment": row["region_assignment"],
            },
        )
        if was_created:
            names = [n.strip() for n in row["counties_with_tribal_lands"].split(";") if n.strip()]
            tribe.counties.set([counties[name] for name in names])
        tribes.append(tribe)
        created += was_created
    report.created["tribes"] = created

    created = 0
    for county in counties.values():
        _, was_created = Agency.objects.get_or_create(
            kind=AgencyKind.COUNTY_HUMAN_SERVICES,
            county=county,
            defaults={"name": county_agency_name(county.name), "region": county.region},
        )
        created += was_created
    for tribe in tribes:
        _, was_created = Agency.objects.get_or_create(
            kind=AgencyKind.TRIBAL_SOCIAL_SERVICES,
            tribe=tribe,
            defaults={"name": tribe_agency_name(tribe.name), "region": tribe.primary_region},
        )
        created += was_created
    report.created["agencies"] = created

    created = 0
    for number, region in regions.items():
        host_name, host_status = hub_hosts[number]
        host = None
        if host_name.endswith(" County"):
            host = Agency.objects.filter(
                kind=AgencyKind.COUNTY_HUMAN_SERVICES, county__name=host_name[: -len(" County")]
            ).first()
        _, was_created = Hub.objects.get_or_create(
            region=region,
            defaults={"host_agency": host, "provisional": host_status != Provenance.SOURCED},
        )
        created += was_created
    report.created["hubs"] = created

    for label, loader in reference_loaders():
        report.created[label] = loader()

    report.totals = {
        "regions": Region.objects.count(),
        "counties": County.objects.count(),
        "tribes": Tribe.objects.count(),
        "hubs": Hub.objects.count(),
        "agencies": Agency.objects.count(),
    }
    return report


def region_map_parse(text: str) -> dict[County, int]:
    """Read a `county,region` CSV (county by name or FIPS) into {county: region number}.

    Raises RegionMapError listing every problem with its line number; the
    caller applies nothing in that case.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise RegionMapError(
            ["line 1: the file is empty; expected a header 'county,region'"]
        ) from None
    except csv.Error as exc:
        raise RegionMapError([f"line 1: not a readable CSV file ({exc})"]) from None
    columns = [c.strip().lower() for c in header]
    if "county" not in columns or "region" not in columns:
        raise RegionMapError(
            [f"line 1: expected a header with columns 'county,region', found {','.join(header)!r}"]
        )
    county_col, region_col = columns.index("county"), columns.index("region")

    by_name = {c.name.lower(): c for c in County.objects.all()}
    by_fips = {c.fips: c for c in by_name.values()}
    problems: list[str] = []
    seen: dict[County, int] = {}
    assignment: dict[County, int] = {}
    try:
        rows = list(enumerate(reader, start=2))
    except csv.Error as exc:
        raise RegionMapError(
            [f"line {reader.line_num}: not a readable CSV file ({exc})"]
        ) from None
    for line_number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                f"line {line_number}: expected {len(header)} columns, found {len(row)}"
            )
            continue
        key, raw_region = row[county_col].strip(), row[region_col].strip()
        county = by_fips.get(key) or by_name.get(key.lower().removesuffix(" county"))
        if county is None:
            problems.append(f"line {line_number}: unknown county {key!r}")
            continue
        if county in seen:
            problems.append(
                f"line {line_number}: {county.name} is listed twice (first on line {seen[county]})"
            )
            continue
        seen[county] = line_number
        try:
            region = int(raw_region)
        except ValueError:
            region = None
        if region not in REGION_NUMBERS:
            problems.append(
                f"line {line_number}: region {raw_region!r} for {county.name} is not 1 to 7"
            )
            continue
        assignment[county] = region
    missing = sorted(c.name for c in by_name.values() if c not in seen)
    if missing:
        problems.append(f"counties missing from the file ({len(missing)}): {', '.join(missing)}")
    if problems:
        raise RegionMapError(problems)
    return assignment


@transaction.atomic
def region_map_apply(assignment: dict[County, int]) -> list[CountyMove]:
    """Move counties (and the agencies serving them) to the regions of the task force map."""
    regions = {r.number: r for r in Region.objects.all()}
    number_of = {r.pk: r.number for r in regions.values()}
    moves: list[CountyMove] = []
    for county, number in sorted(assignment.items(), key=lambda item: item[0].name):
        from_region = number_of[county.region_id]
        if county_region_assign(county=county, region=regions[number]):
            moves.append(CountyMove(county, from_region, number))
    return moves


SERVICE_TYPES_CSV = DATA_DIR / "service_types.csv"


def service_types_load(service_type_model=None) -> int:
    """Create the default service types (regions/data/service_types.csv) that are
    missing; returns how many were created. Administrators edit, reorder or retire them
    afterwards; loading never overwrites. A data migration passes its historical model."""
    if service_type_model is None:
        from regions.models import ServiceType as service_type_model
    created = 0
    for order, row in enumerate(_read_csv(SERVICE_TYPES_CSV), start=1):
        _, was_created = service_type_model.objects.get_or_create(
            key=row["key"], defaults={"label": row["label"], "order": order * 10}
        )
        created += was_created
    return created
