package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
)

func testMirrors(t *testing.T, s store.Store) {
	full := fullDataset()
	must(t, "Restore", s.Restore(ctx(t), full))
	want := fullDataset()

	// Create.
	m := mirror("new.example.org")
	m.Netblocks = []string{"10.1.0.0/16"}
	must(t, "CreateMirror", s.CreateMirror(ctx(t), m))
	want.Mirrors = append(want.Mirrors[:2:2], append([]store.Mirror{m}, want.Mirrors[2:]...)...)
	checkData(t, s, want)

	// Replace every field of a mirror that has freshness; the freshness stays.
	r := store.Mirror{
		Name: "s3-us-east-1", Country: "CA", Bandwidth: 5, Enabled: false, Private: false,
		AlwaysUpToDate: false, URLs: []string{"http://replaced.example.org/fedora"},
		Netblocks: []string{"172.16.0.0/12"}, ASN: 1, Locations: []string{"eu-west-1"},
	}
	_, err := s.UpdateMirror(ctx(t), r.Name, func(m *store.Mirror) error { *m = r; return nil })
	must(t, "UpdateMirror", err)
	want.Mirrors[4] = r
	checkData(t, s, want)

	// Delete takes the mirror's freshness along, and only its own.
	must(t, "DeleteMirror", s.DeleteMirror(ctx(t), "s3-us-east-1"))
	want.Mirrors = want.Mirrors[:4]
	want.Freshness = want.Freshness[:1]
	checkData(t, s, want)

	rejected(t, s, store.ErrNotFound, func() error { return s.DeleteMirror(ctx(t), "s3-us-east-1") })
	rejected(t, s, store.ErrNotFound, func() error { return s.DeleteMirror(ctx(t), "") })
}

// Stores keep mirrors in canonical form and never modify their argument.
func testMirrorNormalised(t *testing.T, s store.Store) {
	m := store.Mirror{
		Name: "mirror.example.org", Country: "de", Bandwidth: 10, Enabled: true,
		URLs:      []string{"https://mirror.example.org/fedora/", "http://mirror.example.org/fedora"},
		Netblocks: []string{"192.0.2.1", "2001:db8::1", "10.0.0.0/8"},
	}
	in := m
	in.URLs = slices.Clone(m.URLs)
	in.Netblocks = slices.Clone(m.Netblocks)
	must(t, "CreateMirror", s.CreateMirror(ctx(t), in))
	if diff := cmp.Diff(m, in); diff != "" {
		t.Errorf("CreateMirror modified its argument (-want +got):\n%s", diff)
	}
	want := m
	want.Country = "DE"
	want.URLs = []string{"https://mirror.example.org/fedora", "http://mirror.example.org/fedora"}
	want.Netblocks = []string{"192.0.2.1/32", "2001:db8::1/128", "10.0.0.0/8"}
	checkData(t, s, &store.Dataset{Mirrors: []store.Mirror{want}})
}

// A mirror may have several URLs of one protocol; they are kept in the
// admin's order, through a create, an update and a restore, as answers
// list them in that order.
func testMirrorURLOrder(t *testing.T, s store.Store) {
	m := mirror("multi.example.org")
	m.URLs = []string{"http://b.example.org/fedora", "https://z.example.org/fedora", "https://a.example.org/fedora",
		"rsync://r.example.org/fedora", "http://a.example.org/fedora", "ftp://f.example.org/fedora"}
	must(t, "CreateMirror", s.CreateMirror(ctx(t), m))
	checkData(t, s, &store.Dataset{Mirrors: []store.Mirror{m}})

	reversed := slices.Clone(m.URLs)
	slices.Reverse(reversed)
	_, err := s.UpdateMirror(ctx(t), m.Name, func(m *store.Mirror) error { m.URLs = slices.Clone(reversed); return nil })
	must(t, "UpdateMirror", err)
	m.URLs = reversed
	checkData(t, s, &store.Dataset{Mirrors: []store.Mirror{m}})

	d := &store.Dataset{Mirrors: []store.Mirror{m}}
	d.Mirrors[0].URLs = []string{"https://2.example.org/f", "https://1.example.org/f", "https://3.example.org/f"}
	must(t, "Restore", s.Restore(ctx(t), d))
	checkData(t, s, d)
}

