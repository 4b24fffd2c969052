-- MirrorManager's host rules and the admin's overrides of GeoIP.

-- Which address families reach a mirror: set by the admin, later also by
-- the crawler. Both true unless said otherwise.
ALTER TABLE mirrors ADD COLUMN ipv4 boolean NOT NULL DEFAULT true;
ALTER TABLE mirrors ADD COLUMN ipv6 boolean NOT NULL DEFAULT true;
ALTER TABLE mirrors ADD CONSTRAINT mirrors_some_family CHECK (ipv4 OR ipv6);

-- host_country_allowed: a mirror with rows here serves clients of these
-- countries only.
CREATE TABLE mirror_countries_allowed (
	mirror   text NOT NULL REFERENCES mirrors ON DELETE CASCADE ON UPDATE CASCADE,
	position integer NOT NULL CHECK (position >= 0),
	country  text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
	PRIMARY KEY (mirror, position),
	UNIQUE (mirror, country)
);

-- netblock_country: clients inside a netblock count as that country.
CREATE TABLE netblock_countries (
	netblock cidr PRIMARY KEY,
	country  text NOT NULL CHECK (country ~ '^[A-Z]{2}$')
);

-- country_continent_redirect: a country's continent instead of the table's.
CREATE TABLE country_continents (
	country   text PRIMARY KEY CHECK (country ~ '^[A-Z]{2}$'),
	continent text NOT NULL CHECK (continent IN ('AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'))
);
