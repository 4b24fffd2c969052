-- A small mirror network in MirrorManager2's schema (schema.sql): Fedora
-- Linux and EPEL, 30 ordinary mirrors in 30 countries, and 20 hosts that
-- each exercise one rule (private, disabled, restricted, unmappable ...).
-- Times are fixed: the tests convert as of 1796000000 (2026-11-30T09:33:20Z).

INSERT INTO directory (id, name) VALUES
  (1, 'pub/fedora/linux'),
  (2, 'pub/epel'),
  (10, 'pub/fedora/linux/releases/41/Everything/x86_64/os'),
  (11, 'pub/fedora/linux/releases/41/Everything/x86_64/os/repodata'),
  (12, 'pub/fedora/linux/releases/41/Everything/aarch64/os'),
  (13, 'pub/fedora/linux/releases/41/Everything/aarch64/os/repodata'),
  (14, 'pub/fedora/linux/updates/41/Everything/x86_64'),
  (15, 'pub/fedora/linux/updates/41/Everything/x86_64/repodata'),
  (16, 'pub/fedora/linux/development/rawhide/Everything/x86_64/os'),
  (17, 'pub/fedora/linux/development/rawhide/Everything/x86_64/os/repodata'),
  (18, 'pub/fedora/linux/releases/39/Everything/x86_64/os'),
  (19, 'pub/fedora/linux/releases/41/Everything/x86_64/iso'),
  (20, 'pub/epel/9/Everything/x86_64'),
  (21, 'pub/epel/9/Everything/x86_64/repodata');
SELECT setval('directory_id_seq', 100);

INSERT INTO product (id, name) VALUES (1, 'Fedora'), (2, 'EPEL');
INSERT INTO category (id, name, canonicalhost, product_id, topdir_id) VALUES
  (1, 'Fedora Linux', 'https://dl.fedoraproject.org', 1, 1),
  (2, 'Fedora EPEL', 'https://dl.fedoraproject.org', 2, 2);
INSERT INTO category_directory (category_id, directory_id)
  SELECT 1, id FROM directory WHERE name LIKE 'pub/fedora/linux%'
  UNION ALL SELECT 2, id FROM directory WHERE name LIKE 'pub/epel%';

INSERT INTO arch (id, name, primary_arch) VALUES (1, 'x86_64', true), (2, 'aarch64', true), (3, 'source', false);
INSERT INTO version (id, name, product_id) VALUES (1, '41', 1), (2, 'development', 1), (3, '39', 1), (4, '9', 2);
INSERT INTO repository (name, prefix, category_id, version_id, arch_id, directory_id, disabled) VALUES
  ('Fedora 41 x86_64', 'fedora-41', 1, 1, 1, 10, false),
  ('Fedora 41 aarch64', 'fedora-41', 1, 1, 2, 12, false),
  ('Fedora 41 updates x86_64', 'updates-released-f41', 1, 1, 1, 14, false),
  ('Fedora rawhide x86_64', 'rawhide', 1, 2, 1, 16, false),
  ('Fedora 39 x86_64', 'fedora-39', 1, 3, 1, 18, true),
  ('EPEL 9 x86_64', 'epel-9', 2, 4, 1, 20, false),
  ('Fedora 41 iso', NULL, 1, 1, 1, 19, false);
INSERT INTO repository_redirect (from_repo, to_repo) VALUES
  ('fedora-42', 'rawhide'),
  ('epel-10', NULL);

-- repomd.xml versions: updates has three (one aged out), rawhide two (the
-- older aged out), EPEL two; the ISO directory has an image and its
-- CHECKSUM file, in two versions.
INSERT INTO file_detail (filename, timestamp, size, md5, sha1, sha256, sha512, directory_id)
  SELECT 'repomd.xml', ts, 3000 + d, md5(d || ':' || ts),
         left(encode(sha512((d || ':' || ts)::bytea), 'hex'), 40),
         encode(sha256((d || ':' || ts)::bytea), 'hex'),
         encode(sha512((d || ':' || ts)::bytea), 'hex'), d
  FROM (VALUES (11, 1795996400), (13, 1795996400),
               (15, 1795996400), (15, 1795913600), (15, 1795568000),
               (17, 1795740800), (17, 1795500000),
               (21, 1795992800), (21, 1795800000)) AS v (d, ts);
