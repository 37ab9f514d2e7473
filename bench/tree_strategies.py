"""'Which organizations may this user see?' answered three ways on the same data.

- ours: the permission module's scope (two queries) and one `path LIKE 'prefix%'` per subtree root
  (`accounts.permissions.visible_organizations`);
- parent walk: load every (id, parent_id) and walk up from each organization until a root the
  user holds is met, as CISO Assistant does with its folder tree (`Folder.get_parent_folders`);
- ancestors column: RuoYi's `sys_dept.ancestors` ("0,1,5,17"), matched like its data scope
  (`dept_id = X OR find_in_set(X, ancestors)`), here `',' || ancestors || ',' LIKE '%,X,%'`.

The other two need columns the product does not have, so `tree_build` writes them to a temporary
table of this database connection (`bench_org_tree`), computed from the materialized paths. The
roots a user holds are taken from the scope, so all three answer the same question; `compare`
asserts that they give the same set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection

from accounts.models import Organization
from accounts.permissions import scope_for, visible_organizations

TABLE = "bench_org_tree"


def tree_build() -> float:
    """Creates the temporary table (id, parent_id, ancestors) for this connection; returns seconds."""
    began = time.perf_counter()
    rows = list(Organization.objects.order_by("path").values_list("id", "path"))
    id_of = {path: pk for pk, path in rows}
    ancestors_of: dict[str, str] = {}
    table: list[tuple[int, int | None, str]] = []
    step = Organization.steplen
    for pk, path in rows:
        parent_path = path[:-step]
        parent = id_of.get(parent_path) if parent_path else None
        # RuoYi writes "0" for the top and appends each parent's id on the way down.
        ancestors = "0" if parent is None else f"{ancestors_of[parent_path]},{parent}"
        ancestors_of[path] = ancestors
        table.append((pk, parent, ancestors))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {TABLE} (id bigint PRIMARY KEY, parent_id bigint, ancestors text)")
        for start in range(0, len(table), 5000):
            cursor.executemany(
                f"INSERT INTO {TABLE} (id, parent_id, ancestors) VALUES (%s, %s, %s)", table[start : start + 5000]
            )
        cursor.execute(f"CREATE INDEX {TABLE}_parent ON {TABLE} (parent_id)")
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")
    return time.perf_counter() - began


def _root_ids(user: Any) -> tuple[set[int], set[int]]:
    """The ids of the organizations whose subtree the user sees, and of those seen on their own."""
    scope = scope_for(user)
    paths = [*scope.subtree_roots, *scope.single_paths]
    id_of = dict(Organization.objects.filter(path__in=paths).values_list("path", "id"))
    return {id_of[path] for path in scope.subtree_roots}, {id_of[path] for path in scope.single_paths}


def _fresh(user: Any) -> Any:
    # Each strategy pays for the user's scope itself: drop what an earlier one cached.
    if hasattr(user, "_organization_scope"):
        del user._organization_scope
    return user


def ours(user: Any) -> set[int]:
    return set(visible_organizations(_fresh(user)).values_list("id", flat=True))


def parent_walk(user: Any) -> set[int]:
    if scope_for(_fresh(user)).is_admin:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {TABLE}")
            return {row[0] for row in cursor.fetchall()}
    roots, singles = _root_ids(user)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, parent_id FROM {TABLE}")
        parent_of: dict[int, int | None] = dict(cursor.fetchall())
    visible = set(singles)
    for pk in parent_of:
        node: int | None = pk
        while node is not None:
            if node in roots:
                visible.add(pk)
                break
            node = parent_of[node]
    return visible


def ancestors_column(user: Any) -> set[int]:
    params: list[int | str] = []
    if scope_for(_fresh(user)).is_admin:
        condition = "TRUE"
    else:
        roots, singles = _root_ids(user)
        clauses: list[str] = []
        for root in sorted(roots):
            clauses.append("(id = %s OR ',' || ancestors || ',' LIKE %s)")
            params += [root, f"%,{root},%"]
        if singles:
            clauses.append(f"id IN ({', '.join(['%s'] * len(singles))})")
            params += sorted(singles)
        condition = " OR ".join(clauses) or "FALSE"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {TABLE} WHERE {condition}", params)
        return {row[0] for row in cursor.fetchall()}


STRATEGIES: dict[str, Callable[[Any], set[int]]] = {
    "ours": ours,
    "parent_walk": parent_walk,
    "ancestors_column": ancestors_column,
}


def compare(user: Any, *, repeat: int = 5) -> dict[str, Any]:
    """Each strategy's best time over REPEAT runs for USER, after checking that all give the same set."""
    expected: set[int] | None = None
    figures: dict[str, Any] = {}
    for name, strategy in STRATEGIES.items():
        best = float("inf")
        for _ in range(repeat):
            began = time.perf_counter()
            visible = strategy(user)
            best = min(best, time.perf_counter() - began)
        if expected is None:
            expected = visible
        elif visible != expected:
            raise AssertionError(f"{name} sees {len(visible)} organizations, ours {len(expected)}")
        figures[name] = {"ms": round(best * 1000, 2)}
    assert expected is not None
    base = figures["ours"]["ms"] or 0.01
    for entry in figures.values():
        entry["ratio_to_ours"] = round(entry["ms"] / base, 2)
    return {"visible": len(expected), "strategies": figures}
