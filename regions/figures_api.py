"""The figures API: /api/v1/figures/, /api/v1/metrics/, /api/v1/rollup-runs/.

Scoped like the dashboards (the state task force: everything; hub specialists and agency
staff: Wisconsin's totals and their own region), suppressed exactly like them: a
suppressed figure has `"value": null, "suppressed": true`.
"""

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from regions.figures import (
    dashboard_regions,
    figures_visible_to,
    rolled_up_quarters,
    viewable_region_ids,
)
from regions.metrics import metric, metrics
from regions.models import County, Region, RollupRun, ScopeKind, Tribe
from regions.quarters import Quarter


class HasDashboard(permissions.BasePermission):
    message = "Figures are for the state task force and the regions' own staff."

    def has_permission(self, request, view) -> bool:
        return bool(request.user.is_authenticated and dashboard_regions(request.user))


class FigureSerializer(serializers.Serializer):
    quarter = serializers.CharField()
    scope = serializers.ChoiceField(choices=ScopeKind.choices)
    region = serializers.IntegerField(allow_null=True, help_text="Region number.")
    county = serializers.CharField(allow_null=True, help_text="County FIPS code.")
    tribe = serializers.IntegerField(allow_null=True, help_text="Tribe id.")
    metric = serializers.CharField()
    dimension = serializers.CharField(help_text="Empty: the total.")
    category = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="null when suppressed.")
    suppressed = serializers.BooleanField()
    computed_at = serializers.DateTimeField()


FIGURE_PARAMETERS = [
    OpenApiParameter("quarter", str, description="e.g. 2026Q3; default: the latest complete."),
    OpenApiParameter("region", int, description="Region number, 1 to 7."),
    OpenApiParameter("county", str, description="County FIPS code, e.g. 55087."),
    OpenApiParameter("tribe", int, description="Tribe id."),
    OpenApiParameter("scope", str, enum=ScopeKind.values),
    OpenApiParameter("metric", str, description="A key from /api/v1/metrics/."),
    OpenApiParameter("dimension", str, description="A dimension key; empty for totals."),
]


@extend_schema(parameters=FIGURE_PARAMETERS)
class FigureList(generics.ListAPIView):
    """Suppressed quarterly figures. Filters combine; a bad filter is a 400 saying why."""

    serializer_class = FigureSerializer
    permission_classes = [permissions.IsAuthenticated, HasDashboard]
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        errors: dict[str, str] = {}
        quarter = self._quarter(params.get("quarter"), errors)
        metric_key = params.get("metric")
        if metric_key and metric(metric_key) is None:
            errors["metric"] = f"Unknown metric '{metric_key}'; see /api/v1/metrics/."
        region = self._lookup(params.get("region"), "region", Region, "number", errors)
        county = self._lookup(params.get("county"), "county", County, "fips", errors)
        tribe = self._lookup(params.get("tribe"), "tribe", Tribe, "pk", errors)
        scope = params.get("scope")
        if scope and scope not in ScopeKind.values:
            errors["scope"] = f"Choose one of: {', '.join(ScopeKind.values)}."
        if errors:
            raise ValidationError(errors)
        user = self.request.user
        own = viewable_region_ids(user)
        for place, region_id in (
            (region, region and region.pk),
            (county, county and county.region_id),
            (tribe, tribe and tribe.primary_region_id),
        ):
            if place is not None and own is not None and region_id not in own:
                raise PermissionDenied("Those figures are not yours to see.")
        if quarter is None:
            return []
        keys = [metric_key] if metric_key else [m.key for m in metrics()]
        narrow = Q()
        if region is not None:
            narrow &= Q(region_id=region.pk)
        if county is not None:
            narrow &= Q(county_id=county.pk)
        if tribe is not None:
            narrow &= Q(tribe_id=tribe.pk)
        if scope:
            narrow &= Q(scope=scope)
        dimension = params.get("dimension")
        if dimension is not None:
            narrow &= Q(dimension=dimension)
        rows = figures_visible_to(user, quarters=[quarter], metric_keys=keys, where=narrow)
        numbers = dict(Region.objects.values_list("pk", "number"))
        fips = dict(County.objects.values_list("pk", "fips"))
        return [
            {
                "quarter": row.quarter,
                "scope": row.scope,
                "region": numbers.get(row.region_id),
                "county": fips.get(row.county_id),
                "tribe": row.tribe_id,
                "metric": row.metric,
                "dimension": row.dimension,
                "category": row.category,
                "value": row.value,
                "suppressed": row.suppressed,
                "computed_at": row.computed_at,
            }
            for row in rows
        ]

    @staticmethod
    def _quarter(text: str | None, errors: dict) -> str | None:
        if not text:
            complete = [q for q in rolled_up_quarters() if Quarter.parse(q).is_complete()]
            return complete[0] if complete else None
        try:
            return str(Quarter.parse(text))
        except ValueError as exc:
            errors["quarter"] = str(exc)
            return None

    @staticmethod
    def _lookup(value, name: str, model, field: str, errors: dict):
        if value in (None, ""):
            return None
        try:
            return model.objects.get(**{field: value})
        except (ValueError, TypeError, model.DoesNotExist):
            errors[name] = f"No {name} '{value}'."
            return None


class CategorySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()


class DimensionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    categories = CategorySerializer(many=True)


class MetricSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    description = serializers.CharField()
    additive = serializers.BooleanField()
    dimensions = DimensionSerializer(many=True)


class MetricList(generics.ListAPIView):
    """Every metric the rollup computes: keys, labels, units, dimensions."""

    serializer_class = MetricSerializer
    permission_classes = [permissions.IsAuthenticated, HasDashboard]
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return [
            {
                "key": m.key,
                "label": m.label,
                "unit": m.unit,
                "description": m.description,
                "additive": m.additive,
                "dimensions": [
                    {
                        "key": d.key,
                        "label": d.label,
                        "categories": [{"key": k, "label": v} for k, v in d.category_choices()],
                    }
                    for d in m.dimensions
                ],
            }
            for m in metrics()
        ]


class RollupRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RollupRun
        fields = [
            "id",
            "quarter",
            "trigger",
            "status",
            "requested_at",
            "started_at",
            "finished_at",
            "as_of",
            "metrics_total",
            "metrics_done",
            "figures_written",
            "error",
        ]


@extend_schema(
    parameters=[OpenApiParameter("quarter", OpenApiTypes.STR, description="e.g. 2026Q3")]
)
class RollupRunViewSet(viewsets.ReadOnlyModelViewSet):
    """When the figures were made: every rollup run, newest first."""

    serializer_class = RollupRunSerializer
    permission_classes = [permissions.IsAuthenticated, HasDashboard]
    filter_backends: list = []

    def get_queryset(self):
        runs = RollupRun.objects.all()
        if quarter := self.request.query_params.get("quarter"):
            runs = runs.filter(quarter=quarter.upper())
        return runs
