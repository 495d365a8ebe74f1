from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from hubnet import account, views

admin.site.site_header = "HubNet administration"
admin.site.site_title = "HubNet admin"
admin.site.index_title = "Reference data, organisations and memberships"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("admin/", admin.site.urls),
    path("api/v1/", include("hubnet.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
