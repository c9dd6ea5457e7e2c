package notify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"mfagateway/shared/notify"
)

const (
	publishResponse = `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>
  <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
</PublishResponse>`
	snsErrorResponse = `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>9b1f1d5a-0000-4000-8000-000000000000</RequestId>
</ErrorResponse>`
	sendEmailResponse = `<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
  <SendEmailResult><MessageId>000001271b15238a-fd3ae762-2563-11df-8cd4-6d4e828a9ae8-000000</MessageId></SendEmailResult>
  <ResponseMetadata><RequestId>fd3ae762-2563-11df-8cd4-6d4e828a9ae8</RequestId></ResponseMetadata>
</SendEmailResponse>`
	sesRejectedResponse = `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">
  <Error><Type>Sender</Type><Code>MessageRejected</Code><Message>Email address is not verified. The following identities failed the check in region US-EAST-1: noreply@example.com</Message></Error>
  <RequestId>1c0a9a6e-0000-4000-8000-000000000000</RequestId>
</ErrorResponse>`
)

// queryServer answers every request with status and body, and hands each
// decoded Query-protocol form to the test through a channel so the race
// detector sees the hand-over.
func queryServer(t *testing.T, status int, body string) (*httptest.Server, <-chan url.Values, *atomic.Int32) {
	t.Helper()
	forms := make(chan url.Values, 8)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.Method != http.MethodPost {
			http.Error(w, "want POST", http.StatusMethodNotAllowed)
			return
		}
		forms <- r.PostForm
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, forms, &hits
}

