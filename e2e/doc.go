// Package e2e proves metalinkd with the clients that consume it: dnf, librepo
// and aria2 fetch a tiny RPM repository from loopback mirrors through the
// metalink, and the mirrors' access logs show which mirror served what.
// Other tests run the metalinkd binary as several replicas on one PostgreSQL
// database, and through an outage of a throwaway PostgreSQL cluster.
//
// The tests need dnf, rpmbuild, createrepo_c, aria2c, python3-librepo,
// PostgreSQL at 127.0.0.1:5432, and its initdb and pg_ctl. They skip when
// one is missing and fail instead when CI=true.
package e2e
