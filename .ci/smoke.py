"""The production topology's smoke test, over HTTP (.ci/topology starts it).

gunicorn, a Celery worker and a Celery beat run as processes against PostgreSQL and
Redis, with DEBUG off. As the demo personas (signed in with a second factor, through
sessions and API tokens made in the database): the hub logs five referrals, screens and
routes one, Outagamie's worker accepts it and records a protocol step; the task force
asks for the quarter's figures from the dashboard, the worker process computes them, and
the region's dashboard and the figures API show them.

Usage: python .ci/smoke.py http://127.0.0.1:PORT
"""

import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubnet.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone  # noqa: E402

from hubnet.benchmark.payloads import referral_body  # noqa: E402
from hubnet.benchmark.sessions import api_token, verified_session  # noqa: E402
from regions.models import Agency  # noqa: E402
from regions.quarters import Quarter  # noqa: E402

BASE = sys.argv[1].rstrip("/")
OUTAGAMIE = "55087"


def say(text: str) -> None:
    print(f"smoke: {text}", flush=True)


def check(holds: bool, what: str) -> None:
    if not holds:
        raise SystemExit(f"smoke: FAILED: {what}")


def api(method: str, path: str, token: str, body: dict | None = None, expect: int = 200):
    request = urllib.request.Request(  # noqa: S310 - our own server
        BASE + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": token, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        status, text = refused.code, refused.read().decode()
    if status != expect:
        raise SystemExit(f"smoke: {method} {path} answered {status}, not {expect}: {text[:500]}")
    return json.loads(text) if text else None


class Browser:
    """A signed-in session over HTTP, with its cookies and the CSRF token."""

    def __init__(self, user):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        host = urllib.parse.urlparse(BASE).hostname
        self.jar.set_cookie(_cookie(settings.SESSION_COOKIE_NAME, verified_session(user), host))

    def get(self, path: str) -> str:
        with self.opener.open(BASE + path, timeout=60) as response:
            check(response.status == 200, f"GET {path} answered {response.status}")
            return response.read().decode()

    def post(self, path: str, fields: dict) -> str:
        token = next(c.value for c in self.jar if c.name == settings.CSRF_COOKIE_NAME)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(  # noqa: S310 - our own server
            BASE + path, data=data, headers={"Referer": BASE + path, "X-CSRFToken": token}
        )
        with self.opener.open(request, timeout=60) as response:
            return response.geturl()


def _cookie(name: str, value: str, host: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, name, value, None, False, host, False, False, "/", True, False, None, False,
        None, None, {},
    )  # fmt: skip


def main() -> None:
    users = get_user_model().objects.in_bulk(
        ["hub2.specialist", "outagamie.worker", "state.admin"], field_name="username"
    )
    hub, worker = api_token(users["hub2.specialist"]), api_token(users["outagamie.worker"])
    state = api_token(users["state.admin"])
    quarter = Quarter.current()

    cases = [
        api("POST", "/api/v1/referrals/", hub, referral_body(OUTAGAMIE), expect=201)
        for _ in range(5)
    ]
    case_id = cases[0]["case"]
    say(f"5 referrals logged; screening and routing case {case_id}")
    api("POST", f"/api/v1/cases/{case_id}/screen/", hub, {"outcome": "at_risk"})
    agency = Agency.objects.get(county__fips=OUTAGAMIE)
    api("POST", f"/api/v1/cases/{case_id}/route/", hub, {"agency": agency.pk})
    accepted = api("POST", f"/api/v1/cases/{case_id}/accept/", worker, {})
    check(accepted["status"] == "accepted", f"the case is {accepted['status']}")
    notified = (timezone.localtime() - timezone.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    step = api(
        "POST",
        f"/api/v1/cases/{case_id}/steps/le_notification/complete/",
        worker,
        {"notified_at": notified, "law_enforcement_agency": "Appleton Police Department"},
    )
    check(step["status"] == "done", f"the step is {step['status']}")
    say("accepted by Outagamie and a protocol step recorded")

    task_force = Browser(users["state.admin"])
    task_force.get("/dashboards/")
    landed = task_force.post("/dashboards/recompute/", {"quarter": str(quarter), "back": "2"})
    run_id = int(re.search(r"run=(\d+)", landed).group(1))
    say(f"rollup of {quarter} requested (run {run_id}); waiting for the worker")
    give_up = time.monotonic() + 180
    while True:
        runs = api("GET", "/api/v1/rollup-runs/", state)
        run = next(r for r in runs.get("results", runs) if r["id"] == run_id)
        if run["status"] in ("succeeded", "failed"):
            break
        if time.monotonic() > give_up:
            raise SystemExit(f"smoke: run {run_id} still {run['status']} after 180 s")
        time.sleep(1)
    if run["status"] != "succeeded":
        raise SystemExit(f"smoke: the rollup failed: {run}")
    say(f"the worker computed {run.get('figures_written')} figures")

    figures = api("GET", f"/api/v1/figures/?quarter={quarter}&metric=cases_opened&region=2", state)
    rows = figures.get("results", figures)
    region_row = next(r for r in rows if r["scope"] == "region" and r["dimension"] == "")
    check(region_row["value"] == 5, f"region 2's cases opened: {region_row}")
    page = Browser(users["hub2.specialist"]).get(f"/dashboards/region/2/?quarter={quarter}")
    check("Region 2" in page, "the region's dashboard names the region")
    check("Cases opened" in page, "the region's dashboard shows cases opened")
    say("the figures are on the region's dashboard and in the figures API: ok")


if __name__ == "__main__":
    main()
