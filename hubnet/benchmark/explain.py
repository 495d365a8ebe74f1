"""EXPLAIN (ANALYZE, BUFFERS) of the queries a request asks, and the sequential scans of
large tables among them."""

import re

from django.db import connection, transaction

LARGE = 10_000  # rows (the planner's estimate): a sequential scan of more is flagged
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def table_sizes() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class "
            "WHERE relkind IN ('r', 'p') AND relnamespace = 'public'::regnamespace"
        )
        return dict(cursor.fetchall())


def explain(sql: str) -> str:
    """The plan of `sql` as run: times, rows and buffers. In a transaction (or, inside a
    caller's, a savepoint) rolled back, so that nothing a query might write stays."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def explain_reads(queries: list[dict], sizes: dict[str, int]) -> tuple[str, list[str]]:
    """The plans of a request's reads (its SELECTs), slowest first, and each sequential
    scan of a large table they hold ("table (rows)")."""
    plans, flagged = [], []
    for query in queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        plan = explain(sql)
        total = re.search(r"Execution Time: ([\d.]+) ms", plan)
        plans.append((float(total.group(1)) if total else 0.0, sql, plan))
        for table in SEQ_SCAN.findall(plan):
            if sizes.get(table, 0) > LARGE:
                flagged.append(f"{table} ({sizes[table]:,} rows)")
    plans.sort(key=lambda item: -item[0])
    text = "\n\n".join(f"-- {ms:.2f} ms\n{sql}\n\n{plan}" for ms, sql, plan in plans)
    return text, sorted(set(flagged))
