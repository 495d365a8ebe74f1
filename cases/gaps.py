"""The resource-gap view: for a region (its counties as rows) or Wisconsin (its regions
as rows), by service type (columns), the needs identified in a period, how many of them
were met and how many were unavailable, and the active providers serving the place;
cells where needs went unmet or no provider exists are flagged; why needs were
unavailable, summed up. Counts only: no case number, no name, nothing identifying.

Two sources, never mixed on one page:

- Live (`region_gaps_live`), for a region's hub specialists: the needs of the region's
  cases that they may see (`cases_visible_to`, narrowed to the region) and the directory
  as it stands. A need counts in the period by the day it was identified; met and
  unavailable are what has become of it now. Exact counts: the hub sees these cases.
- Published (`region_gaps_published`, `state_gaps_published`), for the state task
  force: the quarterly rollup read through regions.figures, small cells suppressed, never
  a case table. Met and unavailable are what had become of the needs when each quarter's
  figures were computed; providers are the directory when the newest quarter of the
  period was computed (it keeps no history). A county's figures count the needs on
  cases recorded in that county, a region's those on the region's cases.

Over several quarters a published figure is the sum of the quarters' figures; a sum
with a suppressed part is itself suppressed. Every figure is a `Tally`: the bounds of
what it may be, so that a flag is raised only when the published figures prove it.
"""

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from cases.models import MET_NEEDS, UNMET_NEEDS, NeedStatus, ServiceNeed, UnavailableReason
from cases.selectors import cases_visible_to, work_regions_of
from regions.figures import Published, figures_visible_to, sees_statewide, suppression_threshold
from regions.metrics import active_provider_counts
from regions.models import County, Region, ScopeKind, ServiceType
from regions.quarters import Quarter

IDENTIFIED, MET, UNMET, UNAVAILABLE, PROVIDERS = (
    "needs_identified",
    "needs_met",
    "needs_unmet",
    "needs_unavailable",
    "providers_active",
)
NEED_METRICS = (IDENTIFIED, MET, UNMET, UNAVAILABLE)
LAST_FOUR = "last4"
QUARTERS_OFFERED = 8  # the quarter under way and the seven before it
NOT_COMPUTED_MARK = "\u2013"  # an en dash: no figure


# --- Who sees which view -------------------------------------------------------------

LIVE, PUBLISHED = "live", "published"


class GapsRefused(PermissionDenied):
    """Not this user's view; `regions` are the regions whose view they may open instead."""

    def __init__(self, message: str, regions: list[Region]):
        super().__init__(message)
        self.regions = regions


def gap_source(user: AbstractBaseUser, region: Region | None) -> str:
    """LIVE for a region's hub specialists, PUBLISHED for the state task force (any region
    and Wisconsin); GapsRefused for everyone else (agency staff included: the view is
    the hubs' and the task force's)."""
    own = work_regions_of(user) if user.is_authenticated and user.is_active else []
    if region is not None and any(r.pk == region.pk for r in own):
        return LIVE
    if user.is_authenticated and sees_statewide(user):
        return PUBLISHED
    if region is None:
        message = "The statewide resource-gap view is for the state task force."
    elif own:
        message = f"The resource-gap view of {region} is for its hub specialists."
    else:
        message = (
            "The resource-gap view is for the hub specialists of each region and the state "
            "task force."
        )
    raise GapsRefused(message, sorted(own, key=lambda r: r.number))


def gap_regions(user: AbstractBaseUser) -> list[Region]:
    """The regions whose view `user` may open: every region for the task force, the
    regions they work as hub specialist otherwise."""
    if user.is_authenticated and user.is_active and sees_statewide(user):
        return list(Region.objects.order_by("number"))
    return sorted(work_regions_of(user), key=lambda r: r.number)


# --- The period ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GapPeriod:
    """One quarter, or the last four (the quarter under way and the three before it)."""

    key: str
    quarters: tuple[Quarter, ...]

    @property
    def label(self) -> str:
        if len(self.quarters) == 1:
            return self.quarters[0].label
        return f"the last four quarters ({self.quarters[0].label} to {self.quarters[-1].label})"

    @property
    def first_day(self) -> datetime.date:
        return self.quarters[0].start.date()  # local midnight: its date is Wisconsin's

    @property
    def end_day(self) -> datetime.date:
        """The day after the period's last day."""
        return self.quarters[-1].end.date()


