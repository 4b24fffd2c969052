package main

import (
	"testing"
	"time"
)

// reloadBound is issue 3's requirement: a change made through one replica
// reaches the metalinks of every other replica within 2 s.
const reloadBound = 2 * time.Second

// TestReplicasReload runs two servers on one database and makes changes
// with the command line, as an admin would between them; each change must
// show in the other replica's metalink within reloadBound.
func TestReplicasReload(t *testing.T) {
	dbURL := pg.NewDatabase(t, false)
	mustRun(t, dbURL, "migrate")
	seed(t, dbURL)
	a := startReplica(t, "a", dbURL)
	b := startReplica(t, "b", dbURL)
	for _, r := range []*replica{a, b} {
		_, body, err := get(r.url + metalinkPath)
		if err != nil || !lists(body, "alpha.example") || lists(body, "beta.example") {
			t.Fatalf("replica %s before any change (%v):\n%s", r.name, err, body)
		}
	}

	changes := []struct {
		what string
		args []string
		host string
		show bool
	}{
		{"beta reported fresh", []string{"report", "--mirror", "beta", "--directory", fixtureDir}, "beta.example", true},
		{"alpha disabled", nil, "alpha.example", false},
	}
	for _, c := range changes {
		start := time.Now()
		if c.args != nil {
			mustRun(t, dbURL, c.args...)
		} else {
			importMirrors(t, dbURL, true)
		}
		committed := time.Since(start)
		took, ok := waitMetalink(b, c.host, c.show, start, 10*time.Second)
		if !ok {
			t.Fatalf("%s: replica b did not show it within %v", c.what, took)
		}
		t.Logf("%s: the command took %v; replica b showed the change %v after the command started",
			c.what, committed.Round(time.Millisecond), took.Round(time.Millisecond))
		if took > reloadBound {
			t.Errorf("%s: replica b showed the change after %v, want within %v", c.what, took, reloadBound)
		}
		if _, ok := waitMetalink(a, c.host, c.show, start, 10*time.Second); !ok {
			t.Errorf("%s: replica a did not show it", c.what)
		}
	}
}

// waitMetalink polls r's metalink every 50 ms until the mirror at host is
// listed (or, with show false, no longer listed), until limit after start,
// and returns the time from start to the last answer.
func waitMetalink(r *replica, host string, show bool, start time.Time, limit time.Duration) (time.Duration, bool) {
	for {
		code, body, err := get(r.url + metalinkPath)
		if err == nil && code == 200 && lists(body, host) == show {
			return time.Since(start), true
		}
		if time.Since(start) > limit {
			return time.Since(start), false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
