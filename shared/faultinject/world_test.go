package faultinject_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/notify"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

// The world every fault test runs in: one table in a fresh embedded engine, an SNS/SES fake, and the
// real SDK clients (3 attempts, as in production) over one fault-injecting transport.
const (
	table = "faults"
	// lambdaTimeout stands for the function's timeout: the deadline of every handler call.
	lambdaTimeout = 3 * time.Second
	// attemptTimeout bounds each HTTP attempt as in production; shortAttempt replaces it where a
	// Timeout fault is injected, so that three timed-out attempts fit in the budget.
	attemptTimeout = awsclient.AttemptTimeout
	shortAttempt   = 500 * time.Millisecond

	samEmail = "sam@example.com" // mobile and email: codes go by SMS
	samPhone = "+31612345678"
	eveEmail = "eve@example.com" // email only
	rightPW  = "correct horse battery"
	wrongPW  = "wrong horse battery"
	appPlain = "0b6c2c8e-2f44-4e0f-9a53-1f0e7d1c0a01" // MFA off
	appMFA   = "0b6c2c8e-2f44-4e0f-9a53-1f0e7d1c0a02" // MFA on
	sender   = "noreply@example.com"
)

var epoch = time.Date(2031, 5, 6, 9, 0, 0, 0, time.UTC)

// recRandom is crypto/rand that remembers what it handed out since the last mark, so a test can
// rebuild an MFA token the client never received (the service draws it first when it starts a challenge).
type recRandom struct {
	mu  sync.Mutex
	buf []byte
}

func (r *recRandom) Read(p []byte) (int, error) {
	n, err := rand.Read(p)
	r.mu.Lock()
	r.buf = append(r.buf, p[:n]...)
	r.mu.Unlock()
	return n, err
}

func (r *recRandom) mark() {
	r.mu.Lock()
	r.buf = nil
	r.mu.Unlock()
}

// firstToken is the bearer made of the first 32 bytes drawn since the mark, or "" if none were drawn.
func (r *recRandom) firstToken() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) < 32 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(r.buf[:32])
}

// message is one SMS or email the fake accepted.
type message struct {
	Service string // "SNS" or "SES"
	To      string
	Body    string
}

// mailFake answers SNS Publish and SES SendEmail (Query protocol) like AWS, and records what it accepted.
type mailFake struct {
	*httptest.Server
	mu   sync.Mutex
	sent []message
}

