"""Signed-in, second-factor-verified sessions and API tokens for the load generator, made
directly in the database (the load measures the pages, not the sign-in)."""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from knox.models import AuthToken

BENCH_DEVICE = "Benchmark"


def verified_session(user: AbstractBaseUser) -> str:
    """The session key of a new session, signed in as `user` with a second factor
    verified (a static device of their own, made for the benchmark)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=BENCH_DEVICE)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return session.session_key


def cookie_header(user: AbstractBaseUser) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={verified_session(user)}"


def api_token(user: AbstractBaseUser) -> str:
    """A knox token for `user`, as the Authorization header's value."""
    _, token = AuthToken.objects.create(user=user)
    return f"Token {token}"
