"""Names of goods as the fiscal printer prints them.

The law wants a name that identifies the goods ("Sukienka damska używana", never "Towar"), and the
device binds each name to the VAT rate it was first sold at (a name sold at one rate is refused at a
higher one). So the name is the category's fiscal name — stable per category and rate — and the
item's own short description goes beside it as the line's description, which the device does not bind.
Both are cleaned to what the device prints: printable characters of its code page (Windows-1250, with
the Polish letters), no control characters, no frame characters, cut to the device's length.
"""
from __future__ import annotations

import re
import unicodedata

#: Posnet: name up to 80, description up to 50; kept shorter so a line fits 40 columns of paper.
NAME_MAX = 40
DESCRIPTION_MAX = 40
_ALLOWED = re.compile(r"[^0-9A-Za-zĄĆĘŁŃÓŚŹŻąćęłńóśźż .,%/\-+()&'\":;!?*]")


def clean(text: str, max_len: int) -> str:
    """Text the device accepts: Polish letters kept, other letters without accents, the rest dropped."""
    text = unicodedata.normalize("NFC", text or "")
    out = []
    for ch in text:
        if _ALLOWED.match(ch):
            decomposed = unicodedata.normalize("NFKD", ch)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            ch = base if base and not _ALLOWED.match(base) else ("" if not ch.isspace() else " ")
        out.append(ch)
    return re.sub(r"\s+", " ", "".join(out)).strip()[:max_len].rstrip()


def default_name(category_name: str) -> str:
    """A category's fiscal name when the admin set none: its name marked as second-hand."""
    return clean(f"{category_name} (używane)", NAME_MAX)


def fiscal_name(category) -> str:
    return clean(category.fiscal_name, NAME_MAX) or default_name(category.name)
