from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count

from regions.models import Agency, County, Hub, Membership, Region, Tribe
from regions.services import (
    county_region_assign,
    hub_host_assign,
    membership_grant,
    membership_revoke,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
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
class HubAdmin(admin.ModelAdmin):
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
class CountyAdmin(admin.ModelAdmin):
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
class TribeAdmin(admin.ModelAdmin):
    list_display = ["name", "primary_region", "region_assignment"]
    list_filter = ["primary_region", "region_assignment"]
    list_select_related = ["primary_region"]
    search_fields = ["name"]
    filter_horizontal = ["counties"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
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
    class Meta:
        model = Membership
        fields = ["user", "role", "agency", "hub"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Memberships are granted and revoked, never edited or deleted: the rows are the record."""

    list_display = ["user", "role", "organisation_label", "granted_at", "revoked_at"]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter), "hub"]
    list_select_related = ["user", "agency", "hub__region"]
    search_fields = ["user__username", "user__email", "agency__name"]
    autocomplete_fields = ["user", "agency"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipAddForm
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
            "revoked_at",
            "revoked_by",
        ]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            granted = membership_grant(
                user=obj.user,
                role=obj.role,
                agency=obj.agency,
                hub=obj.hub,
                granted_by=request.user,
            )
        except ValidationError as exc:  # form validation ran first; this is a race
            messages.error(request, "; ".join(exc.messages))
            return
        obj.pk = granted.pk

    @admin.action(description="Revoke the selected memberships")
    def revoke(self, request, queryset):
        revoked = 0
        for membership in queryset.filter(revoked_at__isnull=True):
            membership_revoke(membership=membership, revoked_by=request.user)
            revoked += 1
        messages.success(request, f"{revoked} memberships revoked; their permissions withdrawn.")
