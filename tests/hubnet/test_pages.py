import os

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_login_page_is_public_and_labelled(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert '<label for="id_username">' in response.text
    assert '<label for="id_password">' in response.text
    assert 'lang="en"' in response.text
    assert '<a class="brand" href="/">HubNet</a>' in response.text


def test_home_needs_a_login(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_signing_in_with_a_password_and_a_code_lands_on_home(client, personas):
    response = sign_in(client, "hub2.specialist")
    response = client.get(response["Location"])

    assert response.status_code == 200
    assert "Hub 2 · Northeast" in response.text


def test_a_wrong_password_is_announced_and_keeps_the_username(client, personas):
    response = client.post(
        reverse("login"), {"username": "hub2.specialist", "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert 'role="alert"' in response.text
    assert "Please enter a correct username and password" in response.text
    assert 'value="hub2.specialist"' in response.text
    assert "_auth_user_id" not in client.session


def test_sign_out_is_a_post_and_ends_the_session(client_for, personas):
    client = client_for(personas["outagamie.worker"])

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize(
    ("username", "heading", "role_line"),
    [
        ("hub2.specialist", "Hub 2 · Northeast", "Hub specialist · Hub 2 (Northeast)"),
        ("hub5.specialist", "Hub 5 · South Central", "Hub specialist · Hub 5 (South Central)"),
        (
            "outagamie.worker",
            "Outagamie County Human Services",
            "Agency staff · Outagamie County Human Services",
        ),
        (
            "menominee.worker",
            "Menominee Indian Tribe of Wisconsin Social Services",
            "Agency staff · Menominee Indian Tribe of Wisconsin Social Services",
        ),
        ("state.admin", "Statewide overview", "State task force admin · State of Wisconsin"),
        ("outsider", "Welcome, outsider", "No membership"),
    ],
)
def test_each_role_has_its_home_and_header(client_for, personas, username, heading, role_line):
    response = client_for(personas[username]).get(reverse("home"))

    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.text
    assert role_line in response.text


def test_hub_home_counts_overdue_steps(client_for, personas, make_case):
    make_case(county="Brown", status="received")  # received 2 hours ago: intake is overdue
    response = client_for(personas["hub2.specialist"]).get(reverse("home"))
    assert "<strong>1</strong> overdue protocol steps in the region" in response.text


def test_deadline_alerts_command(personas, make_case):
    from io import StringIO

    from django.core.management import call_command

    make_case(county="Brown", status="received")
    out = StringIO()
    call_command("deadline_alerts", stdout=out)
    call_command("deadline_alerts", stdout=out)
    assert out.getvalue().splitlines() == ["2 notifications sent.", "0 notifications sent."]


def test_hub_home_lists_the_region(client_for, personas):
    response = client_for(personas["hub2.specialist"]).get(reverse("home"))

    assert "17 counties, 3 tribes, 20 agencies, 3 of them designated resource agencies" in (
        response.text
    )
    assert "Outagamie County Human Services" in response.text  # a resource agency
    assert "Dane" not in response.text  # region 5


def test_navigation_depends_on_role(client_for, personas):
    admin_page = client_for(personas["state.admin"]).get(reverse("home")).text
    worker_page = client_for(personas["outagamie.worker"]).get(reverse("home")).text

    assert 'href="/admin/"' in admin_page
    assert 'href="/admin/"' not in worker_page


def test_state_admin_home_is_the_statewide_overview(client_for, personas):
    response = client_for(personas["state.admin"]).get(reverse("home"))

    assert "<h1>Statewide overview</h1>" in response.text
    # Nothing rolled up yet: said plainly, not an empty page of zeros.
    assert "No quarter has been rolled up yet" in response.text
    for number in range(1, 8):
        assert f'<option value="{number}">Region {number}:' in response.text


def test_development_mode_is_shown_in_the_header(client_for, personas):
    client = client_for(personas["outsider"])

    assert "Development mode" not in client.get(reverse("home")).text
    with override_settings(DEBUG=True):
        assert "Development mode" in client.get(reverse("home")).text


def test_health_check_is_public_and_says_nothing_else(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "down": []}


def test_health_check_says_when_the_broker_cannot_be_reached(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens there

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "down": ["broker"]}


@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="no broker configured")
def test_health_check_reaches_the_real_broker(client, settings):
    settings.CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]

    assert client.get(reverse("healthz")).json() == {"status": "ok", "down": []}


def test_security_headers(client):
    response = client.get(reverse("login"))

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_forbid_inline_scripts_and_framing(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("hub2.specialist", "cases:list"),
        ("outagamie.worker", "cases:list"),
        ("hub2.specialist", "cases:hub-queue"),
        ("state.admin", "dashboards:overview"),
    ],
)
def test_nothing_with_case_data_is_cached(client_for, personas, username, url):
    """A shared computer's back button, or a proxy, keeps no page: no-store everywhere."""
    response = client_for(personas[username]).get(reverse(url))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_case_pages_and_api_answers_are_not_cached(client_for, personas, routed_case):
    client = client_for(personas["hub2.specialist"])
    for url in (
        reverse("cases:detail", args=[routed_case.pk]),
        f"/api/v1/cases/{routed_case.pk}/",
        "/api/v1/cases/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert response["Pragma"] == "no-cache", url
