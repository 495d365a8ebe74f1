"""Referrals and cases for scripts: /api/v1/referrals/ and /api/v1/cases/.

Every queryset comes from the door (cases.selectors); every change from one
service. Errors: 400 with the failing fields, 403 read-only, 404 not visible,
409 when the case is not (or no longer) in a state that allows the change.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from cases import access_log, services
from cases.filters import CaseFilter
from cases.models import (
    AccessChannel,
    ClosureReason,
    Indicator,
    LegalBasis,
    NeedStatus,
    Referral,
    ScreeningOutcome,
    UnavailableReason,
    Youth,
)
from cases.selectors import (
    case_needs,
    case_notes,
    case_steps,
    cases_visible_to,
    get_case_for_user,
    get_referral_for_user,
    linkable_youth,
    referrals_visible_to,
    work_regions_of,
)
from cases.steps import step_state
from hubnet.http import client_ip
from regions.models import Agency, County, Provider, Region, ServiceType, Tribe
from regions.selectors import providers_visible_to


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The case changed; reload it and try again."
    default_code = "conflict"


# ----------------------------------------------------------------------------- serializers


class YouthSerializer(serializers.ModelSerializer):
    county = serializers.SlugRelatedField(slug_field="fips", queryset=County.objects.all())
    tribe = serializers.PrimaryKeyRelatedField(
        queryset=Tribe.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Youth
        fields = [
            "id",
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "estimated_age",
            "gender",
            "race_ethnicity",
            "county",
            "tribe",
            "languages",
            "safe_at_home",
            "missing_from_care",
            "address",
            "current_location",
            "guardian_name",
            "guardian_relationship",
            "guardian_contact",
        ]
        read_only_fields = ["id"]
        # Left out, gender, race/ethnicity (and a referral's suspected exploitation) are
        # "unknown": the page asks for an answer; a script may not know it.
        extra_kwargs = {
            "address": {"help_text": "Empty in answers for Safe at Home youth."},
            "current_location": {"help_text": "Empty in answers for Safe at Home youth."},
            "guardian_contact": {
                "help_text": "Shown for Safe at Home youth too: it is not where they live."
            },
        }

    def to_representation(self, youth):
        data = super().to_representation(youth)
        data["address"] = "" if youth.safe_at_home else youth.address
        data["current_location"] = "" if youth.safe_at_home else youth.current_location
        return data

    def validate(self, attrs):
        if not attrs.get("date_of_birth") and attrs.get("estimated_age") is None:
            raise ValidationError(
                {"date_of_birth": "Give a date of birth, or an estimated age if it is unknown."}
            )
        return attrs


class CaseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case_number = serializers.CharField(source="number")
    status = serializers.CharField()
    region = serializers.IntegerField(source="region.number")
    county = serializers.CharField(source="county.fips")
    agency = serializers.IntegerField(source="agency_id", allow_null=True)
    assigned_worker = serializers.IntegerField(source="assigned_worker_id", allow_null=True)
    screening_outcome = serializers.CharField()
    routing_basis = serializers.CharField()
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closure_reason = serializers.CharField()
    youth_name = serializers.SerializerMethodField()
    imminent_danger = serializers.BooleanField(source="referral.imminent_danger")

    def get_youth_name(self, case) -> str:
        return f"{case.youth.legal_first_name} {case.youth.legal_last_name}"


class EventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField(
        help_text="Username; null for a change made from another case of the youth."
    )
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    from_agency = serializers.IntegerField(source="from_agency_id", allow_null=True)
    to_agency = serializers.IntegerField(source="to_agency_id", allow_null=True)
    reason = serializers.CharField()

    def get_actor(self, event) -> str | None:
        return None if event.from_another_case else event.actor.username


class CaseDetailSerializer(CaseSerializer):
    youth = YouthSerializer()
    referral = serializers.UUIDField(source="referral_id")
    timeline = serializers.SerializerMethodField()

    def get_timeline(self, case) -> list[dict]:
        events = case.events.select_related("actor").order_by("at", "id")
        return EventSerializer(events, many=True).data


class ReferralSerializer(serializers.ModelSerializer):
    """A referral and its youth. On create: either `youth` (a new record) or
    `existing_youth` (the id of a youth already in one of your cases)."""

    youth = YouthSerializer(required=False)
    existing_youth = serializers.UUIDField(required=False, write_only=True)
    region = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Region.objects.all(),
        required=False,
        help_text="Optional check: the region follows the youth's county of residence.",
    )
    handover = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="Confirm that a youth living in another hub's region goes to that hub's "
        "queue (you will not see the case afterwards).",
    )
    indicators = serializers.SlugRelatedField(
        slug_field="key", many=True, queryset=Indicator.objects.filter(active=True), required=False
    )
    case = serializers.UUIDField(source="case.id", read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "case_number",
            "region",
            "received_at",
            "source",
            "reporter_name",
            "reporter_contact",
            "narrative",
            "indicators",
            "suspected_exploitation",
            "imminent_danger",
            "youth",
            "existing_youth",
            "handover",
            "logged_at",
        ]
        read_only_fields = ["id", "logged_at"]

    def validate(self, attrs):
        if not attrs.get("youth") and not attrs.get("existing_youth"):
            raise ValidationError({"youth": "Give the youth, or `existing_youth`."})
        if attrs.get("youth") and attrs.get("existing_youth"):
            raise ValidationError({"existing_youth": "Give either `youth` or `existing_youth`."})
        return attrs


class ReferralSummarySerializer(serializers.ModelSerializer):
    """What a list may show without counting as a look at each case."""

    case = serializers.UUIDField(source="case.id", read_only=True)
    case_number = serializers.CharField(source="case.number", read_only=True)
    region = serializers.IntegerField(source="region.number", read_only=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "case",
            "case_number",
            "region",
            "received_at",
            "source",
            "suspected_exploitation",
            "imminent_danger",
            "logged_at",
        ]


class ScreenInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ScreeningOutcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    step_fields = serializers.DictField(
        required=False,
        default=dict,
        help_text="The protocol's screening step's fields the screening does not fill, by key "
        "(e.g. `tool`): with them the step is recorded done by the same call.",
    )
    expected_status = serializers.CharField(required=False, default=None)


class RouteInput(serializers.Serializer):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    legal_basis = serializers.ChoiceField(
        choices=LegalBasis.choices, required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    expected_status = serializers.CharField(required=False, default=None)


class ExpectedStatusInput(serializers.Serializer):
    expected_status = serializers.CharField(required=False, default=None)


class DeclineInput(ExpectedStatusInput):
    reason = serializers.CharField()


class CloseInput(ExpectedStatusInput):
    reason = serializers.ChoiceField(choices=ClosureReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class NoteInput(serializers.Serializer):
    body = serializers.CharField()


class CaseStepSerializer(serializers.Serializer):
    key = serializers.CharField(source="definition.key")
    title = serializers.CharField(source="definition.title")
    owner = serializers.CharField(source="definition.owner")
    optional = serializers.BooleanField(source="definition.optional")
    status = serializers.CharField()
    state = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    completed_by = serializers.CharField(
        source="completed_by.username", default=None, allow_null=True
    )
    values = serializers.JSONField()
    skip_reason = serializers.CharField()
    closed_with_case = serializers.BooleanField()

    def get_state(self, step) -> str:
        return step_state(step, self.context["now"]).label


class SkipInput(serializers.Serializer):
    reason = serializers.CharField()


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    body = serializers.CharField()
    author = serializers.CharField(source="author.username")
    created_at = serializers.DateTimeField()


class NeedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service_type = serializers.CharField(source="service_type.key")
    status = serializers.CharField()
    reason = serializers.CharField(help_text="Why it is unavailable; empty otherwise.")
    provider = serializers.IntegerField(
        source="provider_id", allow_null=True, help_text="The directory entry, if any."
    )
    provider_name = serializers.CharField(
        source="provider_label",
        help_text="The directory provider's name, or the provider named when not listed.",
    )
    identified_on = serializers.DateField()
    notes = serializers.CharField()


class NeedUpdateInput(serializers.Serializer):
    """What became of a need. Left out, a field keeps its value (the reason too, while
    the status stays "unavailable")."""

    status = serializers.ChoiceField(choices=NeedStatus.choices, required=False)
    reason = serializers.ChoiceField(
        choices=UnavailableReason.choices,
        required=False,
        allow_blank=True,
        help_text="Only with the status `unavailable`.",
    )
    provider = serializers.PrimaryKeyRelatedField(
        queryset=Provider.objects.none(),
        required=False,
        allow_null=True,
        help_text="A directory entry (/api/v1/providers/).",
    )
    provider_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="A provider not in the directory, by name (ignored with `provider`).",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers_visible_to(user)


class NeedInput(NeedUpdateInput):
    service_type = serializers.SlugRelatedField(
        slug_field="key",
        queryset=ServiceType.objects.all(),
        help_text="A service type's key, e.g. `mental_health`.",
    )
    identified_on = serializers.DateField(
        required=False, help_text="Today when left out (Wisconsin time)."
    )


# ----------------------------------------------------------------------------- views


class CasePagination(CursorPagination):
    ordering = ("-opened_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise
        except (TypeError, ValueError) as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        # Both orderings are by a timestamp: a position that is not one was forged.
        if cursor is not None and cursor.position is not None:
            moment = parse_datetime(cursor.position)
            if moment is None or timezone.is_naive(moment):
                raise NotFound(self.invalid_cursor_message)
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except DjangoValidationError as exc:  # a forged position of the wrong type
            raise NotFound(self.invalid_cursor_message) from exc


class ReferralPagination(CasePagination):
    ordering = ("-logged_at", "-id")


def _run_service(call):
    """Run a service, translating its errors into API responses."""
    try:
        return call()
    except DjangoValidationError as exc:
        raise ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        ) from exc
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except services.CaseConflict as exc:
        raise Conflict(str(exc)) from exc


UUID_PATTERN = r"[0-9a-fA-F-]{32,36}"


class ReferralViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Referrals of the cases you can see. The list is a summary; the full referral
    (narrative, reporter, youth) comes from retrieve, which is logged."""

    pagination_class = ReferralPagination
    lookup_value_regex = UUID_PATTERN

    def get_serializer_class(self):
        return ReferralSummarySerializer if self.action == "list" else ReferralSerializer

    def get_queryset(self):
        return referrals_visible_to(self.request.user)

    def get_object(self):
        return get_referral_for_user(
            self.request.user,
            self.kwargs["pk"],
            channel=AccessChannel.API,
            ip_address=client_ip(self.request),
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        if not work_regions_of(self.request.user):
            raise PermissionDenied("Only hub specialists log referrals.")
        region = data.pop("region", None)
        handover = data.pop("handover", False)
        youth_data = data.pop("youth", None)
        existing_id = data.pop("existing_youth", None)
        indicators = data.pop("indicators", [])
        youth = linkable_youth(self.request.user, existing_id)
        if existing_id and youth is None:
            raise ValidationError({"existing_youth": "No youth with that id in your cases."})
        case = _run_service(
            lambda: services.referral_create(
                logged_by=self.request.user,
                region=region,
                youth=youth,
                youth_data=youth_data,
                referral_data=data,
                indicators=indicators,
                handover=handover,
            )
        )
        serializer.instance = case.referral


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases you can see. Filter with `status` (or `open`), `county` (FIPS), `region`,
    `agency`, `worker` (`me`, `none` or a user id) and `q` (case number or name)."""

    filterset_class = CaseFilter
    pagination_class = CasePagination
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return cases_visible_to(self.request.user)

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def paginate_queryset(self, queryset):
        """The page sent, each case logged: a list carries the youth's names."""
        page = super().paginate_queryset(queryset)
        searching = bool(self.request.query_params.get("q", "").strip())
        access_log.record_many(
            page or [],
            user=self.request.user,
            channel=AccessChannel.API_SEARCH if searching else AccessChannel.API_LIST,
            ip_address=client_ip(self.request),
        )
        return page

    def get_object(self, *, write: bool = False):
        return get_case_for_user(
            self.request.user,
            self.kwargs["pk"],
            write=write,
            channel=AccessChannel.API,
            ip_address=client_ip(self.request),
        )

    def _act(self, request, input_class, call):
        """Door (write), validate the input, run one service, return the changed case."""
        case = self.get_object(write=True)
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        changed = _run_service(lambda: call(case, data.validated_data))
        return Response(CaseSerializer(changed).data)

    @extend_schema(request=ScreenInput, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def screen(self, request, pk=None):
        return self._act(
            request,
            ScreenInput,
            lambda case, d: services.case_screen(case_id=case.pk, actor=request.user, **d),
        )

    @extend_schema(request=RouteInput, responses={200: CaseSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        return self._act(
            request,
            RouteInput,
            lambda case, d: services.case_route(case_id=case.pk, actor=request.user, **d),
        )

    @extend_schema(request=ExpectedStatusInput, responses={200: CaseSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(
            request,
            ExpectedStatusInput,
            lambda case, d: services.case_accept(case_id=case.pk, actor=request.user, **d),
        )

    @extend_schema(request=DeclineInput, responses={200: CaseSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(
            request,
            DeclineInput,
            lambda case, d: services.case_decline(case_id=case.pk, actor=request.user, **d),
        )

    @extend_schema(request=CloseInput, responses={200: CaseSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(
            request,
            CloseInput,
            lambda case, d: services.case_close(case_id=case.pk, actor=request.user, **d),
        )

    @extend_schema(responses=CaseStepSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def steps(self, request, pk=None):
        """The case's protocol checklist: status, state (overdue, due soon...), due time."""
        case = self.get_object()
        context = {"now": timezone.now()}
        return Response(CaseStepSerializer(case_steps(case), many=True, context=context).data)

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={200: CaseStepSerializer, 400: None, 403: None, 409: None},
        description="Complete a step: send its fields by key (see /api/v1/protocols/).",
    )
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<key>[a-z][a-z0-9_]*)/complete")
    def step_complete(self, request, pk=None, key=None):
        return self._record_step(request, key, services.case_step_complete)

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={200: CaseStepSerializer, 400: None, 403: None, 409: None},
        description="Correct a done step: all its fields again; the earlier values stay "
        "on the case's timeline.",
    )
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<key>[a-z][a-z0-9_]*)/correct")
    def step_correct(self, request, pk=None, key=None):
        return self._record_step(request, key, services.case_step_correct)

    def _record_step(self, request, key, service):
        case = self.get_object(write=True)
        if not isinstance(request.data, dict):
            raise ValidationError(
                {"non_field_errors": ["Send the step's fields as a JSON object, by key."]}
            )
        step = _run_service(
            lambda: service(case_id=case.pk, step_key=key, actor=request.user, data=request.data)
        )
        return Response(CaseStepSerializer(step, context={"now": timezone.now()}).data)

    @extend_schema(request=SkipInput, responses={200: CaseStepSerializer, 400: None, 409: None})
    @action(detail=True, methods=["post"], url_path=r"steps/(?P<key>[a-z][a-z0-9_]*)/skip")
    def step_skip(self, request, pk=None, key=None):
        case = self.get_object(write=True)
        data = SkipInput(data=request.data)
        data.is_valid(raise_exception=True)
        step = _run_service(
            lambda: services.case_step_skip(
                case_id=case.pk, step_key=key, actor=request.user, **data.validated_data
            )
        )
        return Response(CaseStepSerializer(step, context={"now": timezone.now()}).data)

    @extend_schema(methods=["get"], responses=NoteSerializer(many=True))
    @extend_schema(methods=["post"], request=NoteInput, responses={201: NoteSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def notes(self, request, pk=None):
        if request.method == "GET":
            case = self.get_object()
            return Response(NoteSerializer(case_notes(case), many=True).data)
        case = self.get_object(write=True)
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = _run_service(
            lambda: services.case_note_add(
                case_id=case.pk, actor=request.user, body=data.validated_data["body"]
            )
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=NeedSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request=NeedInput,
        responses={201: NeedSerializer, 400: None, 403: None, 409: None},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def needs(self, request, pk=None):
        """The case's service needs, oldest first; POST records one (the case's hub or
        current agency, while it is open)."""
        if request.method == "GET":
            case = self.get_object()
            return Response(NeedSerializer(case_needs(case), many=True).data)
        case = self.get_object(write=True)
        data = NeedInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        need = _run_service(
            lambda: services.need_identify(
                case_id=case.pk,
                actor=request.user,
                service_type=given["service_type"],
                identified_on=given.get("identified_on", timezone.localdate()),
                status=given.get("status", NeedStatus.IDENTIFIED),
                reason=given.get("reason", ""),
                provider=given.get("provider"),
                provider_name=given.get("provider_name", ""),
                notes=given.get("notes", ""),
            )
        )
        return Response(NeedSerializer(need).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=NeedUpdateInput,
        responses={200: NeedSerializer, 400: None, 403: None, 404: None, 409: None},
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"needs/(?P<need_id>[0-9]+)",
        pagination_class=None,
        filter_backends=[],
    )
    def need_update(self, request, pk=None, need_id=None):
        """Record what became of a need: the fields sent change, the others stay."""
        case = self.get_object(write=True)
        need = case_needs(case).filter(pk=need_id).first()
        if need is None:
            raise NotFound("No such need on this case.")
        data = NeedUpdateInput(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        new_status = given.get("status", need.status)
        kept_reason = need.reason if new_status == NeedStatus.UNAVAILABLE else ""
        provider_given = "provider" in given or "provider_name" in given
        changed = _run_service(
            lambda: services.need_update(
                case_id=case.pk,
                need_id=need.pk,
                actor=request.user,
                status=new_status,
                reason=given.get("reason", kept_reason),
                provider=given.get("provider") if provider_given else need.provider,
                provider_name=given.get("provider_name", "")
                if provider_given
                else need.provider_name,
                notes=given.get("notes"),
            )
        )
        return Response(NeedSerializer(changed).data)
