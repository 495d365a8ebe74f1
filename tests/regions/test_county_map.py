import csv
import io
import json
import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.loader import render_to_string

from regions.countymap import MAP_PATH, RANGE_DASH, bins, county_map

COUNTIES_CSV = MAP_PATH.parent / "wi_counties.csv"
OUTAGAMIE, BROWN, MENOMINEE, MILWAUKEE, DANE = "55087", "55009", "55078", "55079", "55025"
ALL_CLASSES = [f"map-bin-{n}" for n in range(5)] + ["map-suppressed", "map-nodata"]


def reference_counties():
    with COUNTIES_CSV.open(encoding="utf-8", newline="") as f:
        return {row["fips"]: row["county"] for row in csv.DictReader(f)}


def map_file():
    return json.loads(MAP_PATH.read_text(encoding="utf-8"))


def rings(d):
    return [
        [tuple(float(n) for n in pair.split(",")) for pair in re.split(r"[ML ]+", part) if pair]
        for part in d.split("Z")
        if part
    ]


def inside(point, ring):
    x, y = point
    crossings = 0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            crossings += 1
    return crossings % 2 == 1


def cell(value, label=None, *, suppressed=False):
    return {"value": value, "suppressed": suppressed, "label": label or f"{value} referrals"}


def by_fips(context):
    return {county["fips"]: county for county in context["counties"]}


# The generated map file


def test_map_has_exactly_wisconsins_72_counties_with_their_names():
    counties = map_file()["counties"]
    reference = reference_counties()

    assert len(reference) == 72
    assert set(counties) == set(reference)
    assert {fips: county["name"] for fips, county in counties.items()} == reference


def test_every_path_is_closed_rings_starting_with_m():
    for fips, county in map_file()["counties"].items():
        assert county["d"].startswith("M"), fips
        assert county["d"].endswith("Z"), fips
        assert all(len(ring) >= 3 for ring in rings(county["d"])), fips


def test_label_points_lie_inside_the_viewbox_and_their_county():
    data = map_file()
    _, _, width, height = (float(n) for n in data["viewBox"].split())
    assert width == 600

    for fips, county in data["counties"].items():
        point = (county["label_x"], county["label_y"])
        assert 0 <= point[0] <= width, fips
        assert 0 <= point[1] <= height, fips
        # Pepin's centroid falls outside its outline; the command moves it in.
        assert any(inside(point, ring) for ring in rings(county["d"])), county["name"]


def test_map_file_is_small_and_names_its_source():
    data = map_file()

    assert MAP_PATH.stat().st_size < 150_000
    assert data["source"] == "us-atlas 3.0.1 counties-10m.json (Census TIGER)"
    assert data["projection"].startswith("Albers equal-area conic")


