package httpapi

import "testing"

// TestMatcherPrefersLiterals: where a literal segment and a parameter both fit, the literal wins
// whatever the order of the rows, as API Gateway picks the most specific route.
func TestMatcherPrefersLiterals(t *testing.T) {
	param := Route{Method: "GET", Paths: []string{"/a/{id}"}}
	literal := Route{Method: "GET", Paths: []string{"/a/b"}}
	for _, rows := range [][]Route{{param, literal}, {literal, param}} {
		m := newMatcher(rows)
		if got, ok := m.match("GET", "/a/b"); !ok || got.Key != "GET /a/b" || len(got.Params) != 0 {
			t.Errorf("rows %v: /a/b matched %q %v", rows, got.Key, got.Params)
		}
		if got, ok := m.match("GET", "/a/c"); !ok || got.Key != "GET /a/{id}" || got.Params["id"] != "c" {
			t.Errorf("rows %v: /a/c matched %q %v", rows, got.Key, got.Params)
		}
	}
}
