"""One's own account: the password, and the API tokens one holds (list, revoke).

Pages for people, and the same for scripts under /api/v1/auth/: a script can list its
user's tokens and revoke one, or the one it is using (`DELETE /api/v1/auth/token/`).
Nobody sees or revokes another person's tokens here (an account administrator who
deactivates an account ends them all: regions.services.user_deactivate).
"""

import hashlib
import logging
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from hubnet.http import client_ip
from hubnet.mfa import code_refusal, factors_of, mfa_not_required

security_log = logging.getLogger("hubnet.security")


def tokens_of(user) -> list[AuthToken]:
    """The user's tokens still in force, newest first."""
    return list(
        AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
    )


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    context = {
        "tokens": tokens_of(request.user),
        "token_form": TokenForm(),
        **factors_of(request.user),
    }
    return render(request, "account/account.html", context)


class TokenForm(forms.Form):
    days = forms.IntegerField(
        label="Days until it expires",
        min_value=1,
        max_value=366,
        initial=90,
        help_text="From 1 to 366. Shorter is safer; you can revoke it at any time.",
    )
    code = forms.CharField(
        label="A code from your authenticator app, or a backup code",
        max_length=16,
        help_text="A token acts as you for its whole life, so HubNet asks that it is you now.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        refusal = code_refusal(self.user, code)
        if refusal:
            raise forms.ValidationError(refusal)
        return code


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Issue an API token to oneself, shown once. Reachable only with the second factor
    verified in this session (hubnet.mfa), and only with a fresh code typed now: a token
    outlives the session, so an unattended open browser must not be enough."""
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        context = {
            "tokens": tokens_of(request.user),
            "token_form": form,
            **factors_of(request.user),
        }
        return render(request, "account/account.html", context, status=400)
    instance, token = AuthToken.objects.create(
        user=request.user, expiry=timedelta(days=form.cleaned_data["days"])
    )
    return render(request, "account/token_created.html", {"token": token, "instance": instance})


@require_POST
def token_revoke(request: HttpRequest, token_key: str) -> HttpResponse:
    deleted, _ = AuthToken.objects.filter(user=request.user, token_key=token_key).delete()
    if not deleted:
        raise Http404("No such token of yours.")
    messages.success(request, f"The API token starting {token_key} is revoked.")
    return redirect("account")


class CheckedPasswordChangeForm(PasswordChangeForm):
    """The current password is checked like a sign-in, so guessing it counts towards the
    lockout (django-axes) like any other failed sign-in."""

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        request = getattr(self, "request", None)
        checked = authenticate(request, username=self.user.get_username(), password=old_password)
        if checked is None or checked.pk != self.user.pk:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class PasswordChange(auth_views.PasswordChangeView):
    """Django's password change: the current session stays signed in; the others end
    (sessions are signed with the password's hash) and so do the API tokens
    (hubnet.passwords)."""

    template_name = "account/password_change.html"
    success_url = reverse_lazy("account")
    form_class = CheckedPasswordChangeForm

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request
        return form

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            "Your password is changed. You are signed out everywhere else and your API "
            "tokens have ended.",
        )
        return response


class TokenSerializer(serializers.Serializer):
    token_key = serializers.CharField(help_text="The token's first characters (not secret).")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    current = serializers.BooleanField(help_text="The token this request was made with.")


def _rows(request) -> list[dict]:
    current = request.auth.pk if isinstance(request.auth, AuthToken) else None
    return [
        {
            "token_key": t.token_key,
            "created": t.created,
            "expiry": t.expiry,
            "current": t.pk == current,
        }
        for t in tokens_of(request.user)
    ]


class TokenList(APIView):
    """Your API tokens still in force."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TokenSerializer

    @extend_schema(responses=TokenSerializer(many=True))
    def get(self, request):
        return Response(TokenSerializer(_rows(request), many=True).data)


class TokenDetail(APIView):
    """Revoke one of your API tokens by its first characters."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TokenSerializer

    def delete(self, request, token_key: str):
        deleted, _ = AuthToken.objects.filter(user=request.user, token_key=token_key).delete()
        if not deleted:
            return Response({"detail": "No such token of yours."}, status=404)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CurrentToken(APIView):
    """The token this request is made with: DELETE revokes it (sign the script out)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = TokenSerializer

    def delete(self, request):
        if not isinstance(request.auth, AuthToken):
            return Response({"detail": "This request was not made with an API token."}, status=400)
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# Password reset by email ------------------------------------------------------------------
# Django's own views and single-use tokens (bound to the password hash, expiring after
# PASSWORD_RESET_TIMEOUT). The answer is the same whether or not the address has an
# account, and each address and each client may ask only a few times an hour.
RESETS_PER_ADDRESS_PER_HOUR = 3
RESETS_PER_CLIENT_PER_HOUR = 10


def _within_rate(key: str, limit: int) -> bool:
    cache.add(key, 0, timeout=60 * 60)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60 * 60)
        return True


class PasswordResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label="Your work email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def save(self, *, request=None, **kwargs):
        email = self.cleaned_data["email"].strip().lower()
        address = hashlib.sha256(email.encode()).hexdigest()
        client = (client_ip(request) or "") if request is not None else ""
        if not (
            _within_rate(f"password-reset:address:{address}", RESETS_PER_ADDRESS_PER_HOUR)
            and _within_rate(f"password-reset:client:{client}", RESETS_PER_CLIENT_PER_HOUR)
        ):
            security_log.warning("password reset: rate limit reached (client %s)", client)
            return
        security_log.info("password reset asked (client %s)", client)
        super().save(request=request, **kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Rendered here, sent by a Celery task after the request (hubnet.tasks)."""
        from hubnet.tasks import email_send

        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        transaction.on_commit(lambda: email_send.delay(subject, body, to_email))


@method_decorator([login_not_required, mfa_not_required], name="dispatch")
class PasswordReset(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    extra_email_context = {"site_name": settings.SITE_NAME}


@method_decorator([login_not_required, mfa_not_required], name="dispatch")
class PasswordResetSent(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_sent.html"


@method_decorator([login_not_required, mfa_not_required], name="dispatch")
class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"


@method_decorator([login_not_required, mfa_not_required], name="dispatch")
class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
