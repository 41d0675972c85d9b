-- A member's latest password reset: the hash of its secret ('' when none,
-- or used) and when it stops working.
ALTER TABLE members ADD COLUMN reset_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN reset_expires_at TEXT NOT NULL DEFAULT '';
CREATE INDEX members_by_reset ON members (reset_hash) WHERE reset_hash != '';
