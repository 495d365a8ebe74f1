"""The resource directory's filters, shared by its search page, its exports and
/api/v1/providers/.

They only narrow a queryset that came through `providers_visible_to`. Filters on a related
row (service type, county, tribe) are EXISTS subqueries, so a provider is listed once
however many of its rows match. A choice that names nothing (an unknown county, service
type, tribe or region) is an error, so a typo says so instead of finding nothing.
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from drf_spectacular.utils import extend_schema_field

from regions.models import County, Provider, Region, ServiceType, Tribe

MAX_AGE = 30  # as Provider.min_age / max_age


class IntegerFilter(django_filters.NumberFilter):
    """A whole number (a NumberFilter would take 12.5)."""

    field_class = forms.IntegerField


class ProviderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name")
    service_type = django_filters.ModelChoiceFilter(
        queryset=ServiceType.objects.all(),
        to_field_name="key",
        method="filter_service_type",
        label="Service type (key, e.g. mental_health)",
        empty_label="Any service",
    )
    county = django_filters.ModelChoiceFilter(
        queryset=County.objects.all(),
        to_field_name="fips",
        method="filter_county",
        label="County served (FIPS)",
        empty_label="Any county",
    )
    tribe = django_filters.ModelChoiceFilter(
        queryset=Tribe.objects.all(),
        method="filter_tribe",
        label="Tribe served (id)",
        empty_label="Any tribe",
    )
    age = IntegerFilter(
        method="filter_age",
        label="Age of the youth",
        min_value=0,
        max_value=MAX_AGE,
        error_messages={
            "invalid": "Give the youth's age in whole years, like 15.",
            "min_value": f"Give an age from 0 to {MAX_AGE}.",
            "max_value": f"Give an age from 0 to {MAX_AGE}.",
        },
    )
    language = django_filters.CharFilter(method="filter_language", label="Language")
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.all(),
        to_field_name="number",
        field_name="region",
        label="Region (1-7)",
        empty_label="All regions",
    )
    trafficking_specialised = django_filters.BooleanFilter(label="Trafficking-specialised")
    trauma_informed = django_filters.BooleanFilter(label="Trauma-informed")
    culturally_specific = django_filters.BooleanFilter(label="Culturally specific")
    include_inactive = django_filters.BooleanFilter(
        method="filter_include_inactive", label="Include inactive providers"
    )

    class Meta:
        model = Provider
        fields = [
            "q",
            "service_type",
            "county",
            "tribe",
            "age",
            "language",
            "region",
            "trafficking_specialised",
            "trauma_informed",
            "culturally_specific",
            "include_inactive",
        ]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(name__icontains=value) if value else queryset

    @extend_schema_field(
        {"type": "string", "description": "A service type's key.", "example": "mental_health"}
    )
    def filter_service_type(self, queryset, name, value):
        offered = Provider.service_types.through.objects.filter(
            provider=OuterRef("pk"), servicetype=value
        )
        return queryset.filter(Exists(offered))

    @extend_schema_field(
        {"type": "string", "description": "A county's FIPS code.", "example": "55087"}
    )
    def filter_county(self, queryset, name, value):
        served = Provider.counties.through.objects.filter(provider=OuterRef("pk"), county=value)
        return queryset.filter(Exists(served))

    @extend_schema_field({"type": "integer", "description": "A tribe's id (/api/v1/tribes/)."})
    def filter_tribe(self, queryset, name, value):
        served = Provider.tribes.through.objects.filter(provider=OuterRef("pk"), tribe=value)
        return queryset.filter(Exists(served))

    @extend_schema_field(
        {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_AGE,
            "description": "A youth's age: providers whose ages include it (no youngest or "
            "oldest age given: every age on that side).",
        }
    )
    def filter_age(self, queryset, name, value):
        """Providers whose ages include `value`; an open end (no youngest or no oldest
        age given) includes every age on that side."""
        return queryset.filter(
            Q(min_age__isnull=True) | Q(min_age__lte=value),
            Q(max_age__isnull=True) | Q(max_age__gte=value),
        )

    def filter_language(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(languages__icontains=value) if value else queryset

    @extend_schema_field(
        {"type": "boolean", "description": "true: inactive providers too (left out otherwise)."}
    )
    def filter_include_inactive(self, queryset, name, value):
        return queryset  # applied in `qs`, which must also see it unset

    @property
    def qs(self):
        providers = super().qs
        # Inactive entries stay for the needs that name them, out of searches unless asked.
        if not (
            self.form.is_bound
            and self.form.is_valid()
            and self.form.cleaned_data.get("include_inactive")
        ):
            providers = providers.filter(active=True)
        return providers
