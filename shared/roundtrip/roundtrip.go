// Package roundtrip counts the DynamoDB operations a call makes, with an AWS SDK middleware, so tests
// and `make bench` can hold each flow to its round-trip budget (login ≤ 2, verify ≤ 2, resend ≤ 2,
// authorizer ≤ 1). Besides the operations it tells how many of them ran one after the other: two
// operations made concurrently cost two requests but one round-trip time.
//
// Attach a Counter to a client through its options or to a whole aws.Config:
//
//	c := roundtrip.New()
//	db := dynamodb.NewFromConfig(cfg, c.Attach)                  // one client
//	cfg.APIOptions = append(cfg.APIOptions, c.Middleware)         // every client of cfg (only DynamoDB is counted)
//	ops := c.Measure(func() { store.LoadLogin(ctx, email, app) }) // what one call did
package roundtrip

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// ServiceID is the SDK service ID of the operations counted.
const ServiceID = "DynamoDB"

// Counter counts DynamoDB operations (one per API call, whatever its retries) and the HTTP attempts
// they took (one per request sent, retries included). It is safe for concurrent use, but Measure
// attributes to a call everything counted while it ran: measure one call at a time per Counter.
type Counter struct {
	mu       sync.Mutex
	ops      []string
	spans    []span
	attempts int
}

// span is when one operation call was in flight.
type span struct{ start, end time.Time }

// New returns a counter at zero.
func New() *Counter { return &Counter{} }

// Calls is what a counter saw: the operations in the order they were made, the HTTP attempts, and
// how many round-trip times they took one after the other.
type Calls struct {
	Operations []string
	Attempts   int
	// Sequential is the number of operations left when operations in flight at the same time are
	// counted once: the round-trip times the call waited for. Concurrency is seen from timing, so
	// over a very fast endpoint two concurrent calls may fail to overlap; add Latency to make it visible.
	Sequential int
}

// N is the number of operations: the round trips the call cost when nothing was retried.
func (c Calls) N() int { return len(c.Operations) }

// String is "2 (BatchGetItem, PutItem)", or "3 (UpdateItem, BatchGetItem, TransactWriteItems; 2 sequential)".
func (c Calls) String() string {
	s := strings.Join(c.Operations, ", ")
	if c.Sequential != len(c.Operations) {
		s += "; " + strconv.Itoa(c.Sequential) + " sequential"
	}
	if c.Attempts != len(c.Operations) {
		s += ", " + strconv.Itoa(c.Attempts) + " HTTP attempts"
	}
	return strconv.Itoa(len(c.Operations)) + " (" + s + ")"
}

// Attach is a dynamodb client option: dynamodb.NewFromConfig(cfg, c.Attach) or dynamodb.New(opts, c.Attach).
func (c *Counter) Attach(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, c.Middleware)
}

// Middleware adds the counting steps to one operation's stack. It fits dynamodb.Options.APIOptions,
// aws.Config.APIOptions and config.WithAPIOptions; operations of other services pass uncounted.
func (c *Counter) Middleware(stack *middleware.Stack) error {
	op := stack.ID() // the stack of an operation call is named after the operation
	// Initialize runs once per call, before the retry loop; at its end the service metadata is set.
	if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("roundtrip.Operations",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetServiceID(ctx) != ServiceID {
				return next.HandleInitialize(ctx, in)
			}
			c.mu.Lock()
			c.ops = append(c.ops, op)
			c.mu.Unlock()
			start := time.Now()
			out, md, err := next.HandleInitialize(ctx, in)
			c.mu.Lock()
			c.spans = append(c.spans, span{start, time.Now()})
			c.mu.Unlock()
			return out, md, err
		}), middleware.After); err != nil {
		return err
	}
	// The end of Finalize is inside the retry loop: it runs once per HTTP request sent.
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("roundtrip.Attempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetServiceID(ctx) == ServiceID {
				c.mu.Lock()
				c.attempts++
				c.mu.Unlock()
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// Reset sets the counter back to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops, c.spans, c.attempts = nil, nil, 0
}

// Calls returns what was counted since New or the last Reset.
func (c *Counter) Calls() Calls {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Calls{Operations: append([]string(nil), c.ops...), Attempts: c.attempts, Sequential: sequential(c.spans)}
}

// sequential counts the groups of overlapping spans.
func sequential(spans []span) int {
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b span) int { return a.start.Compare(b.start) })
	n := 0
	var end time.Time
	for i, sp := range s {
		if i == 0 || sp.start.After(end) {
			n++
			end = sp.end
		} else if sp.end.After(end) {
			end = sp.end
		}
	}
	return n
}

// Latency is an APIOptions entry that holds every DynamoDB request for d before sending it, to stand
// for the network between a function and DynamoDB: over a loopback engine that answers in
// microseconds, it makes operations issued concurrently overlap for certain.
func Latency(d time.Duration) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("roundtrip.Latency",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetServiceID(ctx) == ServiceID {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
					}
				}
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

// Measure resets the counter, runs fn and returns what fn cost.
func (c *Counter) Measure(fn func()) Calls {
	c.Reset()
	fn()
	return c.Calls()
}
