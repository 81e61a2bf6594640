"""A generated national register: households of children with Kyrgyz and Russian names.

Deterministic (one seed gives the same register, byte for byte) and streaming: households
come one at a time, so memory stays flat at any size. Each household has one caregiver and
one to four children in a district of the region reference data, weighted by population;
PINs follow the registry's common form (sex digit, DDMMYYYY, five more digits) and are
unique. A sample of the children is kept as search targets, with the Latin re-typings
(with typos) and the Russian-keyboard spellings people type for them.
"""

# Cyrillic names are the data of this module.
# ruff: noqa: RUF001, RUF003

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from kamkor_common.reference.regions import REGIONS

# The register's day: ages and school enrolment are as of it.
TODAY = date(2026, 12, 1)
CREATED_AT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

KY_GIVEN_FEMALE = (
    "Айдай", "Нургүл", "Нургуль", "Айгерим", "Бермет", "Жылдыз", "Гүлнара", "Айжан", "Чолпон",
    "Асель", "Мээрим", "Айпери", "Нурзат", "Элнура", "Жаңыл", "Күмүшай", "Сезим", "Айсулуу",
    "Бегимай", "Үмүт", "Адинай", "Аружан", "Нурайым", "Толгонай", "Назира", "Мөлмөл", "Зарина",
    "Алтынай", "Канышай", "Салтанат", "Айзада", "Айчүрөк", "Гүлзат", "Азиза", "Каныкей",
    "Жибек", "Айнура", "Дилноза", "Эльвира", "Акмаал", "Нурия", "Сүйүмкан", "Айкөкүл",
)  # fmt: skip
KY_GIVEN_MALE = (
    "Бакыт", "Эрмек", "Нурлан", "Азамат", "Улан", "Бекзат", "Элдияр", "Нурсултан", "Тилек",
    "Эмир", "Адилет", "Бектур", "Айбек", "Төлөн", "Өмүр", "Үсөн", "Жеңиш", "Мирлан", "Данияр",
    "Нуржигит", "Темирлан", "Алинур", "Арстан", "Талант", "Болот", "Марат", "Канат", "Чыңгыз",
    "Эрлан", "Байэл", "Нурэл", "Бекжан", "Жолдош", "Күбанычбек", "Мээрбек", "Өмүрбек", "Самат",
    "Актан", "Бекболот", "Жаңыбек", "Руслан", "Эламан", "Кутман",
)  # fmt: skip
# Family names are a father's (or grandfather's) given name with -ов/-ев, -а for women.
_KY_FATHERS: tuple[str, ...] = (
    "Адылбек", "Токтогул", "Осмон", "Асан", "Үсөн", "Жээнбек", "Абдыкалык", "Мамыт",
    "Турсунбай", "Сатыбалды", "Өмүрбек", "Төлөгөн", "Бөрүбай", "Сүйүнбай", "Кадыр", "Акматбек",
    "Жумабек", "Эсенгул", "Бейшен", "Токтосун", "Молдобек", "Абдрахман", "Исак", "Калыбек",
    "Орозбек", "Шаршен", "Айтмат", "Чотбай", "Дүйшөн", "Кеңеш", "Маматкул", "Темир", "Сыдык",
    "Алым", "Жусуп", "Бакир", "Бекмурат", "Карыбек", "Сабыр", "Таштан", "Ыбырай", "Мусабек",
    "Нурмат", "Абыл", "Керимбек", "Султан", "Жапар", "Кубан", "Байтик", "Мамбет", "Сарыбай",
    "Жолдошбек", "Эшмат", "Ташиев", "Абдыраим", "Көчкөнбай", "Акун", "Жаңыбай", "Момун",
    "Бообек", "Качкын", "Рысбек", "Сагын", "Тагай", "Үмөтал", "Шабдан", "Эркинбек", "Ысак",
    "Жунус", "Базарбай", "Нарынбек", "Калмат", "Оморбек", "Курманбек", "Чоңбай", "Дөөлөт",
    "Сейитбек", "Тыналы", "Аширбек", "Кожомкул", "Муратали", "Исмаил", "Абдылда", "Бектемир",
)  # fmt: skip
# Fathers' names make most family names, with -бек, -бай or -кул added in some: hundreds of
# family names, the commonest about one person in a hundred.
KY_FAMILY_ROOTS = tuple(
    dict.fromkeys(
        _KY_FATHERS
        + tuple(
            name + suffix
            for name in KY_GIVEN_MALE
            for suffix in ("", "бек", "бай")
            if not (suffix and name.endswith(("бек", "бай", "бол", "жан")))
        )
    )
)
RU_GIVEN_FEMALE = (
    "Анастасия", "Мария", "Дарья", "Анна", "Екатерина", "Полина", "Виктория", "Софья",
    "Алиса", "Ксения", "Елена", "Ольга", "Наталья", "Юлия", "Татьяна",
)  # fmt: skip
RU_GIVEN_MALE = (
    "Александр", "Дмитрий", "Максим", "Артём", "Иван", "Михаил", "Никита", "Кирилл", "Егор",
    "Андрей", "Сергей", "Алексей", "Владимир", "Павел", "Роман",
)  # fmt: skip
RU_FAMILY = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев",
)  # fmt: skip
SETTLEMENTS = (
    "Ак-Жол", "Кара-Суу", "Жаңы-Жер", "Кызыл-Туу", "Ак-Терек", "Сары-Булак", "Төрт-Куль",
    "Кош-Дөбө", "Байзак", "Ленин", "Орто-Сай", "Чаек", "Ноокат", "Боконбаев", "Каирма",
)  # fmt: skip
STREETS = ("Ленина", "Манаса", "Токтогула", "Чүй", "Айтматова", "Мира", "Жибек Жолу", "Саякбая")

