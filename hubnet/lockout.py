"""Failed sign-ins (django-axes): what a locked-out person sees, and the record of it.

Five failures lock that username, and that username from that address, for 15 minutes
(settings.AXES_*), on every credential check: the sign-in page, the admin's and the
current-password check of a password change. The answer never says whether the
username exists: a name nobody has locks the same way. Each lockout is logged, and for
an existing account it is recorded in the account's history, where an account
administrator can also lift it (regions.services.lockout_clear).
"""

import logging

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Sum
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

logger = logging.getLogger("hubnet.security")


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"Too many failed sign-in attempts. Signing in with this username is paused for "
        f"{minutes} minutes. If you need access sooner, ask your account administrator."
    )


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    """The sign-in page again, with the lockout said plainly (HTTP 429)."""
    if request.user.is_authenticated:  # a password change that failed once too often
        logout(request)
    username = (credentials or {}).get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {"form": form, "next": "", "lockout": lockout_message()}
    return render(request, "registration/login.html", context, status=429)


def is_locked_out(username: str) -> bool:
    """Whether the username is locked now: its recent failures from every address and
    browser add up to the limit (as django-axes counts them)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return (failures or 0) >= settings.AXES_FAILURE_LIMIT


@receiver(user_locked_out)
def _lockout_recorded(sender, request, username, ip_address, **kwargs) -> None:
    logger.warning("sign-in locked out: username=%r ip=%s", username, ip_address)
    user = get_user_model().objects.filter(username=username).first()
    if user is not None:
        from regions.services import lockout_record

        lockout_record(user=user, ip_address=ip_address, within=settings.AXES_COOLOFF_TIME)
