package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

// checkPageRow holds the answer of a hosted page's row, reached with a JSON body and, for {file}, a file
// that does not exist: a page is HTML whatever the body, and an unknown file is the 404 of no route.
func checkPageRow(t *testing.T, r httpapi.Route, resp httpapi.Response) {
	t.Helper()
	ct := resp.Headers["Content-Type"]
	switch {
	case strings.Contains(r.Paths[0], "{"):
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, `"not_found"`) {
			t.Errorf("a file no page has: %d %q, want 404 not_found", resp.StatusCode, ct)
		}
	case resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/html") || !strings.HasPrefix(resp.Body, "<!doctype html>"):
		t.Errorf("page: %d %q, want 200 and an HTML page", resp.StatusCode, ct)
	}
}

// TestPageRows: the rows of the hosted pages are public GETs of the web function, and no other row is
// the web function's: it serves no JSON.
func TestPageRows(t *testing.T) {
	pages := 0
	for _, r := range httpapi.Routes() {
		if !r.Page() {
			continue
		}
		pages++
		if r.Method != http.MethodGet || r.Protected() || r.Function != httpapi.WebFunction {
			t.Errorf("%s: a hosted page's row is a public GET of %s", r.Key(), httpapi.WebFunction)
		}
		if strings.HasPrefix(r.Paths[0], "/api/") || strings.HasPrefix(r.Paths[0], "/odata/") {
			t.Errorf("%s: a hosted page under the API's paths", r.Key())
		}
	}
	if pages == 0 {
		t.Fatal("no row of the hosted pages")
	}
}
