"""Bulk intake on PostgreSQL: N generated rows through one job; rows/s and peak RSS.

`python -m bench intake --rows 100000`. The rows (`generate`) are a field round as it
comes: Kyrgyz and Russian names in Cyrillic and Latin, families of one to four children
with a caregiver, 1 % of rows bad for a known reason, 2 % repeats of rows before them.
"""

from __future__ import annotations

import csv
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

FAMILY = [
    "Адылбеков",
    "Асанов",
    "Жумабаев",
    "Токтогулов",
    "Мамытов",
    "Сыдыков",
    "Осмонов",
    "Абдыкадыров",
    "Бекмуратов",
    "Турдубаев",
    "Кадыров",
    "Исаков",
    "Иванов",
    "Петров",
    "Ким",
    "Садыков",
    "Эсенов",
    "Үсөнов",
    "Өмүрбеков",
    "Нурланов",
    "Керимбеков",
    "Alymbekov",
    "Dzhaparov",
    "Sultanbaev",
    "Chynybaev",
    "Orozbekov",
    "Abdrakhmanov",
    "Kudaibergenov",
]
GIVEN_F = [
    "Айдай",
    "Айгерим",
    "Бегимай",
    "Нургуль",
    "Жылдыз",
    "Айпери",
    "Мээрим",
    "Үмүт",
    "Гүлнара",
    "Анна",
    "Мария",
    "Елена",
    "Aizada",
    "Asel",
    "Cholpon",
    "Kanykei",
    "Nazira",
]
GIVEN_M = [
    "Нурлан",
    "Бакыт",
    "Азамат",
    "Эрлан",
    "Тимур",
    "Адилет",
    "Бекжан",
    "Эмир",
    "Өмүр",
    "Иван",
    "Сергей",
    "Алексей",
    "Aibek",
    "Bolot",
    "Daniyar",
    "Ermek",
    "Kanat",
    "Ulan",
]
PATRONYMIC_F = ["Нурлановна", "Асановна", "Бакытовна", "Ивановна", "Kanatovna"]
PATRONYMIC_M = ["Нурланович", "Асанович", "Бакытович", "Иванович", "Kanatovich"]
PLACES = [
    ("KG-J", "KG-J-06", "Kochkor-Ata"),
    ("KG-J", "KG-J-01", "Suzak"),
    ("KG-O", "KG-O-01", "Kara-Suu"),
    ("KG-C", "KG-C-01", "Kant"),
    ("KG-N", "KG-N-01", "At-Bashy"),
]
STREETS = ["Toktogul", "Lenin", "Manas", "Chui", "Ibraimov", "Frunze"]
# The ways a field worker's row goes wrong, one reason code each.
BAD = (
    ("missing_field", {"given_name": ""}),
    ("invalid_birth_date", {"birth_date": "31.02.2016"}),
    ("invalid_birth_date", {"birth_date": "2031-01-01"}),
    ("invalid_pin", {"pin": "12345"}),
    ("invalid_value", {"sex": "f"}),
    ("unknown_location", {"district": "KG-J-99"}),
    ("invalid_value", {"language": "de"}),
)


def _feminine(name: str) -> str:
    if name.endswith(("ов", "ев", "ин")):
        return name + "\u0430"  # Cyrillic a
    if name.endswith(("ov", "ev", "in")):
        return name + "a"
    return name


@dataclass(frozen=True)
class Generated:
    rows: list[dict[str, str]]
    # Row numbers as the file numbers them (CSV: header is row 1).
    bad: dict[int, str]
    repeats: set[int]


def _pin(sex: str, born: date, serial: int) -> str:
    return f"{'1' if sex == 'female' else '2'}{born:%d%m%Y}{serial:05d}"


