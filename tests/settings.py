"""Test settings: production settings plus what only tests may do.

DEBUG stays off, so tests see what production users see; the secret and the
password hasher are test-only.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SQLITE_PATH", ":memory:")

from hubnet.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
# Static files come from the finders; no collectstatic needed to run the tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Passkeys need an origin; the browser tests set their live server's own.
OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost:8000"]