# People by region (thousands, 2024, rounded): districts of a region share it evenly.
REGION_WEIGHTS = {
    "KG-GB": 1160, "KG-GO": 360, "KG-B": 560, "KG-C": 990, "KG-J": 1330,
    "KG-N": 310, "KG-O": 1410, "KG-T": 280, "KG-Y": 510,
}  # fmt: skip
DISTRICTS = [(r.code, d.code) for r in REGIONS for d in r.districts]
DISTRICT_WEIGHTS = list(
    itertools.accumulate(
        REGION_WEIGHTS.get(r.code, 300) / len(r.districts) for r in REGIONS for _ in r.districts
    )
)

# Passport-style Latin, with the other ways people type each letter (the first is the
# passport's). ң, ө and ү typed on a keyboard without them lose their marks.
LATIN = {
    "а": ("a",), "б": ("b",), "в": ("v",), "г": ("g",), "д": ("d",), "е": ("e",),
    "ё": ("yo", "e"), "ж": ("zh", "j", "dzh"), "з": ("z",), "и": ("i",), "й": ("y", "i", "j"),
    "к": ("k",), "л": ("l",), "м": ("m",), "н": ("n",), "ң": ("ng", "n"), "о": ("o",),
    "ө": ("o", "oe", "ö"), "п": ("p",), "р": ("r",), "с": ("s",), "т": ("t",), "у": ("u",),
    "ү": ("u", "ü", "y"), "ф": ("f",), "х": ("kh", "h"), "ц": ("ts", "c"), "ч": ("ch",),
    "ш": ("sh",), "щ": ("shch", "sch"), "ъ": ("",), "ы": ("y", "i"), "ь": ("",), "э": ("e",),
    "ю": ("yu", "iu"), "я": ("ya", "ia"),
}  # fmt: skip
KYRGYZ_LETTERS = {"ң": "н", "ө": "о", "ү": "у"}
VOWEL_SLIPS = {"a": "e", "e": "a", "i": "y", "y": "i", "o": "a", "u": "o"}

QUERY_KINDS = (
    "cyrillic_exact",
    "latin",
    "latin_typo",
    "kyrgyz_letters",
    "surname_only",
    "filtered",
)


@dataclass(frozen=True)
class Target:
    """A generated child the search must find, and what a worker types to find them."""

    person_id: str
    family_name: str
    given_name: str
    district: str
    birth_year: int
    queries: dict[str, str] = field(default_factory=dict)


@dataclass
class Generated:
    """One household's rows, in the column order of `*_COLUMNS`."""

    household: tuple[object, ...]
    persons: list[tuple[object, ...]]
    members: list[tuple[object, ...]]
    target: Target | None = None


HOUSEHOLD_COLUMNS = (
    "id", "region", "district", "settlement", "address", "phone", "language", "version",
    "created_at", "updated_at", "created_by", "merged_into",
)  # fmt: skip
# The family, given and full keys are filled by the loader with the registry's normaliser.
PERSON_COLUMNS = (
    "id", "family_name", "given_name", "patronymic", "sex", "birth_date", "pin", "disability",
    "disability_support", "school_enrolment", "school", "migration_status",
    "migration_country", "migration_since", "version", "created_at", "updated_at",
    "merged_into",
)  # fmt: skip
MEMBER_COLUMNS = ("household_id", "person_id", "role", "since", "until", "caregiver_person_id")


