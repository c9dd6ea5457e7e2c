package auth_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/fault/faulttest"
)

// faultyLoginStore lets a login reach a challenge, and sends the writes the login only logs when they
// fail (forgetting attempts, deleting an undeliverable challenge) to a DynamoDB that answers with a fault
// whose message names the table and holds an address. The embedded Store is nil: any other call panics.
type faultyLoginStore struct {
	auth.Store
	createErr     error
	faulty        *dynamo.Store
	forgot, erase int
}

func (s *faultyLoginStore) LoadLogin(context.Context, string, auth.AppRef) (auth.LoginRecord, error) {
	u := auth.User{ID: "u-1", Email: "ada@example.com", Name: "Ada", PasswordHash: "right", Applications: []string{"app-1"}}
	a := auth.Application{ID: "app-1", MFA: true}
	return auth.LoginRecord{User: &u, App: &a}, nil
}

func (s *faultyLoginStore) AdmitAttempt(context.Context, auth.PasswordAttempt, time.Time, auth.AttemptRule, auth.AttemptRule) (auth.Admission, error) {
	return auth.Admission{Admitted: true}, nil
}

func (s *faultyLoginStore) CreateChallenge(context.Context, auth.Challenge, auth.SendSlot, auth.Network) error {
	return s.createErr
}

func (s *faultyLoginStore) SettleAttempt(ctx context.Context, a auth.PasswordAttempt, now time.Time) error {
	s.forgot++
	return s.faulty.SettleAttempt(ctx, a, now)
}

func (s *faultyLoginStore) DeleteChallenge(ctx context.Context, id string) error {
	s.erase++
	return s.faulty.DeleteChallenge(ctx, id)
}

// plainHasher takes the stored hash for the password itself.
type plainHasher struct{}

func (plainHasher) Verify(password, phc string) (bool, error) { return password == phc, nil }
func (plainHasher) VerifyDummy(string)                        {}

// refusingSender fails every send as a provider would, its message holding the recipient.
type refusingSender struct{}

func (refusingSender) Send(context.Context, auth.Message) error {
	return &smithy.GenericAPIError{Code: "InvalidParameter", Message: faulttest.Message}
}
func (refusingSender) Name() string { return "AmazonSES" }

// TestAWSMessagesStayOutOfLogs runs the logins whose store or sender failures are logged and not
// answered: the log line is there with the AWS error code, and AWS's message (the table's name, an
// address) is not.
func TestAWSMessagesStayOutOfLogs(t *testing.T) {
	srv := faulttest.Serve(t, faulttest.Fault{Name: "missing table", Status: 400, Code: "ResourceNotFoundException"})
	tests := []struct {
		name      string
		createErr error
		lines     []string // log messages the login must write
	}{
		{"attempts not forgotten after the send cap", auth.ErrSendLimit, []string{"attempts not forgotten"}},
		{"undeliverable challenge not deleted", nil, []string{"send failed", "undeliverable challenge not deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &faultyLoginStore{createErr: tt.createErr,
				faulty: dynamo.New(faulttest.Client(t, srv.URL), faulttest.Table)}
			var logs bytes.Buffer
			svc := auth.NewService(auth.Deps{
				Store: st, Hasher: plainHasher{}, SMS: refusingSender{}, Email: refusingSender{},
				Clock:  func() time.Time { return time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC) },
				Secret: bytes.Repeat([]byte{7}, 32), Policy: auth.DefaultPolicy,
				Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			if _, err := svc.Login(context.Background(), auth.LoginInput{Email: "ada@example.com", Password: "right",
				App: auth.AppRef{ID: "app-1"}}); err == nil {
				t.Fatal("login succeeded; want it refused or undelivered")
			}
			if st.forgot+st.erase == 0 {
				t.Fatal("the login wrote nothing to the failing table")
			}
			out := logs.String()
			for _, line := range tt.lines {
				if !strings.Contains(out, `"msg":"`+line+`"`) {
					t.Errorf("no %q line in the log:\n%s", line, out)
				}
			}
			for _, leak := range []string{faulttest.Table, "ada.private@example.com"} {
				if strings.Contains(out, leak) {
					t.Errorf("the log holds AWS's message (%q):\n%s", leak, out)
				}
			}
			if !strings.Contains(out, "ResourceNotFoundException") {
				t.Errorf("the log lacks the AWS error code ResourceNotFoundException:\n%s", out)
			}
		})
	}
}
