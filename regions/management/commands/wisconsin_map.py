"""Build the Wisconsin county map that dashboards draw as inline SVG.

Pages never load the vendored us-atlas TopoJSON (842 KB, every US county). This
command cuts Wisconsin's 72 counties out of it once, projects them, fits them
into a viewBox about 600 units wide and writes one SVG path per county to
`regions/data/wisconsin_counties_map.json`, which is kept in the repository and
read by `regions.countymap`.

Rerun it only when the vendored us-atlas is upgraded (change `US_ATLAS_VERSION`
and the folder under static/vendor/ together), then keep the new JSON file:

    python manage.py wisconsin_map

The output is deterministic: the same source gives a byte-identical file, so a
rerun without an upgrade shows no diff. The command refuses a source whose
Wisconsin counties differ from `regions/data/wi_counties.csv`.

Projection: Albers equal-area conic on a sphere, standard parallels 43°N and
46°N, central meridian 90°W. Equal-area because a choropleth's shaded areas are
compared by eye; the parallels bracket Wisconsin (42.5°N to 47.1°N), so shapes
are barely distorted.
"""

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

US_ATLAS_VERSION = "3.0.1"
SOURCE_PATH = (
    Path(settings.BASE_DIR)
    / "static"
    / "vendor"
    / f"us-atlas-{US_ATLAS_VERSION}"
    / "counties-10m.json"
)
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
OUTPUT_PATH = DATA_DIR / "wisconsin_counties_map.json"
COUNTIES_CSV = DATA_DIR / "wi_counties.csv"

WISCONSIN_STATE_FIPS = "55"
STANDARD_PARALLELS = (43.0, 46.0)
CENTRAL_MERIDIAN = -90.0
PROJECTION = (
    "Albers equal-area conic (sphere), standard parallels 43°N and 46°N, "
    "central meridian 90°W, y flipped for SVG"
)
VIEWBOX_WIDTH = 600
# Room for the county strokes at the edge of the map.
MARGIN = 2.0

Point = tuple[float, float]
Ring = list[Point]


class Command(BaseCommand):
    help = (
        "Write regions/data/wisconsin_counties_map.json (SVG paths of Wisconsin's 72 "
        "counties) from the vendored us-atlas TopoJSON. Rerun only after upgrading us-atlas."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            default=OUTPUT_PATH,
            metavar="PATH",
            help=f"Where to write the map (default: {OUTPUT_PATH}).",
        )

    def handle(self, *args, output: Path, **options):
        try:
            topology = json.loads(SOURCE_PATH.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{SOURCE_PATH}: cannot read the TopoJSON ({exc})") from exc

        county_map = wisconsin_county_map(topology)
        expected = _reference_fips()
        found = set(county_map["counties"])
        if found != expected:
            raise CommandError(
                f"{SOURCE_PATH}: Wisconsin counties differ from {COUNTIES_CSV.name}: "
                f"missing {sorted(expected - found)}, unexpected {sorted(found - expected)}"
            )

        text = json.dumps(county_map, indent=2, ensure_ascii=False) + "\n"
        output.write_text(text, encoding="utf-8")
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(found)} counties to {output} ({len(text.encode()):,} bytes)."
            )
        )


