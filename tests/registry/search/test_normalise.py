"""Names to one Latin key: every spelling of a name meets every other, other names do not."""

# Latin-looking Cyrillic letters and dotless i are what these tests are about.
# ruff: noqa: RUF001

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from types import ModuleType

import pytest

from kamkor_registry.main import MIGRATIONS
from kamkor_registry.search.normalise import fill_keys, key, name_keys, query_keys, words

SPELLINGS = [
    ["Айдай", "Aidai", "Aydai", "AIDAI", "Aidaй"],
    ["Адылбекова", "Adylbekova", "Adilbekova", "Адилбекова", "Adylbekov", "Adıl'bekova"],
    ["Нурлан", "Nurlan", "Nurllan"],
    ["Жылдыз", "Zhyldyz", "Jyldyz", "Dzhyldyz", "Djyldyz", "Джылдыз", "Jıldız"],
    ["Үмүт", "Umut", "Ümüt"],
    ["Өмүрбек", "Omurbek", "Ömürbek", "Omurbeck"],
    ["Чыңгыз", "Chyngyz", "Çıngız", "Chynghyz"],
    ["Шамиль", "Shamil", "Şamil", "Shamil'"],
    ["Хасанова", "Khasanova", "Hasanova", "Xasanova", "Хасанов"],
    ["Цой", "Tsoi", "Tsoy", "Coi"],
    ["Асель", "Ассель", "Asel", "Assel"],
    ["Алиев", "Aliyev", "Aliev", "Алиева"],
    ["Юлия", "Yuliya", "Yulia", "Iuliia"],
    ["Асанбек уулу", "Asanbek uulu", "Asanbek ulu", "Asanbek uly", "Асанбек-уулу"],
    ["Айнура кызы", "Ainura kyzy", "Aynura kizi", "Ainura qizi"],
    ["Щукина", "Shchukina", "Schukina"],
    ["Владимир", "Wladimir", "Vladimir"],
]

DIFFERENT = [
    ("Нурлан", "Нурбек"),
    ("Айдай", "Айгерим"),
    ("Адылбекова", "Асанова"),
    ("Үмүт", "Өмүр"),
    ("Жылдыз", "Жаныл"),
]


@pytest.mark.parametrize("spellings", SPELLINGS, ids=lambda s: s[0])
def test_every_spelling_has_one_key(spellings: list[str]) -> None:
    keys = {key(spelling) for spelling in spellings}
    assert len(keys) == 1, keys


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_other_names_keep_other_keys(one: str, other: str) -> None:
    assert key(one) != key(other)


def test_keys_are_plain_latin_letters() -> None:
    assert key("Айдай Адылбекова") == "aidai adilbekov"
    assert key("Өмүрбек") == "omurbek"
    assert key("  Нурлан —  Асанов ") == "nurlan asanov"


def test_a_name_without_letters_has_no_words() -> None:
    assert words("!! 123 ,") == []
    assert key("—") == ""


def test_a_latin_vowel_y_is_also_tried_as_kyrgyz_u() -> None:
    assert query_keys("Ymyt") == ["imit", "umut"]
    assert query_keys("Үмүт") == ["umut"]
    # The glide of ya, yu is not a vowel.
    assert query_keys("Yuliya") == ["iulia"]


def test_name_keys_give_family_given_and_full() -> None:
    keys = name_keys("Адылбекова", "Айдай")
    assert (keys.family, keys.given, keys.full) == ("adilbekov", "aidai", "adilbekov aidai")


@dataclass
class _Record:
    family_name: str
    given_name: str
    family_key: str = ""
    given_key: str = ""
    full_key: str = ""


def test_fill_keys_sets_the_records_keys() -> None:
    record = _Record("Өмүрбеков", "Үмүт")
    fill_keys(record)
    assert (record.family_key, record.given_key, record.full_key) == (
        "omurbekov",
        "umut",
        "omurbekov umut",
    )


def _keys_migration() -> ModuleType:
    path = next((MIGRATIONS / "versions").glob("1e3df5b0de2a_*.py"))
    spec = importlib.util.spec_from_file_location("person_search_keys", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("spellings", SPELLINGS, ids=lambda s: s[0])
def test_the_backfill_keys_as_the_service_does(spellings: list[str]) -> None:
    # The migration holds a frozen copy: if this fails, the normalisation changed and
    # needs a migration that re-keys every person.
    migration = _keys_migration()
    for spelling in spellings:
        keys = name_keys(spelling, "Айдай")
        assert migration.name_keys(spelling, "Айдай") == (keys.family, keys.given, keys.full)
