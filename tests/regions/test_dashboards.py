"""The task force's dashboards, exports and figures API: who sees what, suppression as a
reader meets it, recompute, and the promise that no dashboard request reads case data."""

import csv
import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Status
from regions import tasks
from regions.models import DisclosureControl, RollupRun, RollupStatus
from regions.quarters import Quarter
from regions.rollups import rollup_quarter

pytestmark = pytest.mark.django_db

QUARTER = Quarter.current()
# Tables holding case records or derived from them: a dashboard request reads none.
CASE_TABLE = re.compile(r'(FROM|JOIN)\s+"?cases_', re.IGNORECASE)


@pytest.fixture
def figures(make_case):
    """Region 2: six Outagamie referrals (shown), three Brown (suppressed: fewer than 5),
    one Dane in region 5; rolled up for the quarter under way."""
    for _ in range(6):
        make_case(county="Outagamie", status=Status.ACCEPTED)
    for _ in range(3):
        make_case(county="Brown", status=Status.ROUTED)
    make_case(county="Dane", status=Status.SCREENED)
    return rollup_quarter(quarter=QUARTER)


def dashboard_urls(quarter=QUARTER):
    q = f"quarter={quarter}"
    return [
        reverse("home"),
        f"{reverse('dashboards:overview')}?{q}&metric=step_on_time_pct",
        f"{reverse('dashboards:region', args=[2])}?{q}&dimension=age_band",
        f"{reverse('dashboards:report')}?{q}",
        f"{reverse('dashboards:export')}?{q}&panel=quarter&format=xlsx",
        f"{reverse('dashboards:export')}?{q}&panel=counties&format=csv",
        reverse("dashboards:runs"),
        f"{reverse('figure-list')}?{q}&region=2&metric=referrals_received&dimension=source",
        reverse("metric-list"),
        reverse("rollup-run-list"),
    ]


def test_no_dashboard_request_reads_a_case_table(client_for, personas, figures):
    client = client_for(personas["state.admin"])
    for url in dashboard_urls():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        read = [q["sql"] for q in queries if CASE_TABLE.search(q["sql"])]
        assert not read, f"{url} read case data:\n" + "\n".join(read)


def test_the_capture_would_catch_a_case_read(client_for, personas, figures):
    """The check above can fail: a case page, captured the same way, is caught."""
    client = client_for(personas["hub2.specialist"])
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("cases:list"))
    assert any(CASE_TABLE.search(q["sql"]) for q in queries)


def test_small_counts_read_fewer_than_five_and_never_the_number(client_for, personas, figures):
    page = client_for(personas["state.admin"]).get(
        reverse("dashboards:region", args=[2]), {"quarter": str(QUARTER)}
    )
    text = page.text

    brown = re.search(r'<th scope="row">Brown</th><td class="num ([^"]*)">([^<]*)</td>', text)
    assert brown, "Brown County row missing"
    assert brown.group(2) == "fewer than 5"
    assert "figure--suppressed" in brown.group(1)
    outagamie = re.search(r'<th scope="row">Outagamie</th><td class="num[^"]*">([^<]*)</td>', text)
    region_total = re.search(
        r'<h3 class="tile__label">Referrals received</h3>\s*'
        r'<p class="tile__value"><span class="[^"]*">([^<]*)</span>',
        text,
    )
    # Brown's 3 cannot be worked out as region 2's total minus Outagamie's 6: one of the
    # two is hidden too, and reads "suppressed" (it is not itself small).
    shown = {outagamie.group(1), region_total.group(1)}
    assert "suppressed" in shown
    assert shown <= {"suppressed", "6", "9"}


def test_exports_are_suppressed_exactly_as_the_page(client_for, personas, figures):
    client = client_for(personas["state.admin"])
    params = {"quarter": str(QUARTER), "region": 2, "panel": "counties"}

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("dashboards:export"), {**params, "format": "csv"}).text)
        )
    )
    brown = next(r for r in rows if r["county"] == "Brown")
    assert brown["value"] == ""
    assert brown["suppressed"] == "true"
    assert {r["county"] for r in rows} >= {"Outagamie", "Brown", "Menominee"}
    assert "Dane" not in {r["county"] for r in rows}

    response = client.get(reverse("dashboards:export"), {**params, "format": "xlsx"})
    assert response["Content-Disposition"].endswith('-region-2-counties.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Figures"]
    header, *records = list(sheet.values)
    records = [dict(zip(header, r, strict=True)) for r in records]
    brown = next(r for r in records if r["county"] == "Brown")
    assert brown["value"] is None
    assert brown["suppressed"] is True
    assert len(records) == len(rows)


def test_api_figures_are_null_and_flagged_when_suppressed(client_for, personas, figures):
    client = client_for(personas["hub2.specialist"])
    response = client.get(
        reverse("figure-list"),
        {"quarter": str(QUARTER), "county": "55009", "metric": "referrals_received"},
    )
    assert response.status_code == 200
    (total,) = [r for r in response.json()["results"] if r["dimension"] == ""]
    assert total == {
        **total,
        "scope": "county",
        "region": 2,
        "county": "55009",
        "value": None,
        "suppressed": True,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"quarter": "2026Q5"}, "quarter"),
        ({"metric": "cases_lost"}, "metric"),
        ({"region": "9"}, "region"),
        ({"county": "99999"}, "county"),
        ({"scope": "galaxy"}, "scope"),
    ],
)
def test_api_bad_filters_are_structured_400s(client_for, personas, figures, params, field):
    response = client_for(personas["state.admin"]).get(reverse("figure-list"), params)
    assert response.status_code == 400
    assert field in response.json()


