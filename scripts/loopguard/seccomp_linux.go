package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel's structures for seccomp user notification
// (include/uapi/linux/seccomp.h).
type seccompData struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

type seccompNotif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Data  seccompData
}

type seccompNotifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// seccompFilterFlagTSyncESRCH lets TSYNC be combined with NEW_LISTENER:
// a thread that cannot be synchronised makes the call fail with ESRCH
// instead of returning its id, which would be mistaken for the listener.
const seccompFilterFlagTSyncESRCH = 1 << 4

// auditArch is the architecture seccomp reports for this build's native
// system calls; calls of another ABI (32-bit compatibility) are let through.
func auditArch() (uint32, error) {
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64, nil
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64, nil
	}
	return 0, fmt.Errorf("no seccomp filter for %s", runtime.GOARCH)
}

// filter returns the BPF program that hands connect, and sendto with a
// destination address, to the supervisor, and lets every other call through.
func filter() ([]unix.SockFilter, error) {
	arch, err := auditArch()
	if err != nil {
		return nil, err
	}
	const (
		ldAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
	)
	off := func(field uintptr) uint32 { return uint32(field) }
	var d seccompData
	destLow := off(unsafe.Offsetof(d.Args)) + 4*8 // sendto's 5th argument, dest_addr
	// Jump offsets count from the next instruction: allow is 9, notify 10.
	return []unix.SockFilter{
		{Code: ldAbs, K: off(unsafe.Offsetof(d.Arch))},         // 0
		{Code: jeq, K: arch, Jt: 0, Jf: 7},                     // 1: other ABI: allow
		{Code: ldAbs, K: off(unsafe.Offsetof(d.Nr))},           // 2
		{Code: jeq, K: uint32(unix.SYS_CONNECT), Jt: 6, Jf: 0}, // 3: notify
		{Code: jeq, K: uint32(unix.SYS_SENDTO), Jt: 0, Jf: 4},  // 4: else allow
		{Code: ldAbs, K: destLow},                              // 5
		{Code: jeq, K: 0, Jt: 0, Jf: 3},                        // 6: address: notify
		{Code: ldAbs, K: destLow + 4},                          // 7
		{Code: jeq, K: 0, Jt: 0, Jf: 1},                        // 8: no address: allow
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},                 // 9
		{Code: ret, K: unix.SECCOMP_RET_USER_NOTIF},            // 10
	}, nil
}

// installFilter puts the filter on every thread of this process (and so on
// everything it executes and starts from now on) and returns the listener
// on which the supervisor receives the calls. Without CAP_SYS_ADMIN the
// kernel wants no_new_privs first.
func installFilter() (int, error) {
	prog, err := filter()
	if err != nil {
		return -1, err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER | unix.SECCOMP_FILTER_FLAG_TSYNC | seccompFilterFlagTSyncESRCH)
	install := func() (int, error) {
		fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
		if errno != 0 {
			return -1, errno
		}
		return int(fd), nil
	}
	fd, err := install()
	if errors.Is(err, unix.EACCES) {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return -1, fmt.Errorf("no_new_privs: %w", err)
		}
		fd, err = install()
	}
	if errors.Is(err, unix.EBUSY) {
		return -1, errors.New("seccomp: a filter with a listener is already in place (is this already running under the guard?)")
	}
	if err != nil {
		return -1, fmt.Errorf("seccomp: %w", err)
	}
	runtime.KeepAlive(prog)
	return fd, nil
}

// receive waits for the next call on listener. It returns ok false with a
// nil error when the caller went away before it was received.
func receive(listener int, n *seccompNotif) (bool, error) {
	*n = seccompNotif{} // the kernel refuses a buffer that is not zeroed
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(listener), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(n)))
	switch errno {
	case 0:
		return true, nil
	case unix.EINTR, unix.ENOENT:
		return false, nil
	}
	return false, errno
}

// answer lets the call go ahead (errno 0) or fails it with errno. A caller
// that went away meanwhile is no error.
func answer(listener int, id uint64, errno unix.Errno) error {
	r := seccompNotifResp{ID: id}
	if errno == 0 {
		r.Flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
	} else {
		r.Error = -int32(errno)
	}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(listener), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r)))
	if e != 0 && e != unix.ENOENT {
		return e
	}
	return nil
}

// stillWaiting reports whether the call id still waits for its answer, so
// that what was read from its process's memory belongs to it.
func stillWaiting(listener int, id uint64) bool {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(listener), unix.SECCOMP_IOCTL_NOTIF_ID_VALID, uintptr(unsafe.Pointer(&id)))
	return e == 0
}

// readSockaddr reads a socket address of size n at addr in process pid.
func readSockaddr(pid uint32, addr, n uint64) ([]byte, error) {
	const max = 128 // sizeof(struct sockaddr_storage)
	if n > max {
		n = max
	}
	buf := make([]byte, n)
	if n == 0 {
		return buf, nil
	}
	local := []unix.Iovec{{Base: &buf[0]}}
	local[0].SetLen(int(n))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: int(n)}}
	got, err := unix.ProcessVMReadv(int(pid), local, remote, 0)
	if err != nil {
		return nil, err
	}
	return buf[:got], nil
}

// cmdline is the command line of process pid, for the report.
func cmdline(pid uint32) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return "(program unknown)"
	}
	s := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
