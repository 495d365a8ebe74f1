"""The resource directory as spreadsheets: a batch of providers read from a CSV file (each
row into a `ProviderInput`, checked with the form's rules, `provider_check`), the import
template, and the directory exported as CSV or XLSX.

The import's columns, in the template's order (`COLUMNS` is the one definition; the
upload page lists them from here):

=======================  ========  ===================================================
column                   required  what to write
=======================  ========  ===================================================
name                     yes       the provider's name (once per region)
kind                     yes       a kind's key or label (shelter, "Legal services")
service_types            yes       service type keys or labels, separated by ";"
counties                 yes       county names or FIPS codes, ";"-separated
                                   ("Outagamie", "Outagamie County", "55087")
tribes                   no        tribe names, ";"-separated
min_age, max_age         no        whole years, 0 to 30; empty = no limit
languages                no        "English; Spanish; Hmong"
trafficking_specialised  no        yes or no (empty = no); likewise trauma_informed,
                                   culturally_specific
capacity_notes           no        waiting lists, beds; never a youth's details
phone, email, address,   no        how to reach it and refer
hours, how_to_refer
agency                   no        the name of one of the region's HubNet agencies
active                   no        yes or no (empty = yes)
=======================  ========  ===================================================

Header names are read case-insensitively, trimmed, spaces taken as "_". A file may be
comma-, semicolon- or tab-separated, with or without Excel's byte-order mark. Rows are
numbered as a spreadsheet shows them: the header is row 1. The template's example rows
(named "EXAMPLE (delete this row): ...") are refused, so a forgotten one is never listed.
"""

import csv
import dataclasses
import io
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils import timezone

from hubnet.csv_import import (
    MAX_ROWS,
    Column,
    RowError,
    delimiter,
    header_read,
    normal,
    unknown,
)
from hubnet.spreadsheets import spreadsheet_cell, xlsx
from regions.models import Agency, County, ProviderKind, Region, ServiceType, Tribe
from regions.services import ProviderInput, provider_check

T = TypeVar("T")
EXAMPLE = "EXAMPLE (delete this row): "  # how the template's example rows' names begin
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")


FLAGS = ["trafficking_specialised", "trauma_informed", "culturally_specific"]
COLUMNS: list[Column] = [
    Column("name", True, "The provider's name, as workers know it (once per region)."),
    Column(
        "kind",
        True,
        "One of: " + "; ".join(f"{k.value} ({k.label})" for k in ProviderKind) + ".",
    ),
    Column(
        "service_types",
        True,
        "The services it offers, separated by ';': keys (mental_health) or labels "
        "(Mental-health counselling). The list is on the directory's search page.",
    ),
    Column(
        "counties",
        True,
        "The counties it serves, separated by ';': names ('Outagamie' or 'Outagamie "
        "County') or FIPS codes (55087).",
    ),
    Column("tribes", False, "The tribes it serves, by name, separated by ';'."),
    Column("min_age", False, "The youngest age it serves, 0 to 30 (empty: no lower limit)."),
    Column("max_age", False, "The oldest age it serves, 0 to 30 (empty: no upper limit)."),
    Column("languages", False, "The languages it serves in, separated by ';': English; Hmong."),
    Column("trafficking_specialised", False, "yes or no (empty = no)."),
    Column("trauma_informed", False, "yes or no (empty = no)."),
    Column("culturally_specific", False, "yes or no (empty = no): tribal, Hmong, Latino..."),
    Column(
        "capacity_notes",
        False,
        "Waiting lists, beds, what it cannot take. Never a youth's name or details.",
    ),
    Column("phone", False, "The number to call for a referral."),
    Column("email", False, "The address to write to for a referral."),
    Column("address", False, "Where it is."),
    Column("hours", False, "Hours or how to reach it (Mon-Fri 8-4:30; crisis line 24/7)."),
    Column("how_to_refer", False, "What a worker does to refer a youth."),
    Column(
        "agency",
        False,
        "When it is one of the region's HubNet agencies: the agency's name as HubNet lists it.",
    ),
    Column("active", False, "yes or no (empty = yes): listed in searches."),
]
COLUMN_NAMES = [column.name for column in COLUMNS]
REQUIRED = [column.name for column in COLUMNS if column.required]
COLUMN_ORDER = {name: i for i, name in enumerate(["", *COLUMN_NAMES])}  # "": the whole row


