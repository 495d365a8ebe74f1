"""Read-only reference data for scripts and other systems: /api/v1/regions/ and friends."""

import django_filters
from rest_framework import serializers, viewsets

from regions.models import Agency, AgencyKind, County, Region, Tribe


class RegionSerializer(serializers.ModelSerializer):
    hub_host = serializers.CharField(
        source="hub.host_agency.name", default=None, read_only=True, allow_null=True
    )
    hub_provisional = serializers.BooleanField(
        source="hub.provisional", default=None, allow_null=True
    )

    class Meta:
        model = Region
        fields = ["number", "name", "hub_host", "hub_provisional"]


class CountySerializer(serializers.ModelSerializer):
    region = serializers.IntegerField(source="region.number")

    class Meta:
        model = County
        fields = ["fips", "name", "region", "region_assignment"]


class TribeSerializer(serializers.ModelSerializer):
    primary_region = serializers.IntegerField(source="primary_region.number")
    counties = serializers.SlugRelatedField(slug_field="fips", many=True, read_only=True)

    class Meta:
        model = Tribe
        fields = ["id", "name", "primary_region", "counties", "region_assignment"]


class AgencySerializer(serializers.ModelSerializer):
    region = serializers.IntegerField(source="region.number")
    county = serializers.CharField(source="county.fips", default=None, allow_null=True)
    tribe = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Agency
        fields = ["id", "name", "kind", "region", "county", "tribe", "is_resource_agency"]


class RegionNumberFilter(django_filters.FilterSet):
    region = django_filters.NumberFilter(field_name="region__number", label="Region number (1-7)")


class CountyFilter(RegionNumberFilter):
    class Meta:
        model = County
        fields = ["region"]


class TribeFilter(django_filters.FilterSet):
    region = django_filters.NumberFilter(
        field_name="primary_region__number", label="Primary region number (1-7)"
    )

    class Meta:
        model = Tribe
        fields = ["region"]


class AgencyFilter(RegionNumberFilter):
    kind = django_filters.ChoiceFilter(choices=AgencyKind.choices)
    county = django_filters.CharFilter(field_name="county__fips", label="County FIPS code")
    is_resource_agency = django_filters.BooleanFilter()

    class Meta:
        model = Agency
        fields = ["region", "kind", "county", "is_resource_agency"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.select_related("hub__host_agency").order_by("number")
    serializer_class = RegionSerializer
    lookup_field = "number"
    filterset_fields: list[str] = []


class CountyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = County.objects.select_related("region").order_by("name")
    serializer_class = CountySerializer
    lookup_field = "fips"
    filterset_class = CountyFilter


class TribeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = (
        Tribe.objects.select_related("primary_region")
        .prefetch_related("counties")
        .order_by("name")
    )
    serializer_class = TribeSerializer
    filterset_class = TribeFilter


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Agency.objects.select_related("region", "county").order_by("name")
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
