"""Kyrgyzstan's regions (ISO 3166-2:KG) and their districts, with names in ky/ru/en."""

# The ky/ru names are Cyrillic by design; RUF001 would flag letters that merely look Latin.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

__all__ = [
    "DISTRICTS_BY_CODE",
    "KYRGYZSTAN_TZ",
    "REGIONS",
    "REGIONS_BY_CODE",
    "District",
    "LocalizedName",
    "Region",
    "age_on",
    "is_valid_location",
    "local_today",
    "region_of",
]


@dataclass(frozen=True, slots=True)
class LocalizedName:
    ky: str
    ru: str
    en: str


@dataclass(frozen=True, slots=True)
class District:
    code: str
    region: str  # the region code
    name: LocalizedName


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: LocalizedName
    districts: tuple[District, ...]


def _region(
    code: str,
    ky: str,
    ru: str,
    en: str,
    districts: list[tuple[str, str, str]],
) -> Region:
    """Build a region whose districts are numbered 01, 02, ... in the listed order.

    Codes are stable: new units must only ever be appended to a region's list.
    """
    return Region(
        code=code,
        name=LocalizedName(ky=ky, ru=ru, en=en),
        districts=tuple(
            District(
                code=f"{code}-{number:02d}",
                region=code,
                name=LocalizedName(ky=d_ky, ru=d_ru, en=d_en),
            )
            for number, (d_ky, d_ru, d_en) in enumerate(districts, start=1)
        ),
    )


