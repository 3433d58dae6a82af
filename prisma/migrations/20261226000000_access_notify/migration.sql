-- Access changes notify every web server (issue 23): the notebook socket answers commands from a
-- short-lived memory of who may do what (packages/api/src/access-cache.ts), and each server
-- empties it on a NOTIFY on `flint_access`. Triggers, not application code, so every writer is
-- covered: other servers, the CLI, better-auth's own session writes, a hand-run statement.
-- Statement-level and payload-free: access changes are rare, and a server forgets everything.
CREATE FUNCTION flint_notify_access() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('flint_access', '');
  RETURN NULL;
END;
$$;

-- A new membership too: a "not a member" answer is remembered as a fact.
CREATE TRIGGER project_member_access AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "project_member"
  FOR EACH STATEMENT EXECUTE FUNCTION flint_notify_access();
-- Only the columns that decide access: a token's lastUsedAt changes on every use.
CREATE TRIGGER session_access AFTER UPDATE OF "expiresAt", "token", "userId" OR DELETE OR TRUNCATE ON "session"
  FOR EACH STATEMENT EXECUTE FUNCTION flint_notify_access();
CREATE TRIGGER user_access AFTER UPDATE OF "disabledAt", "isAdmin" OR DELETE OR TRUNCATE ON "user"
  FOR EACH STATEMENT EXECUTE FUNCTION flint_notify_access();
CREATE TRIGGER api_token_access AFTER UPDATE OF "revokedAt", "scope", "expiresAt", "userId" OR DELETE OR TRUNCATE ON "api_token"
  FOR EACH STATEMENT EXECUTE FUNCTION flint_notify_access();
CREATE TRIGGER notebook_access AFTER UPDATE OF "projectId", "deletedAt", "publishedAt" OR DELETE OR TRUNCATE ON "notebook"
  FOR EACH STATEMENT EXECUTE FUNCTION flint_notify_access();
CREATE TRIGGER project_access AFTER DELETE OR TRUNCATE ON "project"
  FOR EACH STATEMENT EXECUTE FUNCTION flint_notify_access();
