-- MirrorManager's host rules and the admin's overrides of GeoIP.

-- Which address families reach a mirror: set by the admin, later also by
-- the crawler. Both true unless said otherwise.
ALTER TABLE mirrors ADD COLUMN ipv4 INTEGER NOT NULL DEFAULT 1 CHECK (ipv4 IN (0, 1));
ALTER TABLE mirrors ADD COLUMN ipv6 INTEGER NOT NULL DEFAULT 1 CHECK (ipv6 IN (0, 1));

-- host_country_allowed: a mirror with rows here serves clients of these
-- countries only.
CREATE TABLE mirror_countries_allowed (
	mirror   TEXT NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	position INTEGER NOT NULL CHECK (position >= 0),
	country  TEXT NOT NULL CHECK (length(country) = 2 AND country NOT GLOB '*[^A-Z]*'),
	PRIMARY KEY (mirror, position),
	UNIQUE (mirror, country)
) STRICT, WITHOUT ROWID;

-- netblock_country: clients inside a netblock count as that country.
CREATE TABLE netblock_countries (
	netblock TEXT PRIMARY KEY CHECK (netblock GLOB '*/*'),
	country  TEXT NOT NULL CHECK (length(country) = 2 AND country NOT GLOB '*[^A-Z]*')
) STRICT, WITHOUT ROWID;

-- country_continent_redirect: a country's continent instead of the table's.
CREATE TABLE country_continents (
	country   TEXT PRIMARY KEY CHECK (length(country) = 2 AND country NOT GLOB '*[^A-Z]*'),
	continent TEXT NOT NULL CHECK (continent IN ('AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'))
) STRICT, WITHOUT ROWID;
