"""The indicator vocabulary shared by screenings and home-visit observations (DESIGN §5).

Codes are a contract: rule sets, stored screenings and events refer to them. Add new
indicators freely; never rename or retype an existing one.
"""

# The ky/ru labels are Cyrillic by design; RUF001 would flag letters that merely look Latin.
# ruff: noqa: RUF001

from __future__ import annotations

from kamkor_common.indicators.schemas import Indicator, IndicatorType, Label


def _indicator(
    code: str,
    type_: IndicatorType,
    ky: str,
    ru: str,
    en: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    unit: str | None = None,
) -> Indicator:
    return Indicator(
        code=code,
        type=type_,
        minimum=minimum,
        maximum=maximum,
        unit=unit,
        label=Label(ky=ky, ru=ru, en=en),
    )


INDICATORS: tuple[Indicator, ...] = (
    # financial
    _indicator(
        "monthly_income_per_person",
        "number",
        "Бир адамга айлык киреше (сом)",
        "Ежемесячный доход на человека (сом)",
        "Monthly income per person (som)",
        minimum=0,
        maximum=10_000_000,
        unit="som",
    ),
    _indicator(
        "below_subsistence_minimum",
        "bool",
        "Киреше жашоо минимумунан төмөн",
        "Доход ниже прожиточного минимума",
        "Income below the subsistence minimum",
    ),
    _indicator(
        "debt_arrears_months",
        "int",
        "Карыз төлөмдөрү кечиктирилген (ай)",
        "Просрочка платежей по долгам (месяцев)",
        "Overdue debt payments (months)",
        minimum=0,
        maximum=240,
        unit="months",
    ),
    _indicator(
        "utility_arrears_months",
        "int",
        "Коммуналдык кызматтар үчүн карыз (ай)",
        "Задолженность за коммунальные услуги (месяцев)",
        "Unpaid utility bills (months)",
        minimum=0,
        maximum=240,
        unit="months",
    ),
    _indicator(
        "breadwinner_unemployed",
        "bool",
        "Үй-бүлөнү багуучу жумушсуз",
        "Кормилец семьи без работы",
        "Breadwinner unemployed",
    ),
    _indicator(
        "lost_income_recently",
        "bool",
        "Жакында кирешеден ажыраган",
        "Недавно лишились дохода",
        "Lost income recently",
    ),
    # housing
    _indicator(
        "rent_arrears_months",
        "int",
        "Батир акысы боюнча карыз (ай)",
        "Задолженность по арендной плате (месяцев)",
        "Rent arrears (months)",
        minimum=0,
        maximum=240,
        unit="months",
    ),
    _indicator(
        "eviction_notice_days",
        "int",
        "Үйдөн чыгарылганга чейин калган күндөр",
        "Дней до выселения",
        "Days until eviction",
        minimum=0,
        maximum=3650,
        unit="days",
    ),
    _indicator(
        "homeless_now",
        "bool",
        "Үй-бүлө азыр баш калкалоочу жайсыз",
        "Семья сейчас без жилья",
        "Family is homeless now",
    ),
    _indicator(
        "housing_unsafe",
        "bool",
        "Турак жай жашоо үчүн коопсуз эмес",
        "Жильё небезопасно для проживания",
        "Housing is unsafe",
    ),
    _indicator(
        "overcrowded",
        "bool",
        "Турак жай өтө тыгыз",
        "Жильё перенаселено",
        "Housing is overcrowded",
    ),
    # psychosocial
    _indicator(
        "caregiver_stress",
        "int",
        "Камкорчунун стресс деңгээли (0–10)",
        "Уровень стресса у опекуна (0–10)",
        "Caregiver stress (0–10)",
        minimum=0,
        maximum=10,
        unit="points",
    ),
    _indicator(
        "domestic_violence_signs",
        "bool",
        "Үй-бүлөлүк зомбулуктун белгилери",
        "Признаки домашнего насилия",
        "Signs of domestic violence",
    ),
    _indicator(
        "substance_abuse_in_household",
        "bool",
        "Үй-бүлөдө ичкилик же баңгизат колдонуу",
        "Злоупотребление алкоголем или наркотиками в семье",
        "Alcohol or drug abuse in the household",
    ),
    # maternal and newborn
    _indicator(
        "pregnant_without_support",
        "bool",
        "Колдоосуз калган кош бойлуу аял",
        "Беременная без поддержки",
        "Pregnant without support",
    ),
    _indicator(
        "intends_to_give_up_newborn",
        "bool",
        "Жаңы төрөлгөн баладан баш тартуу ниети",
        "Намерение отказаться от новорождённого",
        "Intends to give up the newborn",
    ),
    _indicator(
        "newborn_under_3_months",
        "bool",
        "Үч айга толо элек ымыркай",
        "Новорождённый младше трёх месяцев",
        "Newborn under three months",
    ),
    # child protection
    _indicator(
        "child_works",
        "bool",
        "Бала иштейт",
        "Ребёнок работает",
        "Child works",
    ),
    _indicator(
        "child_works_hazardous",
        "bool",
        "Бала коркунучтуу жумушта иштейт",
        "Ребёнок занят на опасной работе",
        "Child does hazardous work",
    ),
    _indicator(
        "child_out_of_school",
        "bool",
        "Бала мектепке барбайт",
        "Ребёнок не посещает школу",
        "Child out of school",
    ),
    # caregiving
    _indicator(
        "both_parents_abroad",
        "bool",
        "Ата-эненин экөө тең чет өлкөдө",
        "Оба родителя за границей",
        "Both parents abroad",
    ),
    _indicator(
        "caregiver_age",
        "int",
        "Камкорчунун жашы",
        "Возраст опекуна (лет)",
        "Caregiver's age (years)",
        minimum=0,
        maximum=120,
        unit="years",
    ),
    _indicator(
        "caregiver_ill_or_disabled",
        "bool",
        "Камкорчу ооруйт же майып",
        "Опекун болен или имеет инвалидность",
        "Caregiver ill or disabled",
    ),
    _indicator(
        "siblings_separated",
        "bool",
        "Бир туугандар бөлүнүп жашайт",
        "Братья и сёстры живут раздельно",
        "Siblings live apart",
    ),
    _indicator(
        "child_disability_without_support",
        "bool",
        "Майыптыгы бар бала колдоосуз",
        "Ребёнок с инвалидностью без поддержки",
        "Child with a disability without support",
    ),
)

INDICATORS_BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}
