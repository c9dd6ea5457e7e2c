package httpapi_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"mfagateway/shared/httpapi"
)

// swaggerFile is the platform's own API document (testdata/README.md says where it comes from).
const swaggerFile = "testdata/axonize-swagger.json"

// routeQuota is API Gateway's quota of routes per HTTP API; each spelling of each row is one route.
const routeQuota = 300

// operation is one method and path of the platform's Swagger.
type operation struct{ Method, Path string }

// swaggerOperations lists every operation of the vendored Swagger, in path order.
func swaggerOperations(t *testing.T) []operation {
	t.Helper()
	raw, err := os.ReadFile(swaggerFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", swaggerFile, err)
	}
	var ops []operation
	for _, path := range slices.Sorted(maps.Keys(doc.Paths)) {
		for _, key := range slices.Sorted(maps.Keys(doc.Paths[path])) {
			method := strings.ToUpper(key)
			// A path item's other keys ("parameters", extensions) are no operations.
			if slices.Contains([]string{http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete, http.MethodOptions, http.MethodHead, http.MethodPatch}, method) {
				ops = append(ops, operation{method, path})
			}
		}
	}
	if len(ops) == 0 {
		t.Fatalf("%s lists no operation", swaggerFile)
	}
	return ops
}

// respell reports whether other is the row path's pattern spelled another way: the same segments,
// literal ones equal but for letter case, parameters in the same places whatever they are called. It
// returns other with the row's parameter names, which the handlers read.
func respell(path, other string) (string, bool) {
	segs, others := strings.Split(path, "/"), strings.Split(other, "/")
	if len(segs) != len(others) {
		return "", false
	}
	out := slices.Clone(others)
	for i, s := range segs {
		switch p, q := isParam(s), isParam(others[i]); {
		case p && q:
			out[i] = s
		case p || q || !strings.EqualFold(s, others[i]):
			return "", false
		}
	}
	return strings.Join(out, "/"), true
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// lowerCase is a spelling's all-lower-case twin; parameter names keep their case.
func lowerCase(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if !isParam(s) {
			segs[i] = strings.ToLower(s)
		}
	}
	return strings.Join(segs, "/")
}

// wantSpellings is the spellings a row must list, and whence each: the first (the Planon guide's, which
// names the row), each Swagger operation of its method whose path is the row's but for case and
// parameter names, and the all-lower-case spelling.
func wantSpellings(r httpapi.Route, ops []operation) map[string]string {
	want := map[string]string{r.Paths[0]: "the row's first"}
	for _, op := range ops {
		if p, ok := respell(r.Paths[0], op.Path); ok && op.Method == r.Method {
			if _, dup := want[p]; !dup {
				want[p] = "the Swagger's " + op.Path
			}
		}
	}
	if lower := lowerCase(r.Paths[0]); want[lower] == "" {
		want[lower] = "all lower case"
	}
	return want
}

// TestPathSpellings holds each row's Paths to the spellings platform clients send: every spelling the
// platform's Swagger gives the row's method and path, and the all-lower-case one, beside the first; and
// no other.
func TestPathSpellings(t *testing.T) {
	ops := swaggerOperations(t)
	fromSwagger, ran := 0, 0
	for _, r := range httpapi.Routes() {
		t.Run(r.Key(), func(t *testing.T) {
			ran++
			want := wantSpellings(r, ops)
			for _, p := range slices.Sorted(maps.Keys(want)) {
				if strings.HasPrefix(want[p], "the Swagger's ") {
					fromSwagger++
				}
				if !slices.Contains(r.Paths, p) {
					t.Errorf("Paths lack %s (%s); they are %q", p, want[p], r.Paths)
				}
			}
			for _, p := range r.Paths {
				if _, ok := want[p]; !ok {
					t.Errorf("Paths list %s, which is neither the first, nor the Swagger's, nor the all-lower-case spelling", p)
				}
			}
		})
	}
	// The Swagger does spell rows of the table: were no path read, every row would pass on its own
	// spellings. That is checked when every row ran, not when a -run pattern chose some.
	if ran == len(httpapi.Routes()) && fromSwagger == 0 {
		t.Fatalf("no operation of %s matched a row of the table", swaggerFile)
	}
}

