package functions_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"mfagateway/shared/auth"
	"mfagateway/shared/password"
	"mfagateway/shared/testenv"
)

// The deployment the bootstraps run in: moto stands in for DynamoDB, SNS and SES.
const (
	tableName       = "mfagateway-rie-test"
	sesSender       = "no-reply@example.com"
	hmacSecret      = "rie-test-secret-0123456789abcdefghijklmnop" // >= 32 bytes
	placeholder     = "REPLACE_WITH_MFA_TOKEN"                     // the MFA token in events/verify.json and resend.json
	authPlaceholder = "REPLACE_WITH_AUTH_TOKEN"                    // the auth token in the authorizer's and the protected routes' events
	demoApp         = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"       // the demo seed's application without MFA
	adaMobile       = "+31612345678"                               // the demo seed's user with a mobile number
	graceEmail      = "grace@example.com"                          // the demo seed's user without one
)

// buildDir holds the bootstraps the Makefile builds; TestMain creates and removes it.
var buildDir string

var builds struct {
	sync.Mutex
	bootstrap map[string]string // logical ID -> path
}

// build runs the Makefile's own build-<LogicalId> target (as `sam build` does) with the deploy flags
// but the host's architecture, once per function, and returns the bootstrap it left in ARTIFACTS_DIR.
func build(t *testing.T, logicalID string) string {
	t.Helper()
	makeBin := testenv.RequireTool(t, "make", "the Makefile's build-<LogicalId> targets")
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.bootstrap[logicalID]; ok {
		return p
	}
	artifacts := filepath.Join(buildDir, logicalID)
	// LAMBDA_ARCH: the architecture this test binary runs on, so the bootstrap can run here.
	cmd := exec.Command(makeBin, "-C", repoRoot, "build-"+logicalID, "ARTIFACTS_DIR="+artifacts, "LAMBDA_ARCH="+runtime.GOARCH)
	cmd.Env = withoutMakeVars()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build-%s: %v\n%s", logicalID, err, out)
	}
	bootstrap := filepath.Join(artifacts, "bootstrap")
	st, err := os.Stat(bootstrap)
	if err != nil {
		t.Fatalf("make build-%s left no bootstrap in ARTIFACTS_DIR: %v", logicalID, err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		t.Fatalf("make build-%s: %s is not an executable file (%s)", logicalID, bootstrap, st.Mode())
	}
	if builds.bootstrap == nil {
		builds.bootstrap = map[string]string{}
	}
	builds.bootstrap[logicalID] = bootstrap
	return bootstrap
}

// withoutMakeVars is this process's environment minus what an enclosing `make test` exports to its
// children, so the Makefile is run as from a shell (and `make test ARTIFACTS_DIR=...` cannot leak in).
func withoutMakeVars() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL" || name == "MAKEOVERRIDES"
	})
}

// rieBinary finds the Runtime Interface Emulator: bin/ (where `make tools` installs it), else PATH.
func rieBinary(t *testing.T) string {
	t.Helper()
	local, err := filepath.Abs(filepath.Join(repoRoot, "bin", "aws-lambda-rie"))
	if err == nil {
		if st, err := os.Stat(local); err == nil && st.Mode().IsRegular() {
			if testing.Short() && !testenv.InCI() {
				t.Skip("-short: skipping test that needs aws-lambda-rie")
			}
			return local
		}
	}
	return testenv.RequireTool(t, "aws-lambda-rie", "run the bootstraps as Lambda does; `make tools` installs it into bin/")
}

// backend is moto with the gateway's table (the test stack on moto), the demo seed, a verified SES
// sender and the server secret in Secrets Manager.
type backend struct {
	*testenv.Stack
	moto      *testenv.Moto
	secretARN string // the server secret, as the stack's ServerSecret
}

func startBackend(t *testing.T) *backend {
	t.Helper()
	return startBackendWith(t, tableName)
}