func testMirrorInvalid(t *testing.T, s store.Store) {
	must(t, "Restore", s.Restore(ctx(t), fullDataset()))
	tests := []struct {
		name   string
		change func(m *store.Mirror)
	}{
		{"empty name", func(m *store.Mirror) { m.Name = "" }},
		{"name with a slash", func(m *store.Mirror) { m.Name = "mirror.example.org/x" }},
		{"unknown country", func(m *store.Mirror) { m.Country = "XX" }},
		{"three-letter country", func(m *store.Mirror) { m.Country = "DEU" }},
		{"zero bandwidth", func(m *store.Mirror) { m.Bandwidth = 0 }},
		{"negative bandwidth", func(m *store.Mirror) { m.Bandwidth = -1 }},
		{"no URL", func(m *store.Mirror) { m.URLs = nil }},
		{"URL without scheme", func(m *store.Mirror) { m.URLs = []string{"mirror.example.org/fedora"} }},
		{"URL with another scheme", func(m *store.Mirror) { m.URLs = []string{"gopher://mirror.example.org/fedora"} }},
		{"URL with a query", func(m *store.Mirror) { m.URLs = []string{"https://mirror.example.org/fedora?x=1"} }},
		{"URL with port 99999", func(m *store.Mirror) { m.URLs = []string{"https://mirror.example.org:99999/fedora"} }},
		{"URL with port 0", func(m *store.Mirror) { m.URLs = []string{"https://mirror.example.org:0/fedora"} }},
		{"URL with a line separator", func(m *store.Mirror) { m.URLs = []string{"https://mirror.example.org/fe\u2028dora"} }},
		{"URL with a paragraph separator", func(m *store.Mirror) { m.URLs = []string{"https://mirror.example.org/fe\u2029dora"} }},
		{"URL with a right-to-left override", func(m *store.Mirror) { m.URLs = []string{"https://mirror.example.org/fe\u202edora"} }},
		{"URL with a C1 control", func(m *store.Mirror) { m.URLs = []string{"https://mirror.example.org/fe\u0085dora"} }},
		{"URL that is not UTF-8", func(m *store.Mirror) { m.URLs = []string{"https://mirror.example.org/fe\xffdora"} }},
		{"URL of 200 KB", func(m *store.Mirror) {
			m.URLs = []string{"https://mirror.example.org/" + strings.Repeat("a", 200<<10)}
		}},
		{"the same URL twice", func(m *store.Mirror) {
			m.URLs = []string{"https://a.example.org/fedora", "https://a.example.org/fedora"}
		}},
		{"netblock that is not one", func(m *store.Mirror) { m.Netblocks = []string{"not-a-netblock"} }},
		{"netblock with host bits", func(m *store.Mirror) { m.Netblocks = []string{"10.0.0.1/8"} }},
		{"v4-mapped IPv6 netblock", func(m *store.Mirror) { m.Netblocks = []string{"::ffff:192.0.2.0/120"} }},
		{"unknown location", func(m *store.Mirror) { m.Locations = []string{"ap-south-9"} }},
		{"location listed twice", func(m *store.Mirror) { m.Locations = []string{"us-east-1", "us-east-1"} }},
		{"region that is not one", func(m *store.Mirror) { m.Region = "US East" }},
		{"bucket that is not one", func(m *store.Mirror) { m.Bucket = "Bucket_Name" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Both a new mirror and a replacement are checked.
			m := mirror("new.example.org")
			tt.change(&m)
			rejected(t, s, store.ErrInvalid, func() error { return s.CreateMirror(ctx(t), m) })
			if m.Name != "new.example.org" {
				return // a rename, which UpdateMirror refuses for its own reason
			}
			r := mirror("mirror.example.org")
			tt.change(&r)
			rejected(t, s, store.ErrInvalid, func() error {
				_, err := s.UpdateMirror(ctx(t), r.Name, func(m *store.Mirror) error { *m = r; return nil })
				return err
			})
		})
	}
}