def gap_period(text: str | None, *, current: Quarter | None = None) -> GapPeriod:
    """The period `text` names ("last4", or a quarter like "2026Q2"; empty: the last four
    quarters). ValueError, with a message a person can act on, for anything else or a
    quarter not begun."""
    current = current or Quarter.current()
    text = (text or "").strip()
    if text in ("", LAST_FOUR):
        return GapPeriod(LAST_FOUR, tuple(current.back(4)))
    quarter = Quarter.parse(text)
    if quarter > current:
        raise ValueError(f"{quarter.label} has not begun yet.")
    return GapPeriod(str(quarter), (quarter,))


def period_choices(current: Quarter | None = None) -> list[tuple[str, str]]:
    current = current or Quarter.current()
    last_four = gap_period(LAST_FOUR, current=current)
    choices = [(LAST_FOUR, f"Last four quarters ({last_four.quarters[0].label} to date)")]
    for quarter in reversed(current.back(QUARTERS_OFFERED)):
        suffix = " (to date)" if quarter == current else ""
        choices.append((str(quarter), quarter.label + suffix))
    return choices


# --- Figures and what they may be ----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Tally:
    """A count as shown: exact, or hidden with the bounds the published figures give it
    (`high` None: no upper bound). Never holds a suppressed value."""

    low: int
    high: int | None
    text: str

    @classmethod
    def exact(cls, value: int) -> "Tally":
        return cls(value, value, f"{value:,}")

    @classmethod
    def of(cls, row: Published | None, threshold: int) -> "Tally":
        if row is None:
            return cls(0, None, "not computed")
        if row.suppressed:
            # Zeros are never hidden, so a hidden count is at least 1.
            high = threshold - 1 if row.small else None
            return cls(1, high, _hidden_text(1, high, threshold))
        return cls.exact(int(row.value or 0))

    @property
    def value(self) -> int | None:
        return self.low if self.low == self.high else None

    @property
    def hidden(self) -> bool:
        return self.value is None

    @property
    def short(self) -> str:
        """What a matrix cell shows (the page's legend explains it; `text` is read out)."""
        if not self.hidden:
            return self.text
        if self.text.startswith("fewer than"):
            return "<" + self.text.removeprefix("fewer than ")
        return NOT_COMPUTED_MARK if self.text == "not computed" else "*"

    def plus(self, other: "Tally", threshold: int | None) -> "Tally":
        low = self.low + other.low
        high = None if self.high is None or other.high is None else self.high + other.high
        if low == high:
            return Tally.exact(low)
        if "not computed" in (self.text, other.text):
            return Tally(low, None, "not computed")
        return Tally(low, high, _hidden_text(low, high, threshold))


def _hidden_text(low: int, high: int | None, threshold: int | None) -> str:
    if threshold and high is not None and high < threshold:
        return f"fewer than {threshold}"
    return "suppressed"


def _total(tallies: Iterable[Tally], threshold: int | None) -> Tally:
    total = Tally.exact(0)
    for tally in tallies:
        total = total.plus(tally, threshold)
    return total


@dataclasses.dataclass(frozen=True)
class Cell:
    """One place and service type."""

    service_key: str
    service_label: str
    identified: Tally
    met: Tally
    unmet: Tally  # not met yet: identified, referred, waitlisted or unavailable
    unavailable: Tally  # some of the unmet
    providers: Tally

    @property
    def has_unmet(self) -> bool:
        """Some need is unmet: the same statuses as a case's "has unmet needs" (a need
        the youth or family declined is neither met nor unmet). A hidden count is at
        least 1, so a suppressed cell is flagged too."""
        return self.unmet.low > 0

    @property
    def no_provider(self) -> bool:
        return self.providers.high == 0

    @property
    def flagged(self) -> bool:
        return self.has_unmet or self.no_provider


