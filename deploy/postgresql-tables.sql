-- 平安周例会 — per-role and per-table PostgreSQL settings (docs/deploy.md; the server settings are in
-- deploy/postgresql.conf). Run as a superuser on the application's database, after `migrate`, and again after an
-- upgrade that adds tables; idempotent:
--
--   sudo -u postgres psql -X -v ON_ERROR_STOP=1 -d jiaxiang -f deploy/postgresql-tables.sql [-v app_role=NAME]

\set ON_ERROR_STOP on
\if :{?app_role}
\else
    \set app_role jiaxiang_app
\endif

-- The web role (DATABASE_URL of gunicorn, the workers and the sweep): no statement runs longer than 30 s (the slowest
-- page is well under a second; the 50,000-row export streams in short batches) and no lock is waited for more than
-- 10 s, so a stuck query can never hold a gunicorn worker past its timeout. The owner role (migrations) keeps no
-- limit. A command that legitimately needs longer sets it for its own session (SET statement_timeout = …).
SELECT format('ALTER ROLE %I IN DATABASE %I SET statement_timeout = %L', :'app_role', current_database(), '30s')
\gexec
SELECT format('ALTER ROLE %I IN DATABASE %I SET lock_timeout = %L', :'app_role', current_database(), '10s')
\gexec

-- The event tables grow by inserts only (triggers refuse UPDATE/DELETE): analyse and vacuum them after 1 % new rows
-- rather than 10–20 %, so the planner's estimates and the visibility map (index-only scans) stay fresh.
DO $tables$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['cases_caseevent', 'audit_auditentry', 'cases_piireveal', 'cases_piilookup',
                             'notify_notification'] LOOP
        IF to_regclass('public.' || t) IS NOT NULL THEN
            EXECUTE format('ALTER TABLE public.%I SET (autovacuum_vacuum_insert_scale_factor = 0.01, '
                           'autovacuum_analyze_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02)', t);
        END IF;
    END LOOP;
    -- Sessions are inserted and deleted all day: vacuum them often.
    IF to_regclass('public.django_session') IS NOT NULL THEN
        ALTER TABLE public.django_session SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 200);
    END IF;
END
$tables$;
