package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"mfagateway/shared/httpapi"
)

// eventsDir is the repository's one copy of the sample events; go test runs in shared/httpapi.
var eventsDir = filepath.Join("..", "..", "events")

// eventOutcomes are the answers the login and verify functions give the sample events of their
// routes, sent as they are to a fresh demo seed (events/README.md states the same for people; the
// RIE test in functions/ checks every event's answer against that README through the binaries).
var eventOutcomes = map[string]struct {
	status int
	code   string // "" for a success or an MFA challenge
}{
	"login-mfa-off.json":        {200, ""},
	"login-mfa-header.json":     {403, ""},
	"login-mfa-url.json":        {403, ""},
	"login-email-channel.json":  {403, ""},
	"login-wrong-password.json": {401, "invalid_credentials"},
	"login-no-application.json": {400, "application_required"},
	"login-bad-json.json":       {400, "invalid_request"},
	"login-base64.json":         {200, ""},
	"verify.json":               {401, "invalid_mfa_token"},
	"verify-missing-code.json":  {400, "invalid_request"},
	"verify-lower-case.json":    {401, "invalid_mfa_token"},
	"resend.json":               {401, "invalid_mfa_token"},
	"resend-lower-case.json":    {401, "invalid_mfa_token"},
	"resend-email.json":         {401, "invalid_mfa_token"},
}

// TestEventFixtures is the test of the sample events in events/. Each one decodes into the Go type its
// function receives (httpapi.AuthorizerRequest for authorizer-*.json, httpapi.Request for the others)
// and encodes back to the same JSON as the file's bytes, the way aws-lambda-go's events/apigw_test.go
// compares with JSONEq: a key the type does not know (a typo, a field of another event type) or a value
// it changes fails here. Each is a consistent payload 2.0 event, and those of the login and verify
// functions' routes get the answer eventOutcomes gives, each from its own freshly seeded handler.
func TestEventFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events in %s: %v", eventsDir, err)
	}
	var names []string
	for _, f := range files {
		// env.json is no event: it is the functions' environment under sam local (--env-vars).
		if name := filepath.Base(f); name != "env.json" {
			names = append(names, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(eventOutcomes)) {
		if !slices.Contains(names, name) {
			t.Errorf("eventOutcomes names %s, which is not in %s", name, eventsDir)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(eventsDir, name))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(name, "authorizer-") {
				var req httpapi.AuthorizerRequest
				wantSameJSON(t, raw, &req)
				checkAuthorizerRequest(t, req)
				return
			}
			var req httpapi.Request
			wantSameJSON(t, raw, &req)
			checkAPIEvent(t, req)
			want, ok := eventOutcomes[name]
			row, found := httpapi.Lookup(req.RequestContext.HTTP.Method, req.RawPath) // the row of any of its spellings
			if !found {
				t.Fatalf("%s %s is no route of the table", req.RequestContext.HTTP.Method, req.RawPath)
			}
			switch row.Route.Key() {
			case httpapi.RouteLogin, httpapi.RouteVerify, httpapi.RouteResend:
				if !ok {
					t.Fatalf("%s is an event of %s: give its answer in eventOutcomes", name, req.RouteKey)
				}
			default:
				if ok {
					t.Fatalf("eventOutcomes names %s, an event of %s, which the login and verify functions do not serve", name, req.RouteKey)
				}
				return
			}
			a := newAPIEnv(t).serve(t, req)
			if a.Status != want.status {
				t.Fatalf("status = %d %s, want %d", a.Status, a.Raw, want.status)
			}
			if want.code != "" {
				wantError(t, a, want.status, want.code, "")
			}
		})
	}
}

// wantSameJSON decodes raw into v, encodes v again and fails, listing every difference by its path,
// unless both hold the same JSON (key order, spacing and number spelling aside).
func wantSameJSON(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode into %T: %v", v, err)
	}
	encoded, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	var file, back any
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(encoded, &back); err != nil {
		t.Fatal(err)
	}
	dropEncoderOnly(t, file, back)
	if reflect.DeepEqual(file, back) {
		return
	}
	var diffs []string
	jsonDiff("$", file, back, &diffs)
	t.Errorf("%T does not encode back to the file's JSON:\n  %s\nencoded: %s", v, strings.Join(diffs, "\n  "), encoded)
}

