"""Editing protocols in the admin: drafts are editable, published versions read-only.

To change a published protocol, select it and "Create a new draft from the selected
versions"; edit the draft; "Publish" checks it is coherent first.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from hubnet.admin import HubNetModelAdmin
from protocols.models import ProtocolVersion, StepDefinition, StepField
from protocols.services import (
    next_version_number,
    protocol_problems,
    protocol_version_draft_from,
    protocol_version_publish,
)


class DraftOnly:
    """Change and delete only while the protocol version is a draft (inlines: add too)."""

    def version_of(self, obj) -> ProtocolVersion | None:
        return obj

    def _draft(self, obj) -> bool:
        version = self.version_of(obj) if obj is not None else None
        return version is None or version.is_draft

    def has_change_permission(self, request, obj=None):
        return self._draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._draft(obj) and super().has_delete_permission(request, obj)


class DraftOnlyInline(DraftOnly):
    def has_add_permission(self, request, obj=None):
        return self._draft(obj) and super().has_add_permission(request, obj)


class StepDefinitionInline(DraftOnlyInline, admin.TabularInline):
    model = StepDefinition
    fields = [
        "order",
        "key",
        "title",
        "owner",
        "anchor",
        "anchor_step_key",
        "offset_amount",
        "offset_unit",
        "condition",
        "optional",
    ]
    extra = 0
    show_change_link = True
    ordering = ["order"]


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(DraftOnly, HubNetModelAdmin):
    list_display = ["name", "scope", "number", "status", "published_at", "step_count"]
    list_filter = ["status", "region"]
    inlines = [StepDefinitionInline]
    actions = ["make_draft", "publish"]
    fields = ["name", "region", "notes", "status", "number", "based_on", "problems"]
    readonly_fields = ["status", "number", "based_on", "problems"]

    @admin.display(description="scope", ordering="region__number")
    def scope(self, obj):
        return f"Region {obj.region.number}" if obj.region_id else "Statewide"

    @admin.display(description="steps")
    def step_count(self, obj):
        return obj.steps.count()

    @admin.display(description="Ready to publish?")
    def problems(self, obj):
        if obj is None or not obj.pk or not obj.is_draft:
            return "-"
        found = protocol_problems(obj)
        return "Yes" if not found else format_html("<br>".join(["{}"] * len(found)), *found)

    def get_readonly_fields(self, request, obj=None):
        # A version's scope is fixed once created (its number counts within the scope).
        return [*self.readonly_fields, "region"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.number = next_version_number(obj.region)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Create a new draft from the selected versions")
    def make_draft(self, request, queryset):
        for source in queryset:
            draft = protocol_version_draft_from(source=source, actor=request.user)
            url = reverse("admin:protocols_protocolversion_change", args=[draft.pk])
            messages.success(
                request, format_html('Draft <a href="{}">{}</a> created.', url, str(draft))
            )

    @admin.action(description="Publish the selected drafts (checks them first)")
    def publish(self, request, queryset):
        for version in queryset:
            try:
                protocol_version_publish(version=version, actor=request.user)
            except ValidationError as exc:
                messages.error(request, f"{version} was not published: {' '.join(exc.messages)}")
            else:
                messages.success(request, f"{version} published; new cases start on it.")


class StepFieldInline(DraftOnlyInline, admin.TabularInline):
    model = StepField
    fields = ["order", "key", "label", "kind", "required", "choices"]
    extra = 0

    def version_of(self, obj):
        return obj.version


@admin.register(StepDefinition)
class StepDefinitionAdmin(DraftOnly, HubNetModelAdmin):
    list_display = ["title", "key", "version", "order", "owner", "deadline_label", "condition"]
    list_filter = ["version", "owner", "condition"]
    list_select_related = ["version__region"]
    inlines = [StepFieldInline]
    search_fields = ["title", "key"]

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.version.is_draft) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.version.is_draft) and super().has_delete_permission(
            request, obj
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = ProtocolVersion.objects.filter(status="draft")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
