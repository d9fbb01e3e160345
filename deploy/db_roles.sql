-- Two PostgreSQL roles for 平安周例会 (issue 8, defect 6; steps and reasons in deploy/db_roles.md):
--
--   jiaxiang_owner  owns the database, its public schema and every table; runs `manage.py migrate`. Used only for
--                   deployments, never by the running application.
--   jiaxiang_app    the application (DATABASE_URL of the web server and the timers): CONNECT, USAGE on the schema,
--                   SELECT/INSERT/UPDATE, DELETE only where the application deletes, sequences; no TRUNCATE, no
--                   DDL, not the owner of anything, so it can neither switch a trigger off nor empty a table.
--
-- Run as a superuser (the DBA), on the application's database, after creating it and again after every deployment
-- (or let the owner run `manage.py grant_app_role` after `migrate`). Idempotent.
--
--   deploy/db_roles.sh jiaxiang                    (the same as:)
--   psql -X -v ON_ERROR_STOP=1 -d jiaxiang -f deploy/db_roles.sql [-v owner_role=NAME] [-v app_role=NAME]

\set ON_ERROR_STOP on
\if :{?owner_role}
\else
    \set owner_role jiaxiang_owner
\endif
\if :{?app_role}
\else
    \set app_role jiaxiang_app
\endif

-- 0. Refuse names that would demote the DBA or merge the two roles.
SELECT :'app_role' = :'owner_role' OR current_user IN (:'app_role', :'owner_role')
       OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname IN (:'app_role', :'owner_role') AND rolsuper) AS bad_roles
\gset
\if :bad_roles
    DO $$ BEGIN RAISE EXCEPTION '已停止：所有者与应用角色须是两个不同的角色，不能是超级用户，也不能是正在运行本脚本的角色'; END $$;
\endif

-- 1. The roles. Passwords are the DBA's business afterwards (\password jiaxiang_app); neither role is a superuser or
--    may create roles or databases, and the application is not a member of the owner.
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', :'owner_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner_role')
\gexec
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION', :'app_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_role')
\gexec
SELECT format('ALTER ROLE %I NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', r)
  FROM unnest(ARRAY[:'owner_role', :'app_role']) AS r
\gexec
SELECT format('REVOKE %I FROM %I', :'owner_role', :'app_role')
 WHERE EXISTS (SELECT 1 FROM pg_auth_members
                WHERE roleid = :'owner_role'::regrole AND member = :'app_role'::regrole)
\gexec

-- 2. The owner owns the database, the schema and everything in it (an installation that ran as one role is taken
--    over: tables, views, free-standing sequences and the trigger functions change owner; identity sequences and
--    indexes follow their tables).
SELECT format('ALTER DATABASE %I OWNER TO %I', current_database(), :'owner_role')
\gexec
ALTER SCHEMA public OWNER TO :"owner_role";
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              c.oid::regclass, :'owner_role')
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
   AND c.relowner <> :'owner_role'::regrole
   AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
                                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                            AND d.deptype IN ('a', 'i')))
\gexec
SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, :'owner_role')
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f' AND p.proowner <> :'owner_role'::regrole
\gexec

-- 3. Nobody else: PUBLIC loses CONNECT and TEMP on the database and CREATE on the schema; the application may
--    connect and use the schema, nothing more at this level (no CREATE: no DDL).
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database())
\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), :'app_role')
\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'app_role')
\gexec
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA public FROM :"app_role";
GRANT USAGE ON SCHEMA public TO :"app_role";

-- 4. Tables that later migrations create (as the owner) get SELECT/INSERT/UPDATE and their sequences at once;
--    `manage.py grant_app_role` (block 5) then takes UPDATE off append-only ones and adds DELETE where listed.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public GRANT SELECT, INSERT, UPDATE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner_role" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app_role";

-- 5. The application's privileges on the tables that exist now. `manage.py grant_app_role` runs this same block
--    (between the two marker lines) with the same setting, so the lists below are the only copy.
SET jiaxiang.app_role = :'app_role';
-- grants:begin
DO $grants$
DECLARE
    app text := current_setting('jiaxiang.app_role');
    -- Rows the application never changes after writing them: the audit log, the case timeline, the PII reveal and
    -- look-up records (triggers refuse UPDATE there for every role too: audit/ and cases/ migrations).
    append_only text[] := ARRAY['audit_auditentry', 'cases_caseevent', 'cases_piireveal', 'cases_piilookup',
        'cases_citizenrating'];
    -- The only tables the application deletes from: sessions (logout, new session id), lockout records (reset on
    -- success, unlock), TOTP devices (2FA reset), attendance (removed from a meeting), posts (revoked), an account
    -- with what cascades from it (groups, permissions, admin log, post requests, enrolment codes, 待办), and the
    -- reference data the administrator may delete in the admin (divisions, units, sub-categories, deadline and
    -- escalation rules, holidays, groups). Never a case, workflow or evidence table.
    deletable text[] := ARRAY[
        'django_session',
        'axes_accessattempt', 'axes_accessattemptexpiration', 'axes_accessfailurelog', 'axes_accesslog',
        'otp_totp_totpdevice',
        'meetings_attendance',
        'org_membership', 'org_membershiprequest', 'org_enrolmentcode',
        'auth_user', 'auth_user_groups', 'auth_user_user_permissions', 'django_admin_log',
        'notify_notification',
        'org_division', 'org_unit', 'cases_subcategory', 'cases_deadlinerule', 'cases_escalationrule',
        'cases_calendarday', 'auth_group', 'auth_group_permissions'];
    t text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = app) THEN
        RAISE EXCEPTION '数据库角色 % 不存在：请先由数据库管理员执行 deploy/db_roles.sh', app;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relowner = app::regrole) THEN
        RAISE EXCEPTION '应用角色 % 拥有 public 模式中的表：请由数据库管理员执行 deploy/db_roles.sh 把所有权交给所有者角色', app;
    END IF;
    -- A role that owns not every object would be told "no privileges were granted" and carry on: refuse instead.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AND EXISTS (
            SELECT 1 FROM pg_class WHERE relnamespace = 'public'::regnamespace
               AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND NOT pg_has_role(current_user, relowner, 'USAGE')) THEN
        RAISE EXCEPTION '角色 % 不是全部表的所有者，无法授权：请以所有者角色（运行迁移的角色）或超级用户运行', current_user;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
    -- From nothing every time, so a privilege granted by hand (DELETE, TRUNCATE, TRIGGER, REFERENCES) goes away.
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', app);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', app);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO %I', app);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app);
    FOREACH t IN ARRAY append_only LOOP
        IF to_regclass('public.' || t) IS NOT NULL THEN
            EXECUTE format('REVOKE UPDATE ON public.%I FROM %I', t, app);
        END IF;
    END LOOP;
    FOREACH t IN ARRAY deletable LOOP
        IF to_regclass('public.' || t) IS NOT NULL THEN
            EXECUTE format('GRANT DELETE ON public.%I TO %I', t, app);
        END IF;
    END LOOP;
    -- The migration history is the owner's: the application only reads it.
    IF to_regclass('public.django_migrations') IS NOT NULL THEN
        EXECUTE format('REVOKE INSERT, UPDATE ON public.django_migrations FROM %I', app);
    END IF;
END
$grants$;
-- grants:end
