import re

import pytest
from django.core.management import CommandError, call_command

from regions.models import (
    AccessChange,
    Agency,
    AgencyKind,
    County,
    Hub,
    Membership,
    Provenance,
    Region,
    Tribe,
)
from regions.reference_data import wisconsin_load

pytestmark = pytest.mark.django_db


def reference_data_clear():
    AccessChange.objects.all().delete()
    Membership.objects.all().delete()
    Hub.objects.all().delete()
    Agency.objects.all().delete()
    Tribe.objects.all().delete()
    County.objects.all().delete()
    Region.objects.all().delete()


def region_map_snapshot():
    return {
        "counties": sorted(
            County.objects.values_list("fips", "region__number", "region_assignment")
        ),
        "agencies": sorted(Agency.objects.values_list("name", "region__number")),
        "regions": Region.objects.count(),
    }


def run_load(*args):
    from io import StringIO

    out = StringIO()
    call_command("load_wisconsin", *args, stdout=out)
    return out.getvalue()


class TestLoadWisconsin:
    def test_loads_the_state_from_an_empty_database(self):
        reference_data_clear()

        output = run_load()

        assert Region.objects.count() == 7
        assert County.objects.count() == 72
        assert Tribe.objects.count() == 11
        assert Hub.objects.count() == 7
        assert Agency.objects.filter(kind=AgencyKind.COUNTY_HUMAN_SERVICES).count() == 72
        assert Agency.objects.filter(kind=AgencyKind.TRIBAL_SOCIAL_SERVICES).count() == 11
        assert "Created 7 regions, 72 counties, 11 tribes, 83 agencies, 7 hubs" in output

    def test_fips_codes(self):
        fips = dict(County.objects.values_list("name", "fips"))
        assert fips["Adams"] == "55001"
        assert fips["Menominee"] == "55078"
        assert fips["Milwaukee"] == "55079"
        assert fips["Outagamie"] == "55087"
        assert fips["Wood"] == "55141"
        assert len(set(fips.values())) == 72
        assert all(re.fullmatch(r"55\d{3}", code) for code in fips.values())
        # 55001-55141 odd numbers, plus Menominee's 55078
        assert {int(code) for code in fips.values()} == set(range(55001, 55142, 2)) | {55078}

    def test_hub_two_is_hosted_by_outagamie_and_serves_17_counties_and_3_tribes(self):
        hub = Hub.objects.select_related("host_agency__county").get(region__number=2)
        assert hub.host_agency.county.name == "Outagamie"
        assert hub.provisional is False
        assert County.objects.filter(region__number=2).count() == 17
        assert set(
            Tribe.objects.filter(primary_region__number=2).values_list("name", flat=True)
        ) == {
            "Menominee Indian Tribe of Wisconsin",
            "Oneida Nation",
            "Stockbridge-Munsee Community",
        }
        other_hubs = Hub.objects.exclude(region__number=2)
        assert all(h.provisional and h.host_agency is None for h in other_hubs)

    def test_rows_keep_their_provenance(self):
        assert County.objects.get(name="Outagamie").region_assignment == Provenance.INFERRED
        assert County.objects.get(name="Dane").region_assignment == Provenance.PROVISIONAL
        assert Tribe.objects.get(name="Ho-Chunk Nation").counties.count() == 10

    def test_agencies_sit_in_the_region_of_what_they_serve(self):
        reference_data_clear()
        wisconsin_load()
        outagamie = Agency.objects.get(county__name="Outagamie")
        assert outagamie.region.number == 2
        menominee = Agency.objects.get(tribe__name="Menominee Indian Tribe of Wisconsin")
        assert menominee.region.number == 2
        assert not Agency.objects.filter(is_resource_agency=True).exists()

    def test_second_run_changes_nothing_and_says_so(self):
        before = region_map_snapshot()

        output = run_load()

        assert "nothing changed" in output
        assert region_map_snapshot() == before

    def test_rerun_keeps_what_an_administrator_changed(self):
        agency = Agency.objects.get(county__name="Brown")
        agency.is_resource_agency = True
        agency.save(update_fields=["is_resource_agency"])
        hub = Hub.objects.get(region__number=3)
        hub.provisional = False
        hub.save(update_fields=["provisional"])

        wisconsin_load()

        assert Agency.objects.get(county__name="Brown").is_resource_agency is True
        assert Hub.objects.get(region__number=3).provisional is False