def test_hub_specialist_sees_their_region_and_is_refused_another(client_for, personas, figures):
    client = client_for(personas["hub2.specialist"])

    assert client.get(reverse("dashboards:region", args=[2])).status_code == 200
    assert client.get(reverse("dashboards:region", args=[5])).status_code == 403
    assert client.get(reverse("dashboards:overview")).status_code == 403
    assert client.get(reverse("dashboards:overview"), {"region": 5}).status_code == 403
    assert client.get(reverse("figure-list"), {"region": 5}).status_code == 403
    assert client.get(reverse("figure-list"), {"county": "55025"}).status_code == 403
    export = client.get(reverse("dashboards:export"), {"region": 5, "format": "csv"})
    assert export.status_code == 403


def test_regional_api_lists_only_the_state_and_own_region(client_for, personas, figures):
    client = client_for(personas["hub2.specialist"])
    response = client.get(
        reverse("figure-list"), {"metric": "cases_opened", "quarter": str(QUARTER), "limit": 500}
    )
    results = response.json()["results"]
    assert {r["region"] for r in results} == {None, 2}
    assert {r["scope"] for r in results} == {"state", "region", "county", "tribe"}


def test_dashboard_queries_do_not_grow_with_quarters(client_for, personas, figures):
    client = client_for(personas["state.admin"])
    url = f"{reverse('dashboards:overview')}?quarter={QUARTER}"
    client.get(url)  # warm the suppressed tables
    with CaptureQueriesContext(connection) as one_quarter:
        client.get(url)
    for quarter in QUARTER.back(8)[:-1]:
        rollup_quarter(quarter=quarter)
    client.get(url)
    with CaptureQueriesContext(connection) as eight_quarters:
        client.get(url)
    assert len(eight_quarters) == len(one_quarter)


def test_recompute_enqueues_and_reports_progress(
    client_for, personas, figures, django_capture_on_commit_callbacks
):
    client = client_for(personas["state.admin"])

    # With a broker, the enqueue is left unexecuted: no stray message for a later worker.
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    with django_capture_on_commit_callbacks(execute=eager) as enqueued:
        response = client.post(reverse("dashboards:recompute"), {"quarter": str(QUARTER)})

    run = RollupRun.objects.first()
    assert run.pk != figures.pk
    assert run.requested_by == personas["state.admin"]
    assert response["Location"].endswith(f"?quarter={QUARTER}&run={run.pk}#about")
    page = client.get(response["Location"])
    assert len(enqueued) == 1
    if eager:  # tasks in-process: done once the request commits
        assert run.status == RollupStatus.SUCCEEDED
        assert f"{QUARTER} recomputed" in page.text
    else:  # a worker will take it (tests/regions/test_rollups.py runs one): the page polls
        assert run.status == RollupStatus.QUEUED
        assert "waiting for a worker" in page.text
        assert 'hx-trigger="every 1s"' in page.text


def test_a_running_run_is_polled_and_a_finished_one_is_not(client_for, personas, figures):
    client = client_for(personas["hub2.specialist"])
    running = RollupRun.objects.create(
        quarter=str(QUARTER),
        trigger="person",
        status=RollupStatus.RUNNING,
        metrics_total=11,
        metrics_done=3,
    )
    polled = client.get(reverse("dashboards:run", args=[running.pk])).text
    assert "metric 4 of 11" in polled
    assert 'hx-trigger="every 1s"' in polled

    finished = client.get(reverse("dashboards:run", args=[figures.pk])).text
    assert "hx-trigger" not in finished
    assert "recomputed" in finished


