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
