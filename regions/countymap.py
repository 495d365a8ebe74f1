"""The Wisconsin county map that dashboards draw as inline SVG.

The county outlines come from `data/wisconsin_counties_map.json`, which
`python manage.py wisconsin_map` generates from the vendored us-atlas. Views
turn their per-county figures into a template context with `county_map` and
include `dashboards/_county_map.html`; the page needs no JavaScript.
"""

import functools
import json
from pathlib import Path
from typing import Any, TypedDict

MAP_PATH = Path(__file__).resolve().parent / "data" / "wisconsin_counties_map.json"
BIN_COUNT = 4
SUPPRESSED_LEGEND = "Suppressed (fewer than 5)"
NO_DATA_LEGEND = "No data"
RANGE_DASH = "\u2013"  # an en dash between the ends of a range: a hyphen reads as minus


class Cell(TypedDict):
    value: int | None
    suppressed: bool
    label: str


@functools.cache
def county_shapes() -> dict[str, Any]:
    """The generated map file: `viewBox` and, per county FIPS code, name, path and label point."""
    return json.loads(MAP_PATH.read_text(encoding="utf-8"))


def bins(maximum: int) -> list[tuple[int, int]]:
    """Inclusive value ranges of bins 1 to 4: four equal-width slices of (0, maximum].

    A value v goes to bin ceil(4 * v / maximum), so the maximum is always in bin 4.
    Bin 0 holds zero only. With a maximum under 4 some lower ranges are empty (low
    above high); no value falls in them and the legend leaves them out.
    """
    highs = [maximum * k // BIN_COUNT for k in range(1, BIN_COUNT + 1)]
    lows = [1] + [high + 1 for high in highs[:-1]]
    return list(zip(lows, highs, strict=True))


def county_map(
    cells: dict[str, Cell], *, suppressed_legend: str = SUPPRESSED_LEGEND
) -> dict[str, Any]:
    """The context for `dashboards/_county_map.html` (pass it as `map`).

    `cells` maps a county FIPS code to `{"value", "suppressed", "label"}`, where
    `label` is the text a person reads ("12 referrals", "fewer than 5"). Each
    county gets one CSS class: `map-suppressed` for a suppressed cell,
    `map-nodata` for a county with no cell (or no value), else `map-bin-0` for
    zero and `map-bin-1`..`map-bin-4` by `bins` of the largest shown value.
    Suppressed values never count towards that maximum, so the shading cannot
    reveal them. Cells for codes that are not Wisconsin counties are ignored.

    `suppressed_legend` is the legend's text for suppressed counties: pass one
    that matches the disclosure threshold in force (and, where complementary
    suppression hides larger counts too, says so).

    Returns `viewBox`, `counties` (FIPS order: `fips`, `name`, `d`, `label_x`,
    `label_y`, `css_class`, `title`) and `legend` (`css_class`, `label`), which
    lists only the classes that can appear.
    """
    shapes = county_shapes()
    shown = {
        fips: cell["value"]
        for fips, cell in cells.items()
        if fips in shapes["counties"] and not cell["suppressed"] and cell["value"] is not None
    }
    if any(value < 0 for value in shown.values()):
        raise ValueError("county map values are counts and cannot be negative")
    ranges = bins(max(shown.values(), default=0))

    counties = []
    for fips, shape in shapes["counties"].items():
        cell = cells.get(fips)
        name = shape["name"]
        if cell is not None and cell["suppressed"]:
            css_class, text = "map-suppressed", cell["label"]
        elif cell is None or fips not in shown:
            css_class, text = "map-nodata", "no data"
        else:
            css_class, text = _bin_class(shown[fips], ranges), cell["label"]
        counties.append(
            {
                "fips": fips,
                "name": name,
                "d": shape["d"],
                "label_x": shape["label_x"],
                "label_y": shape["label_y"],
                "css_class": css_class,
                "title": f"{name} County: {text}",
            }
        )

    legend = [{"css_class": "map-bin-0", "label": "0"}]
    if shown and max(shown.values()) > 0:
        legend += [
            {
                "css_class": f"map-bin-{n}",
                "label": str(low) if low == high else f"{low}{RANGE_DASH}{high}",
            }
            for n, (low, high) in enumerate(ranges, start=1)
            if low <= high
        ]
    used = {county["css_class"] for county in counties}
    if "map-suppressed" in used:
        legend.append({"css_class": "map-suppressed", "label": suppressed_legend})
    if "map-nodata" in used:
        legend.append({"css_class": "map-nodata", "label": NO_DATA_LEGEND})

    return {"viewBox": shapes["viewBox"], "counties": counties, "legend": legend}


def _bin_class(value: int, ranges: list[tuple[int, int]]) -> str:
    if value == 0:
        return "map-bin-0"
    n = next(n for n, (_, high) in enumerate(ranges, start=1) if value <= high)
    return f"map-bin-{n}"
