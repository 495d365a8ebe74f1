"""Text as people search it: without case or accents ("Díaz" finds "Diaz")."""

import unicodedata


def fold(text: str) -> str:
    """`text` without accents, in caseless form, spaces collapsed: what searches compare
    (stored beside the original, so SQLite and PostgreSQL compare it alike)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def spreadsheet_cell(value):
    """`value` as a spreadsheet should show it: text that would start a formula (=, +, -,
    @, tab, return) gets a leading quote, so an export never runs what someone typed."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
