package httpapi_test

// Benchmarks of event decoding, run by `make bench` (go run ./cmd/bench) with a bounded -benchtime:
// the payload 2.0 event as the Lambda runtime decodes it, and the handlers' own body decoding and
// validation up to the answer, on paths that need no store. Each BenchmarkFloorX is the least any
// decoder of the same bytes must do, measured in the same run for the ratio. Every identifier here
// starts with bench (other test files of this package own the plain names).

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
)

var benchSink any

// benchEvent reads a sample event from the repository's events/ folder.
func benchEvent(b *testing.B, name string) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func benchRequest(b *testing.B, name string) httpapi.Request {
	b.Helper()
	var req httpapi.Request
	if err := json.Unmarshal(benchEvent(b, name), &req); err != nil {
		b.Fatal(err)
	}
	return req
}

// benchRouter is a function's router whose services have no store: only paths that end before the store may run.
func benchRouter(function string) *httpapi.Router {
	log := slog.New(slog.DiscardHandler)
	return httpapi.Function(function, httpapi.Handlers{
		Auth:    httpapi.New(auth.NewService(auth.Deps{Secret: []byte("bench-secret-0123456789abcdefghijklmnop"), Policy: auth.DefaultPolicy, Log: log}), log),
		Session: httpapi.NewSession(auth.NewSessions(nil, nil, log), log),
		Guard:   httpapi.NewGuard(nil, log),
	})
}

// BenchmarkDecodeLoginEvent decodes a payload 2.0 login event, as the runtime does before the handler runs.
func BenchmarkDecodeLoginEvent(b *testing.B) {
	raw := benchEvent(b, "login-mfa-off.json")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var req httpapi.Request
		if err := json.Unmarshal(raw, &req); err != nil {
			b.Fatal(err)
		}
		benchSink = req.Body
	}
}

// BenchmarkFloorScanLoginEvent only scans the same bytes as JSON.
func BenchmarkFloorScanLoginEvent(b *testing.B) {
	raw := benchEvent(b, "login-mfa-off.json")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		benchSink = json.Valid(raw)
	}
}

// BenchmarkDecodeAuthorizerEvent decodes an authorizer request and reads its bearer token.
func BenchmarkDecodeAuthorizerEvent(b *testing.B) {
	raw := benchEvent(b, "authorizer-good-token.json")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var req httpapi.AuthorizerRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			b.Fatal(err)
		}
		benchSink = httpapi.BearerToken(httpapi.Header(httpapi.Request{Headers: req.Headers}, "authorization"))
	}
}

// BenchmarkFloorScanAuthorizerEvent only scans the same bytes as JSON.
func BenchmarkFloorScanAuthorizerEvent(b *testing.B) {
	raw := benchEvent(b, "authorizer-good-token.json")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		benchSink = json.Valid(raw)
	}
}

// BenchmarkLoginRejected runs the login handler on a body it refuses before the domain (400
// application_required): body decoding, email validation and the error answer.
func BenchmarkLoginRejected(b *testing.B) {
	h := benchRouter(httpapi.LoginFunction)
	req := benchRequest(b, "login-no-application.json")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.Serve(ctx, req)
		if err != nil || resp.StatusCode != 400 {
			b.Fatalf("status %d, %v; want 400", resp.StatusCode, err)
		}
	}
}

// BenchmarkVerifyRejected runs the verify handler up to the domain's refusal of the sample's
// placeholder token (401 invalid_mfa_token): body decoding, code validation and the error answer.
func BenchmarkVerifyRejected(b *testing.B) {
	h := benchRouter(httpapi.VerifyFunction)
	req := benchRequest(b, "verify.json")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.Serve(ctx, req)
		if err != nil || resp.StatusCode != 401 {
			b.Fatalf("status %d, %v; want 401", resp.StatusCode, err)
		}
	}
}

// benchBody is a three-string request body, the shape of the login and verify bodies.
type benchBody struct {
	A string `json:"email"`
	B string `json:"password"`
	C string `json:"url"`
}

// BenchmarkFloorDecodeBody decodes the login sample's body into three strings with encoding/json.
func BenchmarkFloorDecodeBody(b *testing.B) {
	body := []byte(benchRequest(b, "login-no-application.json").Body)
	b.ReportAllocs()
	for b.Loop() {
		var v benchBody
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
		benchSink = v.A
	}
}
