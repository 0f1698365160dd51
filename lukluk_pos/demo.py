"""A realistic demo shop: the usual categories, a few hundred donated items, a week of sales.

People are created with random PINs printed once (no default accounts). Every past day is run the
way the shop runs it: the till opens with a counted float (or the cash left the night before), sales
go through the till's services, there is the odd paid out and safe drop, the drawer is counted blind
(now and then a few złoty short, once over the tolerance with the manager's sign-off) and the day is
closed with its Z report. Only timestamps are set to the simulated day. Today's till is left open
with a few sales, so the day can be counted and closed from the browser.
"""
from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta, timezone

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .auth import service as auth
from .auth.models import LoginSession, Role, SignInMethod, User
from .auth.setup import is_set_up, set_up_shop
from .cash import service as cash
from .cash import zreport
from .cash.models import DENOMINATIONS, DayStatus, MovementKind
from .catalog import service as catalog
from .catalog.models import Category, ItemKind, ItemStatus
from .core import events
from .core.models import FiscalMode, Shop
from .core.progress import Progress
from .extensions import db
from .fiscal import service as fiscal_printer
from .intake import service as intake
from .stock import figures as stock_figures
from .stock import service as stock
from .till import service as till
from .till.models import PaymentMethod, Till

#: Description parts per category: (things, qualities).
WORDS = {
    "Odzież damska": (["Sukienka", "Bluzka", "Spódnica", "Żakiet", "Sweter", "Płaszcz", "Spodnie"],
                      ["letnia w kwiaty", "wełniana", "lniana", "w paski", "czarna", "granatowa", "vintage"]),
    "Odzież męska": (["Koszula", "Marynarka", "Sweter", "Kurtka", "Spodnie", "Kamizelka"],
                     ["w kratę", "bawełniana", "wełniana", "skórzana", "sztruksowa", "szara"]),
    "Odzież dziecięca": (["Body", "Bluza", "Kurtka zimowa", "Spodenki", "Sukienka"],
                         ["z misiem", "różowa", "niebieska", "w gwiazdki", "polarowa"]),
    "Obuwie": (["Botki", "Półbuty", "Sandały", "Kozaki", "Trampki"], ["skórzane", "zamszowe", "czarne", "brązowe"]),
    "Torebki i dodatki": (["Torebka", "Szal", "Pasek", "Portfel", "Kapelusz"], ["skórzana", "jedwabny", "retro"]),
    "Biżuteria": (["Naszyjnik", "Bransoletka", "Kolczyki", "Broszka"], ["z bursztynem", "srebrzysta", "korale"]),
    "Książki": (["Powieść", "Album", "Poradnik", "Książka kucharska", "Kryminał"],
                ["w twardej oprawie", "Wydawnictwo Literackie", "PWN", "jak nowa", "z dedykacją"]),
    "Płyty i winyle": (["Płyta winylowa", "Płyta CD", "Kaseta"], ["Czesław Niemen", "Maanam", "jazz", "muzyka klasyczna"]),
    "Zabawki i gry": (["Puzzle 1000 el.", "Gra planszowa", "Klocki", "Pluszowy miś", "Lalka"], ["kompletne", "w pudełku"]),
    "Porcelana i szkło": (["Filiżanka z podstawką", "Wazon", "Talerz deserowy", "Komplet kieliszków", "Dzbanek"],
                          ["Ćmielów", "kryształowy", "Włocławek", "w kobaltowy wzór"]),
    "Dom i dekoracje": (["Lampa stołowa", "Rama na zdjęcia", "Świecznik", "Lustro", "Zegar ścienny"],
                        ["mosiężny", "drewniana", "PRL", "ceramiczny"]),
    "Tekstylia domowe": (["Obrus", "Pościel", "Zasłony", "Koc", "Narzuta"], ["lniany", "haftowany", "w kratę"]),
    "AGD i elektronika": (["Czajnik elektryczny", "Radio", "Mikser", "Lampka biurkowa", "Toster"], ["sprawny", "jak nowy"]),
    "Meble": (["Krzesło", "Stolik kawowy", "Półka", "Taboret", "Komoda"], ["dębowa", "sosnowy", "z lat 70."]),
    "Sport i rekreacja": (["Rakieta tenisowa", "Kijki trekkingowe", "Hulajnoga", "Piłka", "Łyżwy"], ["mało używane", "dziecięce"]),
}
SIZES = ["XS", "S", "M", "L", "XL", "36", "38", "40", "42"]
#: Grams per item by category (the impact report's estimate).
WEIGHTS = {"Odzież damska": 400, "Odzież męska": 500, "Odzież dziecięca": 250, "Obuwie": 800,
           "Torebki i dodatki": 400, "Biżuteria": 50, "Książki": 350, "Płyty i winyle": 200, "Zabawki i gry": 500,
           "Porcelana i szkło": 400, "Dom i dekoracje": 900, "Tekstylia domowe": 700, "AGD i elektronika": 1500,
           "Meble": 12000, "Sport i rekreacja": 1500}
