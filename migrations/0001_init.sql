-- The mirror network: mirrors, the locations that group regional mirrors,
-- repositories and their redirects, the scan rules, the scanned repomd.xml
-- of each directory, which repomd each mirror serves, admin tokens and the
-- audit trail. The checks repeat the simple rules of the Go validation so
-- that data written by any client stays well-formed; Go remains the place
-- for rules that need the whole model (for example known country codes).

CREATE TABLE locations (
	name        text PRIMARY KEY
	            CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
	description text NOT NULL DEFAULT ''
	            CHECK (length(description) <= 200)
);

CREATE TABLE mirrors (
	name              text PRIMARY KEY
	                  CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
	country           text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
	bandwidth         bigint NOT NULL CHECK (bandwidth > 0),
	enabled           boolean NOT NULL,
	private           boolean NOT NULL DEFAULT false,
	always_up_to_date boolean NOT NULL DEFAULT false,
	-- 0 when the mirror names no autonomous system.
	asn               bigint NOT NULL DEFAULT 0
	                  CHECK (asn BETWEEN 0 AND 4294967295),
	region            text NOT NULL DEFAULT ''
	                  CHECK (region = '' OR region ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
	bucket            text NOT NULL DEFAULT ''
	                  CHECK (bucket = '' OR bucket ~ '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$')
);

-- Position keeps each list in the order it was given: the order of a
-- mirror's URLs is the order they are published in.
CREATE TABLE mirror_urls (
	mirror   text NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	position integer NOT NULL CHECK (position >= 0),
	url      text NOT NULL CHECK (url ~* '^(https?|ftp|rsync)://[^/?#@]+'),
	PRIMARY KEY (mirror, position),
	UNIQUE (mirror, url)
);

CREATE TABLE mirror_netblocks (
	mirror   text NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	position integer NOT NULL CHECK (position >= 0),
	netblock cidr NOT NULL,
	PRIMARY KEY (mirror, position),
	UNIQUE (mirror, netblock)
);

-- A location in use cannot be deleted (no cascade): dropping it would
-- silently take regional mirrors out of their region's lists.
CREATE TABLE mirror_locations (
	mirror   text NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	position integer NOT NULL CHECK (position >= 0),
	location text NOT NULL REFERENCES locations ON UPDATE CASCADE,
	PRIMARY KEY (mirror, position),
	UNIQUE (mirror, location)
);
CREATE INDEX mirror_locations_location ON mirror_locations (location);

CREATE TABLE repositories (
	prefix    text NOT NULL CHECK (prefix ~ '^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$'),
	arch      text NOT NULL CHECK (arch ~ '^[A-Za-z0-9_]{1,32}$'),
	-- Not a foreign key: a repository may be declared before the scan
	-- finds its directory.
	directory text NOT NULL CHECK (directory <> '' AND directory !~ '^/|/$'),
	disabled  boolean NOT NULL DEFAULT false,
	PRIMARY KEY (prefix, arch)
);

CREATE TABLE redirects (
	from_prefix text PRIMARY KEY CHECK (from_prefix ~ '^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$'),
	to_prefix   text NOT NULL CHECK (to_prefix ~ '^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$'),
	CHECK (from_prefix <> to_prefix)
);

-- Rules apply in position order.
CREATE TABLE scan_rules (
	position integer PRIMARY KEY CHECK (position >= 0),
	pattern  text NOT NULL CHECK (pattern <> ''),
	repo     text NOT NULL CHECK (repo <> ''),
	arch     text NOT NULL CHECK (arch <> '')
);

-- The current repodata/repomd.xml of each scanned directory. MD5, SHA-1
-- and SHA-512 are optional ('' when the scan did not compute them).
CREATE TABLE directories (
	path      text PRIMARY KEY CHECK (path <> '' AND path !~ '^/|/$'),
	size      bigint NOT NULL CHECK (size >= 0),
	timestamp bigint NOT NULL,
	md5       text NOT NULL CHECK (md5 = '' OR md5 ~ '^[0-9a-f]{32}$'),
	sha1      text NOT NULL CHECK (sha1 = '' OR sha1 ~ '^[0-9a-f]{40}$'),
	sha256    text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	sha512    text NOT NULL CHECK (sha512 = '' OR sha512 ~ '^[0-9a-f]{128}$'),
	recorded  timestamptz NOT NULL
);

-- Superseded versions still accepted from mirrors; position 0 is the newest.
CREATE TABLE repomd_alternates (
	directory  text NOT NULL REFERENCES directories ON DELETE CASCADE ON UPDATE CASCADE,
	position   integer NOT NULL CHECK (position >= 0),
	size       bigint NOT NULL CHECK (size >= 0),
	timestamp  bigint NOT NULL,
	md5        text NOT NULL CHECK (md5 = '' OR md5 ~ '^[0-9a-f]{32}$'),
	sha1       text NOT NULL CHECK (sha1 = '' OR sha1 ~ '^[0-9a-f]{40}$'),
	sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	sha512     text NOT NULL CHECK (sha512 = '' OR sha512 ~ '^[0-9a-f]{128}$'),
	recorded   timestamptz NOT NULL,
	superseded timestamptz NOT NULL,
	PRIMARY KEY (directory, position)
);

-- Which repomd.xml a mirror serves for a directory. The sha256 is not a
-- foreign key: a mirror that still serves an expired version keeps its row
-- and is simply not listed until it catches up.
CREATE TABLE freshness (
	mirror    text NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	directory text NOT NULL REFERENCES directories ON DELETE CASCADE ON UPDATE CASCADE,
	sha256    text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	reported  timestamptz NOT NULL,
	PRIMARY KEY (mirror, directory)
);
CREATE INDEX freshness_directory ON freshness (directory);

-- API tokens. Only the SHA-256 of the secret is kept.
CREATE TABLE tokens (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name         text NOT NULL UNIQUE CHECK (name <> ''),
	hash         bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	scopes       text[] NOT NULL DEFAULT '{}',
	created_at   timestamptz NOT NULL DEFAULT now(),
	revoked_at   timestamptz,
	last_used_at timestamptz
);

CREATE TABLE audit (
	id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at     timestamptz NOT NULL DEFAULT now(),
	actor  text NOT NULL,
	action text NOT NULL,
	target text NOT NULL DEFAULT '',
	detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at);
