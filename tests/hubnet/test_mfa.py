"""The second factor: set up with a QR code, verified after the password, backup codes,
passkey ceremonies guarded, API tokens only after it, and the administrator's reset."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from regions.models import AccessChange, AccessChangeKind
from tests.conftest import authenticator_of, sign_in, totp_code

pytestmark = pytest.mark.django_db


def _password_only(username: str) -> Client:
    client = Client()
    assert sign_in(client, username, second_factor=False).status_code == 302
    return client


def test_a_first_sign_in_sets_up_an_authenticator_app_with_a_qr_code(personas):
    client = _password_only("brown.worker")

    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home["Location"].startswith(reverse("mfa-setup"))

    page = client.get(home["Location"])
    assert page.status_code == 200
    assert "<svg" in page.text  # the QR code, drawn on the server
    pending = TOTPDevice.objects.get(user=personas["brown.worker"], confirmed=False)
    shown_key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page.text).group(1)
    assert len(shown_key.replace(" ", "")) == 32  # the 160-bit key, typed by hand if need be

    wrong = client.post(reverse("mfa-setup"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "does not match" in wrong.text
    assert client.get(reverse("home")).status_code == 302  # still not through

    TOTPDevice.objects.filter(pk=pending.pk).update(throttling_failure_count=0)
    done = client.post(reverse("mfa-setup"), {"code": totp_code(pending)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", done.text)
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=personas["brown.worker"]).count() == 10
    pending.refresh_from_db()
    assert pending.confirmed
    assert client.get(reverse("home")).status_code == 200


def test_the_next_sign_in_asks_for_a_code_and_goes_where_the_person_was_going(personas):
    device = authenticator_of(personas["outagamie.worker"])
    client = Client()
    client.post(reverse("login"), {"username": "outagamie.worker", "password": "x"})
    response = client.post(
        f"{reverse('login')}?next=/cases/",
        {"username": "outagamie.worker", "password": "correct-horse-battery-staple"},
    )
    verify = client.get("/cases/")
    assert verify["Location"] == f"{reverse('mfa-verify')}?next=/cases/"
    assert response.status_code == 302

    wrong = client.post(verify["Location"], {"code": "123456", "next": "/cases/"})
    assert wrong.status_code == 400
    assert "not right" in wrong.text

    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    right = client.post(verify["Location"], {"code": totp_code(device), "next": "/cases/"})
    assert right.status_code == 302
    assert right["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_wrong_codes_in_a_row_are_slowed_down(personas):
    device = authenticator_of(personas["outagamie.worker"])
    client = _password_only("outagamie.worker")

    client.post(reverse("mfa-verify"), {"code": "111111"})
    client.post(reverse("mfa-verify"), {"code": "222222"})
    response = client.post(reverse("mfa-verify"), {"code": totp_code(device)})

    assert response.status_code == 400  # even the right code waits out the delay
    assert "Too many wrong codes" in response.text


def test_a_backup_code_signs_in_once(personas):
    from hubnet.mfa import backup_codes_make

    worker = personas["outagamie.worker"]
    authenticator_of(worker)
    code = backup_codes_make(worker)[0]

    first = _password_only("outagamie.worker")
    response = first.post(reverse("mfa-verify"), {"code": code})
    assert response.status_code == 302
    assert first.get(reverse("home")).status_code == 200

    second = _password_only("outagamie.worker")
    assert second.post(reverse("mfa-verify"), {"code": code}).status_code == 400


def test_a_stolen_password_cannot_enrol_another_device(personas):
    """Someone with the password but not the phone cannot set up their own app."""
    authenticator_of(personas["outagamie.worker"])
    client = _password_only("outagamie.worker")

    response = client.get(reverse("mfa-setup"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa-verify"))
    begin = client.post(reverse("otp_webauthn:credential-registration-begin"))
    assert begin.status_code == 403  # nor a passkey


def test_passkey_ceremonies_need_a_password_first(personas):
    anonymous = Client()
    for ceremony in ("registration", "authentication"):  # a passkey is never the only factor
        response = anonymous.post(reverse(f"otp_webauthn:credential-{ceremony}-begin"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    newcomer = _password_only("brown.worker")  # no factor yet: may make a passkey first
    options = newcomer.post(reverse("otp_webauthn:credential-registration-begin"))
    assert options.status_code == 200
    assert options.json()["rp"]["name"] == "HubNet"


def test_api_tokens_are_issued_only_after_the_second_factor(client, personas):
    worker = personas["outagamie.worker"]
    password_only = _password_only("brown.worker")
    refused = password_only.post(reverse("account-token-create"), {"days": 30})
    assert refused.status_code == 302
    assert not AuthToken.objects.filter(user=personas["brown.worker"]).exists()

    client.force_login(worker)
    code = totp_code(authenticator_of(worker))
    bad = client.post(reverse("account-token-create"), {"days": 0, "code": code})
    assert bad.status_code == 400
    assert "greater than or equal to 1" in bad.text

    made = client.post(
        reverse("account-token-create"), {"days": 30, "code": totp_code(authenticator_of(worker))}
    )
    assert made.status_code == 200
    token = re.search(r'value="(hubnet_[^"]+)"', made.text).group(1)
    api = Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {token}")
    assert api.status_code == 200


def test_the_token_command_asks_for_an_enrolled_factor(personas):
    with pytest.raises(CommandError, match="no second factor"):
        call_command("issue_token", "brown.worker")
    authenticator_of(personas["brown.worker"])
    call_command("issue_token", "brown.worker")
    assert AuthToken.objects.filter(user=personas["brown.worker"]).count() == 1


def test_the_last_factor_cannot_be_removed(client, personas):
    from django_otp_webauthn.models import WebAuthnCredential

    worker = personas["outagamie.worker"]
    client.force_login(worker)
    TOTPDevice.objects.filter(user=worker).delete()
    passkey = WebAuthnCredential.objects.create(
        user=worker, name="Laptop", confirmed=True, credential_id=b"x", public_key=b"y"
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = passkey.persistent_id  # signed in with the passkey
    session.save()

    response = client.post(reverse("mfa-passkey-remove", args=[passkey.pk]), follow=True)

    assert "only second factor" in response.text
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


class TestLostDevice:
    def test_an_account_administrator_resets_it_and_it_is_recorded(self, client, personas):
        worker = personas["outagamie.worker"]
        authenticator_of(worker)
        AuthToken.objects.create(user=worker)
        elsewhere = Client()
        elsewhere.post(
            reverse("login"),
            {"username": "outagamie.worker", "password": "correct-horse-battery-staple"},
        )
        client.force_login(personas["accounts.admin"])

        response = client.post(
            reverse("people:mfa-reset", args=[worker.pk]),
            {"reason": "Phone lost; called back on her desk number"},
        )

        assert response.status_code == 302
        assert not TOTPDevice.objects.filter(user=worker).exists()
        assert not AuthToken.objects.filter(user=worker).exists()
        assert elsewhere.get(reverse("home"))["Location"].startswith(reverse("login"))
        change = AccessChange.objects.get(subject=worker, kind=AccessChangeKind.MFA_RESET)
        assert change.actor == personas["accounts.admin"]
        assert "desk number" in change.reason
        page = client.get(reverse("people:detail", args=[worker.pk]))
        assert "Second factor reset" in page.text

    def test_a_hub_specialist_cannot(self, client, personas):
        worker = personas["outagamie.worker"]
        authenticator_of(worker)
        client.force_login(personas["hub2.specialist"])

        response = client.post(
            reverse("people:mfa-reset", args=[worker.pk]), {"reason": "asked by phone"}
        )

        assert response.status_code == 403
        assert TOTPDevice.objects.filter(user=worker).exists()

    def test_nobody_resets_their_own(self, personas):
        from regions.services import GrantRefused, mfa_reset

        admin = personas["accounts.admin"]
        with pytest.raises(GrantRefused):
            mfa_reset(user=admin, actor=admin, reason="mine")


class TestDemoPersonas:
    def test_in_development_they_skip_the_second_factor_and_the_login_page_says_so(
        self, settings, personas
    ):
        settings.DEBUG = True
        settings.MFA_DEMO_PERSONAS_EXEMPT = True

        assert "sign in with their password only" in Client().get(reverse("login")).text
        client = _password_only("hub2.specialist")
        assert client.get(reverse("home")).status_code == 200
        stranger = get_user_model().objects.create_user("someone", password="x-long-password-1")
        other = Client()
        other.force_login(stranger)
        assert other.get(reverse("home")).status_code == 302

    def test_in_production_they_do_not(self, settings, personas):
        settings.DEBUG = False
        settings.MFA_DEMO_PERSONAS_EXEMPT = True

        assert "password only" not in Client().get(reverse("login")).text
        client = _password_only("hub2.specialist")
        assert client.get(reverse("home")).status_code == 302


class TestReviewFindings:
    """Found by an independent review; each failed before its fix."""

    def test_someone_else_with_the_password_cannot_learn_the_app_secret(self, personas):
        thief, owner = _password_only("brown.worker"), _password_only("brown.worker")
        stolen = re.search(r'id="totp-key">([A-Z2-7 ]+)<', thief.get(reverse("mfa-setup")).text)
        page = owner.get(reverse("mfa-setup"))
        mine = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page.text)
        assert stolen.group(1) != mine.group(1)

        pending = TOTPDevice.objects.get(pk=owner.session["hubnet_mfa_pending_authenticator"])
        assert owner.post(reverse("mfa-setup"), {"code": totp_code(pending)}).status_code == 200
        assert TOTPDevice.objects.filter(user=personas["brown.worker"]).count() == 1
        assert thief.post(reverse("mfa-setup"), {"code": "123456"}).status_code == 302

    def test_a_mistyped_app_code_does_not_hold_up_the_backup_codes(self, personas):
        from hubnet.mfa import backup_codes_make

        worker = personas["outagamie.worker"]
        authenticator_of(worker)
        code = backup_codes_make(worker)[0]
        client = _password_only("outagamie.worker")

        client.post(reverse("mfa-verify"), {"code": "111111"})
        response = client.post(reverse("mfa-verify"), {"code": code.upper()})

        assert response.status_code == 302  # typed in capitals, straight after a typo

    def test_the_admin_does_not_show_or_change_second_factors(self, client, personas):
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice

        assert not admin.site.is_registered(TOTPDevice)
        assert not admin.site.is_registered(StaticDevice)
        client.force_login(personas["state.admin"])
        assert client.get("/admin/otp_totp/totpdevice/").status_code == 404

    def test_a_token_needs_a_code_typed_now(self, client, personas):
        worker = personas["outagamie.worker"]
        client.force_login(worker)

        missing = client.post(reverse("account-token-create"), {"days": 30})
        wrong = client.post(reverse("account-token-create"), {"days": 30, "code": "000000"})

        assert missing.status_code == wrong.status_code == 400
        assert "not right" in wrong.text
        assert not AuthToken.objects.filter(user=worker).exists()
