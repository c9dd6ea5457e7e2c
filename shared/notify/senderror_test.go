package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"mfagateway/shared/notify"
)

type failingSNS struct{ err error }

func (f failingSNS) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return nil, f.err
}

type failingSES struct{ err error }

func (f failingSES) SendEmail(context.Context, *ses.SendEmailInput, ...func(*ses.Options)) (*ses.SendEmailOutput, error) {
	return nil, f.err
}

// Providers put the recipient in their error messages; send errors are logged, so their text keeps
// only the error code, while errors.As still reaches the provider's error.
func TestSendErrorsHideTheRecipient(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		send       func() error
		recipient  string
	}{
		{"sns", "sns publish: InvalidParameter", func() error {
			return notify.NewSMS(failingSNS{&smithy.GenericAPIError{Code: "InvalidParameter",
				Message: "Invalid parameter: PhoneNumber Reason: +31612345678 is not valid to publish to"}}, "").
				Send(context.Background(), notify.Message{To: "+31612345678", Body: "b"})
		}, "+31612345678"},
		{"ses", "ses send email: MessageRejected", func() error {
			return notify.NewEmail(failingSES{&smithy.GenericAPIError{Code: "MessageRejected",
				Message: "Email address is not verified. The following identities failed the check: grace@example.com"}}, "from@example.com").
				Send(context.Background(), notify.Message{To: "grace@example.com", Subject: "s", Body: "b"})
		}, "grace@example.com"},
		{"timeout", "sns publish: timed out", func() error {
			return notify.NewSMS(failingSNS{context.DeadlineExceeded}, "").
				Send(context.Background(), notify.Message{To: "+31612345678", Body: "b"})
		}, "+31612345678"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.send()
			if err == nil || err.Error() != tc.want || strings.Contains(err.Error(), tc.recipient) {
				t.Fatalf("error %q, want %q without the recipient", err, tc.want)
			}
			var apiErr smithy.APIError
			if tc.name != "timeout" && !errors.As(err, &apiErr) {
				t.Errorf("errors.As(smithy.APIError) fails on %v", err)
			}
		})
	}
}
