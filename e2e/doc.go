// Package e2e proves metalinkd with the clients that consume it: dnf, librepo
// and aria2 fetch a tiny RPM repository from loopback mirrors through the
// metalink, and the mirrors' access logs show which mirror served what.
//
// The tests need dnf, rpmbuild, createrepo_c, aria2c and python3-librepo.
// They skip when one is missing and fail instead when CI=true.
package e2e
