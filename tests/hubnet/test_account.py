"""One's own account: password change (ending other sessions and API tokens), the
password rules, and listing and revoking one's own API tokens, on pages and the API."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken

from tests.conftest import PERSONA_PASSWORD, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "lantern orchard pebble tide"


def _token(user) -> str:
    return AuthToken.objects.create(user=user)[1]


def test_changing_the_password_ends_other_sessions_and_every_token(personas):
    worker = personas["outagamie.worker"]
    here, elsewhere = Client(), Client()
    for client in (here, elsewhere):
        assert sign_in(client, worker.username).status_code == 302
    token = _token(worker)
    assert here.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200

    response = here.post(
        reverse("password-change"),
        {
            "old_password": PERSONA_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert here.get(reverse("cases:list")).status_code == 200  # this session stays
    assert elsewhere.get(reverse("cases:list")).status_code == 302  # the other is signed out
    assert not AuthToken.objects.filter(user=worker).exists()
    api = Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token}")
    assert api.status_code in (401, 403)


def test_a_password_set_anywhere_else_ends_the_tokens_too(personas):
    """The admin, a reset link or `changepassword`: every path saves through set_password."""
    worker = personas["outagamie.worker"]
    _token(worker)
    worker.set_password(NEW_PASSWORD)
    worker.save()
    assert not AuthToken.objects.filter(user=worker).exists()


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("short pass", "at least 12 characters"),
        ("password1234", "too common"),
        ("outagamie.worker", "too similar"),
    ],
)
def test_weak_passwords_are_refused_next_to_the_field(client_for, personas, password, complaint):
    client = client_for(personas["outagamie.worker"])
    response = client.post(
        reverse("password-change"),
        {"old_password": PERSONA_PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert complaint in response.text
    assert personas["outagamie.worker"].check_password(PERSONA_PASSWORD)


def test_no_composition_rules_a_long_passphrase_of_digits_or_words_is_fine(client_for, personas):
    client = client_for(personas["outagamie.worker"])
    response = client.post(
        reverse("password-change"),
        {
            "old_password": PERSONA_PASSWORD,
            "new_password1": "four pale green doors",
            "new_password2": "four pale green doors",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="outagamie.worker")
    assert user.check_password("four pale green doors")


def test_the_account_page_lists_and_revokes_ones_own_tokens(client_for, personas):
    worker, other = personas["outagamie.worker"], personas["brown.worker"]
    _token(worker)
    theirs = AuthToken.objects.create(user=other)[0]
    mine = AuthToken.objects.get(user=worker)
    client = client_for(worker)

    page = client.get(reverse("account"))
    assert mine.token_key in page.text
    assert theirs.token_key not in page.text

    refused = client.post(reverse("account-token-revoke", args=[theirs.token_key]))
    assert refused.status_code == 404
    assert AuthToken.objects.filter(pk=theirs.pk).exists()

    revoked = client.post(reverse("account-token-revoke", args=[mine.token_key]), follow=True)
    assert "is revoked" in revoked.text
    assert not AuthToken.objects.filter(user=worker).exists()


def test_a_script_lists_its_tokens_and_revokes_the_one_it_uses(personas):
    worker = personas["outagamie.worker"]
    first, second = _token(worker), _token(worker)
    api = Client(HTTP_AUTHORIZATION=f"Token {first}")

    listed = api.get(reverse("auth-token-list")).json()
    assert len(listed) == 2
    assert sum(row["current"] for row in listed) == 1

    assert api.delete(reverse("auth-token-current")).status_code == 204
    assert api.get(reverse("auth-token-list")).status_code in (401, 403)

    other = Client(HTTP_AUTHORIZATION=f"Token {second}")
    assert other.get(reverse("auth-token-list")).status_code == 200


def test_a_script_cannot_revoke_someone_elses_token(personas):
    theirs = AuthToken.objects.create(user=personas["brown.worker"])[0]
    api = Client(HTTP_AUTHORIZATION=f"Token {_token(personas['outagamie.worker'])}")

    response = api.delete(reverse("auth-token-detail", args=[theirs.token_key]))

    assert response.status_code == 404
    assert AuthToken.objects.filter(pk=theirs.pk).exists()
