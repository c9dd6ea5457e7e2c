package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/testenv"
)

// The demo seed's applications and users.
const (
	demoMFA     = "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10" // "Demo (MFA)", demo-mfa.localhost
	demoPlain   = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90" // "Demo", demo.localhost, MFA off
	adaEmail    = "ada@example.com"                      // mobile +31612345678, both applications
	adaPassword = "ada-demo-password-1"
	adaMobile   = "+31612345678"
	graceEmail  = "grace@example.com" // no mobile, both applications
	gracePass   = "grace-demo-password-1"
	linusEmail  = "linus@example.com" // Demo only
	linusPass   = "linus-demo-password-1"
)

// testTable is the table name; it must never reach a client.
const testTable = "httpapi-test-table"

var epoch = time.Date(2031, 5, 6, 9, 0, 0, 0, time.UTC)

// brokenSender fails every send.
type brokenSender struct{ name string }

func (s brokenSender) Send(context.Context, auth.Message) error {
	return io.ErrUnexpectedEOF
}

func (s brokenSender) Name() string { return s.name }

// apiEnv is the test stack seeded with the demo seed, and every function's router over it.
type apiEnv struct {
	*testenv.Stack
	routers map[string]*httpapi.Router // every function's router by logical ID, as the mains build them
}

func newAPIEnv(t *testing.T, opts ...testenv.Option) *apiEnv {
	t.Helper()
	e := &apiEnv{Stack: testenv.NewStack(t, append([]testenv.Option{testenv.WithTable(testTable), testenv.WithClock(epoch)}, opts...)...)}
	e.SeedDemo(t)
	e.rebuild()
	return e
}

// rebuild replaces the routers by ones over changed dependencies.
func (e *apiEnv) rebuild(changes ...func(*auth.Deps)) {
	for _, change := range changes {
		change(&e.Deps)
	}
	e.routers = e.Routers()
}

// event builds a payload 2.0 event the way API Gateway sends it: lower-case header names unless the
// test says otherwise, the route key, the method and path in the request context.
func event(routeKey string, headers map[string]string, body string) httpapi.Request {
	method, path, _ := strings.Cut(routeKey, " ")
	h := map[string]string{"content-type": "application/json", "user-agent": "test"}
	for k, v := range headers {
		h[k] = v
	}
	return httpapi.Request{
		Version: "2.0", RouteKey: routeKey, RawPath: path, Headers: h, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: routeKey, Stage: "$default", RequestID: "test-request",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "192.0.2.1"},
		},
	}
}

// answer is a decoded response.
type answer struct {
	Status  int
	Headers map[string]string
	Raw     string
	Body    map[string]any
}

// serve hands the event to the function API Gateway would route it to, and decodes the answer.
// No input in these tests is our fault, so a 5xx fails the test unless allow5xx is set.
func (e *apiEnv) serve(t *testing.T, req httpapi.Request) answer {
	t.Helper()
	return e.serveWith(t, req, false)
}

