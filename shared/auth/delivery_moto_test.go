package auth_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/mask"
	"mfagateway/shared/notify"
	"mfagateway/shared/testenv"
)

// TestMotoDelivery runs login with the real SNS and SES senders and the DynamoDB store, all on one
// moto_server: the documented channel choice, the email fallback, and a delivery failure that leaves
// no challenge behind. The codes are read back from what moto recorded, then verified.
func TestMotoDelivery(t *testing.T) {
	m := motoStart(t)

	t.Run("email, unverified SES sender: delivery_failed, no challenge left", func(t *testing.T) {
		t.Parallel()
		w := m.world(t, motoWorldOptions{})
		_, err := w.login(t)
		if !errors.Is(err, auth.ErrDeliveryFailed) {
			t.Fatalf("Login: %v, want ErrDeliveryFailed", err)
		}
		if got := w.Items(t, "MFA#"); len(got) != 0 {
			t.Errorf("%d challenges left in the table: %v", len(got), got)
		}
		if got := m.emailsTo(t, w.user.Email); len(got) != 0 {
			t.Errorf("moto recorded %d emails from an unverified sender", len(got))
		}
	})

	t.Run("email, verified SES sender", func(t *testing.T) {
		t.Parallel()
		w := m.world(t, motoWorldOptions{verified: true})
		res := w.wantChallenge(t, auth.ChannelEmail, "AmazonSES", mask.Email(w.user.Email))
		emails := m.emailsTo(t, w.user.Email)
		if len(emails) != 1 {
			t.Fatalf("moto recorded %d emails to the user, want 1: %+v", len(emails), emails)
		}
		if e := emails[0]; e.Source != w.from || e.Subject != "Your login code" {
			t.Errorf("email from %q about %q, want from %q about %q", e.Source, e.Subject, w.from, "Your login code")
		}
		w.wantItem(t, auth.ChannelEmail, "AmazonSES", w.user.Email)
		w.verify(t, res, auth.ChannelEmail, motoCodeIn(t, emails[0].Body))
	})

	t.Run("SMS to a user with a mobile number", func(t *testing.T) {
		t.Parallel()
		w := m.world(t, motoWorldOptions{mobile: true, verified: true})
		res := w.wantChallenge(t, auth.ChannelSMS, "AmazonSNS", mask.Phone(w.user.Mobile))
		sms := m.smsTo(t, w.user.Mobile)
		if len(sms) != 1 {
			t.Fatalf("moto recorded %d SMS to the user, want 1: %q", len(sms), sms)
		}
		if got := m.emailsTo(t, w.user.Email); len(got) != 0 {
			t.Errorf("an email went out as well as the SMS: %+v", got)
		}
		w.wantItem(t, auth.ChannelSMS, "AmazonSNS", w.user.Mobile)
		w.verify(t, res, auth.ChannelSMS, motoCodeIn(t, sms[0]))
	})

	t.Run("SMS fails, code goes by email", func(t *testing.T) {
		t.Parallel()
		var hits atomic.Int32
		broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hits.Add(1)
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>down</Message></Error><RequestId>x</RequestId></ErrorResponse>`)
		}))
		t.Cleanup(broken.Close)
		w := m.world(t, motoWorldOptions{mobile: true, verified: true, smsEndpoint: broken.URL})
		res := w.wantChallenge(t, auth.ChannelEmail, "AmazonSES", mask.Email(w.user.Email))
		if got := hits.Load(); got != awsclient.MaxAttempts {
			t.Errorf("SNS endpoint hit %d times, want %d (every attempt of the production retryer, then the fallback)", got, awsclient.MaxAttempts)
		}
		if got := m.smsTo(t, w.user.Mobile); len(got) != 0 {
			t.Errorf("moto recorded SMS although SNS was down: %q", got)
		}
		emails := m.emailsTo(t, w.user.Email)
		if len(emails) != 1 {
			t.Fatalf("moto recorded %d emails to the user, want 1: %+v", len(emails), emails)
		}
		// The fallback is recorded on the challenge: its channel is the one verify must name.
		w.wantItem(t, auth.ChannelEmail, "AmazonSES", w.user.Email)
		code := motoCodeIn(t, emails[0].Body)
		if _, err := w.svc.Verify(t.Context(), res.Token, auth.ChannelSMS, code); !errors.Is(err, auth.ErrChannelMismatch) {
			t.Errorf("Verify naming SMS after the fallback: %v, want ErrChannelMismatch", err)
		}
		w.verify(t, res, auth.ChannelEmail, code)
	})
}

// motoEnv is the one moto_server of the test, with an SES client for it.
type motoEnv struct {
	moto *testenv.Moto
	ses  *ses.Client
}

func motoStart(t *testing.T) *motoEnv {
	moto := testenv.StartMoto(t)
	return &motoEnv{
		moto: moto,
		ses: ses.New(ses.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(moto.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		}),
	}
}

// motoSNS is an SNS client with the retryer the functions use (awsclient.Retryer), so a failing SNS is
// tried as often as in production before the email fallback.
func motoSNS(endpoint string) *sns.Client {
	return sns.New(sns.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Retryer: awsclient.Retryer(),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

type motoWorldOptions struct {
	mobile      bool   // the user has a mobile number
	verified    bool   // the SES sender is a verified identity
	smsEndpoint string // SNS endpoint; moto's when empty
}

// motoWorld is a test stack on moto (one table, one MFA application, one member user) with a service
// sending through moto's SNS and SES. Addresses are unique per world, so the worlds can share moto's
// record of sent messages.
type motoWorld struct {
	*testenv.Stack
	svc      *auth.Service
	app      auth.Application
	user     auth.User
	password string
	from     string
}

func (m *motoEnv) world(t *testing.T, o motoWorldOptions) *motoWorld {
	t.Helper()
	tag := strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	w := &motoWorld{password: "correct horse " + tag, from: "noreply-" + tag + "@example.com"}
	smsEndpoint := o.smsEndpoint
	if smsEndpoint == "" {
		smsEndpoint = m.moto.URL
	}
	w.Stack = testenv.NewStack(t, testenv.OnMoto(m.moto), testenv.WithTable("delivery-"+tag), testenv.WithClock(time.Now()),
		testenv.WithDeps(func(d *auth.Deps) {
			d.SMS, d.Email = notify.NewSMS(motoSNS(smsEndpoint), ""), notify.NewEmail(m.ses, w.from)
		}))
	if o.verified {
		if _, err := m.ses.VerifyEmailIdentity(w.Ctx, &ses.VerifyEmailIdentityInput{EmailAddress: &w.from}); err != nil {
			t.Fatalf("VerifyEmailIdentity: %v", err)
		}
	}

	phc, err := w.Hasher.Hash(w.password)
	if err != nil {
		t.Fatalf("hash: %v", err)
	}
	w.app = auth.Application{ID: uuid.NewString(), Name: "MFA app", URL: "mfa-" + tag + ".example.com", MFA: true}
	w.user = auth.User{ID: uuid.NewString(), Email: "ada-" + tag + "@example.com", Name: "Ada", PasswordHash: phc,
		Applications: []string{w.app.ID}}
	if o.mobile {
		w.user.Mobile = fmt.Sprintf("+3161%07d", uuid.New().ID()%10_000_000)
	}
	if err := w.Store.PutApplication(w.Ctx, w.app); err != nil {
		t.Fatalf("PutApplication: %v", err)
	}
	if err := w.Store.PutUser(w.Ctx, w.user); err != nil {
		t.Fatalf("PutUser: %v", err)
	}
	w.svc = w.Service()
	return w
}

func (w *motoWorld) login(t *testing.T) (auth.LoginResult, error) {
	return w.svc.Login(t.Context(), auth.LoginInput{Email: w.user.Email, Password: w.password, App: auth.AppRef{ID: w.app.ID}})
}

// wantChallenge logs in and expects a challenge sent on channel by authenticator to destination.
func (w *motoWorld) wantChallenge(t *testing.T, channel auth.Channel, authenticator, destination string) auth.ChallengeResult {
	t.Helper()
	res, err := w.login(t)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if res.MFA == nil {
		t.Fatalf("Login issued a token without MFA: %+v", res)
	}
	got := *res.MFA
	if got.Channel != channel || got.Authenticator != authenticator || got.Destination != destination {
		t.Errorf("challenge went %s by %s to %s, want %s by %s to %s",
			got.Channel, got.Authenticator, got.Destination, channel, authenticator, destination)
	}
	return got
}

// wantItem checks the one stored challenge's channel, authenticator and full address.
func (w *motoWorld) wantItem(t *testing.T, channel auth.Channel, authenticator, to string) {
	t.Helper()
	items := w.Items(t, "MFA#")
	if len(items) != 1 {
		t.Fatalf("%d challenges in the table, want 1", len(items))
	}
	str := func(name string) string {
		v, _ := items[0][name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	if str("channel") != string(channel) || str("authenticator") != authenticator || str("to") != to {
		t.Errorf("challenge item channel %q, authenticator %q, to %q; want %q, %q, %q",
			str("channel"), str("authenticator"), str("to"), channel, authenticator, to)
	}
}

// verify spends the delivered code and expects an auth token.
func (w *motoWorld) verify(t *testing.T, res auth.ChallengeResult, channel auth.Channel, code string) {
	t.Helper()
	got, err := w.svc.Verify(t.Context(), res.Token, channel, code)
	if err != nil {
		t.Fatalf("Verify with the delivered code: %v", err)
	}
	if got.Token == "" || got.Channel != channel || got.Authenticator != res.Authenticator {
		t.Errorf("Verify = %+v, want a token for %s by %s", got, channel, res.Authenticator)
	}
}

var motoCodeRE = regexp.MustCompile(`\b\d{6}\b`)

func motoCodeIn(t *testing.T, body string) string {
	t.Helper()
	codes := motoCodeRE.FindAllString(body, -1)
	if len(codes) != 1 {
		t.Fatalf("message %q holds %d six-digit codes, want 1", body, len(codes))
	}
	return codes[0]
}

// motoSent is the part of GET /moto-api/data.json that records SMS published to phone numbers and
// emails accepted by SES v1.
type motoSent struct {
	SNS struct {
		SMS []struct {
			PhoneNumber string `json:"phone_number"`
			Message     string `json:"message"`
		} `json:"SMS"`
	} `json:"sns"`
	SES struct {
		Message []motoSentEmail `json:"Message"`
	} `json:"ses"`
}

type motoSentEmail struct {
	Source       string `json:"source"`
	Subject      string `json:"subject"`
	Body         string `json:"body"`
	Destinations struct {
		ToAddresses []string `json:"ToAddresses"`
	} `json:"destinations"`
}

func (m *motoEnv) sent(t *testing.T) motoSent {
	t.Helper()
	resp, err := http.Get(m.moto.URL + "/moto-api/data.json")
	if err != nil {
		t.Fatalf("moto data.json: %v", err)
	}
	defer resp.Body.Close()
	var s motoSent
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatalf("decode moto data.json: %v", err)
	}
	return s
}

func (m *motoEnv) smsTo(t *testing.T, phone string) []string {
	t.Helper()
	var out []string
	for _, s := range m.sent(t).SNS.SMS {
		if s.PhoneNumber == phone {
			out = append(out, s.Message)
		}
	}
	return out
}

func (m *motoEnv) emailsTo(t *testing.T, to string) []motoSentEmail {
	t.Helper()
	var out []motoSentEmail
	for _, e := range m.sent(t).SES.Message {
		if len(e.Destinations.ToAddresses) == 1 && e.Destinations.ToAddresses[0] == to {
			out = append(out, e)
		} else if strings.Contains(strings.Join(e.Destinations.ToAddresses, ","), to) {
			t.Errorf("email to %q also went to others: %q", to, e.Destinations.ToAddresses)
		}
	}
	return out
}
