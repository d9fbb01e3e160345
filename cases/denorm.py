"""What the database keeps beside the cases for speed (issue 14, docs/performance.md), and the triggers keeping it.

* `Dispute.search_text`: the case number, title and party names, lower-cased; what the ledger's keyword searches.
  PostgreSQL indexes it with pg_trgm (GIN), so a name or number of three characters or more is found from the index
  whatever the jurisdiction's size.
* `Dispute.town`: the village's town (set by `Dispute.save`, and by the insert trigger when a bulk insert left it
  empty; a village never moves).
* `CaseTally`: cases per (village, status, risk), summed for the home page's cards and the ledger's count.

The triggers run on every write, whoever writes: the services, imports, anonymisation, the admin, raw SQL. On
PostgreSQL the tally triggers are statement-level with transition tables, so one COPY of 50,000 cases costs one
grouped upsert; the tally rows are upserted in key order, so two transactions moving cases cannot deadlock on them.
A dispute INSERT that already carries a search_text keeps it (the benchmark seed's COPY computes it itself).

`install(connection)` creates or replaces them (migration 0022); `rebuild()` recomputes everything from the cases.
"""

from django.db import connection as default_connection
from django.db import transaction

D, P, T = "cases_dispute", "cases_party", "cases_casetally"

# The search text of the dispute row `d` (PostgreSQL and SQLite spell the aggregate differently).
_PG_TEXT = (f"lower(d.number || ' ' || d.title || coalesce(' ' || (SELECT string_agg(p.name, ' ' ORDER BY p.id) "
            f"FROM {P} p WHERE p.dispute_id = d.id), ''))")
# SQLite allows no alias on an UPDATE's table inside a trigger: the columns are qualified by the table's name.
_SQLITE_TEXT = (f"lower({D}.number || ' ' || {D}.title || coalesce(' ' || (SELECT group_concat(name, ' ') FROM "
                f"(SELECT p.name FROM {P} p WHERE p.dispute_id = {D}.id ORDER BY p.id)), ''))")

