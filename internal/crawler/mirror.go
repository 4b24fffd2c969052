package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/metalinkd/metalinkd/store"
)

// Protocols the crawler checks, in the order answers prefer them; ftp is
// not checked.
var protocols = []string{"https", "http", "rsync"}

// dirResult is what one protocol saw in one directory.
type dirResult struct {
	obs store.Observation
	// reason is "" when the mirror answered usefully (OK, other content,
	// missing), else the store.Reason* of the failure.
	reason string
	// recheck: rsync could not tell (the size matched, the time did not);
	// HTTP settles it when the mirror has it.
	recheck bool
	done    bool
}

// mirrorCrawl is the crawl of one mirror.
type mirrorCrawl struct {
	c      *Crawler
	client *http.Client
	ctx    context.Context // ends at the mirror's deadline
	mirror store.Mirror
	dirs   []store.Directory
}

// baseURLs returns the first URL the mirror lists for each protocol the
// crawler checks.
func baseURLs(m *store.Mirror) map[string]string {
	out := map[string]string{}
	for _, u := range m.URLs {
		p, err := url.Parse(u)
		if err != nil {
			continue
		}
		if _, seen := out[p.Scheme]; !seen && (p.Scheme == "http" || p.Scheme == "https" || p.Scheme == "rsync") {
			out[p.Scheme] = strings.TrimSuffix(u, "/")
		}
	}
	return out
}

// order returns the mirror's protocols in the order they are tried for
// the observations: rsync first when the mirror has no HTTP or when there
// are at least RsyncMinDirs directories, else HTTPS, HTTP, rsync.
func (mc *mirrorCrawl) order(bases map[string]string) []string {
	var out []string
	_, hasRsync := bases["rsync"]
	_, hasHTTPS := bases["https"]
	_, hasHTTP := bases["http"]
	rsyncFirst := hasRsync && (!hasHTTPS && !hasHTTP || len(mc.dirs) >= mc.c.cfg.RsyncMinDirs)
	if rsyncFirst {
		out = append(out, "rsync")
	}
	for _, p := range protocols {
		if _, ok := bases[p]; ok && !(p == "rsync" && rsyncFirst) {
			out = append(out, p)
		}
	}
	return out
}

// run crawls the mirror: every directory over the first protocol that
// reaches it, one probe over each other protocol.
func (mc *mirrorCrawl) run() ([]store.ProtocolCheck, []store.Observation) {
	bases := baseURLs(&mc.mirror)
	var checks []store.ProtocolCheck
	var results, fallback []dirResult
	for _, proto := range mc.order(bases) {
		base := bases[proto]
		if results != nil {
			checks = append(checks, mc.probe(proto, base))
			continue
		}
		res := mc.checkAll(proto, base, mc.dirs)
		if proto == "rsync" {
			mc.settleOverHTTP(bases, res)
		}
		check := summarize(proto, res)
		if mc.ctx.Err() != nil {
			check = mc.deadlineCheck(proto, res)
		}
		checks = append(checks, check)
		if fallback == nil {
			fallback = res
		}
		if check.OK || mc.ctx.Err() != nil {
			results = res
		}
	}
	if results == nil {
		results = fallback
	}
	if results == nil {
		results = make([]dirResult, len(mc.dirs))
	}
	obs := make([]store.Observation, len(mc.dirs))
	for i, r := range results {
		if !r.done {
			r.obs = store.Observation{Directory: mc.dirs[i].Path, Status: store.SeenError, Detail: "not checked: " + mc.failureDetail(checks)}
		}
		obs[i] = r.obs
	}
	sort.Slice(checks, func(i, j int) bool { return checks[i].Protocol < checks[j].Protocol })
	return checks, obs
}

// failureDetail says why directories were left unchecked.
func (mc *mirrorCrawl) failureDetail(checks []store.ProtocolCheck) string {
	if mc.ctx.Err() != nil {
		return fmt.Sprintf("mirror deadline (%s) reached", mc.c.cfg.Deadline)
	}
	for _, c := range checks {
		if !c.OK {
			return c.Protocol + ": " + c.Detail
		}
	}
	return "no protocol reached the mirror"
}

// deadlineCheck is a protocol check cut off by the mirror's deadline.
func (mc *mirrorCrawl) deadlineCheck(proto string, res []dirResult) store.ProtocolCheck {
	n := 0
	for _, r := range res {
		if r.done && r.reason == "" {
			n++
		}
	}
	return store.ProtocolCheck{Protocol: proto, Reason: store.ReasonTimeout,
		Detail: fmt.Sprintf("mirror deadline (%s) reached after %d of %d directories", mc.c.cfg.Deadline, n, len(res))}
}

// summarize makes a protocol's check from its results: it reached the
// mirror when one directory got a useful answer; otherwise the first
// failure says why.
func summarize(proto string, res []dirResult) store.ProtocolCheck {
	var first *dirResult
	for i := range res {
		if !res[i].done {
			continue
		}
		if res[i].reason == "" {
			return store.ProtocolCheck{Protocol: proto, OK: true}
		}
		if first == nil {
			first = &res[i]
		}
	}
	if first == nil {
		return store.ProtocolCheck{Protocol: proto, Reason: store.ReasonError, Detail: "nothing checked"}
	}
	return store.ProtocolCheck{Protocol: proto, Reason: first.reason, Detail: first.obs.Detail}
}

// probe checks one more protocol with the first directory only.
func (mc *mirrorCrawl) probe(proto, base string) store.ProtocolCheck {
	if mc.ctx.Err() != nil {
		return store.ProtocolCheck{Protocol: proto, Reason: store.ReasonTimeout,
			Detail: fmt.Sprintf("not checked: mirror deadline (%s) reached", mc.c.cfg.Deadline)}
	}
	if len(mc.dirs) == 0 {
		return store.ProtocolCheck{Protocol: proto, Reason: store.ReasonError, Detail: "no directory to check"}
	}
	res := mc.checkAll(proto, base, mc.dirs[:1])
	if mc.ctx.Err() != nil {
		return mc.deadlineCheck(proto, res)
	}
	return summarize(proto, res)
}

// checkAll checks dirs over one protocol.
func (mc *mirrorCrawl) checkAll(proto, base string, dirs []store.Directory) []dirResult {
	if proto == "rsync" {
		return mc.checkRsync(base, dirs)
	}
	res := make([]dirResult, len(dirs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(mc.c.cfg.PerMirror, len(dirs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res[i] = mc.checkHTTP(base, &dirs[i])
			}
		}()
	}
feed:
	for i := range dirs {
		select {
		case next <- i:
		case <-mc.ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return res
}

// settleOverHTTP rechecks over HTTP(S) the directories rsync could not
// tell, when the mirror has HTTP.
func (mc *mirrorCrawl) settleOverHTTP(bases map[string]string, res []dirResult) {
	base := bases["https"]
	if base == "" {
		base = bases["http"]
	}
	for i := range res {
		if !res[i].recheck || mc.ctx.Err() != nil {
			continue
		}
		if base != "" {
			if r := mc.checkHTTP(base, &mc.dirs[i]); r.reason == "" {
				res[i] = r
			}
		}
	}
}
