// Package localdynamo serves the embedded DynamoDB-compatible engine (minidyn) on a loopback port and
// returns a real SDK client for it, so local runs and tests speak the DynamoDB wire protocol without AWS.
package localdynamo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	miniserver "github.com/truora/minidyn/server"

	"mfagateway/shared/dynamo"
)

// Engine is a running embedded engine.
type Engine struct {
	URL    string
	Client *dynamodb.Client
	srv    *http.Server
	served []*http.Server // Serve's, for other processes
}

// Start serves a fresh engine on 127.0.0.1 (a free port) and creates the gateway's table in it.
func Start(ctx context.Context, table string) (*Engine, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: queryLimit{miniserver.NewServer()}, ReadHeaderTimeout: 5 * time.Second}
	// Serve returns only when Close shuts the server down.
	go func() { _ = srv.Serve(ln) }()
	e := &Engine{URL: "http://" + ln.Addr().String(), srv: srv}
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

// Close stops the engine at once, idle client connections included, and every endpoint Serve opened.
func (e *Engine) Close() error {
	errs := []error{e.srv.Close()}
	for _, s := range e.served {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