@dataclasses.dataclass
class ParsedImport:
    """A file read: its providers as numbered rows, and every error found (none means
    every row passed `provider_check`)."""

    rows: list[tuple[int, ProviderInput]] = dataclasses.field(default_factory=list)
    errors: list[RowError] = dataclasses.field(default_factory=list)
    rows_read: int = 0

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors if e.row is not None and e.row > 1})


def import_rows(text: str, *, region: Region) -> ParsedImport:
    """Every row of `text` as a `ProviderInput` for `region`'s directory, checked; with
    every error of every row (example rows, unreadable cells, unknown names with the
    closest known one, another region's agency, a name given twice, and what
    `provider_check` refuses)."""
    result = ParsedImport()
    if not text.strip():
        result.errors.append(RowError(None, "", "The file is empty."))
        return result
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter(text)))
    except csv.Error as unreadable:
        result.errors.append(RowError(None, "", f"The file cannot be read as CSV: {unreadable}."))
        return result
    header, *data = records
    names, header_errors = header_read(header, COLUMN_NAMES, REQUIRED)
    if header_errors:
        result.errors = header_errors
        return result
    numbered = [
        (number, cells)
        for number, cells in enumerate(data, start=2)
        if any(cell.strip() for cell in cells)
    ]
    result.rows_read = len(numbered)
    if not numbered:
        result.errors.append(RowError(None, "", "The file has a header but no providers."))
        return result
    if len(numbered) > MAX_ROWS:
        result.errors.append(
            RowError(
                None,
                "",
                f"The file has {len(numbered)} providers; import at most {MAX_ROWS} at a "
                "time (split the file).",
            )
        )
        return result
    references = _References()
    first_row_of: dict[str, int] = {}
    for number, cells in numbered:
        data_in, errors = _row(number, names, cells, references, region)
        key = data_in.name.casefold()
        if key and key in first_row_of and not any(e.column == "name" for e in errors):
            errors.append(RowError(number, "name", f"The same name as row {first_row_of[key]}."))
            errors.sort(key=lambda error: COLUMN_ORDER.get(error.column, len(COLUMN_ORDER)))
        if key:
            first_row_of.setdefault(key, number)
        result.errors.extend(errors)
        if not errors:
            result.rows.append((number, data_in))
    return result


def _split(cell: str, separators: str = ";,") -> list[str]:
    return [part.strip() for part in re.split(f"[{separators}]", cell) if part.strip()]


def _found(
    parts: Iterable[str],
    known: Mapping[str, T],
    *,
    what: str,
    names: Mapping[str, str],
    column: str,
    errors: dict,
) -> list[T]:
    """What each of `parts` names in `known` (by its normalised name), once each; an
    unknown one is an error of `column`, with the closest of `names` as a hint."""
    found, missing = [], []
    for part in parts:
        if (item := known.get(normal(part))) is not None:
            found.append(item)
        else:
            missing.append(unknown(what, part, names))
    if missing:
        errors[column] = " ".join(missing)
    return list(dict.fromkeys(found))


class _References:
    """Counties, tribes, agencies and service types by every name a row may use (4
    queries), and the names to suggest for an unknown one."""

    def __init__(self):
        self.counties: dict[str, County] = {}
        self.county_names: dict[str, str] = {}
        for county in County.objects.all():
            for name in (county.name, f"{county.name} County"):
                self.counties[normal(name)] = county
                self.county_names[normal(name)] = county.name
            self.counties[county.fips] = county
        self.tribes = {normal(tribe.name): tribe for tribe in Tribe.objects.all()}
        self.tribe_names = {key: tribe.name for key, tribe in self.tribes.items()}
        self.agencies = {
            normal(agency.name): agency for agency in Agency.objects.select_related("region")
        }
        self.agency_names = {key: agency.name for key, agency in self.agencies.items()}
        self.service_types: dict[str, ServiceType] = {}
        self.service_type_names: dict[str, str] = {}
        for service in ServiceType.objects.all():
            for name in (service.key, service.label):
                self.service_types[normal(name)] = service
                self.service_type_names[normal(name)] = name
        self.kinds: dict[str, str] = {}
        self.kind_names: dict[str, str] = {}
        for kind in ProviderKind:
            for name in (kind.value, kind.label):
                self.kinds[normal(name)] = kind.value
                self.kind_names[normal(name)] = name


