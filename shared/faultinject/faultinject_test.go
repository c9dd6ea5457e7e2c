package faultinject_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"mfagateway/shared/faultinject"
	"mfagateway/shared/testenv"
)

// rig is the test stack with a fault-injecting transport under its SDK client, and SNS and SES clients
// for a fake of both over the same transport; each client makes `attempts` attempts, as production's do.
// Without options the table is on a fresh embedded engine.
type rig struct {
	*testenv.Stack
	ft   *faultinject.Transport
	rec  *recorder
	sns  *sns.Client
	ses  *ses.Client
	mail *mailFake
}

func newRig(t *testing.T, attempts int, attemptTimeout time.Duration, opts ...testenv.Option) *rig {
	t.Helper()
	r := &rig{mail: newMailFake(t)}
	faulty := func(base *http.Transport) *http.Client {
		r.rec = &recorder{base: base}
		r.ft = faultinject.New(r.rec)
		return &http.Client{Transport: r.ft, Timeout: attemptTimeout}
	}
	r.Stack = testenv.NewStack(t, append([]testenv.Option{testenv.WithTable(table), testenv.WithHTTPClient(faulty),
		testenv.WithClientOptions(func(o *dynamodb.Options) { o.RetryMaxAttempts = attempts })}, opts...)...)
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	r.sns = sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.mail.URL), Credentials: creds, HTTPClient: r.HTTPClient, RetryMaxAttempts: attempts})
	r.ses = ses.New(ses.Options{Region: "us-east-1", BaseEndpoint: aws.String(r.mail.URL), Credentials: creds, HTTPClient: r.HTTPClient, RetryMaxAttempts: attempts})
	return r
}

func (r *rig) put(ctx context.Context, pk string) error {
	_, err := r.Client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(r.Table),
		Item:      map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
	})
	return err
}

func (r *rig) exists(t *testing.T, pk string) bool {
	t.Helper()
	return r.Item(t, pk) != nil
}

// wantAPIError checks the SDK surfaced the service error the fault answered.
func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Errorf("error %v, want API error %s", err, code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != status {
		t.Errorf("error %v, want HTTP status %d", err, status)
	}
}

// TestDynamoDBFaults checks each fault as the DynamoDB client sees it: a single fault is retried away,
// a persistent one fails all three attempts with the service's error or a connection error, and only
// DropAfterSend lets the write happen.
func TestDynamoDBFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind    faultinject.Kind
		code    string
		status  int
		written bool // does the item exist after a persistent fault
	}{
		{faultinject.Throttle, "ProvisionedThroughputExceededException", 400, false},
		{faultinject.ServerError, "InternalServerError", 500, false},
		{faultinject.Timeout, "", 0, false},
		{faultinject.DropBeforeSend, "", 0, false},
		{faultinject.DropAfterSend, "", 0, true},
	}
	for _, c := range cases {
		t.Run(c.kind.String(), func(t *testing.T) {
			t.Parallel()
			r := newRig(t, 3, faultOptions(c.kind).attemptTimeout)
			ctx := t.Context()
			const op = "DynamoDB.PutItem"

			r.ft.Set(faultinject.Rule{Op: op, Times: 1, Kind: c.kind})
			if err := r.put(ctx, "ONCE#1"); err != nil {
				t.Errorf("one fault: %v, want the SDK's retry to succeed", err)
			}
			if got := r.ft.Calls(op); got != 2 {
				t.Errorf("one fault: %d requests, want 2", got)
			}

			r.ft.Set(faultinject.Rule{Op: op, Kind: c.kind})
			err := r.put(ctx, "ALWAYS#1")
			switch {
			case err == nil:
				t.Fatal("persistent fault: no error")
			case c.code != "":
				wantAPIError(t, err, c.code, c.status)
			case c.kind == faultinject.Timeout:
				var te interface{ Timeout() bool }
				if !errors.As(err, &te) || !te.Timeout() {
					t.Errorf("error %v, want a timeout", err)
				}
			default:
				if !errors.Is(err, syscall.ECONNRESET) {
					t.Errorf("error %v, want a connection reset", err)
				}
			}
			if got := r.ft.Calls(op); got != 2+3 {
				t.Errorf("persistent fault: %d requests, want 3 attempts", got-2)
			}
			if got := r.ft.Injected(op); got != 1+3 {
				t.Errorf("Injected = %d, want 4", got)
			}
			if got := r.exists(t, "ALWAYS#1"); got != c.written {
				t.Errorf("item written = %v, want %v", got, c.written)
			}
			if r.ft.Calls("DynamoDB.GetItem") != 0 {
				t.Errorf("requests of another operation were counted as GetItem")
			}
		})
	}
}

