"""The task force's dashboards in a real browser: the overview, a region, the export; and a
hub specialist kept to their own region."""

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from cases.models import Status
from regions.quarters import Quarter
from regions.rollups import rollup_quarter
from tests.e2e.conftest import axe_violations, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rolled_up(make_case):
    """Region 2 has seven Outagamie referrals and two Brown ones (suppressed); region 5 has
    six Dane ones; the last two quarters are rolled up."""
    for _ in range(7):
        make_case(county="Outagamie", status=Status.ACCEPTED)
    for _ in range(2):
        make_case(county="Brown", status=Status.ROUTED)
    for _ in range(6):
        make_case(county="Dane", status=Status.SCREENED)
    quarter = Quarter.current()
    rollup_quarter(quarter=quarter.previous())
    rollup_quarter(quarter=quarter)
    return quarter


def test_state_admin_reads_the_overview_and_exports_region_2(open_as, rolled_up):
    page = open_as("state.admin")
    page.get_by_label("Quarter", exact=True).select_option(str(rolled_up))
    page.get_by_role("button", name="Show").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Statewide overview")
    regions = page.locator("#panel-regions tbody tr")
    expect(regions).to_have_count(8)  # seven regions and Wisconsin
    expect(page.locator("#panel-regions canvas")).to_be_visible()
    expect(page.locator("#panel-counties svg path")).to_have_count(72)
    expect(page.locator("#panel-counties svg path.map-suppressed").first).to_be_attached()
    expect(page.locator("#panel-trend canvas")).to_be_visible()
    brown = page.locator("#panel-counties tr", has_text="Brown")
    expect(brown.locator("td")).to_have_text("fewer than 5")
    expect(brown.locator("td")).to_have_class("num figure--suppressed")
    assert axe_violations(page) == []
    screenshot(page, "dashboard-overview")

    page.get_by_label("Region", exact=True).select_option(label="Region 2: Northeast")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Region 2")
    expect(page.locator("#panel-tiles")).to_contain_text("Wisconsin")
    assert axe_violations(page) == []
    screenshot(page, "dashboard-region-2")

    with page.expect_download() as download:
        page.get_by_role("link", name="Whole quarter (XLSX)").click()
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    header, *rows = list(book["Figures"].values)
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert {r["region"] for r in records} == {None, 2}  # Wisconsin's totals and region 2
    (brown,) = [
        r
        for r in records
        if r["county"] == "Brown" and r["metric"] == "referrals_received" and not r["dimension"]
    ]
    assert brown["value"] is None
    assert brown["suppressed"] is True

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "dashboard-region-2-phone")
    # On a phone the tiles stack, one measure each, every figure in view: nothing
    # hidden off to the side of a table that scrolls.
    tiles = page.locator("#panel-tiles .tile")
    expect(tiles.first).to_contain_text("Change from")
    boxes = [tiles.nth(i).bounding_box() for i in range(tiles.count())]
    assert len({round(box["x"]) for box in boxes}) == 1
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= 390 for box in boxes)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_hub_specialist_sees_region_2_and_is_refused_region_5(open_as, rolled_up):
    page = open_as("hub2.specialist")
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Region 2")
    expect(page.get_by_label("Region", exact=True).locator("option")).to_have_count(1)

    response = page.goto("/dashboards/region/5/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_be_visible()
