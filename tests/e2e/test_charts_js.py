"""static/js/dashboards.js in a real browser, under the site's Content-Security-Policy.

No server and no database: the browser's requests to http://hubnet.test/ are answered
from the repository's static folder, with the policy header the middleware sends, and the
page carries the markup a dashboard template renders (json_script and all).
"""

from pathlib import Path

import pytest
from django.utils.html import json_script

from hubnet.middleware import CONTENT_SECURITY_POLICY
from tests.e2e.conftest import LAPTOP, screenshot

STATIC = Path(__file__).resolve().parents[2] / "static"
ORIGIN = "http://hubnet.test"
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}

REFERRALS = {
    "type": "bar",
    "unit": "count",
    "labels": ["Region 1", "Region 2", "Region 3", "Region 4", "Region 5"],
    "datasets": [
        {
            "label": "2025",
            "data": [12, None, 40, 7, 23],
            "suppressed": [False, True, False, False, False],
        },
        {"label": "2026", "data": [15, 9, 31, 11, 26], "suppressed": [False] * 5},
    ],
}
DEADLINE_MET = {
    "type": "line",
    "unit": "percent",
    "labels": ["Jan", "Feb", "Mar", "Apr", "May", "Jun"],
    "datasets": [
        {
            "label": "Region 2",
            "data": [88, 91, None, 95, 100, 97],
            "suppressed": [False, False, True, False, False, False],
        },
        {"label": "Region 5", "data": [72, 80, 84, None, 90, 93]},  # Apr: no data
    ],
    "target": 100,
}
TIME_TO_CONTACT = {
    "type": "horizontalBar",
    "unit": "hours",
    "stacked": True,
    "labels": ["Brown", "Menominee", "Outagamie"],
    "datasets": [
        {"label": "Screening", "data": [20, None, 14], "suppressed": [False, True, False]},
        {"label": "First contact", "data": [16, 9, 22], "suppressed": [False, False, False]},
    ],
}


def chart(name: str, config: dict | None, heading: str) -> str:
    if config is None:
        return (
            f'<h2>{heading}</h2><div class="chart-box" data-chart-empty>'
            f'<canvas id="chart-{name}" data-chart-data="chart-{name}-data" aria-hidden="true">'
            "</canvas><p>No referrals in this period.</p></div>"
        )
    return (
        f'<h2>{heading}</h2><div class="chart-box">'
        f'<canvas id="chart-{name}" data-chart-data="chart-{name}-data" aria-hidden="true">'
        f"</canvas></div>{json_script(config, f'chart-{name}-data')}"
    )


def dashboard(*, with_chart_js: bool = True) -> str:
    chart_js = next(STATIC.glob("vendor/chart.js-*/chart.umd.min.js")).relative_to(STATIC)
    scripts = f'<script src="/static/{chart_js}" defer></script>' if with_chart_js else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Charts</title>
<link rel="stylesheet" href="/static/css/hubnet.css">
<link rel="stylesheet" href="/static/css/charts.css">
{scripts}<script src="/static/js/dashboards.js" defer></script>
</head><body><main class="card">
<section id="referrals">{chart("referrals", REFERRALS, "Referrals by region")}</section>
{chart("deadline", DEADLINE_MET, "Screened within 72 hours")}
{chart("contact", TIME_TO_CONTACT, "Hours to first contact")}
{chart("none", None, "Referrals from Region 7")}
</main></body></html>"""


@pytest.fixture
def open_dashboard(browser):
    contexts = []

    def open_page(html: str):
        context = browser.new_context(viewport=LAPTOP)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))

        def answer(route):
            path = route.request.url.removeprefix(ORIGIN)
            if path == "/dashboard/":
                body = html.encode()
            else:
                file = (STATIC / path.removeprefix("/static/")).resolve()
                if not path.startswith("/static/") or not file.is_relative_to(STATIC):
                    route.fulfill(status=404)
                    return
                body = file.read_bytes()
            route.fulfill(
                status=200,
                body=body,
                headers={
                    "Content-Type": TYPES.get(Path(path).suffix, "text/html") + "; charset=utf-8",
                    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                },
            )

        page.route(f"{ORIGIN}/**", answer)
        page.goto(f"{ORIGIN}/dashboard/")
        page.wait_for_load_state("load")
        return page, problems

    yield open_page
    for context in contexts:
        context.close()


def test_charts_are_drawn_under_the_policy_and_suppressed_is_not_zero(open_dashboard):
    page, problems = open_dashboard(dashboard())

    drawn = page.evaluate(
        """() => ['referrals', 'deadline', 'contact', 'none'].map(
            (name) => Chart.getChart(document.getElementById('chart-' + name)) !== undefined)"""
    )
    assert drawn == [True, True, True, False]  # the empty one draws nothing

    bars = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('chart-referrals'));
            return {type: chart.config.type, data: chart.data.datasets[0].data,
                    colours: chart.data.datasets.map((d) => d.backgroundColor),
                    animation: chart.options.animation};
        }"""
    )
    assert bars["type"] == "bar"
    assert bars["data"] == [12, None, 40, 7, 23]  # suppressed stays null, never 0
    assert bars["colours"] == ["#0072B2", "#E69F00"]
    assert bars["animation"] is False

    tooltips = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('chart-referrals'));
            const label = chart.options.plugins.tooltip.callbacks.label;
            return [0, 1].map((index) => label({
                dataset: chart.data.datasets[0], datasetIndex: 0, dataIndex: index,
                raw: chart.data.datasets[0].data[index]}));
        }"""
    )
    assert tooltips == ["2025: 12", "2025: suppressed"]

    line = page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById('chart-deadline'));
            return {type: chart.config.type, data: chart.data.datasets.map((d) => d.data),
                    spanGaps: chart.data.datasets[0].spanGaps,
                    ticks: chart.scales.y.ticks.map((t) => t.label)};
        }"""
    )
    assert line["type"] == "line"
    assert line["data"] == [[88, 91, None, 95, 100, 97], [72, 80, 84, None, 90, 93]]
    assert line["spanGaps"] is False
    assert line["ticks"][-1] == "100%"

    horizontal = "() => Chart.getChart(document.getElementById('chart-contact')).options.indexAxis"
    assert page.evaluate(horizontal) == "y"

    screenshot(page, "charts")
    assert problems == []  # console errors, script errors, policy violations


def test_charts_in_content_swapped_by_htmx_are_drawn_again(open_dashboard):
    page, problems = open_dashboard(dashboard())
    before = page.evaluate("() => Object.keys(Chart.instances).length")

    # What htmx does on a swap: new content in place of the old, then htmx:afterSettle.
    page.evaluate(
        """(html) => {
            const section = document.getElementById('referrals');
            section.innerHTML = html;
            section.dispatchEvent(new CustomEvent('htmx:afterSettle', {bubbles: true}));
        }""",
        chart("referrals", {**REFERRALS, "labels": ["A", "B", "C", "D", "E"]}, "Swapped"),
    )

    after = page.evaluate(
        """() => ({
            count: Object.keys(Chart.instances).length,
            labels: Chart.getChart(document.getElementById('chart-referrals')).data.labels,
        })"""
    )
    assert after == {"count": before, "labels": ["A", "B", "C", "D", "E"]}  # old one destroyed
    assert problems == []


def test_without_chart_js_the_page_stays_quiet(open_dashboard):
    page, problems = open_dashboard(dashboard(with_chart_js=False))

    assert page.evaluate("() => typeof Chart") == "undefined"
    assert problems == []
