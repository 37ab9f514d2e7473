"""Province-sized data for benchmarks: the tree, its people and the fast table writer the other builders share.

`manage.py seed_scale --orgs 100000` builds, in order, `accounts_scale_build` (this module),
`responsibility_scale_build`, `reviews_scale_build` and `rectification_scale_build`. Unlike the
demo builders, nothing goes through the services: rows are generated in Python with explicit ids
and written in batches (COPY on PostgreSQL, bulk_create elsewhere), so a province of 100,000
organizations loads in minutes. The price: no history rows (django-simple-history writes them
from model signals, which bulk writes skip) and no notifications.

省委 (1)
└── 市委 (about 10)
    └── 县委 / 区委 (about 10 a city)
        ├── 镇党委 / 乡党委 / 街道党工委 (about 21 a county, one of them 县直机关工委)
        │   └── 村 / 社区 / 学校 / 企业 / 机关党支部 (the rest, about 46 a township)

Names, people and figures come from a seeded `random.Random`: the same size and seed give the
same data.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection
from django.db.models import JSONField, Max, Model
from django.utils import timezone

from accounts.models import Organization, Position, User
from seeding.demo.people import GIVEN_NAMES, SURNAMES, TERM_START

Kind = Organization.Kind
Sector = Organization.Sector
Role = Position.Role

SCALE_PASSWORD = "bench-pass-2026"
PROVINCE_LOGIN = "scale-province"
COUNTY_LOGIN = "scale-county"
SECRETARY_LOGIN = "scale-secretary"
REVIEWER_LOGIN = "scale-reviewer"
SCALE_LOGINS: list[tuple[str, str]] = [
    (PROVINCE_LOGIN, "省委组织委员：督导全省党组织"),
    (COUNTY_LOGIN, "第一个县委的组织委员：督导本县党组织"),
    (SECRETARY_LOGIN, "第一个县第一个党支部的书记"),
    (REVIEWER_LOGIN, "第一个县委的纪检委员：述职评议评分人"),
]
MIN_ORGS = 20

# At 100,000 organizations: 10 cities, 100 counties of about 1,000 organizations each (the
# county summary PDF the benchmark renders), 2,100 townships, the rest branches.
TOWNSHIP_SHARE = 0.021
TOWNSHIPS_PER_COUNTY = 21
COUNTIES_PER_CITY = 10

# Characters of invented place names: two of them make one name ("青川", "安宁").
PLACE_CHARACTERS = "青山河东西南北安平宁康泰和兴华新龙凤桃李柳松竹梅兰石金玉长清明阳光云丰永福寿高湖江田林花溪岭泉沙"
DEPARTMENTS = [
    "县委办公室",
    "县政府办公室",
    "县发展和改革局",
    "县教育局",
    "县财政局",
    "县人力资源和社会保障局",
    "县自然资源局",
    "县住房和城乡建设局",
    "县交通运输局",
    "县农业农村局",
    "县卫生健康局",
    "县市场监督管理局",
]
ORDINALS = "一二三四五六七八九十"


# Paths ----------------------------------------------------------------------------------------


def path_step(number: int) -> str:
    """Treebeard's step for the NUMBER-th child (1-based): base 36 in `steplen` characters."""
    alphabet = Organization.alphabet
    digits = ""
    while number:
        number, remainder = divmod(number, len(alphabet))
        digits = alphabet[remainder] + digits
    return digits.rjust(Organization.steplen, "0")


def child_path(parent_path: str, number: int) -> str:
    """The path treebeard gives the NUMBER-th child of PARENT_PATH ("" for a root)."""
    return parent_path + path_step(number)


# The table writer -----------------------------------------------------------------------------


