// Package notify delivers one-time codes by SMS (Amazon SNS), email (Amazon SES) or a local outbox, and masks recipient addresses for logs and responses.
package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"mfagateway/shared/auth"
)

// Message is the domain's message; senders here deliver it unchanged.
type Message = auth.Message

// SNSPublisher is declared here rather than depending on *sns.Client so tests
// and callers can substitute the transport; *sns.Client satisfies it.
type SNSPublisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// SESSender is declared here for the same reason as SNSPublisher; *ses.Client
// satisfies it.
type SESSender interface {
	SendEmail(ctx context.Context, in *ses.SendEmailInput, optFns ...func(*ses.Options)) (*ses.SendEmailOutput, error)
}

// errNoRecipient stops a message before it costs a network round trip that the
// provider would reject anyway.
var errNoRecipient = errors.New("message has no recipient")

const charsetUTF8 = "UTF-8"

// SMS delivers messages as text messages through Amazon SNS.
type SMS struct {
	client   SNSPublisher
	senderID string
}

// NewSMS returns an SMS sender. senderID is optional because alphanumeric
// sender IDs are only honoured in some countries; empty leaves the choice to SNS.
func NewSMS(client SNSPublisher, senderID string) *SMS {
	return &SMS{client: client, senderID: senderID}
}

// Send publishes m.Body directly to the phone number m.To.
func (s *SMS) Send(ctx context.Context, m Message) error {
	if m.To == "" {
		return fmt.Errorf("sns publish: %w", errNoRecipient)
	}
	// Transactional routing favours delivery reliability over cost, which is
	// what a login code needs.
	attrs := map[string]snstypes.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {
			DataType:    aws.String("String"),
			StringValue: aws.String("Transactional"),
		},
	}
	if s.senderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = snstypes.MessageAttributeValue{
			DataType:    aws.String("String"),
			StringValue: aws.String(s.senderID),
		}
	}
	_, err := s.client.Publish(ctx, &sns.PublishInput{
		PhoneNumber:       aws.String(m.To),
		Message:           aws.String(m.Body),
		MessageAttributes: attrs,
	})
	if err != nil {
		return &SendError{Op: "sns publish", Err: err}
	}
	return nil
}

// Name identifies the provider in audit records.
func (s *SMS) Name() string { return "AmazonSNS" }

// Email delivers messages as plain-text email through Amazon SES.
type Email struct {
	client SESSender
	from   string
}

// NewEmail returns an Email sender; from must be an SES-verified identity or
// SES rejects every message.
func NewEmail(client SESSender, from string) *Email {
	return &Email{client: client, from: from}
}

// Send emails m to the single address m.To.
func (e *Email) Send(ctx context.Context, m Message) error {
	if m.To == "" {
		return fmt.Errorf("ses send email: %w", errNoRecipient)
	}
	// Charsets are explicit because SES otherwise assumes 7-bit ASCII and
	// mangles non-ASCII subjects and bodies.
	_, err := e.client.SendEmail(ctx, &ses.SendEmailInput{
		Source:      aws.String(e.from),
		Destination: &sestypes.Destination{ToAddresses: []string{m.To}},
		Message: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: aws.String(charsetUTF8)},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(m.Body), Charset: aws.String(charsetUTF8)},
			},
		},
	})
	if err != nil {
		return &SendError{Op: "ses send email", Err: err}
	}
	return nil
}

// Name identifies the provider in audit records.
func (e *Email) Name() string { return "AmazonSES" }

// SendError is a failed send. Its text names only the provider's error code, never the provider's
// message: SNS and SES put the recipient's number or address in theirs, and send errors are logged.
type SendError struct {
	Op  string
	Err error
}

func (e *SendError) Error() string {
	var apiErr smithy.APIError
	switch {
	case errors.As(e.Err, &apiErr):
		return e.Op + ": " + apiErr.ErrorCode()
	case errors.Is(e.Err, context.DeadlineExceeded), errors.Is(e.Err, context.Canceled):
		return e.Op + ": timed out"
	}
	return e.Op + ": transport error"
}

func (e *SendError) Unwrap() error { return e.Err }
