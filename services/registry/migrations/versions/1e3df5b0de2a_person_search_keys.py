"""person search keys

Revision ID: 1e3df5b0de2a
Revises: c4d17f03afcb
Create Date: 2026-12-02 17:51:26.250821
"""
import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '1e3df5b0de2a'
down_revision: str | None = 'c4d17f03afcb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000

# The name normalisation as it stands at this revision (kamkor_registry.search.normalise),
# frozen here so that the backfill never changes with later code. A change of the
# normalisation needs its own migration that re-keys every person.
CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "j",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "ң": "n",
    "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "w", "ш": "w", "щ": "w", "ъ": "", "ы": "i",
    "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i", "ә": "a", "ғ": "g", "қ": "k",
    "ұ": "u", "һ": "h", "ў": "u",
}  # fmt: skip
LATIN_MARKED = {"w": "v", "ı": "i", "ş": "w", "ç": "w", "ə": "a", "ñ": "n", "ø": "o", "ß": "s"}
DIGRAPHS = (
    ("shch", "w"), ("sch", "w"), ("tch", "w"), ("dzh", "j"), ("zh", "j"), ("dj", "j"),
    ("kh", "h"), ("gh", "g"), ("sh", "w"), ("ch", "w"), ("ts", "c"), ("tz", "c"), ("ck", "k"),
    ("ph", "f"),
    ("x", "h"), ("q", "k"), ("ng", "n"),
)  # fmt: skip
ENDINGS = (("skaia", "skii"), ("ova", "ov"), ("eva", "ev"), ("ina", "in"), ("off", "ov"))
WORDS = {"uli": "ulu", "uuli": "ulu"}
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.,/]+")
_NOT_LETTER = re.compile(r"[^a-z]")
_REPEATS = re.compile(r"(.)\1+")


def _fold_word(word: str) -> str:
    for typed, key in DIGRAPHS:
        word = word.replace(typed, key)
    word = _REPEATS.sub(r"\1", _NOT_LETTER.sub("", word.replace("y", "i")))
    if len(word) > 4:
        for ending, key in ENDINGS:
            if word.endswith(ending):
                word = word[: -len(ending)] + key
                break
    return WORDS.get(word, word)


def _key(text: str) -> str:
    lowered = unicodedata.normalize("NFC", text).lower()
    spelled = "".join(CYRILLIC.get(ch, LATIN_MARKED.get(ch, ch)) for ch in lowered)
    decomposed = unicodedata.normalize("NFKD", spelled)
    latin = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(w for w in (_fold_word(p) for p in _SEPARATORS.split(latin)) if w)


def name_keys(family_name: str, given_name: str) -> tuple[str, str, str]:
    family, given = _key(family_name), _key(given_name)
    return family, given, f"{family} {given}".strip()


def _backfill() -> None:
    connection = op.get_bind()
    persons = sa.table(
        "persons",
        sa.column("id", sa.String),
        sa.column("family_name", sa.String),
        sa.column("given_name", sa.String),
        sa.column("family_key", sa.String),
        sa.column("given_key", sa.String),
        sa.column("full_key", sa.String),
    )
    update = (
        persons.update()
        .where(persons.c.id == sa.bindparam("person_id"))
        .values(
            family_key=sa.bindparam("family"),
            given_key=sa.bindparam("given"),
            full_key=sa.bindparam("full"),
        )
    )
    after = ""
    while True:
        # Keyset pages by id: flat memory and no re-reading at any size of the register.
        rows = connection.execute(
            sa.select(persons.c.id, persons.c.family_name, persons.c.given_name)
            .where(persons.c.id > after)
            .order_by(persons.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        keyed = []
        for person_id, family_name, given_name in rows:
            family, given, full = name_keys(family_name, given_name)
            keyed.append({"person_id": person_id, "family": family, "given": given, "full": full})
        connection.execute(update, keyed)
        after = rows[-1][0]


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family_key', sqlmodel.sql.sqltypes.AutoString(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('given_key', sqlmodel.sql.sqltypes.AutoString(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('full_key', sqlmodel.sql.sqltypes.AutoString(length=511), server_default='', nullable=False))
    _backfill()
    # Trigram indexes exist on PostgreSQL only; on SQLite the same names are plain indexes.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_birth_date', ['birth_date'], unique=False)
        batch_op.create_index('ix_persons_family_key', ['family_key'], unique=False, postgresql_using='gin', postgresql_ops={'family_key': 'gin_trgm_ops'})
        batch_op.create_index('ix_persons_given_key', ['given_key'], unique=False, postgresql_using='gin', postgresql_ops={'given_key': 'gin_trgm_ops'})


def downgrade() -> None:
    # The pg_trgm extension stays: other database objects may have come to use it.
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_given_key')
        batch_op.drop_index('ix_persons_family_key')
        batch_op.drop_index('ix_persons_birth_date')
        batch_op.drop_column('full_key')
        batch_op.drop_column('given_key')
        batch_op.drop_column('family_key')
