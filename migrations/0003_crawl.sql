-- The crawler: where each freshness record came from, the crawler's last
-- observation per mirror and directory (for the precedence of crawls over
-- reports), mirror and per-protocol health, and propagation points.

ALTER TABLE freshness ADD COLUMN source text NOT NULL DEFAULT 'report'
	CHECK (source IN ('report', 'crawl'));

-- Seen is a time at which the crawler saw the mirror serve what status and
-- sha256 say ('' when not known).
CREATE TABLE crawl_observations (
	mirror    text NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	directory text NOT NULL REFERENCES directories ON DELETE CASCADE ON UPDATE CASCADE,
	status    text NOT NULL CHECK (status IN ('ok', 'other', 'missing')),
	sha256    text NOT NULL CHECK (sha256 ~ '^([0-9a-f]{64})?$'),
	seen      timestamptz NOT NULL,
	PRIMARY KEY (mirror, directory)
);

-- Zero times (never) are stored as the zero time, as elsewhere.
CREATE TABLE mirror_health (
	mirror               text PRIMARY KEY REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	last_crawl           timestamptz NOT NULL,
	consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
	disabled             boolean NOT NULL DEFAULT false,
	reason               text NOT NULL DEFAULT '',
	since                timestamptz NOT NULL
);

CREATE TABLE protocol_health (
	mirror               text NOT NULL REFERENCES mirror_health ON DELETE CASCADE ON UPDATE CASCADE,
	protocol             text NOT NULL CHECK (protocol IN ('http', 'https', 'rsync', 'ftp')),
	last_success         timestamptz NOT NULL,
	last_failure         timestamptz NOT NULL,
	last_reason          text NOT NULL DEFAULT '',
	last_detail          text NOT NULL DEFAULT '',
	consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
	PRIMARY KEY (mirror, protocol)
);

-- A time series: not tied to the directories, whose history it outlives.
CREATE TABLE propagation (
	directory text NOT NULL CHECK (directory <> ''),
	at        timestamptz NOT NULL,
	sha256    text NOT NULL,
	current   integer NOT NULL CHECK (current >= 0),
	older     integer NOT NULL CHECK (older >= 0),
	other     integer NOT NULL CHECK (other >= 0),
	failed    integer NOT NULL CHECK (failed >= 0),
	PRIMARY KEY (directory, at)
);
CREATE INDEX propagation_at ON propagation (at);
