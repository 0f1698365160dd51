"""The Posnet driver against a fake Posnet printer on 127.0.0.1: the framed protocol and its failures."""
import pytest

from lukluk_pos.fiscal.device import parse
from lukluk_pos.fiscal.posnet import PosnetPrinter, crc16, frame, parse_frame
from tests.fake_posnet import FakePosnet
from tests.fiscal_support import FAULT_MESSAGES, SPLIT_PAYMENTS, fill_discounted_basket, retry_twice, sell, use_printer


def test_frames_follow_the_specification():
    # The specification's own examples: CRC of "123456789" and of a trinit frame.
    assert crc16(b"123456789") == 0x31C3
    assert frame("trinit", [("bm", 0)]) == b"\x02trinit\tbm0\t#4825\x03"
    raw = frame("trline", [("na", "Książki używane"), ("vt", 4), ("pr", 500)], "0042")
    assert "Książki używane".encode("cp1250") in raw
    assert parse_frame(raw[1:-1]) == ("trline", {"na": "Książki używane", "vt": "4", "pr": "500"}, "0042", None)
    with pytest.raises(ValueError):
        parse_frame(raw[1:-3] + b"00")
    # Text never breaks the frame: tabs, STX/ETX and '#' in a name are replaced.
    assert frame("trline", [("na", "a\tb#c\x03")]).count(b"\t") == 2


@pytest.fixture
def posnet(app, shop):
    with FakePosnet() as device:
        use_printer(app, device.spec)
        yield device


def test_a_sale_with_discounts_split_payment_change_and_nip(app, client, sign_in, posnet):
    sign_in("Marek")
    fill_discounted_basket(client)
    payments = SPLIT_PAYMENTS
    bad_nip = client.post("/api/v1/till/basket/complete", json={
        "key": "posnet-sale-0001", "payments": payments, "buyer_nip": "585-123-45-69"})
    assert bad_nip.status_code == 422 and bad_nip.json["field"] == "buyer_nip" and not posnet.printed
    sale = client.post("/api/v1/till/basket/complete", json={
        "key": "posnet-sale-0001", "payments": payments, "buyer_nip": "PL 585-123-45-68"}).json
    assert sale["total_minor"] == 3800 and sale["fiscal"]["status"] == "registered"
    [printed] = posnet.printed
    assert printed["total"] == 3800 and printed["nip"] == "5851234568"
    assert [(line["name"], line["slot"]) for line in printed["lines"]] == [
        ("Odzież damska używana", "E"), ("Książki używane", "E")]
    assert sum(line["total"] for line in printed["lines"]) == 3800
    # Card 10 zł, cash 50 zł handed over, 22 zł change.
    assert printed["payments"] == [(2, 1000, False), (0, 5000, False), (0, 2200, True)]
    assert f"Nr sprzedaży: {sale['number']}" in printed["info"]
    assert posnet.totals == {"E": 3800} and posnet.drawer_opened == 1


@pytest.mark.parametrize("fault", ["paper", "drop", "hang", "refuse", "twice", "error"])
def test_each_fault_ends_in_exactly_one_receipt(app, client, sign_in, posnet, fault):
    sign_in("Ania")
    if fault == "refuse":
        posnet.refuse()
    elif fault == "error":
        posnet.error_next_line = 2106
    else:
        posnet.faults.add(fault)
    sale = sell(client, f"posnet-{fault}-0001")
    if fault == "twice":  # doubled answers are skipped by their token: nothing failed
        assert sale["fiscal"]["status"] == "registered" and len(posnet.printed) == 1
        return
    assert sale["fiscal"]["status"] == "pending", sale["fiscal"]
    assert sale["fiscal"]["message"] == FAULT_MESSAGES[fault]
    assert len(posnet.printed) == (1 if fault == "drop" else 0)
    # The volunteer fixes the printer and presses "Spróbuj ponownie" (twice, to be sure).
    posnet.put_in_paper()
    if fault == "refuse":
        posnet.refuse(False)
    assert retry_twice(client, sale["id"]) == {"status": "registered", "receipt_number": 1, "message": None, "check": False}
    assert len(posnet.printed) == 1 and posnet.last_receipt == 1 and posnet.open is None
    # An unfinished receipt (no paper, a refused line) is cancelled, never left open or counted.
    assert posnet.cancelled == (1 if fault in ("paper", "error") else 0)