VOLUNTEERS = ["Ania", "Bartek", "Celina", "Darek", "Ewa", "Franek"]


def _pin() -> str:
    return f"{secrets.randbelow(10**4):04d}"


def build_demo(*, items: int, days: int, seed: int, echo=print, fiscal: bool = False) -> None:
    """Create (or add to) the demo shop: eight weekly donations with their tag colours, priced from
    the guide, and a week of sales; prints progress and any new people's PINs. ``fiscal``: the shop
    sells through the built-in fiscal printer emulator (every sale registered, each day's daily report)."""
    rng = random.Random(seed)
    if not is_set_up():
        pin, password = _pin(), secrets.token_urlsafe(9)
        set_up_shop(shop_name="LukLuk — sklep charytatywny", address="ul. Bohaterów Monte Cassino 1, 81-767 Sopot",
                    nip="5851234568", name="Kierowniczka Magda", pin=pin, password=password,
                    standard_categories=True)
        db.session.flush()
        echo(f"Kierowniczka Magda (admin): PIN {pin}, hasło {password}")
    manager = db.session.scalar(select(User).where(User.role != Role.VOLUNTEER).order_by(User.id))
    people = [manager]
    for name in VOLUNTEERS:
        user = db.session.scalar(select(User).where(User.name == name))
        if user is None:
            pin = _pin()
            user = auth.create_user(name=name, role=Role.VOLUNTEER, pin=pin, password=None, by=manager)
            echo(f"{name} (wolontariusz/ka): PIN {pin}")
        people.append(user)
    if fiscal:
        current = db.session.scalar(select(Shop))
        current.fiscal_mode, current.fiscal_printer = FiscalMode.PRINTER, "emulator"
    db.session.commit()

    cats = {c.name: c for c in db.session.scalars(select(Category))}
    for name, grams in WEIGHTS.items():
        if name in cats and not cats[name].weight_g:
            cats[name].weight_g = grams
    # Donations over the last eight weeks, each with its week's tag colour, so rotation has work.
    today = cash.today()
    weeks = 8
    batches = []
    for week in range(weeks, 0, -1):
        day = today - timedelta(weeks=week - 1, days=today.weekday())
        batches.append(intake.create_batch(by=manager, source=rng.choice(["anonymous", "individual", "partner"]),
                                           notes="Dary (demo)", today=day))
    made = []
    with Progress("Przedmioty z darów", items) as bar:
        for n in range(items):
            bar.advance()
            name = rng.choice(list(WORDS))
            cat = cats.get(name) or rng.choice(list(cats.values()))
            things, qualities = WORDS.get(name, (["Przedmiot"], ["różny"]))
            text = f"{rng.choice(things)} {rng.choice(qualities)}"
            size = rng.choice(SIZES) if name.startswith("Odzież") or name == "Obuwie" else ""
            condition = rng.choice(["new_with_tags", "very_good", "very_good", "good", "good", "fair"])
            price = intake.suggest_price(cat, intake.condition(condition))
            batch = batches[n * len(batches) // items]
            item = intake.add_item(batch, by=manager, category_id=cat.id, condition_value=condition,
                                   description=text, size=size, price=price, confirm=True)
            item.created_at = batch.received_at
            item.label_pending = batch is batches[-1]  # the newest donation still waits for its labels
            made.append(item)
            if n % 50 == 49:
                db.session.commit()
    for text, cat_name, price, qty in (("Książka kieszonkowa", "Książki", 300, 120),
                                       ("Płyta CD (kosz)", "Płyty i winyle", 500, 60)):
        made.append(catalog.create_item(description=text, category_id=cats[cat_name].id, price=price,
                                        kind=ItemKind.BULK, quantity=qty, by=manager))
    db.session.commit()

    till_id = db.session.scalar(select(Till.id).order_by(Till.id))
    for day_index in range(days, 0, -1):
        day = today - timedelta(days=day_index)
        if day.weekday() == 6 or cash.day_status(day) is DayStatus.CLOSED or cash.sessions_of(day):
            continue  # closed on Sundays; a day already run stays as it is
        _one_day(rng, till_id, day, people, manager, made, cats)
    _write_offs(rng, manager, made)
    stock_figures.refresh()  # as after the last evening's close
    db.session.commit()
    if cash.current_session(till_id) is None and cash.day_status(cash.today()) is not DayStatus.CLOSED:
        cash.open_session(till_id, manager, carry_over=cash.last_closed(till_id) is not None,
                          counts=_counts(20000))
        for _n in range(rng.randint(3, 6)):
            _one_sale(rng, till_id, rng.choice(people), made, cats, None)
        db.session.commit()
        echo("Kasa jest otwarta na dziś: policz ją i zamknij dzień w przeglądarce (Rozliczenie kasy → Zamknij dzień).")
    echo("Gotowe: sklep demonstracyjny jest w bazie.")


def _counts(amount_minor: int) -> dict[str, int]:
    """Notes and coins for an amount, largest first (how a drawer of change is made up)."""
    counts = {}
    for value in DENOMINATIONS:
        pieces, amount_minor = divmod(amount_minor, value)
        if pieces:
            counts[str(value)] = pieces
    return counts


def _utc(day, at: time) -> datetime:
    """The shop's local time on ``day`` as stored (naive UTC)."""
    return datetime.combine(day, at, tzinfo=cash.zone()).astimezone(timezone.utc).replace(tzinfo=None)


def _write_offs(rng, manager, made) -> None:
    """A few of the oldest unsold pieces leave the floor: pulled for a partner, to textile recycling, damaged."""
    oldest = sorted((i for i in made if i.kind is ItemKind.UNIQUE and i.status is ItemStatus.IN_STOCK),
                    key=lambda i: i.created_at)[:8]
    plan = [("rotation", "partner", "Sześć tygodni na sali — dla schroniska"),
            ("rotation", "textile_recycling", "Sześć tygodni na sali"), ("damaged", "waste", "Pęknięte")]
    for n, item in enumerate(oldest):
        cause, destination, reason = plan[n % len(plan)]
        stock.write_off([item], by=manager, cause=cause, destination=destination, reason=reason)
    db.session.commit()


def _shifts(rng, till_id, day, people) -> None:
    """Two volunteers' sign-ins at the till (the hours report counts them): morning and afternoon."""
    morning, afternoon = rng.sample(people[1:], 2)
    for person, start, end in ((morning, time(8, 40), time(13, 0)), (afternoon, time(13, 0), time(17, 15))):
        db.session.add(LoginSession(token_hash=secrets.token_hex(32), user_id=person.id, method=SignInMethod.PIN,
                                    till_id=till_id, created_at=_utc(day, start),
                                    ended_at=_utc(day, end)))


def _one_day(rng, till_id, day, people, manager, made, cats) -> None:
    """Open, sell, move cash, count and close one past day."""
    _shifts(rng, till_id, day, people)
    opening = _utc(day, time(8, 45))
    carry = cash.last_closed(till_id) is not None
    opened = cash.open_session(till_id, manager, carry_over=carry, counts=_counts(20000), at=opening)
    db.session.commit()
    count = rng.randint(25, 45)
    with Progress(f"Sprzedaż {day.isoformat()}", count) as bar:
        for n in range(count):
            bar.advance()
            moment = _utc(day, time(9)) + timedelta(minutes=int(n * 480 / count))
            _one_sale(rng, till_id, rng.choice(people), made, cats, moment)
            if n == count // 2 and rng.random() < 0.4:
                cash.add_movement(till_id, manager, kind=MovementKind.PAID_OUT, amount=rng.choice([899, 1299, 2450]),
                                  reason=rng.choice(["Środki czystości", "Worki na ubrania", "Taśma do drukarki"]),
                                  at=moment + timedelta(minutes=1))
                db.session.commit()
    expected = cash.expected(opened)["expected_minor"]
    closing = _utc(day, time(17, 10))
    if expected > 60000:  # most of the takings go to the safe before the count
        cash.add_movement(till_id, manager, kind=MovementKind.DROP, amount=expected - 30000,
                          reason="Utarg do sejfu", at=closing - timedelta(minutes=5))
        expected = 30000
    # The count: usually right, sometimes a few złoty short, once in a while more than the tolerance.
    difference = rng.choice([0, 0, 0, 0, -100, -250, 200, -1000])
    counter = rng.choice(people)
    closed = cash.close_session(till_id, counter, counts=_counts(max(expected + difference, 0)),
                                kept=min(20000, max(expected + difference, 0)),
                                card_terminal=cash.expected(opened)["card_net_minor"], at=closing)
    if cash.needs_sign_off(closed):
        cash.sign_off(closed.id, manager, comment="Sprawdzone z wolontariuszką: reszta wydana z banknotu 10 zł.")
    db.session.commit()
    zreport.close_day(day, counter, at=closing + timedelta(minutes=5), approved_by=manager,
                      fiscal=fiscal_printer.daily_report(day) if fiscal_printer.printer_mode() else None)
    db.session.commit()


def _one_sale(rng, till_id, person, made, cats, moment) -> None:
    fiscal_on = fiscal_printer.printer_mode()
    # An exempt shop cannot sell goods the law wants on a fiscal device from the first sale.
    sellable = fiscal_on
    available = [i for i in made if (i.kind is ItemKind.BULK or i.status is ItemStatus.IN_STOCK)
                 and (moment is None or i.created_at <= moment)  # nothing sells before it was donated
                 and (sellable or not i.category.fiscal_from_first_sale)]
    cats = {name: c for name, c in cats.items() if sellable or not c.fiscal_from_first_sale}
    for item in rng.sample(available, k=min(len(available), rng.choice([1, 1, 1, 2, 2, 3]))):
        till.add_item(till_id, person, item, rng.choice([1, 1, 2]) if item.kind is ItemKind.BULK else 1)
    if not available or rng.random() < 0.3:
        cat = rng.choice(list(cats.values()))
        till.add_open_price(till_id, person, category_id=cat.id, price=rng.choice([200, 500, 1000, 1500]))
    total = till.totals(till.open_basket(till_id)).total_minor
    if rng.random() < 0.35:
        payments = [till.PaymentIn(PaymentMethod.CARD)]
    else:
        tendered = next((n for n in (1000, 2000, 5000, 10000, 20000) if n >= total), total)
        payments = [till.PaymentIn(PaymentMethod.CASH, tendered_minor=rng.choice([total, tendered]))]
    with events.sale_completed.muted():  # history is written as it was: nothing queued, registered below
        sale = till.complete(till_id, person, key=secrets.token_hex(16), payments=payments)
    if moment is not None:
        sale.opened_at = moment - timedelta(minutes=2)
        sale.completed_at = moment
        for payment in sale.payments:
            payment.created_at = moment
    fiscal_printer.sell(sale)
    db.session.commit()


@click.command("demo")
@click.option("--items", default=400, show_default=True, help="Donated items to add.")
@click.option("--days", default=7, show_default=True, help="Days of sales to simulate.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same shop).")
@click.option("--fiscal", is_flag=True, help="Sell through the built-in fiscal printer emulator.")
@with_appcontext
def demo_command(items: int, days: int, seed: int, fiscal: bool) -> None:
    """Fill the database with a realistic Polish demo shop (items and a week of sales)."""
    build_demo(items=items, days=days, seed=seed, echo=click.echo, fiscal=fiscal)
