"""Password reset by email: a single-use link that expires, the same answer for any
address, a few requests an hour, and the new password ends sessions and API tokens."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "harbour lantern quietly 58"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def ask(monkeypatch, django_capture_on_commit_callbacks):
    """ask(client, email): ask for a reset link. The email is sent by a Celery task after
    the request: the real task runs here, with or without a broker, once the request's
    transaction commits."""
    from hubnet.tasks import email_send

    monkeypatch.setattr(email_send, "delay", lambda *args: email_send.apply(args))

    def ask(client: Client, email: str):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("password_reset"), {"email": email})

    return ask


def _link() -> str:
    return re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[-1].body).group(1)


def test_a_known_address_gets_a_single_use_link_that_ends_sessions_and_tokens(ask, personas):
    worker = personas["outagamie.worker"]
    AuthToken.objects.create(user=worker)
    elsewhere = Client()
    assert sign_in(elsewhere, "outagamie.worker").status_code == 302
    client = Client()

    response = ask(client, "Outagamie.Worker@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert [m.to for m in mail.outbox] == [["outagamie.worker@example.org"]]
    assert "works once, within an hour" in mail.outbox[0].body
    form = client.get(_link(), follow=True)
    assert "Choose a new password" in form.text
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert not AuthToken.objects.filter(user=worker).exists()
    assert elsewhere.get(reverse("home")).status_code == 302  # the other session ended
    assert sign_in(Client(), "outagamie.worker", NEW_PASSWORD).status_code == 302
    again = client.get(_link(), follow=True)
    assert "does not work any more" in again.text


def test_an_unknown_address_gets_the_same_answer_and_no_email(ask, personas):
    known, unknown = (
        ask(Client(), "outagamie.worker@example.org"),
        ask(Client(), "nobody@example.org"),
    )

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1


def test_the_link_expires_after_an_hour(ask, personas):
    ask(Client(), "outagamie.worker@example.org")
    link = _link()

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=61)):
        response = Client().get(link, follow=True)

    assert "does not work any more" in response.text


def test_each_address_may_ask_only_three_times_an_hour(ask, personas):
    for _ in range(5):
        response = ask(Client(), "outagamie.worker@example.org")
        assert response.status_code == 302  # the answer never changes

    assert len(mail.outbox) == 3


def test_behind_the_proxy_each_client_has_its_own_limit(ask, personas, settings):
    """Every request arrives from the proxy's address; the limit is the client's."""
    settings.BEHIND_TLS_PROXY = True
    for n in range(12):
        client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        ask(client, f"nobody{n}@example.org")
    ask(
        Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5"),
        "outagamie.worker@example.org",
    )

    assert len(mail.outbox) == 1  # twelve other clients did not use up this one's
