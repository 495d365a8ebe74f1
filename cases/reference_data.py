"""The default indicator list (cases/data/indicators.csv), loaded where missing.

Administrators edit the list in the admin afterwards; loading never overwrites.
"""

import csv
from pathlib import Path

INDICATORS_CSV = Path(__file__).resolve().parent / "data" / "indicators.csv"


def indicators_load(indicator_model=None) -> int:
    """Create the default indicators that are missing; returns how many were created.

    `indicator_model` lets a data migration pass its historical model.
    """
    if indicator_model is None:
        from cases.models import Indicator as indicator_model
    created = 0
    with INDICATORS_CSV.open(newline="", encoding="utf-8") as handle:
        for order, row in enumerate(csv.DictReader(handle), start=1):
            _, was_created = indicator_model.objects.get_or_create(
                key=row["key"],
                defaults={
                    "category": row["category"],
                    "label": row["indicator"],
                    "exploitation": row["exploitation"],
                    "order": order,
                },
            )
            created += was_created
    return created
