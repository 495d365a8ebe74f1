"""What the task force's dashboards show: panels assembled from published figures.

A `Dashboard` is one view of one quarter for one place (Wisconsin, or a region). Each
panel carries its table (always: the accessible form of every chart), an optional chart
configuration for static/js/dashboards.js, a sentence saying what it shows, and the
`Published` rows it was made from, which is exactly what its CSV and XLSX exports hold.
Everything here reads regions.figures, never the raw figures and never a case table.
"""

import dataclasses
from collections.abc import Iterable

from django.db.models import Q
from django.utils.formats import number_format

from regions.countymap import county_map
from regions.figures import (
    Published,
    dashboard_regions,
    figures_visible_to,
    published,
    rolled_up_quarters,
    sees_statewide,
    visible_where,
)
from regions.metrics import Metric, Unit, metric, metrics
from regions.models import County, Region, ScopeKind, Tribe
from regions.quarters import Quarter

TILE_METRICS = [
    "referrals_received",
    "cases_opened",
    "cases_accepted",
    "cases_closed",
    "cases_active_end",
    "median_hours_to_acceptance",
    "step_on_time_pct",
    "steps_overdue_end",
    # Registered by training/metrics.py (a tile is skipped when its metric is not).
    "trainings_delivered",
    "people_trained",
]
DEFAULT_METRIC = "referrals_received"
MAP_METRIC = "referrals_received"
TREND_QUARTERS = 8
TIMELINESS = "step_on_time_pct"
OVERDUE = "steps_overdue_end"


@dataclasses.dataclass(frozen=True)
class Shown:
    """One figure as a page shows it: never a number where it is suppressed."""

    text: str
    value: float | None
    suppressed: bool = False

    @property
    def css(self) -> str:
        return "figure--suppressed" if self.suppressed else ""


def shown(row: Published | None, unit: str, threshold: int) -> Shown:
    if row is None:
        return Shown("not computed", None)
    if row.suppressed:
        if row.small and unit == Unit.COUNT:
            return Shown(f"fewer than {threshold}", None, True)
        if row.small:
            return Shown(f"fewer than {threshold} cases", None, True)
        return Shown("suppressed", None, True)
    if row.value is None:
        return Shown("no cases", None)
    return Shown(format_value(row.value, unit), row.value)


def format_value(value: float, unit: str) -> str:
    if unit == Unit.PERCENT:
        return f"{number_format(value, 1)}%"
    if unit == Unit.HOURS:
        return f"{number_format(value, 1)} h"
    if unit == Unit.DAYS:
        return f"{number_format(value, 1)} days"
    return number_format(int(value), 0, force_grouping=True)


@dataclasses.dataclass(frozen=True)
class Place:
    scope: str
    region_id: int | None
    county_id: int | None
    tribe_id: int | None
    label: str

    @property
    def key(self) -> tuple:
        return (self.scope, self.region_id, self.county_id, self.tribe_id)


STATE = Place(ScopeKind.STATE, None, None, None, "Wisconsin")


@dataclasses.dataclass
class Panel:
    key: str
    title: str
    sentence: str
    columns: list[str]
    rows: list[tuple[str, list[Shown]]]
    figures: list[Published]
    chart: dict | None = None
    map: dict | None = None

    @property
    def tiles(self) -> list[dict]:
        """The rows as tiles: the measure, its figure for the quarter, and the other
        columns (change, quarter to date, Wisconsin) named beside their figures."""
        return [
            {
                "label": label,
                "value": cells[0],
                "when": self.columns[1],
                "more": list(zip(self.columns[2:], cells[1:], strict=True)),
            }
            for label, cells in self.rows
        ]


