"""Many synthetic cases, fast: copies of the demo cases, for benchmarks at scale.

seed_demo builds each case through the real services (about 30 cases a second); a
benchmark at 100,000 cases needs something quicker. This command copies the cases
already present (the demo's, each built through the services, so each copy is a
coherent case: its steps, timeline and notes agree with its status) with bulk inserts,
shifting each copy's history by a random number of days within the last two years and
giving it a new youth with a random synthetic name and a new case number.

Development and benchmarks only: refuses to run with DEBUG off unless --force.
Not copied: indicators, consents, alerts, notifications and the access log.
"""

import datetime
import random
import time
import uuid
from collections import defaultdict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import timezone

from cases.management.commands.seed_demo import FIRST_NAMES, LAST_NAMES
from cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseNumberCounter,
    CaseStep,
    Referral,
    Youth,
)
from hubnet.text import fold

WINDOW = datetime.timedelta(days=730)  # the dashboards' eight quarters, and a little more
BATCH = 1000


def _columns(model: type[models.Model], *, keep_pk: bool = False) -> list[str]:
    return [
        field.attname for field in model._meta.concrete_fields if keep_pk or not field.primary_key
    ]


class Template:
    """One existing case and everything copied with it, as plain column values."""

    def __init__(self, case: dict, youth: dict, referral: dict, steps, events, notes):
        self.case, self.youth, self.referral = case, youth, referral
        self.steps, self.events, self.notes = steps, events, notes
        moments = [referral["received_at"], case["opened_at"]]
        moments += [case[f] for f in ("screened_at", "accepted_at", "closed_at") if case[f]]
        moments += [e["at"] for e in events] + [n["created_at"] for n in notes]
        moments += [s["completed_at"] for s in steps if s["completed_at"]]
        self.earliest, self.latest = min(moments), max(moments)


class Command(BaseCommand):
    help = (
        "Add N synthetic cases copied from the cases already present (run seed_demo first), "
        "with bulk inserts: for benchmarks at scale. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, required=True, help="How many cases to add.")
        parser.add_argument("--seed", type=int, default=2017, help="Random seed.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a server holding real records.",
        )

    def handle(self, *args, cases: int, seed: int = 2017, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_bulk writes synthetic cases and refuses to run with DEBUG off. Use "
                "--force only on a throw-away database."
            )
        if cases < 1:
            raise CommandError("--cases must be at least 1.")
        templates = self._templates()
        if not templates:
            raise CommandError("No cases to copy: run seed_demo first.")
        rng = random.Random(seed)  # noqa: S311 - synthetic data
        counters = {(c.region_id, c.year): c.last for c in CaseNumberCounter.objects.all()}
        now = timezone.now()
        started = time.perf_counter()
        written = defaultdict(int)
        for first in range(0, cases, BATCH):
            size = min(BATCH, cases - first)
            with transaction.atomic():
                for model, count in self._batch(templates, size, rng, counters, now).items():
                    written[model] += count
            if (first + size) % 10_000 == 0 or first + size == cases:
                self.stdout.write(f"  {first + size:,} cases added")
        with transaction.atomic():
            for (region_id, year), last in counters.items():
                CaseNumberCounter.objects.update_or_create(
                    region_id=region_id, year=year, defaults={"last": last}
                )
        seconds = time.perf_counter() - started
        summary = ", ".join(f"{count:,} {name}" for name, count in written.items())
        self.stdout.write(
            self.style.SUCCESS(f"Added {cases:,} synthetic cases in {seconds:.1f} s ({summary}).")
        )

    def _templates(self) -> list[Template]:
        youth = {row["id"]: row for row in Youth.objects.values(*_columns(Youth, keep_pk=True))}
        referrals = {
            row["id"]: row for row in Referral.objects.values(*_columns(Referral, keep_pk=True))
        }
        steps, events, notes = defaultdict(list), defaultdict(list), defaultdict(list)
        for row in CaseStep.objects.order_by().values(*_columns(CaseStep)):
            steps[row["case_id"]].append(row)
        for row in CaseEvent.objects.order_by().values(*_columns(CaseEvent)):
            events[row["case_id"]].append(row)
        for row in CaseNote.objects.order_by().values(*_columns(CaseNote)):
            notes[row["case_id"]].append(row)
        return [
            Template(
                case,
                youth[case["youth_id"]],
                referrals[case["referral_id"]],
                steps[case["id"]],
                events[case["id"]],
                notes[case["id"]],
            )
            for case in Case.objects.order_by("number").values(*_columns(Case, keep_pk=True))
        ]

    def _batch(self, templates, size, rng, counters, now) -> dict[str, int]:
        youth, referrals, cases, steps, events, notes = [], [], [], [], [], []
        for _ in range(size):
            template = rng.choice(templates)
            low = (now - WINDOW) - template.earliest
            high = now - template.latest
            days = rng.randint(low.days, high.days) if low < high else 0
            shift = datetime.timedelta(days=days)

            def moved(value, shift=shift):
                return value + shift if value is not None else None

            youth_id, referral_id, case_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            born = template.youth["date_of_birth"]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            youth.append(
                Youth(
                    **{
                        **template.youth,
                        "id": youth_id,
                        "legal_first_name": first,
                        "legal_last_name": last,
                        "name_folded": fold(f"{first} {last} {template.youth['preferred_name']}"),
                        "date_of_birth": born + shift if born else None,
                    }
                )
            )
            referrals.append(
                Referral(
                    **{
                        **template.referral,
                        "id": referral_id,
                        "youth_id": youth_id,
                        "received_at": moved(template.referral["received_at"]),
                    }
                )
            )
            opened = moved(template.case["opened_at"])
            year = timezone.localtime(opened).year
            region_id = template.case["region_id"]
            counters[(region_id, year)] = counters.get((region_id, year), 0) + 1
            cases.append(
                Case(
                    **{
                        **template.case,
                        "id": case_id,
                        "number": f"R{region_id}-{year}-{counters[(region_id, year)]:04d}",
                        "youth_id": youth_id,
                        "referral_id": referral_id,
                        "opened_at": opened,
                        "status_since": moved(template.case["status_since"]),
                        "screened_at": moved(template.case["screened_at"]),
                        "accepted_at": moved(template.case["accepted_at"]),
                        "closed_at": moved(template.case["closed_at"]),
                    }
                )
            )
            steps += [
                CaseStep(
                    **{
                        **step,
                        "case_id": case_id,
                        "applies_since": moved(step["applies_since"]),
                        "due_at": moved(step["due_at"]),
                        "completed_at": moved(step["completed_at"]),
                    }
                )
                for step in template.steps
            ]
            events += [
                CaseEvent(**{**event, "case_id": case_id, "at": moved(event["at"])})
                for event in template.events
            ]
            notes += [
                CaseNote(**{**note, "case_id": case_id, "created_at": moved(note["created_at"])})
                for note in template.notes
            ]
        for objects in (youth, referrals, cases, steps, events, notes):
            if objects:
                type(objects[0]).objects.bulk_create(objects, batch_size=BATCH)
        return {
            "youth": len(youth),
            "steps": len(steps),
            "timeline events": len(events),
            "notes": len(notes),
        }
