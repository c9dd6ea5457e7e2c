// Package faulttest is for tests only: an endpoint that answers every request with one AWS fault,
// shaped as DynamoDB sends it, and the table of those faults with the class the gateway gives each.
package faulttest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/awsclient"
)

// Table is the table name the faults' messages give away; it must reach neither a client nor a log.
const Table = "faulttest-secret-table"

// Message is the error message of every answer. It names the table and holds an attribute value, as
// AWS's messages may.
const Message = "Requested resource " + Table + " not found; item ada.private@example.com"

// Fault is one way an AWS call fails.
type Fault struct {
	Name      string
	Status    int    // HTTP status of the answer
	Code      string // the AWS error code the SDK reads from the answer; "" when there is no answer
	Namespace string // the namespace of the JSON __type; DynamoDB's when empty
	Body      string // the whole body, instead of one with __type and Message (the SDK then reads "UnknownError")
	Members   string // more members of the error object, such as CancellationReasons
	NoAnswer  string // instead of an answer: "hang" until the client gives up, "drop" the connection, "refuse" it;
	// or an answer that breaks off: "cut" the body short, "stall" in the middle of the body until the client gives up
	Transact  bool // the fault reads as itself only on TransactWriteItems (it carries cancellation reasons)
	Transient bool // the class: 503 unavailable if true, 500 internal if not
}

const (
	coral    = "com.amazon.coral.service"
	unknown  = "UnknownError" // what the SDK calls an error answer without a code
	notJSON  = "<html><body>502 Bad Gateway</body></html>"
	noMember = "{}"
)

// DynamoDB are the faults, transient and permanent, as DynamoDB and the network produce them.
var DynamoDB = []Fault{
	{Name: "provisioned throughput exceeded", Status: 400, Code: "ProvisionedThroughputExceededException", Transient: true},
	{Name: "throttling", Status: 400, Code: "ThrottlingException", Transient: true},
	{Name: "request limit exceeded", Status: 400, Code: "RequestLimitExceeded", Transient: true},
	{Name: "transaction conflict", Status: 400, Code: "TransactionConflictException", Transient: true},
	{Name: "internal server error", Status: 500, Code: "InternalServerError", Transient: true},
	{Name: "service unavailable", Status: 503, Code: "ServiceUnavailable", Namespace: coral, Transient: true},
	{Name: "5xx without a code", Status: 500, Code: unknown, Body: noMember, Transient: true},
	{Name: "5xx from a proxy, not JSON", Status: 502, Body: notJSON, Transient: true},
	{Name: "429 without a code", Status: 429, Code: unknown, Body: noMember, Transient: true},
	{Name: "transaction cancelled by a conflict", Status: 400, Code: "TransactionCanceledException", Transact: true, Transient: true,
		Members: `"CancellationReasons":[{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]`},
	{Name: "timeout", NoAnswer: "hang", Transient: true},
	{Name: "connection dropped", NoAnswer: "drop", Transient: true},
	{Name: "connection refused", NoAnswer: "refuse", Transient: true},
	{Name: "200 with its body cut short", Status: 200, NoAnswer: "cut", Transient: true},
	{Name: "200 with its body stalled", Status: 200, NoAnswer: "stall", Transient: true},

	{Name: "missing table", Status: 400, Code: "ResourceNotFoundException"},
	{Name: "access denied", Status: 400, Code: "AccessDeniedException", Namespace: coral},
	{Name: "unrecognized client", Status: 400, Code: "UnrecognizedClientException", Namespace: coral},
	{Name: "validation", Status: 400, Code: "ValidationException", Namespace: "com.amazon.coral.validate"},
	{Name: "missing authentication token", Status: 403, Code: "MissingAuthenticationTokenException", Namespace: coral},
	{Name: "item collection too large", Status: 400, Code: "ItemCollectionSizeLimitExceededException"},
	{Name: "4xx without a code", Status: 400, Code: unknown, Body: noMember},
	{Name: "transaction cancelled as invalid", Status: 400, Code: "TransactionCanceledException", Transact: true,
		Members: `"CancellationReasons":[{"Code":"TransactionConflict"},{"Code":"ValidationError","Message":"Item size too large"}]`},
	{Name: "transaction cancelled by a condition", Status: 400, Code: "TransactionCanceledException", Transact: true,
		Members: `"CancellationReasons":[{"Code":"ConditionalCheckFailed"}]`},
}

// Server answers every request with f and counts the requests; for "refuse" it is already closed.
type Server struct {
	URL      string
	Requests atomic.Int32
}

// Serve starts the endpoint of f, closed when the test ends.
func Serve(t testing.TB, f Fault) *Server {
	t.Helper()
	s := &Server{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Requests.Add(1)
		// Read the request first: the server notices a client hanging up (and ends r's context) only then.
		_, _ = io.Copy(io.Discard, r.Body)
		switch f.NoAnswer {
		case "hang":
			<-r.Context().Done()
			return
		case "drop":
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", "faulttest")
		switch f.NoAnswer {
		case "cut", "stall":
			// A success whose body never arrives whole: the status says 200, the body breaks off.
			partial := `{"Item":{"pk":{"S":"`
			w.Header().Set("Content-Length", "4096")
			w.WriteHeader(f.Status)
			_, _ = w.Write([]byte(partial))
			_ = http.NewResponseController(w).Flush()
			if f.NoAnswer == "stall" {
				<-r.Context().Done()
				return
			}
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
			}
			return
		}
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.body()))
	}))
	s.URL = srv.URL
	if f.NoAnswer == "refuse" {
		srv.Close()
	} else {
		t.Cleanup(srv.Close)
	}
	return s
}

func (f Fault) body() string {
	if f.Body != "" {
		return f.Body
	}
	ns := f.Namespace
	if ns == "" {
		ns = "com.amazonaws.dynamodb.v20120810"
	}
	b := `{"__type":"` + ns + "#" + f.Code + `","message":"` + Message + `"`
	if f.Members != "" {
		b += "," + f.Members
	}
	return b + "}"
}

// AttemptTimeout bounds each attempt of Client's calls, so that a hanging endpoint fails fast.
const AttemptTimeout = 100 * time.Millisecond

// Client is a DynamoDB client of url with the production retryer (its attempts, its retryable
// codes), backing off for at most a millisecond so that the tests stay fast.
func Client(t testing.TB, url string) *dynamodb.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  &http.Client{Transport: tr, Timeout: AttemptTimeout},
		Retryer:     retry.AddWithMaxBackoffDelay(awsclient.Retryer(), time.Millisecond),
	})
}