func TestThrottlingExceptionCode(t *testing.T) {
	t.Parallel()
	r := newRig(t, 3, attemptTimeout)
	r.ft.Set(faultinject.Rule{Op: "DynamoDB.PutItem", Kind: faultinject.Throttle, Code: "ThrottlingException"})
	err := r.put(t.Context(), "X#1")
	wantAPIError(t, err, "ThrottlingException", 400)
	if got := r.ft.Calls("DynamoDB.PutItem"); got != 3 {
		t.Errorf("%d attempts, want 3: the SDK retries ThrottlingException", got)
	}
}

// TestQueryFaults checks SNS Publish and SES SendEmail are told apart from the form body, that the body
// still reaches the service intact, and that the XML errors decode as the services' own.
func TestQueryFaults(t *testing.T) {
	t.Parallel()
	r := newRig(t, 3, attemptTimeout)
	ctx := t.Context()
	publish := func() error {
		_, err := r.sns.Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String(samPhone), Message: aws.String("code 123456")})
		return err
	}
	email := func() error {
		_, err := r.ses.SendEmail(ctx, &ses.SendEmailInput{
			Source:      aws.String(sender),
			Destination: &sestypes.Destination{ToAddresses: []string{eveEmail}},
			Message: &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("s")},
				Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("code 654321")}}},
		})
		return err
	}
	if err := publish(); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := email(); err != nil {
		t.Fatalf("SendEmail: %v", err)
	}
	if got := r.mail.codes(samPhone); len(got) != 1 || got[0] != "123456" {
		t.Errorf("SMS codes %q, want [123456]: the body must reach the service intact", got)
	}
	if r.ft.Calls("SNS.Publish") != 1 || r.ft.Calls("SES.SendEmail") != 1 {
		t.Errorf("calls SNS.Publish=%d SES.SendEmail=%d, want 1 and 1", r.ft.Calls("SNS.Publish"), r.ft.Calls("SES.SendEmail"))
	}

	r.ft.Set(faultinject.Rule{Op: "SNS.Publish", Kind: faultinject.Throttle})
	wantAPIError(t, publish(), "Throttling", 400)
	if err := email(); err != nil {
		t.Errorf("SendEmail failed by a rule for SNS: %v", err)
	}
	r.ft.Set(faultinject.Rule{Op: "SES.SendEmail", Kind: faultinject.ServerError})
	wantAPIError(t, email(), "InternalServerError", 500)

	before := len(r.mail.messages())
	r.ft.Set(faultinject.Rule{Op: "SNS.Publish", Kind: faultinject.DropBeforeSend})
	if err := publish(); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("DropBeforeSend: %v, want connection reset", err)
	}
	if got := len(r.mail.messages()) - before; got != 0 {
		t.Errorf("DropBeforeSend delivered %d messages", got)
	}
	r.ft.Set(faultinject.Rule{Op: "SNS.Publish", Kind: faultinject.DropAfterSend})
	if err := publish(); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("DropAfterSend: %v, want connection reset", err)
	}
	if got := len(r.mail.messages()) - before; got != 3 {
		t.Errorf("DropAfterSend delivered %d messages, want 3 (each attempt reached SNS)", got)
	}
}

// TestRuleSelection checks Nth and Times count requests of the rule's operation only, from when it was set.
func TestRuleSelection(t *testing.T) {
	r := newRig(t, 1, attemptTimeout) // one attempt: every call is one request
	ctx := t.Context()
	const op = "DynamoDB.PutItem"
	if err := r.put(ctx, "BEFORE#1"); err != nil {
		t.Fatal(err)
	}
	r.ft.Set(faultinject.Rule{Op: op, Nth: 2, Times: 2, Kind: faultinject.ServerError})
	var failed []bool
	for i := range 5 {
		failed = append(failed, r.put(ctx, "X#"+strings.Repeat("i", i+1)) != nil)
		if _, err := r.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.Table),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "X#i"}}}); err != nil {
			t.Errorf("GetItem failed by a PutItem rule: %v", err)
		}
	}
	want := []bool{false, true, true, false, false}
	for i := range want {
		if failed[i] != want[i] {
			t.Fatalf("failed = %v, want %v", failed, want)
		}
	}
	if r.ft.Calls(op) != 6 || r.ft.Injected(op) != 2 {
		t.Errorf("Calls = %d, Injected = %d, want 6 and 2", r.ft.Calls(op), r.ft.Injected(op))
	}
	r.ft.Clear()
	if err := r.put(ctx, "AFTER#1"); err != nil {
		t.Errorf("after Clear: %v", err)
	}
}