class Dashboard:
    """One quarter, one place, as the requesting user may see it."""

    def __init__(
        self,
        user,
        *,
        threshold: int,
        quarter: str | None = None,
        region: Region | None = None,
        metric_key: str | None = None,
        dimension: str | None = None,
    ):
        self.user = user
        self.threshold = threshold
        self.region = region
        self.quarters = rolled_up_quarters()
        self.quarter = quarter if quarter in self.quarters else self._default_quarter()
        self.metric = metric(metric_key or "") or metric(DEFAULT_METRIC)
        self.dimension = self.metric.dimension(dimension or "") or (
            self.metric.dimensions[0] if self.metric.dimensions else None
        )
        current = str(Quarter.current())
        self.quarter_to_date = (
            current if current in self.quarters and current != self.quarter else None
        )
        self.place = (
            Place(ScopeKind.REGION, region.pk, None, None, f"Region {region.number}")
            if region
            else STATE
        )
        self.regions = list(Region.objects.all())
        self.counties = list(County.objects.all())
        self.tribes = list(Tribe.objects.all())
        self.statewide = sees_statewide(user)
        self.region_choices = self.regions if self.statewide else dashboard_regions(user)
        region_ids = None if self.statewide else {r.pk for r in self.region_choices}
        shown = visible_where(region_ids)
        self._tables = (
            published(
                [self.quarter, self.previous, self.quarter_to_date, *self.trend_quarters],
                self._figures_wanted() if shown is None else self._figures_wanted() & shown,
                threshold=threshold,
            )
            if region_ids is None or region_ids
            else {}
        )

    def _figures_wanted(self) -> Q:
        """Exactly the figures the panels show, so a page reads a few hundred rows
        whatever the number of quarters, places and categories."""
        here = Q(scope=self.place.scope, region_id=self.place.region_id)
        here_and_state = here | Q(scope=ScopeKind.STATE)
        totals = Q(dimension="")
        quarter = Q(quarter=self.quarter)
        in_region = Q(region_id=self.region.pk) if self.region else Q()
        side_by_side = (  # the regions (statewide only) and the tribes
            Q(scope=ScopeKind.TRIBE) & in_region
            if self.region
            else Q(scope__in=[ScopeKind.REGION, ScopeKind.TRIBE])
        )
        wanted = (
            # tiles: this quarter, the one before, the quarter to date
            Q(quarter__in=[q for q in (self.quarter, self.previous, self.quarter_to_date) if q])
            & Q(metric__in=TILE_METRICS)
            & totals
            & here_and_state
        )
        wanted |= (  # trend
            Q(quarter__in=self.trend_quarters, metric=self.metric.key) & totals & here_and_state
        )
        wanted |= quarter & Q(metric=self.metric.key) & totals & side_by_side
        wanted |= (  # the map
            quarter & Q(metric=MAP_METRIC, scope=ScopeKind.COUNTY) & totals & in_region
        )
        wanted |= (  # timeliness by step
            quarter & Q(metric__in=[TIMELINESS, OVERDUE], dimension__in=["", "step"]) & here
        )
        if self.dimension is not None:  # the breakdown
            wanted |= quarter & Q(metric=self.metric.key, dimension=self.dimension.key) & here
        return wanted

    # --- quarters -------------------------------------------------------------------

    def _default_quarter(self) -> str | None:
        complete = [q for q in self.quarters if Quarter.parse(q).is_complete()]
        return (complete or self.quarters or [None])[0]

    @property
    def has_figures(self) -> bool:
        return self.quarter is not None

    @property
    def quarter_label(self) -> str:
        return Quarter.parse(self.quarter).label if self.quarter else ""

    @property
    def previous(self) -> str | None:
        return str(Quarter.parse(self.quarter).previous()) if self.quarter else None

    @property
    def trend_quarters(self) -> list[str]:
        if not self.quarter:
            return []
        return [str(q) for q in Quarter.parse(self.quarter).back(TREND_QUARTERS)]

    @property
    def computed_at(self):
        table = self._tables.get((self.quarter, self.metric.key))
        return table.rows[0].computed_at if table and table.rows else None

    # --- lookups --------------------------------------------------------------------

    def row(
        self,
        quarter: str | None,
        metric_key: str,
        place: Place,
        dimension: str = "",
        category: str = "",
    ) -> Published | None:
        table = self._tables.get((quarter, metric_key))
        return table.index.get((*place.key, dimension, category)) if table else None

    def show(self, row: Published | None, unit: str) -> Shown:
        return shown(row, unit, self.threshold)

    def region_place(self, region: Region) -> Place:
        return Place(
            ScopeKind.REGION, region.pk, None, None, f"Region {region.number}: {region.name}"
        )

    def county_places(self) -> list[Place]:
        counties = [c for c in self.counties if not self.region or c.region_id == self.region.pk]
        return [Place(ScopeKind.COUNTY, c.region_id, c.pk, None, c.name) for c in counties]

    def tribe_places(self) -> list[Place]:
        tribes = [
            t for t in self.tribes if not self.region or t.primary_region_id == self.region.pk
        ]
        return [Place(ScopeKind.TRIBE, t.primary_region_id, None, t.pk, t.name) for t in tribes]

    # --- panels ---------------------------------------------------------------------

    def tiles(self) -> Panel:
        columns = [
            self.quarter_label,
            f"Change from {Quarter.parse(self.previous).label}",
        ]
        if self.quarter_to_date:
            columns.append(f"{Quarter.parse(self.quarter_to_date).label} to date")
        if self.region:
            columns.append(f"Wisconsin, {self.quarter_label}")
        rows, figures = [], []
        for key in TILE_METRICS:
            definition = metric(key)
            if definition is None:
                continue
            now = self.row(self.quarter, key, self.place)
            before = self.row(self.previous, key, self.place)
            cells = [self.show(now, definition.unit), _change(now, before, definition.unit)]
            figures += [r for r in (now, before) if r]
            if self.quarter_to_date:
                to_date = self.row(self.quarter_to_date, key, self.place)
                cells.append(self.show(to_date, definition.unit))
                figures += [to_date] if to_date else []
            if self.region:
                state = self.row(self.quarter, key, STATE)
                cells.append(self.show(state, definition.unit))
                figures += [state] if state else []
            rows.append((definition.label, cells))
        return Panel(
            "tiles",
            f"{self.place.label}: {self.quarter_label} at a glance",
            f"Key figures for {self.place.label} in {self.quarter_label}, with the change "
            "from the quarter before"
            + (" and the Wisconsin figure for comparison." if self.region else "."),
            ["Measure", *columns],
            rows,
            figures,
        )

    def regions_compared(self) -> Panel:
        unit = self.metric.unit
        places = [self.region_place(r) for r in self.regions]
        rows, figures, data, hidden = [], [], [], []
        for place in places:
            row = self.row(self.quarter, self.metric.key, place)
            cell = self.show(row, unit)
            rows.append((place.label, [cell]))
            figures += [row] if row else []
            data.append(cell.value)
            hidden.append(cell.suppressed)
        state = self.row(self.quarter, self.metric.key, STATE)
        rows.append(("Wisconsin", [self.show(state, unit)]))
        figures += [state] if state else []
        return Panel(
            "regions",
            f"The seven regions: {self.metric.label.lower()}",
            f"{self.metric.label} in each of the seven regions in {self.quarter_label}, "
            "and for Wisconsin as a whole.",
            ["Region", self.metric.label],
            rows,
            figures,
            chart=_chart(
                "bar",
                [f"Region {r.number}" for r in self.regions],
                unit,
                self.metric.label,
                data,
                hidden,
            ),
        )

    def county_panel(self) -> Panel:
        definition = metric(MAP_METRIC)
        rows, figures, cells = [], [], {}
        fips = {c.pk: c.fips for c in self.counties}
        for place in self.county_places():
            row = self.row(self.quarter, MAP_METRIC, place)
            cell = self.show(row, definition.unit)
            rows.append((place.label, [cell]))
            figures += [row] if row else []
            if row is not None:
                label = cell.text if cell.suppressed else f"{cell.text} {definition.noun}"
                cells[fips[place.county_id]] = {
                    "value": cell.value,
                    "suppressed": cell.suppressed,
                    "label": label,
                }
        where = f"region {self.region.number}" if self.region else "Wisconsin"
        return Panel(
            "counties",
            f"{definition.label} by county",
            f"{definition.label} in each county of {where} in {self.quarter_label} (the "
            "county recorded on the case). Darker is more; hatched counties are suppressed."
            + (" Counties outside the region are grey." if self.region else ""),
            ["County", definition.label],
            rows,
            figures,
            map=county_map(cells, suppressed_legend="Suppressed"),
        )

    def trend(self) -> Panel:
        unit = self.metric.unit
        series = [self.place] + ([STATE] if self.region and not self.metric.additive else [])
        labels = [Quarter.parse(q).label for q in self.trend_quarters]
        rows, figures, datasets = [], [], []
        for place in series:
            data, hidden = [], []
            for quarter in self.trend_quarters:
                row = self.row(quarter, self.metric.key, place)
                cell = self.show(row, unit)
                figures += [row] if row else []
                data.append(cell.value)
                hidden.append(cell.suppressed)
            datasets.append({"label": place.label, "data": data, "suppressed": hidden})
        for i, quarter_label in enumerate(labels):
            cells = []
            for place in series:
                row = self.row(self.trend_quarters[i], self.metric.key, place)
                cells.append(self.show(row, unit))
            rows.append((quarter_label, cells))
        return Panel(
            "trend",
            f"{self.metric.label}: the last {TREND_QUARTERS} quarters",
            f"{self.metric.label} for {self.place.label}, quarter by quarter, up to "
            f"{self.quarter_label}.",
            ["Quarter", *[p.label for p in series]],
            rows,
            figures,
            chart={"type": "line", "labels": labels, "unit": unit, "datasets": datasets},
        )

    def breakdown(self) -> Panel | None:
        if self.dimension is None:
            return None
        unit = self.metric.unit
        rows, figures, data, hidden, labels = [], [], [], [], []
        for category, label in self.dimension.category_choices():
            row = self.row(self.quarter, self.metric.key, self.place, self.dimension.key, category)
            if row is None:
                continue
            cell = self.show(row, unit)
            rows.append((label, [cell]))
            figures.append(row)
            labels.append(label)
            data.append(cell.value)
            hidden.append(cell.suppressed)
        total = self.row(self.quarter, self.metric.key, self.place)
        if self.metric.additive:
            rows.append(("All", [self.show(total, unit)]))
            figures += [total] if total else []
        return Panel(
            "breakdown",
            f"{self.metric.label} by {self.dimension.label.lower()}",
            f"{self.metric.label} for {self.place.label} in {self.quarter_label}, by "
            f"{self.dimension.label.lower()}.",
            [self.dimension.label, self.metric.label],
            rows,
            figures,
            chart=_chart("horizontalBar", labels, unit, self.metric.label, data, hidden),
        )

    def timeliness(self) -> Panel:
        on_time, overdue = metric(TIMELINESS), metric(OVERDUE)
        step = on_time.dimension("step")
        rows, figures, data, hidden, labels = [], [], [], [], []
        for key, title in step.category_choices():
            share = self.row(self.quarter, TIMELINESS, self.place, "step", key)
            late = self.row(self.quarter, OVERDUE, self.place, "step", key)
            if share is None and late is None:
                continue
            share_cell = self.show(share, on_time.unit) if share else Shown("none due", None)
            rows.append((title, [share_cell, self.show(late, overdue.unit)]))
            figures += [r for r in (share, late) if r]
            labels.append(title)
            data.append(share_cell.value)
            hidden.append(share_cell.suppressed)
        total_share = self.row(self.quarter, TIMELINESS, self.place)
        total_late = self.row(self.quarter, OVERDUE, self.place)
        rows.append(
            (
                "All steps",
                [self.show(total_share, on_time.unit), self.show(total_late, overdue.unit)],
            )
        )
        figures += [r for r in (total_share, total_late) if r]
        chart = _chart("horizontalBar", labels, Unit.PERCENT, on_time.label, data, hidden)
        chart["target"] = 100
        return Panel(
            "timeliness",
            "Statutory deadlines: Response Protocol steps on time",
            f"For {self.place.label} in {self.quarter_label}: of the steps due, the share "
            "done by the deadline, against 100%; and the steps still overdue at the "
            "quarter's end.",
            ["Step", on_time.label, overdue.label],
            rows,
            figures,
            chart=chart,
        )

    def tribes_panel(self) -> Panel:
        unit = self.metric.unit
        rows, figures = [], []
        for place in self.tribe_places():
            row = self.row(self.quarter, self.metric.key, place)
            rows.append((place.label, [self.show(row, unit)]))
            figures += [row] if row else []
        return Panel(
            "tribes",
            f"Tribal nations: {self.metric.label.lower()}",
            f"{self.metric.label} for youth affiliated with each tribe in {self.quarter_label}. "
            "Tribes overlap counties and are not added into them.",
            ["Tribe", self.metric.label],
            rows,
            figures,
        )

    def panels(self) -> list[Panel]:
        if not self.has_figures:
            return []
        panels = [self.tiles()]
        if not self.region:
            panels.append(self.regions_compared())
        panels += [self.county_panel(), self.trend()]
        breakdown = self.breakdown()
        if breakdown:
            panels.append(breakdown)
        panels += [self.timeliness(), self.tribes_panel()]
        return panels

    def panel(self, key: str) -> Panel | None:
        return next((p for p in self.panels() if p.key == key), None)

    def quarter_figures(self) -> list[Published]:
        """Everything of the quarter the user may see, for the whole-quarter export."""
        keys = [m.key for m in metrics()]
        region = Q(scope=ScopeKind.STATE) | Q(region_id=self.region.pk) if self.region else None
        return figures_visible_to(
            self.user, quarters=[self.quarter], metric_keys=keys, where=region
        )


def _change(now: Published | None, before: Published | None, unit: str) -> Shown:
    if now is None or before is None or now.value is None or before.value is None:
        return Shown(
            "not comparable",
            None,
            bool((now and now.suppressed) or (before and before.suppressed)),
        )
    delta = now.value - before.value
    if delta == 0:
        return Shown("no change", 0)
    sign = "up" if delta > 0 else "down"
    magnitude = format_value(abs(delta), unit if unit != Unit.PERCENT else Unit.PERCENT)
    if unit == Unit.PERCENT:
        magnitude = magnitude.replace("%", " points")
    return Shown(f"{sign} {magnitude}", delta)


def _chart(kind: str, labels: list[str], unit: str, label: str, data, hidden) -> dict:
    return {
        "type": kind,
        "labels": labels,
        "unit": unit,
        "datasets": [{"label": label, "data": list(data), "suppressed": list(hidden)}],
    }


def metric_choices(metric_list: Iterable[Metric] | None = None) -> list[tuple[str, str]]:
    return [(m.key, m.label) for m in (metric_list or metrics())]
