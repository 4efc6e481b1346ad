-- The end of a sale: when an event closed (`closed_at_ms`, Unix ms) and who closed it
-- (`closed_by`: the admin's user id, or the system account's for the automatic close
-- after the show). NULL while the event is open, and for events closed before this.
ALTER TABLE events ADD COLUMN closed_at_ms BIGINT;
ALTER TABLE events ADD COLUMN closed_by TEXT;

-- The system account: the actor of changes no admin made (an event closing by itself
-- after its show), so that the audit log names someone for every entry. It cannot
-- sign in ('!no-password' is no argon2 hash) and is no admin.
INSERT INTO users (id, email, password_hash, is_admin, created_at_ms)
VALUES ('00000000-0000-0000-0000-000000000000', 'system@floodgate.invalid', '!no-password', 0, 0);