// TestTimeoutEndsWithContext checks a Timeout fault holds the request until its context ends, with no
// client timeout at all: RoundTrip has not returned while the context is live, and returns the context's
// error once the test cancels it.
func TestTimeoutEndsWithContext(t *testing.T) {
	ft := faultinject.New(nil)
	ft.Set(faultinject.Rule{Op: "DynamoDB.GetItem", Kind: faultinject.Timeout})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:1/", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	type result struct {
		resp *http.Response
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := ft.RoundTrip(req)
		done <- result{resp, err}
	}()
	// The fault has taken the request (it is counted as injected) and RoundTrip has not returned.
	for ft.Injected("DynamoDB.GetItem") == 0 {
		select {
		case r := <-done:
			t.Fatalf("RoundTrip returned before the fault took the request: %v, %v", r.resp, r.err)
		default:
			runtime.Gosched()
		}
	}
	select {
	case r := <-done:
		t.Fatalf("RoundTrip returned while its context was live: %v, %v", r.resp, r.err)
	default:
	}
	cancel()
	r := <-done
	if r.resp != nil || !errors.Is(r.err, context.Canceled) {
		t.Errorf("RoundTrip = %v, %v; want context.Canceled", r.resp, r.err)
	}
}

// TestTransactRetryReusesClientRequestToken checks that when a TransactWriteItems answer is lost the SDK
// retries with the ClientRequestToken of the first attempt (it fills the token once per call), and that
// the first attempt's write stands. DynamoDB answers such a retry with the first attempt's success; an
// engine that ignores the token runs the transaction again and cancels it on its condition. Which of the
// two an engine does is only logged; either way the answer must be one the store takes for its own
// retry (dynamo's ownRetry: success, or a cancellation whose first item failed its condition).
func TestTransactRetryReusesClientRequestToken(t *testing.T) {
	t.Parallel()
	engines := map[string]func(t *testing.T) []testenv.Option{
		"embedded": func(t *testing.T) []testenv.Option { return nil },
		"moto":     func(t *testing.T) []testenv.Option { return []testenv.Option{testenv.OnMoto(testenv.StartMoto(t))} },
	}
	for name, start := range engines {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t, 3, attemptTimeout, start(t)...)
			r.ft.Set(faultinject.Rule{Op: "DynamoDB.TransactWriteItems", Times: 1, Kind: faultinject.DropAfterSend})
			_, err := r.Client.TransactWriteItems(t.Context(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{
				Put: &types.Put{
					TableName:           aws.String(r.Table),
					Item:                map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ONCE#1"}},
					ConditionExpression: aws.String("attribute_not_exists(pk)"),
				},
			}}})
			var tokens []string
			for _, s := range r.rec.sent() {
				if s.Op == "DynamoDB.TransactWriteItems" {
					tokens = append(tokens, s.Token)
				}
			}
			if len(tokens) != 2 || tokens[0] == "" || tokens[0] != tokens[1] {
				t.Errorf("ClientRequestToken per attempt = %q, want the same token on both attempts", tokens)
			}
			if !r.exists(t, "ONCE#1") {
				t.Errorf("the first attempt's write is missing")
			}
			var tce *types.TransactionCanceledException
			switch {
			case err == nil:
				t.Logf("%s honours ClientRequestToken: the retry answered the first attempt's success", name)
			case errors.As(err, &tce):
				t.Logf("%s ignores ClientRequestToken: the retry ran the transaction again and was cancelled (%v)", name, err)
				if len(tce.CancellationReasons) == 0 || aws.ToString(tce.CancellationReasons[0].Code) != "ConditionalCheckFailed" {
					t.Errorf("cancelled retry: reasons %+v, want ConditionalCheckFailed on the first item", tce.CancellationReasons)
				}
			default:
				t.Errorf("retry after a lost answer: %v, want success or a cancellation", err)
			}
		})
	}
}