// startBackendWith is startBackend with the gateway's table named table.
func startBackendWith(t *testing.T, table string) *backend {
	t.Helper()
	moto := testenv.StartMoto(t)
	track(moto.Process.PID(), "moto_server")
	// The demo users are hashed at the production cost, as a deployment's users are.
	b := &backend{moto: moto, Stack: testenv.NewStack(t, testenv.OnMoto(moto), testenv.WithTable(table),
		testenv.WithClock(time.Now()), testenv.WithPassword(password.Default))}
	b.SeedDemo(t)
	ctx := b.Ctx
	sesClient := ses.New(ses.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(moto.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	if _, err := sesClient.VerifyEmailIdentity(ctx, &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(sesSender)}); err != nil {
		t.Fatalf("verify SES sender on moto: %v", err)
	}
	b.secretARN = b.createSecret(t, hmacSecret)
	return b
}

// functionEnv is the deployment's environment as the template sets it, pointed at moto.
func (b *backend) functionEnv(t *testing.T) []string {
	return append([]string{
		"TABLE_NAME=" + tableName,
		"CODE_HMAC_SECRET_ARN=" + b.secretARN,
		"SES_SENDER=" + sesSender,
		"LOG_LEVEL=DEBUG",
		// Long enough that a resend right after a login is inside it however slow this machine is;
		// the test moves the stored send time to get past it (backdateLastSend).
		"RESEND_COOLDOWN=10m",
	}, motoEnv(t, b.moto.URL)...)
}

// motoEnv points a function's AWS clients at moto, with moto's dummy credentials.
func motoEnv(t *testing.T, url string) []string {
	noFile := filepath.Join(t.TempDir(), "absent")
	return []string{
		"AWS_ENDPOINT_URL=" + url,
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_SESSION_TOKEN=",
		// Nothing from this machine's AWS setup may reach the functions.
		"AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + noFile,
		"AWS_SHARED_CREDENTIALS_FILE=" + noFile,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// lambdaFunction is one bootstrap running under the RIE.
type lambdaFunction struct {
	name      string
	url       string
	proc      *testenv.Process
	bootstrap int // PID of the bootstrap the RIE started on the first invoke
}

// startFunction runs bootstrap under the RIE on free loopback ports. The RIE's own Runtime API
// defaults to the fixed 127.0.0.1:9001, so it gets a free port too: two RIEs (or two test packages)
// could not run at once otherwise.
func startFunction(t *testing.T, rie, name, bootstrap string, env []string) *lambdaFunction {
	t.Helper()
	return runFunction(t, rie, name, bootstrap, append(os.Environ(), append([]string{
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=10", // as template.yaml's Globals
	}, env...)...))
}

// runFunction is startFunction with environ as the RIE's whole environment, which the RIE hands the
// bootstrap, as a container's environment is all a function sees.
func runFunction(t *testing.T, rie, name, bootstrap string, environ []string) *lambdaFunction {
	t.Helper()
	port, apiPort := testenv.FreePort(t), testenv.FreePort(t)
	for apiPort == port {
		apiPort = testenv.FreePort(t)
	}
	args := []string{
		"--runtime-interface-emulator-address", "127.0.0.1:" + strconv.Itoa(port),
		"--runtime-api-address", "127.0.0.1:" + strconv.Itoa(apiPort),
		"--log-level", "info",
		bootstrap,
	}
	p := testenv.StartIsolated(t, rie, args, environ)
	track(p.PID(), "aws-lambda-rie ("+name+")")
	f := &lambdaFunction{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port), proc: p}
	// Any answer will do; GET / is a 404 that, unlike the invocations path, starts no invoke.
	testenv.WaitHTTP(t, p, f.url+"/", 30*time.Second)
	return f
}

// apiResponse is an API Gateway payload 2.0 response.
type apiResponse struct {
	StatusCode      *int              `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// response is a decoded API answer.
type response struct {
	Status  int
	Headers map[string]string
	Body    map[string]any
	Raw     string
}

// invokeClient bounds a stuck invoke; the functions' own timeout (10 s) is far below it.
var invokeClient = &http.Client{Timeout: 60 * time.Second}

// invokeRaw sends an event to the function as Lambda would and returns the function's answer,
// failing on an RIE error or a handler error (which the RIE reports as HTTP 200 with errorType).
func (f *lambdaFunction) invokeRaw(t *testing.T, event []byte) []byte {
	t.Helper()
	resp, err := invokeClient.Post(f.url+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatalf("invoke %s: %v", f.name, err)
	}
	raw, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatalf("invoke %s: read answer: %v", f.name, err)
	}
	if f.bootstrap == 0 {
		if pid := childOf(f.proc.PID()); pid != 0 {
			f.bootstrap = pid
			track(pid, "bootstrap ("+f.name+")")
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke %s: the RIE answered %d: %s", f.name, resp.StatusCode, raw)
	}
	var failure struct{ ErrorType, ErrorMessage string }
	if err := json.Unmarshal(raw, &failure); err != nil {
		t.Fatalf("invoke %s: answer is not a JSON object: %v\n%s", f.name, err, raw)
	}
	if failure.ErrorType != "" {
		t.Fatalf("invoke %s: the handler failed (%s): %s", f.name, failure.ErrorType, failure.ErrorMessage)
	}
	return raw
}

// invoke sends an API event and decodes the API Gateway payload 2.0 response.
func (f *lambdaFunction) invoke(t *testing.T, event []byte) response {
	t.Helper()
	raw := f.invokeRaw(t, event)
	var out apiResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("invoke %s: not an API Gateway response: %v\n%s", f.name, err, raw)
	}
	if out.StatusCode == nil {
		t.Fatalf("invoke %s: not an API Gateway response (no statusCode): %s", f.name, raw)
	}
	if out.IsBase64Encoded {
		t.Fatalf("invoke %s: a JSON API should not answer base64: %s", f.name, raw)
	}
	r := response{Status: *out.StatusCode, Headers: map[string]string{}, Raw: out.Body}
	for k, v := range out.Headers {
		r.Headers[strings.ToLower(k)] = v
	}
	if out.Body != "" {
		if err := json.Unmarshal([]byte(out.Body), &r.Body); err != nil {
			t.Fatalf("invoke %s: body is not a JSON object: %v\n%s", f.name, err, out.Body)
		}
	}
	return r
}

// verdict is an authorizer's simple response.
type verdict struct {
	IsAuthorized *bool          `json:"isAuthorized"`
	Context      map[string]any `json:"context"`
}

// valid is the authorizer's own verdict on the token, which it passes in the context.
func (v verdict) valid() bool { b, _ := v.Context["valid"].(bool); return b }

// authorize sends an authorizer event and decodes the simple response.
func (f *lambdaFunction) authorize(t *testing.T, event []byte) verdict {
	t.Helper()
	raw := f.invokeRaw(t, event)
	var v verdict
	if err := json.Unmarshal(raw, &v); err != nil || v.IsAuthorized == nil {
		t.Fatalf("invoke %s: not a simple authorizer response (%v): %s", f.name, err, raw)
	}
	return v
}

// want asserts the status and, for an error, its code.
func (r response) want(t *testing.T, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Raw)
	}
	if got, _ := r.Body["code"].(string); got != code {
		t.Fatalf("code %q, want %q; body %s", got, code, r.Raw)
	}
}

// str returns a string field of the body, failing when it is missing or empty.
func (r response) str(t *testing.T, field string) string {
	t.Helper()
	s, _ := r.Body[field].(string)
	if s == "" {
		t.Fatalf("body has no %q: %s", field, r.Raw)
	}
	return s
}

// gateway is the deployment under test: each function of the template under its own RIE.
type gateway struct {
	backend   *backend
	functions map[string]*lambdaFunction // logical ID -> running function
}

func startGateway(t *testing.T) *gateway {
	t.Helper()
	rie := rieBinary(t)
	testenv.RequireTool(t, "moto_server", "local DynamoDB, SNS and SES")
	b := startBackend(t)
	g := &gateway{backend: b, functions: map[string]*lambdaFunction{}}
	env := b.functionEnv(t)
	for _, fn := range functions {
		g.functions[fn.LogicalID] = startFunction(t, rie, fn.LogicalID, build(t, fn.LogicalID), env)
	}
	return g
}

// routeOf finds the route of an event's routeKey.
func routeOf(t *testing.T, event []byte) (route, bool) {
	t.Helper()
	var e struct {
		Type     string `json:"type"`
		RouteKey string `json:"routeKey"`
	}
	if err := json.Unmarshal(event, &e); err != nil {
		t.Fatalf("event is not JSON: %v", err)
	}
	for _, r := range routes {
		if r.Key() == e.RouteKey {
			return r, e.Type == "REQUEST"
		}
	}
	t.Fatalf("no route for routeKey %q", e.RouteKey)
	return route{}, false
}

// invoke sends an API event to the function of its route, as API Gateway does. An error of an /odata
// route must be in OData's format, {"error": {...}}; its Body is then the object inside, so that
// every error is checked alike.
func (g *gateway) invoke(t *testing.T, event []byte) response {
	t.Helper()
	r, authorizerRequest := routeOf(t, event)
	if authorizerRequest {
		t.Fatalf("%s: an authorizer request, not an API event", r.Key())
	}
	resp := g.functions[r.Function].invoke(t, event)
	if resp.Status >= 400 && strings.HasPrefix(r.Path, "/odata/") {
		inner, ok := resp.Body["error"].(map[string]any)
		if !ok || len(resp.Body) != 1 {
			t.Fatalf("%s: %d %s, want OData's {\"error\": {...}}", r.Key(), resp.Status, resp.Raw)
		}
		resp.Body = inner
	}
	return resp
}

// authorize sends an authorizer request to the function behind its route's authorizer.
func (g *gateway) authorize(t *testing.T, event []byte) verdict {
	t.Helper()
	r, authorizerRequest := routeOf(t, event)
	if !authorizerRequest {
		t.Fatalf("%s: an API event, not an authorizer request (type REQUEST)", r.Key())
	}
	if r.Authorizer == "" {
		t.Fatalf("%s is public: API Gateway calls no authorizer for it", r.Key())
	}
	return g.functions[authorizers[r.Authorizer]].authorize(t, event)
}

func isAuthorizerRequest(t *testing.T, event []byte) bool {
	t.Helper()
	_, ok := routeOf(t, event)
	return ok
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withBody returns the event with another JSON body (and a matching content-length).
func withBody(t *testing.T, event []byte, body any) []byte {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(event, &e); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	e["body"], e["isBase64Encoded"] = string(b), false
	if h, ok := e["headers"].(map[string]any); ok {
		h["content-length"] = strconv.Itoa(len(b))
	}
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// withToken puts a real MFA token where the sample event has the placeholder.
func withToken(event []byte, token string) []byte {
	return bytes.ReplaceAll(event, []byte(placeholder), []byte(token))
}

// withAuthToken puts a real auth token where the sample event has the placeholder.
func withAuthToken(event []byte, token string) []byte {
	return bytes.ReplaceAll(event, []byte(authPlaceholder), []byte(token))
}

// withAuthorizerContext hands the function the context an authorizer returned, as API Gateway does.
func withAuthorizerContext(t *testing.T, event []byte, context map[string]any) []byte {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(event, &e); err != nil {
		t.Fatal(err)
	}
	rc, _ := e["requestContext"].(map[string]any)
	if rc == nil {
		t.Fatal("event has no requestContext")
	}
	rc["authorizer"] = map[string]any{"lambda": context}
	out, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expectation is one row of events/README.md's table.
type expectation struct {
	Text   string            // the expected column as written
	Status int               // API events: the status
	Code   string            // API events: the error code; "" when the row names none (no "code" in the body)
	Fields map[string]string // API events: `field` `value` pairs the answer must have
	// Authorizer requests: isAuthorized, and the verdict on the token in context.valid.
	Authorized, Valid *bool
}

var (
	fileCell     = regexp.MustCompile("^`([^`]+\\.json)`$")
	statusRe     = regexp.MustCompile(`^(\d{3})\b`)
	codeRe       = regexp.MustCompile("^\\d{3},? `([a-z_]+)`")
	fieldRe      = regexp.MustCompile("`(\\w+)` `(\\w+)`")
	authorizedRe = regexp.MustCompile("`isAuthorized: (true|false)`")
	validRe      = regexp.MustCompile("`context\\.valid: (true|false)`")
)

// tableCells splits a Markdown table row into its trimmed cells; `\|` is a pipe inside a cell.
func tableCells(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
		return nil
	}
	var cells []string
	var cell strings.Builder
	for i := 1; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cell.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cell.String()))
			cell.Reset()
		default:
			cell.WriteByte(line[i])
		}
	}
	return cells
}

