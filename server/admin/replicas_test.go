package admin

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/metalinkd/metalinkd/store"
	"github.com/metalinkd/metalinkd/store/postgres"
)

// Two replicas, each with its own connection to one database, race to
// create the same location, repository and redirect: exactly one request
// wins with 201, every other one is a 409 from whichever replica it
// reached, and the stored entry is the winner's.
func TestReplicasRaceToCreate(t *testing.T) {
	url := pg.NewDatabase(t, true)
	var replicas []*fixture
	for i := range 2 {
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			replicas = append(replicas, newFixtureOn(t, st, st))
			continue
		}
		// The second replica serves the same data with the first one's tokens.
		f := &fixture{t: t, st: st, secrets: replicas[0].secrets, ids: replicas[0].ids}
		r := chi.NewRouter()
		r.Mount("/api/v1", New(Options{Store: st, Log: slog.New(slog.DiscardHandler), Context: t.Context()}))
		srv := httptest.NewServer(r)
		t.Cleanup(srv.Close)
		f.url = srv.URL + "/api/v1"
		replicas = append(replicas, f)
	}
	const rounds, racers = 5, 8
	kinds := []struct {
		name   string
		path   string
		body   func(round, racer int) any
		stored func(round int) (any, error)
	}{
		{"location", "/locations", func(round, racer int) any {
			return store.Location{Name: fmt.Sprintf("race-%d", round), Description: fmt.Sprintf("racer %d", racer)}
		}, func(round int) (any, error) {
			return replicas[0].st.Location(context.Background(), fmt.Sprintf("race-%d", round))
		}},
		{"repository", "/repositories", func(round, racer int) any {
			return store.Repository{Prefix: fmt.Sprintf("race-%d", round), Arch: "x86_64", Directory: fmt.Sprintf("racer/%d", racer)}
		}, func(round int) (any, error) {
			return replicas[0].st.Repository(context.Background(), fmt.Sprintf("race-%d", round), "x86_64")
		}},
		{"redirect", "/redirects", func(round, racer int) any {
			return store.Redirect{From: fmt.Sprintf("race-%d", round), To: fmt.Sprintf("racer-%d", racer)}
		}, func(round int) (any, error) {
			rds, err := replicas[0].st.Redirects(context.Background())
			for _, rd := range rds {
				if rd.From == fmt.Sprintf("race-%d", round) {
					return rd, err
				}
			}
			return nil, err
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for round := range rounds {
				statuses := make([]int, racers)
				var wg sync.WaitGroup
				for racer := range racers {
					wg.Go(func() {
						a := replicas[racer%2].do(http.MethodPost, k.path, "admin", k.body(round, racer))
						statuses[racer] = a.status
					})
				}
				wg.Wait()
				winner, created := -1, 0
				for racer, status := range statuses {
					switch status {
					case http.StatusCreated:
						winner = racer
						created++
					case http.StatusConflict:
					default:
						t.Errorf("round %d: racer %d got %d, want 201 or 409", round, racer, status)
					}
				}
				if created != 1 {
					t.Fatalf("round %d: %d requests created the %s, want exactly 1 (statuses %v)", round, created, k.name, statuses)
				}
				got, err := k.stored(round)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(k.body(round, winner), got); diff != "" {
					t.Errorf("round %d: stored %s is not the winner's (-want +got):\n%s", round, k.name, diff)
				}
			}
		})
	}
}
