"""What the load generator sends (imported by the locustfile and by bench_pg alike)."""

import random
import uuid
from datetime import UTC, datetime, timedelta


def referral_body(county: str) -> dict:
    """A new referral with a name no one has (so no possible match holds it up)."""
    return {
        "received_at": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
        "source": "hotline",
        "narrative": "Benchmark referral: a youth seen at a truck stop late at night.",
        "suspected_exploitation": "sex",
        "youth": {
            "legal_first_name": "Bench",
            "legal_last_name": f"Load {uuid.uuid4().hex[:12]}",
            "estimated_age": random.randint(12, 17),  # noqa: S311 - synthetic data
            "county": county,
        },
    }
