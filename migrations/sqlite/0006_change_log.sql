-- The change log: what each committed write touched, so that a server
-- patches its snapshot instead of rebuilding it. Triggers write it in the
-- transaction of the change itself, whichever code made it. Kinds:
-- 'freshness' (one mirror and directory), 'mirror' (a mirror's row, its
-- lists, or its crawler health turning disabled or back), 'all' (anything
-- else answers depend on: patches cannot follow it). The log keeps the last
-- 100,000 entries; floor is the newest sequence number pruned, so that a
-- reader further behind knows it missed some.

CREATE TABLE change_log (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	kind      TEXT NOT NULL CHECK (kind IN ('freshness', 'mirror', 'all')),
	mirror    TEXT NOT NULL DEFAULT '',
	directory TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE change_log_floor (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL
) STRICT;
INSERT INTO change_log_floor (id, seq) VALUES (1, 0);

-- Set inside a bulk write (an import, a restore, a scan), which logs one
-- entry for everything instead of one per row; never committed as 1.
CREATE TABLE change_log_quiet (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	quiet INTEGER NOT NULL CHECK (quiet IN (0, 1))
) STRICT;
INSERT INTO change_log_quiet (id, quiet) VALUES (1, 0);

CREATE TRIGGER change_log_prune AFTER INSERT ON change_log WHEN new.seq % 1024 = 0 BEGIN
	DELETE FROM change_log WHERE seq <= new.seq - 100000;
	UPDATE change_log_floor SET seq = max(seq, new.seq - 100000) WHERE id = 1;
END;

CREATE TRIGGER freshness_insert_log AFTER INSERT ON freshness WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror, directory) VALUES ('freshness', new.mirror, new.directory);
END;
CREATE TRIGGER freshness_update_log AFTER UPDATE ON freshness
WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 AND (old.sha256 <> new.sha256 OR old.mirror <> new.mirror OR old.directory <> new.directory) BEGIN
	INSERT INTO change_log (kind, mirror, directory) VALUES ('freshness', old.mirror, old.directory);
	INSERT INTO change_log (kind, mirror, directory) VALUES ('freshness', new.mirror, new.directory);
END;
CREATE TRIGGER freshness_delete_log AFTER DELETE ON freshness WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror, directory) VALUES ('freshness', old.mirror, old.directory);
END;

CREATE TRIGGER mirrors_insert_log AFTER INSERT ON mirrors WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.name);
END;
CREATE TRIGGER mirrors_update_log AFTER UPDATE ON mirrors WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', old.name);
	INSERT INTO change_log (kind, mirror) SELECT 'mirror', new.name WHERE new.name <> old.name;
END;
CREATE TRIGGER mirrors_delete_log AFTER DELETE ON mirrors WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', old.name);
END;

CREATE TRIGGER mirror_urls_insert_log AFTER INSERT ON mirror_urls WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_urls_update_log AFTER UPDATE ON mirror_urls WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_urls_delete_log AFTER DELETE ON mirror_urls WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', old.mirror);
END;

CREATE TRIGGER mirror_netblocks_insert_log AFTER INSERT ON mirror_netblocks WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_netblocks_update_log AFTER UPDATE ON mirror_netblocks WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_netblocks_delete_log AFTER DELETE ON mirror_netblocks WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', old.mirror);
END;

CREATE TRIGGER mirror_locations_insert_log AFTER INSERT ON mirror_locations WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_locations_update_log AFTER UPDATE ON mirror_locations WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_locations_delete_log AFTER DELETE ON mirror_locations WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', old.mirror);
END;

-- Only the crawler's verdict matters to answers, not its bookkeeping.
CREATE TRIGGER mirror_health_insert_log AFTER INSERT ON mirror_health WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 AND (new.disabled = 1) BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_health_update_log AFTER UPDATE ON mirror_health
WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 AND (old.disabled <> new.disabled OR old.mirror <> new.mirror) BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_health_delete_log AFTER DELETE ON mirror_health WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 AND (old.disabled = 1) BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', old.mirror);
END;
CREATE TRIGGER locations_insert_log AFTER INSERT ON locations WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER locations_update_log AFTER UPDATE ON locations WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER locations_delete_log AFTER DELETE ON locations WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER repositories_insert_log AFTER INSERT ON repositories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER repositories_update_log AFTER UPDATE ON repositories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER repositories_delete_log AFTER DELETE ON repositories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER redirects_insert_log AFTER INSERT ON redirects WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER redirects_update_log AFTER UPDATE ON redirects WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER redirects_delete_log AFTER DELETE ON redirects WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER directories_insert_log AFTER INSERT ON directories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER directories_update_log AFTER UPDATE ON directories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER directories_delete_log AFTER DELETE ON directories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER repomd_alternates_insert_log AFTER INSERT ON repomd_alternates WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER repomd_alternates_update_log AFTER UPDATE ON repomd_alternates WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER repomd_alternates_delete_log AFTER DELETE ON repomd_alternates WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER cloud_ranges_insert_log AFTER INSERT ON cloud_ranges WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER cloud_ranges_update_log AFTER UPDATE ON cloud_ranges WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER cloud_ranges_delete_log AFTER DELETE ON cloud_ranges WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER tree_directories_insert_log AFTER INSERT ON tree_directories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER tree_directories_update_log AFTER UPDATE ON tree_directories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER tree_directories_delete_log AFTER DELETE ON tree_directories WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER tree_files_insert_log AFTER INSERT ON tree_files WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER tree_files_update_log AFTER UPDATE ON tree_files WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER tree_files_delete_log AFTER DELETE ON tree_files WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;

-- The host rules: a mirror's allowed countries are part of the mirror;
-- the overrides of countries and continents change everything.
CREATE TRIGGER mirror_countries_allowed_insert_log AFTER INSERT ON mirror_countries_allowed WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_countries_allowed_update_log AFTER UPDATE ON mirror_countries_allowed WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', new.mirror);
END;
CREATE TRIGGER mirror_countries_allowed_delete_log AFTER DELETE ON mirror_countries_allowed WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind, mirror) VALUES ('mirror', old.mirror);
END;
CREATE TRIGGER netblock_countries_insert_log AFTER INSERT ON netblock_countries WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER netblock_countries_update_log AFTER UPDATE ON netblock_countries WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER netblock_countries_delete_log AFTER DELETE ON netblock_countries WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER country_continents_insert_log AFTER INSERT ON country_continents WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER country_continents_update_log AFTER UPDATE ON country_continents WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
CREATE TRIGGER country_continents_delete_log AFTER DELETE ON country_continents WHEN (SELECT quiet FROM change_log_quiet WHERE id = 1) = 0 BEGIN
	INSERT INTO change_log (kind) VALUES ('all');
END;
