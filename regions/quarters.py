"""Calendar quarters in Wisconsin time, the unit every rollup and dashboard counts in.

A referral received at 23:30 on 31 March (Central time) counts in Q1, whatever UTC says.
Quarters start at local midnight on 1 January, April, July and October, hours the
daylight-saving changes never touch, so a quarter's bounds are never ambiguous.
"""

import dataclasses
import datetime
import re
import zoneinfo

from django.conf import settings
from django.utils import timezone

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[qQ]\s*([1-4])\s*$")


def local_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@dataclasses.dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError("A quarter is numbered 1 to 4.")
        if not 2000 <= self.year <= 2100:
            raise ValueError("The quarter's year is out of range.")

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """'2026Q3' (also '2026-q3'); ValueError with a message a person can act on."""
        match = _QUARTER.match(text or "")
        if not match:
            raise ValueError(f"'{text}' is not a quarter: write it like 2026Q3.")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, moment: datetime.datetime) -> "Quarter":
        local = timezone.localtime(moment, local_zone())
        return cls(local.year, (local.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> "Quarter":
        return cls.containing(timezone.now())

    @property
    def start(self) -> datetime.datetime:
        """Local midnight on the quarter's first day (an aware datetime)."""
        return datetime.datetime(self.year, 3 * self.number - 2, 1, tzinfo=local_zone())

    @property
    def end(self) -> datetime.datetime:
        """The next quarter's start: figures count moments with start <= t < end."""
        return self.next().start

    def next(self) -> "Quarter":
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def back(self, count: int) -> list["Quarter"]:
        """The `count` quarters ending with this one, oldest first."""
        quarters = [self]
        while len(quarters) < count:
            quarters.insert(0, quarters[0].previous())
        return quarters

    def is_complete(self, now: datetime.datetime | None = None) -> bool:
        return self.end <= (now or timezone.now())

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.year}"

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"
