"""Charts drawn on the server as SVG with pygal, from the same tables the pages and downloads show.

No script and no web font: pygal's tooltips script (loaded from the internet by default) is switched
off, so a chart is a plain image that works offline; the numbers are in the table beside it.
"""
from __future__ import annotations

import re
import sys

import pygal
from pygal.style import Style

from .exports import Money, Table

# pygal appends a legacy import hook to sys.meta_path for its optional map plugins (pygal.maps.*). It has
# only find_module(), so every import that reaches the end of the path (an optional dependency that is
# not installed) raises an ImportWarning first — an error where warnings are errors, as in the tests.
# We draw no maps: take the hook off again.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#1b1b1b", foreground_strong="#1b1b1b",
              foreground_subtle="#5a5a5a", colors=("#0b5c3b", "#b4460c", "#1f4e8c", "#7a2f7a", "#5c5c0b", "#8c1f1f"),
              font_family="DejaVu Sans, Arial, sans-serif", label_font_size=13, major_label_font_size=13,
              legend_font_size=14, title_font_size=16, value_font_size=12)
KINDS = {"bar": pygal.Bar, "line": pygal.Line, "pie": pygal.Pie, "hbar": pygal.HorizontalBar}
MAX_BARS = 60


def _number(cell):
    if isinstance(cell, Money):
        return int(cell) / 100  # złoty, for drawing only: the table keeps the grosze
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return cell
    return None


def svg(table: Table, *, kind: str, value: int, title: str) -> bytes:
    """The table's ``value`` column against its first column, as an SVG image."""
    config = dict(style=STYLE, js=[], css=["file://style.css", "file://graph.css"], disable_xml_declaration=False,
                  width=900, height=420, show_legend=kind == "pie", print_values=False, title=title,
                  truncate_label=28, x_label_rotation=30 if kind in ("bar", "line") else 0,
                  no_data_text="—", explicit_size=True)
    chart = KINDS[kind](**config)
    rows = table.rows[-MAX_BARS:] if kind != "hbar" else table.rows[:MAX_BARS]
    rows = [row for row in rows if _number(row[value]) is not None]
    label = table.headers[value]
    if kind == "pie":
        for row in rows:
            chart.add(str(row[0]), [_number(row[value])])
    else:
        chart.x_labels = [str(row[0]) for row in rows]
        chart.add(label, [_number(row[value]) for row in rows])
    # pygal writes its settings into a <script> even without tooltips: not needed, so not sent.
    return re.sub(rb"<script\b.*?</script>", b"", chart.render(), flags=re.S)