def wisconsin_county_map(topology: dict[str, Any]) -> dict[str, Any]:
    """Wisconsin's counties from a us-atlas topology, as SVG paths in a fitted viewBox."""
    arcs = _arcs_decode(topology)
    shapes: dict[str, tuple[str, list[list[Ring]]]] = {}
    for geometry in topology["objects"]["counties"]["geometries"]:
        fips = str(geometry.get("id", ""))
        if not fips.startswith(WISCONSIN_STATE_FIPS):
            continue
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            raise CommandError(f"county {fips}: unexpected geometry {geometry['type']}")
        projected = [
            [[_albers(lon, lat) for lon, lat in _ring_stitch(ring, arcs)] for ring in polygon]
            for polygon in polygons
        ]
        shapes[fips] = (geometry["properties"]["name"], projected)

    xs = [x for _, polygons in shapes.values() for p in polygons for r in p for x, _ in r]
    ys = [y for _, polygons in shapes.values() for p in polygons for r in p for _, y in r]
    scale = (VIEWBOX_WIDTH - 2 * MARGIN) / (max(xs) - min(xs))
    height = math.ceil((max(ys) - min(ys)) * scale + 2 * MARGIN)
    x0, y1 = min(xs), max(ys)

    def fit(point: Point) -> Point:
        # Projected y grows northwards; SVG's y grows downwards.
        return (
            round((point[0] - x0) * scale + MARGIN, 1),
            round((y1 - point[1]) * scale + MARGIN, 1),
        )

    counties: dict[str, dict[str, Any]] = {}
    for fips in sorted(shapes):
        name, polygons = shapes[fips]
        rings = [_ring_clean([fit(point) for point in ring]) for p in polygons for ring in p]
        rings = [ring for ring in rings if len(ring) >= 3]
        if not rings:
            raise CommandError(f"county {fips}: nothing left after rounding")
        label_x, label_y = _label_point(max(rings, key=lambda ring: abs(_ring_area(ring))))
        counties[fips] = {
            "name": name,
            "d": "".join(_ring_path(ring) for ring in rings),
            "label_x": round(label_x, 1),
            "label_y": round(label_y, 1),
        }

    return {
        "source": f"us-atlas {US_ATLAS_VERSION} counties-10m.json (Census TIGER)",
        "projection": PROJECTION,
        "viewBox": f"0 0 {VIEWBOX_WIDTH} {height}",
        "counties": counties,
    }


def _arcs_decode(topology: dict[str, Any]) -> list[list[Point]]:
    """Absolute lon/lat arcs: quantized, delta-encoded positions undone."""
    transform = topology.get("transform")
    if transform is None:
        return [[(float(x), float(y)) for x, y, *_ in arc] for arc in topology["arcs"]]
    (kx, ky), (dx, dy) = transform["scale"], transform["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for qx, qy, *_ in arc:
            x += qx
            y += qy
            points.append((x * kx + dx, y * ky + dy))
        decoded.append(points)
    return decoded


def _ring_stitch(indexes: list[int], arcs: list[list[Point]]) -> Ring:
    """One ring from its arcs; index ~i is arc i reversed, and arcs share end points."""
    ring: Ring = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc if not ring else arc[1:])
    return ring


def _albers(lon: float, lat: float) -> Point:
    phi1, phi2 = (math.radians(p) for p in STANDARD_PARALLELS)
    n = (math.sin(phi1) + math.sin(phi2)) / 2
    c = math.cos(phi1) ** 2 + 2 * n * math.sin(phi1)
    rho = math.sqrt(c - 2 * n * math.sin(math.radians(lat))) / n
    theta = n * math.radians(lon - CENTRAL_MERIDIAN)
    return rho * math.sin(theta), -rho * math.cos(theta)


def _ring_clean(ring: Ring) -> Ring:
    """Drop points that rounding made equal to the previous one, and the closing point."""
    cleaned: Ring = []
    for point in ring:
        if not cleaned or point != cleaned[-1]:
            cleaned.append(point)
    while len(cleaned) > 1 and cleaned[-1] == cleaned[0]:
        cleaned.pop()
    return cleaned


def _ring_path(ring: Ring) -> str:
    first, *rest = (f"{_number(x)},{_number(y)}" for x, y in ring)
    return f"M{first}L{' '.join(rest)}Z"


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _ring_edges(ring: Ring) -> Iterator[tuple[Point, Point]]:
    return zip(ring, ring[1:] + ring[:1], strict=True)


def _ring_area(ring: Ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in _ring_edges(ring)) / 2


def _ring_centroid(ring: Ring) -> Point:
    area = _ring_area(ring)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in _ring_edges(ring):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (6 * area), cy / (6 * area)


def _label_point(ring: Ring) -> Point:
    """The ring's centroid, or for a concave ring whose centroid falls outside it
    (Pepin), the middle of the widest span inside the ring at the centroid's height."""
    cx, cy = _ring_centroid(ring)
    crossings = sorted(
        x0 + (cy - y0) * (x1 - x0) / (y1 - y0)
        for (x0, y0), (x1, y1) in _ring_edges(ring)
        if (y0 > cy) != (y1 > cy)
    )
    spans = list(zip(crossings[::2], crossings[1::2], strict=True))
    if any(left <= cx <= right for left, right in spans):
        return cx, cy
    left, right = max(spans, key=lambda span: span[1] - span[0])
    return (left + right) / 2, cy


def _reference_fips() -> set[str]:
    with COUNTIES_CSV.open(encoding="utf-8", newline="") as f:
        return {row["fips"] for row in csv.DictReader(f)}
