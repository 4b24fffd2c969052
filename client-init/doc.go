// Package clientinit is the guest helper that tells dnf and yum which cloud
// region a guest runs in. At boot it asks the instance metadata service of
// AWS, GCP or Azure for the region and writes the location name into
// /etc/dnf/vars/location and /etc/yum/vars/location, so that a metalink URL
// ending in &location=$location reaches the server with the guest's region
// and the regional mirror comes first. Outside a cloud no metadata service
// answers within a short deadline and nothing is changed.
//
// The package links only the standard library, the location grammar and the
// programs' logger constructor: it runs on every guest at boot, so it stays
// small and starts fast.
package clientinit