// TestRespell pins the matching of Swagger paths to rows on cases the Swagger itself has.
func TestRespell(t *testing.T) {
	for _, tc := range []struct {
		path, other, want string // want "" when other is not the row's path
	}{
		{"/odata/Applications/{appId}", "/odata/applications/{id}", "/odata/applications/{appId}"},
		{"/odata/Applications", "/odata/applications", "/odata/applications"},
		{"/api/auth/verifyMultifactorBindingCode", "/api/auth/verifymultifactorbindingcode", "/api/auth/verifymultifactorbindingcode"},
		{"/odata/Applications/{appId}", "/odata/applications/url", ""},                     // a literal where the row has a parameter
		{"/odata/Applications/Patch/{appId}", "/odata/applications/{id}/getAppSecret", ""}, // parameters in other places
		{"/odata/Applications", "/odata/applicationTemplates", ""},
		{"/api/auth/login", "/api/auth/login/{id}", ""},
	} {
		got, ok := respell(tc.path, tc.other)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("respell(%s, %s) = %q, %v; want %q", tc.path, tc.other, got, ok, tc.want)
		}
	}
}

// TestRouteQuota: every spelling of every row is a route of the one HTTP API, which API Gateway caps.
func TestRouteQuota(t *testing.T) {
	n := 0
	for _, r := range httpapi.Routes() {
		n += len(r.Keys())
	}
	if n > routeQuota {
		t.Errorf("the table declares %d routes; API Gateway allows %d per HTTP API", n, routeQuota)
	}
	t.Logf("%d routes of %d", n, routeQuota)
}

// oddCasings are casings of a spelling that no platform client is promised: all upper case, and each
// literal segment with its first letter's case flipped.
func oddCasings(spelling string) []string {
	segs := strings.Split(spelling, "/")
	out := []string{recase(segs, -1)}
	for i, s := range segs {
		if s != "" && !isParam(s) {
			out = append(out, recase(segs, i))
		}
	}
	return out
}

// recase joins segs with segment i's first letter in the other case; with i < 0 it upper-cases
// every literal segment instead.
func recase(segs []string, i int) string {
	out := slices.Clone(segs)
	for j, s := range out {
		switch {
		case isParam(s) || s == "":
		case i < 0:
			out[j] = strings.ToUpper(s)
		case j == i:
			r, n := utf8.DecodeRuneInString(s)
			if unicode.IsUpper(r) {
				r = unicode.ToLower(r)
			} else {
				r = unicode.ToUpper(r)
			}
			out[j] = string(r) + s[n:]
		}
	}
	return strings.Join(out, "/")
}

// TestSpellingsAreExact proves that matching stays exact, as on API Gateway: each spelling of a row
// selects that spelling's route key, and every other casing (all upper case, one initial flipped) that is
// no row's spelling selects nothing, by path and by routeKey, in every function's router.
func TestSpellingsAreExact(t *testing.T) {
	e := newAPIEnv(t)
	known := map[string]bool{}
	for _, r := range httpapi.Routes() {
		for _, key := range r.Keys() {
			known[key] = true
		}
	}
	odd := 0
	for _, r := range httpapi.Routes() {
		for _, spelling := range r.Paths {
			path, params := concrete(spelling)
			if m, ok := httpapi.Lookup(r.Method, path); !ok || m.Key != r.Method+" "+spelling || !maps.Equal(m.Params, params) {
				t.Errorf("%s %s selects %q %v (found %v), want %s %s %v", r.Method, path, m.Key, m.Params, ok, r.Method, spelling, params)
			}
			for _, casing := range oddCasings(spelling) {
				key := r.Method + " " + casing
				oddPath, _ := concrete(casing)
				if m, ok := httpapi.Lookup(r.Method, oddPath); known[key] || ok && len(m.Params) > 0 && m.Route.Key() != r.Key() {
					// A casing of a literal segment that a {parameter} of another row takes
					// (GET /odata/users/Me is the user "Me") is that row's, on API Gateway too.
					continue
				}
				odd++
				t.Run(key, func(t *testing.T) {
					if m, ok := httpapi.Lookup(r.Method, oddPath); ok {
						t.Errorf("%s %s selects %s, want no route", r.Method, oddPath, m.Key)
					}
					for _, id := range httpapi.Functions() {
						for _, viaDefault := range []bool{false, true} {
							resp, err := e.routers[id].Serve(e.Ctx, rowEvent(r, casing, viaDefault))
							if err != nil || resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, `"not_found"`) {
								t.Errorf("%s (via $default %v): %d %s (%v), want 404 not_found", id, viaDefault, resp.StatusCode, resp.Body, err)
							}
						}
					}
				})
			}
		}
	}
	if odd == 0 {
		t.Fatal("no odd casing was tried")
	}
}