def _row(
    number: int,
    names: list[str],
    cells: list[str],
    references: _References,
    region: Region,
) -> tuple[ProviderInput, list[RowError]]:
    """One row as input, and its errors: what could not be read, then what
    `provider_check` refuses of the rest. A template's example row is refused whole."""
    errors: dict[str, str] = {}
    value: dict[str, str] = {}
    for index, cell in enumerate(cells):
        name = names[index] if index < len(names) else ""
        if name:
            value[name] = cell.strip()
        elif cell.strip():
            errors[""] = (
                f"There is a value in column {index + 1}, which has no name in the header."
            )

    def cell(name: str) -> str:
        return value.get(name, "")

    if normal(cell("name")).startswith(normal(EXAMPLE)):
        message = (
            "This is one of the template's example rows (its name begins "
            f'"{EXAMPLE.strip()}"). Delete the example rows from the spreadsheet and '
            "upload it again."
        )
        return ProviderInput(), [RowError(number, "", message)]

    data = ProviderInput(
        name=cell("name"),
        languages=cell("languages"),
        capacity_notes=cell("capacity_notes"),
        phone=cell("phone"),
        email=cell("email"),
        address=cell("address"),
        hours=cell("hours"),
        how_to_refer=cell("how_to_refer"),
    )
    written = cell("kind")
    data.kind = references.kinds.get(normal(written), "")
    if written and not data.kind:
        errors["kind"] = unknown("kind", written, references.kind_names)
    # A service type's label may hold a comma ("Basic needs (food, clothing, phone)").
    data.service_types = _found(
        _split(cell("service_types"), ";"),
        references.service_types,
        what="service type",
        names=references.service_type_names,
        column="service_types",
        errors=errors,
    )
    data.counties = _found(
        _split(cell("counties")),
        references.counties,
        what="county",
        names=references.county_names,
        column="counties",
        errors=errors,
    )
    data.tribes = _found(
        _split(cell("tribes")),
        references.tribes,
        what="tribe",
        names=references.tribe_names,
        column="tribes",
        errors=errors,
    )
    data.min_age = _age(cell("min_age"), "min_age", errors)
    data.max_age = _age(cell("max_age"), "max_age", errors)
    for flag in FLAGS:
        setattr(data, flag, _yes_no(cell(flag), flag, errors, empty=False))
    data.active = _yes_no(cell("active"), "active", errors, empty=True)

    written = cell("agency")
    if written:
        agency = references.agencies.get(normal(written))
        if agency is None:
            errors["agency"] = unknown("agency", written, references.agency_names)
        elif agency.region_id != region.pk:
            errors["agency"] = (
                f"{agency.name} is an agency of Region {agency.region.number}; this file "
                f"adds to {region}'s directory. Leave it out, or import it there."
            )
        else:
            data.agency = agency

    try:
        provider_check(data, region=region)
    except ValidationError as refused:
        for field, messages in refused.message_dict.items():
            column = "" if field == "__all__" else field
            if column not in errors:
                errors[column] = " ".join(messages)
    return data, [
        RowError(number, column, message)
        for column, message in sorted(
            errors.items(), key=lambda item: COLUMN_ORDER.get(item[0], len(COLUMN_ORDER))
        )
    ]


def _age(text: str, column: str, errors: dict) -> int | None:
    """Whole years (a spreadsheet may write 12 as 12.0); the range is the service's."""
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    # Out of range before int(): int() of 1e1000000 would run for minutes.
    if number is not None and number.is_finite() and not 0 <= number <= 150:
        errors[column] = f'"{text}" is not an age from 0 to 30.'
        return None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        errors[column] = f'"{text}" is not an age. Write whole years, like 12, or leave it empty.'
        return None
    return int(number)


def _yes_no(text: str, column: str, errors: dict, *, empty: bool) -> bool:
    written = normal(text)
    if not written:
        return empty
    if written in YES:
        return True
    if written in NO:
        return False
    errors[column] = f"Write yes or no (or leave it empty for {'yes' if empty else 'no'})."
    return empty


# ------------------------------------------------------------------------------ template


