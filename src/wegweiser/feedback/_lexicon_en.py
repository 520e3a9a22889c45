"""English word lists for :mod:`wegweiser.feedback.sentiment` (written for customer feedback).

Valences run from -3 (very negative) to +3 (very positive). Words are lower case; a word also
matches its plural and verb forms (``-s``, ``-ed``, ``-ing``, ``-ly``). Phrases (two or three
words) are looked up before single words.
"""

from __future__ import annotations

_POS3 = """excellent amazing awesome fantastic brilliant outstanding perfect perfectly superb
wonderful love loved lovely delighted best exceptional flawless impressed impressive
recommend recommended"""
_POS2 = """great good nice happy glad pleased satisfied friendly helpful kind polite patient
competent easy easily simple simply smooth smoothly quick quickly fast reliable comfortable
convenient beautiful pretty sturdy solid thanks thank appreciate enjoy enjoyed fair
painless clean clear well-made worth super cool top pleasant pleasantly surprised
accurate effortless fixed solved resolved faster exceeded
convinced like liked help helped safely safe brilliant delightful"""
_POS1 = """work works worked working decent answered punctual affordable cheap stylish
better"""
_POS_HALF = "ok okay fine"
_NEG3 = """terrible awful horrible horribly worst disaster nightmare useless unacceptable
scam hate hated disgusting rude furious regret"""
_NEG2 = """bad poor poorly disappointed disappointing disappointment broken broke broke
damaged crushed leaking dirty defective faulty wrong late delayed delay missing lost
slow expensive overpriced annoying annoyed angry unfriendly unhelpful confusing
complicated complaint complaints problem problems issue issues error errors bug bugs
buggy crash crashes crashed crashing fail failed fails failing failure declined
cancelled canceled ignored hurt hurts frozen froze freeze stuck unreliable
uncomfortable difficult hard hassle pain mess waste refused lousy"""
_NEG1 = """waiting wait waited expensive high complained charged doubt claimed
loose cold dies died stopped tiny"""

POSITIVE_PHRASES = {
    "no problems": 2.0,
    "no problem": 2.0,
    "no issues": 2.0,
    "no hassle": 2.0,
    "value for money": 2.0,
    "worth every": 2.5,
    "out of their way": 2.0,
    "keep it up": 2.0,
    "five stars": 3.0,
    "5 stars": 3.0,
    "on time": 1.5,
    "well packed": 2.0,
    "well made": 2.0,
    "well organised": 2.0,
    "well organized": 2.0,
    "no questions asked": 1.5,
    "couldn't be happier": 3.0,
    "could not ask for better": 3.0,
    "not bad at all": 2.0,
    "neither good nor bad": 0.0,
    "no more , no less": 0.0,
    "right away": 1.0,
}
NEGATIVE_PHRASES = {
    "never again": -2.5,
    "never ordering": -2.5,
    "never arrived": -2.5,
    "never came": -2.5,
    "never received": -2.5,
    "fell apart": -2.5,
    "gave up": -2.0,
    "give up": -2.0,
    "still waiting": -2.0,
    "still no": -2.0,
    "still not": -2.0,
    "hasn't arrived": -2.0,
    "on hold": -1.5,
    "charged twice": -2.5,
    "money back": -0.5,
    "out of stock": -1.5,
    "far too": -1.0,
    "way too": -1.0,
    "too many": -1.0,
    "went wrong": -2.5,
    "stopped working": -2.5,
    "avoid this": -2.5,
    "not as described": -2.5,
    "logging me out": -2.0,
    "logged me out": -2.0,
    "just closed": -1.5,
    "was gone": -1.5,
    "in the rain": -1.0,
    "full of": -0.5,
}
NEGATORS = frozenset(
    """not no never nothing nobody none without hardly cannot cant can't
don't dont didn't didnt doesn't doesnt isn't isnt wasn't wasnt won't wont aren't weren't
haven't hasn't hadn't couldn't wouldn't shouldn't neither nor""".split()
)
INTENSIFIERS = {
    "very": 1.4,
    "really": 1.4,
    "so": 1.3,
    "extremely": 1.6,
    "incredibly": 1.6,
    "absolutely": 1.5,
    "totally": 1.4,
    "completely": 1.4,
    "super": 1.3,
    "highly": 1.5,
    "truly": 1.4,
    "just": 1.1,
    "pretty": 1.1,
    "quite": 1.1,
    "slightly": 0.6,
    "a bit": 0.6,
    "somewhat": 0.6,
    "rather": 0.8,
}
#: Negators that stand for the subject ("nobody could help"): they turn the clause's first
#: positive word; "nobody" alone counts as a complaint.
SUBJECT_NEGATORS = frozenset("nobody nothing".split())
WITHOUT = "without"
NOBODY = "nobody"
BUT = frozenset("but however yet although though".split())
#: Conjunctions after which the clause counts less (a concession: "although it was late").
CONCESSIVE = frozenset("although though despite".split())
QUESTION_COMPLAINT = frozenset("why how".split())


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
