"""Workbooks people download: what someone typed never breaks the file or runs."""

import io
import time

from openpyxl import load_workbook

from hubnet.spreadsheets import spreadsheet_cell, xlsx


def test_control_characters_typed_into_a_record_do_not_break_the_workbook():
    body = xlsx(
        sheet="Trainings",
        columns=["Title", "Hours"],
        records=[["Hotel\x0b staff\x01 briefing", 2], ["=HYPERLINK(1)", 1.5]],
        about=["Filters: q=\x01"],
    )

    book = load_workbook(io.BytesIO(body))
    rows = list(book["Trainings"].values)
    assert rows == [("Title", "Hours"), ("Hotel staff briefing", 2), ("=HYPERLINK(1)", 1.5)]
    assert book["Trainings"]["A3"].data_type == "s"  # text, not a formula
    assert book["About"]["A1"].value == "Filters: q="


def test_a_csv_cell_that_would_be_a_formula_is_text():
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell("-5 people") == "'-5 people"
    assert spreadsheet_cell("Brown") == "Brown"
    assert spreadsheet_cell(12) == 12


def test_writing_a_workbook_grows_with_its_rows_not_their_square():
    # A quarter's figures are thousands of rows: eight times the rows must cost about
    # eight times the time (it once cost sixty-four: each row re-read the whole sheet).
    def seconds(rows: int) -> float:
        records = [[f"metric {n}", "county", n, n * 2, "=formula"] for n in range(rows)]
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            xlsx(sheet="Figures", columns=["a", "b", "c", "d", "e"], records=records, about=[])
            best = min(best, time.perf_counter() - start)
        return best

    small, large = seconds(500), seconds(4000)

    assert large / small < 24, f"500 rows: {small:.3f} s, 4,000 rows: {large:.3f} s"