class TableWriter:
    """Writes rows with explicit ids: COPY on PostgreSQL, batched INSERTs elsewhere; counts what it wrote.

    Ids are given by the builders (`next_id`), so one table's rows can point at another's without
    reading anything back; `finish` moves the id sequences past them. bulk_create would build and
    compile a model instance a row, which costs more than the database's work at this size.
    """

    COPY_ROWS = 50_000

    def __init__(self, *, batch_size: int = 5000, use_copy: bool | None = None) -> None:
        self.batch_size = batch_size
        self.use_copy = connection.vendor == "postgresql" if use_copy is None else use_copy
        self.counts: dict[str, int] = {}
        self.models: list[type[Model]] = []
        self.deferred_indexes: list[tuple[str, str]] = []

    def next_id(self, model: type[Model]) -> int:
        """The first free id of MODEL's table."""
        return int(model._default_manager.aggregate(last=Max("pk"))["last"] or 0) + 1

    def write(self, model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Inserts ROWS (values in the order of COLUMNS, attribute names such as `organization_id`).

        Columns left out get the model's default, as bulk_create would give them (now for `auto_now_add`).
        """
        if model not in self.models:
            self.models.append(model)
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        fields = [by_attname[name] for name in columns]
        now = timezone.now()
        missing = [f for f in meta.concrete_fields if f.attname not in columns and not f.primary_key]
        defaults = tuple(
            now if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False) else f.get_default()
            for f in missing
        )
        quote = connection.ops.quote_name
        names = ", ".join(quote(str(f.column)) for f in [*fields, *missing])
        table = quote(meta.db_table)
        if self.use_copy:
            # CSV reads an unquoted empty field as NULL; a text column that may not be NULL reads it as "".
            not_null = ", ".join(quote(str(f.column)) for f in [*fields, *missing] if not f.null)
            options = f"FORMAT csv, FORCE_NOT_NULL ({not_null})" if not_null else "FORMAT csv"
            json_columns = [index for index, f in enumerate([*fields, *missing]) if isinstance(f, JSONField)]
            written = self._copy(f"COPY {table} ({names}) FROM STDIN WITH ({options})", defaults, json_columns, rows)
        else:
            placeholders = ", ".join(["%s"] * (len(fields) + len(missing)))
            statement = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
            written = self._insert(statement, [*fields, *missing], defaults, rows)
        label = str(meta.verbose_name)
        self.counts[label] = self.counts.get(label, 0) + written
        return written

    def _insert(
        self, statement: str, fields: list[Any], defaults: tuple[Any, ...], rows: Iterable[Sequence[Any]]
    ) -> int:
        written = 0
        batch: list[list[Any]] = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(
                    [f.get_db_prep_save(value, connection) for f, value in zip(fields, (*row, *defaults), strict=True)]
                )
                if len(batch) >= self.batch_size:
                    cursor.executemany(statement, batch)
                    written += len(batch)
                    batch = []
            if batch:
                cursor.executemany(statement, batch)
                written += len(batch)
        return written

    def _copy(
        self, statement: str, defaults: tuple[Any, ...], json_columns: list[int], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Streams ROWS as CSV (the csv module quotes in C): str() of dates, datetimes, decimals and booleans
        is what PostgreSQL reads; JSON values are dumped first."""
        written = 0
        with connection.cursor() as cursor:
            batch: list[Sequence[Any]] = []
            for row in rows:
                if defaults:
                    row = (*row, *defaults)
                if json_columns:
                    row = list(row)
                    for index in json_columns:
                        row[index] = json.dumps(row[index], ensure_ascii=False)
                batch.append(row)
                if len(batch) >= self.COPY_ROWS:
                    written += self._copy_batch(cursor, statement, batch)
                    batch = []
            if batch:
                written += self._copy_batch(cursor, statement, batch)
        return written

    @staticmethod
    def _copy_batch(cursor: Any, statement: str, batch: list[Sequence[Any]]) -> int:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(batch)
        buffer.seek(0)
        cursor.copy_expert(statement, buffer, 1 << 20)
        return len(batch)

    def defer_indexes(self, tables: Sequence[str]) -> None:
        """On PostgreSQL, drops the plain indexes of TABLES until `finish` builds them again.

        Building an index once over the loaded rows is several times faster than keeping a dozen
        indexes a table up to date row by row. Indexes behind constraints (primary keys, unique
        fields) stay. Call inside the load's transaction: a failure restores them.
        """
        if not self.use_copy:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [list(tables)],
            )
            self.deferred_indexes = cursor.fetchall()
            for name, _definition in self.deferred_indexes:
                cursor.execute(f"DROP INDEX {name}")

    def finish(self) -> None:
        """Builds the deferred indexes; moves PostgreSQL's id sequences past the explicit ids (SQLite's follow)."""
        statements = [definition for _name, definition in self.deferred_indexes]
        statements += connection.ops.sequence_reset_sql(no_style(), self.models)
        self.deferred_indexes = []
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def domain_tables() -> list[str]:
    """Every table the seed writes or that points at what it writes, except the configured categories."""
    # Configuration the migrations create: the categories, the kinds of meeting and their default rules.
    keep = {
        "responsibility.category",
        "meetings.meetingkind",
        "meetings.frequencyrule",
        "meetings.historicalfrequencyrule",
    }
    tables: list[str] = []
    for label in ("accounts", "members", "responsibility", "meetings", "reviews", "rectification"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.label_lower not in keep:
                tables.append(model._meta.db_table)
    for label in ("admin.logentry", "sessions.session", "guardian.userobjectpermission"):
        tables.append(apps.get_model(label)._meta.db_table)
    return tables


def scale_wipe() -> None:
    """Deletes the domain data and every user: TRUNCATE … CASCADE on PostgreSQL, DELETE on SQLite."""
    statements = connection.ops.sql_flush(no_style(), domain_tables(), reset_sequences=True, allow_cascade=True)
    connection.ops.execute_sql_flush(statements)
    restore_configuration()


CONFIGURATION_MIGRATIONS = ("meetings.migrations.0002_kinds_and_default_rules",)


def restore_configuration() -> None:
    """Puts back the rows the migrations create that a wipe takes with the tree: TRUNCATE … CASCADE (and
    SQLite's flush) reach every table that may point at an organization, the kinds of meeting among them."""
    for name in CONFIGURATION_MIGRATIONS:
        importlib.import_module(name).create(apps, None)


# The tree and its people ----------------------------------------------------------------------


@dataclass
class ScaleTree:
    """What the later builders need, as parallel lists indexed in path order (index 0 is the province)."""

    year: int
    today: date
    now: datetime
    seed: int
    zone: tzinfo
    ids: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    depths: list[int] = field(default_factory=list)
    parents: list[int] = field(default_factory=list)
    """Index of each organization's parent (-1 for the province)."""
    secretaries: list[int] = field(default_factory=list)
    """User id of each organization's secretary."""
    secretary_positions: list[int] = field(default_factory=list)
    logins: dict[str, int] = field(default_factory=dict)
    """User ids of the fixed logins."""
    first_county: int = 0
    first_branch: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def rng(self, part: str) -> random.Random:
        """A generator of its own for each builder, so changing one never shifts another's data."""
        return random.Random(f"{self.seed}:{part}")

    def moment(self, day: date, hour: int = 10) -> datetime:
        """That day at that hour (local time), never later than now."""
        return min(datetime.combine(day, time(hour, 17), tzinfo=self.zone), self.now)

    def children(self) -> dict[int, list[int]]:
        """Indexes of each committee's direct children, in path order."""
        below: dict[int, list[int]] = {}
        for index, parent in enumerate(self.parents):
            if parent >= 0:
                below.setdefault(parent, []).append(index)
        return below

    def committees(self) -> list[int]:
        return [index for index, kind in enumerate(self.kinds) if kind != Kind.BRANCH]

    def under(self, root: int) -> range:
        """Indexes of ROOT's subtree (inclusive): in path order a subtree is one run."""
        end = root + 1
        prefix = self.paths[root]
        while end < len(self.paths) and self.paths[end].startswith(prefix):
            end += 1
        return range(root, end)


def split(total: int, parts: int) -> list[int]:
    """TOTAL shared out over PARTS as evenly as can be."""
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def shape(total: int) -> tuple[int, int, int, int]:
    """(cities, counties, townships, branches) of a province of TOTAL organizations."""
    # Small loads keep two counties of two townships each, so that tests have a sibling subtree.
    townships = max(4, round(total * TOWNSHIP_SHARE))
    counties = max(2, round(townships / TOWNSHIPS_PER_COUNTY))
    cities = max(1, round(counties / COUNTIES_PER_CITY))
    branches = total - 1 - cities - counties - townships
    return cities, counties, townships, branches


class _Names:
    """Invented place names, unique among siblings."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pool = [a + b for a in PLACE_CHARACTERS for b in PLACE_CHARACTERS if a != b]

    def sample(self, count: int) -> list[str]:
        names = self.rng.sample(self.pool, min(count, len(self.pool)))
        # More siblings than names (only for absurd sizes): number the repeats.
        names += [f"{self.pool[index % len(self.pool)]}{index}" for index in range(count - len(names))]
        return names


def _branch(township_kind: str, place: str, number: int, rng: random.Random) -> tuple[str, str]:
    """(name, sector) of the NUMBER-th branch of a township of that kind."""
    if township_kind == "organ":
        department = DEPARTMENTS[number % len(DEPARTMENTS)]
        round_ = number // len(DEPARTMENTS)
        suffix = f"第{ORDINALS[round_ % 10]}党支部" if round_ else "机关党支部"
        return department + suffix, Sector.ORGAN
    draw = rng.random()
    if township_kind == "street":
        if draw < 0.75:
            return f"{place}社区党支部", Sector.COMMUNITY
        if draw < 0.9:
            return f"{place}科技有限公司党支部", Sector.PRIVATE_ENTERPRISE
        return f"{place}商会党支部", Sector.SOCIAL_ORGANIZATION
    if draw < 0.82:
        return f"{place}村党支部", Sector.RURAL
    if draw < 0.92:
        return f"{place}社区党支部", Sector.COMMUNITY
    return f"{place}小学党支部", Sector.SCHOOL


def accounts_scale_build(
    writer: TableWriter, *, orgs: int, year: int, password: str = SCALE_PASSWORD, seed: int = 2026
) -> ScaleTree:
    """Writes the organizations, one secretary each (login `s<org id>`) and the four fixed logins."""
    if orgs < MIN_ORGS:
        raise ValueError(f"--orgs must be at least {MIN_ORGS}")
    now = timezone.now()
    tree = ScaleTree(year=year, today=timezone.localdate(), now=now, seed=seed, zone=timezone.get_current_timezone())
    rng = tree.rng("tree")
    names = _Names(rng)
    cities, counties, townships, branches = shape(orgs)
    counties_of = split(counties, cities)
    townships_of = split(townships, counties)
    branches_of = split(branches, townships)
    first_id = writer.next_id(Organization)
    rows: list[tuple[Any, ...]] = []

    def add(parent: int, number: int, name: str, code: str, kind: str, sector: str, numchild: int) -> int:
        index = len(tree.ids)
        path = child_path(tree.paths[parent] if parent >= 0 else "", number)
        founded = date(rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28))
        tree.ids.append(first_id + index)
        tree.paths.append(path)
        tree.names.append(name)
        tree.kinds.append(kind)
        tree.sectors.append(sector)
        tree.depths.append(len(path) // Organization.steplen)
        tree.parents.append(parent)
        rows.append(
            (
                first_id + index,
                path,
                len(path) // Organization.steplen,
                numchild,
                name,
                code,
                kind,
                sector,
                founded,
                True,
            )
        )
        return index

    province = add(-1, 1, "省委", "SC", Kind.COMMITTEE, "", cities)
    county_counter = township_counter = 0
    for city_number, city_name in enumerate(names.sample(cities), start=1):
        city_code = f"SC-{city_number:02d}"
        city = add(
            province, city_number, f"{city_name}市委", city_code, Kind.COMMITTEE, "", counties_of[city_number - 1]
        )
        for county_number, county_name in enumerate(names.sample(counties_of[city_number - 1]), start=1):
            county_code = f"{city_code}-{county_number:02d}"
            word = "区委" if rng.random() < 0.2 else "县委"
            own = townships_of[county_counter]
            county = add(city, county_number, county_name + word, county_code, Kind.COMMITTEE, "", own)
            county_counter += 1
            for township_number, place in enumerate(names.sample(own), start=1):
                township_code = f"{county_code}-{township_number:02d}"
                count = branches_of[township_counter]
                township_counter += 1
                if township_number == own and own >= 3:
                    kind, township_kind, sector, name = (
                        Kind.WORKING_COMMITTEE,
                        "organ",
                        Sector.ORGAN,
                        f"{county_name}县直机关工委",
                    )
                elif township_number % 4 == 0:
                    kind, township_kind, sector, name = (
                        Kind.WORKING_COMMITTEE,
                        "street",
                        Sector.COMMUNITY,
                        f"{place}街道党工委",
                    )
                else:
                    word = "乡党委" if rng.random() < 0.25 else "镇党委"
                    kind, township_kind, sector, name = Kind.COMMITTEE, "rural", Sector.RURAL, place + word
                township = add(county, township_number, name, township_code, kind, sector, count)
                for branch_number, branch_place in enumerate(names.sample(count), start=1):
                    branch_name, branch_sector = _branch(township_kind, branch_place, branch_number - 1, rng)
                    add(
                        township,
                        branch_number,
                        branch_name,
                        f"{township_code}-{branch_number:03d}",
                        Kind.BRANCH,
                        branch_sector,
                        0,
                    )
    tree.first_county = next(index for index, depth in enumerate(tree.depths) if depth == 3)
    tree.first_branch = next(index for index in tree.under(tree.first_county) if tree.kinds[index] == Kind.BRANCH)
    columns = ["id", "path", "depth", "numchild", "name", "code", "kind", "sector", "established_on", "is_active"]
    writer.write(Organization, columns, rows)
    rows.clear()
    _people(writer, tree, make_password(password), rng)
    return tree


def _full_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _people(writer: TableWriter, tree: ScaleTree, password_hash: str, rng: random.Random) -> None:
    """One secretary per organization and the fixed logins; all signed in before, so no forced password change."""
    first_user = writer.next_id(User)
    first_position = writer.next_id(Position)
    # The first branch's secretary is the fixed login; every other secretary is s<org id>.
    fixed = [PROVINCE_LOGIN, COUNTY_LOGIN, REVIEWER_LOGIN]
    signed_in = tree.now
    joined = tree.moment(date(tree.year, 1, 4), 9)
    users: list[tuple[Any, ...]] = []
    for index, org_id in enumerate(tree.ids):
        login = SECRETARY_LOGIN if index == tree.first_branch else f"s{org_id}"
        users.append((first_user + index, login, _full_name(rng), f"139{index:08d}"))
        tree.secretaries.append(first_user + index)
        tree.secretary_positions.append(first_position + index)
    for offset, login in enumerate(fixed):
        users.append((first_user + len(tree) + offset, login, _full_name(rng), f"138{offset:08d}"))
        tree.logins[login] = first_user + len(tree) + offset
    tree.logins[SECRETARY_LOGIN] = tree.secretaries[tree.first_branch]
    writer.write(
        User,
        ["id", "username", "full_name", "phone", "password", "last_login", "date_joined", "is_active"],
        ((*user, password_hash, signed_in, joined, True) for user in users),
    )
    positions: list[tuple[Any, ...]] = [
        (first_position + index, tree.secretaries[index], org_id, Role.SECRETARY, "")
        for index, org_id in enumerate(tree.ids)
    ]
    next_position = first_position + len(tree)
    for login, org_index, portfolio in (
        (PROVINCE_LOGIN, 0, "组织委员"),
        (COUNTY_LOGIN, tree.first_county, "组织委员"),
        (REVIEWER_LOGIN, tree.first_county, "纪检委员"),
    ):
        positions.append((next_position, tree.logins[login], tree.ids[org_index], Role.COMMITTEE_MEMBER, portfolio))
        next_position += 1
    writer.write(
        Position,
        ["id", "person_id", "organization_id", "role", "portfolio", "term_start", "is_current"],
        ((*position, TERM_START, True) for position in positions),
    )
