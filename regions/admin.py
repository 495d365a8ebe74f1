from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count

from hubnet.admin import HubNetModelAdmin
from regions.figures import republish_request
from regions.models import (
    AccessChange,
    Agency,
    County,
    DisclosureControl,
    Hub,
    Membership,
    Region,
    RollupRun,
    Tribe,
)
from regions.services import (
    GrantRefused,
    county_region_assign,
    hub_host_assign,
    membership_grant,
    membership_grant_check,
)


@admin.register(Region)
class RegionAdmin(HubNetModelAdmin):
    list_display = ["number", "name", "county_count", "agency_count"]
    ordering = ["number"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                county_count=Count("counties", distinct=True),
                agency_count=Count("agencies", distinct=True),
            )
        )

    @admin.display(description="counties", ordering="county_count")
    def county_count(self, obj):
        return obj.county_count

    @admin.display(description="agencies", ordering="agency_count")
    def agency_count(self, obj):
        return obj.agency_count


class HubAdminForm(forms.ModelForm):
    class Meta:
        model = Hub
        fields = ["region", "host_agency", "provisional"]

    def clean(self):
        cleaned = super().clean()
        host = cleaned.get("host_agency")
        region = cleaned.get("region") or (self.instance.region if self.instance.pk else None)
        if host and region and host.region_id != region.pk:
            self.add_error("host_agency", "The host agency must be in the hub's region.")
        return cleaned


@admin.register(Hub)
class HubAdmin(HubNetModelAdmin):
    form = HubAdminForm
    list_display = ["__str__", "region", "host_agency", "provisional"]
    list_filter = ["provisional"]
    list_select_related = ["region", "host_agency"]
    autocomplete_fields = ["host_agency"]

    def get_readonly_fields(self, request, obj=None):
        return ["region"] if obj else []

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        hub_host_assign(hub=obj, host_agency=obj.host_agency, provisional=obj.provisional)


@admin.register(County)
class CountyAdmin(HubNetModelAdmin):
    list_display = ["name", "fips", "region", "region_assignment"]
    list_filter = ["region", "region_assignment"]
    list_select_related = ["region"]
    search_fields = ["name", "fips"]
    readonly_fields = ["region_assignment"]

    def save_model(self, request, obj, form, change):
        if change and "region" in form.changed_data:
            region = obj.region
            obj.region_id = form.initial["region"]
            if county_region_assign(county=obj, region=region):
                messages.info(request, f"{obj} and the agencies serving it moved to {region}.")
            return
        super().save_model(request, obj, form, change)


@admin.register(Tribe)
class TribeAdmin(HubNetModelAdmin):
    list_display = ["name", "primary_region", "region_assignment"]
    list_filter = ["primary_region", "region_assignment"]
    list_select_related = ["primary_region"]
    search_fields = ["name"]
    filter_horizontal = ["counties"]


@admin.register(Agency)
class AgencyAdmin(HubNetModelAdmin):
    list_display = ["name", "kind", "county", "tribe", "region", "is_resource_agency"]
    list_filter = ["is_resource_agency", "region", "kind"]
    list_select_related = ["county", "tribe", "region"]
    search_fields = ["name", "county__name", "tribe__name"]
    autocomplete_fields = ["county", "tribe"]
    actions = ["designate_resource_agency", "withdraw_resource_agency"]

    @admin.action(description="Designate as Resource Agency")
    def designate_resource_agency(self, request, queryset):
        changed = queryset.filter(is_resource_agency=False).update(is_resource_agency=True)
        messages.success(request, f"{changed} agencies designated as Resource Agencies.")

    @admin.action(description="Withdraw Resource Agency designation")
    def withdraw_resource_agency(self, request, queryset):
        changed = queryset.filter(is_resource_agency=True).update(is_resource_agency=False)
        messages.success(request, f"{changed} agencies are no longer Resource Agencies.")


class MembershipAddForm(forms.ModelForm):
    """Adding a membership in the admin goes through the same checks as everywhere else."""

    reason = forms.CharField(label="Why is this access given?", max_length=300)

    class Meta:
        model = Membership
        fields = ["user", "role", "agency", "hub"]

    granted_by = None  # set by MembershipAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            membership_grant_check(
                actor=self.granted_by,
                user=cleaned["user"],
                role=cleaned["role"],
                agency=cleaned.get("agency"),
                hub=cleaned.get("hub"),
            )
        except GrantRefused as refused:
            raise ValidationError(str(refused)) from None
        return cleaned


@admin.register(Membership)
class MembershipAdmin(HubNetModelAdmin):
    """Memberships are granted and ended, never edited or deleted: the rows are the record.

    Ending one (with a reason) is on HubNet's People page, like inviting and deactivating.
    """

    list_display = ["user", "role", "organisation_label", "granted_at", "revoked_at"]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter), "hub"]
    list_select_related = ["user", "agency", "hub__region"]
    search_fields = ["user__username", "user__email", "agency__name"]
    autocomplete_fields = ["user", "agency"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = type(
                "MembershipAddFormFor", (MembershipAddForm,), {"granted_by": request.user}
            )
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "user",
            "role",
            "agency",
            "hub",
            "granted_at",
            "granted_by",
            "grant_reason",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
        ]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        # The form ran the same checks; a refusal here is a race, and raises.
        granted = membership_grant(
            user=obj.user,
            role=obj.role,
            agency=obj.agency,
            hub=obj.hub,
            granted_by=request.user,
            reason=form.cleaned_data["reason"],
        )
        obj.pk = granted.pk


class RecordAdmin(HubNetModelAdmin):
    """A record the system writes: viewed here, never added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessChange)
class AccessChangeAdmin(RecordAdmin):
    """The record of access changes: read only, for everyone who may see it."""

    list_display = ["at", "kind", "subject", "role", "organisation_label", "actor", "reason"]
    list_filter = ["kind", "role", "region"]
    list_select_related = ["subject", "actor", "agency", "hub"]
    search_fields = ["subject__username", "actor__username", "reason"]


@admin.register(DisclosureControl)
class DisclosureControlAdmin(HubNetModelAdmin):
    """The suppression threshold: one row, the task force's decision, with its reason."""

    list_display = ["threshold", "reason", "changed_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not DisclosureControl.objects.exists()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        republish_request()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RollupRun)
class RollupRunAdmin(RecordAdmin):
    """When the figures were made."""

    list_display = [
        "quarter",
        "trigger",
        "status",
        "requested_at",
        "finished_at",
        "figures_written",
    ]
    list_filter = ["status", "trigger", "quarter"]
