-- The change log: what each committed write touched, so that a server
-- patches its snapshot instead of rebuilding it. Triggers write it in the
-- transaction of the change itself, whichever code made it. Kinds:
-- 'freshness' (one mirror and directory), 'mirror' (a mirror's row, its
-- lists, or its crawler health turning disabled or back), 'all' (anything
-- else answers depend on: patches cannot follow it). The log keeps the last
-- 100,000 entries; floor is the newest sequence number pruned, so that a
-- reader further behind knows it missed some.

CREATE TABLE change_log (
	seq       bigserial PRIMARY KEY,
	kind      text NOT NULL CHECK (kind IN ('freshness', 'mirror', 'all')),
	mirror    text NOT NULL DEFAULT '',
	directory text NOT NULL DEFAULT ''
);

CREATE TABLE change_log_floor (
	id  integer PRIMARY KEY CHECK (id = 1),
	seq bigint NOT NULL
);
INSERT INTO change_log_floor (id, seq) VALUES (1, 0);

-- Sequence numbers must be handed out in commit order, or a reader could
-- read past a change still being committed: every logged write holds the
-- writers' lock (the same key as store/postgres's writeLock) until commit.
CREATE FUNCTION change_log_add(k text, m text, d text) RETURNS void AS $$
DECLARE
	s bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(30800032737883237);
	INSERT INTO change_log (kind, mirror, directory) VALUES (k, m, d) RETURNING seq INTO s;
	IF s % 1024 = 0 THEN
		DELETE FROM change_log WHERE seq <= s - 100000;
		UPDATE change_log_floor SET seq = greatest(seq, s - 100000) WHERE id = 1;
	END IF;
END;
$$ LANGUAGE plpgsql;

-- Freshness is logged once per statement, from its transition tables, so
-- that a bulk write (an import of the whole network) costs one statement,
-- and one entry for everything past 20,000 rows, not one call per row.
CREATE FUNCTION freshness_log() RETURNS trigger AS $$
DECLARE
	n bigint;
	s bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(30800032737883237);
	IF TG_OP = 'INSERT' THEN
		SELECT count(*) INTO n FROM new_rows;
	ELSE
		SELECT count(*) INTO n FROM old_rows;
	END IF;
	IF n = 0 THEN
		RETURN NULL;
	END IF;
	IF n > 20000 THEN
		PERFORM change_log_add('all', '', '');
		RETURN NULL;
	END IF;
	IF TG_OP = 'INSERT' THEN
		INSERT INTO change_log (kind, mirror, directory) SELECT 'freshness', mirror, directory FROM new_rows;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO change_log (kind, mirror, directory) SELECT 'freshness', mirror, directory FROM old_rows;
	ELSE
		INSERT INTO change_log (kind, mirror, directory)
		SELECT 'freshness', c.mirror, c.directory FROM (
			(SELECT mirror, directory, sha256 FROM new_rows EXCEPT SELECT mirror, directory, sha256 FROM old_rows)
			UNION
			(SELECT mirror, directory, sha256 FROM old_rows EXCEPT SELECT mirror, directory, sha256 FROM new_rows)) c;
	END IF;
	SELECT max(seq) INTO s FROM change_log;
	DELETE FROM change_log WHERE seq <= s - 100000;
	UPDATE change_log_floor SET seq = s - 100000 WHERE id = 1 AND seq < s - 100000;
	RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER freshness_insert_log AFTER INSERT ON freshness REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION freshness_log();
CREATE TRIGGER freshness_update_log AFTER UPDATE ON freshness REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION freshness_log();
CREATE TRIGGER freshness_delete_log AFTER DELETE ON freshness REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION freshness_log();

CREATE FUNCTION mirrors_log() RETURNS trigger AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		PERFORM change_log_add('mirror', old.name, '');
	END IF;
	IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND old.name <> new.name) THEN
		PERFORM change_log_add('mirror', new.name, '');
	END IF;
	RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER mirrors_log AFTER INSERT OR UPDATE OR DELETE ON mirrors
	FOR EACH ROW EXECUTE FUNCTION mirrors_log();

-- A mirror's lists (URLs, netblocks, locations).
CREATE FUNCTION mirror_list_log() RETURNS trigger AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		PERFORM change_log_add('mirror', old.mirror, '');
	ELSE
		PERFORM change_log_add('mirror', new.mirror, '');
	END IF;
	RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER mirror_urls_log AFTER INSERT OR UPDATE OR DELETE ON mirror_urls
	FOR EACH ROW EXECUTE FUNCTION mirror_list_log();
CREATE TRIGGER mirror_netblocks_log AFTER INSERT OR UPDATE OR DELETE ON mirror_netblocks
	FOR EACH ROW EXECUTE FUNCTION mirror_list_log();
CREATE TRIGGER mirror_locations_log AFTER INSERT OR UPDATE OR DELETE ON mirror_locations
	FOR EACH ROW EXECUTE FUNCTION mirror_list_log();

-- Only the crawler's verdict matters to answers, not its bookkeeping.
CREATE FUNCTION mirror_health_log() RETURNS trigger AS $$
BEGIN
	IF (TG_OP = 'INSERT' AND new.disabled) OR (TG_OP = 'DELETE' AND old.disabled) THEN
		PERFORM change_log_add('mirror', coalesce(new.mirror, old.mirror), '');
	ELSIF TG_OP = 'UPDATE' AND (old.disabled <> new.disabled OR old.mirror <> new.mirror) THEN
		PERFORM change_log_add('mirror', new.mirror, '');
	END IF;
	RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER mirror_health_log AFTER INSERT OR UPDATE OR DELETE ON mirror_health
	FOR EACH ROW EXECUTE FUNCTION mirror_health_log();

-- Everything else answers depend on, once per statement.
CREATE FUNCTION everything_log() RETURNS trigger AS $$
BEGIN
	PERFORM change_log_add('all', '', '');
	RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER locations_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON locations
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
CREATE TRIGGER repositories_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON repositories
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
CREATE TRIGGER redirects_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON redirects
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
CREATE TRIGGER directories_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON directories
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
CREATE TRIGGER repomd_alternates_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON repomd_alternates
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
CREATE TRIGGER cloud_ranges_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cloud_ranges
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
CREATE TRIGGER tree_directories_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tree_directories
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
CREATE TRIGGER tree_files_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tree_files
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();

-- The host rules: a mirror's allowed countries are part of the mirror;
-- the overrides of countries and continents change everything.
CREATE TRIGGER mirror_countries_allowed_log AFTER INSERT OR UPDATE OR DELETE ON mirror_countries_allowed
	FOR EACH ROW EXECUTE FUNCTION mirror_list_log();
CREATE TRIGGER netblock_countries_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON netblock_countries
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
CREATE TRIGGER country_continents_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON country_continents
	FOR EACH STATEMENT EXECUTE FUNCTION everything_log();
