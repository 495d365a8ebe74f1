"""The second factor: every account that signs in proves it with a device as well.

A password alone signs nobody in to HubNet. After it, `MfaRequiredMiddleware` sends the
person to verify a second factor (or to set one up, the first time) before any page,
the admin included, and `VerifiedSessionAuthentication` refuses the API to a session that
has not. The factors, all django-otp devices:

- an authenticator app (TOTP), enrolled with a QR code drawn here (segno);
- passkeys (WebAuthn, django-otp-webauthn), the phishing-resistant choice;
- ten single-use backup codes, for the day the phone is lost.

Someone who has lost every factor asks an account administrator, whose reset is itself
recorded (regions.services.mfa_reset). API tokens are issued only to a verified session
(hubnet.account.token_create) or by a server operator (`issue_token`, which asks for an
enrolled factor).

Only in development (DEBUG) may the demo personas of `make run` skip the second factor,
and the login page says so (settings.MFA_DEMO_PERSONAS_EXEMPT).
"""

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.helpers import WebAuthnHelper as BaseWebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed

BACKUP_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


def mfa_not_required(view):
    """Mark a view that a signed-in person may reach before the second factor: signing in
    and out, and the second-factor pages themselves."""
    view.mfa_not_required = True
    return view


def demo_exempt(user) -> bool:
    """A `make run` demo persona in development only; never when DEBUG is off."""
    if not (settings.DEBUG and settings.MFA_DEMO_PERSONAS_EXEMPT):
        return False
    from regions.demo import PERSONAS

    return user.get_username() in {p.username for p in PERSONAS}


