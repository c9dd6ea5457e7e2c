package testenv_test

import (
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/testenv"
)

// TestOnlyTestsImportTestenv: testenv imports the gateway's packages and is for tests only, so no
// package's non-test files may import it.
func TestOnlyTestsImportTestenv(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command runs this test, yet is not on PATH: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "mfagateway/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	listed := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		listed++
		for _, imp := range fields[1:] {
			if imp == "mfagateway/shared/testenv" {
				t.Errorf("%s imports testenv outside its tests", fields[0])
			}
		}
	}
	if listed < 10 {
		t.Fatalf("go list named %d packages: %s", listed, out)
	}
}

// countingTransport counts the requests that pass through it.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int32
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// TestStackClients: what WithHTTPClient and WithClientOptions shape reaches Client and the Store over
// it, never Raw, so seeding and inspection go around a fault injector or a counter.
func TestStackClients(t *testing.T) {
	var wrapped *countingTransport
	var optioned atomic.Int32
	s := testenv.NewStack(t,
		testenv.WithHTTPClient(func(base *http.Transport) *http.Client {
			wrapped = &countingTransport{base: base}
			return &http.Client{Transport: wrapped}
		}),
		testenv.WithClientOptions(func(*dynamodb.Options) { optioned.Add(1) }))
	if s.HTTPClient.Transport != wrapped {
		t.Fatal("HTTPClient is not the client WithHTTPClient built")
	}
	if optioned.Load() != 1 {
		t.Fatalf("the client options ran %d times, want once (for Client alone)", optioned.Load())
	}
	s.SeedDemo(t)
	if len(s.Items(t, "USER#")) == 0 {
		t.Fatal("the demo seed wrote no users")
	}
	if n := wrapped.n.Load(); n != 0 {
		t.Fatalf("seeding and inspection sent %d requests through Client's transport, want none", n)
	}
	if _, err := s.Store.GetUser(s.Ctx, "ada@example.com"); err != nil {
		t.Fatalf("GetUser through Store: %v", err)
	}
	if n := wrapped.n.Load(); n != 1 {
		t.Fatalf("a store read sent %d requests through Client's transport, want 1", n)
	}

	// The services are built from Deps as they are when asked for, so a test may change them.
	s.Deps.Store = nil
	if svc := s.Service(); svc.Store != nil {
		t.Errorf("Service was built from Deps before the change: store %v", svc.Store)
	}
}
