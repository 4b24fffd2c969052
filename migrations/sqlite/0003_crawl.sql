-- The crawler, as in the PostgreSQL schema's 0003_crawl.sql: the source of
-- each freshness record, the crawler's last observation per mirror and
-- directory, mirror and per-protocol health, and propagation points.

ALTER TABLE freshness ADD COLUMN source TEXT NOT NULL DEFAULT 'report'
	CHECK (source IN ('report', 'crawl'));

CREATE TABLE crawl_observations (
	mirror    TEXT NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	directory TEXT NOT NULL REFERENCES directories ON DELETE CASCADE ON UPDATE CASCADE,
	status    TEXT NOT NULL CHECK (status IN ('ok', 'other', 'missing')),
	sha256    TEXT NOT NULL CHECK (sha256 = '' OR (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*')),
	seen      INTEGER NOT NULL,
	PRIMARY KEY (mirror, directory)
) STRICT, WITHOUT ROWID;
CREATE INDEX crawl_observations_directory ON crawl_observations (directory);

CREATE TABLE mirror_health (
	mirror               TEXT PRIMARY KEY REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	last_crawl           INTEGER NOT NULL,
	consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
	disabled             INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	reason               TEXT NOT NULL DEFAULT '',
	since                INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE protocol_health (
	mirror               TEXT NOT NULL REFERENCES mirror_health ON DELETE CASCADE ON UPDATE CASCADE,
	protocol             TEXT NOT NULL CHECK (protocol IN ('http', 'https', 'rsync', 'ftp')),
	last_success         INTEGER NOT NULL,
	last_failure         INTEGER NOT NULL,
	last_reason          TEXT NOT NULL DEFAULT '',
	last_detail          TEXT NOT NULL DEFAULT '',
	consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
	PRIMARY KEY (mirror, protocol)
) STRICT, WITHOUT ROWID;

CREATE TABLE propagation (
	directory TEXT NOT NULL CHECK (directory <> ''),
	at        INTEGER NOT NULL,
	sha256    TEXT NOT NULL,
	current   INTEGER NOT NULL CHECK (current >= 0),
	older     INTEGER NOT NULL CHECK (older >= 0),
	other     INTEGER NOT NULL CHECK (other >= 0),
	failed    INTEGER NOT NULL CHECK (failed >= 0),
	PRIMARY KEY (directory, at)
) STRICT, WITHOUT ROWID;
CREATE INDEX propagation_at ON propagation (at);

-- Counts the changes that answers depend on. Every other process's commit
-- changes the database's data version; a server rebuilds only when this
-- number moved too, so that the crawler's health-only writes (a crawl
-- that changed nothing) do not make it rebuild.
CREATE TABLE generation (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n  INTEGER NOT NULL
) STRICT;
INSERT INTO generation (id, n) VALUES (1, 0);