def test_rerunning_the_command_gives_the_committed_file_byte_for_byte(tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"

    call_command("wisconsin_map", output=first, stdout=io.StringIO())
    call_command("wisconsin_map", output=second, stdout=io.StringIO())

    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() == MAP_PATH.read_bytes()


# county_map


def test_bins_split_one_to_the_maximum_into_four_equal_ranges():
    assert bins(40) == [(1, 10), (11, 20), (21, 30), (31, 40)]
    assert bins(10) == [(1, 2), (3, 5), (6, 7), (8, 10)]
    # With a tiny maximum some lower ranges are empty; the maximum is always in bin 4.
    assert bins(2) == [(1, 0), (1, 1), (2, 1), (2, 2)]
    assert bins(1) == [(1, 0), (1, 0), (1, 0), (1, 1)]


def test_county_map_classes_each_kind_of_cell():
    context = county_map(
        {
            OUTAGAMIE: cell(12),
            BROWN: cell(40),
            MENOMINEE: cell(None, "fewer than 5", suppressed=True),
            MILWAUKEE: cell(0),
        }
    )
    counties = by_fips(context)

    assert context["viewBox"] == map_file()["viewBox"]
    assert len(counties) == 72
    assert counties[OUTAGAMIE]["css_class"] == "map-bin-2"
    assert counties[BROWN]["css_class"] == "map-bin-4"
    assert counties[MENOMINEE]["css_class"] == "map-suppressed"
    assert counties[MILWAUKEE]["css_class"] == "map-bin-0"
    assert counties[DANE]["css_class"] == "map-nodata"
    assert counties[OUTAGAMIE]["title"] == "Outagamie County: 12 referrals"
    assert counties[MENOMINEE]["title"] == "Menominee County: fewer than 5"
    assert counties[DANE]["title"] == "Dane County: no data"
    assert counties[OUTAGAMIE]["name"] == "Outagamie"
    assert counties[OUTAGAMIE]["d"].startswith("M")
    assert context["legend"] == [
        {"css_class": "map-bin-0", "label": "0"},
        {"css_class": "map-bin-1", "label": f"1{RANGE_DASH}10"},
        {"css_class": "map-bin-2", "label": f"11{RANGE_DASH}20"},
        {"css_class": "map-bin-3", "label": f"21{RANGE_DASH}30"},
        {"css_class": "map-bin-4", "label": f"31{RANGE_DASH}40"},
        {"css_class": "map-suppressed", "label": "Suppressed (fewer than 5)"},
        {"css_class": "map-nodata", "label": "No data"},
    ]


def test_a_suppressed_value_never_sets_the_shading():
    # Were the hidden 300 counted, the shown 3 would fall to the lowest bin.
    shown_only = county_map({OUTAGAMIE: cell(3)})
    with_hidden = county_map({OUTAGAMIE: cell(3), BROWN: cell(300, "x", suppressed=True)})

    assert by_fips(with_hidden)[OUTAGAMIE]["css_class"] == "map-bin-4"
    assert shown_only["legend"][:-1] == with_hidden["legend"][:-2]
    assert "300" not in json.dumps(with_hidden["legend"])


def test_every_county_present_and_zero_shows_no_empty_legend_entries():
    context = county_map({fips: cell(0) for fips in reference_counties()})

    assert {county["css_class"] for county in context["counties"]} == {"map-bin-0"}
    assert context["legend"] == [{"css_class": "map-bin-0", "label": "0"}]


def test_small_maximum_legend_skips_empty_ranges_and_shows_single_values():
    context = county_map({OUTAGAMIE: cell(1), BROWN: cell(2)})
    counties = by_fips(context)

    assert counties[OUTAGAMIE]["css_class"] == "map-bin-2"
    assert counties[BROWN]["css_class"] == "map-bin-4"
    assert [entry["label"] for entry in context["legend"]] == ["0", "1", "2", "No data"]


def test_the_view_words_the_suppressed_legend():
    context = county_map(
        {OUTAGAMIE: cell(None, "hidden", suppressed=True)},
        suppressed_legend="Suppressed (fewer than 11, or hidden to protect one)",
    )

    assert context["legend"][-2:] == [
        {
            "css_class": "map-suppressed",
            "label": "Suppressed (fewer than 11, or hidden to protect one)",
        },
        {"css_class": "map-nodata", "label": "No data"},
    ]


def test_cells_for_codes_outside_wisconsin_are_ignored():
    context = county_map({OUTAGAMIE: cell(4), "17031": cell(900)})

    assert by_fips(context)[OUTAGAMIE]["css_class"] == "map-bin-4"
    assert "17031" not in by_fips(context)


def test_negative_values_are_refused():
    with pytest.raises(ValueError, match="negative"):
        county_map({OUTAGAMIE: cell(-1)})


# The partial and its stylesheet


def render_map(cells, **extra):
    context = {"map": county_map(cells), "map_caption": "Referrals by county, 2025.", **extra}
    return render_to_string("dashboards/_county_map.html", context)


def test_partial_draws_72_counties_with_hatch_and_no_script_or_style_attribute():
    html = render_map(
        {OUTAGAMIE: cell(12), MENOMINEE: cell(None, "fewer than 5", suppressed=True)}
    )

    assert html.count("<path") == 72
    assert '<pattern id="hatch"' in html
    assert "style=" not in html
    assert "<script" not in html.lower()
    assert 'role="img"' in html
    assert 'aria-labelledby="county-map-title"' in html
    assert "<title>Outagamie County: 12 referrals</title>" in html
    assert 'class="map-county map-suppressed" data-fips="55078"' in html
    assert '<span class="swatch map-bin-4" aria-hidden="true"></span> 10–12' in html  # noqa: RUF001
    assert "Suppressed (fewer than 5)" in html
    assert "Referrals by county, 2025." in html


def test_partial_ids_follow_map_id_and_labels_are_escaped():
    html = render_map({OUTAGAMIE: cell(12, "<b>12</b>")}, map_id="hub-2-map")

    assert 'id="hub-2-map"' in html
    assert 'id="hub-2-map-title"' in html
    assert 'aria-describedby="hub-2-map-desc"' in html
    assert "<b>" not in html
    assert "Outagamie County: &lt;b&gt;12&lt;/b&gt;" in html


def test_stylesheet_styles_every_map_class_and_keeps_colours_in_print():
    css = (settings.BASE_DIR / "static" / "css" / "dashboards.css").read_text(encoding="utf-8")

    for css_class in ALL_CLASSES:
        assert f".{css_class} {{" in css, css_class
        assert f".swatch.{css_class} {{" in css, css_class
    assert ".map-suppressed { fill: url(#hatch); }" in css
    assert "print-color-adjust: exact" in css
