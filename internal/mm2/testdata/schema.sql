-- MirrorManager2's tables, as its SQLAlchemy models and alembic migrations
-- create them in PostgreSQL, written out for the import's tests. Only the
-- tables and columns matter here: the importer reads them and nothing else.

CREATE TABLE site (
    id serial PRIMARY KEY,
    name text NOT NULL,
    password text,
    org_url text,
    private boolean NOT NULL DEFAULT false,
    admin_active boolean NOT NULL DEFAULT true,
    user_active boolean NOT NULL DEFAULT true,
    created_at timestamp without time zone NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    all_sites_can_pull_from_me boolean NOT NULL DEFAULT false,
    downstream_comments text,
    email_on_drop boolean NOT NULL DEFAULT false,
    email_on_add boolean NOT NULL DEFAULT false
);

CREATE TABLE country (
    id serial PRIMARY KEY,
    code text NOT NULL UNIQUE
);

CREATE TABLE host (
    id serial PRIMARY KEY,
    name text NOT NULL,
    site_id integer REFERENCES site (id),
    robot_email text,
    admin_active boolean NOT NULL DEFAULT true,
    user_active boolean NOT NULL DEFAULT true,
    country text NOT NULL,
    bandwidth_int integer DEFAULT 100,
    comment text,
    config bytea,
    last_checked_in timestamp without time zone,
    last_crawled timestamp without time zone,
    private boolean NOT NULL DEFAULT false,
    internet2 boolean NOT NULL DEFAULT false,
    internet2_clients boolean NOT NULL DEFAULT false,
    asn integer,
    asn_clients boolean NOT NULL DEFAULT true,
    max_connections integer NOT NULL DEFAULT 1,
    last_crawl_duration bigint DEFAULT 0,
    crawl_failures integer NOT NULL DEFAULT 0,
    disable_reason text,
    push_ssh_private_key text,
    push_ssh_host text,
    push_ssh_command text,
    last_crawls bytea,
    latitude double precision,
    longitude double precision,
    CONSTRAINT host_idx UNIQUE (site_id, name)
);

CREATE TABLE directory (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    files bytea,
    readable boolean NOT NULL DEFAULT true,
    ctime bigint DEFAULT 0
);

CREATE TABLE product (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    publiclist boolean NOT NULL DEFAULT true
);

CREATE TABLE category (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    canonicalhost text,
    publiclist boolean NOT NULL DEFAULT true,
    geo_dns_domain text,
    admin_only boolean NOT NULL DEFAULT false,
    product_id integer REFERENCES product (id),
    topdir_id integer REFERENCES directory (id)
);

CREATE TABLE site_to_site (
    id serial PRIMARY KEY,
    username text,
    password text,
    upstream_site_id integer NOT NULL REFERENCES site (id),
    downstream_site_id integer NOT NULL REFERENCES site (id),
    CONSTRAINT site_to_site_idx UNIQUE (upstream_site_id, downstream_site_id),
    CONSTRAINT site_to_site_username_idx UNIQUE (upstream_site_id, username)
);

CREATE TABLE site_admin (
    id serial PRIMARY KEY,
    username text,
    site_id integer NOT NULL REFERENCES site (id)
);

CREATE TABLE host_category (
    id serial PRIMARY KEY,
    host_id integer REFERENCES host (id),
    category_id integer REFERENCES category (id) ON DELETE CASCADE,
    always_up2date boolean NOT NULL DEFAULT false,
    CONSTRAINT host_category_hcindex UNIQUE (host_id, category_id)
);
CREATE INDEX t_hostcategory_host_id_idx ON host_category (host_id);
CREATE INDEX t_hostcategory_category_id_idx ON host_category (category_id);

CREATE TABLE host_category_dir (
    id serial PRIMARY KEY,
    host_category_id integer NOT NULL REFERENCES host_category (id) ON UPDATE CASCADE ON DELETE CASCADE,
    path text,
    up2date boolean NOT NULL DEFAULT true,
    directory_id integer REFERENCES directory (id) ON DELETE CASCADE,
    CONSTRAINT host_category_dir_hcdindex UNIQUE (host_category_id, path)
);
CREATE INDEX ix_host_category_dir_up2date ON host_category_dir (up2date);

CREATE TABLE category_directory (
    category_id integer NOT NULL REFERENCES category (id),
    directory_id integer NOT NULL REFERENCES directory (id),
    PRIMARY KEY (category_id, directory_id)
);

