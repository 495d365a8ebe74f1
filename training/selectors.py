"""Reads of trainings that depend on who is asking.

Trainings are not confidential: anyone with a place in the network (hub specialists,
agency staff, the state task force) reads every region's. Changing them is for the
region's hub specialists: the `regions.manage_region_trainings` object permission on the
region, granted with their membership (regions.services.ROLE_GRANTS).
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from regions.models import Membership, Region
from training.models import Training, TrainingStatus, TrainingTopic

MANAGE = "regions.manage_region_trainings"


def in_network(user: AbstractBaseUser) -> bool:
    """Whether `user` has a place in the network (an active membership of any role): who
    reads trainings. A superuser without a membership is not in it."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and Membership.objects.active().filter(user=user).exists()
    )


def trainings_visible_to(user: AbstractBaseUser) -> QuerySet[Training]:
    """Every training for someone with an active membership, none for anyone else; with
    what a list shows joined in."""
    trainings = Training.objects.select_related("region", "region__hub").prefetch_related(
        "counties",
        "tribes",
        "attendance",
        "partner_agencies",
        Prefetch("topic_rows", queryset=TrainingTopic.objects.order_by("topic")),
    )
    return trainings if in_network(user) else trainings.none()


def training_regions_managed_by(user: AbstractBaseUser) -> list[Region]:
    """The regions whose trainings `user` logs and changes: those whose
    `manage_region_trainings` object permission they hold (their hubs' regions). Being a
    superuser gives none: the right comes with a hub membership only."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    return list(
        get_objects_for_user(
            user, MANAGE, klass=Region, accept_global_perms=False, with_superuser=False
        ).order_by("number")
    )


def may_manage_trainings(user: AbstractBaseUser, region: Region) -> bool:
    """Whether `user` may log, change and cancel `region`'s trainings."""
    return any(r.pk == region.pk for r in training_regions_managed_by(user))


def get_training_for_user(
    user: AbstractBaseUser, training_id: int, *, write: bool = False
) -> Training:
    """The one door to a training by id: not visible -> 404; `write` and not one of its
    region's hub specialists -> 403."""
    training = trainings_visible_to(user).filter(pk=training_id).first()
    if training is None:
        raise Http404("No such training.")
    if write and not may_manage_trainings(user, training.region):
        raise PermissionDenied(
            f"Only the hub specialists of {training.region} change its trainings."
        )
    return training


def home_region_of(user: AbstractBaseUser) -> Region | None:
    """The region a person works in (their hub's or agency's), for default filters."""
    membership = (
        Membership.objects.active()
        .filter(user=user, role__in=["hub_specialist", "agency_staff", "agency_supervisor"])
        .select_related("hub__region", "agency__region")
        .order_by("role", "pk")
        .first()
    )
    if membership is None:
        return None
    return membership.hub.region if membership.hub_id else membership.agency.region


def training_totals(trainings: QuerySet[Training], *, sector: str | None = None) -> dict:
    """Totals for a filtered list, over every training in it (not one page): how many,
    of which delivered and planned; people trained and hours (delivered ones); counties
    the delivered ones reached. With a `sector`, people trained are that sector's
    attendees only (as the quarterly metric counts by sector), the rest unchanged. Three
    queries (four with a sector), whatever the size."""
    plain = trainings.order_by().prefetch_related(None)
    counts = plain.aggregate(
        trainings=Count("pk"),
        delivered=Count("pk", filter=Q(status=TrainingStatus.DELIVERED)),
        planned=Count("pk", filter=Q(status=TrainingStatus.PLANNED)),
    )
    delivered = plain.filter(status=TrainingStatus.DELIVERED)
    sums = delivered.aggregate(people=Sum("total_attendees"), hours=Sum("duration_hours"))
    counties = (
        Training.counties.through.objects.filter(training__in=delivered.values("pk"))
        .values("county")
        .distinct()
        .count()
    )
    if sector:
        # A query of its own: joining the attendance rows would count hours once a row.
        sums["people"] = delivered.aggregate(
            people=Sum("attendance__count", filter=Q(attendance__sector=sector))
        )["people"]
    return {
        **counts,
        "people": sums["people"] or 0,
        "hours": sums["hours"] or 0,
        "counties": counties,
    }