func newSNSClient(endpoint string) *sns.Client {
	return sns.New(sns.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

func newSESClient(endpoint string) *ses.Client {
	return ses.New(ses.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(endpoint),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

type attr struct{ dataType, value string }

// snsAttributes folds the flattened MessageAttributes.entry.N.* keys back into
// a map so assertions do not depend on the SDK's entry order.
func snsAttributes(t *testing.T, form url.Values) map[string]attr {
	t.Helper()
	out := map[string]attr{}
	for n := 1; ; n++ {
		prefix := fmt.Sprintf("MessageAttributes.entry.%d.", n)
		name := form.Get(prefix + "Name")
		if name == "" {
			return out
		}
		if _, dup := out[name]; dup {
			t.Fatalf("attribute %q sent twice", name)
		}
		out[name] = attr{form.Get(prefix + "Value.DataType"), form.Get(prefix + "Value.StringValue")}
	}
}

func TestSMSSendPublishesThroughSNS(t *testing.T) {
	tests := []struct {
		name     string
		senderID string
		msg      notify.Message
	}{
		{"with sender ID", "MFAGate", notify.Message{To: "+31612345678", Body: "Your code is 123456"}},
		{"without sender ID", "", notify.Message{To: "+14155552671", Body: "Code: 654321\nValid 10 min — ünïcode"}},
		{"subject ignored", "", notify.Message{To: "+31612345678", Subject: "ignored", Body: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, forms, _ := queryServer(t, http.StatusOK, publishResponse)
			sms := notify.NewSMS(newSNSClient(srv.URL), tt.senderID)

			if err := sms.Send(context.Background(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			form := <-forms

			checks := map[string]string{"Action": "Publish", "PhoneNumber": tt.msg.To, "Message": tt.msg.Body}
			for k, want := range checks {
				if got := form.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"Subject", "TopicArn", "TargetArn"} {
				if form.Has(k) {
					t.Errorf("unexpected %s = %q", k, form.Get(k))
				}
			}
			attrs := snsAttributes(t, form)
			if got, want := attrs["AWS.SNS.SMS.SMSType"], (attr{"String", "Transactional"}); got != want {
				t.Errorf("SMSType = %+v, want %+v", got, want)
			}
			sender, ok := attrs["AWS.SNS.SMS.SenderID"]
			switch {
			case tt.senderID == "" && ok:
				t.Errorf("SenderID sent although empty: %+v", sender)
			case tt.senderID != "" && sender != (attr{"String", tt.senderID}):
				t.Errorf("SenderID = %+v (present %v), want %q", sender, ok, tt.senderID)
			}
			wantAttrs := 1
			if tt.senderID != "" {
				wantAttrs = 2
			}
			if len(attrs) != wantAttrs {
				t.Errorf("got %d attributes %v, want %d", len(attrs), attrs, wantAttrs)
			}
		})
	}
}

func TestSMSSendErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		msg    notify.Message
		calls  int32
	}{
		{"server error", http.StatusInternalServerError,
			fmt.Sprintf(snsErrorResponse, "Receiver", "InternalError", "boom"),
			notify.Message{To: "+31612345678", Body: "b"}, 1},
		{"invalid parameter", http.StatusBadRequest,
			fmt.Sprintf(snsErrorResponse, "Sender", "InvalidParameter", "Invalid parameter: PhoneNumber"),
			notify.Message{To: "+31612345678", Body: "b"}, 1},
		{"garbage body", http.StatusBadGateway, "<html>not xml", notify.Message{To: "+31612345678", Body: "b"}, 1},
		{"empty recipient", http.StatusOK, publishResponse, notify.Message{Body: "b"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, hits := queryServer(t, tt.status, tt.body)
			err := notify.NewSMS(newSNSClient(srv.URL), "").Send(context.Background(), tt.msg)
			if err == nil {
				t.Fatal("Send succeeded, want error")
			}
			if !strings.HasPrefix(err.Error(), "sns publish: ") {
				t.Errorf("error %q not wrapped with sns publish", err)
			}
			if got := hits.Load(); got != tt.calls {
				t.Errorf("server hit %d times, want %d", got, tt.calls)
			}
		})
	}
}

func TestEmailSendThroughSES(t *testing.T) {
	tests := []struct {
		name string
		from string
		msg  notify.Message
	}{
		{"ascii", "noreply@example.com", notify.Message{To: "sam@example.com", Subject: "Your code", Body: "Code: 123456"}},
		{"unicode", "MFA <noreply@example.com>", notify.Message{To: "zoë@exämple.org", Subject: "Uw code — ✓", Body: "Code: 654321\nGroetjes, Zoë"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, forms, _ := queryServer(t, http.StatusOK, sendEmailResponse)
			email := notify.NewEmail(newSESClient(srv.URL), tt.from)

			if err := email.Send(context.Background(), tt.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			form := <-forms

			checks := map[string]string{
				"Action":                           "SendEmail",
				"Source":                           tt.from,
				"Destination.ToAddresses.member.1": tt.msg.To,
				"Message.Subject.Data":             tt.msg.Subject,
				"Message.Subject.Charset":          "UTF-8",
				"Message.Body.Text.Data":           tt.msg.Body,
				"Message.Body.Text.Charset":        "UTF-8",
			}
			for k, want := range checks {
				if got := form.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"Destination.ToAddresses.member.2", "Message.Body.Html.Data", "Destination.CcAddresses.member.1"} {
				if form.Has(k) {
					t.Errorf("unexpected %s = %q", k, form.Get(k))
				}
			}
		})
	}
}

func TestEmailSendErrors(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		body         string
		msg          notify.Message
		calls        int32
		wantRejected bool
	}{
		{"unverified sender", http.StatusBadRequest, sesRejectedResponse,
			notify.Message{To: "sam@example.com", Subject: "s", Body: "b"}, 1, true},
		{"server error", http.StatusInternalServerError,
			`<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom</Message></Error><RequestId>x</RequestId></ErrorResponse>`,
			notify.Message{To: "sam@example.com", Subject: "s", Body: "b"}, 1, false},
		{"empty recipient", http.StatusOK, sendEmailResponse, notify.Message{Subject: "s", Body: "b"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, hits := queryServer(t, tt.status, tt.body)
			err := notify.NewEmail(newSESClient(srv.URL), "noreply@example.com").Send(context.Background(), tt.msg)
			if err == nil {
				t.Fatal("Send succeeded, want error")
			}
			if !strings.HasPrefix(err.Error(), "ses send email: ") {
				t.Errorf("error %q not wrapped with ses send email", err)
			}
			var rejected *sestypes.MessageRejected
			if got := errors.As(err, &rejected); got != tt.wantRejected {
				t.Errorf("errors.As(MessageRejected) = %v, want %v (err %v)", got, tt.wantRejected, err)
			}
			if got := hits.Load(); got != tt.calls {
				t.Errorf("server hit %d times, want %d", got, tt.calls)
			}
		})
	}
}

func TestNames(t *testing.T) {
	o := notify.NewOutbox(nil, nil)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"sms", notify.NewSMS(nil, "").Name(), "AmazonSNS"},
		{"email", notify.NewEmail(nil, "").Name(), "AmazonSES"},
		{"outbox sms", o.SMS().Name(), "LocalOutbox"},
		{"outbox email", o.Email().Name(), "LocalOutbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("Name() = %q, want %q", tt.got, tt.want)
			}
		})
	}
}

// Compile-time proof that the real clients fit the consumer-owned interfaces.
var (
	_ notify.SNSPublisher = (*sns.Client)(nil)
	_ notify.SESSender    = (*ses.Client)(nil)
)