@dataclasses.dataclass(frozen=True)
class Row:
    key: str  # the anchor: a county's FIPS code, "region-N", or "total"
    label: str
    cells: list[Cell]
    url: str = ""  # a region's own view (statewide rows)
    note: str = ""
    is_total: bool = False

    @property
    def flagged(self) -> int:
        return sum(cell.flagged for cell in self.cells)


@dataclasses.dataclass(frozen=True)
class ReasonCount:
    key: str
    label: str
    tally: Tally


@dataclasses.dataclass(frozen=True)
class GapMatrix:
    place: str  # "Region 2 (Northeast)", "Wisconsin"
    region: Region | None
    period: GapPeriod
    source: str  # LIVE or PUBLISHED
    row_noun: str  # "County", "Region"
    columns: list[tuple[str, str]]  # (service type key, label)
    rows: list[Row]
    total: Row
    reasons: list[ReasonCount]
    # The place's totals over every service type: identified, met, unavailable.
    headline: dict[str, Tally]
    reasons_total: Tally  # needs unavailable, every service type (what the reasons add to)
    threshold: int | None = None  # published: the suppression threshold
    computed: list[tuple[Quarter, datetime.datetime]] = dataclasses.field(default_factory=list)
    missing: list[Quarter] = dataclasses.field(default_factory=list)
    providers_as_of: Quarter | None = None
    service: str = ""  # one service type's column only (`only`)

    @property
    def live(self) -> bool:
        return self.source == LIVE

    def only(self, service_key: str) -> "GapMatrix":
        """The matrix narrowed to one service type's column, its headline that column's
        total (the reasons stay the place's, over every service type: the published
        figures do not cross reasons with service types)."""
        keep = [i for i, (key, _) in enumerate(self.columns) if key == service_key]

        def narrowed(row: Row) -> Row:
            return dataclasses.replace(row, cells=[row.cells[i] for i in keep])

        total = narrowed(self.total)
        headline = dict(self.headline)
        if total.cells:
            cell = total.cells[0]
            headline = {
                IDENTIFIED: cell.identified,
                MET: cell.met,
                UNMET: cell.unmet,
                UNAVAILABLE: cell.unavailable,
            }
        return dataclasses.replace(
            self,
            columns=[self.columns[i] for i in keep],
            rows=[narrowed(row) for row in self.rows],
            total=total,
            headline=headline,
            service=service_key,
        )

    def _places(self, n: int) -> str:
        """What the flag counts count: counties (or regions) for one service type,
        county-service (or region-service) pairs for all of them."""
        noun = self.row_noun.lower()
        if not self.service:
            noun += "\u2013service pair"  # an en dash: county and service
        plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
        return noun if n == 1 else plural

    @property
    def unmet_places(self) -> str:
        return self._places(self.unmet_cells)

    @property
    def no_provider_places(self) -> str:
        return self._places(self.no_provider_cells)

    @property
    def service_label(self) -> str:
        return self.columns[0][1] if self.service and self.columns else ""

    @property
    def has_figures(self) -> bool:
        return self.live or bool(self.computed)

    @property
    def unmet_cells(self) -> int:
        return sum(cell.has_unmet for row in self.rows for cell in row.cells)

    @property
    def no_provider_cells(self) -> int:
        return sum(cell.no_provider for row in self.rows for cell in row.cells)


def _service_types() -> list[ServiceType]:
    return list(ServiceType.objects.order_by("order", "label"))


def _columns(services: list[ServiceType], needs_in: dict[str, Tally]) -> list[tuple[str, str]]:
    """Every active service type, and an inactive one while needs of that type count."""
    return [
        (s.key, s.label)
        for s in services
        if s.active or needs_in.get(s.key, Tally.exact(0)).value != 0
    ]


# --- Live: a hub specialist's own region ---------------------------------------------


