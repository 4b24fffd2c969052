package admin

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/metalinkd/metalinkd/store"
)

// tokenIndex holds every token by the hash of its secret, so that checking
// a request's token costs a map lookup instead of a store read. The store
// signals changes (including tokens created or revoked by other replicas
// and by the command line); a signal drops the index and the next check
// loads it again. The API's own token writes drop it too, so a token
// revoked here stops working at once.
type tokenIndex struct {
	load func(ctx context.Context) ([]store.Token, error)
	// gen counts invalidations, so that a load that raced with one is not kept.
	gen atomic.Uint64
	cur atomic.Pointer[map[[32]byte]store.Token]
	// mu lets one request load the index while the others wait for it.
	mu sync.Mutex
}

func newTokenIndex(load func(ctx context.Context) ([]store.Token, error)) *tokenIndex {
	return &tokenIndex{load: load}
}

// lookup returns the token whose secret hashes to hash, revoked or not;
// ErrNotFound when there is none.
func (x *tokenIndex) lookup(ctx context.Context, hash []byte) (store.Token, error) {
	m, err := x.tokens(ctx)
	if err != nil {
		return store.Token{}, err
	}
	if len(hash) != 32 {
		return store.Token{}, store.ErrNotFound
	}
	t, ok := m[[32]byte(hash)]
	if !ok {
		return store.Token{}, store.ErrNotFound
	}
	return t, nil
}

// tokens returns the index, loading it when a change dropped it.
func (x *tokenIndex) tokens(ctx context.Context) (map[[32]byte]store.Token, error) {
	if m := x.cur.Load(); m != nil {
		return *m, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	var m map[[32]byte]store.Token
	for range 3 {
		if p := x.cur.Load(); p != nil {
			return *p, nil
		}
		gen := x.gen.Load()
		ts, err := x.load(ctx)
		if err != nil {
			return nil, err
		}
		m = make(map[[32]byte]store.Token, len(ts))
		for _, t := range ts {
			if len(t.Hash) == 32 {
				m[[32]byte(t.Hash)] = t
			}
		}
		if x.gen.Load() == gen {
			x.cur.Store(&m)
			return m, nil
		}
		// Changed while loading: the next round loads again.
	}
	return m, nil // still fresher than the change that started this load
}

// invalidate drops the index; the next lookup loads it from the store.
func (x *tokenIndex) invalidate() {
	x.gen.Add(1)
	x.cur.Store(nil)
}

// watch invalidates the index whenever changes delivers, until ctx ends or
// changes is closed.
func (x *tokenIndex) watch(ctx context.Context, changes <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
			x.invalidate()
		}
	}
}
