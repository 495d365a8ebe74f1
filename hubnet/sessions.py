"""How long a signed-in browser stays signed in.

- Idle: after `SESSION_IDLE_TIMEOUT` seconds (30 minutes) with nothing done, the session
  ends. The page warns `SESSION_IDLE_WARNING` seconds (2 minutes) before, with a button
  to stay (static/js/session.js); typing into a long form counts as activity, so nobody
  loses a referral half-written.
- Absolute: `SESSION_COOKIE_AGE` seconds (8 hours) after signing in, the session ends
  however active it was.

The session remembers when it signed in and when it last saw activity; a request after
either limit signs the person out and sends them to sign in again, saying why.
"""

import functools
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

SIGNED_IN_AT = "hubnet_signed_in_at"
LAST_ACTIVE_AT = "hubnet_last_active_at"
# Activity is written to the session at most this often, not on every request.
TOUCH_EVERY = 60


@functools.cache
def _script_paths() -> tuple[str, str]:
    """The page script's own URLs (status, keepalive), looked up once."""
    return reverse("session-status"), reverse("session-keepalive")


@receiver(user_logged_in)
def _stamp(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_ACTIVE_AT] = now


def session_ends(request: HttpRequest) -> dict[str, float] | None:
    """When this session ends for idleness and for age (epoch seconds), or None when
    it is not a signed-in browser session."""
    session = getattr(request, "session", None)
    if session is None or SIGNED_IN_AT not in session:
        return None
    return {
        "idle": session[LAST_ACTIVE_AT] + settings.SESSION_IDLE_TIMEOUT,
        "absolute": session[SIGNED_IN_AT] + settings.SESSION_COOKIE_AGE,
    }


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            # Asking how long is left is not activity (a second tab's check must not
            # keep the first one signed in).
            passive = request.path_info == _script_paths()[0]
            ends = session_ends(request)
            now = time.time()
            if ends is None:  # signed in before these limits existed: start counting now
                request.session[SIGNED_IN_AT] = request.session[LAST_ACTIVE_AT] = now
            elif now >= ends["idle"] or now >= ends["absolute"]:
                return self._sign_out(request, idle=now >= ends["idle"])
            elif not passive and now - request.session[LAST_ACTIVE_AT] >= TOUCH_EVERY:
                request.session[LAST_ACTIVE_AT] = now
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, *, idle: bool) -> HttpResponse:
        if request.path_info in _script_paths():
            # The page's own script: it reloads, and that request signs out with the reason.
            return JsonResponse({"detail": "The session has ended."}, status=401)
        path = request.get_full_path()
        logout(request)
        if idle:
            minutes = settings.SESSION_IDLE_TIMEOUT // 60
            reason = f"You were signed out after {minutes} minutes without activity."
        else:
            hours = settings.SESSION_COOKIE_AGE // 3600
            reason = f"You were signed out {hours} hours after signing in. Sign in again."
        if request.path_info.startswith("/api/") or request.headers.get("HX-Request"):
            return JsonResponse({"detail": reason}, status=401)
        messages.info(request, reason)
        return redirect_to_login(path)


def _time_left(request: HttpRequest) -> JsonResponse:
    ends = session_ends(request)
    now = time.time()
    return JsonResponse(
        {
            "idle_left": int(ends["idle"] - now) if ends else None,
            "absolute_left": int(ends["absolute"] - now) if ends else None,
        }
    )


@require_POST
def keepalive(request: HttpRequest) -> JsonResponse:
    """The page's "Stay signed in" and its activity ping (typing, clicking): count it as
    activity and say how long is left."""
    request.session[LAST_ACTIVE_AT] = time.time()
    return _time_left(request)


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """How long is left, without counting as activity: the page asks before warning
    (another tab may have been in use) and when its own count runs out."""
    return _time_left(request)
