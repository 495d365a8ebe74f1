"""Session limits: signed out after 30 minutes idle (warned before) and 8 hours after
signing in however active; the page's activity ping keeps an active person in."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(personas):
    client = Client()
    with time_machine.travel(START, tick=False):
        assert sign_in(client, "hub2.specialist").status_code == 302
    return client


START = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("America/Chicago"))


def at(minutes: float):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def test_thirty_idle_minutes_sign_the_person_out_and_say_why(signed_in):
    with at(29):
        assert signed_in.get(reverse("cases:list")).status_code == 200
    with at(29 + 31):
        response = signed_in.get(reverse("cases:list"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('cases:list')}"
    assert "_auth_user_id" not in signed_in.session
    login = signed_in.get(response["Location"])
    assert "signed out after 30 minutes without activity" in login.text


def test_the_page_warns_before_and_the_ping_keeps_an_active_person_in(signed_in):
    with at(1):
        page = signed_in.get(reverse("home"))
    assert 'id="session-warning"' in page.text
    assert 'data-idle-left="1800"' in page.text
    assert 'data-warning="120"' in page.text

    for minute in (20, 45, 70, 95):  # typing into a long form: the script pings
        with at(minute):
            ping = signed_in.post(reverse("session-keepalive"))
            assert ping.status_code == 200
    with at(120):
        assert signed_in.get(reverse("home")).status_code == 200


def test_eight_hours_after_signing_in_the_session_ends_however_active(signed_in):
    for minute in range(20, 8 * 60, 20):
        with at(minute):
            assert signed_in.get(reverse("home")).status_code == 200
    with at(8 * 60 + 1):
        response = signed_in.get(reverse("home"))

    assert response.status_code == 302
    assert "signed out 8 hours after signing in" in signed_in.get(response["Location"]).text


def test_the_api_session_ends_too_with_a_json_answer(signed_in):
    with at(45):
        response = signed_in.get("/api/v1/cases/")

    assert response.status_code == 401
    assert "without activity" in response.json()["detail"]


def test_the_limits_are_settings(signed_in, settings):
    settings.SESSION_IDLE_TIMEOUT = 10 * 60
    with at(11):
        assert signed_in.get(reverse("home")).status_code == 302