func newMailFake(t *testing.T) *mailFake {
	f := &mailFake{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *mailFake) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	id := fmt.Sprintf("msg-%d", time.Now().UnixNano())
	switch r.Form.Get("Action") {
	case "Publish":
		f.record(message{Service: "SNS", To: r.Form.Get("PhoneNumber"), Body: r.Form.Get("Message")})
		fmt.Fprintf(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>%s</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`, id)
	case "SendEmail":
		f.record(message{Service: "SES", To: r.Form.Get("Destination.ToAddresses.member.1"), Body: r.Form.Get("Message.Body.Text.Data")})
		fmt.Fprintf(w, `<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>%s</MessageId></SendEmailResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></SendEmailResponse>`, id)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>unknown action</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
	}
}

func (f *mailFake) record(m message) {
	f.mu.Lock()
	f.sent = append(f.sent, m)
	f.mu.Unlock()
}

func (f *mailFake) messages() []message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]message(nil), f.sent...)
}

var codeRE = regexp.MustCompile(`\b\d{6}\b`)

// codes lists the codes delivered to `to`, oldest first.
func (f *mailFake) codes(to string) []string {
	var out []string
	for _, m := range f.messages() {
		if m.To == to {
			out = append(out, codeRE.FindString(m.Body))
		}
	}
	return out
}

// sentRequest is one request that reached DynamoDB, SNS or SES (below the fault injector).
type sentRequest struct {
	Op    string
	What  string // a short description: the keys and attributes it touches
	Token string // ClientRequestToken of TransactWriteItems
}

// recorder sits between the fault injector and the network and describes every request that went out.
type recorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	reqs []sentRequest
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	s := describe(req, body)
	r.mu.Lock()
	r.reqs = append(r.reqs, s)
	r.mu.Unlock()
	return r.base.RoundTrip(req)
}

func (r *recorder) sent() []sentRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentRequest(nil), r.reqs...)
}

// describe names a request's operation the way faultinject does and summarises what it touches.
func describe(req *http.Request, body []byte) sentRequest {
	if target := req.Header.Get("X-Amz-Target"); target != "" {
		_, action, _ := strings.Cut(target, ".")
		s := sentRequest{Op: "DynamoDB." + action}
		var in struct {
			Key                      map[string]map[string]any
			Item                     map[string]map[string]any
			ExpressionAttributeNames map[string]string
			RequestItems             map[string]struct{ Keys []map[string]map[string]any }
			TransactItems            []map[string]struct {
				Key                      map[string]map[string]any
				Item                     map[string]map[string]any
				ExpressionAttributeNames map[string]string
			}
			ClientRequestToken string
		}
		_ = json.Unmarshal(body, &in)
		s.Token = in.ClientRequestToken
		var parts []string
		switch {
		case len(in.TransactItems) > 0:
			for _, ti := range in.TransactItems {
				for kind, it := range ti {
					k := it.Key
					if k == nil {
						k = it.Item
					}
					parts = append(parts, kind+" "+prefixOf(k)+attrs(it.ExpressionAttributeNames))
				}
			}
		case len(in.RequestItems) > 0:
			for _, ri := range in.RequestItems {
				for _, k := range ri.Keys {
					parts = append(parts, prefixOf(k))
				}
			}
		default:
			k := in.Key
			if k == nil {
				k = in.Item
			}
			parts = append(parts, prefixOf(k)+attrs(in.ExpressionAttributeNames))
		}
		s.What = strings.Join(parts, ", ")
		return s
	}
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	switch action {
	case "Publish":
		return sentRequest{Op: "SNS.Publish", What: "SMS"}
	case "SendEmail":
		return sentRequest{Op: "SES.SendEmail", What: "email"}
	}
	return sentRequest{Op: "Unknown." + action}
}

func prefixOf(key map[string]map[string]any) string {
	pk, _ := key["pk"]["S"].(string)
	if i := strings.IndexByte(pk, '#'); i >= 0 {
		return pk[:i+1]
	}
	return pk
}

func attrs(names map[string]string) string {
	if len(names) == 0 {
		return ""
	}
	var v []string
	for _, n := range names {
		if n != "pk" {
			v = append(v, n)
		}
	}
	sort.Strings(v)
	return " {" + strings.Join(v, " ") + "}"
}

// world is one gateway under test: a rig with the test's applications and users, and the login and
// verify functions' routers over a service whose every AWS call goes through the fault injector.
type world struct {
	*rig
	t        *testing.T
	random   *recRandom
	routers  map[string]*httpapi.Router // the functions' routers by logical ID
	deadline time.Duration
}

type worldOptions struct {
	attemptTimeout time.Duration // 0: attemptTimeout
	deadline       time.Duration // 0: lambdaTimeout
}

func newWorld(t *testing.T, o worldOptions) *world {
	t.Helper()
	if o.attemptTimeout == 0 {
		o.attemptTimeout = attemptTimeout
	}
	if o.deadline == 0 {
		o.deadline = lambdaTimeout
	}
	w := &world{t: t, random: &recRandom{}, deadline: o.deadline}
	w.rig = newRig(t, 3, o.attemptTimeout, testenv.WithClock(epoch), testenv.WithRandom(w.random))
	w.Seed(t, seed.File{
		Applications: []seed.Application{
			{AppID: appPlain, Name: "Plain", URL: "plain.example.com"},
			{AppID: appMFA, Name: "With MFA", URL: "mfa.example.com", MFA: true},
		},
		Users: []seed.User{
			{UserID: "5a300000-0000-4000-8000-0000000005a3", Email: samEmail, Name: "Sam", Password: rightPW, Mobile: samPhone, Applications: []string{appPlain, appMFA}},
			{UserID: "e7e00000-0000-4000-8000-00000000e7e0", Email: eveEmail, Name: "Eve", Password: rightPW, Applications: []string{appPlain, appMFA}},
		},
	})
	w.Deps.SMS, w.Deps.Email = notify.NewSMS(w.sns, ""), notify.NewEmail(w.ses, sender)
	w.routers = w.Routers(httpapi.LoginFunction, httpapi.VerifyFunction)
	return w
}

func (w *world) logText() string { return w.Logs.String() }

// answer is a decoded handler response.
type answer struct {
	Status     int
	Code       string // the error code, "" on success
	RetryAfter string
	Body       map[string]any
	Raw        string
}

func (a answer) String() string {
	if a.Code != "" {
		return fmt.Sprintf("%d %s", a.Status, a.Code)
	}
	return strconv.Itoa(a.Status)
}

func (a answer) str(key string) string {
	s, _ := a.Body[key].(string)
	return s
}

// call hands one payload 2.0 event to the function API Gateway routes it to, under a deadline that
// stands for the Lambda timeout, and checks the generic promises: no panic, no handler error, an answer
// before the deadline, a JSON body, and 5xx only as a stable retryable code.
func (w *world) call(route string, headers map[string]string, body any) answer {
	t := w.t
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	method, path, _ := strings.Cut(route, " ")
	h := map[string]string{"content-type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	req := httpapi.Request{
		Version: "2.0", RouteKey: route, RawPath: path, Headers: h, Body: string(b),
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route, Stage: "$default", RequestID: "fault-test",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: sourceIP},
		},
	}
	fn := w.routers[httpapi.LoginFunction].Serve
	if route == httpapi.RouteVerify {
		fn = w.routers[httpapi.VerifyFunction].Serve
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.deadline)
	defer cancel()
	var resp httpapi.Response
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		resp, err = fn(ctx, req)
	}()
	if panicked != nil {
		t.Fatalf("%s panicked: %v", route, panicked)
	}
	if ctx.Err() != nil {
		t.Errorf("%s answered after the Lambda deadline (%v)", route, ctx.Err())
	}
	if err != nil {
		t.Fatalf("%s returned a handler error (API Gateway would answer 500): %v", route, err)
	}
	a := answer{Status: resp.StatusCode, Raw: resp.Body}
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "Retry-After") {
			a.RetryAfter = v
		}
	}
	if err := json.Unmarshal([]byte(resp.Body), &a.Body); err != nil {
		t.Fatalf("%s: body %q is not a JSON object: %v", route, resp.Body, err)
	}
	mfaStarted := a.Status == http.StatusForbidden && a.str("token") != "" && route == httpapi.RouteLogin
	if a.Status >= 400 && !mfaStarted {
		a.Code = a.str("code")
		if a.Code == "" || a.str("message") == "" {
			t.Errorf("%s: error answer %s without code and message", route, resp.Body)
		}
	}
	if a.Status >= 500 {
		switch {
		case a.Status == http.StatusServiceUnavailable && a.Code == "unavailable":
			if n, err := strconv.Atoi(a.RetryAfter); err != nil || n < 1 {
				t.Errorf("%s: 503 unavailable with Retry-After %q, want whole seconds ≥ 1", route, a.RetryAfter)
			}
		case a.Status == http.StatusServiceUnavailable && a.Code == "delivery_failed":
		case a.Status == http.StatusInternalServerError && a.Code == "internal":
		default:
			t.Errorf("%s: %d %s is not one of 503 unavailable, 503 delivery_failed, 500 internal", route, a.Status, a.Code)
		}
	}
	if a.Status == http.StatusTooManyRequests && a.Code == "too_many_requests" && a.RetryAfter == "" &&
		!strings.Contains(a.str("message"), "log in again") {
		t.Errorf("%s: 429 without Retry-After: %s", route, resp.Body)
	}
	return a
}

func (w *world) login(email, pw, app string) answer {
	w.t.Helper()
	return w.call(httpapi.RouteLogin, map[string]string{"appid": app}, map[string]string{"email": email, "password": pw})
}

func (w *world) verify(token, channel, code string) answer {
	w.t.Helper()
	body := map[string]string{"token": token, "bindingCode": code}
	if channel != "" {
		body["authenticatorCode"] = channel
	}
	return w.call(httpapi.RouteVerify, nil, body)
}

func (w *world) resend(token string) answer {
	w.t.Helper()
	return w.call(httpapi.RouteResend, nil, map[string]string{"token": token})
}

// items returns the table's items whose pk starts with prefix, keyed by pk.
func (w *world) items(prefix string) map[string]map[string]types.AttributeValue {
	w.t.Helper()
	out := map[string]map[string]types.AttributeValue{}
	for _, it := range w.Items(w.t, prefix) {
		out[sAttr(it, "pk")] = it
	}
	return out
}

func (w *world) item(pk string) map[string]types.AttributeValue {
	w.t.Helper()
	return w.Item(w.t, pk)
}

func sAttr(it map[string]types.AttributeValue, name string) string {
	v, _ := it[name].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}

func nAttr(it map[string]types.AttributeValue, name string) int64 {
	v, _ := it[name].(*types.AttributeValueMemberN)
	if v == nil {
		return 0
	}
	n, _ := strconv.ParseInt(v.Value, 10, 64)
	return n
}

func bAttr(it map[string]types.AttributeValue, name string) bool {
	v, _ := it[name].(*types.AttributeValueMemberBOOL)
	return v != nil && v.Value
}

// failures is the stored failed-password count of an email's account.
func (w *world) failures(email string) int64 { return nAttr(w.item("LOGIN#"+email), "failures") }

// sourceIP is the client address of every request of the world.
const sourceIP = "192.0.2.1"

// networkCount is the stored failed-password counter of an email from the world's network (nil when absent).
func (w *world) networkCount(email string) map[string]types.AttributeValue {
	return w.item("LOGINNET#" + email + "#" + string(auth.NetworkOf(sourceIP)))
}

// challengeItem is the stored challenge of an MFA token (nil when absent).
func (w *world) challengeItem(mfaToken string) map[string]types.AttributeValue {
	return w.item("MFA#" + auth.TokenID(mfaToken))
}

// live reports whether a stored challenge could still be verified at the world's time.
func (w *world) live(it map[string]types.AttributeValue) bool {
	now := w.Clock.Now().UnixMilli()
	return it != nil && !bAttr(it, "used") && nAttr(it, "expiresAt") > now &&
		nAttr(it, "codeExpiresAt") > now && nAttr(it, "attempts") < int64(auth.DefaultPolicy.MaxAttempts)
}
