-- Holds are found by id only and inserted at on-sale rates: kept in one
-- B-tree keyed by id (WITHOUT ROWID) instead of a rowid table plus the
-- index of its primary key, so an insert writes one tree, not two.
CREATE TABLE holds_by_id (
	id         TEXT PRIMARY KEY,
	event_id   TEXT NOT NULL REFERENCES events (id),
	status     TEXT NOT NULL,
	quantity   INTEGER NOT NULL,
	items      TEXT NOT NULL, -- JSON array of {"ticket_type_id", "quantity"}
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	ended_at   TEXT
) STRICT, WITHOUT ROWID;

INSERT INTO holds_by_id (id, event_id, status, quantity, items, created_at, expires_at, ended_at)
	SELECT id, event_id, status, quantity, items, created_at, expires_at, ended_at FROM holds;
DROP TABLE holds;
ALTER TABLE holds_by_id RENAME TO holds;
