// Package localdynamo is a local-only DynamoDB-compatible engine: it keeps tables in memory, serves the
// DynamoDB JSON protocol on a loopback port and returns a real SDK client for it, so local runs and
// tests speak the DynamoDB wire protocol without AWS. Expressions are evaluated by minidyn's
// interpreter; the storage is this package's, ordered so that every request costs what it reads and
// writes, however many items the table holds.
package localdynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/dynamo"
)

// Engine is a running embedded engine.
type Engine struct {
	URL    string
	Client *dynamodb.Client
	srv    *http.Server
	engine *engine

	sweeping sync.WaitGroup
	stop     chan struct{}
	stopOnce sync.Once
	served   []*http.Server // Serve's, for other processes
}

// Start serves a fresh engine on 127.0.0.1 (a free port) and creates the gateway's table in it.
func Start(ctx context.Context, table string) (*Engine, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	e := &Engine{URL: "http://" + ln.Addr().String(), engine: newEngine(), stop: make(chan struct{})}
	e.srv = &http.Server{Handler: e.engine, ReadHeaderTimeout: 5 * time.Second}
	// Serve returns only when Close shuts the server down.
	go func() { _ = e.srv.Serve(ln) }()
	e.Client = NewClient(e.URL)
	if err := dynamo.CreateTable(ctx, e.Client, table); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// NewClient returns a DynamoDB client for an endpoint that needs no real credentials (the embedded engine, moto).
func NewClient(endpoint string) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
}

// Sweep deletes the expired items as DynamoDB's TTL does: in each table with TTL on, those whose TTL
// attribute is a number of unix seconds before now. It looks at a bounded number of items per table
// and goes on where the last sweep stopped, so that repeated sweeps go round the whole table. It
// returns how many items it deleted.
func (e *Engine) Sweep(now time.Time) int {
	return e.engine.sweep(now, sweepBudget)
}

// SweepEvery sweeps by the wall clock every interval until Close.
func (e *Engine) SweepEvery(interval time.Duration) {
	e.sweeping.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-e.stop:
				return
			case now := <-tick.C:
				e.Sweep(now)
			}
		}
	})
}

// Close stops the engine at once, idle client connections, sweeping and every endpoint Serve opened
// included.
func (e *Engine) Close() error {
	e.stopOnce.Do(func() { close(e.stop) })
	e.sweeping.Wait()
	errs := []error{e.srv.Close()}
	for _, s := range e.served {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
