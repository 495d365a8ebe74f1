"""Protocol definitions for reading: /api/v1/protocols/."""

from rest_framework import serializers, viewsets

from protocols.models import ProtocolVersion, StepDefinition, StepField
from protocols.selectors import protocol_versions


class StepFieldSerializer(serializers.ModelSerializer):
    choices = serializers.ListField(source="choice_list", child=serializers.CharField())

    class Meta:
        model = StepField
        fields = ["key", "label", "kind", "required", "choices"]


class StepDefinitionSerializer(serializers.ModelSerializer):
    fields = StepFieldSerializer(many=True)
    deadline = serializers.CharField(source="deadline_label")

    class Meta:
        model = StepDefinition
        fields = [
            "key",
            "title",
            "guidance",
            "order",
            "owner",
            "anchor",
            "anchor_step_key",
            "offset_amount",
            "offset_unit",
            "deadline",
            "condition",
            "optional",
            "fields",
        ]


class ProtocolVersionSerializer(serializers.ModelSerializer):
    region = serializers.IntegerField(source="region.number", default=None, allow_null=True)
    version = serializers.IntegerField(source="number")
    steps = StepDefinitionSerializer(many=True)

    class Meta:
        model = ProtocolVersion
        fields = ["id", "name", "region", "version", "status", "published_at", "notes", "steps"]


class ProtocolVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Protocol versions (statewide: region null) with their steps and fields."""

    serializer_class = ProtocolVersionSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        return protocol_versions().order_by("region__number", "-number")