_PG = [
    # --- search_text ---
    f"""CREATE OR REPLACE FUNCTION cases_dispute_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' AND NEW.town_id IS NULL THEN  -- a bulk insert that did not name the town
        NEW.town_id := (SELECT v.parent_id FROM org_division v WHERE v.code = NEW.village_id);
      END IF;
      IF TG_OP = 'INSERT' AND NEW.search_text <> '' THEN RETURN NEW; END IF;
      NEW.search_text := lower(NEW.number || ' ' || NEW.title || coalesce(' ' || (
        SELECT string_agg(p.name, ' ' ORDER BY p.id) FROM {P} p WHERE p.dispute_id = NEW.id), ''));
      RETURN NEW;
    END $$""",
    f"DROP TRIGGER IF EXISTS cases_dispute_search ON {D}",
    f"""CREATE TRIGGER cases_dispute_search BEFORE INSERT OR UPDATE OF number, title ON {D}
        FOR EACH ROW EXECUTE FUNCTION cases_dispute_search_text()""",
    f"""CREATE OR REPLACE FUNCTION cases_party_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        UPDATE {D} d SET search_text = {_PG_TEXT} WHERE d.id IN (SELECT dispute_id FROM new_rows);
      ELSIF TG_OP = 'DELETE' THEN
        UPDATE {D} d SET search_text = {_PG_TEXT} WHERE d.id IN (SELECT dispute_id FROM old_rows);
      ELSE
        UPDATE {D} d SET search_text = {_PG_TEXT} WHERE d.id IN (
          SELECT n.dispute_id FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE n.name IS DISTINCT FROM o.name OR n.dispute_id IS DISTINCT FROM o.dispute_id
          UNION SELECT o.dispute_id FROM new_rows n JOIN old_rows o ON o.id = n.id
          WHERE n.dispute_id IS DISTINCT FROM o.dispute_id);
      END IF;
      RETURN NULL;
    END $$""",
    *(f"DROP TRIGGER IF EXISTS cases_party_search_{op[:3].lower()} ON {P}" for op in ("INSERT", "DELETE", "UPDATE")),
    f"""CREATE TRIGGER cases_party_search_ins AFTER INSERT ON {P} REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cases_party_search_text()""",
    f"""CREATE TRIGGER cases_party_search_del AFTER DELETE ON {P} REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cases_party_search_text()""",
    f"""CREATE TRIGGER cases_party_search_upd AFTER UPDATE ON {P} REFERENCING OLD TABLE AS old_rows
        NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_party_search_text()""",
    # --- the tally ---
    f"""CREATE OR REPLACE FUNCTION cases_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO {T} AS t (village_id, status, risk, n)
          SELECT village_id, status, risk, count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
          ON CONFLICT (village_id, status, risk) DO UPDATE SET n = t.n + EXCLUDED.n;
      ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {T} AS t (village_id, status, risk, n)
          SELECT village_id, status, risk, -count(*) FROM old_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
          ON CONFLICT (village_id, status, risk) DO UPDATE SET n = t.n + EXCLUDED.n;
      ELSE
        INSERT INTO {T} AS t (village_id, status, risk, n)
          SELECT village_id, status, risk, sum(d) FROM (
            SELECT village_id, status, risk, 1 AS d FROM new_rows
            UNION ALL SELECT village_id, status, risk, -1 FROM old_rows) x
          GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
          ON CONFLICT (village_id, status, risk) DO UPDATE SET n = t.n + EXCLUDED.n;
      END IF;
      RETURN NULL;
    END $$""",
    *(f"DROP TRIGGER IF EXISTS cases_dispute_tally_{op} ON {D}" for op in ("ins", "del", "upd")),
    f"""CREATE TRIGGER cases_dispute_tally_ins AFTER INSERT ON {D} REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cases_tally_apply()""",
    f"""CREATE TRIGGER cases_dispute_tally_del AFTER DELETE ON {D} REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION cases_tally_apply()""",
    f"""CREATE TRIGGER cases_dispute_tally_upd AFTER UPDATE ON {D} REFERENCING OLD TABLE AS old_rows
        NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_tally_apply()""",
    # The keyword's index. CREATE EXTENSION needs a superuser or a trusted extension (pg_trgm is trusted since 13).
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS dispute_search_trgm ON {D} USING gin (search_text gin_trgm_ops)",
]

_TEXT_NEW = _SQLITE_TEXT.replace(f"{D}.", "NEW.")
_SQLITE_BUMP = (f"INSERT INTO {T} (village_id, status, risk, n) VALUES ({{v}}.village_id, {{v}}.status, {{v}}.risk, "
                f"{{d}}) ON CONFLICT (village_id, status, risk) DO UPDATE SET n = n + ({{d}})")
