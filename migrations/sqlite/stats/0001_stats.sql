-- Request and countme statistics, as in PostgreSQL's 0005, in a database
-- file of their own (metalinkd-stats.db): a flush is no change of the
-- dataset, so it must not make the processes sharing the data directory
-- rebuild their snapshots, as a commit to metalinkd.db does. Days and weeks
-- are 'YYYY-MM-DD' text, which sorts as the dates do.

CREATE TABLE request_stats (
	day      TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	repo     TEXT NOT NULL,
	arch     TEXT NOT NULL,
	country  TEXT NOT NULL,
	location TEXT NOT NULL,
	step     TEXT NOT NULL,
	requests INTEGER NOT NULL CHECK (requests >= 0),
	PRIMARY KEY (day, repo, arch, country, location, step)
) STRICT, WITHOUT ROWID;

CREATE TABLE countme_stats (
	week   TEXT NOT NULL CHECK (week GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	repo   TEXT NOT NULL,
	arch   TEXT NOT NULL,
	bucket INTEGER NOT NULL CHECK (bucket BETWEEN 1 AND 4),
	hits   INTEGER NOT NULL CHECK (hits >= 0),
	PRIMARY KEY (week, repo, arch, bucket)
) STRICT, WITHOUT ROWID;
