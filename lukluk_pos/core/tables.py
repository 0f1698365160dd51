"""Tables as files a spreadsheet opens as they are: CSV that Polish Excel and LibreOffice read (UTF-8 with
BOM, the shop's dialect: ``;`` and a decimal comma, or ``,`` and a point), XLSX through openpyxl, amounts
as exact decimals of their grosze, dates as dates, typed text never a formula. On the ground floor:
the reports, the fiscal registers and the invoices' month all write through it."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from . import validation

#: CSV dialects: separator and decimal mark. ``pl`` is what Polish Excel expects.
DIALECTS = {"pl": (";", ","), "en": (",", ".")}


class Money(int):
    """An amount in grosze that a table writes as złoty."""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, (first + timedelta(days=32)).replace(day=1)


def month_asked(text: str | None, today: date) -> tuple[date, date]:
    """The first and last day of a month asked for as ``YYYY-MM`` (a page's ``?month=``); this month for
    anything else or a month outside 2000–2100."""
    year, _, month = (text or "").partition("-")
    year, month = validation.whole_number(year, low=2000, high=2100), validation.whole_number(month, low=1, high=12)
    if year is None or month is None:
        year, month = today.year, today.month
    start, after = month_bounds(year, month)
    return start, after - timedelta(days=1)


# --- writing ------------------------------------------------------------------------------------

def _text_amount(minor: int, decimal_mark: str) -> str:
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 100)
    return f"{sign}{whole}{decimal_mark}{frac:02d}"


#: A text cell starting with one of these is a formula to a spreadsheet; typed reasons and names must not be.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(cell):
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell


def _csv_cell(cell, decimal_mark: str):
    if isinstance(cell, Money):
        return _text_amount(cell, decimal_mark)
    if isinstance(cell, float):  # a ratio (pieces per sale, hours): the dialect's decimal mark, like money
        return str(cell).replace(".", decimal_mark)
    if isinstance(cell, date):
        return cell.isoformat()
    return _text(cell)


def to_csv(table: Table, dialect: str = "pl") -> bytes:
    """UTF-8 with a BOM (so Excel knows the encoding), the dialect's separator and decimal mark."""
    separator, decimal_mark = DIALECTS.get(dialect, DIALECTS["pl"])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_csv_cell(cell, decimal_mark) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table. Amounts are numbers in złoty formatted as money, written as the exact decimal
    text of their grosze ("75.96", never a float's "75.95999999999999"), so a spreadsheet reads back
    exactly what the report says; dates are date cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(title=table.title[:31].replace("/", "-"))
        sheet.append(table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_text_amount(cell, ".") if isinstance(cell, Money) else cell for cell in row])
            for cell, value in zip(sheet[sheet.max_row], row):
                if isinstance(value, Money):
                    cell.data_type = "n"  # the number as its exact decimal text
                    cell.number_format = "#,##0.00"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # typed text, never a formula
        for column, header in zip(sheet.columns, table.headers):
            width = max([len(str(header))] + [len(str(c.value or "")) for c in column][:200])
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TYPES = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def download(table: Table, fmt: str, name: str, dialect: str = "pl"):
    """A table as a CSV or XLSX file to download (``fmt`` is "csv" or "xlsx")."""
    from flask import Response

    body = to_csv(table, dialect) if fmt == "csv" else to_xlsx([table])
    return Response(body, content_type=TYPES[fmt], headers={  # the type as written: one charset
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"', "Cache-Control": "no-store"})