def latin(name: str, rng: random.Random | None = None) -> str:
    """A Cyrillic name in Latin: the passport's spelling, or with rng one people type."""
    out = []
    for ch in name:
        lower = ch.lower()
        options = LATIN.get(lower, (lower,))
        typed = options[0] if rng is None or rng.random() < 0.6 else rng.choice(options)
        out.append(typed.capitalize() if ch != lower and typed else typed)
    return "".join(out)


def typo(word: str, rng: random.Random) -> str:
    """One slip of the keyboard in a word: a letter dropped, doubled, swapped or misheard."""
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    vowels = [j for j in range(1, len(word)) if word[j] in VOWEL_SLIPS]
    if not vowels:
        return word[:i] + word[i + 1 :]
    j = rng.choice(vowels)
    return word[:j] + VOWEL_SLIPS[word[j]] + word[j + 1 :]


def _family_name(root: str, sex: str) -> str:
    if root.endswith(("ов", "ев", "ёв", "ин")):  # a root that is a family name already
        base = root
    elif root.endswith("й"):
        base = root[:-1] + "ев"
    elif root.endswith(("а", "ы", "и", "е", "у", "о")):
        base = root + "ев"
    else:
        base = root + "ов"
    return base + ("а" if sex == "female" else "")


def _zipf(items: tuple[str, ...]) -> list[float]:
    """Cumulative weights that make a few names common and most rare, as names are."""
    return list(itertools.accumulate(1 / (rank + 1) ** 0.3 for rank in range(len(items))))


