"""The resource directory for scripts: GET /api/v1/providers/ (the directory's filters)
and GET /api/v1/providers/{id}/. Read-only: entries are kept on the pages by the region's
hub specialists.

Everyone signed in reads it (a token, or a session with its second factor verified),
like the pages; it holds no youth data. A filter that names nothing (an unknown county,
service type, tribe or region; an age that is not one) is a 400 naming it.
"""

from django.db.models.functions import Lower
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.pagination import LimitOffsetPagination

from regions.directory_filters import ProviderFilter
from regions.models import Provider
from regions.selectors import get_provider_for_user, providers_visible_to


class ProviderSerializer(serializers.ModelSerializer):
    region = serializers.IntegerField(
        source="region.number", read_only=True, help_text="Region number (1-7)."
    )
    agency = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The id of the HubNet agency it is (/api/v1/agencies/), or null for an "
        "outside organisation.",
    )
    service_types = serializers.SlugRelatedField(
        slug_field="key", many=True, read_only=True, help_text="Service type keys."
    )
    counties = serializers.SlugRelatedField(
        slug_field="fips",
        many=True,
        read_only=True,
        help_text="FIPS codes of the counties served.",
    )
    tribes = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the tribes served (/api/v1/tribes/)."
    )
    languages = serializers.SerializerMethodField(
        help_text='The languages it serves in, e.g. ["English", "Hmong"].'
    )

    class Meta:
        model = Provider
        fields = [
            "id",
            "name",
            "kind",
            "region",
            "agency",
            "service_types",
            "counties",
            "tribes",
            "min_age",
            "max_age",
            "languages",
            "trafficking_specialised",
            "trauma_informed",
            "culturally_specific",
            "capacity_notes",
            "phone",
            "email",
            "address",
            "hours",
            "how_to_refer",
            "active",
        ]
        read_only_fields = fields

    def get_languages(self, provider) -> list[str]:
        return [part.strip() for part in provider.languages.split(";") if part.strip()]


class ProviderPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


PROVIDER_ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description="Provider id."
)


@extend_schema_view(
    list=extend_schema(
        description="The resource directory of every region, by name. Filter with "
        "`service_type` (a key), `county` (FIPS), `tribe` (id), `age` (providers whose "
        "ages include it), `language`, `region`, `trafficking_specialised`, "
        "`trauma_informed`, `culturally_specific` and `q` (name). Inactive providers are "
        "left out unless `include_inactive=true`."
    ),
    retrieve=extend_schema(
        description="One provider (an inactive one too).", parameters=[PROVIDER_ID]
    ),
)
class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    """The regional resource directory: read by everyone signed in."""

    serializer_class = ProviderSerializer
    filterset_class = ProviderFilter
    pagination_class = ProviderPagination
    permission_classes = [permissions.IsAuthenticated]
    lookup_value_regex = r"[0-9]{1,10}"

    def get_queryset(self):
        return providers_visible_to(self.request.user).order_by(Lower("name"), "id")

    def get_object(self):
        return get_provider_for_user(self.request.user, int(self.kwargs["pk"]))