# Each region lists its districts (raions) first, then the cities of regional
# significance that act as district-level units. Bishkek is split into its four
# city districts; Osh city is a single unit.
REGIONS: tuple[Region, ...] = (
    _region(
        "KG-GB",
        "Бишкек шаары",
        "город Бишкек",
        "Bishkek City",
        [
            ("Ленин району", "Ленинский район", "Leninsky District"),
            ("Октябрь району", "Октябрьский район", "Oktyabrsky District"),
            ("Биринчи Май району", "Первомайский район", "Pervomaisky District"),
            ("Свердлов району", "Свердловский район", "Sverdlovsky District"),
        ],
    ),
    _region(
        "KG-GO",
        "Ош шаары",
        "город Ош",
        "Osh City",
        [
            ("Ош шаары", "город Ош", "Osh City"),
        ],
    ),
    _region(
        "KG-B",
        "Баткен облусу",
        "Баткенская область",
        "Batken Region",
        [
            ("Баткен району", "Баткенский район", "Batken District"),
            ("Кадамжай району", "Кадамжайский район", "Kadamjay District"),
            ("Лейлек району", "Лейлекский район", "Leilek District"),
            ("Баткен шаары", "город Баткен", "Batken City"),
            ("Кызыл-Кыя шаары", "город Кызыл-Кия", "Kyzyl-Kiya City"),
            ("Сүлүктү шаары", "город Сулюкта", "Sulukta City"),
        ],
    ),
    _region(
        "KG-C",
        "Чүй облусу",
        "Чуйская область",
        "Chüy Region",
        [
            ("Аламүдүн району", "Аламудунский район", "Alamüdün District"),
            ("Чүй району", "Чуйский район", "Chüy District"),
            ("Жайыл району", "Жайыльский район", "Jayyl District"),
            ("Кемин району", "Кеминский район", "Kemin District"),
            ("Москва району", "Московский район", "Moskva District"),
            ("Панфилов району", "Панфиловский район", "Panfilov District"),
            ("Сокулук району", "Сокулукский район", "Sokuluk District"),
            ("Ысык-Ата району", "Ысык-Атинский район", "Ysyk-Ata District"),
            ("Токмок шаары", "город Токмок", "Tokmok City"),
        ],
    ),
    _region(
        "KG-J",
        "Жалал-Абад облусу",
        "Джалал-Абадская область",
        "Jalal-Abad Region",
        [
            ("Аксы району", "Аксыйский район", "Aksy District"),
            ("Ала-Бука району", "Ала-Букинский район", "Ala-Buka District"),
            ("Базар-Коргон району", "Базар-Коргонский район", "Bazar-Korgon District"),
            ("Чаткал району", "Чаткальский район", "Chatkal District"),
            ("Ноокен району", "Ноокенский район", "Nooken District"),
            ("Сузак району", "Сузакский район", "Suzak District"),
            ("Тогуз-Торо району", "Тогуз-Тороуский район", "Toguz-Toro District"),
            ("Токтогул району", "Токтогульский район", "Toktogul District"),
            ("Жалал-Абад шаары", "город Джалал-Абад", "Jalal-Abad City"),
            ("Кара-Көл шаары", "город Кара-Куль", "Kara-Köl City"),
            ("Майлуу-Суу шаары", "город Майлуу-Суу", "Mailuu-Suu City"),
            ("Таш-Көмүр шаары", "город Таш-Кумыр", "Tash-Kömür City"),
        ],
    ),
    _region(
        "KG-N",
        "Нарын облусу",
        "Нарынская область",
        "Naryn Region",
        [
            ("Ак-Талаа району", "Ак-Талинский район", "Ak-Talaa District"),
            ("Ат-Башы району", "Ат-Башинский район", "At-Bashy District"),
            ("Жумгал району", "Джумгальский район", "Jumgal District"),
            ("Кочкор району", "Кочкорский район", "Kochkor District"),
            ("Нарын району", "Нарынский район", "Naryn District"),
            ("Нарын шаары", "город Нарын", "Naryn City"),
        ],
    ),
    _region(
        "KG-O",
        "Ош облусу",
        "Ошская область",
        "Osh Region",
        [
            ("Алай району", "Алайский район", "Alai District"),
            ("Араван району", "Араванский район", "Aravan District"),
            ("Чоң-Алай району", "Чон-Алайский район", "Chong-Alai District"),
            ("Кара-Кулжа району", "Кара-Кульджинский район", "Kara-Kulja District"),
            ("Кара-Суу району", "Кара-Сууйский район", "Kara-Suu District"),
            ("Ноокат району", "Ноокатский район", "Nookat District"),
            ("Өзгөн району", "Узгенский район", "Uzgen District"),
        ],
    ),
    _region(
        "KG-T",
        "Талас облусу",
        "Таласская область",
        "Talas Region",
        [
            ("Бакай-Ата району", "Бакай-Атинский район", "Bakai-Ata District"),
            ("Кара-Буура району", "Кара-Бууринский район", "Kara-Buura District"),
            ("Манас району", "Манасский район", "Manas District"),
            ("Талас району", "Таласский район", "Talas District"),
            ("Талас шаары", "город Талас", "Talas City"),
        ],
    ),
    _region(
        "KG-Y",
        "Ысык-Көл облусу",
        "Иссык-Кульская область",
        "Issyk-Kul Region",
        [
            ("Ак-Суу району", "Ак-Суйский район", "Ak-Suu District"),
            ("Жети-Өгүз району", "Джети-Огузский район", "Jeti-Ögüz District"),
            ("Ысык-Көл району", "Иссык-Кульский район", "Ysyk-Köl District"),
            ("Тоң району", "Тонский район", "Ton District"),
            ("Түп району", "Тюпский район", "Tüp District"),
            ("Каракол шаары", "город Каракол", "Karakol City"),
            ("Балыкчы шаары", "город Балыкчы", "Balykchy City"),
        ],
    ),
)

REGIONS_BY_CODE: dict[str, Region] = {region.code: region for region in REGIONS}

DISTRICTS_BY_CODE: dict[str, District] = {
    district.code: district for region in REGIONS for district in region.districts
}


def region_of(district_code: str) -> str | None:
    """The region code of a district, or None if unknown."""
    district = DISTRICTS_BY_CODE.get(district_code)
    return district.region if district is not None else None


def is_valid_location(region: str, district: str) -> bool:
    """True when the district exists and lies in the region."""
    return region in REGIONS_BY_CODE and region_of(district) == region


KYRGYZSTAN_TZ = timezone(timedelta(hours=6), "Asia/Bishkek")


def local_today() -> date:
    """Today's date in Kyrgyzstan (UTC+6, no daylight saving): ages and deadlines use it."""
    return datetime.now(KYRGYZSTAN_TZ).date()


def age_on(birth_date: date, day: date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
