package auth_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

const (
	capApp     = "33333333-3333-4333-8333-333333333333" // MFA on, every channel
	capSMSOnly = "44444444-4444-4444-8444-444444444444" // MFA on, codes by SMS only
)

// capWorld is a stack whose deployment may send smsCap texts an hour, with users users, each with a
// mobile number and an email address, members of both applications.
type capWorld struct {
	*testenv.Stack
	svc *auth.Service
}

func newCapWorld(t *testing.T, smsCap, users int, opts ...testenv.Option) *capWorld {
	t.Helper()
	w := &capWorld{Stack: testenv.NewStack(t, append([]testenv.Option{testenv.WithClock(t0), testenv.DiscardLogs(),
		testenv.WithPolicy(func(p *auth.Policy) { p.SMSSendsPerHour, p.SendsPerHour = smsCap, 100 })}, opts...)...)}
	data := seed.File{Applications: []seed.Application{
		{AppID: capApp, Name: "Capped", URL: "capped.example.com", MFA: true},
		{AppID: capSMSOnly, Name: "Texts only", URL: "texts.example.com", MFA: true, Authenticators: []string{"SMS"}},
	}}
	for i := range users {
		data.Users = append(data.Users, seed.User{UserID: capUserID(i), Email: capEmail(i), Name: "User " + strconv.Itoa(i),
			Password: capPassword(i), Mobile: fmt.Sprintf("+316123456%02d", i), Applications: []string{capApp, capSMSOnly}})
	}
	w.Seed(t, data)
	w.svc = w.Service()
	return w
}

func capUserID(i int) string   { return fmt.Sprintf("00000000-0000-4000-8000-0000000000%02d", i) }
func capEmail(i int) string    { return fmt.Sprintf("user%02d@example.com", i) }
func capPassword(i int) string { return fmt.Sprintf("a long enough password of user %02d", i) }

func (w *capWorld) login(i int, app string) (auth.LoginResult, error) {
	return w.svc.Login(w.Ctx, auth.LoginInput{Email: capEmail(i), Password: capPassword(i), App: auth.AppRef{ID: app}})
}

// counted is the texts the SMS cap's counters hold for the clock hour of at.
func (w *capWorld) counted(t *testing.T, at time.Time) int {
	t.Helper()
	n := 0
	for _, item := range w.Items(t, "SMSCAP#"+strconv.FormatInt(at.Unix()/3600, 10)+"#") {
		c, err := strconv.Atoi(item["n"].(*types.AttributeValueMemberN).Value)
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		n += c
	}
	return n
}

func (w *capWorld) texts() int {
	n := 0
	for _, e := range w.Outbox.Entries() {
		if e.Channel == "SMS" {
			n++
		}
	}
	return n
}

func TestSMSCapFallsBackToEmail(t *testing.T) {
	w := newCapWorld(t, 1, 2)
	first, err := w.login(0, capApp)
	if err != nil || first.MFA == nil || first.MFA.Channel != auth.ChannelSMS {
		t.Fatalf("first login = %+v, %v; want a code by SMS", first.MFA, err)
	}
	second, err := w.login(1, capApp)
	if err != nil || second.MFA == nil || second.MFA.Channel != auth.ChannelEmail {
		t.Fatalf("login past the cap = %+v, %v; want a code by email", second.MFA, err)
	}
	last := w.Outbox.Entries()[len(w.Outbox.Entries())-1]
	if last.Channel != "Email" || last.To != capEmail(1) {
		t.Errorf("the code past the cap went by %s to %s, want Email to %s", last.Channel, last.To, capEmail(1))
	}
	if _, err := w.svc.Verify(w.Ctx, second.MFA.Token, "", testenv.CodeIn(t, last.Body)); err != nil {
		t.Errorf("the emailed code does not verify: %v", err)
	}
	if got := w.counted(t, t0); got != 1 {
		t.Errorf("the cap counted %d texts, want 1", got)
	}

	// A resend of the texted challenge is past the cap too: it switches to email.
	w.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
	resent, err := w.svc.Resend(w.Ctx, first.MFA.Token)
	if err != nil || resent.Channel != auth.ChannelEmail {
		t.Fatalf("resend past the cap = %+v, %v; want a code by email", resent, err)
	}
	if got := w.texts(); got != 1 {
		t.Errorf("%d texts sent, want 1", got)
	}

	// The next clock hour has a cap of its own.
	w.Clock.Advance(time.Hour)
	next, err := w.login(1, capApp)
	if err != nil || next.MFA == nil || next.MFA.Channel != auth.ChannelSMS {
		t.Fatalf("login in the next hour = %+v, %v; want a code by SMS", next.MFA, err)
	}
}

