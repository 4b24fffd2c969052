// Package packaging holds the systemd units, environment files, sysusers.d
// files, RPM spec and Containerfile that ship metalinkd, mirror-sync and
// client-init; its tests verify the units and build the RPMs.
package packaging