CREATE TABLE host_category_url (
    id serial PRIMARY KEY,
    host_category_id integer NOT NULL REFERENCES host_category (id) ON UPDATE CASCADE ON DELETE CASCADE,
    url text NOT NULL UNIQUE,
    private boolean NOT NULL DEFAULT false,
    CONSTRAINT host_category_url_hcdindex UNIQUE (host_category_id, url)
);

CREATE TABLE host_acl_ip (
    id serial PRIMARY KEY,
    ip text UNIQUE,
    host_id integer REFERENCES host (id),
    CONSTRAINT host_acl_ip_hipindex UNIQUE (host_id, ip)
);

CREATE TABLE host_country_allowed (
    id serial PRIMARY KEY,
    country text NOT NULL UNIQUE,
    host_id integer REFERENCES host (id)
);

CREATE TABLE host_netblock (
    id serial PRIMARY KEY,
    netblock text,
    name text,
    host_id integer REFERENCES host (id)
);

CREATE TABLE host_peer_asn (
    id serial PRIMARY KEY,
    asn integer NOT NULL,
    name text,
    host_id integer REFERENCES host (id),
    CONSTRAINT host_peer_asn_idx UNIQUE (host_id, asn)
);

CREATE TABLE host_stats (
    id serial PRIMARY KEY,
    timestamp timestamp without time zone NOT NULL DEFAULT now(),
    type text,
    data bytea,
    host_id integer REFERENCES host (id)
);

CREATE TABLE arch (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    publiclist boolean NOT NULL DEFAULT true,
    primary_arch boolean NOT NULL DEFAULT true
);

CREATE TABLE version (
    id serial PRIMARY KEY,
    name text,
    codename text,
    is_test boolean NOT NULL DEFAULT false,
    display boolean NOT NULL DEFAULT true,
    display_name text,
    ordered_mirrorlist boolean NOT NULL DEFAULT true,
    sortorder integer NOT NULL DEFAULT 0,
    product_id integer REFERENCES product (id),
    CONSTRAINT version_idx UNIQUE (name, product_id)
);

CREATE TABLE repository (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE,
    prefix text,
    category_id integer REFERENCES category (id),
    version_id integer REFERENCES version (id),
    arch_id integer REFERENCES arch (id),
    directory_id integer REFERENCES directory (id),
    disabled boolean NOT NULL DEFAULT false,
    CONSTRAINT repository_idx UNIQUE (prefix, arch_id)
);

CREATE TABLE file_detail (
    id serial PRIMARY KEY,
    filename text NOT NULL,
    timestamp bigint,
    size bigint,
    sha1 text,
    md5 text,
    sha256 text,
    sha512 text,
    directory_id integer NOT NULL REFERENCES directory (id)
);

CREATE TABLE repository_redirect (
    id serial PRIMARY KEY,
    to_repo text,
    from_repo text NOT NULL UNIQUE,
    CONSTRAINT repository_redirect_idx UNIQUE (from_repo, to_repo)
);

CREATE TABLE country_continent_redirect (
    id serial PRIMARY KEY,
    country text NOT NULL UNIQUE,
    continent text NOT NULL
);

CREATE TABLE embargoed_country (
    id serial PRIMARY KEY,
    country_code text NOT NULL UNIQUE
);

CREATE TABLE directory_exclusive_host (
    id serial PRIMARY KEY,
    directory_id integer NOT NULL REFERENCES directory (id),
    host_id integer NOT NULL REFERENCES host (id),
    CONSTRAINT directory_exclusive_host_idx UNIQUE (directory_id, host_id)
);

CREATE TABLE location (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);

CREATE TABLE host_location (
    id serial PRIMARY KEY,
    location_id integer NOT NULL REFERENCES location (id),
    host_id integer NOT NULL REFERENCES host (id),
    CONSTRAINT host_location_hlidx UNIQUE (location_id, host_id)
);

CREATE TABLE file_group (
    id serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);

CREATE TABLE file_detail_file_group (
    id serial PRIMARY KEY,
    file_detail_id integer NOT NULL REFERENCES file_detail (id),
    file_group_id integer NOT NULL REFERENCES file_group (id)
);

CREATE TABLE host_country (
    id serial PRIMARY KEY,
    country_id integer NOT NULL REFERENCES country (id),
    host_id integer NOT NULL REFERENCES host (id),
    CONSTRAINT host_country_hlidx UNIQUE (host_id, country_id)
);

CREATE TABLE netblock_country (
    id serial PRIMARY KEY,
    netblock text NOT NULL UNIQUE,
    country text NOT NULL
);
