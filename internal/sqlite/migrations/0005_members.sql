-- People and roles: API tokens get a role (tokens made before roles had
-- every right: owner), and organizers get members, who sign in to the
-- console. A member row is an invitation until joined_at is set; removed
-- members keep their row (the ledger's history names them) with
-- removed_at set. The password hash is argon2id's PHC string.

ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';

CREATE TABLE members (
	id            TEXT PRIMARY KEY,
	organizer_id  TEXT NOT NULL REFERENCES organizers (id),
	email         TEXT NOT NULL, -- '' for an invitation that did not name one
	name          TEXT NOT NULL,
	role          TEXT NOT NULL,
	invite_hash   TEXT NOT NULL UNIQUE,
	invited_by    TEXT NOT NULL,
	invited_at    TEXT NOT NULL,
	expires_at    TEXT NOT NULL,
	joined_at     TEXT,
	password_hash TEXT NOT NULL,
	-- Sessions begun before this time are over: set when the password or
	-- role changes and when the member is removed.
	sessions_after TEXT NOT NULL,
	removed_at    TEXT
) STRICT;

CREATE INDEX members_by_organizer ON members (organizer_id);
CREATE INDEX members_by_email ON members (email);