INSERT INTO file_detail (filename, timestamp, size, sha256, directory_id) VALUES
  ('Fedora-Everything-41-x86_64-CHECKSUM', 1795000000, 1234,
   '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', 19),
  ('Fedora-Everything-41-x86_64-CHECKSUM', 1794000000, 1200,
   '3d1f2b5c7a9e0b4c6d8f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b', 19),
  ('Fedora-Everything-netinst-x86_64-41-1.4.iso', 1795000000, 805306368,
   '9a7c5e3b1d0f2e4c6a8b0d2f4e6c8a0b1d3f5e7c9a1b3d5f7e9c1a3b5d7f9e1c', 19);

-- 30 ordinary mirrors, one site each.
INSERT INTO site (id, name, created_by)
  SELECT i, 'Site ' || i, 'admin' FROM generate_series(1, 30) AS i;
INSERT INTO host (id, name, site_id, country, bandwidth_int)
  SELECT i, 'mirror' || i || '.' || lower(cc) || '.example.org', i, cc, 100 * i
  FROM unnest(ARRAY['US','US','US','DE','DE','FR','GB','NL','SE','CZ','JP','JP','CN','IN','AU',
                    'NZ','BR','AR','CA','CA','ZA','KE','RU','PL','IT','ES','KR','SG','MX','CL'])
       WITH ORDINALITY AS t (cc, i);
INSERT INTO host_category (host_id, category_id) SELECT id, 1 FROM host WHERE id <= 30;
INSERT INTO host_category (host_id, category_id) SELECT id, 2 FROM host WHERE id <= 30 AND id % 2 = 0;
INSERT INTO host_category_url (host_category_id, url)
  SELECT hc.id, p || h.name || CASE hc.category_id WHEN 1 THEN '/fedora/linux' ELSE '/epel' END
  FROM host_category hc JOIN host h ON h.id = hc.host_id,
       unnest(ARRAY['https://', 'http://', 'rsync://']) WITH ORDINALITY AS u (p, o)
  WHERE h.id <= 30 ORDER BY h.id, hc.category_id, o;
-- Every fifth mirror has a second https URL (another path on the host).
INSERT INTO host_category_url (host_category_id, url)
  SELECT hc.id, 'https://' || h.name || '/mirror2' || CASE hc.category_id WHEN 1 THEN '/fedora/linux' ELSE '/epel' END
  FROM host_category hc JOIN host h ON h.id = hc.host_id
  WHERE h.id <= 30 AND h.id % 5 = 0 ORDER BY h.id, hc.category_id;

-- Hosts that each exercise one rule.
INSERT INTO site (id, name, created_by, private, admin_active, user_active) VALUES
  (31, 'Corp', 'admin', false, true, true),
  (32, 'Campus (private site)', 'admin', true, true, true),
  (33, 'Banned site', 'admin', false, false, true),
  (34, 'Retired site', 'admin', false, true, false),
  (35, 'Various', 'admin', false, true, true);
INSERT INTO host (id, name, site_id, country, bandwidth_int, private, admin_active, user_active,
                  asn, asn_clients, max_connections, internet2, internet2_clients) VALUES
  (31, 'private.corp.example.com', 31, 'US', 1000, true, true, true, NULL, true, 1, false, false),
  (32, 'campus.example.edu', 32, 'DE', 1000, false, true, true, NULL, true, 1, false, false),
  (33, 'banned.example.net', 33, 'FR', 100, false, true, true, NULL, true, 1, false, false),
  (34, 'retired.example.net', 34, 'GB', 100, false, true, true, NULL, true, 1, false, false),
  (35, 'off-admin.example.net', 35, 'US', 100, false, false, true, NULL, true, 1, false, false),
  (36, 'off-user.example.net', 35, 'US', 100, false, true, false, NULL, true, 1, false, false),
  (37, 'cn-only.example.cn', 35, 'CN', 500, false, true, true, NULL, true, 1, false, false),
  (38, 'isp.example.net', 35, 'DE', 2000, false, true, true, 64500, true, 1, false, false),
  (39, 'nopeer.example.net', 35, 'NL', 300, false, true, true, 64510, false, 1, false, false),
  (40, 'i2.example.edu', 35, 'US', 10000, false, true, true, NULL, true, 4, true, true),
  (41, 'mixed.example.org', 35, 'JP', 400, false, true, true, NULL, true, 1, false, false),
  (42, 'odd.example.org', 35, 'SE', 400, false, true, true, NULL, true, 1, false, false),
  (43, 'dnsblock.example.org', 35, 'US', 400, false, true, true, NULL, true, 1, false, false),
  (44, 'nourls.example.org', 35, 'US', 400, false, true, true, NULL, true, 1, false, false),
  (45, 'aws-use1.example.com', 35, 'US', 100000, true, true, true, NULL, true, 1, false, false),
  (46, 'always.example.org', 35, 'CA', 800, false, true, true, NULL, true, 1, false, false),
  (47, 'mirror1.us.example.org', 31, 'US', 100, false, true, true, NULL, true, 1, false, false),
  (48, 'nobw.example.org', 35, 'BR', NULL, false, true, true, NULL, true, 1, false, false),
  (49, 'nowhere.example.org', 35, 'XX', 100, false, true, true, NULL, true, 1, false, false),
  (50, 'epel-only.example.org', 35, 'FR', 700, false, true, true, NULL, true, 1, false, false);
