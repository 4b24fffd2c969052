-- Request and countme statistics. Replicas add to the same rows
-- (count = count + n), so each table's key is every label it keeps; the
-- time column leads it so that the retention's deletes use the index.

CREATE TABLE request_stats (
	day      date NOT NULL,
	repo     text NOT NULL,
	arch     text NOT NULL,
	country  text NOT NULL,
	location text NOT NULL,
	step     text NOT NULL,
	requests bigint NOT NULL CHECK (requests >= 0),
	PRIMARY KEY (day, repo, arch, country, location, step)
);

-- week is the Monday (00:00 UTC) that starts a countme week; bucket is
-- dnf's countme value.
CREATE TABLE countme_stats (
	week   date NOT NULL CHECK (extract(isodow FROM week) = 1),
	repo   text NOT NULL,
	arch   text NOT NULL,
	bucket smallint NOT NULL CHECK (bucket BETWEEN 1 AND 4),
	hits   bigint NOT NULL CHECK (hits >= 0),
	PRIMARY KEY (week, repo, arch, bucket)
);