def test_rates_map_by_the_programmed_rate_not_by_letter(app, client, sign_in, posnet):
    posnet.rates.update({"a": "100,00", "e": "23,00"})  # this shop's exempt rate sits in slot A
    sign_in("Ania")
    sell(client, "posnet-rates-0001")
    assert posnet.printed[0]["lines"][0]["slot"] == "A"


def test_the_driver_reads_status_counters_and_the_daily_report(posnet):
    printer = PosnetPrinter(parse(posnet.spec), io_timeout=1.0)
    assert printer.vat_table() == {"A": "23", "B": "8", "C": "5", "D": "0", "E": "zw", "F": None, "G": None}
    assert printer.status().ready and printer.status().model.startswith("FAKE POSNET")
    posnet.faults.add("paper")
    assert printer.status().problem == "Out of paper: put in a new roll."
    posnet.put_in_paper()
    posnet.totals, posnet.receipts_since_report, posnet.last_receipt = {"E": 1250, "A": 300}, 2, 2
    assert printer.counters().last_receipt == 2
    report = printer.daily_report()
    assert (report.number, report.by_slot, report.receipts) == (1, {"A": 300, "E": 1250}, 2)
    assert printer.counters().daily_reports == 1 and posnet.totals == {}


@pytest.mark.parametrize("text, expected", [
    ("posnet:10.0.0.5", "posnet:10.0.0.5:6666"), ("posnet:drukarka.local:7000", "posnet:drukarka.local:7000"),
    ("posnet-serial:/dev/ttyUSB0", "posnet-serial:/dev/ttyUSB0:9600"), ("posnet-serial:COM3:19200",
                                                                         "posnet-serial:COM3:19200"),
    ("posnet-serial:/dev/ttyS0", "posnet-serial:/dev/ttyS0:9600"),
    ("posnet-serial:/dev/ttyACM1:115200", "posnet-serial:/dev/ttyACM1:115200"),
    ("posnet-serial:/dev/serial/by-id/usb-Posnet_Thermal_XL2-if00-port0",
     "posnet-serial:/dev/serial/by-id/usb-Posnet_Thermal_XL2-if00-port0:9600"),
    ("emulator", "emulator"), ("", "none"), ("none", "none"),
])
def test_device_settings_are_read(text, expected):
    assert str(parse(text)) == expected


@pytest.mark.parametrize("text", ["posnet:", "posnet:a b", "posnet:h:99999", "posnet:h:²", "posnet-serial:", "usb:1:2",
                                  "novitus:ftp://x", "emulator2",
                                  # #27 point 9: a serial device is a serial port, never any file
                                  "posnet-serial:/etc/shadow", "posnet-serial:../../x", "posnet-serial:/dev/sda",
                                  "posnet-serial:/dev/serial/by-id/../../../etc/passwd",
                                  "posnet-serial:/dev/serial/by-id/..", "posnet-serial:/dev/ttyUSB0/../sda",
                                  "posnet-serial:/tmp/ttyUSB0", "posnet-serial:COM3x", "posnet-serial:/dev/ttyUSB0:0"])
def test_bad_device_settings_say_the_form_expected(text):
    with pytest.raises(ValueError) as refused:
        parse(text)
    assert ":" in str(refused.value) and "invalid literal" not in str(refused.value)


def test_the_printers_clock_is_read_at_the_daily_report_and_a_drift_is_named(app, client, posnet):
    """#29: /health and doctor say how far the fiscal printer's clock is from the PC's, as read at the last
    daily report (never asked from /health itself)."""
    from datetime import timedelta

    from lukluk_pos.fiscal import service
    from tests.conftest import in_app, shop_today

    assert "clock_difference_minutes" not in client.get("/health").get_json()["checks"]["fiscal"]  # not read yet
    with in_app(app):
        service.daily_report(shop_today())
    fiscal = client.get("/health").get_json()["checks"]["fiscal"]
    assert fiscal["ok"] is True and abs(fiscal["clock_difference_minutes"]) <= 1  # to the minute it shows
    posnet.drift = timedelta(minutes=20)  # its clock runs 20 minutes ahead of the PC's
    with in_app(app):
        service.daily_report(shop_today() + timedelta(days=1))
    fiscal = client.get("/health").get_json()["checks"]["fiscal"]
    assert fiscal["ok"] is False and fiscal["clock_difference_minutes"] in (19, 20)
    doctor = app.test_cli_runner().invoke(args=["doctor"])
    assert doctor.exit_code == 1
    assert "✗ Zegar drukarki fiskalnej różni się od zegara komputera o 20 min" in doctor.output or \
        "✗ Zegar drukarki fiskalnej różni się od zegara komputera o 19 min" in doctor.output
