"""Writes to protocol definitions: loading, drafting from an existing version, publishing."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from protocols.models import (
    Anchor,
    Condition,
    FieldKind,
    ProtocolVersion,
    StepDefinition,
    StepField,
    VersionStatus,
)
from regions.models import Region


def protocol_problems(version: ProtocolVersion) -> list[str]:
    """Why a draft is not coherent enough to publish (empty when it is)."""
    problems: list[str] = []
    steps = list(version.steps.prefetch_related("fields").order_by("order", "id"))
    if not steps:
        return ["The protocol has no steps."]
    order_of = {step.key: step.order for step in steps}
    by_key = {step.key: step for step in steps}
    seen_orders: set[int] = set()
    for step in steps:
        where = f"Step '{step.key}'"
        if step.order in seen_orders:
            problems.append(f"{where}: another step has the same order {step.order}.")
        seen_orders.add(step.order)
        if step.anchor == Anchor.STEP_COMPLETED:
            anchor = step.anchor_step_key
            if not anchor:
                problems.append(f"{where}: name the step whose completion starts its clock.")
            elif anchor not in order_of:
                problems.append(f"{where}: its anchor step '{anchor}' does not exist.")
            elif order_of[anchor] >= step.order:
                problems.append(f"{where}: its anchor step '{anchor}' does not come before it.")
            elif by_key[anchor].optional or by_key[anchor].condition != Condition.ALWAYS:
                problems.append(
                    f"{where}: its anchor step '{anchor}' is optional or conditional; if it is "
                    "skipped or does not apply, this step's clock would never start."
                )
        elif step.anchor_step_key:
            problems.append(f"{where}: an anchor step is only used with 'Another step completed'.")
        field_keys = [f.key for f in step.fields.all()]
        if len(field_keys) != len(set(field_keys)):
            problems.append(f"{where}: two fields share a key.")
        for field in step.fields.all():
            if field.kind == FieldKind.CHOICE and len(field.choice_list) < 2:
                problems.append(f"{where}: choice field '{field.key}' needs two or more choices.")
    return problems


def protocol_version_publish(
    *, version: ProtocolVersion, actor: AbstractBaseUser | None
) -> ProtocolVersion:
    """Publish a coherent draft; the version it replaces in the same scope is retired.

    Cases already open stay on the version they started on.
    """
    with transaction.atomic():
        # order_by("pk"): the default ordering joins the nullable region, which
        # PostgreSQL cannot lock FOR UPDATE.
        version = ProtocolVersion.objects.select_for_update().order_by("pk").get(pk=version.pk)
        if version.status != VersionStatus.DRAFT:
            raise ValidationError("Only a draft can be published.")
        problems = protocol_problems(version)
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        for current in (
            ProtocolVersion.objects.select_for_update()
            .filter(region=version.region, status=VersionStatus.PUBLISHED)
            .order_by("pk")
        ):
            current.status = VersionStatus.RETIRED
            current.retired_at = now
            current.save(update_fields=["status", "retired_at"])
        version.status = VersionStatus.PUBLISHED
        version.published_at = now
        version.published_by = actor
        try:
            with transaction.atomic():
                version.save(update_fields=["status", "published_at", "published_by"])
        except IntegrityError:
            raise ValidationError(
                "Another version of this protocol was published at the same moment; "
                "reload and try again."
            ) from None
    return version


def next_version_number(region: Region | None) -> int:
    last = ProtocolVersion.objects.filter(region=region).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


def protocol_version_draft_from(
    *, source: ProtocolVersion, actor: AbstractBaseUser | None
) -> ProtocolVersion:
    """A new draft for the same scope, copying `source`'s steps and fields."""
    scope = source.region
    with transaction.atomic():
        draft = ProtocolVersion.objects.create(
            region=scope,
            name=source.name,
            number=next_version_number(scope),
            based_on=source,
            created_by=actor,
            notes=f"Draft made from {source}.",
        )
        for step in source.steps.prefetch_related("fields").order_by("order", "id"):
            fields = list(step.fields.all())
            step.pk = None
            step.version = draft
            step.save()
            for field in fields:
                field.pk = None
                field.step = step
                field.save()
    return draft


def protocol_version_load(
    data: dict, *, region: Region | None = None, actor=None, publish: bool = True
) -> ProtocolVersion:
    """Create a version from its data description (see protocols/data/*.json)."""
    with transaction.atomic():
        version = ProtocolVersion.objects.create(
            region=region,
            name=data["name"],
            number=next_version_number(region),
            notes=data.get("notes", ""),
            created_by=actor,
        )
        for order, step_data in enumerate(data["steps"], start=1):
            amount, unit = step_data["deadline"]["offset"]
            step = StepDefinition(
                version=version,
                key=step_data["key"],
                title=step_data["title"],
                guidance=step_data["guidance"],
                order=order * 10,
                owner=step_data["owner"],
                anchor=step_data["deadline"]["anchor"],
                anchor_step_key=step_data["deadline"].get("step", ""),
                offset_amount=amount,
                offset_unit=unit,
                condition=step_data.get("condition", "always"),
                optional=step_data.get("optional", False),
            )
            step.full_clean(exclude=["version"])
            step.save()
            for field_order, field_data in enumerate(step_data.get("fields", []), start=1):
                field = StepField(
                    step=step,
                    key=field_data["key"],
                    label=field_data["label"],
                    kind=field_data["kind"],
                    required=field_data.get("required", True),
                    choices="\n".join(field_data.get("choices", [])),
                    order=field_order,
                )
                field.full_clean(exclude=["step"])
                field.save()
        if publish:
            protocol_version_publish(version=version, actor=actor)
            version.refresh_from_db()
    return version