def _families(rng: random.Random, ref_prefix: str) -> Iterator[list[dict[str, str]]]:
    today = date(2026, 11, 1)
    serial = 0
    number = 0
    while True:
        number += 1
        region, district, settlement = rng.choice(PLACES)
        family = rng.choice(FAMILY)
        cg_sex = rng.choice(("female", "female", "male"))
        cg_born = today - timedelta(days=rng.randint(22 * 365, 70 * 365))
        household = {
            "household_ref": f"{ref_prefix}/{district}/{number:06d}",
            "region": region,
            "district": district,
            "settlement": settlement,
            "address": f"{rng.choice(STREETS)} st. {rng.randint(1, 200)}",
            "phone": f"+996 {rng.randint(500, 779)} {rng.randint(100000, 999999)}",
            "language": rng.choice(("ky", "ky", "ru")),
            "caregiver_role": "grandparent" if cg_born.year < 1975 else "parent",
            "caregiver_family_name": _feminine(family) if cg_sex == "female" else family,
            "caregiver_given_name": rng.choice(GIVEN_F if cg_sex == "female" else GIVEN_M),
            "caregiver_patronymic": "",
            "caregiver_sex": cg_sex,
            "caregiver_birth_date": cg_born.isoformat(),
            "caregiver_pin": "",
        }
        children = []
        used: set[str] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
            sex = rng.choice(("female", "male"))
            given = rng.choice(GIVEN_F if sex == "female" else GIVEN_M)
            if given in used:
                continue
            used.add(given)
            born = today - timedelta(days=rng.randint(30, 17 * 365))
            serial += 1
            children.append(
                {
                    **household,
                    "family_name": _feminine(family) if sex == "female" else family,
                    "given_name": given,
                    "patronymic": rng.choice(PATRONYMIC_F if sex == "female" else PATRONYMIC_M),
                    "sex": sex,
                    "birth_date": born.isoformat(),
                    # Most children of a round have no PIN on paper yet.
                    "pin": _pin(sex, born, serial % 100000) if rng.random() < 0.4 else "",
                    "disability": rng.choice(("", "", "", "false", "true")),
                    "school_enrolment": "enrolled" if born.year < 2020 else "not_school_age",
                    "school": "",
                }
            )
        yield children


def generate(
    n: int,
    *,
    seed: int = 7,
    bad_share: float = 0.01,
    repeat_share: float = 0.02,
    ref_prefix: str = "2026-H2",
) -> Generated:
    """N rows: bad ones at random places (each a known reason), repeats of earlier rows."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    bad: dict[int, str] = {}
    repeats: set[int] = set()
    families = _families(rng, ref_prefix)
    pending: list[dict[str, str]] = []
    serial_pins: set[str] = set()
    while len(rows) < n:
        number = len(rows) + 2
        roll = rng.random()
        if roll < bad_share and rows:
            code, change = rng.choice(BAD)
            row = {**(pending.pop() if pending else next(families)[0]), **change}
            bad[number] = code
        elif roll < bad_share + repeat_share and len(rows) > 10:
            origin = rng.randrange(len(rows))
            if origin + 2 in bad or origin + 2 in repeats:
                continue
            row = dict(rows[origin])
            repeats.add(number)
        else:
            if not pending:
                pending = next(families)
                pending.reverse()
            row = pending.pop()
            if row["pin"] and row["pin"] in serial_pins:
                row["pin"] = ""
            if row["pin"]:
                serial_pins.add(row["pin"])
        rows.append(row)
    return Generated(rows=rows, bad=bad, repeats=repeats)


def to_csv(rows: list[dict[str, str]], path: Path) -> None:
    from kamkor_registry.intake.columns import COLUMNS

    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


class _PeakRss:
    """The process's resident memory, sampled every 50 ms while the job runs."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.start = self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def run(rows: int) -> dict[str, dict[str, Any]]:
    """One job of `rows` generated rows on a fresh PostgreSQL database."""
    from kamkor_common.auth import Principal
    from kamkor_common.db import Database, migrate
    from kamkor_common.testing import create_database, database_url, drop_database
    from kamkor_registry.intake import service, worker
    from kamkor_registry.intake.models import FileFormat
    from kamkor_registry.main import MIGRATIONS

    name = await create_database("bench_intake")
    database = Database(database_url(name), pool_size=2, max_overflow=2)
    try:
        await migrate(database.engine, MIGRATIONS)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "round.csv"
            generated = generate(rows)
            to_csv(generated.rows, path)
            bad, repeats = len(generated.bad), len(generated.repeats)
            del generated
            digest, size = service.spool_digest(path)
            upload = service.Upload(
                path=path, sha256=digest, size_bytes=size, format=FileFormat.csv
            )
            async with database.sessionmaker() as session, session.begin():
                job, _ = await service.create_job(
                    session=session,
                    upload=upload,
                    principal=Principal(subject="bench", role="admin"),
                    purpose="bench",
                )
            with _PeakRss() as rss:
                began = time.perf_counter()
                await worker.run_next(database.sessionmaker)
                elapsed = time.perf_counter() - began
        async with database.sessionmaker() as session:
            done = await service.get_job(
                session=session, job_id=job.id, principal=Principal(subject="bench", role="admin")
            )
    finally:
        await database.dispose()
        await drop_database(name)
    mib = 1024 * 1024
    return {
        f"{rows} rows, {size // mib} MiB CSV": {
            "status": done.status,
            "seconds": round(elapsed, 1),
            "rows_per_s": round(rows / elapsed),
            "children_committed_per_s": round(done.rows_committed / elapsed),
            "committed": done.rows_committed,
            "matched": f"{done.rows_matched} (of {repeats} repeats)",
            "rejected": f"{done.rows_rejected} (of {bad} bad)",
            "rss_before_mib": round(rss.start / mib),
            "rss_peak_mib": round(rss.peak / mib),
        }
    }