// Concurrent changes are each applied once: none is lost.
func testConcurrentCreates(t *testing.T, s store.Store) {
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if err := s.CreateMirror(ctx(t), mirror(fmt.Sprintf("m%d.example.org", i))); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("CreateMirror: %v", err)
	}
	var names []string
	for _, m := range load(t, s).Mirrors {
		names = append(names, m.Name)
	}
	if len(names) != n {
		t.Errorf("stored mirrors %s, want %d", strings.Join(names, ", "), n)
	}
}

func testCreateMirror(t *testing.T, s store.Store) {
	m := mirror("a.example.org")
	must(t, "CreateMirror", s.CreateMirror(ctx(t), m))
	other := mirror("a.example.org")
	other.Bandwidth = 99
	rejected(t, s, store.ErrConflict, func() error { return s.CreateMirror(ctx(t), other) })
	bad := mirror("b.example.org")
	bad.Country = "XX"
	rejected(t, s, store.ErrInvalid, func() error { return s.CreateMirror(ctx(t), bad) })
}

func testUpdateMirror(t *testing.T, s store.Store) {
	_, err := s.UpdateMirror(ctx(t), "missing.example.org", func(*store.Mirror) error { return nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing mirror: %v, want ErrNotFound", err)
	}
	must(t, "CreateMirror", s.CreateMirror(ctx(t), mirror("a.example.org")))
	got, err := s.UpdateMirror(ctx(t), "a.example.org", func(m *store.Mirror) error {
		m.Bandwidth = 4242
		m.URLs = append(m.URLs, "ftp://a.example.org/pub/")
		return nil
	})
	must(t, "UpdateMirror", err)
	if got.Bandwidth != 4242 || got.URLs[len(got.URLs)-1] != "ftp://a.example.org/pub" {
		t.Errorf("returned %+v, want the stored, normalised mirror", got)
	}
	if diff := cmp.Diff(got, load(t, s).Mirrors[0], datasetOpts); diff != "" {
		t.Errorf("stored mirror differs from the returned one (-want +got):\n%s", diff)
	}
	abort := errors.New("changed my mind")
	rejected(t, s, abort, func() error {
		_, err := s.UpdateMirror(ctx(t), "a.example.org", func(m *store.Mirror) error { m.Bandwidth = 1; return abort })
		return err
	})
	rejected(t, s, store.ErrInvalid, func() error {
		_, err := s.UpdateMirror(ctx(t), "a.example.org", func(m *store.Mirror) error { m.Name = "b.example.org"; return nil })
		return err
	})
	rejected(t, s, store.ErrInvalid, func() error {
		_, err := s.UpdateMirror(ctx(t), "a.example.org", func(m *store.Mirror) error { m.Bandwidth = 0; return nil })
		return err
	})
}

// testUpdateMirrorConcurrent: updates made at once each see the previous
// one's result, so none is lost.
func testUpdateMirrorConcurrent(t *testing.T, s store.Store) {
	m := mirror("a.example.org")
	m.Bandwidth = 1
	must(t, "CreateMirror", s.CreateMirror(ctx(t), m))
	const n = 16
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateMirror(ctx(t), "a.example.org", func(m *store.Mirror) error { m.Bandwidth++; return nil })
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := load(t, s).Mirrors[0].Bandwidth; got != n+1 {
		t.Errorf("bandwidth %d after %d concurrent increments of 1, want %d", got, n, n+1)
	}
}