class Register:
    """The generator: `households()` streams them; `targets` fills as it goes."""

    def __init__(self, children: int, *, seed: int = 7, targets: int = 400) -> None:
        self.children = children
        self.rng = random.Random(seed)
        self.target_every = max(1, children // targets)
        self.targets: list[Target] = []
        self._serials: dict[tuple[str, date], int] = {}
        self._weights = {
            "ky_f": _zipf(KY_GIVEN_FEMALE),
            "ky_m": _zipf(KY_GIVEN_MALE),
            "ky_root": _zipf(KY_FAMILY_ROOTS),
            "ru_f": _zipf(RU_GIVEN_FEMALE),
            "ru_m": _zipf(RU_GIVEN_MALE),
            "ru_family": _zipf(RU_FAMILY),
        }

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _pick(self, items: tuple[str, ...], weights: str) -> str:
        return self.rng.choices(items, cum_weights=self._weights[weights])[0]

    def _pin(self, sex: str, born: date) -> str | None:
        # One in twenty children has no PIN on record yet; serials count per sex and day.
        if self.rng.random() < 0.05:
            return None
        serial = self._serials.get((sex, born), self.rng.randrange(10_000, 20_000)) + 1
        self._serials[(sex, born)] = serial
        return f"{'1' if sex == 'female' else '2'}{born:%d%m%Y}{serial:05d}"

    def _birth_date(self, min_age: int, max_age: int) -> date:
        days = self.rng.randrange(min_age * 365, (max_age + 1) * 365 - 1)
        return TODAY - timedelta(days=days)

    def _pick_given(self, russian: bool, sex: str) -> str:
        if russian:
            return self._pick(
                RU_GIVEN_FEMALE if sex == "female" else RU_GIVEN_MALE,
                "ru_f" if sex == "female" else "ru_m",
            )
        return self._pick(
            KY_GIVEN_FEMALE if sex == "female" else KY_GIVEN_MALE,
            "ky_f" if sex == "female" else "ky_m",
        )

    def _person(
        self,
        *,
        family_name: str,
        given_name: str,
        patronymic: str | None,
        sex: str,
        born: date,
        child: bool,
        migration: tuple[str, str | None, date | None],
    ) -> tuple[object, ...]:
        age = (TODAY - born).days // 365
        disability = self.rng.random() < 0.03 if child else None
        if not child:
            school = None
        elif age < 7:
            school = "not_school_age"
        else:
            school = "enrolled" if self.rng.random() < 0.96 else "not_enrolled"
        status, country, since = migration if child else (None, None, None)
        return (
            self._id(),
            family_name,
            given_name,
            patronymic,
            sex,
            born,
            self._pin(sex, born),
            disability,
            (self.rng.random() < 0.5) if disability else None,
            school,
            None,
            status,
            country,
            since,
            1,
            CREATED_AT,
            None,
            None,
        )

    def _target(self, person: tuple[object, ...], district: str, russian: bool) -> Target:
        rng = self.rng
        family, given = str(person[1]), str(person[2])
        born = person[5]
        assert isinstance(born, date)
        typed_family, typed_given = latin(family, rng), latin(given, rng)
        # Half the typo'd searches put the given name first, as people often type it.
        typo_words = [
            typo(typed_family, rng),
            typo(typed_given, rng) if rng.random() < 0.5 else typed_given,
        ]
        if rng.random() < 0.5:
            typo_words.reverse()
        queries = {
            "cyrillic_exact": f"{family} {given}",
            "latin": f"{latin(family)} {latin(given)}",
            "latin_typo": " ".join(typo_words),
            "surname_only": family,
            "filtered": f"{family} {given}"
            if rng.random() < 0.5
            else f"{typed_family} {typed_given}",
        }
        full = f"{family} {given}"
        if any(ch in KYRGYZ_LETTERS for ch in full.lower()):
            # Typed on a Russian keyboard (Үмүт as Умут) or in Latin with y for ү (Ymyt).
            if rng.random() < 0.5:
                queries["kyrgyz_letters"] = "".join(KYRGYZ_LETTERS.get(c, c) for c in full)
            else:
                queries["kyrgyz_letters"] = latin(full.replace("ү", "ы").replace("Ү", "Ы"))
        return Target(
            person_id=str(person[0]),
            family_name=family,
            given_name=given,
            district=district,
            birth_year=born.year,
            queries=queries,
        )

    def households(self) -> Iterator[Generated]:
        """Households until `children` children are made; the last may have fewer."""
        rng = self.rng
        made = 0
        while made < self.children:
            region, district = rng.choices(DISTRICTS, cum_weights=DISTRICT_WEIGHTS)[0]
            russian = rng.random() < (0.25 if region in ("KG-GB", "KG-C") else 0.04)
            root = (
                self._pick(RU_FAMILY, "ru_family")
                if russian
                else self._pick(KY_FAMILY_ROOTS, "ky_root")
            )
            father = self._pick_given(russian, "male")
            household_id = self._id()
            household = (
                household_id,
                region,
                district,
                rng.choice(SETTLEMENTS),
                f"ул. {rng.choice(STREETS)}, {rng.randrange(1, 200)}",
                f"+996{rng.randrange(500_000_000, 999_999_999)}" if rng.random() < 0.8 else None,
                "ru" if russian else "ky",
                1,
                CREATED_AT,
                CREATED_AT,
                "bench",
                None,
            )
            # Parents abroad (DOMAIN): the caregiver is then often a grandmother.
            abroad = rng.random() < 0.18
            grandmother = abroad and rng.random() < 0.6
            carer_root = (
                root
                if rng.random() < 0.7
                else (
                    self._pick(RU_FAMILY, "ru_family")
                    if russian
                    else self._pick(KY_FAMILY_ROOTS, "ky_root")
                )
            )
            carer = self._person(
                family_name=_family_name(carer_root, "female"),
                given_name=self._pick_given(russian, "female"),
                patronymic=None,
                sex="female",
                born=self._birth_date(50, 70) if grandmother else self._birth_date(22, 45),
                child=False,
                migration=("home", None, None),
            )
            migration: tuple[str, str | None, date | None] = (
                (
                    "abroad",
                    rng.choice(("RU", "RU", "RU", "KZ", "TR", "KR")),
                    date(2024, rng.randrange(1, 13), 1),
                )
                if abroad
                else ("home", None, None)
            )
            persons = [carer]
            members: list[tuple[object, ...]] = [
                (
                    household_id,
                    carer[0],
                    "grandparent" if grandmother else "parent",
                    date(2026, 1, 15),
                    None,
                    None,
                )
            ]
            target = None
            for _ in range(min(rng.choice((1, 1, 2, 2, 2, 3, 3, 4)), self.children - made)):
                sex = "female" if rng.random() < 0.49 else "male"
                given = self._pick_given(russian, sex)
                if not russian and rng.random() < 0.03:
                    # Some Kyrgyz families write "son of"/"daughter of" instead of -ов/-ова.
                    family = f"{father} {'кызы' if sex == 'female' else 'уулу'}"
                else:
                    family = _family_name(root, sex)
                patronymic = father + ("овна" if sex == "female" else "ович") if russian else None
                child = self._person(
                    family_name=family,
                    given_name=given,
                    patronymic=patronymic,
                    sex=sex,
                    born=self._birth_date(0, 17),
                    child=True,
                    migration=migration,
                )
                persons.append(child)
                members.append((household_id, child[0], "child", date(2026, 1, 15), None, carer[0]))
                if made % self.target_every == 0 and len(self.targets) < self.children:
                    target = self._target(child, district, russian)
                    self.targets.append(target)
                made += 1
            yield Generated(household, persons, members, target)