def template_rows(region: Region) -> list[list[str]]:
    """The template: the header, and two example rows for `region`, refused while their
    names begin with `EXAMPLE`."""
    counties = list(region.counties.order_by("name")[:2])
    tribe = region.tribes.order_by("name").first()
    shelter = {
        "name": f"{EXAMPLE}Riverside Youth Shelter",
        "kind": ProviderKind.SHELTER.value,
        "service_types": "shelter; basic_needs; Transportation",
        "counties": "; ".join(c.name for c in counties),
        "min_age": "12",
        "max_age": "17",
        "languages": "English; Spanish",
        "trafficking_specialised": "yes",
        "trauma_informed": "yes",
        "culturally_specific": "no",
        "capacity_notes": "8 beds; call first for availability",
        "phone": "(920) 555-0142",
        "email": "intake@example.org",
        "address": "100 Main Street",
        "hours": "24/7 intake line",
        "how_to_refer": "Call the intake line; a worker completes the intake form by phone.",
        "agency": "",
        "active": "yes",
    }
    counselling = {
        "name": f"{EXAMPLE}Family Counselling Collective",
        "kind": ProviderKind.BEHAVIORAL_HEALTH.label,
        "service_types": "Mental-health counselling; family_support",
        "counties": f"{counties[0].name} County" if counties else "",
        "tribes": tribe.name if tribe else "",
        "min_age": "",
        "max_age": "21",
        "languages": "English; Hmong",
        "trauma_informed": "yes",
        "culturally_specific": "yes",
        "phone": "(920) 555-0199",
        "hours": "Mon-Fri 8-4:30",
        "how_to_refer": "Send the referral form by email; they call the family within 2 days.",
    }
    return [COLUMN_NAMES] + [
        [str(example.get(name, "")) for name in COLUMN_NAMES] for example in (shelter, counselling)
    ]


def template_csv(region: Region) -> bytes:
    """The template as a file Excel opens as UTF-8 (byte-order mark, CRLF)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(template_rows(region))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# -------------------------------------------------------------------------------- export

EXPORT_COLUMNS = [
    "ID",
    "Name",
    "Kind",
    "Region",
    "HubNet agency",
    "Services",
    "Service keys",
    "Counties served",
    "County FIPS",
    "Tribes served",
    "Youngest age",
    "Oldest age",
    "Languages",
    "Trafficking-specialised",
    "Trauma-informed",
    "Culturally specific",
    "Capacity notes",
    "Phone",
    "Email",
    "Address",
    "Hours",
    "How to refer",
    "Active",
    "Last updated",
]


def provider_records(providers) -> list[list]:
    """`providers` (from `providers_visible_to`, related rows prefetched) as rows under
    EXPORT_COLUMNS. The directory holds no youth data."""
    records = []
    for provider in providers:
        services = list(provider.service_types.all())
        counties = list(provider.counties.all())
        records.append(
            [
                provider.pk,
                provider.name,
                provider.get_kind_display(),
                provider.region.number,
                provider.agency.name if provider.agency else "",
                "; ".join(s.label for s in services),
                "; ".join(s.key for s in services),
                "; ".join(c.name for c in counties),
                "; ".join(c.fips for c in counties),
                "; ".join(t.name for t in provider.tribes.all()),
                "" if provider.min_age is None else provider.min_age,
                "" if provider.max_age is None else provider.max_age,
                provider.languages,
                "yes" if provider.trafficking_specialised else "no",
                "yes" if provider.trauma_informed else "no",
                "yes" if provider.culturally_specific else "no",
                provider.capacity_notes,
                provider.phone,
                provider.email,
                provider.address,
                provider.hours,
                provider.how_to_refer,
                "yes" if provider.active else "no",
                timezone.localtime(provider.updated_at).date().isoformat(),
            ]
        )
    return records


def providers_csv(providers) -> str:
    """UTF-8 with a byte-order mark, so Excel shows "Ho-Chunk" and "Español" as typed;
    typed text that would start a formula is written as text."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for record in provider_records(providers):
        writer.writerow([spreadsheet_cell(value) for value in record])
    return buffer.getvalue()


def providers_xlsx(providers, *, title: str, filters: str) -> bytes:
    return xlsx(
        sheet="Providers",
        columns=EXPORT_COLUMNS,
        records=provider_records(providers),
        about=[
            title,
            f"Filters: {filters or 'none'}.",
            "The regional resource directory: service providers, no youth data.",
            "Inactive providers are listed only when the filters include them.",
        ],
    )