_SQLITE = [
    f"DROP TRIGGER IF EXISTS {name}" for name in (
        "cases_dispute_search_ins", "cases_dispute_search_upd", "cases_party_search_ins", "cases_party_search_del",
        "cases_party_search_upd", "cases_dispute_tally_ins", "cases_dispute_tally_del", "cases_dispute_tally_upd",
        "cases_dispute_town_ins")
] + [
    f"""CREATE TRIGGER cases_dispute_town_ins AFTER INSERT ON {D} WHEN NEW.town_id IS NULL BEGIN
        UPDATE {D} SET town_id = (SELECT v.parent_id FROM org_division v WHERE v.code = NEW.village_id)
        WHERE id = NEW.id; END""",
    f"""CREATE TRIGGER cases_dispute_search_ins AFTER INSERT ON {D} WHEN NEW.search_text = '' BEGIN
        UPDATE {D} SET search_text = {_TEXT_NEW} WHERE id = NEW.id; END""",
    f"""CREATE TRIGGER cases_dispute_search_upd AFTER UPDATE OF number, title ON {D} BEGIN
        UPDATE {D} SET search_text = {_TEXT_NEW} WHERE id = NEW.id; END""",
    f"""CREATE TRIGGER cases_party_search_ins AFTER INSERT ON {P} BEGIN
        UPDATE {D} SET search_text = {_SQLITE_TEXT} WHERE id = NEW.dispute_id; END""",
    f"""CREATE TRIGGER cases_party_search_del AFTER DELETE ON {P} BEGIN
        UPDATE {D} SET search_text = {_SQLITE_TEXT} WHERE id = OLD.dispute_id; END""",
    f"""CREATE TRIGGER cases_party_search_upd AFTER UPDATE OF name, dispute_id ON {P} BEGIN
        UPDATE {D} SET search_text = {_SQLITE_TEXT} WHERE id IN (NEW.dispute_id, OLD.dispute_id); END""",
    f"""CREATE TRIGGER cases_dispute_tally_ins AFTER INSERT ON {D} BEGIN
        {_SQLITE_BUMP.format(v="NEW", d="1")}; END""",
    f"""CREATE TRIGGER cases_dispute_tally_del AFTER DELETE ON {D} BEGIN
        UPDATE {T} SET n = n - 1 WHERE village_id = OLD.village_id AND status = OLD.status AND risk = OLD.risk; END""",
    f"""CREATE TRIGGER cases_dispute_tally_upd AFTER UPDATE OF village_id, status, risk ON {D}
        WHEN OLD.village_id IS NOT NEW.village_id OR OLD.status IS NOT NEW.status OR OLD.risk IS NOT NEW.risk BEGIN
        UPDATE {T} SET n = n - 1 WHERE village_id = OLD.village_id AND status = OLD.status AND risk = OLD.risk;
        {_SQLITE_BUMP.format(v="NEW", d="1")}; END""",
]

_DROP_PG = [
    *(f"DROP TRIGGER IF EXISTS {t} ON {D}" for t in ("cases_dispute_search", "cases_dispute_tally_ins",
                                                      "cases_dispute_tally_del", "cases_dispute_tally_upd")),
    *(f"DROP TRIGGER IF EXISTS {t} ON {P}" for t in ("cases_party_search_ins", "cases_party_search_del",
                                                      "cases_party_search_upd")),
    "DROP FUNCTION IF EXISTS cases_dispute_search_text()", "DROP FUNCTION IF EXISTS cases_party_search_text()",
    "DROP FUNCTION IF EXISTS cases_tally_apply()", "DROP INDEX IF EXISTS dispute_search_trgm",
]

# Party-name triggers, which the benchmark seed switches off while it COPYs parties whose cases it has given their
# search_text itself (PostgreSQL only; ALTER TABLE … DISABLE TRIGGER inside the seed's transaction).
PARTY_SEARCH_TRIGGERS = ("cases_party_search_ins", "cases_party_search_del", "cases_party_search_upd")


def install(connection=default_connection) -> None:
    statements = {"postgresql": _PG, "sqlite": _SQLITE}.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"no triggers for {connection.vendor}: the ledger supports PostgreSQL and SQLite")
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def uninstall(connection=default_connection) -> None:
    statements = _DROP_PG if connection.vendor == "postgresql" else _SQLITE[:9]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def rebuild(connection=default_connection) -> None:
    """Recompute town, search_text and the tally from the cases (after a backfill, or to check the triggers)."""
    pg = connection.vendor == "postgresql"
    alias = " AS d" if pg else ""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {D}{alias} SET town_id = (SELECT v.parent_id FROM org_division v "
                       f"WHERE v.code = {'d' if pg else D}.village_id) WHERE town_id IS NULL")
        cursor.execute(f"UPDATE {D}{alias} SET search_text = {_PG_TEXT if pg else _SQLITE_TEXT}")
        cursor.execute(f"DELETE FROM {T}")
        cursor.execute(f"INSERT INTO {T} (village_id, status, risk, n) SELECT village_id, status, risk, count(*) "
                       f"FROM {D} GROUP BY village_id, status, risk")
