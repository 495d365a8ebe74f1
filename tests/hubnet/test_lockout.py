"""Lockout (django-axes): five failed sign-ins lock the username for 15 minutes on every
credential check, say nothing about whether the account exists, are recorded, and an
account administrator can lift the lock."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from regions.models import AccessChange, AccessChangeKind
from tests.conftest import PERSONA_PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def _fail(client: Client, username: str, times: int = 5, url: str = "/login/") -> None:
    for _ in range(times):
        response = client.post(url, {"username": username, "password": "not-the-password"})
        assert response.status_code in (200, 429)


def test_five_failures_lock_the_username_even_with_the_right_password(personas):
    client = Client()
    _fail(client, "outagamie.worker")

    response = sign_in(client, "outagamie.worker", second_factor=False)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text
    assert 'role="alert"' in response.text
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_and_a_success_starts_the_count_again(personas):
    client = Client()
    _fail(client, "outagamie.worker", times=4)
    assert sign_in(client, "outagamie.worker").status_code == 302
    client.post(reverse("logout"))

    _fail(client, "outagamie.worker", times=4)
    assert sign_in(client, "outagamie.worker").status_code == 302


def test_the_lock_holds_from_another_address_and_ends_after_15_minutes(personas):
    _fail(Client(REMOTE_ADDR="198.51.100.7"), "outagamie.worker")

    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_in(elsewhere, "outagamie.worker", second_factor=False).status_code == 429

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        assert sign_in(elsewhere, "outagamie.worker").status_code == 302


def test_the_answer_does_not_say_whether_the_account_exists(personas):
    real, made_up = Client(), Client()
    _fail(real, "outagamie.worker")
    _fail(made_up, "nobody.at.all")

    for_real = real.post("/login/", {"username": "outagamie.worker", "password": "x"})
    for_nobody = made_up.post("/login/", {"username": "nobody.at.all", "password": "x"})

    assert for_real.status_code == for_nobody.status_code == 429
    assert _without_tokens(for_real.text, "outagamie.worker") == _without_tokens(
        for_nobody.text, "nobody.at.all"
    )


def _without_tokens(html: str, username: str) -> str:
    """The page with the username and the (per-response) CSRF tokens blanked."""
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html).replace(
        username, "USER"
    )


def test_the_admin_sign_in_counts_too(personas):
    client = Client()
    _fail(client, "state.admin", url=reverse("admin:login"))

    assert sign_in(client, "state.admin", second_factor=False).status_code == 429


def test_guessing_the_current_password_on_the_change_page_locks_and_signs_out(client, personas):
    client.force_login(personas["outagamie.worker"])
    for _ in range(5):
        response = client.post(
            reverse("password-change"),
            {"old_password": "guess", "new_password1": "x" * 14, "new_password2": "x" * 14},
        )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert sign_in(Client(), "outagamie.worker", second_factor=False).status_code == 429


def test_a_lockout_is_recorded_and_an_account_administrator_lifts_it(client, personas, caplog):
    worker = personas["outagamie.worker"]
    with caplog.at_level("WARNING", logger="hubnet.security"):
        _fail(Client(), "outagamie.worker")
    assert "locked out" in caplog.text
    locked = AccessChange.objects.get(subject=worker, kind=AccessChangeKind.LOCKED_OUT)
    assert locked.actor is None

    client.force_login(personas["accounts.admin"])
    page = client.get(reverse("people:detail", args=[worker.pk]))
    assert "Locked after failed attempts" in page.text
    response = client.post(
        reverse("people:unlock", args=[worker.pk]), {"reason": "Called her back; typo"}
    )

    assert response.status_code == 302
    assert AccessChange.objects.filter(
        subject=worker, kind=AccessChangeKind.UNLOCKED, actor=personas["accounts.admin"]
    ).exists()
    assert sign_in(Client(), "outagamie.worker", PERSONA_PASSWORD).status_code == 302


def test_a_hub_specialist_cannot_lift_a_lock(client, personas):
    worker = personas["outagamie.worker"]
    _fail(Client(), "outagamie.worker")
    client.force_login(personas["hub2.specialist"])

    response = client.post(reverse("people:unlock", args=[worker.pk]), {"reason": "please"})

    assert response.status_code == 403
    assert sign_in(Client(), "outagamie.worker", second_factor=False).status_code == 429


def test_failures_from_several_addresses_add_up_on_the_person_page(client, personas):
    worker = personas["outagamie.worker"]
    _fail(Client(REMOTE_ADDR="198.51.100.7"), "outagamie.worker", times=3)
    _fail(Client(REMOTE_ADDR="203.0.113.9"), "outagamie.worker", times=2)
    client.force_login(personas["accounts.admin"])

    page = client.get(reverse("people:detail", args=[worker.pk]))

    assert "Locked after failed attempts" in page.text


def test_tries_during_a_lock_are_recorded_once_and_do_not_restart_it(personas):
    worker = personas["outagamie.worker"]
    client = Client()
    _fail(client, "outagamie.worker")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=10)):
        _fail(client, "outagamie.worker", times=3)

    assert (
        AccessChange.objects.filter(subject=worker, kind=AccessChangeKind.LOCKED_OUT).count() == 1
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        assert sign_in(Client(), "outagamie.worker").status_code == 302
