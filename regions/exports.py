"""CSV and XLSX of published figures, suppressed exactly as on screen: a suppressed cell
has an empty value and `suppressed` true. One row per figure, long format, with labels
so a spreadsheet reads without a code book."""

import csv
import io

from hubnet.spreadsheets import xlsx
from regions.figures import Published
from regions.metrics import metric
from regions.models import County, Region, Tribe

COLUMNS = [
    "quarter",
    "scope",
    "region",
    "county_fips",
    "county",
    "tribe",
    "metric",
    "metric_label",
    "unit",
    "dimension",
    "category",
    "category_label",
    "value",
    "suppressed",
    "computed_at",
]


def _labels() -> tuple[dict, dict, dict]:
    regions = dict(Region.objects.values_list("pk", "number"))
    counties = {
        pk: (fips, name) for pk, fips, name in County.objects.values_list("pk", "fips", "name")
    }
    tribes = dict(Tribe.objects.values_list("pk", "name"))
    return regions, counties, tribes


def figure_records(rows: list[Published]) -> list[list]:
    regions, counties, tribes = _labels()
    category_labels: dict[tuple[str, str], dict[str, str]] = {}
    records, seen = [], set()
    for row in rows:
        if row in seen:
            continue
        seen.add(row)
        definition = metric(row.metric)
        category_label = ""
        if definition and row.dimension and (dimension := definition.dimension(row.dimension)):
            labels = category_labels.get((row.metric, row.dimension))
            if labels is None:
                labels = category_labels[(row.metric, row.dimension)] = dict(
                    dimension.category_choices()
                )
            category_label = labels.get(row.category, row.category)
        fips, county = counties.get(row.county_id, ("", ""))
        records.append(
            [
                row.quarter,
                row.scope,
                regions.get(row.region_id, ""),
                fips,
                county,
                tribes.get(row.tribe_id, ""),
                row.metric,
                definition.label if definition else row.metric,
                definition.unit if definition else "",
                row.dimension,
                row.category,
                category_label,
                None if row.suppressed else row.value,
                row.suppressed,
                row.computed_at.isoformat() if row.computed_at else "",
            ]
        )
    return records


def as_csv(rows: list[Published]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for record in figure_records(rows):
        writer.writerow(
            [
                ""
                if value is None
                else ("true" if value is True else "false" if value is False else value)
                for value in record
            ]
        )
    return buffer.getvalue()


def as_xlsx(rows: list[Published], *, title: str, notes: list[str]) -> bytes:
    return xlsx(
        sheet="Figures", columns=COLUMNS, records=figure_records(rows), about=[title, *notes]
    )
