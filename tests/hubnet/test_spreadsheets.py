"""Workbooks people download: what someone typed never breaks the file or runs."""

import io

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