def county_map(overrides=None, *, by="name", drop=(), extra_lines=()):
    """A full, valid region-map CSV (current regions), with changes."""
    overrides = overrides or {}
    lines = ["county,region"]
    for name, fips, region in County.objects.values_list("name", "fips", "region__number"):
        if name in drop:
            continue
        key = fips if by == "fips" else name
        lines.append(f"{key},{overrides.get(name, region)}")
    lines.extend(extra_lines)
    return "\n".join(lines) + "\n"


@pytest.fixture
def map_file(tmp_path):
    def write(text, *, encoding="utf-8"):
        path = tmp_path / "regions.csv"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding=encoding)
        return str(path)

    return write


class TestRegionMap:
    def test_good_map_moves_counties_and_their_agencies(self, map_file):
        path = map_file(county_map({"Adams": 4, "Door": 3}))

        output = run_load("--regions-csv", path)

        assert "Moved Adams (55001) from region 3 to region 4" in output
        assert "Moved Door (55029) from region 2 to region 3" in output
        assert "2 counties moved" in output
        adams = County.objects.get(name="Adams")
        assert adams.region.number == 4
        assert adams.region_assignment == Provenance.TASK_FORCE
        assert Agency.objects.get(county=adams).region.number == 4
        assert County.objects.filter(region_assignment=Provenance.TASK_FORCE).count() == 72

    def test_counties_can_be_named_by_fips_code(self, map_file):
        path = map_file(county_map({"Wood": 5}, by="fips"))

        output = run_load("--regions-csv", path)

        assert "Moved Wood (55141) from region 3 to region 5" in output
        assert County.objects.get(name="Wood").region.number == 5

    def test_applying_the_same_map_twice_moves_nothing_the_second_time(self, map_file):
        path = map_file(county_map({"Adams": 4}))
        run_load("--regions-csv", path)
        before = region_map_snapshot()

        output = run_load("--regions-csv", path)

        assert "no county changed region" in output
        assert region_map_snapshot() == before

    @pytest.mark.parametrize(
        ("make_text", "expected"),
        [
            (
                lambda: county_map(extra_lines=["Atlantis,2"]),
                r"line 74: unknown county 'Atlantis'",
            ),
            (lambda: county_map({"Dane": 8}), r"line \d+: region '8' for Dane is not 1 to 7"),
            (lambda: county_map({"Dane": 0}), r"line \d+: region '0' for Dane is not 1 to 7"),
            (lambda: county_map({"Dane": "two"}), r"region 'two' for Dane is not 1 to 7"),
            (
                lambda: county_map(extra_lines=["Brown,3"]),
                r"line 74: Brown is listed twice \(first on line \d+\)",
            ),
            (
                lambda: county_map(drop=["Vilas", "Iron"]),
                r"counties missing from the file \(2\): Iron, Vilas",
            ),
            (
                lambda: "name,hub\nDane,5\n",
                r"line 1: expected a header with columns 'county,region'",
            ),
            (lambda: "", r"line 1: the file is empty"),
            (
                lambda: county_map(extra_lines=["Dane,5,extra"]),
                r"line 74: expected 2 columns, found 3",
            ),
            (lambda: b"\xff\xfe\x00garbage\x81", r"cannot read the file"),
        ],
        ids=[
            "unknown-county",
            "region-too-high",
            "region-zero",
            "region-not-a-number",
            "county-twice",
            "county-missing",
            "wrong-header",
            "empty-file",
            "wrong-column-count",
            "not-text",
        ],
    )
    def test_bad_map_names_the_line_and_changes_nothing(self, map_file, make_text, expected):
        path = map_file(make_text())
        before = region_map_snapshot()

        with pytest.raises(CommandError) as excinfo:
            run_load("--regions-csv", path)

        assert re.search(expected, str(excinfo.value)), str(excinfo.value)
        assert "nothing was changed" in str(excinfo.value) or "cannot read" in str(excinfo.value)
        assert region_map_snapshot() == before

    def test_bad_map_on_an_empty_database_loads_nothing_at_all(self, map_file):
        reference_data_clear()
        path = map_file("county,region\nAtlantis,2\n")

        with pytest.raises(CommandError):
            run_load("--regions-csv", path)

        assert Region.objects.count() == 0
        assert County.objects.count() == 0

    def test_a_missing_file_is_a_clear_error(self):
        with pytest.raises(CommandError, match="cannot read the file"):
            run_load("--regions-csv", "/nonexistent/regions.csv")

    def test_reports_every_problem_not_just_the_first(self, map_file):
        path = map_file(county_map({"Dane": 9}, extra_lines=["Atlantis,1"]))

        with pytest.raises(CommandError) as excinfo:
            run_load("--regions-csv", path)

        assert "unknown county 'Atlantis'" in str(excinfo.value)
        assert "region '9' for Dane" in str(excinfo.value)
