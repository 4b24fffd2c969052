//go:build linux

// Command loopguard runs a command so that neither it nor any process it
// starts can reach an address off this machine, and says so when one
// tried: the tests may talk to loopback only, and in particular never to a
// cloud's instance metadata address, which the AWS SDK's default credential
// chain asks when no credentials are set.
//
// A seccomp filter, inherited by everything the command starts, hands each
// connect() (and each sendto() with a destination address) to this
// program, which lets loopback and local addresses through and fails the
// rest with ENETUNREACH. Nothing is traced with ptrace, so processes the
// tests stop with SIGSTOP, or debug, behave as they would unguarded.
//
//	loopguard COMMAND [ARGS...]   exit status: the command's (128+n when
//	                              signal n ended it), or 97 when a process
//	                              under it asked for an address off the
//	                              machine; those calls are listed on stderr
//	loopguard --self-test         proves the guard lets loopback through,
//	                              refuses and reports anything else, and
//	                              leaves stopped processes alone
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

const usage = `usage: loopguard COMMAND [ARGS...]
       loopguard --self-test

Runs COMMAND so that it, and every process it starts, can connect only to
this machine (127.0.0.0/8, ::1, the unspecified address, and Unix
sockets). Any other connect() or addressed sendto() fails with
ENETUNREACH, is listed on stderr, and makes the exit status 97; otherwise
the exit status is COMMAND's (128+n when signal n ended it).

  --self-test   check, with python3, that a loopback connect passes, that
                a non-loopback one is refused and reported, and that a
                process stopped with SIGSTOP and continued is left alone
`

func main() {
	args := os.Args[1:]
	if os.Getenv(childEnv) != "" {
		err := runChild(args)
		fmt.Fprintln(os.Stderr, "loopguard:", err)
		if errors.Is(err, exec.ErrNotFound) {
			os.Exit(127)
		}
		os.Exit(126)
	}
	switch {
	case len(args) == 0:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	case args[0] == "-h" || args[0] == "--help":
		fmt.Print(usage)
		return
	case args[0] == "--self-test":
		if err := selfTest(); err != nil {
			fmt.Fprintln(os.Stderr, "loopguard self-test:", err)
			os.Exit(1)
		}
		fmt.Println("loopback guard: self-test passed")
		return
	}
	status, err := guard(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loopguard:", err)
		os.Exit(125)
	}
	os.Exit(status)
}
