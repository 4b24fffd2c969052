-- Every directory of the master tree, repository or not, and the details of
-- the files the scan chose (ISO and disk images by default). They are read
-- whole to build a snapshot and rewritten only where a scan changed them.
CREATE TABLE tree_directories (
	path TEXT PRIMARY KEY CHECK (path <> '' AND path NOT GLOB '/*' AND path NOT GLOB '*/')
) WITHOUT ROWID;

CREATE TABLE tree_files (
	path   TEXT PRIMARY KEY CHECK (path <> '' AND path NOT GLOB '/*' AND path NOT GLOB '*/'),
	size   INTEGER NOT NULL CHECK (size >= 0),
	mtime  INTEGER NOT NULL CHECK (mtime >= 0),
	sha256 TEXT NOT NULL CHECK (sha256 = '' OR (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'))
) WITHOUT ROWID;
