//go:build linux

package e2e

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/sys/unix"

	"github.com/metalinkd/metalinkd/internal/testpeer"
)

// chromiumBin is Debian's Chromium.
const chromiumBin = "/usr/bin/chromium"

// Chromium probes whether IPv6 reaches the internet before it resolves any
// host, IP literals included, by connecting a UDP socket to a public
// address of Google's (2001:4860:4860::8888); no flag turns the probe off.
// The connect sends nothing, but the tests may not even ask for an address
// outside loopback. So the browser is started through this test binary,
// which makes IPv6 sockets unavailable with a seccomp filter (the tests
// browse 127.0.0.1 only) and then executes Chromium; the filter holds for
// all of Chromium's processes. Without an IPv6 socket the probe has nothing
// to connect, and it counts IPv6 as unreachable. IPv4 is left alone, so the
// loopback guard of scripts/test.sh still sees any other attempt.
const browserWrapperEnv = "METALINKD_E2E_BROWSER_WRAPPER"

func init() {
	if os.Getenv(browserWrapperEnv) == "" {
		return
	}
	err := execBrowser()
	fmt.Fprintf(os.Stderr, "starting %s: %v\n", chromiumBin, err)
	os.Exit(2)
}

// execBrowser replaces this process with Chromium, given this process's
// arguments, once IPv6 sockets are refused.
func execBrowser() error {
	runtime.LockOSThread()
	if err := refuseIPv6Sockets(); err != nil {
		return err
	}
	env := slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, browserWrapperEnv+"=") })
	return syscall.Exec(chromiumBin, append([]string{chromiumBin}, os.Args[1:]...), env)
}

// auditArch is the seccomp architecture of this build, 0 when the filter
// below does not know it.
var auditArch = map[string]uint32{"amd64": unix.AUDIT_ARCH_X86_64, "arm64": unix.AUDIT_ARCH_AARCH64}[runtime.GOARCH]

// refuseIPv6Sockets makes socket(2) for AF_INET6 fail with EAFNOSUPPORT,
// as on a kernel without IPv6, in every thread of this process and in
// every process it starts.
func refuseIPv6Sockets() error {
	if auditArch == 0 {
		return fmt.Errorf("no seccomp filter for %s", runtime.GOARCH)
	}
	const (
		ldAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
		// Offsets in struct seccomp_data; args[0] (the address family) is
		// an int, the low half of the 64-bit slot on a little-endian machine.
		offNr, offArch, offFamily = 0, 4, 16
	)
	filter := []unix.SockFilter{
		{Code: ldAbs, K: offArch},
		{Code: jeq, K: auditArch, Jf: 5},
		{Code: ldAbs, K: offNr},
		{Code: jeq, K: unix.SYS_SOCKET, Jf: 3},
		{Code: ldAbs, K: offFamily},
		{Code: jeq, K: unix.AF_INET6, Jf: 1},
		{Code: ret, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EAFNOSUPPORT)},
		{Code: ret, K: unix.SECCOMP_RET_ALLOW},
	}
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if _, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(&prog))); errno != 0 {
		return fmt.Errorf("seccomp: %w", errno)
	}
	return nil
}

// browser starts headless Chromium for t, kept to loopback: no background
// or component traffic, no proxy, no name resolution but loopback's, and a
// fresh profile. console returns the errors the pages logged so far:
// console.error calls, uncaught exceptions and browser log errors (a
// blocked or failed load, a refused Content-Security-Policy).
func browser(t *testing.T) (ctx context.Context, console func() []string) {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(testBinary(t)),
		chromedp.Env(browserWrapperEnv+"=1"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1200, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })

	var mu sync.Mutex
	var errs []string
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *cdpruntime.EventConsoleAPICalled:
			switch ev.Type {
			case cdpruntime.ConsoleAPICalledTypeError, cdpruntime.ConsoleAPICalledTypeWarning, cdpruntime.ConsoleAPICalledTypeAssert:
				var args []string
				for _, a := range ev.Args {
					args = append(args, cmp.Or(a.Description, string(a.Value)))
				}
				msg = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
			}
		case *cdpruntime.EventExceptionThrown:
			msg = fmt.Sprintf("exception: %s at %s:%d", ev.ExceptionDetails.Text, ev.ExceptionDetails.URL, ev.ExceptionDetails.LineNumber)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				msg = fmt.Sprintf("log %s: %s (%s)", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL)
			}
		}
		if msg != "" {
			mu.Lock()
			errs = append(errs, msg)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("starting %s: %v", chromiumBin, err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

// testBinary returns this test binary, which starts Chromium (see
// browserWrapperEnv); the test is skipped when Chromium is not installed.
func testBinary(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumBin); err != nil {
		testpeer.Missing(t, chromiumBin+" is not installed (apt-get install -y chromium)")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return self
}
