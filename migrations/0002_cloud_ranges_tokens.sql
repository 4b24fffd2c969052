-- Cloud-range steering (selection step 2): the regions a location serves,
-- the published ranges of each region and the version of each provider's
-- list. Tokens are keyed by the ID the admin API hands out, and an audit
-- entry may have no detail.

ALTER TABLE locations ADD COLUMN cloud_regions text[] NOT NULL DEFAULT '{}'
	CHECK (array_position(cloud_regions, NULL) IS NULL AND
		array_to_string(cloud_regions, ' ') ~ '^([a-z0-9-]+( |$))*$');

CREATE TABLE cloud_sources (
	provider   text PRIMARY KEY CHECK (provider ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
	sync_token text NOT NULL,
	imported   timestamptz NOT NULL
);

-- Position keeps each provider's ranges in the order they were given. Not
-- a foreign key to cloud_sources: ranges may be restored without a source.
CREATE TABLE cloud_ranges (
	provider text NOT NULL CHECK (provider ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
	position integer NOT NULL CHECK (position >= 0),
	prefix   cidr NOT NULL,
	region   text NOT NULL CHECK (region ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
	PRIMARY KEY (provider, position)
);

-- No token was issued under 0001's numeric IDs.
DROP TABLE tokens;
CREATE TABLE tokens (
	id           text PRIMARY KEY CHECK (id <> ''),
	name         text NOT NULL,
	hash         bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
	scopes       text[] NOT NULL DEFAULT '{}',
	created_at   timestamptz NOT NULL,
	revoked_at   timestamptz,
	last_used_at timestamptz
);

ALTER TABLE audit ALTER COLUMN detail DROP NOT NULL, ALTER COLUMN detail DROP DEFAULT;
