"""Trainings for scripts: /api/v1/trainings/ (list, log) and /api/v1/trainings/{id}/ (read,
change, cancel).

Read by everyone with a place in the network, like the pages; logged and changed by the
region's hub specialists, through training.services only. Errors: 400 naming the fields,
403 for someone without a place in the network or writing another region's trainings,
404 for an id that is not a training.
"""

from types import SimpleNamespace

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from regions.models import Agency, County, Region, Tribe
from training.filters import TrainingFilter
from training.models import (
    MAX_PER_SECTOR,
    Sector,
    Topic,
    TrainingFormat,
    TrainingStatus,
)
from training.selectors import (
    get_training_for_user,
    in_network,
    training_regions_managed_by,
    trainings_visible_to,
)
from training.services import (
    MAX_NOTES,
    TrainingInput,
    training_cancel,
    training_create,
    training_update,
)

MAX_ID = 2**31 - 1

# ----------------------------------------------------------------------------- serializers


class RegionNumberField(serializers.IntegerField):
    """A region by its number (1 to 7); the view resolves it."""

    def to_representation(self, region) -> int:
        return region.number


@extend_schema_field(
    {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "09:30"}
)
class StartTimeField(serializers.TimeField):
    """A local time to the minute, "HH:MM" ("format: time" would call for a UTC offset)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)

    def to_internal_value(self, value):
        return super().to_internal_value(value).replace(second=0, microsecond=0, tzinfo=None)


class ReferenceListField(serializers.ListField):
    """Counties by FIPS code, tribes or agencies by id: looked up in one query, every
    unknown one named."""

    def __init__(self, *, queryset, key: str, noun: str, **kwargs):
        self.queryset, self.key, self.noun = queryset, key, noun
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        keys = list(dict.fromkeys(super().to_internal_value(data)))
        found = {
            getattr(o, self.key): o for o in self.queryset.filter(**{f"{self.key}__in": keys})
        }
        if unknown := [str(key) for key in keys if key not in found]:
            raise ValidationError(f"No {self.noun} {', '.join(unknown)}.")
        return [found[key] for key in keys]

    def to_representation(self, related):
        return [getattr(o, self.key) for o in related.all()]


class AttendanceField(serializers.DictField):
    def to_representation(self, rows) -> dict[str, int]:
        return {row.sector: row.count for row in rows.all()}


class TopicsField(serializers.ListField):
    def to_representation(self, rows) -> list[str]:
        return [row.topic for row in rows.all()]


class TrainingSerializer(serializers.Serializer):
    """A training. Writes are checked by training.services (the same rules as the
    pages); `status` follows the attendance (planned without, delivered with) and is
    set only to cancel: `"status": "cancelled"` with a `cancel_reason`, in a PATCH."""

    id = serializers.IntegerField(read_only=True)
    region = RegionNumberField(
        min_value=1,
        max_value=32767,
        required=False,
        help_text="Region number. Optional when you log trainings for one region only "
        "(your hub's); a training stays in its region.",
    )
    title = serializers.CharField(max_length=200, allow_blank=True)
    date = serializers.DateField()
    start_time = StartTimeField(required=False, allow_null=True)
    duration_hours = serializers.DecimalField(
        max_digits=4, decimal_places=2, help_text="0.25 to 80 hours, a string or a number."
    )
    format = serializers.ChoiceField(choices=TrainingFormat.choices)
    topics = TopicsField(
        child=serializers.ChoiceField(choices=Topic.choices),
        source="topic_rows",
        max_length=len(Topic.values),
        help_text="At least one.",
    )
    delivered_by_hub = serializers.BooleanField(
        required=False, default=True, help_text="By the hub's own people."
    )
    partner_agencies = ReferenceListField(
        queryset=Agency.objects.all(),
        key="pk",
        noun="agency",
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=100,
        required=False,
        help_text="Ids of the agencies that presented (/api/v1/agencies/).",
    )
    presenters = serializers.CharField(max_length=300, required=False, allow_blank=True)
    venue = serializers.CharField(max_length=200, required=False, allow_blank=True)
    counties = ReferenceListField(
        queryset=County.objects.all(),
        key="fips",
        noun="county with FIPS code",
        child=serializers.CharField(max_length=5),
        max_length=100,
        help_text="FIPS codes of the counties reached (at least one), e.g. 55087.",
    )
    tribes = ReferenceListField(
        queryset=Tribe.objects.all(),
        key="pk",
        noun="tribe",
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=100,
        required=False,
        help_text="Ids of the tribes reached (/api/v1/tribes/).",
    )
    attendance = AttendanceField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_PER_SECTOR),
        required=False,
        help_text="People trained by sector: "
        f"{', '.join(Sector.values)} -> a count. Empty while the training is planned.",
    )
    youth_attendees = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_ID
    )
    total_attendees = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(
        choices=TrainingStatus.choices,
        required=False,
        help_text="Planned until attendance is recorded, then delivered. Send "
        '"cancelled" (PATCH, with cancel_reason) to cancel a planned training; other '
        "values are ignored.",
    )
    cancel_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=MAX_NOTES, required=False, allow_blank=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


# The serializer's names for what TrainingInput calls otherwise (and back, for errors).
INPUT_NAMES = {"topic_rows": "topics"}
SERVICE_FIELD_NAMES = {"reason": "cancel_reason"}


# ----------------------------------------------------------------------------- views


class InNetwork(permissions.BasePermission):
    message = "Training records are for the hubs, agencies and task force."

    def has_permission(self, request, view) -> bool:
        return in_network(request.user)


class FormatIsAFilter(DefaultContentNegotiation):
    """Here `?format=` filters trainings by format (as on the page); the answer's media
    type comes from the Accept header only."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE=None)


class TrainingPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


def _run_service(call, *, unnamed: str = "non_field_errors"):
    """Run a service, its refusals as API answers naming the fields (`unnamed`: the
    name for an error about the whole training)."""
    try:
        return call()
    except DjangoValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {SERVICE_FIELD_NAMES.get(f, f): m for f, m in exc.message_dict.items()}
            ) from exc
        raise ValidationError({unnamed: exc.messages}) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc


def _input_fields(validated: dict) -> dict:
    """Validated data as TrainingInput's keyword arguments."""
    return {INPUT_NAMES.get(name, name): value for name, value in validated.items()}


TRAINING_ID = OpenApiParameter(
    "id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description="Training id."
)


@extend_schema_view(
    list=extend_schema(
        description="Trainings of every region, newest first. Filter with `quarter` (e.g. "
        "2026Q3), `region`, `topic`, `sector`, `county` (FIPS), `tribe` (id), `format`, "
        "`status` (cancelled ones only when asked for) and `q` (title, venue, presenters)."
    ),
    retrieve=extend_schema(description="One training.", parameters=[TRAINING_ID]),
)
class TrainingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Trainings: read by everyone in the network, logged and changed by the region's hub
    specialists."""

    serializer_class = TrainingSerializer
    filterset_class = TrainingFilter
    pagination_class = TrainingPagination
    permission_classes = [permissions.IsAuthenticated, InNetwork]
    content_negotiation_class = FormatIsAFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"[0-9]{1,10}"

    def get_queryset(self):
        return trainings_visible_to(self.request.user).order_by("-date", "-start_time", "-id")

    def get_object(self, *, write: bool = False):
        return get_training_for_user(self.request.user, int(self.kwargs["pk"]), write=write)

    def _answer(self, training, code=status.HTTP_200_OK) -> Response:
        """The training as it now stands (read again, with its related rows)."""
        fresh = get_training_for_user(self.request.user, training.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(responses={201: TrainingSerializer, 400: None, 403: None})
    def create(self, request, *args, **kwargs):
        """Log a training for your hub's region: planned without attendance, delivered
        with it."""
        managed = training_regions_managed_by(request.user)
        if not managed:
            raise PermissionDenied("Only hub specialists log trainings.")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = _input_fields(serializer.validated_data)
        region = _region_of_new_training(fields.pop("region", None), managed)
        if fields.pop("status", None) == TrainingStatus.CANCELLED:
            raise ValidationError({"status": "Log the training first; cancel it with a PATCH."})
        if fields.pop("cancel_reason", ""):
            raise ValidationError({"cancel_reason": "Give a reason only when cancelling."})
        training = _run_service(
            lambda: training_create(
                actor=request.user, region=region, data=TrainingInput(**fields)
            )
        )
        return self._answer(training, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[TRAINING_ID],
        responses={200: TrainingSerializer, 400: None, 403: None, 404: None},
    )
    def partial_update(self, request, *args, **kwargs):
        """Change some fields of a training of your hub's region (the others stay), or
        cancel it: `{"status": "cancelled", "cancel_reason": "..."}`."""
        training = self.get_object(write=True)
        serializer = self.get_serializer(training, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = _input_fields(serializer.validated_data)
        region = fields.pop("region", None)
        if region is not None and region != training.region.number:
            raise ValidationError(
                {"region": "A training stays in its region; log it again in the other one."}
            )
        cancelling = fields.pop("status", None) == TrainingStatus.CANCELLED
        reason = fields.pop("cancel_reason", "")
        if cancelling:
            return self._cancel(training, reason, fields)
        if reason and reason != training.cancel_reason:
            raise ValidationError(
                {"cancel_reason": 'Give a reason only when cancelling ("status": "cancelled").'}
            )
        # Only the fields sent, set on the training as it stands once locked: a change
        # made meanwhile to another field is kept.
        changed = _run_service(
            lambda: training_update(actor=request.user, training_id=training.pk, changes=fields)
        )
        return self._answer(changed)

    def _cancel(self, training, reason: str, other_fields: dict) -> Response:
        if other_fields:
            raise ValidationError(
                {
                    "status": "Cancel on its own: send only status and cancel_reason "
                    f"(not {', '.join(sorted(other_fields))})."
                }
            )
        # Only a planned training can be cancelled: its status is what is wrong otherwise.
        cancelled = _run_service(
            lambda: training_cancel(
                actor=self.request.user, training_id=training.pk, reason=reason
            ),
            unnamed="status",
        )
        return self._answer(cancelled)


def _region_of_new_training(number: int | None, managed: list[Region]) -> Region:
    """The region a hub specialist logs a training for: theirs, or the one named among
    theirs. Naming another region is a 403."""
    if number is None:
        if len(managed) == 1:
            return managed[0]
        numbers = ", ".join(str(r.number) for r in managed)
        raise ValidationError(
            {"region": f"You log trainings for regions {numbers}: say which one."}
        )
    for region in managed:
        if region.number == number:
            return region
    if Region.objects.filter(number=number).exists():
        raise PermissionDenied(f"Only the hub specialists of region {number} log its trainings.")
    raise ValidationError({"region": f"No region {number}."})