def region_gaps_live(user: AbstractBaseUser, region: Region, period: GapPeriod) -> GapMatrix:
    """`region`'s matrix from the cases `user` may see in it. For its hub specialists
    (`gap_source` says who); nothing here checks it again. Eight queries, whatever the
    number of needs, counties or providers."""
    services = _service_types()
    cases = cases_visible_to(user).filter(region=region).values("pk")
    needs = ServiceNeed.objects.filter(
        case__in=cases,
        identified_on__gte=period.first_day,
        identified_on__lt=period.end_day,
    ).order_by()
    grouped = needs.values_list("case__county_id", "service_type__key").annotate(
        identified=Count("pk"),
        met=Count("pk", filter=Q(status__in=MET_NEEDS)),
        unmet=Count("pk", filter=Q(status__in=UNMET_NEEDS)),
        unavailable=Count("pk", filter=Q(status=NeedStatus.UNAVAILABLE)),
    )
    found: dict[tuple[int, str], tuple[int, ...]] = {}
    for county_id, key, *counts in grouped:
        found[(county_id, key)] = tuple(counts)
    reasons = dict(
        needs.filter(status=NeedStatus.UNAVAILABLE)
        .values_list("reason")
        .annotate(n=Count("pk"))
        .values_list("reason", "n")
    )
    # The region's counties, and any other county its cases were recorded in.
    elsewhere = {county_id for county_id, _ in found}
    counties = list(County.objects.filter(Q(region=region) | Q(pk__in=elsewhere)).order_by("name"))
    by_county = active_provider_counts("counties")
    by_region = active_provider_counts("counties__region")

    def cell(service: ServiceType, counts: tuple[int, ...], providers: int) -> Cell:
        return Cell(
            service.key,
            service.label,
            *(Tally.exact(n) for n in counts),
            Tally.exact(providers),
        )

    nothing = (0,) * len(NEED_METRICS)
    totals: dict[str, list[int]] = {s.key: list(nothing) for s in services}
    for (_, key), counts in found.items():
        for i, n in enumerate(counts):
            totals.setdefault(key, list(nothing))[i] += n
    needs_in = {key: Tally.exact(counts[0]) for key, counts in totals.items()}
    columns = _columns(services, needs_in)
    shown = [s for s in services if (s.key, s.label) in columns]
    rows = [
        Row(
            key=county.fips,
            label=county.name,
            cells=[
                cell(
                    s,
                    found.get((county.pk, s.key), nothing),
                    by_county.get((county.pk, s.key), 0),
                )
                for s in shown
            ],
            note="" if county.region_id == region.pk else "A county of another region",
        )
        for county in counties
    ]
    total = Row(
        key="total",
        label=f"Region {region.number}, all counties",
        cells=[cell(s, tuple(totals[s.key]), by_region.get((region.pk, s.key), 0)) for s in shown],
        is_total=True,
    )
    headline = {
        metric: Tally.exact(sum(counts[i] for counts in totals.values()))
        for i, metric in enumerate(NEED_METRICS)
    }
    return GapMatrix(
        place=str(region),
        region=region,
        period=period,
        source=LIVE,
        row_noun="County",
        columns=columns,
        rows=rows,
        total=total,
        reasons=[
            ReasonCount(key, label, Tally.exact(reasons.get(key, 0)))
            for key, label in UnavailableReason.choices
        ],
        headline=headline,
        reasons_total=headline[UNAVAILABLE],
    )


# --- Published: the state task force -------------------------------------------------


class _Figures:
    """The suppressed figures of a period's quarters, summed over the quarters; the
    providers from the newest quarter computed."""

    def __init__(self, rows: list[Published], period: GapPeriod, threshold: int):
        self.threshold = threshold
        by_quarter: dict[str, dict[tuple, Published]] = defaultdict(dict)
        computed: dict[str, datetime.datetime] = {}
        has: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            key = (
                row.metric,
                row.scope,
                row.region_id,
                row.county_id,
                row.dimension,
                row.category,
            )
            by_quarter[row.quarter][key] = row
            computed[row.quarter] = row.computed_at
            has[row.metric].add(row.quarter)
        self.by_quarter = by_quarter
        # Quarters whose figures include the needs (a run before they were counted
        # does not).
        self.need_quarters = [q for q in period.quarters if str(q) in has[IDENTIFIED]]
        self.missing = [q for q in period.quarters if q not in self.need_quarters]
        provider_quarters = [q for q in period.quarters if str(q) in has[PROVIDERS]]
        self.providers_quarter = provider_quarters[-1] if provider_quarters else None
        self.computed = [(q, computed[str(q)]) for q in self.need_quarters]

    def tally(self, metric: str, place: tuple, dimension: str = "", category: str = "") -> Tally:
        key = (metric, *place, dimension, category)
        if metric == PROVIDERS:
            if self.providers_quarter is None:
                return Tally(0, None, "not computed")
            row = self.by_quarter[str(self.providers_quarter)].get(key)
            return Tally.of(row, self.threshold)
        if not self.need_quarters:
            return Tally(0, None, "not computed")
        return _total(
            (
                Tally.of(self.by_quarter[str(q)].get(key), self.threshold)
                for q in self.need_quarters
            ),
            self.threshold,
        )

    def cell(self, place: tuple, key: str, label: str) -> Cell:
        return Cell(
            key,
            label,
            *(self.tally(m, place, "service_type", key) for m in (*NEED_METRICS, PROVIDERS)),
        )


