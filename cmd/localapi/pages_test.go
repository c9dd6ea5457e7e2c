package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

// checkLocalPage GETs a row of the hosted pages through the local gateway: a page is HTML under its
// policy, and {file} with the name of the shared script is that script.
func checkLocalPage(t *testing.T, s *localServer, r httpapi.Route, spelling string) {
	t.Helper()
	path, want := spelling, "text/html; charset=utf-8"
	if strings.Contains(spelling, "{file}") {
		path, want = strings.ReplaceAll(spelling, "{file}", "gateway.js"), "text/javascript; charset=utf-8"
	}
	resp, err := s.client.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want || len(body) == 0 {
		t.Fatalf("GET %s: %d %q, want 200 %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), want)
	}
	if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET %s: no strict policy: %q", path, resp.Header.Get("Content-Security-Policy"))
	}
}
