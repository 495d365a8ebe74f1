from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hubnet import account, mfa, sessions, views

admin.site.site_header = "HubNet administration"
admin.site.site_title = "HubNet admin"
admin.site.index_title = "Reference data, organisations and memberships"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        mfa.mfa_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", mfa.mfa_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path("password-reset/", account.PasswordReset.as_view(), name="password_reset"),
    path("password-reset/sent/", account.PasswordResetSent.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        account.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        account.PasswordResetComplete.as_view(),
        name="password_reset_complete",
    ),
    path("account/two-factor/", mfa.verify, name="mfa-verify"),
    path("account/two-factor/setup/", mfa.setup, name="mfa-setup"),
    path("account/two-factor/backup-codes/", mfa.backup_codes, name="mfa-backup-codes"),
    path(
        "account/two-factor/passkeys/<int:passkey_id>/remove/",
        mfa.passkey_remove,
        name="mfa-passkey-remove",
    ),
    path("account/two-factor/passkeys/", include("django_otp_webauthn.urls")),
    path("account/session/", sessions.keepalive, name="session-keepalive"),
    path("account/session/status/", sessions.status, name="session-status"),
    path("account/tokens/new/", account.token_create, name="account-token-create"),
    path("healthz", views.healthz, name="healthz"),
    path("account/", account.account, name="account"),
    path("account/password/", account.PasswordChange.as_view(), name="password-change"),
    path(
        "account/tokens/<str:token_key>/revoke/",
        account.token_revoke,
        name="account-token-revoke",
    ),
    path("", include("cases.urls")),
    path("", include("regions.urls")),
    path("", include("regions.dashboard_urls")),
    path("", include("training.urls")),
    path("", include("regions.directory_urls")),
    # The admin's own password change would check the current password outside the
    # lockout; HubNet's page does it inside.
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="password-change"),
        name="admin-password-change",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("hubnet.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
