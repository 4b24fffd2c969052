-- A bulk write (an import or a restore of the whole dataset) logs one
-- 'all' entry itself, at its end, instead of one entry per row of the
-- mirrors' lists (50,000 netblocks at Fedora's scale, each taking the log's
-- lock and inserting a row). It sets metalinkd.change_log_quiet to 'on' for
-- its own transaction (set_config(..., true)), and the triggers do not
-- fire in it: a WHEN condition costs no function call per row. Everyone
-- else's writes log as before.

DROP TRIGGER freshness_insert_log ON freshness;
CREATE TRIGGER freshness_insert_log AFTER INSERT ON freshness REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION freshness_log();

DROP TRIGGER freshness_update_log ON freshness;
CREATE TRIGGER freshness_update_log AFTER UPDATE ON freshness REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION freshness_log();

DROP TRIGGER freshness_delete_log ON freshness;
CREATE TRIGGER freshness_delete_log AFTER DELETE ON freshness REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION freshness_log();

DROP TRIGGER mirrors_log ON mirrors;
CREATE TRIGGER mirrors_log AFTER INSERT OR UPDATE OR DELETE ON mirrors
	FOR EACH ROW
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION mirrors_log();

DROP TRIGGER mirror_urls_log ON mirror_urls;
CREATE TRIGGER mirror_urls_log AFTER INSERT OR UPDATE OR DELETE ON mirror_urls
	FOR EACH ROW
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION mirror_list_log();

DROP TRIGGER mirror_netblocks_log ON mirror_netblocks;
CREATE TRIGGER mirror_netblocks_log AFTER INSERT OR UPDATE OR DELETE ON mirror_netblocks
	FOR EACH ROW
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION mirror_list_log();

DROP TRIGGER mirror_locations_log ON mirror_locations;
CREATE TRIGGER mirror_locations_log AFTER INSERT OR UPDATE OR DELETE ON mirror_locations
	FOR EACH ROW
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION mirror_list_log();

DROP TRIGGER mirror_health_log ON mirror_health;
CREATE TRIGGER mirror_health_log AFTER INSERT OR UPDATE OR DELETE ON mirror_health
	FOR EACH ROW
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION mirror_health_log();

DROP TRIGGER locations_log ON locations;
CREATE TRIGGER locations_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON locations
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER repositories_log ON repositories;
CREATE TRIGGER repositories_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON repositories
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER redirects_log ON redirects;
CREATE TRIGGER redirects_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON redirects
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER directories_log ON directories;
CREATE TRIGGER directories_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON directories
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER repomd_alternates_log ON repomd_alternates;
CREATE TRIGGER repomd_alternates_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON repomd_alternates
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER cloud_ranges_log ON cloud_ranges;
CREATE TRIGGER cloud_ranges_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON cloud_ranges
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER tree_directories_log ON tree_directories;
CREATE TRIGGER tree_directories_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tree_directories
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER tree_files_log ON tree_files;
CREATE TRIGGER tree_files_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tree_files
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER mirror_countries_allowed_log ON mirror_countries_allowed;
CREATE TRIGGER mirror_countries_allowed_log AFTER INSERT OR UPDATE OR DELETE ON mirror_countries_allowed
	FOR EACH ROW
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION mirror_list_log();

DROP TRIGGER netblock_countries_log ON netblock_countries;
CREATE TRIGGER netblock_countries_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON netblock_countries
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();

DROP TRIGGER country_continents_log ON country_continents;
CREATE TRIGGER country_continents_log AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON country_continents
	FOR EACH STATEMENT
	WHEN (current_setting('metalinkd.change_log_quiet', true) IS DISTINCT FROM 'on')
	EXECUTE FUNCTION everything_log();
