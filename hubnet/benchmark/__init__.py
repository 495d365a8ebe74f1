"""The PostgreSQL benchmark (`make bench-pg`, or `make bench` with DATABASE_URL set).

`manage.py bench_pg` grows a throw-away database to BENCH_CASES cases (seed_demo, then
seed_synthetic), serves it with gunicorn (2 workers) and puts a bounded concurrent load
on the busiest pages and endpoints from a separate process (locust, headless), then:

- p50/p95/p99 and requests a second per target, and each target's SQL query count
  (asked once in-process);
- the wall time of one quarter's rollup;
- the textbook baseline: django-guardian per-object permissions for a user with the
  same caseload, beside `cases_visible_to`, with the permission rows it would need;
- `EXPLAIN (ANALYZE, BUFFERS)` of the main list queries, flagging any sequential scan
  of a large table.

Results go to hubnet/benchmark/results/ (latest.json, latest.md, explain/*.txt); the
README shows the latest table. Figures, not pass/fail.
"""
