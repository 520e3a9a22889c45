"""German word lists for :mod:`wegweiser.feedback.sentiment` (written for customer feedback).

Valences run from -3 to +3. A word also matches its inflected forms (``-e``, ``-en``,
``-er``, ``-es``, ``-em``, ``-n``, ``-s``, ``-t``, ``-st``); nouns of three or more letters
marked in :data:`HEADS` also match as the end of a compound (``Zahlungsfehler``).
"""

from __future__ import annotations

_POS3 = """hervorragend ausgezeichnet fantastisch perfekt super toll großartig wunderbar
wunderschön begeistert genial klasse liebe beste besten bester empfehlen empfehlenswert
weiterempfehlen übertroffen beeindruckt beeindruckend spitze exzellent traumhaft"""
_POS2 = """gut gute guter gutes gutem guten zufrieden zufriedene zufriedener freundlich
hilfsbereit nett höflich geduldig kompetent einfach unkompliziert reibungslos schnell
zuverlässig bequem praktisch schön robust sauber übersichtlich danke fair angenehm
überzeugt gefreut freue sicher gerne gern problemlos lecker verarbeitet stimmt sorgfältig
positiv überrascht wert lob top gefällt gefallen mag gelöst behoben
besser schneller helfen geholfen hilft"""
_POS1 = """funktioniert funktionierte funktioniere funktionieren pünktlich beantwortet
geantwortet günstig"""
_POS_HALF = "okay ok ordentlich"
_NEG3 = """schrecklich furchtbar katastrophe katastrophal schlimm schlimmste schlechteste
nutzlos inakzeptabel unverschämt desaster frechheit betrug unhöflich bereue"""
_NEG2 = """schlecht enttäuscht enttäuschend enttäuschung kaputt kaputtgegangen beschädigt
zerdrückt ausgelaufen schmutzig defekt fehlerhaft falsch verspätet verspätung
verzögerung fehlt fehlten fehlen verloren langsam teuer überteuert ärgerlich nervig
verärgert unfreundlich verwirrend kompliziert beschwerde beschwerden reklamation problem
probleme fehler abgestürzt stürzt abstürzen fehlgeschlagen abgelehnt storniert ignoriert
weh eingefroren hängt mangelhaft umständlich ärger chaos mist unzuverlässig
auseinandergefallen schief stress"""
_NEG1 = """warten wartete gewartet warte warteschleife leer hoch doppelt abgebucht
kaum dreimal behauptet ständig"""

POSITIVE_PHRASES = {
    "keine probleme": 2.0,
    "kein problem": 2.0,
    "kein stress": 2.0,
    "weiter so": 2.0,
    "fünf sterne": 3.0,
    "5 sterne": 3.0,
    "preis-leistung": 1.5,
    "jeden cent": 2.5,
    "gut verpackt": 2.0,
    "mühe gegeben": 2.0,
    "rundum zufrieden": 3.0,
    "nicht zufriedener": 3.0,
    "gar nicht schlecht": 2.0,
    "nette geste": 2.0,
    "ohne nachfragen": 1.0,
    "sofort gelöst": 2.5,
}
NEGATIVE_PHRASES = {
    "nie wieder": -2.5,
    "nie angekommen": -2.5,
    "nie kam": -2.5,
    "nie eine": -1.5,
    "immer noch": -1.5,
    "schon wieder": -1.5,
    "immer wieder": -1.0,
    "zu spät": -2.0,
    "weder gut noch schlecht": 0.0,
    "nicht mehr und nicht weniger": 0.0,
    "viel zu": -1.0,
    "zu viele": -1.0,
    "finger weg": -3.0,
    "nicht mehr": -2.0,
    "ging alles schief": -2.5,
    "im regen": -1.0,
    "einfach geschlossen": -1.5,
    "war weg": -1.5,
    "voller fehler": -2.5,
    "tun weh": -2.0,
    "nichts vorrätig": -2.0,
    "aufgegeben": -2.0,
}
NEGATORS = frozenset(
    """nicht kein keine keinen keiner keinem keines nie niemals nichts
niemand ohne weder noch""".split()
) - {"noch"}
INTENSIFIERS = {
    "sehr": 1.4,
    "wirklich": 1.4,
    "total": 1.4,
    "extrem": 1.6,
    "absolut": 1.5,
    "völlig": 1.4,
    "unglaublich": 1.6,
    "richtig": 1.3,
    "so": 1.3,
    "echt": 1.3,
    "besonders": 1.3,
    "einfach": 1.0,
    "ziemlich": 1.1,
    "etwas": 0.6,
    "bisschen": 0.6,
    "leicht": 0.7,
    "äußerst": 1.6,
    "rundum": 1.4,
}
#: Negators that stand for the subject ("nobody could help"): they turn the clause's first
#: positive word; "niemand" alone counts as a complaint.
SUBJECT_NEGATORS = frozenset("niemand nichts".split())
WITHOUT = "ohne"
NOBODY = "niemand"
BUT = frozenset("aber jedoch allerdings doch trotzdem obwohl obgleich".split())
CONCESSIVE = frozenset("obwohl obgleich".split())
QUESTION_COMPLAINT = frozenset("warum wieso weshalb wie".split())
#: Compound heads: ``Zahlungsfehler`` ends in ``fehler``.
HEADS = frozenset(
    """fehler problem probleme chaos katastrophe desaster ärger verspätung
verzögerung enttäuschung beschwerde stress""".split()
)


def _words(text: str, value: float) -> dict[str, float]:
    return {w: value for w in text.split()}


WORDS: dict[str, float] = {
    **_words(_POS_HALF, 0.5),
    **_words(_NEG1, -1.0),
    **_words(_NEG2, -2.0),
    **_words(_NEG3, -3.0),
    **_words(_POS1, 1.0),
    **_words(_POS2, 2.0),
    **_words(_POS3, 3.0),
}
