package notify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"mfagateway/shared/notify"
	"mfagateway/shared/testenv"
)

// motoRecorded is the part of GET /moto-api/data.json that shows what moto "delivered": SMS published
// to phone numbers, and emails accepted by SES v1.
type motoRecorded struct {
	SNS struct {
		SMS []struct {
			PhoneNumber string `json:"phone_number"`
			Message     string `json:"message"`
		} `json:"SMS"`
	} `json:"sns"`
	SES struct {
		Message []motoEmail `json:"Message"`
	} `json:"ses"`
}

type motoEmail struct {
	Source       string `json:"source"`
	Subject      string `json:"subject"`
	Body         string `json:"body"`
	Destinations struct {
		ToAddresses []string `json:"ToAddresses"`
	} `json:"destinations"`
}

func motoData(t *testing.T, motoURL string) motoRecorded {
	t.Helper()
	resp, err := http.Get(motoURL + "/moto-api/data.json")
	if err != nil {
		t.Fatalf("moto data.json: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("moto data.json: status %d", resp.StatusCode)
	}
	var d motoRecorded
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatalf("decode moto data.json: %v", err)
	}
	return d
}

// motoSMSTo returns the bodies of the SMS moto recorded for a phone number.
func motoSMSTo(t *testing.T, motoURL, phone string) []string {
	t.Helper()
	var out []string
	for _, m := range motoData(t, motoURL).SNS.SMS {
		if m.PhoneNumber == phone {
			out = append(out, m.Message)
		}
	}
	return out
}

// motoEmailsTo returns the emails moto recorded with to among their To addresses.
func motoEmailsTo(t *testing.T, motoURL, to string) []motoEmail {
	t.Helper()
	var out []motoEmail
	for _, m := range motoData(t, motoURL).SES.Message {
		for _, a := range m.Destinations.ToAddresses {
			if a == to {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

func motoSNSClient(endpoint string) *sns.Client {
	return sns.New(sns.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func motoSESClient(endpoint string) *ses.Client {
	return ses.New(ses.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// motoPhone is a phone number no other subtest uses, so moto's shared record can be filtered by it.
func motoPhone() string { return fmt.Sprintf("+3161%07d", rand.IntN(10_000_000)) }

// motoAddress is an email address no other subtest uses.
func motoAddress(user string) string { return fmt.Sprintf("%s-%08x@example.com", user, rand.Uint32()) }

func motoCode() string { return fmt.Sprintf("%06d", rand.IntN(1_000_000)) }

// TestMotoSenders sends through the real SNS and SES clients to one moto_server, and reads back what
// moto recorded.
func TestMotoSenders(t *testing.T) {
	moto := testenv.StartMoto(t)
	snsClient, sesClient := motoSNSClient(moto.URL), motoSESClient(moto.URL)

	// moto drops the SMS message attributes, so these subtests check delivery only, with and without a
	// sender ID configured; that the sender ID goes out as AWS.SNS.SMS.SenderID is asserted against a
	// loopback SNS in TestSMSSendPublishesThroughSNS (aws_test.go).
	t.Run("SMS", func(t *testing.T) {
		for _, tc := range []struct{ name, senderID string }{
			{"delivered without a sender ID", ""},
			{`delivered with sender ID "MFAGate" configured`, "MFAGate"},
		} {
			senderID := tc.senderID
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				phone, code := motoPhone(), motoCode()
				body := "Your login code is " + code + ". It expires in 5 minutes."
				if err := notify.NewSMS(snsClient, senderID).Send(t.Context(), notify.Message{To: phone, Body: body}); err != nil {
					t.Fatalf("Send: %v", err)
				}
				got := motoSMSTo(t, moto.URL, phone)
				if len(got) != 1 {
					t.Fatalf("moto recorded %d SMS to %s, want 1: %q", len(got), phone, got)
				}
				if got[0] != body || !strings.Contains(got[0], code) {
					t.Errorf("SMS body = %q, want %q with the code %s", got[0], body, code)
				}
			})
		}
	})

	t.Run("Email from a verified sender", func(t *testing.T) {
		for _, msg := range []notify.Message{
			{Subject: "Your login code", Body: "Your login code is %s. It expires in 5 minutes."},
			{Subject: "Uw code — ✓", Body: "Code: %s\nGroetjes, Zoë"},
		} {
			t.Run(msg.Subject, func(t *testing.T) {
				t.Parallel()
				from := motoAddress("noreply")
				if _, err := sesClient.VerifyEmailIdentity(t.Context(), &ses.VerifyEmailIdentityInput{EmailAddress: &from}); err != nil {
					t.Fatalf("VerifyEmailIdentity: %v", err)
				}
				code := motoCode()
				msg.To, msg.Body = motoAddress("ada"), fmt.Sprintf(msg.Body, code)
				if err := notify.NewEmail(sesClient, from).Send(t.Context(), msg); err != nil {
					t.Fatalf("Send: %v", err)
				}
				got := motoEmailsTo(t, moto.URL, msg.To)
				if len(got) != 1 {
					t.Fatalf("moto recorded %d emails to %s, want 1: %+v", len(got), msg.To, got)
				}
				m := got[0]
				if m.Source != from {
					t.Errorf("Source = %q, want %q", m.Source, from)
				}
				if !slices.Equal(m.Destinations.ToAddresses, []string{msg.To}) {
					t.Errorf("To = %q, want only %q", m.Destinations.ToAddresses, msg.To)
				}
				if m.Subject != msg.Subject {
					t.Errorf("Subject = %q, want %q", m.Subject, msg.Subject)
				}
				if m.Body != msg.Body || !strings.Contains(m.Body, code) {
					t.Errorf("Body = %q, want %q with the code %s", m.Body, msg.Body, code)
				}
			})
		}
	})

	t.Run("Email from an unverified sender", func(t *testing.T) {
		t.Parallel()
		to := motoAddress("ada")
		err := notify.NewEmail(sesClient, motoAddress("unverified")).Send(t.Context(),
			notify.Message{To: to, Subject: "Your login code", Body: "Your login code is 123456."})
		var rejected *sestypes.MessageRejected
		if !errors.As(err, &rejected) {
			t.Fatalf("Send: %v, want MessageRejected", err)
		}
		if got := motoEmailsTo(t, moto.URL, to); len(got) != 0 {
			t.Errorf("moto recorded %d rejected emails: %+v", len(got), got)
		}
	})
}
