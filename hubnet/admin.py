"""What every HubNet admin page shares: no filter or lookup may reach into case data.

Django's admin accepts query-string lookups through a model's relations
(`/admin/regions/agency/?cases__gt=<uuid>` narrows the list by case ids), which
would let an administrator probe case records without the case door. Every
ModelAdmin in HubNet derives from `HubNetModelAdmin`, which refuses them.
"""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db.models.constants import LOOKUP_SEP

# Apps whose models hold case data; only reference lists inside them may be traversed.
CASE_DATA_APPS = {"cases"}
REFERENCE_MODELS_IN_CASE_APPS = {"cases.indicator"}


def reaches_case_data(model, lookup: str) -> bool:
    """Whether `lookup` (e.g. `cases__youth__legal_last_name`) walks into a case-data model."""
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # a lookup or transform (`gt`, `isnull`): the path ends here
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
        label = model._meta.label_lower
        if model._meta.app_label in CASE_DATA_APPS and label not in REFERENCE_MODELS_IN_CASE_APPS:
            return True
    return False


class HubNetModelAdmin(admin.ModelAdmin):
    def lookup_allowed(self, lookup, value, request=None):
        if reaches_case_data(self.model, lookup):
            return False
        return super().lookup_allowed(lookup, value, request)


def _guard_registered_admins(site: admin.AdminSite) -> None:
    """Give the admins Django and libraries register themselves (User, Group, knox tokens)
    the same guard: User reaches cases through `assigned_cases` and `notifications`."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, HubNetModelAdmin):
            continue
        guarded = type(
            f"Guarded{type(model_admin).__name__}", (HubNetModelAdmin, type(model_admin)), {}
        )
        site.unregister(model)
        site.register(model, guarded)


def _second_factors_out_of_the_admin(site: admin.AdminSite) -> None:
    """Second-factor devices hold secrets and backup codes, and adding one to an account
    would reset its second factor unrecorded: they are not administered here. A lost
    device is reset on the person's People page (regions.services.mfa_reset)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    for model in (TOTPDevice, StaticDevice, WebAuthnCredential):
        if site.is_registered(model):
            site.unregister(model)


# HubNet's app comes after django.contrib.auth, knox and the django-otp apps in
# INSTALLED_APPS, so their admins are registered by the time this module is discovered.
_second_factors_out_of_the_admin(admin.site)
_guard_registered_admins(admin.site)
