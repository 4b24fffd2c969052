// Command mm2gen fills a PostgreSQL database with a MirrorManager2 network
// of a given size, for timing metalinkd import --from-mirrormanager2: the
// schema of internal/mm2/testdata/schema.sql, two categories (Fedora Linux
// and EPEL), -dirs repository directories each with repodata/ and a
// repomd.xml in two versions, and -hosts hosts in 40 countries with three
// URLs per category, a netblock each, and up2date rows for the share of
// the directories they carry (about 500,000 at Fedora's scale).
//
//	go run ./scripts/mm2gen -url postgres://postgres@127.0.0.1/mm2_bench -hosts 1000 -dirs 3000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	url := flag.String("url", "", "PostgreSQL URL of an empty database")
	schema := flag.String("schema", "internal/mm2/testdata/schema.sql", "MirrorManager2's schema")
	hosts := flag.Int("hosts", 1000, "hosts")
	dirs := flag.Int("dirs", 3000, "repository directories")
	share := flag.Int("share", 6, "a host carries one directory in this many")
	flag.Parse()
	if err := run(context.Background(), *url, *schema, *hosts, *dirs, *share); err != nil {
		fmt.Fprintln(os.Stderr, "mm2gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, schema string, hosts, dirs, share int) error {
	ddl, err := os.ReadFile(schema)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	start := time.Now()
	now := time.Now().Unix()
	steps := []string{string(ddl), fmt.Sprintf(`
		INSERT INTO directory (id, name) VALUES (1, 'pub/fedora/linux'), (2, 'pub/epel');
		INSERT INTO category (id, name, topdir_id) VALUES (1, 'Fedora Linux', 1), (2, 'Fedora EPEL', 2);
		INSERT INTO arch (id, name) VALUES (1, 'x86_64'), (2, 'aarch64'), (3, 'ppc64le'), (4, 's390x'), (5, 'source');
		-- Directory 10+2i is a repository directory, 11+2i its repodata; the
		-- last tenth are EPEL's.
		INSERT INTO directory (id, name)
			SELECT 10 + 2 * i + k, CASE WHEN i >= %[1]d * 9 / 10
				THEN 'pub/epel/' || i / 5 || '/Everything/' || (ARRAY['x86_64','aarch64','ppc64le','s390x','source'])[1 + i %% 5]
				ELSE 'pub/fedora/linux/releases/' || i / 5 || '/Everything/' || (ARRAY['x86_64','aarch64','ppc64le','s390x','source'])[1 + i %% 5] || '/os'
				END || CASE k WHEN 1 THEN '/repodata' ELSE '' END
			FROM generate_series(0, %[1]d - 1) AS i, generate_series(0, 1) AS k;
		INSERT INTO category_directory (category_id, directory_id)
			SELECT CASE WHEN name LIKE 'pub/epel/%%' THEN 2 ELSE 1 END, id FROM directory WHERE id >= 10;
		INSERT INTO repository (name, prefix, category_id, arch_id, directory_id)
			SELECT 'repo ' || i, CASE WHEN i >= %[1]d * 9 / 10 THEN 'epel-' ELSE 'fedora-' END || i / 5, 
				CASE WHEN i >= %[1]d * 9 / 10 THEN 2 ELSE 1 END, 1 + i %% 5, 10 + 2 * i
			FROM generate_series(0, %[1]d - 1) AS i;
		INSERT INTO file_detail (filename, timestamp, size, md5, sha1, sha256, sha512, directory_id)
			SELECT 'repomd.xml', %[2]d - v * 86400, 3000 + i, md5(i || ':' || v),
				left(encode(sha512((i || ':' || v)::bytea), 'hex'), 40),
				encode(sha256((i || ':' || v)::bytea), 'hex'), encode(sha512((i || ':' || v)::bytea), 'hex'), 11 + 2 * i
			FROM generate_series(0, %[1]d - 1) AS i, generate_series(0, 1) AS v;`, dirs, now),
		fmt.Sprintf(`
		INSERT INTO site (id, name, created_by) SELECT i, 'site ' || i, 'gen' FROM generate_series(1, %[1]d) AS i;
		INSERT INTO host (id, name, site_id, country, bandwidth_int, private)
			SELECT i, 'mirror' || i || '.example.org', i,
				(ARRAY['US','DE','FR','GB','NL','SE','CZ','PL','IT','ES','JP','CN','IN','KR','SG','AU','NZ','BR','AR','CL',
				       'CA','MX','ZA','KE','RU','UA','FI','NO','DK','AT','CH','BE','PT','GR','TR','IL','TW','HK','ID','VN'])[1 + i %% 40],
				100 * (1 + i %% 100), i %% 50 = 0
			FROM generate_series(1, %[1]d) AS i;
		INSERT INTO host_category (id, host_id, category_id, always_up2date)
			SELECT 2 * i + c - 1, i, c, i %% 97 = 0 FROM generate_series(1, %[1]d) AS i, generate_series(1, 2) AS c
			WHERE c = 1 OR i %% 2 = 0;
		INSERT INTO host_category_url (host_category_id, url)
			SELECT hc.id, p || 'mirror' || hc.host_id || '.example.org' || CASE hc.category_id WHEN 1 THEN '/fedora/linux' ELSE '/epel' END
			FROM host_category hc, unnest(ARRAY['https://', 'http://', 'rsync://']) AS p;
		INSERT INTO host_netblock (host_id, netblock, name)
			SELECT i, '10.' || i / 256 || '.' || i %% 256 || '.0/24', 'net' FROM generate_series(1, %[1]d) AS i;
		INSERT INTO host_category_dir (host_category_id, path, up2date, directory_id)
			SELECT hc.id, d.name, (hc.host_id + d.id) %% 20 <> 0, d.id
			FROM host_category hc JOIN category_directory cd ON cd.category_id = hc.category_id
			JOIN directory d ON d.id = cd.directory_id
			WHERE d.id %% 2 = 1 AND (d.id / 2 + hc.host_id) %% %[2]d = 0;
		ANALYZE;`, hosts, share)}
	for _, sql := range steps {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return err
		}
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM host_category_dir`).Scan(&n); err != nil {
		return err
	}
	fmt.Printf("mm2gen: %d hosts, %d repository directories, %d up2date rows in %s\n", hosts, dirs, n, time.Since(start).Round(time.Millisecond))
	return nil
}
