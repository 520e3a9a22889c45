"""Language of a short text: ``de``, ``en`` or ``other``.

Counts the words of ``text`` that are frequent German or English function words (and the
German letters ä, ö, ü, ß, and German noun and adjective endings such as ``-ung``); the
language with more wins, a tie or no evidence is ``other``. Short feedback has few words,
so on a tie the sentiment lexicons count as evidence too, and then capitalised words inside
a sentence (German nouns).

>>> detect("Die Lieferung kam leider zu spät."), detect("Great jacket!"), detect("Très bien")
('de', 'en', 'other')
"""

from __future__ import annotations

import re
from typing import Literal

from wegweiser.feedback import _lexicon_de, _lexicon_en
from wegweiser.feedback.sentiment import _word_value, tokens

Language = Literal["de", "en", "other"]
LANGUAGES: tuple[Language, ...] = ("de", "en", "other")

_DE = frozenset(
    """der die das den dem des ein eine einer einen einem ist sind war waren
wurde wurden hat habe haben hatte ich du er sie es wir ihr mir mich mein meine meinen
nicht kein keine und oder aber auch noch schon sehr zu mit von bei nach für auf aus im
in am um über wie was warum wo wann kann können muss man sich sonst immer nie alles
nichts leider bitte danke gibt gut schlecht doch nur dass wenn weil als bin bis""".split()
)
_EN = frozenset(
    """the a an is are was were be been has have had i you he she it we they
my me our your not no and or but also still very to with of for on at from in by
as about this that what why where when how can could would should will do does did
just only all nothing everything please thanks thank good bad if because than so
there their its i'm it's don't didn't""".split()
)
_DE_LETTERS = frozenset("äöüß")
#: Endings of German nouns and adjectives (Empfehlung, Freundlichkeit, schrecklich).
_DE_ENDINGS = ("ung", "ungen", "heit", "keit", "lich", "isch", "chen")


def detect(text: str) -> Language:
    """``de``, ``en`` or ``other`` for ``text`` (module docstring)."""
    words = [w for w in tokens(text) if w[0].isalnum()]
    de = sum(w in _DE or (len(w) >= 6 and w.endswith(_DE_ENDINGS)) for w in words)
    de += any(c in _DE_LETTERS for c in text.lower())
    en = sum(w in _EN for w in words)
    if de == en:
        de += sum(_word_value(w, _lexicon_de) != 0 for w in words)
        en += sum(_word_value(w, _lexicon_en) != 0 for w in words)
    if de == en:  # German capitalises nouns inside a sentence
        de += sum(len(w) >= 3 and w[0].isupper() for w in re.findall(r"(?<=[\w,] )\w+", text))
    if de > en:
        return "de"
    if en > de:
        return "en"
    return "other"
