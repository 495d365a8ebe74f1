import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from regions.models import County, Region, Tribe


@pytest.fixture
def make_training(personas):
    """make_training(region=2, counties=["Brown"], attendance={"education": 12}, ...) ->
    a Training logged through training.services by the region's hub specialist (regions
    2 and 5 have one; pass `actor` for anyone else). Delivered when attendance is given,
    planned otherwise; the date defaults to 10 days ago (delivered) or 10 days ahead."""
    from training.services import TrainingInput, training_create

    def make(
        *,
        region: int = 2,
        counties=("Outagamie",),
        tribes=(),
        attendance=None,
        date=None,
        actor=None,
        **fields,
    ):
        today = timezone.localdate()
        if date is None:
            date = today - datetime.timedelta(days=10 if attendance else -10)
        data = TrainingInput(
            title=fields.pop("title", "Recognising trafficking: what schools see"),
            date=date,
            duration_hours=Decimal(str(fields.pop("duration_hours", "2"))),
            format=fields.pop("format", "in_person"),
            topics=fields.pop("topics", ["awareness", "indicators"]),
            counties=list(County.objects.filter(name__in=counties)),
            tribes=list(Tribe.objects.filter(name__in=tribes)),
            attendance=dict(attendance or {}),
            **fields,
        )
        actor = actor or personas[f"hub{region}.specialist"]
        return training_create(actor=actor, region=Region.objects.get(number=region), data=data)

    return make
