-- Every directory of the master tree, repository or not, and the details of
-- the files the scan chose (ISO and disk images by default). They are read
-- whole to build a snapshot and rewritten only where a scan changed them.
CREATE TABLE tree_directories (
	path text PRIMARY KEY CHECK (path <> '' AND path !~ '^/|/$')
);

CREATE TABLE tree_files (
	path   text PRIMARY KEY CHECK (path <> '' AND path !~ '^/|/$'),
	size   bigint NOT NULL CHECK (size >= 0),
	mtime  bigint NOT NULL CHECK (mtime >= 0),
	sha256 text NOT NULL CHECK (sha256 = '' OR sha256 ~ '^[0-9a-f]{64}$')
);
