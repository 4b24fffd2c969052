-- The embedded store's schema: the tables of the PostgreSQL schema in
-- SQLite's terms. Times are microseconds since the Unix epoch (UTC), the
-- precision both stores keep; lists that SQL never searches (a location's
-- cloud regions, a token's scopes) are text. The checks repeat the simple
-- rules of the Go validation; Go remains the place for the rest, so that
-- both stores refuse the same things.

CREATE TABLE locations (
	name          TEXT PRIMARY KEY CHECK (name <> '' AND name NOT GLOB '*[^a-z0-9-]*'),
	description   TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 200),
	-- Region ids separated by single spaces.
	cloud_regions TEXT NOT NULL DEFAULT '' CHECK (cloud_regions NOT GLOB '*[^a-z0-9 -]*')
) STRICT, WITHOUT ROWID;

CREATE TABLE mirrors (
	name              TEXT PRIMARY KEY CHECK (name <> '' AND length(name) <= 128),
	country           TEXT NOT NULL CHECK (length(country) = 2 AND country NOT GLOB '*[^A-Z]*'),
	bandwidth         INTEGER NOT NULL CHECK (bandwidth > 0),
	enabled           INTEGER NOT NULL CHECK (enabled IN (0, 1)),
	private           INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
	always_up_to_date INTEGER NOT NULL DEFAULT 0 CHECK (always_up_to_date IN (0, 1)),
	asn               INTEGER NOT NULL DEFAULT 0 CHECK (asn BETWEEN 0 AND 4294967295),
	region            TEXT NOT NULL DEFAULT '',
	bucket            TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

-- Position keeps each list in the order it was given.
CREATE TABLE mirror_urls (
	mirror   TEXT NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	position INTEGER NOT NULL CHECK (position >= 0),
	url      TEXT NOT NULL CHECK (url <> ''),
	PRIMARY KEY (mirror, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE mirror_netblocks (
	mirror   TEXT NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	position INTEGER NOT NULL CHECK (position >= 0),
	netblock TEXT NOT NULL CHECK (netblock GLOB '*/*'),
	PRIMARY KEY (mirror, position)
) STRICT, WITHOUT ROWID;

-- A location in use cannot be deleted (no cascade): dropping it would
-- silently take regional mirrors out of their region's lists.
CREATE TABLE mirror_locations (
	mirror   TEXT NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	position INTEGER NOT NULL CHECK (position >= 0),
	location TEXT NOT NULL REFERENCES locations ON UPDATE CASCADE,
	PRIMARY KEY (mirror, position),
	UNIQUE (mirror, location)
) STRICT, WITHOUT ROWID;
CREATE INDEX mirror_locations_location ON mirror_locations (location);

CREATE TABLE repositories (
	prefix    TEXT NOT NULL CHECK (prefix <> ''),
	arch      TEXT NOT NULL CHECK (arch <> ''),
	-- Not a foreign key: a repository may be declared before the scan
	-- finds its directory.
	directory TEXT NOT NULL CHECK (directory <> '' AND directory NOT GLOB '/*' AND directory NOT GLOB '*/'),
	disabled  INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	PRIMARY KEY (prefix, arch)
) STRICT, WITHOUT ROWID;

CREATE TABLE redirects (
	from_prefix TEXT PRIMARY KEY CHECK (from_prefix <> ''),
	to_prefix   TEXT NOT NULL CHECK (to_prefix <> '' AND to_prefix <> from_prefix)
) STRICT, WITHOUT ROWID;

-- Rules apply in position order.
CREATE TABLE scan_rules (
	position INTEGER PRIMARY KEY CHECK (position >= 0),
	pattern  TEXT NOT NULL CHECK (pattern <> ''),
	repo     TEXT NOT NULL CHECK (repo <> ''),
	arch     TEXT NOT NULL CHECK (arch <> '')
) STRICT;

-- The current repodata/repomd.xml of each scanned directory. MD5, SHA-1
-- and SHA-512 are optional ('' when the scan did not compute them).
CREATE TABLE directories (
	path      TEXT PRIMARY KEY CHECK (path <> '' AND path NOT GLOB '/*' AND path NOT GLOB '*/'),
	size      INTEGER NOT NULL CHECK (size >= 0),
	timestamp INTEGER NOT NULL,
	md5       TEXT NOT NULL CHECK (md5 = '' OR length(md5) = 32),
	sha1      TEXT NOT NULL CHECK (sha1 = '' OR length(sha1) = 40),
	sha256    TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	sha512    TEXT NOT NULL CHECK (sha512 = '' OR length(sha512) = 128),
	recorded  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Superseded versions still accepted from mirrors; position 0 is the newest.
CREATE TABLE repomd_alternates (
	directory  TEXT NOT NULL REFERENCES directories ON DELETE CASCADE ON UPDATE CASCADE,
	position   INTEGER NOT NULL CHECK (position >= 0),
	size       INTEGER NOT NULL CHECK (size >= 0),
	timestamp  INTEGER NOT NULL,
	md5        TEXT NOT NULL CHECK (md5 = '' OR length(md5) = 32),
	sha1       TEXT NOT NULL CHECK (sha1 = '' OR length(sha1) = 40),
	sha256     TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	sha512     TEXT NOT NULL CHECK (sha512 = '' OR length(sha512) = 128),
	recorded   INTEGER NOT NULL,
	superseded INTEGER NOT NULL,
	PRIMARY KEY (directory, position)
) STRICT, WITHOUT ROWID;

-- Which repomd.xml a mirror serves for a directory: the table that grows
-- with the network (mirrors × directories), one row per report.
CREATE TABLE freshness (
	mirror    TEXT NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	directory TEXT NOT NULL REFERENCES directories ON DELETE CASCADE ON UPDATE CASCADE,
	sha256    TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
	reported  INTEGER NOT NULL,
	PRIMARY KEY (mirror, directory)
) STRICT, WITHOUT ROWID;
CREATE INDEX freshness_directory ON freshness (directory);

CREATE TABLE cloud_sources (
	provider   TEXT PRIMARY KEY CHECK (provider <> ''),
	sync_token TEXT NOT NULL,
	imported   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Not a foreign key to cloud_sources: ranges may be restored without a source.
CREATE TABLE cloud_ranges (
	provider TEXT NOT NULL CHECK (provider <> ''),
	position INTEGER NOT NULL CHECK (position >= 0),
	prefix   TEXT NOT NULL CHECK (prefix GLOB '*/*'),
	region   TEXT NOT NULL CHECK (region <> ''),
	PRIMARY KEY (provider, position)
) STRICT, WITHOUT ROWID;

-- API tokens. Only the SHA-256 of the secret is kept; scopes are a JSON array.
CREATE TABLE tokens (
	id           TEXT PRIMARY KEY CHECK (id <> ''),
	name         TEXT NOT NULL,
	hash         BLOB NOT NULL UNIQUE,
	scopes       TEXT NOT NULL DEFAULT '[]',
	created_at   INTEGER NOT NULL,
	revoked_at   INTEGER,
	last_used_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE audit (
	id     INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT
) STRICT;

-- The former JSON data file this database was filled from, if any, so
-- that a file left behind by an interrupted rename is recognised.
CREATE TABLE legacy_import (
	file     TEXT PRIMARY KEY,
	imported INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
