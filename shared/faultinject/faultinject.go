// Package faultinject is an http.RoundTripper for tests that fails chosen DynamoDB, SNS and SES calls
// the way AWS and the network do: throttling, server errors, silence, and connections reset before or
// after the service has acted on the request.
package faultinject

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
)

// Kind is what goes wrong with a request.
type Kind int

// The faults. Throttle and ServerError answer like the service; the others fail the connection.
const (
	// Throttle answers 400 with the service's throttling error (DynamoDB
	// ProvisionedThroughputExceededException, SNS/SES Throttling); the SDK retries it with backoff.
	Throttle Kind = iota + 1
	// ServerError answers 500 InternalServerError; the SDK retries it.
	ServerError
	// Timeout sends nothing and answers nothing until the request's context ends, so the request must
	// have a deadline: an http.Client Timeout or a context deadline.
	Timeout
	// DropBeforeSend resets the connection before the request reaches the service.
	DropBeforeSend
	// DropAfterSend lets the service handle the request, then resets the connection instead of
	// returning its answer: the write happened, the caller cannot know it.
	DropAfterSend
)

// Kinds lists every fault, in declaration order.
var Kinds = []Kind{Throttle, ServerError, Timeout, DropBeforeSend, DropAfterSend}

func (k Kind) String() string {
	switch k {
	case Throttle:
		return "throttle"
	case ServerError:
		return "server-error"
	case Timeout:
		return "timeout"
	case DropBeforeSend:
		return "drop-before-send"
	case DropAfterSend:
		return "drop-after-send"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Rule fails some requests of one operation.
type Rule struct {
	// Op is "<service>.<action>": "DynamoDB.UpdateItem", "SNS.Publish", "SES.SendEmail".
	Op string
	// Nth is the first request of Op to fail, counted from 1 since the rule was set; 0 means 1.
	// SDK retries are requests too.
	Nth int
	// Times is how many requests of Op fail from the Nth on; 0 means every one.
	Times int
	Kind  Kind
	// Code replaces the error code of Throttle and ServerError (e.g. "ThrottlingException").
	Code string
}

type rule struct {
	Rule
	seen int
}

// Transport passes requests to Base unless a rule fails them, and counts requests per operation.
// Its methods are safe for concurrent use.
type Transport struct {
	base http.RoundTripper

	mu       sync.Mutex
	rules    []*rule
	calls    map[string]int
	injected map[string]int
}

// New returns a Transport over base (http.DefaultTransport when nil) with no rules.
func New(base http.RoundTripper) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{base: base, calls: map[string]int{}, injected: map[string]int{}}
}

// Set replaces the rules. Each rule counts the requests of its Op from now on.
func (t *Transport) Set(rules ...Rule) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rules = t.rules[:0]
	for _, r := range rules {
		if r.Nth < 1 {
			r.Nth = 1
		}
		t.rules = append(t.rules, &rule{Rule: r})
	}
}

// Clear removes every rule: the faults clear.
func (t *Transport) Clear() { t.Set() }

// Calls is the number of requests of op seen so far, faulted or not.
func (t *Transport) Calls(op string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[op]
}

// Injected is the number of requests of op that a rule failed.
func (t *Transport) Injected(op string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.injected[op]
}

// choose counts the request and returns the fault to apply, if any.
func (t *Transport) choose(op string) (Rule, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls[op]++
	var hit *rule
	for _, r := range t.rules {
		if r.Op != op {
			continue
		}
		r.seen++
		if hit == nil && r.seen >= r.Nth && (r.Times == 0 || r.seen < r.Nth+r.Times) {
			hit = r
		}
	}
	if hit == nil {
		return Rule{}, false
	}
	t.injected[op]++
	return hit.Rule, true
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req, op, err := identify(req)
	if err != nil {
		return nil, err
	}
	r, ok := t.choose(op)
	if !ok {
		return t.base.RoundTrip(req)
	}
	switch r.Kind {
	case Throttle, ServerError:
		closeBody(req)
		return errorResponse(req, op, r), nil
	case Timeout:
		closeBody(req)
		<-req.Context().Done()
		return nil, req.Context().Err()
	case DropBeforeSend:
		closeBody(req)
		return nil, connReset("write")
	case DropAfterSend:
		resp, err := t.base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return nil, connReset("read")
	}
	closeBody(req)
	return nil, fmt.Errorf("faultinject: unknown fault %v", r.Kind)
}

// connReset is the error a peer's TCP reset gives, which the SDK treats as a retryable connection error.
func connReset(op string) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, syscall.ECONNRESET)}
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// identify names the request's operation. DynamoDB (JSON protocol) names it in X-Amz-Target; SNS and
// SES (Query protocol) in the form field Action, so their body is read and put back on a copy of req.
func identify(req *http.Request) (*http.Request, string, error) {
	if target := req.Header.Get("X-Amz-Target"); target != "" {
		prefix, action, _ := strings.Cut(target, ".")
		service := prefix
		if strings.HasPrefix(prefix, "DynamoDB_") {
			service = "DynamoDB"
		}
		return req, service + "." + action, nil
	}
	if req.Body == nil || req.Body == http.NoBody {
		return req, "Unknown." + req.Method, nil
	}
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, "", fmt.Errorf("faultinject: read request body: %w", err)
	}
	out := req.Clone(req.Context())
	out.Body = io.NopCloser(bytes.NewReader(b))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	out.ContentLength = int64(len(b))
	form, _ := url.ParseQuery(string(b))
	action := form.Get("Action")
	if action == "" {
		return out, "Unknown." + req.Method, nil
	}
	return out, queryService(req, action) + "." + action, nil
}

// queryService tells SNS from SES by the signing scope of the request, or failing that by the action.
func queryService(req *http.Request, action string) string {
	auth := req.Header.Get("Authorization")
	if _, cred, ok := strings.Cut(auth, "Credential="); ok {
		// Credential=AKID/20260102/us-east-1/sns/aws4_request, ...
		parts := strings.Split(strings.SplitN(cred, ",", 2)[0], "/")
		if len(parts) >= 4 {
			switch parts[3] {
			case "sns":
				return "SNS"
			case "ses", "email":
				return "SES"
			}
		}
	}
	switch action {
	case "Publish":
		return "SNS"
	case "SendEmail", "SendRawEmail":
		return "SES"
	}
	return "Unknown"
}

// errorResponse is the service's own answer for a throttled or failed request.
func errorResponse(req *http.Request, op string, r Rule) *http.Response {
	service, _, _ := strings.Cut(op, ".")
	status, code, msg := http.StatusBadRequest, r.Code, "Rate exceeded"
	if r.Kind == ServerError {
		status, msg = http.StatusInternalServerError, "Internal server error"
		if code == "" {
			code = "InternalServerError"
		}
	}
	h := http.Header{"X-Amzn-Requestid": {"faultinject"}}
	var body string
	if service == "DynamoDB" {
		if code == "" {
			code = "ProvisionedThroughputExceededException"
		}
		h.Set("Content-Type", "application/x-amz-json-1.0")
		body = fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, code, msg)
	} else {
		if code == "" {
			code = "Throttling"
		}
		kind := "Sender"
		if status >= 500 {
			kind = "Receiver"
		}
		h.Set("Content-Type", "text/xml")
		body = fmt.Sprintf(`<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>faultinject</RequestId></ErrorResponse>`,
			kind, code, msg)
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", status, http.StatusText(status)), StatusCode: status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
		Request: req,
	}
}