func TestSMSCapWithoutEmail(t *testing.T) {
	w := newCapWorld(t, 1, 2)
	res, err := w.login(0, capSMSOnly)
	if err != nil || res.MFA == nil || res.MFA.Channel != auth.ChannelSMS {
		t.Fatalf("first login = %+v, %v; want a code by SMS", res.MFA, err)
	}
	code := w.LastCode(t)

	t.Run("login", func(t *testing.T) {
		if _, err := w.login(1, capSMSOnly); !errors.Is(err, auth.ErrDeliveryFailed) {
			t.Fatalf("login past the cap without email: %v, want ErrDeliveryFailed", err)
		}
		if got := len(w.Items(t, "MFA#")); got != 1 {
			t.Errorf("%d challenges stored, want the one that was texted", got)
		}
	})
	t.Run("resend", func(t *testing.T) {
		w.Clock.Set(t0.Add(auth.DefaultPolicy.ResendCooldown))
		if _, err := w.svc.Resend(w.Ctx, res.MFA.Token); !errors.Is(err, auth.ErrDeliveryFailed) {
			t.Fatalf("resend past the cap without email: %v, want ErrDeliveryFailed", err)
		}
		// Nothing was written: the code sent before still verifies.
		if _, err := w.svc.Verify(w.Ctx, res.MFA.Token, "", code); err != nil {
			t.Errorf("the code sent before the refused resend: %v", err)
		}
	})
	if got := w.texts(); got != 1 {
		t.Errorf("%d texts sent, want the cap's 1", got)
	}
}

func TestSMSCapHoldsUnderConcurrency(t *testing.T) {
	const smsCap, users = 7, 40
	w := newCapWorld(t, smsCap, users, cryptoRandom())
	results := make([]auth.LoginResult, users)
	errs := race(users, func(i int) error {
		var err error
		results[i], err = w.login(i, capApp)
		return err
	})
	bySMS, byEmail := 0, 0
	for i, err := range errs {
		switch {
		case err != nil:
			t.Errorf("login %d: %v", i, err)
		case results[i].MFA.Channel == auth.ChannelSMS:
			bySMS++
		case results[i].MFA.Channel == auth.ChannelEmail:
			byEmail++
		}
	}
	if bySMS == 0 || bySMS > smsCap {
		t.Errorf("%d logins texted, want 1 to %d", bySMS, smsCap)
	}
	if bySMS+byEmail != users {
		t.Errorf("%d by SMS and %d by email, want all %d", bySMS, byEmail, users)
	}
	if got := w.texts(); got != bySMS {
		t.Errorf("%d texts sent, want the %d logins that said SMS", got, bySMS)
	}
	if got := w.counted(t, t0); got != bySMS {
		t.Errorf("the cap counted %d texts, want %d", got, bySMS)
	}
}

func TestSMSCapSelfServiceMobile(t *testing.T) {
	w := newCapWorld(t, 1, 2)
	if _, err := w.login(0, capApp); err != nil {
		t.Fatalf("login: %v", err)
	}
	number := "+31687654321"
	who := auth.Session{UserID: capUserID(1), Email: capEmail(1), AppID: capApp}
	if _, err := w.Users().ChangeMe(w.Ctx, who, auth.UserPatch{Mobile: &number}); !errors.Is(err, auth.ErrDeliveryFailed) {
		t.Fatalf("a new number's code past the cap: %v, want ErrDeliveryFailed", err)
	}
	admin := auth.Session{UserID: capUserID(0), Email: capEmail(0), AppID: capApp, Admin: true}
	u, err := w.Users().Get(w.Ctx, admin, capEmail(1))
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if u.PendingMobile.Number != "" {
		t.Errorf("the refused number waits for a code: %+v", u.PendingMobile)
	}
	if got := w.texts(); got != 1 {
		t.Errorf("%d texts sent, want the cap's 1", got)
	}
}