// dropEncoderOnly removes from the encoded event what the encoder writes for a key the file does not
// have and the type cannot leave out, which decodes to the same Go value as the missing key:
//   - null, for a map or slice field without omitempty (the authorizer request's cookies,
//     queryStringParameters, pathParameters, stageVariables);
//   - requestContext.authentication as the empty struct encodes: encoding/json writes a struct field
//     even with omitempty, while API Gateway sends the key only for mutual TLS, which this API does
//     not use.
//
// A key the file has is never removed, so every value in the file is still compared.
func dropEncoderOnly(t *testing.T, file, encoded any) {
	t.Helper()
	b, err := json.Marshal(events.APIGatewayV2HTTPRequestContextAuthentication{})
	if err != nil {
		t.Fatal(err)
	}
	var noAuthentication any
	if err := json.Unmarshal(b, &noAuthentication); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, file, encoded any)
	walk = func(path string, file, encoded any) {
		fm, _ := file.(map[string]any)
		em, _ := encoded.(map[string]any)
		if fm == nil || em == nil {
			return
		}
		for k, v := range em {
			fv, inFile := fm[k]
			switch {
			case inFile:
				walk(path+"."+k, fv, v)
			case v == nil, path+"."+k == "$.requestContext.authentication" && reflect.DeepEqual(v, noAuthentication):
				delete(em, k)
			}
		}
	}
	walk("$", file, encoded)
}

// jsonDiff appends one line per difference between two decoded JSON values.
func jsonDiff(path string, file, encoded any, out *[]string) {
	fm, fIsObj := file.(map[string]any)
	em, eIsObj := encoded.(map[string]any)
	if fIsObj && eIsObj {
		for _, k := range slices.Sorted(maps.Keys(fm)) {
			if _, ok := em[k]; !ok {
				*out = append(*out, fmt.Sprintf("%s.%s: in the file (%s), not in the encoding: the type has no such field", path, k, compact(fm[k])))
				continue
			}
			jsonDiff(path+"."+k, fm[k], em[k], out)
		}
		for _, k := range slices.Sorted(maps.Keys(em)) {
			if _, ok := fm[k]; !ok {
				*out = append(*out, fmt.Sprintf("%s.%s: in the encoding (%s), not in the file", path, k, compact(em[k])))
			}
		}
		return
	}
	fa, fIsArr := file.([]any)
	ea, eIsArr := encoded.([]any)
	if fIsArr && eIsArr && len(fa) == len(ea) {
		for i := range fa {
			jsonDiff(path+"["+strconv.Itoa(i)+"]", fa[i], ea[i], out)
		}
		return
	}
	if !reflect.DeepEqual(file, encoded) {
		*out = append(*out, fmt.Sprintf("%s: the file has %s, the encoding %s", path, compact(file), compact(encoded)))
	}
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// checkAPIEvent checks what API Gateway guarantees of a payload 2.0 event and a function relies on.
func checkAPIEvent(t *testing.T, req httpapi.Request) {
	t.Helper()
	checkPayload2(t, req.Version, req.RouteKey, req.RawPath, req.Headers, req.PathParameters, req.RequestContext)
	if n, ok := req.Headers["content-length"]; ok {
		body := []byte(req.Body)
		if req.IsBase64Encoded {
			var err error
			if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
				t.Fatalf("isBase64Encoded, but the body is not base64: %v", err)
			}
		}
		if n != strconv.Itoa(len(body)) {
			t.Errorf("content-length %s, but the body has %d bytes", n, len(body))
		}
	}
}

// checkAuthorizerRequest checks a REQUEST authorizer's payload 2.0 request; the template names no
// identity sources (a request carries a token or application credentials), so none are passed.
func checkAuthorizerRequest(t *testing.T, req httpapi.AuthorizerRequest) {
	t.Helper()
	checkPayload2(t, req.Version, req.RouteKey, req.RawPath, req.Headers, req.PathParameters, req.RequestContext)
	if req.Type != "REQUEST" {
		t.Errorf("type = %q, want REQUEST", req.Type)
	}
	if len(req.IdentitySource) != 0 {
		t.Errorf("identitySource = %q, want none", req.IdentitySource)
	}
	method, path, _ := strings.Cut(req.RouteKey, " ")
	if want := "/" + req.RequestContext.Stage + "/" + method + path; !strings.HasSuffix(req.RouteArn, want) {
		t.Errorf("routeArn %q does not end in %q", req.RouteArn, want)
	}
}

// checkPayload2: version 2.0, lower-case header names as API Gateway sends them, and a route key that
// agrees with the request context and, its {parameters} filled from pathParameters, with rawPath.
func checkPayload2(t *testing.T, version, routeKey, rawPath string, headers, params map[string]string, rc events.APIGatewayV2HTTPRequestContext) {
	t.Helper()
	if version != "2.0" {
		t.Errorf("version = %q, want 2.0", version)
	}
	for k := range headers {
		if k != strings.ToLower(k) {
			t.Errorf("header %q is not lower case as API Gateway sends it", k)
		}
	}
	method, template, _ := strings.Cut(routeKey, " ")
	if rc.RouteKey != routeKey || rc.HTTP.Method != method || rc.HTTP.Path != rawPath {
		t.Errorf("routeKey %q, requestContext routeKey %q, method %q, path %q: they do not agree", routeKey, rc.RouteKey, rc.HTTP.Method, rc.HTTP.Path)
	}
	path := template
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	if path != rawPath {
		t.Errorf("routeKey %q with pathParameters %v is %q, but rawPath is %q", routeKey, params, path, rawPath)
	}
}