SELECT setval('site_id_seq', 100);
SELECT setval('host_id_seq', 100);

INSERT INTO host_category (host_id, category_id, always_up2date)
  SELECT id, 1, id = 46 FROM host WHERE id BETWEEN 31 AND 49;
INSERT INTO host_category (host_id, category_id, always_up2date) VALUES (42, 2, false), (50, 2, false);
INSERT INTO host_category_url (host_category_id, url, private)
  SELECT hc.id, 'https://' || h.name || '/fedora/linux', false
  FROM host_category hc JOIN host h ON h.id = hc.host_id
  WHERE h.id BETWEEN 31 AND 49 AND h.id NOT IN (44, 47) AND hc.category_id = 1 ORDER BY h.id;
INSERT INTO host_category_url (host_category_id, url, private) VALUES
  ((SELECT id FROM host_category WHERE host_id = 47 AND category_id = 1), 'https://mirror1.us.example.org/site2/fedora/linux', false),
  ((SELECT id FROM host_category WHERE host_id = 41 AND category_id = 1), 'https://internal.mixed.example.org/fedora/linux', true),
  ((SELECT id FROM host_category WHERE host_id = 42 AND category_id = 2), 'https://odd.example.org/pub/epel-mirror', false),
  ((SELECT id FROM host_category WHERE host_id = 50 AND category_id = 2), 'https://epel-only.example.org/epel', false),
  ((SELECT id FROM host_category WHERE host_id = 50 AND category_id = 2), 'http://epel-only.example.org/epel', false);

-- Freshness: every host carries every directory of its categories, except
-- that mirrors 7, 14, 21 and 28 lag behind on updates, and the always
-- up-to-date host has no rows at all.
INSERT INTO host_category_dir (host_category_id, path, up2date, directory_id)
  SELECT hc.id, substr(d.name, length(t.name) + 2),
         NOT (hc.host_id % 7 = 0 AND hc.host_id <= 30 AND d.name LIKE '%/updates/%'), d.id
  FROM host_category hc
  JOIN category c ON c.id = hc.category_id
  JOIN directory t ON t.id = c.topdir_id
  JOIN category_directory cd ON cd.category_id = hc.category_id
  JOIN directory d ON d.id = cd.directory_id
  WHERE d.id <> t.id AND hc.host_id <> 46;

INSERT INTO host_netblock (host_id, netblock, name) VALUES
  (31, '198.51.100.0/24', 'corp'),
  (32, '203.0.113.0/25', 'campus'),
  (38, '192.0.2.128/25', 'isp customers'),
  (43, 'mirrors.example.org', 'by name'),
  (43, '192.0.2.0/26', 'office'),
  (45, '100.24.0.0/13', 'aws us-east-1');
INSERT INTO host_peer_asn (host_id, asn, name) VALUES (38, 64501, 'peer');
INSERT INTO host_country_allowed (host_id, country) VALUES (37, 'CN');
INSERT INTO host_acl_ip (host_id, ip) VALUES (1, '192.0.2.10');
INSERT INTO directory_exclusive_host (directory_id, host_id) VALUES (16, 3);

INSERT INTO location (id, name) VALUES (1, 'us-east-1'), (2, 'Bad Location');
INSERT INTO host_location (location_id, host_id) VALUES (1, 45), (2, 46);

INSERT INTO netblock_country (netblock, country) VALUES ('10.0.0.0/8', 'US'), ('192.0.2.0/24', 'DE');
INSERT INTO country_continent_redirect (country, continent) VALUES ('IL', 'EU'), ('GL', 'NA');
INSERT INTO embargoed_country (country_code) VALUES ('KP');

-- MirrorManager's crawler disabled one host after failed crawls.
UPDATE host SET crawl_failures = 4, disable_reason = 'crawl failed 4 times', last_crawled = '2026-11-29 12:00:00'
  WHERE id = 36;