def _published(user: AbstractBaseUser, period: GapPeriod, where: Q) -> _Figures:
    threshold = suppression_threshold()
    rows = figures_visible_to(
        user,
        quarters=[str(q) for q in period.quarters],
        metric_keys=[*NEED_METRICS, PROVIDERS],
        where=where & Q(dimension__in=["", "service_type", "reason"]),
    )
    return _Figures(rows, period, threshold)


def _published_matrix(
    figures: _Figures,
    *,
    place: str,
    region: Region | None,
    period: GapPeriod,
    row_noun: str,
    places: list[tuple[str, str, tuple, str, str]],  # (anchor, label, place key, url, note)
    total_place: tuple,
    total_label: str,
) -> GapMatrix:
    services = _service_types()
    needs_in = {
        s.key: figures.tally(IDENTIFIED, total_place, "service_type", s.key) for s in services
    }
    columns = _columns(services, needs_in)
    rows = [
        Row(
            key=anchor,
            label=label,
            cells=[
                figures.cell(key, service_key, service_label)
                for service_key, service_label in columns
            ],
            url=url,
            note=note,
        )
        for anchor, label, key, url, note in places
    ]
    total = Row(
        key="total",
        label=total_label,
        cells=[figures.cell(total_place, k, label) for k, label in columns],
        is_total=True,
    )
    reasons = [
        ReasonCount(key, label, figures.tally(UNAVAILABLE, total_place, "reason", key))
        for key, label in UnavailableReason.choices
    ]
    return GapMatrix(
        place=place,
        region=region,
        period=period,
        source=PUBLISHED,
        row_noun=row_noun,
        columns=columns,
        rows=rows,
        total=total,
        reasons=reasons,
        headline={m: figures.tally(m, total_place) for m in NEED_METRICS},
        reasons_total=figures.tally(UNAVAILABLE, total_place),
        threshold=figures.threshold,
        computed=figures.computed,
        missing=figures.missing,
        providers_as_of=figures.providers_quarter,
    )


def region_gaps_published(user: AbstractBaseUser, region: Region, period: GapPeriod) -> GapMatrix:
    """`region`'s matrix from the published figures `user` may see (the task force:
    `gap_source`). Reads no case table."""
    counties = list(County.objects.filter(region=region).order_by("name"))
    figures = _published(
        user,
        period,
        Q(region_id=region.pk, scope__in=[ScopeKind.COUNTY, ScopeKind.REGION]),
    )
    return _published_matrix(
        figures,
        place=str(region),
        region=region,
        period=period,
        row_noun="County",
        places=[(c.fips, c.name, (ScopeKind.COUNTY, region.pk, c.pk), "", "") for c in counties],
        total_place=(ScopeKind.REGION, region.pk, None),
        total_label=f"Region {region.number} (its cases, all counties)",
    )


def state_gaps_published(user: AbstractBaseUser, period: GapPeriod) -> GapMatrix:
    """Wisconsin's matrix, a row per region (each opening its own view), from the
    published figures. For the task force (`gap_source`). Reads no case table."""
    regions = list(Region.objects.order_by("number"))
    figures = _published(user, period, Q(scope__in=[ScopeKind.STATE, ScopeKind.REGION]))
    return _published_matrix(
        figures,
        place="Wisconsin",
        region=None,
        period=period,
        row_noun="Region",
        places=[
            (
                f"region-{r.number}",
                f"Region {r.number} ({r.name})",
                (ScopeKind.REGION, r.pk, None),
                reverse("cases:gaps-region", args=[r.number]),
                "",
            )
            for r in regions
        ],
        total_place=(ScopeKind.STATE, None, None),
        total_label="Wisconsin",
    )


