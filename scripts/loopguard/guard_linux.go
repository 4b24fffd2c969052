package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// childEnv marks the guard's own child, which installs the filter, hands
// the listener to the supervisor over the descriptor it names, and then
// executes the command.
const childEnv = "LOOPGUARD_LISTENER_SOCKET"

// exitDialledOut is the guard's exit status when something asked for an
// address off this machine.
const exitDialledOut = 97

// guard runs args under the filter and supervises its calls. It returns
// the command's exit status (128+n when signal n ended it), or
// exitDialledOut when any process under it asked for an address off this
// machine; those calls failed with ENETUNREACH and are listed on stderr.
func guard(args []string) (int, error) {
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	ours := os.NewFile(uintptr(pair[0]), "listener socket")
	theirs := os.NewFile(uintptr(pair[1]), "listener socket")
	defer ours.Close()

	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(self, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{theirs} // descriptor 3
	cmd.Env = append(os.Environ(), childEnv+"=3")
	// SIGINT and SIGQUIT from a terminal reach the command's whole process
	// group; SIGTERM and SIGHUP sent to the guard are passed on.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		theirs.Close()
		return 0, err
	}
	theirs.Close()
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM || s == syscall.SIGHUP {
				_ = cmd.Process.Signal(s)
			}
		}
	}()

	listener, recvErr := receiveListener(pair[0])
	var s *supervisor
	if recvErr == nil {
		s = &supervisor{listener: listener}
		s.start()
	}
	werr := cmd.Wait()
	if recvErr != nil {
		if status, _ := exitStatus(cmd.ProcessState, werr); status != 0 {
			return status, nil // the child said why
		}
		return 0, fmt.Errorf("the command did not start under the filter: %w", recvErr)
	}
	refused, serr := s.stop()
	if serr != nil {
		return 0, fmt.Errorf("supervising the command's calls: %w", serr)
	}
	if len(refused) > 0 {
		report(refused)
		return exitDialledOut, nil
	}
	return exitStatus(cmd.ProcessState, werr)
}

// exitStatus is the status a shell would give for the command's end.
func exitStatus(ps *os.ProcessState, werr error) (int, error) {
	if ps == nil {
		return 0, werr
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ps.ExitCode(), nil
}

// report lists the refused calls, at most 20 of them.
func report(refused []string) {
	fmt.Fprintln(os.Stderr, "loopback guard: a process under test asked for an address off this machine (refused with ENETUNREACH):")
	for i, r := range refused {
		if i == 20 {
			fmt.Fprintf(os.Stderr, "  … and %d more\n", len(refused)-20)
			break
		}
		fmt.Fprintln(os.Stderr, "  "+r)
	}
}

// receiveListener reads the listener descriptor the child sends.
func receiveListener(sock int) (int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return -1, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return -1, errors.New("no listener received")
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return -1, errors.New("no listener received")
	}
	return fds[0], nil
}

// runChild is the guard's child: it installs the filter, sends the
// listener on the descriptor childEnv names, and executes the command.
// It returns only on failure.
func runChild(args []string) error {
	runtime.LockOSThread()
	sock, err := strconv.Atoi(os.Getenv(childEnv))
	if err != nil {
		return fmt.Errorf("%s: %w", childEnv, err)
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return err
	}
	listener, err := installFilter()
	if err != nil {
		return err
	}
	if err := unix.Sendmsg(sock, []byte{0}, unix.UnixRights(listener), nil, 0); err != nil {
		return fmt.Errorf("sending the listener: %w", err)
	}
	unix.Close(listener)
	unix.Close(sock)
	env := slices.DeleteFunc(os.Environ(), func(e string) bool { return strings.HasPrefix(e, childEnv+"=") })
	return unix.Exec(path, args, env)
}

// supervisor answers the filtered calls: loopback and local addresses go
// ahead, anything else fails with ENETUNREACH and is remembered.
type supervisor struct {
	listener int
	done     chan struct{} // closed when the command has ended
	finished chan struct{} // closed when the worker has returned
	err      error         // why the worker stopped early; set before finished
	mu       sync.Mutex
	refused  []string
	seen     map[string]bool
}

func (s *supervisor) start() {
	s.done = make(chan struct{})
	s.finished = make(chan struct{})
	s.seen = map[string]bool{}
	go func() {
		defer close(s.finished)
		s.err = s.serve()
		unix.Close(s.listener) // calls still filtered now fail with ENOSYS
	}()
}

// stop ends the worker once the command has ended and returns the refused
// calls, or why the supervision failed. Processes the command left behind
// are no longer supervised: their filtered calls fail with ENOSYS. A call
// that went away between the worker's poll and its receive leaves the
// worker waiting in the kernel for one that may never come; then it is
// left to end with the guard.
func (s *supervisor) stop() ([]string, error) {
	close(s.done)
	select {
	case <-s.finished:
	case <-time.After(time.Second):
		return s.refusedSoFar(), nil
	}
	return s.refused, s.err
}

func (s *supervisor) refusedSoFar() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// serve answers calls until the command has ended or nothing is left that
// could make one.
func (s *supervisor) serve() error {
	fds := []unix.PollFd{{Fd: int32(s.listener), Events: unix.POLLIN}}
	var n seccompNotif
	for {
		select {
		case <-s.done:
			return nil
		default:
		}
		fds[0].Revents = 0
		k, err := unix.Poll(fds, 100)
		switch {
		case err == unix.EINTR || k == 0:
			continue
		case err != nil:
			return fmt.Errorf("waiting for a call: %w", err)
		case fds[0].Revents&unix.POLLIN == 0:
			if fds[0].Revents&unix.POLLHUP != 0 {
				return nil // no process is left under the filter
			}
			continue
		}
		ok, err := receive(s.listener, &n)
		if err != nil {
			return fmt.Errorf("receiving a call: %w", err)
		}
		if ok {
			s.decide(&n)
		}
	}
}

// decide answers one call.
func (s *supervisor) decide(n *seccompNotif) {
	call, addr, size := "connect", n.Data.Args[1], n.Data.Args[2]
	if n.Data.Nr == int32(unix.SYS_SENDTO) {
		call, addr, size = "sendto", n.Data.Args[4], n.Data.Args[5]
	}
	raw, err := readSockaddr(n.Pid, addr, size)
	if !stillWaiting(s.listener, n.ID) {
		return // the process went away; what was read may not be its
	}
	if errors.Is(err, unix.EFAULT) {
		_ = answer(s.listener, n.ID, 0) // the kernel fails it with EFAULT too
		return
	}
	if err != nil {
		s.remember(describe(call, "(address unreadable: "+err.Error()+")", n.Pid, cmdline(n.Pid)))
		_ = answer(s.listener, n.ID, unix.ENETUNREACH)
		return
	}
	if where, off := offMachine(raw); off {
		s.remember(describe(call, where, n.Pid, cmdline(n.Pid)))
		_ = answer(s.listener, n.ID, unix.ENETUNREACH)
		return
	}
	_ = answer(s.listener, n.ID, 0)
}

func (s *supervisor) remember(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.seen[what] {
		s.seen[what] = true
		s.refused = append(s.refused, what)
	}
}
