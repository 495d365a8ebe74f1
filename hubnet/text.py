"""Text as people search it: without case or accents ("Díaz" finds "Diaz")."""

import unicodedata


def fold(text: str) -> str:
    """`text` without accents, in caseless form, spaces collapsed: what searches compare
    (stored beside the original, so SQLite and PostgreSQL compare it alike)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())