// readmeExpectations reads the expected answers from events/README.md, so the README and this test
// cannot drift apart. Where a row names several outcomes, the first is the sample event's as is.
func readmeExpectations(t *testing.T) map[string]expectation {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, "events", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]expectation{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := tableCells(sc.Text())
		if len(cells) < 2 {
			continue
		}
		m := fileCell.FindStringSubmatch(cells[0])
		if m == nil {
			continue
		}
		file, expected := m[1], cells[len(cells)-1]
		e := expectation{Text: expected, Fields: map[string]string{}}
		if a := authorizedRe.FindStringSubmatch(expected); a != nil {
			v := validRe.FindStringSubmatch(expected)
			if v == nil {
				t.Fatalf("events/README.md: %s expects an authorizer answer but no `context.valid: ...`: %q", file, expected)
			}
			authorized, valid := a[1] == "true", v[1] == "true"
			e.Authorized, e.Valid = &authorized, &valid
			out[file] = e
			continue
		}
		s := statusRe.FindStringSubmatch(expected)
		if s == nil {
			t.Fatalf("events/README.md: the expected column of %s starts with neither a status nor `isAuthorized: ...`: %q", file, expected)
		}
		e.Status, _ = strconv.Atoi(s[1])
		if c := codeRe.FindStringSubmatch(expected); c != nil {
			e.Code = c[1]
		}
		for _, fv := range fieldRe.FindAllStringSubmatch(expected, -1) {
			e.Fields[fv[1]] = fv[2]
		}
		out[file] = e
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// outbox reads what moto recorded as sent: SMS (SNS) and email (SES).
type sent struct {
	ID, To, Body string
}

func (b *backend) sent(t *testing.T) (sms, email []sent) {
	t.Helper()
	resp, err := http.Get(b.moto.URL + "/moto-api/data.json")
	if err != nil {
		t.Fatalf("read moto's data: %v", err)
	}
	defer resp.Body.Close()
	var data struct {
		SNS struct {
			SMS []struct {
				MessageID   string `json:"message_id"`
				PhoneNumber string `json:"phone_number"`
				Message     string `json:"message"`
			} `json:"SMS"`
		} `json:"sns"`
		SES struct {
			Message []struct {
				ID           string `json:"id"`
				Source       string `json:"source"`
				Body         string `json:"body"`
				Destinations struct {
					ToAddresses []string `json:"ToAddresses"`
				} `json:"destinations"`
			} `json:"Message"`
		} `json:"ses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&data); err != nil {
		t.Fatalf("decode moto's data: %v", err)
	}
	for _, m := range data.SNS.SMS {
		sms = append(sms, sent{ID: m.MessageID, To: m.PhoneNumber, Body: m.Message})
	}
	for _, m := range data.SES.Message {
		if m.Source != sesSender {
			t.Errorf("email %s sent from %q, want the SES_SENDER %q", m.ID, m.Source, sesSender)
		}
		email = append(email, sent{ID: m.ID, To: strings.Join(m.Destinations.ToAddresses, ","), Body: m.Body})
	}
	return sms, email
}

var codeInMessage = regexp.MustCompile(`\b(\d{6})\b`)

// newCode returns the binding code of the one message to `to` that is not in before.
func newCode(t *testing.T, now, before []sent, to string) string {
	t.Helper()
	var fresh []sent
	for _, m := range now {
		if m.To == to && !slices.ContainsFunc(before, func(b sent) bool { return b.ID == m.ID }) {
			fresh = append(fresh, m)
		}
	}
	if len(fresh) != 1 {
		t.Fatalf("want exactly one new message to %s, got %d: %+v", to, len(fresh), fresh)
	}
	m := codeInMessage.FindStringSubmatch(fresh[0].Body)
	if m == nil {
		t.Fatalf("no 6-digit code in the message to %s: %q", to, fresh[0].Body)
	}
	return m[1]
}

// backdateLastSend moves the challenge's last send an hour into the past, so a resend is out of its
// cooldown without the test waiting for it: the binaries read the real clock, so the test moves the
// stored time instead. The key and attribute are the table layout of shared/dynamo/items.go.
func (b *backend) backdateLastSend(t *testing.T, mfaToken string) {
	t.Helper()
	pk := "MFA#" + auth.TokenID(mfaToken)
	_, err := b.Raw.UpdateItem(b.Ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(tableName),
		Key:                 map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
		ConditionExpression: aws.String("attribute_exists(pk) AND attribute_exists(lastSentAt)"),
		UpdateExpression:    aws.String("SET lastSentAt = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)},
		},
	})
	if err != nil {
		t.Fatalf("backdate the challenge's last send (has the layout in shared/dynamo/items.go changed?): %v", err)
	}
}

// TestRIE runs the built bootstraps under the Lambda Runtime Interface Emulator against moto: every
// sample event, then whole MFA flows through the binaries alone.
func TestRIE(t *testing.T) {
	g := startGateway(t)

	t.Run("events", func(t *testing.T) { testEvents(t, g) })

	t.Run("sample events with a real MFA token", func(t *testing.T) {
		smsBefore, _ := g.backend.sent(t)
		login := g.invoke(t, readEvent(t, "login-mfa-header.json"))
		login.want(t, http.StatusForbidden, "")
		token := login.str(t, "token")
		smsNow, _ := g.backend.sent(t)
		code := newCode(t, smsNow, smsBefore, adaMobile)

		// verify.json's binding code 123456 is wrong unless chance made it the real one.
		verify := g.invoke(t, withToken(readEvent(t, "verify.json"), token))
		if code == "123456" {
			verify.want(t, http.StatusOK, "")
			t.Skip("the random code was verify.json's 123456; nothing more to check with this challenge")
		}
		verify.want(t, http.StatusUnauthorized, "invalid_code")
		if n, _ := verify.Body["attemptsRemaining"].(float64); n != 4 {
			t.Errorf("attemptsRemaining = %v, want 4 after one wrong code of 5 allowed; body %s", verify.Body["attemptsRemaining"], verify.Raw)
		}

		// Right after the login the resend is inside its cooldown.
		resend := g.invoke(t, withToken(readEvent(t, "resend.json"), token))
		resend.want(t, http.StatusTooManyRequests, "too_many_requests")
		if s, err := strconv.Atoi(resend.Headers["retry-after"]); err != nil || s < 1 {
			t.Errorf("Retry-After = %q, want whole seconds >= 1", resend.Headers["retry-after"])
		}

		g.backend.backdateLastSend(t, token)
		smsBefore = smsNow
		resend = g.invoke(t, withToken(readEvent(t, "resend.json"), token))
		resend.want(t, http.StatusOK, "")
		checkChallengeAnswer(t, resend)
		if got := resend.str(t, "token"); got != token {
			t.Errorf("resend answered another MFA token")
		}
		smsNow, _ = g.backend.sent(t)
		resent := newCode(t, smsNow, smsBefore, adaMobile)
		if resent != code {
			old := g.invoke(t, withBody(t, readEvent(t, "verify.json"), map[string]string{"token": token, "bindingCode": code}))
			old.want(t, http.StatusUnauthorized, "invalid_code")
		}
		ok := g.invoke(t, withBody(t, readEvent(t, "verify.json"), map[string]string{"token": token, "authenticatorCode": "SMS", "bindingCode": resent}))
		ok.want(t, http.StatusOK, "")
		checkAuthAnswer(t, ok)
	})

	// The whole MFA flow by SMS, through the binaries alone: login, the code from moto's SMS, verify.
	t.Run("mfa flow by SMS", func(t *testing.T) {
		smsBefore, _ := g.backend.sent(t)
		login := g.invoke(t, readEvent(t, "login-mfa-header.json"))
		login.want(t, http.StatusForbidden, "")
		checkChallengeAnswer(t, login)
		if got := login.str(t, "authenticatorCode"); got != "SMS" {
			t.Fatalf("authenticatorCode %q, want SMS for a user with a mobile number", got)
		}
		if got := login.str(t, "authenticator"); got != "AmazonSNS" {
			t.Errorf("authenticator %q, want AmazonSNS", got)
		}
		if dest := login.str(t, "destination"); strings.Contains(dest, adaMobile[3:]) {
			t.Errorf("destination %q shows the phone number unmasked", dest)
		}
		token := login.str(t, "token")
		smsNow, _ := g.backend.sent(t)
		code := newCode(t, smsNow, smsBefore, adaMobile)

		body := map[string]string{"token": token, "authenticatorCode": "SMS", "bindingCode": code}
		verify := g.invoke(t, withBody(t, readEvent(t, "verify.json"), body))
		verify.want(t, http.StatusOK, "")
		checkAuthAnswer(t, verify)
		if auth := verify.str(t, "token"); auth == token {
			t.Error("verify answered the MFA token instead of an auth token")
		}
		if got := verify.str(t, "name"); got != "Ada" {
			t.Errorf("name %q, want Ada", got)
		}

		// The challenge yields one auth token; after that the MFA token names no live challenge.
		again := g.invoke(t, withBody(t, readEvent(t, "verify.json"), body))
		again.want(t, http.StatusUnauthorized, "invalid_mfa_token")
		resend := g.invoke(t, withToken(readEvent(t, "resend.json"), token))
		resend.want(t, http.StatusUnauthorized, "invalid_mfa_token")
	})

	t.Run("mfa flow by email", func(t *testing.T) {
		_, emailBefore := g.backend.sent(t)
		login := g.invoke(t, readEvent(t, "login-email-channel.json"))
		login.want(t, http.StatusForbidden, "")
		checkChallengeAnswer(t, login)
		if got := login.str(t, "authenticator"); got != "AmazonSES" {
			t.Errorf("authenticator %q, want AmazonSES", got)
		}
		_, emailNow := g.backend.sent(t)
		code := newCode(t, emailNow, emailBefore, graceEmail)
		body := map[string]string{"token": login.str(t, "token"), "authenticatorCode": "Email", "bindingCode": code}
		verify := g.invoke(t, withBody(t, readEvent(t, "verify.json"), body))
		verify.want(t, http.StatusOK, "")
		checkAuthAnswer(t, verify)
		if got := verify.str(t, "authenticatorCode"); got != "Email" {
			t.Errorf("authenticatorCode %q, want Email", got)
		}
	})

	// A real auth token through the authorizer, the protected routes, logout and the authorizer again.
	t.Run("auth token through the authorizer, me and logout", func(t *testing.T) {
		login := g.invoke(t, readEvent(t, "login-mfa-off.json"))
		login.want(t, http.StatusOK, "")
		token := login.str(t, "token")

		v := g.authorize(t, withAuthToken(readEvent(t, "authorizer-good-token.json"), token))
		if !*v.IsAuthorized || !v.valid() {
			t.Fatalf("a live token of the application: isAuthorized %v, context.valid %v; want true, true; context %v", *v.IsAuthorized, v.valid(), v.Context)
		}
		for field, want := range map[string]any{"tokenId": auth.TokenID(token), "email": "ada@example.com", "name": "Ada", "appId": demoApp, "admin": true} {
			if got := v.Context[field]; got != want {
				t.Errorf("context.%s = %v, want %v", field, got, want)
			}
		}
		if exp, _ := v.Context["expiresAt"].(float64); int64(exp) <= time.Now().Unix() {
			t.Errorf("context.expiresAt = %v, want a time in the future", v.Context["expiresAt"])
		}
		wrongApp := g.authorize(t, withAuthToken(readEvent(t, "authorizer-wrong-application.json"), token))
		if !*wrongApp.IsAuthorized || wrongApp.valid() {
			t.Errorf("a token of another application: isAuthorized %v, context.valid %v; want true, false", *wrongApp.IsAuthorized, wrongApp.valid())
		}

		me := g.invoke(t, withAuthorizerContext(t, withAuthToken(readEvent(t, "me.json"), token), v.Context))
		me.want(t, http.StatusOK, "")
		if me.str(t, "email") != "ada@example.com" || me.str(t, "appId") != demoApp {
			t.Errorf("me answered %s, want ada in Demo", me.Raw)
		}

		logout := g.invoke(t, withAuthorizerContext(t, withAuthToken(readEvent(t, "logout.json"), token), v.Context))
		logout.want(t, http.StatusNoContent, "")
		after := g.authorize(t, withAuthToken(readEvent(t, "authorizer-good-token.json"), token))
		if !*after.IsAuthorized || after.valid() {
			t.Errorf("a logged-out token: isAuthorized %v, context.valid %v; want true, false", *after.IsAuthorized, after.valid())
		}
	})

	t.Run("application credentials through the authorizer", func(t *testing.T) { testClientCredentials(t, g) })

	t.Run("server secret rotation", func(t *testing.T) { testSecretRotation(t, g) })
	t.Run("a new mobile number confirmed by its code", func(t *testing.T) { testSelfService(t, g) })

	// Its own url, which no other test creates: the first create succeeds whichever tests ran before.
	t.Run("application url taken", func(t *testing.T) {
		create := withBody(t, readEvent(t, "applications-create.json"),
			map[string]any{"name": "URL taken", "url": "rie-url-taken.localhost", "enableMultiFactorAuthentication": false})
		g.invoke(t, create).want(t, http.StatusCreated, "")
		g.invoke(t, create).want(t, http.StatusConflict, "conflict")
	})

	// A well-formed token that names no challenge: the verify function must answer 401, not fail.
	t.Run("unknown MFA token", func(t *testing.T) {
		unknown := strings.Repeat("A", 43) // 256 bits, base64url: the shape of a real MFA token
		r := g.invoke(t, withToken(readEvent(t, "verify.json"), unknown))
		r.want(t, http.StatusUnauthorized, "invalid_mfa_token")
		r = g.invoke(t, withToken(readEvent(t, "resend.json"), unknown))
		r.want(t, http.StatusUnauthorized, "invalid_mfa_token")
	})
}

// testEvents sends every file of events/ to the gateway's functions, in name order against one table,
// and holds each answer to its row of events/README.md.
func testEvents(t *testing.T, g *gateway) {
	want := readmeExpectations(t)
	files, err := filepath.Glob(filepath.Join(repoRoot, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events/*.json: %v", err)
	}
	var names []string
	for _, f := range files {
		if name := filepath.Base(f); name != samEnvFile {
			names = append(names, name)
		}
	}
	for name := range want {
		if !slices.Contains(names, name) {
			t.Errorf("events/README.md lists %s, which does not exist", name)
		}
	}
	for _, name := range names {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			exp, ok := want[name]
			if !ok {
				t.Fatalf("events/README.md has no row for %s: add its expected answer", name)
			}
			event := readEvent(t, name)
			if isAuthorizerRequest(t, event) {
				if exp.Authorized == nil {
					t.Fatalf("%s is an authorizer request, but events/README.md expects %q", name, exp.Text)
				}
				v := g.authorize(t, event)
				if *v.IsAuthorized != *exp.Authorized || v.valid() != *exp.Valid {
					t.Fatalf("isAuthorized %v, context.valid %v; want %v, %v; context %v", *v.IsAuthorized, v.valid(), *exp.Authorized, *exp.Valid, v.Context)
				}
				return
			}
			if exp.Authorized != nil {
				t.Fatalf("%s is an API event, but events/README.md expects an authorizer answer: %q", name, exp.Text)
			}
			r := g.invoke(t, event)
			r.want(t, exp.Status, exp.Code)
			for field, value := range exp.Fields {
				if got, _ := r.Body[field].(string); got != value {
					t.Errorf("%s = %q, want %q; body %s", field, got, value, r.Raw)
				}
			}
			switch {
			case exp.Status == http.StatusOK && strings.Contains(exp.Text, "auth token"):
				checkAuthAnswer(t, r)
			case exp.Status == http.StatusForbidden && exp.Code == "": // an MFA challenge
				checkChallengeAnswer(t, r)
			}
		})
	}
}

// checkAuthAnswer asserts the shape of a 200 that carries an auth token.
func checkAuthAnswer(t *testing.T, r response) {
	t.Helper()
	if !auth.IsAuthToken(r.str(t, "token")) {
		t.Errorf("token is not an auth token (a UUID and 256 bits, base64url): %s", r.Raw)
	}
	if n, _ := r.Body["expiresIn"].(float64); n <= 0 {
		t.Errorf("expiresIn = %v, want seconds > 0", r.Body["expiresIn"])
	}
	if v, ok := r.Body["redirectUrl"]; !ok || v != nil {
		t.Errorf("redirectUrl = %v (present %v), want null", v, ok)
	}
}

// checkChallengeAnswer asserts the shape of an answer that carries an MFA token.
func checkChallengeAnswer(t *testing.T, r response) {
	t.Helper()
	if !auth.IsBearer(r.str(t, "token")) {
		t.Errorf("token is not a 256-bit base64url token: %s", r.Raw)
	}
	if c := r.str(t, "authenticatorCode"); c != "SMS" && c != "Email" {
		t.Errorf("authenticatorCode %q, want SMS or Email", c)
	}
	r.str(t, "authenticator")
	if d := r.str(t, "destination"); !strings.Contains(d, "*") {
		t.Errorf("destination %q is not masked", d)
	}
	if n, _ := r.Body["expiresIn"].(float64); n <= 0 {
		t.Errorf("expiresIn = %v, want seconds > 0", r.Body["expiresIn"])
	}
}

// TestBootstrapRefusesIncompleteConfig runs each built bootstrap without one variable it needs: it
// must stop at start, naming the variable, before it talks to Lambda or AWS.
func TestBootstrapRefusesIncompleteConfig(t *testing.T) {
	if testing.Short() && !testenv.InCI() {
		t.Skip("-short: skipping test that builds the bootstraps")
	}
	full := map[string]string{
		"TABLE_NAME":       tableName,
		"CODE_HMAC_SECRET": hmacSecret,
		"SES_SENDER":       sesSender,
	}
	type test struct {
		function string
		env      map[string]string
		names    string // what the message must name
	}
	var tests []test
	for _, fn := range functions {
		if fn.readsTable() {
			tests = append(tests, test{fn.LogicalID, without(full, "TABLE_NAME"), "TABLE_NAME"})
		}
	}
	tests = append(tests, []test{
		{"LoginFunction", without(full, "CODE_HMAC_SECRET"), "CODE_HMAC_SECRET"},
		{"VerifyFunction", with(full, "CODE_HMAC_SECRET", "too-short"), "CODE_HMAC_SECRET"},
		{"ApplicationsFunction", without(full, "CODE_HMAC_SECRET"), "CODE_HMAC_SECRET"},
		// Two sources of the server secret: refused before any call to Secrets Manager.
		{"AccountFunction", with(full, "CODE_HMAC_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf"), "CODE_HMAC_SECRET_ARN"},
		{"VerifyFunction", with(without(full, "CODE_HMAC_SECRET"), "CODE_HMAC_SECRET_ARN", hmacSecret), "CODE_HMAC_SECRET_ARN"},
		{"LoginFunction", without(full, "SES_SENDER"), "SES_SENDER"},
		{"AccountFunction", without(full, "SES_SENDER"), "SES_SENDER"},
		{"VerifyFunction", without(full, "SES_SENDER"), "SES_SENDER"},
		{"AccountFunction", with(full, "PASSWORD_RESET_URL", "ftp://x/{ticket}"), "PASSWORD_RESET_URL"},
		{"LoginFunction", with(full, "MFA_MAX_ATTEMPTS", "zero"), "MFA_MAX_ATTEMPTS"},
		{"WebFunction", with(full, "PASSWORD_MIN_LENGTH", "8"), "PASSWORD_MIN_LENGTH"},
	}...)
	for _, tt := range tests {
		t.Run(tt.function+"/"+tt.names, func(t *testing.T) {
			var env []string
			for k, v := range tt.env {
				env = append(env, k+"="+v)
			}
			refusedStart(t, build(t, tt.function), env, tt.names)
		})
	}
}

// refusedStart runs bootstrap with env and PATH alone, outside the RIE: it must exit with an error
// status and one JSON line, an ERROR "invalid configuration" naming names, without the secret.
func refusedStart(t *testing.T, bootstrap string, env []string, names string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bootstrap)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...) // nothing else from this environment
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() <= 0 {
		t.Fatalf("bootstrap did not exit with an error status (err %v):\n%s", err, out)
	}
	var line struct {
		Level, Msg, Error string
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &line); err != nil {
		t.Fatalf("want one JSON log line, got %v:\n%s", err, out)
	}
	if line.Level != "ERROR" || line.Msg != "invalid configuration" || !strings.Contains(line.Error, names) {
		t.Errorf("want an ERROR \"invalid configuration\" naming %s, got %s", names, out)
	}
	if strings.Contains(string(out), hmacSecret) {
		t.Errorf("the message shows the secret: %s", out)
	}
}

func without(m map[string]string, key string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

func with(m map[string]string, key, value string) map[string]string {
	out := without(m, key)
	out[key] = value
	return out
}
