"""Names to one Latin key, so that every spelling of a name meets every other (pure code)."""

# Cyrillic letters that look Latin are the point of this module.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

# Kyrgyz and Russian Cyrillic to Latin. Letters Latin re-typings confuse share a key letter:
# ы/и/й with i and y, ө with o, ү with u, ң with n; ш, щ and ч are all "w", ц is "c".
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "j",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "ң": "n",
    "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "w", "ш": "w", "щ": "w", "ъ": "", "ы": "i",
    "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i", "ә": "a", "ғ": "g", "қ": "k",
    "ұ": "u", "һ": "h", "ў": "u",
}  # fmt: skip
# Latin letters with marks that NFKD would not reduce to the letter we want; a typed w is a
# v, since w is ours for ш/щ/ч.
LATIN_MARKED = {"w": "v", "ı": "i", "ş": "w", "ç": "w", "ə": "a", "ñ": "n", "ø": "o", "ß": "s"}
# Longest first.
DIGRAPHS = (
    ("shch", "w"),
    ("sch", "w"),
    ("tch", "w"),
    ("dzh", "j"),
    ("zh", "j"),
    ("dj", "j"),
    ("kh", "h"),
    ("gh", "g"),
    ("sh", "w"),
    ("ch", "w"),
    ("ts", "c"),
    ("tz", "c"),
    ("ck", "k"),
    ("ph", "f"),
    ("x", "h"),
    ("q", "k"),
    ("ng", "n"),
)
# Feminine and Latin-typed endings of family names (and the few given names they touch).
ENDINGS = (("skaia", "skii"), ("ova", "ov"), ("eva", "ev"), ("ina", "in"), ("off", "ov"))
WORDS = {"uli": "ulu", "uuli": "ulu"}  # uulu "son of" typed as Kazakh uly
_SEPARATORS = re.compile("[\\s\\-\u2010\u2011\u2013\u2014_.,/]+")
_NOT_LETTER = re.compile(r"[^a-z]")
_REPEATS = re.compile(r"(.)\1+")
# A Latin y that is a vowel (not the glide of ya, yu, ye, yo): ы in most re-typings, ү in some.
_VOWEL_Y = re.compile(r"y(?![aeiou])")


@dataclass(frozen=True)
class NameKeys:
    family: str
    given: str
    full: str


def _latin(text: str) -> str:
    """Lower case Latin letters and separators: Cyrillic transliterated, marks dropped."""
    lowered = unicodedata.normalize("NFC", text).lower()
    spelled = "".join(CYRILLIC.get(ch, LATIN_MARKED.get(ch, ch)) for ch in lowered)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _fold_word(word: str) -> str:
    for typed, key in DIGRAPHS:
        word = word.replace(typed, key)
    # Doubles collapse after y is i: Aliyev ("aliiev") and Алиев are both "aliev".
    word = _REPEATS.sub(r"\1", _NOT_LETTER.sub("", word.replace("y", "i")))
    if len(word) > 4:
        for ending, key in ENDINGS:
            if word.endswith(ending):
                word = word[: -len(ending)] + key
                break
    return WORDS.get(word, word)


def words(text: str) -> list[str]:
    """The key of each word of a name, empty words left out."""
    folded = (_fold_word(word) for word in _SEPARATORS.split(_latin(text)))
    return [word for word in folded if word]


def key(text: str) -> str:
    """One name (a family name, a given name, or several words) as one Latin key."""
    return " ".join(words(text))


def name_keys(family_name: str, given_name: str) -> NameKeys:
    """The keys stored on a person: family, given and both together."""
    family, given = key(family_name), key(given_name)
    return NameKeys(family=family, given=given, full=f"{family} {given}".strip())


def query_keys(text: str) -> list[str]:
    """The keys a search tries: the usual reading, then Latin vowel y read as ү (Ymyt: Үмүт)."""
    keys = [key(text)]
    latin = _latin(text)
    if _VOWEL_Y.search(latin):
        keys.append(key(_VOWEL_Y.sub("u", latin)))
    return [k for i, k in enumerate(keys) if k and k not in keys[:i]]


class Named(Protocol):
    """A record with names and the search keys kept beside them."""

    family_name: str
    given_name: str
    family_key: str
    given_key: str
    full_key: str


def fill_keys(record: Named) -> None:
    """Set a record's search keys from its names; called wherever names are written."""
    keys = name_keys(record.family_name, record.given_name)
    record.family_key, record.given_key, record.full_key = keys.family, keys.given, keys.full
