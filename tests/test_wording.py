"""One Polish word per thing (#28 points 9 and 11, ../shared/GLOSSARY-PL.md): the words the glossary rules
out do not appear in the Polish catalogue, and the ones it asks for do."""
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parent.parent / "lukluk_pos/translations/pl/LC_MESSAGES/messages.po"


def _polish() -> list[str]:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="pl")
    texts = []
    for message in catalogue:
        if message.id:  # read_po leaves obsolete (#~) entries out of the catalogue itself
            texts += list(message.string) if isinstance(message.string, tuple) else [message.string]
    return texts


def test_the_glossary_words_are_the_catalogues_words():
    texts = _polish()
    joined = "\n".join(texts)
    assert "Na stanie" not in joined  # on the floor: "na sali"
    assert "kasa fiskalna" not in joined.lower() and "kasy fiskalnej" not in joined  # kasa is the till
    assert "stawki PTU" not in joined and "stawka PTU" not in joined  # VAT, as everywhere else
    assert "Podział:" not in joined  # a split payment is "płatność dzielona"
    assert not [t for t in texts if "przez: %(who)s" in t]  # who did it: "(Agnieszka)", not "przez:"
    assert "Płatność dzielona: karta + gotówka" in texts and "Na sali" in texts


def test_a_nip_refused_says_what_is_wrong_with_it(app):
    """Ten digits with a wrong one are not told "(10 cyfr)" again: the message names the mistake."""
    import pytest

    from lukluk_pos.core.errors import InvalidInput
    from lukluk_pos.core.validation import nip

    said = {}
    with app.test_request_context():
        for typed in ("526-000-12-47", "52600012", "52600O1246", ""):
            with pytest.raises(InvalidInput) as refused:
                nip(typed)
            said[typed] = refused.value.describe()
        assert nip("PL 526-000-12-46") == "5260001246"
    assert said["526-000-12-47"] == "To nie jest prawidłowy NIP: któraś cyfra się nie zgadza. Sprawdź go z nabywcą."
    assert said["52600012"] == "To nie jest prawidłowy NIP: NIP ma 10 cyfr, a ten ma 8."
    assert said["52600O1246"].startswith("To nie jest prawidłowy NIP: tylko cyfry")
    assert not [text for text in said.values() if "(10 cyfr)" in text]


def test_the_carry_over_box_says_what_ticking_it_does(app, client, sign_in, shop):
    """The box that opens the till with yesterday's cash says it as an action, not as a statement."""
    from lukluk_pos.auth.models import User
    from lukluk_pos.cash import service as cash
    from lukluk_pos.extensions import db
    from lukluk_pos.till.models import Till
    from tests.conftest import FLOAT_COUNTS, in_app

    with in_app(app):
        cash.close_session(db.session.scalar(db.select(Till.id)), db.session.get(User, shop["Marek"]),
                           counts=FLOAT_COUNTS)
        db.session.commit()
    sign_in("Ania")
    html = client.get("/cash/").get_data(as_text=True)
    assert "Otwórz kasę z gotówką zostawioną w szufladzie przy ostatnim zamknięciu, bez ponownego liczenia" in html
    assert "Pogotowie kasowe to gotówka" not in html
