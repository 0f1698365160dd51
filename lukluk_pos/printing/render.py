"""Layout blocks to ESC/POS bytes (python-escpos) and to HTML, from one document."""
from __future__ import annotations

import base64
import unicodedata
from io import BytesIO

from markupsafe import Markup

# python-escpos (its printer profiles: ~0.2 s) and python-barcode with Pillow are imported where they are
# used, not when the app starts: a till starts in well under a second (see docs/performance.md).

#: Sent first by printers set to need it: cancels a cheap clone's Chinese character mode.
FS_DOT = b"\x1c\x2e"


def columns(profile: str, paper_mm: int) -> int:
    """Characters per line: 32 on 58 mm paper; on 80 mm the profile's Font A (48 on TM-T20II, else 42)."""
    if paper_mm <= 58:
        return 32
    from escpos.capabilities import get_profile

    fonts = get_profile(profile).profile_data.get("fonts", {})
    found = int(fonts.get("0", {}).get("columns", 42) or 42)
    return found if found >= 42 else 42


def printable(text: str) -> str:
    """Text as the printer may receive it: no control or format characters (ESC p would open the drawer,
    GS V cut the paper, ESC @ reset the printer) — only the renderer sends codes, never a person's text."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))


def escpos_bytes(blocks: list[dict], *, profile: str = "TM-T20II", fs_dot: bool = False) -> bytes:
    """The exact bytes for the printer. No hardware INIT mid-document: python-escpos 3.1 would not
    re-send the code page after it, and Polish letters would come out wrong."""
    from escpos.printer import Dummy

    printer = Dummy(profile=profile)
    if fs_dot:
        printer._raw(FS_DOT)
    for block in blocks:
        kind = block["t"]
        if kind == "text":
            printer.set(align=block.get("align", "left"), bold=block.get("bold", False),
                        double_height=block.get("big", False), double_width=block.get("big", False))
            printer.text(printable(block["text"]) + "\n")
        elif kind == "rule":
            printer.set(align="left", bold=False, double_height=False, double_width=False)
            printer.text("-" * block["width"] + "\n")
        elif kind == "barcode":
            printer.set(align="center", bold=False, double_height=False, double_width=False)
            if block.get("type") == "EAN13":  # the printer adds the check digit to 12 digits
                printer.barcode(block["code"][:12], "EAN13", height=60, width=2, pos="BELOW")
            else:
                printer.barcode("{B" + block["code"], "CODE128", function_type="B", height=60, width=2, pos="BELOW")
        elif kind == "drawer":
            printer.cashdraw(2)
        elif kind == "cut":
            printer.set_with_default()
            printer.cut()
    return printer.output


def barcode_png(code: str, kind: str = "CODE128") -> str:
    """The receipt number as a CODE128 PNG data URI for the HTML receipt (python-barcode, Pillow).

    A PNG rather than inline SVG: the page's Content-Security-Policy allows no inline styles."""
    out = BytesIO()
    from barcode import EAN13, Code128
    from barcode.writer import ImageWriter

    symbology = EAN13(code[:12]) if kind == "EAN13" else Code128(code)
    symbology.writer = ImageWriter()
    symbology.write(out, options={"module_height": 10, "module_width": 0.3,
                                                           "write_text": False, "quiet_zone": 2, "dpi": 200})
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def html(blocks: list[dict], width: int) -> Markup:
    """The same document as HTML lines in a fixed-width box (the browser shows or prints it)."""
    parts = []
    for block in blocks:
        kind = block["t"]
        if kind == "text":
            classes = ["line", f"align-{block.get('align', 'left')}"]
            if block.get("bold"):
                classes.append("bold")
            if block.get("big"):
                classes.append("big")
            parts.append(Markup('<div class="{}">{}</div>').format(" ".join(classes), block["text"] or "\u00a0"))
        elif kind == "rule":
            parts.append(Markup('<div class="line rule">{}</div>').format("-" * width))
        elif kind == "barcode":
            parts.append(Markup('<div class="barcode"><img src="{}" alt="{}"><div>{}</div></div>').format(
                barcode_png(block["code"], block.get("type", "CODE128")), f"Kod {block['code']}", block["code"]))
        elif kind == "cut":
            parts.append(Markup('<div class="cut" aria-hidden="true"></div>'))
    return Markup('<div class="paper cols-{}">{}</div>').format(width, Markup("").join(parts))
