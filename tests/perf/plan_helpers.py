"""EXPLAIN helpers for the PostgreSQL plan tests (tests/perf/test_plans_pg.py, issue 14 point 3).

`explain(sql)` runs EXPLAIN (ANALYZE, FORMAT JSON) on one captured SELECT and returns its root plan node; the
walkers below read the tree. ANALYZE executes the query (only plain SELECTs are explained), so the row counts are
the real ones, not the planner's guesses: a Sort's input is what was actually sorted.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

CASE_TABLES = ("cases_dispute", "cases_party")
WHOLE_JURISDICTION = 1000  # a Sort fed more rows than this sorted a jurisdiction, not a page


def explain(sql: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        doc = cursor.fetchone()[0]
    return doc[0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def seq_scans(plan: dict, tables=CASE_TABLES) -> list[str]:
    return [n["Relation Name"] for n in nodes(plan) if n["Node Type"] == "Seq Scan" and n["Relation Name"] in tables]


def index_names(plan: dict) -> set[str]:
    return {n["Index Name"] for n in nodes(plan) if "Index Name" in n}


def big_sorts(plan: dict, limit: int = WHOLE_JURISDICTION) -> list[int]:
    """Rows fed into each Sort that sorted more than `limit` rows. (An Incremental Sort is left out: its input is
    already in order on the leading key, it sorts only the rows sharing one value of it.)"""
    fed = []
    for n in nodes(plan):
        if n["Node Type"] == "Sort" and n.get("Plans"):
            child = n["Plans"][0]
            rows = child.get("Actual Rows", child["Plan Rows"]) * child.get("Actual Loops", 1)
            if rows > limit:
                fed.append(rows)
    return fed


def rows_read(plan: dict, table: str = "cases_dispute") -> int:
    """The most rows any one scan of `table` read: those it returned plus those its filter threw away, over all its
    loops. A scan that reads thousands of cases to return a few hundred is walking a jurisdiction."""
    return max((int((n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)) * n.get("Actual Loops", 1))
                for n in nodes(plan) if n.get("Relation Name") == table), default=0)


def render(plan: dict, depth: int = 0) -> str:
    """A compact text tree: node, relation/index, estimated and actual rows, filter."""
    what = plan["Node Type"]
    if "Index Name" in plan:
        what += f" using {plan['Index Name']}"
    if "Relation Name" in plan:
        what += f" on {plan['Relation Name']}"
    line = f"{'  ' * depth}-> {what} (rows est={plan['Plan Rows']} actual={plan.get('Actual Rows', '?')}"
    line += f" loops={plan.get('Actual Loops', '?')})"
    for key in ("Index Cond", "Recheck Cond", "Filter", "Rows Removed by Filter", "Sort Key"):
        if key in plan:
            line += f" {key}: {plan[key]}"
    return "\n".join([line, *(render(child, depth + 1) for child in plan.get("Plans", ()))])


def case_selects(captured) -> list[str]:
    """The captured plain SELECTs that read cases or parties (not SAVEPOINTs, writes or SELECT … FOR UPDATE)."""
    out = []
    for q in captured:
        sql = q["sql"]
        if (sql.lstrip().upper().startswith("SELECT") and "FOR UPDATE" not in sql.upper()
                and any(f'"{t}"' in sql for t in CASE_TABLES)):
            out.append(sql)
    return out


def capture(fn):
    """Run `fn()` and return (its result, the SQL of every query it ran on the default connection)."""
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, ctx.captured_queries


def explain_all(sqls, title="") -> list[tuple[str, dict]]:
    """EXPLAIN every statement, print each plan (pytest -s shows them) and return [(sql, plan)]."""
    out = []
    for sql in sqls:
        plan = explain(sql)
        print(f"\n===== {title}\n{sql[:600]}{' …' if len(sql) > 600 else ''}\n{render(plan)}")
        out.append((sql, plan))
    return out


def problems(plan: dict) -> list[str]:
    """What makes a hot query's plan unacceptable: a sequential scan over cases or parties, a whole-scope sort."""
    found = [f"Seq Scan on {t}" for t in seq_scans(plan)]
    found += [f"Sort of {n} rows" for n in big_sorts(plan)]
    return found