def test_only_the_task_force_recomputes(client_for, personas, figures):
    for username in ("hub2.specialist", "outagamie.worker", "accounts.admin"):
        response = client_for(personas[username]).post(
            reverse("dashboards:recompute"), {"quarter": str(QUARTER)}
        )
        assert response.status_code == 403
    assert RollupRun.objects.count() == 1


@pytest.mark.parametrize("quarter", ["next year", "2099Q1"])
def test_recompute_refuses_a_bad_or_future_quarter(client_for, personas, figures, quarter):
    client = client_for(personas["state.admin"])
    response = client.post(reverse("dashboards:recompute"), {"quarter": quarter}, follow=True)
    assert RollupRun.objects.count() == 1
    assert response.status_code == 200
    assert 'class="message message--error"' in response.text


def test_the_threshold_is_data_and_changes_what_is_hidden(client_for, personas, figures):
    client = client_for(personas["state.admin"])
    params = {"quarter": str(QUARTER), "metric": "referrals_received", "limit": 10000}

    def hidden():
        rows = client.get(reverse("figure-list"), params).json()["results"]
        return {
            (r["scope"], r["county"], r["dimension"], r["category"])
            for r in rows
            if r["suppressed"]
        }

    at_five = hidden()
    DisclosureControl.objects.create(threshold=7, reason="Test: the task force is stricter.")
    at_seven = hidden()

    assert ("county", "55009", "", "") in at_five  # Brown's 3
    assert at_seven >= at_five  # stricter hides at least as much
    page = client.get(reverse("dashboards:region", args=[2]), {"quarter": str(QUARTER)})
    assert "a count from 1 to 6 is never shown" in page.text
    assert '<th scope="row">Outagamie</th><td class="num figure--suppressed">fewer than 7' in (
        page.text
    )


def test_figures_are_published_when_written(figures):
    """Suppression is decided by the rollup, once: what each figure shows is stored with
    it, and a reader only reads it."""
    from regions.models import Figure

    rows = Figure.objects.filter(quarter=str(QUARTER))
    assert rows.exists()
    assert set(rows.values_list("threshold", flat=True)) == {settings.SUPPRESSION_THRESHOLD}
    brown = rows.get(
        metric="referrals_received", scope="county", county__name="Brown", dimension=""
    )
    outagamie = rows.get(
        metric="referrals_received", scope="county", county__name="Outagamie", dimension=""
    )
    state = rows.get(metric="referrals_received", scope="state", dimension="")
    assert (brown.value, brown.shown, brown.suppressed, brown.small) == (3, None, True, True)
    # Outagamie's 6 is hidden too, as the complement that keeps Brown's from subtraction.
    assert (outagamie.value, outagamie.shown, outagamie.suppressed) == (6, None, True)
    assert not outagamie.small
    assert (state.shown, state.suppressed) == (10, False)
    assert not rows.filter(suppressed=True, shown__isnull=False).exists()


def test_reading_figures_writes_nothing(client_for, personas, figures):
    client = client_for(personas["state.admin"])
    for url in dashboard_urls():
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        writes = [q["sql"] for q in queries if re.match(r"\s*(UPDATE|INSERT|DELETE)", q["sql"])]
        assert not [w for w in writes if "regions_figure" in w], url


def test_a_new_threshold_in_the_admin_publishes_every_quarter_again(
    client_for, personas, figures, django_capture_on_commit_callbacks
):
    from regions.models import Figure

    earlier = rollup_quarter(quarter=QUARTER.previous())
    client = client_for(personas["state.admin"])
    with django_capture_on_commit_callbacks() as enqueued:
        response = client.post(
            reverse("admin:regions_disclosurecontrol_add"),
            {"threshold": 11, "reason": "Test: the CMS rule."},
        )
    assert response.status_code == 302
    # Once the change commits, the republish task is sent (to the worker when there is a
    # broker, as in the PostgreSQL + Redis run); here it runs in this process.
    assert tasks.figures_republish.delay in enqueued
    tasks.figures_republish.apply()
    assert set(Figure.objects.values_list("threshold", flat=True)) == {11}
    assert set(Figure.objects.values_list("quarter", flat=True)) == {
        figures.quarter,
        earlier.quarter,
    }
    outagamie = Figure.objects.get(
        quarter=str(QUARTER),
        metric="referrals_received",
        scope="county",
        county__name="Outagamie",
        dimension="",
    )
    state = Figure.objects.get(
        quarter=str(QUARTER), metric="referrals_received", scope="state", dimension=""
    )
    assert (outagamie.shown, outagamie.suppressed, outagamie.small) == (None, True, True)
    assert (state.shown, state.suppressed) == (None, True)  # 10 is below 11 now
