package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// The self-test's programs. Python exits 0 when each call fared as the
// guard should make it fare, and 3 otherwise.
const (
	loopbackCalls = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", 9))
s.sendto(b"x", ("127.0.0.1", 9))
`
	offMachineCalls = `import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for call in (lambda: s.connect(("192.0.2.1", 9)), lambda: s.sendto(b"x", ("198.51.100.1", 9))):
    try:
        call()
        sys.exit(3)
    except OSError as e:
        if e.errno != errno.ENETUNREACH:
            sys.exit(3)
`
	stopAndContinue = `sleep 1 & p=$!; kill -STOP $p; sleep 0.2; kill -CONT $p; wait $p`
)

// selfTest runs the guard on small programs and checks what it did.
func selfTest() error {
	status, stderr, err := guarded("python3", "-c", loopbackCalls)
	if err != nil || status != 0 {
		return fmt.Errorf("loopback calls: status %d, %v: %s", status, err, stderr)
	}
	status, stderr, err = guarded("python3", "-c", offMachineCalls)
	if err != nil || status != exitDialledOut {
		return fmt.Errorf("non-loopback calls: status %d (want %d), %v: %s", status, exitDialledOut, err, stderr)
	}
	for _, want := range []string{"connect 192.0.2.1:9 by pid", "sendto 198.51.100.1:9 by pid", "python3 -c"} {
		if !strings.Contains(stderr, want) {
			return fmt.Errorf("non-loopback calls: the report lacks %q: %s", want, stderr)
		}
	}
	status, stderr, err = guarded("sh", "-c", stopAndContinue)
	if err != nil || status != 0 {
		return fmt.Errorf("a stopped and continued process: status %d, %v: %s", status, err, stderr)
	}
	return nil
}

// guarded runs this program as the guard of args and returns its exit
// status and what it wrote to stderr.
func guarded(args ...string) (int, string, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, "", err
	}
	cmd := exec.Command(self, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stderr.String(), nil
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), err
}
