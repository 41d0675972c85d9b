-- The first read model: organizers and their API tokens, events with their
-- ticket types, quotas and holds, and the projection's ledger position.
-- Times are RFC 3339 UTC text with nine fractional digits, so they sort.

CREATE TABLE organizers (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at TEXT NOT NULL
) STRICT;

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	organizer_id TEXT NOT NULL REFERENCES organizers (id),
	name         TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,
	created_at   TEXT NOT NULL,
	revoked_at   TEXT
) STRICT;

CREATE INDEX api_tokens_by_organizer ON api_tokens (organizer_id);

-- events.organizer_id has no foreign key: an event and its organizer live on
-- different ledger subjects, and the projection must not depend on how the
-- two interleave.
CREATE TABLE events (
	id                   TEXT PRIMARY KEY,
	organizer_id         TEXT NOT NULL,
	name                 TEXT NOT NULL,
	venue                TEXT NOT NULL,
	timezone             TEXT NOT NULL,
	starts_at            TEXT NOT NULL,
	ends_at              TEXT NOT NULL,
	currency             TEXT NOT NULL,
	status               TEXT NOT NULL,
	hold_ttl_seconds     INTEGER NOT NULL,
	max_tickets_per_hold INTEGER NOT NULL,
	created_at           TEXT NOT NULL,
	updated_at           TEXT NOT NULL
) STRICT;

CREATE INDEX events_by_organizer ON events (organizer_id, created_at DESC, id DESC);
CREATE INDEX events_by_organizer_status ON events (organizer_id, status, created_at DESC, id DESC);

CREATE TABLE ticket_types (
	id             TEXT PRIMARY KEY,
	event_id       TEXT NOT NULL REFERENCES events (id),
	name           TEXT NOT NULL,
	description    TEXT NOT NULL,
	price_amount   INTEGER NOT NULL,
	price_currency TEXT NOT NULL,
	min_per_hold   INTEGER NOT NULL,
	max_per_hold   INTEGER NOT NULL,
	sales_start    TEXT,
	sales_end      TEXT,
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL
) STRICT;

CREATE INDEX ticket_types_by_event ON ticket_types (event_id);

CREATE TABLE quotas (
	id         TEXT PRIMARY KEY,
	event_id   TEXT NOT NULL REFERENCES events (id),
	name       TEXT NOT NULL,
	capacity   INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX quotas_by_event ON quotas (event_id);

CREATE TABLE quota_ticket_types (
	quota_id       TEXT NOT NULL REFERENCES quotas (id),
	ticket_type_id TEXT NOT NULL REFERENCES ticket_types (id),
	PRIMARY KEY (quota_id, ticket_type_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX quota_ticket_types_by_ticket_type ON quota_ticket_types (ticket_type_id);

CREATE TABLE holds (
	id         TEXT PRIMARY KEY,
	event_id   TEXT NOT NULL REFERENCES events (id),
	status     TEXT NOT NULL,
	quantity   INTEGER NOT NULL,
	items      TEXT NOT NULL, -- JSON array of {"ticket_type_id", "quantity"}
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	ended_at   TEXT
) STRICT;

-- projection holds each projection's last applied ledger stream sequence,
-- committed in the same transaction as the table changes it covers.
CREATE TABLE projection (
	name TEXT PRIMARY KEY,
	seq  INTEGER NOT NULL
) STRICT;
