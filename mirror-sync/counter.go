package mirrorsync

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/smithy-go/middleware"
)

// counter counts S3 requests by operation, every retry included.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

// newCounter returns an empty counter.
func newCounter() *counter { return &counter{n: map[string]int{}} }

// get returns the count of one operation (e.g. "PutObject").
func (c *counter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// String lists the counts as "Op=n" sorted by operation.
func (c *counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.n)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c.n[k]))
	}
	return strings.Join(parts, " ")
}

// middleware sits in the deserialize step, which runs once per attempt.
func (c *counter) middleware(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("MirrorSyncCounter",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			op := middleware.GetOperationName(ctx)
			c.mu.Lock()
			c.n[op]++
			c.mu.Unlock()
			return next.HandleDeserialize(ctx, in)
		}), middleware.Before)
}
