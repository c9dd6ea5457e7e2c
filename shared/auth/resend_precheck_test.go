package auth_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

// TestResendRefusalCostsOneRequest: a resend that the challenge rule or the resend limits refuse is
// answered from its one read, before any write. The store would refuse some of these as well, so the
// right answer alone does not show the pre-check runs: its cost does. The live case shows the count
// sees the write when there is one.
func TestResendRefusalCostsOneRequest(t *testing.T) {
	tests := []struct {
		name    string
		policy  func(*auth.Policy)
		prepare func(t *testing.T, f *fixture, mfa, code string)
		want    func(t *testing.T, err error)
		ops     []string
	}{
		{
			name: "used",
			prepare: func(t *testing.T, f *fixture, mfa, code string) {
				if _, err := f.svc.Verify(f.Ctx, mfa, "", code); err != nil {
					t.Fatalf("Verify: %v", err)
				}
				f.Clock.Advance(time.Minute)
			},
			want: func(t *testing.T, err error) { wantIs(t, err, auth.ErrInvalidMFAToken) },
			ops:  []string{"GetItem"},
		},
		{
			name:    "MFA token expired",
			prepare: func(t *testing.T, f *fixture, _, _ string) { f.Clock.Advance(auth.DefaultPolicy.MFATokenTTL) },
			want:    func(t *testing.T, err error) { wantIs(t, err, auth.ErrInvalidMFAToken) },
			ops:     []string{"GetItem"},
		},
		{
			name: "attempts used up",
			prepare: func(t *testing.T, f *fixture, mfa, code string) {
				for range auth.DefaultPolicy.MaxAttempts {
					if _, err := f.svc.Verify(f.Ctx, mfa, "", otherCode(code)); !errors.As(err, new(*auth.CodeError)) {
						t.Fatalf("wrong code: %v, want a CodeError", err)
					}
				}
				f.Clock.Advance(time.Minute)
			},
			want: func(t *testing.T, err error) { wantIs(t, err, auth.ErrTooManyAttempts) },
			ops:  []string{"GetItem"},
		},
		{
			name:    "send cap",
			policy:  func(p *auth.Policy) { p.MaxSends = 1 },
			prepare: func(t *testing.T, f *fixture, _, _ string) { f.Clock.Advance(time.Minute) },
			want:    func(t *testing.T, err error) { wantRateLimit(t, err, 0) },
			ops:     []string{"GetItem"},
		},
		{
			name:    "cooling down",
			prepare: func(t *testing.T, f *fixture, _, _ string) { f.Clock.Advance(10 * time.Second) },
			want:    func(t *testing.T, err error) { wantRateLimit(t, err, 20*time.Second) },
			ops:     []string{"GetItem"},
		},
		{
			name:    "live",
			prepare: func(t *testing.T, f *fixture, _, _ string) { f.Clock.Advance(time.Minute) },
			want: func(t *testing.T, err error) {
				if err != nil {
					t.Fatalf("Resend: %v", err)
				}
			},
			ops: []string{"GetItem", "TransactWriteItems"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []testenv.Option
			if tt.policy != nil {
				opts = append(opts, testenv.WithPolicy(tt.policy))
			}
			f, d := fixtureDeps(t, opts...)
			counter := roundtrip.New()
			d.Store = dynamo.New(dynamodb.New(f.Client.Options(), counter.Attach), f.Table)
			counted := auth.NewService(d)
			mfa, code := f.challenge(t, adaEmail, adaPassword)
			tt.prepare(t, f, mfa, code)
			var err error
			calls := counter.Measure(func() { _, err = counted.Resend(f.Ctx, mfa) })
			tt.want(t, err)
			if !slices.Equal(calls.Operations, tt.ops) {
				t.Errorf("resend made %s, want exactly %v", calls, tt.ops)
			}
		})
	}
}