def is_enrolled(user) -> bool:
    """Whether the person has a factor to verify with (an app or a passkey); backup codes
    alone are not enrolment."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    )


def is_verified(user) -> bool:
    return bool(getattr(user, "is_verified", lambda: False)()) or demo_exempt(user)


def _safe_next(request, fallback: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


class MfaRequiredMiddleware:
    """Pages (the admin included) answer a signed-in person only once the second factor is
    verified in this session; until then they lead to verifying it, or to enrolling one.
    The API answers for itself (VerifiedSessionAuthentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or request.path_info.startswith("/api/"):
            return None
        if getattr(view_func, "mfa_not_required", False):
            return None
        match = request.resolver_match
        if match is not None and match.namespace == "otp_webauthn":
            return None  # the passkey ceremonies: they check the session themselves
        if is_verified(user):
            return None
        target = "mfa-verify" if is_enrolled(user) else "mfa-setup"
        return redirect_to_login(request.get_full_path(), reverse(target))


class VerifiedSessionAuthentication(SessionAuthentication):
    """The API through a browser session: only once the second factor is verified."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or is_verified(request._request.user):
            return result
        raise AuthenticationFailed(
            "Finish signing in with your second factor (authenticator app, passkey or "
            "backup code) before using the API."
        )


class VerifiedSessionScheme(SessionScheme):
    """The API schema describes it as Django's session cookie, which it is."""

    target_class = "hubnet.mfa.VerifiedSessionAuthentication"


class WebAuthnHelper(BaseWebAuthnHelper):
    """Passkeys named for the person and the site, so a phone's list reads "HubNet"."""

    def get_relying_party_name(self) -> str:
        return settings.SITE_NAME


# Forms -----------------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The 6 digits your authenticator app shows now, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).replace("-", "").lower()


class SetupForm(forms.Form):
    code = forms.CharField(
        label="The 6-digit code your app shows now",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


# Services --------------------------------------------------------------------------------


def backup_codes_make(user) -> list[str]:
    """A new set of single-use backup codes; the old set stops working."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def backup_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


PENDING_AUTHENTICATOR = "hubnet_mfa_pending_authenticator"


def _pending_authenticator(request) -> TOTPDevice:
    """The app being set up in this session: unconfirmed until a code from it proves the
    scan worked. Its secret belongs to this session only: someone else signed in with the
    same password gets another, which the person's confirmation then throws away."""
    pk = request.session.get(PENDING_AUTHENTICATOR)
    device = TOTPDevice.objects.filter(pk=pk, user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=request.user, name=AUTHENTICATOR_NAME, confirmed=False
        )
        request.session[PENDING_AUTHENTICATOR] = device.pk
    return device


def _qr_svg(device: TOTPDevice) -> str:
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, dark="#1b1f24", light="#ffffff", border=2, omitsize=True)
    return mark_safe(svg)  # noqa: S308 - segno's own SVG of our own URL, no user markup


def _key_groups(device: TOTPDevice) -> str:
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


# Views -----------------------------------------------------------------------------------


@mfa_not_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: a code from the app, a backup code, or a passkey."""
    user = request.user
    if is_verified(user):
        return redirect(_safe_next(request))
    if not is_enrolled(user):
        return redirect_to_login(_safe_next(request), reverse("mfa-setup"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if _throttled(user, code):
            form.add_error("code", THROTTLED)
            return _render_verify(request, form)
        device = _device_matching(user, code)
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = backup_codes_left(user)
                messages.warning(
                    request,
                    f"You used a backup code; {left} left. Make new ones on your account page "
                    "when you are down to a few.",
                )
            return redirect(_safe_next(request))
        form.add_error(
            "code",
            "That code is not right. Codes change every 30 seconds: type the one shown now.",
        )
    return _render_verify(request, form)


def _render_verify(request, form) -> HttpResponse:
    user = request.user
    context = {
        "form": form,
        "next": _safe_next(request),
        "has_passkey": WebAuthnCredential.objects.filter(user=user, confirmed=True).exists(),
    }
    return render(request, "account/mfa_verify.html", context, status=400 if form.errors else 200)


def code_refusal(user, code: str) -> str | None:
    """Check a fresh code from the person (the app's, or a backup code): None when it is
    right, else what to tell them. For acts that must be the person at the keyboard now,
    not just a session left open (issuing an API token)."""
    code = "".join(code.split()).replace("-", "").lower()
    if _throttled(user, code):
        return THROTTLED
    if _device_matching(user, code) is None:
        return "That code is not right. Type the one your authenticator app shows now."
    return None


def _kind_of(code: str) -> type:
    """Six digits come from the app; anything else is a backup code. A typo is counted
    against the one it was meant for, not against both."""
    return TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice


def _device_matching(user, code: str):
    """The device that accepts `code`, if any: the app for six digits, else a backup code
    (used up as it matches). Each device throttles repeated failures itself (django-otp);
    the devices are locked while checked, so one code cannot be used twice at once."""
    kind = _kind_of(code)
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, kind) and device.verify_token(code):
                return device
    return None


THROTTLED = (
    "Too many wrong codes in a row. Wait a few seconds, then type the newest code. Each "
    "further wrong code doubles the wait."
)


def _throttled(user, code: str) -> bool:
    """Whether the device this code is for still makes the person wait after wrong codes
    (django-otp: 1, 2, 4, … seconds; a right code starts the count again)."""
    kind = _kind_of(code)
    return any(
        not device.verify_is_allowed()[0]
        for device in devices_for_user(user, confirmed=True)
        if isinstance(device, kind)
    )


@mfa_not_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol (or replace) the authenticator app; the first time, a passkey is offered too.

    Someone already enrolled must have verified this session first: a stolen password
    must not be enough to add the thief's own device.
    """
    user = request.user
    if is_enrolled(user) and not is_verified(user):
        return redirect_to_login(_safe_next(request), reverse("mfa-verify"))
    device = _pending_authenticator(request)
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not device.verify_is_allowed()[0]:  # wrong codes here make the next one wait
            form.add_error("code", THROTTLED)
        elif device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():  # the new app replaces any other, pending or not
                TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            request.session.pop(PENDING_AUTHENTICATOR, None)
            otp_login(request, device)
            messages.success(request, "Your authenticator app is set up.")
            if backup_codes_left(user):
                return redirect(_safe_next(request, fallback="account"))
            return _render_backup_codes(request, backup_codes_make(user), first=True)
        else:
            form.add_error(
                "code",
                "That code does not match. Check that you scanned this page's QR code, then "
                "type the code the app shows now.",
            )
    context = {
        "form": form,
        "qr_svg": _qr_svg(device),
        "key": _key_groups(device),
        "next": _safe_next(request),
        "enrolled": is_enrolled(user),
        "passkeys_available": bool(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS),
    }
    return render(request, "account/mfa_setup.html", context, status=400 if form.errors else 200)


def _render_backup_codes(request, codes: list[str], *, first: bool = False) -> HttpResponse:
    return render(
        request,
        "account/backup_codes.html",
        {"codes": codes, "first": first, "next": _safe_next(request)},
    )


@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """Make a new set of backup codes (shown once); GET says how many are left."""
    if request.method == "POST":
        return _render_backup_codes(request, backup_codes_make(request.user))
    return render(
        request,
        "account/backup_codes.html",
        {"left": backup_codes_left(request.user), "next": _safe_next(request)},
    )


@require_POST
def passkey_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    """Remove one of one's own passkeys, never the last factor."""
    passkey = WebAuthnCredential.objects.filter(user=request.user, pk=passkey_id).first()
    if passkey is None:
        raise Http404("No such passkey of yours.")
    others = (
        TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=request.user, confirmed=True)
        .exclude(pk=passkey.pk)
        .exists()
    )
    if not others:
        messages.error(
            request,
            "This passkey is your only second factor. Set up an authenticator app or "
            "another passkey before removing it.",
        )
        return redirect("account")
    passkey.delete()
    messages.success(request, f"The passkey “{passkey.name}” is removed.")
    return redirect("account")


def factors_of(user) -> dict:
    """What the account page shows of the person's second factors."""
    return {
        "authenticator": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
        "passkeys": list(
            WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")
        ),
        "backup_codes_left": backup_codes_left(user),
        "passkeys_available": bool(settings.OTP_WEBAUTHN_ALLOWED_ORIGINS),
    }