def gaps_for(user: AbstractBaseUser, region: Region | None, period: GapPeriod) -> GapMatrix:
    """The matrix `user` may see for `region` (None: Wisconsin), live or published;
    GapsRefused when none."""
    source = gap_source(user, region)
    if region is None:
        return state_gaps_published(user, period)
    if source == LIVE:
        return region_gaps_live(user, region, period)
    return region_gaps_published(user, region, period)


# --- As a file -----------------------------------------------------------------------

EXPORT_COLUMNS = [
    "period",
    "place",
    "county_fips",
    "service_type",
    "service_type_label",
    "needs_identified",
    "needs_met",
    "needs_unmet",
    "needs_unavailable",
    "providers_active",
    "flag_unmet",
    "flag_no_provider",
    "reason",
    "reason_label",
]


def _file_value(tally: Tally):
    """A number where the page shows one, else the page's words ("fewer than 5",
    "suppressed"): never a hidden value."""
    return tally.value if tally.value is not None else tally.text


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def matrix_records(matrix: GapMatrix) -> list[list]:
    """What the page shows, a row per place and service type (the total last), then the
    reasons needs were unavailable, for the whole place."""
    period = matrix.period.key
    records = []
    for row in [*matrix.rows, matrix.total]:
        fips = row.key if matrix.row_noun == "County" and not row.is_total else ""
        for cell in row.cells:
            records.append(
                [
                    period,
                    row.label,
                    fips,
                    cell.service_key,
                    cell.service_label,
                    _file_value(cell.identified),
                    _file_value(cell.met),
                    _file_value(cell.unmet),
                    _file_value(cell.unavailable),
                    _file_value(cell.providers),
                    _yes_no(cell.has_unmet),
                    _yes_no(cell.no_provider),
                    "",
                    "",
                ]
            )
    for reason in matrix.reasons:
        records.append(
            [
                period,
                matrix.total.label,
                "",
                "",
                "",
                "",
                "",
                "",
                _file_value(reason.tally),
                "",
                "",
                "",
                reason.key,
                reason.label,
            ]
        )
    return records


def matrix_notes(matrix: GapMatrix) -> list[str]:
    """The "About" lines of a workbook: what the file holds and how it was counted."""
    now = timezone.localtime()
    lines = [
        f"Resource gaps: {matrix.place}, {matrix.period.label}. Exported "
        f"{now:%Y-%m-%d %H:%M} (Central time).",
        "One row per place and service type: needs identified in the period (by the date "
        "identified); of them, needs met (receiving services or completed) and needs "
        "unmet (identified, referred, waitlisted or unavailable; a need the youth or "
        "family declined is neither); of the unmet, needs unavailable; and active "
        "providers in the resource directory serving the place. flag_unmet is 'yes' where "
        "any need is unmet; flag_no_provider where no active provider serves the place "
        "for that service. The last rows: why needs were unavailable, for the whole place.",
    ]
    if matrix.live:
        lines.append(
            "Live: from the region's cases you may see; met and unavailable are each "
            "need's status at the time of export; providers as the directory stands now."
        )
    else:
        lines.append(
            f"From the quarterly figures. Suppression: counts from 1 to "
            f"{(matrix.threshold or 2) - 1} are never shown, and further cells are hidden "
            "so that no hidden value can be worked out from a total; a hidden count reads "
            "'fewer than N' or 'suppressed', never a number. A sum over quarters with a "
            "hidden part is hidden."
        )
        for quarter, at in matrix.computed:
            lines.append(
                f"{quarter.label}: figures computed {timezone.localtime(at):%Y-%m-%d %H:%M}."
            )
        for quarter in matrix.missing:
            lines.append(f"{quarter.label}: no figures yet; its needs are not counted.")
    lines.append("De-identified: counts only; no names, no case numbers.")
    return lines
