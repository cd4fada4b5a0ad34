CREATE TABLE "audit_lanes" (
	"chain" text PRIMARY KEY NOT NULL,
	"owner" text,
	"lease_until" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_at" timestamp with time zone
);
--> statement-breakpoint
-- Two roles on a PostgreSQL server (roles are cluster-wide: created once, whichever database
-- migrates first; concurrent migrations of other databases find them there). Nothing on the
-- embedded database (PGlite), which has one user and one process.
--   gatehouse_owner  owns the schema objects; migrations run as it (or as a superuser).
--   gatehouse_app    what the server works as: it may insert audit rows but not change,
--                    delete or truncate them, nor switch the append-only triggers off.
-- Both are NOLOGIN: an operator gives a login to a member of each (docs/operations.md).
-- A migrator that may not create roles leaves them to the operator (a warning, not a failure).
DO $$
DECLARE
  wanted text;
BEGIN
  IF version() LIKE '%PGlite%' THEN
    RETURN;
  END IF;
  FOREACH wanted IN ARRAY ARRAY['gatehouse_owner', 'gatehouse_app'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', wanted);
      EXCEPTION
        -- Another database's migration created it meanwhile.
        WHEN duplicate_object OR unique_violation THEN NULL;
        WHEN insufficient_privilege THEN
          RAISE WARNING 'cannot create role %: create it as described in docs/operations.md', wanted;
      END;
    END IF;
  END LOOP;
END
$$;
--> statement-breakpoint
-- Gives the roles their rights over every table of the schema; migrate() calls it after any
-- migration, so tables that later migrations add are covered too. The application role gets
-- read and write on everything but the evidence: the audit log and its checkpoints are
-- SELECT and INSERT only, lane leases SELECT, INSERT and UPDATE, the migration record SELECT.
-- It owns nothing, so it can neither disable triggers nor truncate; it is no superuser, so it
-- cannot set session_replication_role.
CREATE OR REPLACE FUNCTION gatehouse_apply_roles() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  object record;
  schema_name text := current_schema();
  can_own boolean;
BEGIN
  IF version() LIKE '%PGlite%' OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_app') THEN
    RETURN;
  END IF;
  can_own := EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse_owner')
    AND pg_has_role(current_user, 'gatehouse_owner', 'MEMBER');
  BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO gatehouse_app', schema_name);
    IF can_own THEN
      EXECUTE format('GRANT USAGE, CREATE ON SCHEMA %I TO gatehouse_owner', schema_name);
    END IF;
  EXCEPTION WHEN insufficient_privilege THEN
    -- Not the schema's owner: the schema's own grants stand (PUBLIC has USAGE on public).
    NULL;
  END;
  FOR object IN
    SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = schema_name AND c.relkind IN ('r', 'p', 'S')
  LOOP
    -- A table's serial sequences change owner with it.
    IF can_own AND object.relkind <> 'S' AND object.owner <> 'gatehouse_owner' THEN
      EXECUTE format('ALTER TABLE %I.%I OWNER TO gatehouse_owner', schema_name, object.relname);
    END IF;
    IF object.relkind = 'S' THEN
      EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I.%I TO gatehouse_app', schema_name, object.relname);
      CONTINUE;
    END IF;
    EXECUTE format('REVOKE ALL ON TABLE %I.%I FROM gatehouse_app', schema_name, object.relname);
    EXECUTE format('GRANT %s ON TABLE %I.%I TO gatehouse_app',
      CASE
        WHEN object.relname IN ('audit_events', 'audit_checkpoints') THEN 'SELECT, INSERT'
        WHEN object.relname = 'audit_lanes' THEN 'SELECT, INSERT, UPDATE'
        WHEN object.relname = 'gatehouse_migrations' THEN 'SELECT'
        ELSE 'SELECT, INSERT, UPDATE, DELETE'
      END,
      schema_name, object.relname);
  END LOOP;
  IF can_own THEN
    FOR object IN
      SELECT p.oid::regprocedure AS signature
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = schema_name AND p.proname = 'gatehouse_audit_refuse_change'
        AND pg_get_userbyid(p.proowner) <> 'gatehouse_owner'
    LOOP
      EXECUTE format('ALTER FUNCTION %s OWNER TO gatehouse_owner', object.signature);
    END LOOP;
  END IF;
END
$$;