func (e *apiEnv) serveWith(t *testing.T, req httpapi.Request, allow5xx bool) answer {
	t.Helper()
	fn := e.routers[httpapi.LoginFunction].Serve
	if strings.EqualFold(req.RouteKey, httpapi.RouteVerify) { // verify's spellings differ only in case
		fn = e.routers[httpapi.VerifyFunction].Serve
	}
	resp, err := fn(e.Ctx, req)
	if err != nil {
		t.Fatalf("handler returned an error (API Gateway would answer 500): %v", err)
	}
	a := answer{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
	if !strings.HasSuffix(resp.Body, "}\n") || strings.HasSuffix(resp.Body, "\n\n") {
		t.Errorf("response body %q does not end with one newline", resp.Body)
	}
	if resp.IsBase64Encoded {
		t.Fatalf("response body is base64-encoded")
	}
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.UseNumber()
	if err := dec.Decode(&a.Body); err != nil {
		t.Fatalf("response body %q is not a JSON object: %v", resp.Body, err)
	}
	if ct := header(a.Headers, "Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if a.Status >= 500 && !allow5xx {
		t.Errorf("status %d %s for client input: 5xx is only for our own or AWS's faults", a.Status, a.Raw)
	}
	return a
}

// header reads a response header by case-insensitive name.
func header(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func hasHeader(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func (e *apiEnv) login(t *testing.T, headers map[string]string, body string) answer {
	t.Helper()
	return e.serve(t, event(httpapi.RouteLogin, headers, body))
}

func (e *apiEnv) verify(t *testing.T, body string) answer {
	t.Helper()
	return e.serve(t, event(httpapi.RouteVerify, nil, body))
}

func (e *apiEnv) resend(t *testing.T, body string) answer {
	t.Helper()
	return e.serve(t, event(httpapi.RouteResend, nil, body))
}

// loginBody is a login request body.
func loginBody(email, pw string) string {
	return jsonOf(map[string]any{"email": email, "password": pw})
}

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func appHeader(id string) map[string]string { return map[string]string{"appid": id} }

// challenge logs in to Demo (MFA) and returns the MFA token and the code the outbox received.
func (e *apiEnv) challenge(t *testing.T, email, pw string) (string, string) {
	t.Helper()
	a := e.login(t, appHeader(demoMFA), loginBody(email, pw))
	if a.Status != http.StatusForbidden {
		t.Fatalf("login: %d %s, want 403", a.Status, a.Raw)
	}
	return str(t, a.Body, "token"), e.LastCode(t)
}

func verifyBody(token, channel, code string) string {
	m := map[string]any{"token": token, "bindingCode": code}
	if channel != "" {
		m["authenticatorCode"] = channel
	}
	return jsonOf(m)
}

func wrongCode(code string) string {
	if code == "111111" {
		return "222222"
	}
	return "111111"
}

func str(t *testing.T, body map[string]any, key string) string {
	t.Helper()
	s, ok := body[key].(string)
	if !ok {
		t.Fatalf("%s = %#v, want a string", key, body[key])
	}
	return s
}

func num(t *testing.T, body map[string]any, key string) int64 {
	t.Helper()
	n, ok := body[key].(json.Number)
	if !ok {
		t.Fatalf("%s = %#v, want a number", key, body[key])
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s = %s, want an integer", key, n)
	}
	return i
}

// wantKeys checks the body has exactly these properties.
func wantKeys(t *testing.T, a answer, keys ...string) {
	t.Helper()
	var got []string
	for k := range a.Body {
		got = append(got, k)
	}
	slices.Sort(got)
	want := slices.Clone(keys)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("body properties = %v, want exactly %v (%s)", got, want, a.Raw)
	}
}

// internalText is what must never reach a client: AWS and engine error text, key prefixes, table
// names, Go internals, the domain's own error strings.
var internalText = []string{
	"dynamodb", "conditionalcheck", "exception", "transaction", "operation error", "statuscode", "requestid",
	testTable, "mfa#", "token#", "user#", "login#", "sends#", "appurl#", "argon2", "$argon", "goroutine",
	"panic", ".go:", "runtime", "127.0.0.1", "dial tcp", "unmarshal", "json:", "struct", "rate limited (",
	"challenge missing", "attempts used up", "invalid mfa token", "sns", "ses:", "http://",
}

// wantError checks an error answer: status, code, exactly code and message (plus extra keys), a plain
// message with no internal text, and Retry-After exactly when retryAfter is set ("" means absent).
func wantError(t *testing.T, a answer, status int, code, retryAfter string, extra ...string) {
	t.Helper()
	if a.Status != status {
		t.Fatalf("status = %d, want %d (%s)", a.Status, status, a.Raw)
	}
	if got, _ := a.Body["code"].(string); got != code {
		t.Errorf("code = %q, want %q (%s)", got, code, a.Raw)
	}
	wantKeys(t, a, append([]string{"code", "message"}, extra...)...)
	msg, _ := a.Body["message"].(string)
	wantPlainMessage(t, msg)
	got, present := header(a.Headers, "Retry-After"), hasHeader(a.Headers, "Retry-After")
	switch {
	case retryAfter == "" && present:
		t.Errorf("Retry-After = %q on a %s answer that waiting does not cure", got, code)
	case retryAfter != "" && got != retryAfter:
		t.Errorf("Retry-After = %q, want %q", got, retryAfter)
	}
}

func wantPlainMessage(t *testing.T, msg string) {
	t.Helper()
	if strings.TrimSpace(msg) == "" {
		t.Errorf("empty message")
	}
	if strings.ContainsAny(msg, "\n\t{}") {
		t.Errorf("message %q is not one plain sentence", msg)
	}
	lower := strings.ToLower(msg)
	for _, bad := range internalText {
		if strings.Contains(lower, strings.ToLower(bad)) {
			t.Errorf("message %q holds internal text %q", msg, bad)
		}
	}
}

// wantMessageNames checks the message names the field at fault.
func wantMessageNames(t *testing.T, a answer, field string) {
	t.Helper()
	if field == "" {
		return
	}
	if msg, _ := a.Body["message"].(string); !strings.Contains(msg, field) {
		t.Errorf("message %q does not name %s", msg, field)
	}
}

// attempts reads the attempts counter of a challenge straight from the table.
func (e *apiEnv) attempts(t *testing.T, mfaToken string) int {
	t.Helper()
	ch, err := e.Store.GetChallenge(e.Ctx, auth.TokenID(mfaToken))
	if err != nil {
		t.Fatalf("get challenge: %v", err)
	}
	return ch.Attempts
}

// hasToken reports whether an auth token item exists for the bearer string.
func (e *apiEnv) hasToken(t *testing.T, bearer string) bool {
	t.Helper()
	return e.Item(t, "TOKEN#"+auth.TokenID(bearer)) != nil
}
