package testenv

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/localdynamo"
	"mfagateway/shared/logging"
	"mfagateway/shared/notify"
	"mfagateway/shared/odata"
	"mfagateway/shared/password"
	"mfagateway/shared/password/strength"
	"mfagateway/shared/phone"
	"mfagateway/shared/qr"
	"mfagateway/shared/seed"
	"mfagateway/shared/web"
)

// Stack is one gateway under test: the gateway's table on an engine (a fresh embedded engine, or a
// fresh table on a moto_server), real SDK clients for it, the store, the fakes (clock, log buffer,
// outbox) and the dependencies the services and handlers are built from. Every package's tests build
// their world with NewStack, so there is one way to wire it.
//
// The services, handlers and routers are built on each call from the fields as they are then, so a
// test that changes Deps (or Store) and calls Routers again gets handlers over the change.
type Stack struct {
	// Ctx is for the calls of the test and of its cleanups: not tb.Context(), which ends before the
	// cleanups run.
	Ctx context.Context
	URL string // the engine's endpoint
	// Raw goes straight to the engine, whatever the test did to Client: for seeding and for looking at
	// the items behind the store's back.
	Raw *dynamodb.Client
	// Client is the client Store uses: Raw unless WithHTTPClient or WithClientOptions shaped it.
	// HTTPClient is its HTTP client, for other SDK clients (SNS, SES) that should go the same way.
	Client     *dynamodb.Client
	HTTPClient *http.Client
	Table      string
	Store      *dynamo.Store
	Clock      *Clock
	Logs       *LogBuffer   // what Log wrote
	Log        *slog.Logger // the gateway's JSON logger at DEBUG, into Logs
	Outbox     *notify.Outbox
	Hasher     *password.Hasher // Seed's, and the login and users services'
	// Deps are the login service's dependencies: Store, Hasher, the outbox's senders, Clock, Secret,
	// Log, auth.DefaultPolicy and Notifier, then what the options changed. Random is nil (crypto/rand) unless
	// WithRandom set it.
	Deps auth.Deps
	// Pages seals and opens the Store's page tokens: the store seals them under the login service's
	// secret, as the applications function seals them under the same CODE_HMAC_SECRET.
	Pages *odata.Sealer

	engine *localdynamo.Engine // nil on moto
}

// epoch is where a Stack's clock starts unless WithClock says otherwise: on a whole hour, so an hourly
// send window starts with it.
var epoch = time.Date(2031, 5, 6, 9, 0, 0, 0, time.UTC)

// stackSecret is the HMAC key of a Stack's login service and the secret of its store's page tokens.
const stackSecret = "an HMAC key of at least 32 bytes, for tests"

// Option shapes a Stack.
type Option func(*stackConfig)

type stackConfig struct {
	moto       *Moto
	table      string
	start      time.Time
	params     password.Params
	discard    bool
	httpClient func(*http.Transport) *http.Client
	clientOpts []func(*dynamodb.Options)
	deps       []func(*auth.Deps)
}

// OnMoto puts the Stack's table on a running moto_server instead of a fresh embedded engine; the table
// is created for the test and deleted by its cleanup, so tests may share one moto_server.
func OnMoto(m *Moto) Option { return func(c *stackConfig) { c.moto = m } }

// WithTable names the table. Without it the name is "gateway-" and a UUID, unique on a shared moto.
func WithTable(name string) Option { return func(c *stackConfig) { c.table = name } }

// WithClock starts the clock at t instead of 2031-05-06 09:00 UTC.
func WithClock(t time.Time) Option { return func(c *stackConfig) { c.start = t } }

// WithPassword sets the hasher's cost instead of CheapPassword (password.Default where the cost is the point).
func WithPassword(p password.Params) Option { return func(c *stackConfig) { c.params = p } }

// DiscardLogs drops the log lines instead of keeping them in Logs, where a fuzz target or a benchmark
// would make the buffer grow without end.
func DiscardLogs() Option { return func(c *stackConfig) { c.discard = true } }

// WithHTTPClient gives Client the HTTP client build returns over the Stack's own transport (wrapped in
// a fault injector, with a per-attempt timeout...). Raw keeps the bare transport.
func WithHTTPClient(build func(base *http.Transport) *http.Client) Option {
	return func(c *stackConfig) { c.httpClient = build }
}

// WithClientOptions applies fns to Client's options (a middleware that counts operations, the number
// of attempts). Raw keeps the defaults.
func WithClientOptions(fns ...func(*dynamodb.Options)) Option {
	return func(c *stackConfig) { c.clientOpts = append(c.clientOpts, fns...) }
}

// WithDeps changes the login service's dependencies once the defaults are filled in.
func WithDeps(change func(*auth.Deps)) Option {
	return func(c *stackConfig) { c.deps = append(c.deps, change) }
}

// WithPolicy changes the login service's policy, which starts as auth.DefaultPolicy.
func WithPolicy(change func(*auth.Policy)) Option {
	return WithDeps(func(d *auth.Deps) { change(&d.Policy) })
}

// WithRandom gives the login service r as its randomness instead of crypto/rand.
func WithRandom(r io.Reader) Option { return WithDeps(func(d *auth.Deps) { d.Random = r }) }

// NewStack builds a Stack for the test; its cleanup closes the clients' idle connections, then stops
// the engine (or deletes the table on moto).
func NewStack(tb testing.TB, opts ...Option) *Stack {
	tb.Helper()
	c := stackConfig{start: epoch, params: CheapPassword}
	for _, o := range opts {
		o(&c)
	}
	s := &Stack{Ctx: context.Background(), Table: c.table, Logs: &LogBuffer{}}
	if s.Table == "" {
		s.Table = "gateway-" + uuid.NewString()
	}

	// The transport is the test's own so that its idle connections can be closed before the engine
	// stops: the engine's shutdown would otherwise wait for connections a burst of requests dialled
	// but never used.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 128
	if c.moto != nil {
		s.URL = c.moto.URL
	} else {
		engine, err := localdynamo.Start(s.Ctx, s.Table)
		if err != nil {
			tb.Fatalf("start embedded engine: %v", err)
		}
		s.engine, s.URL = engine, engine.URL
	}
	s.HTTPClient = &http.Client{Transport: tr}
	options := dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.URL), HTTPClient: s.HTTPClient,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	s.Raw = dynamodb.New(options)
	tb.Cleanup(func() {
		if s.engine == nil { // on moto the table goes; the server stays for the other tests
			_, _ = s.Raw.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &s.Table})
		}
		tr.CloseIdleConnections()
		if s.engine != nil {
			_ = s.engine.Close()
		}
	})
	if c.moto != nil {
		if err := dynamo.CreateTable(s.Ctx, s.Raw, s.Table); err != nil {
			tb.Fatalf("create table on moto: %v", err)
		}
	}

	if c.httpClient != nil {
		s.HTTPClient = c.httpClient(tr)
		options.HTTPClient = s.HTTPClient
	}
	s.Client = s.Raw
	if c.httpClient != nil || len(c.clientOpts) > 0 {
		s.Client = dynamodb.New(options, c.clientOpts...)
	}
	s.Store = dynamo.New(s.Client, s.Table).WithPageSecret([]byte(stackSecret))
	s.Pages = odata.NewSealer([]byte(stackSecret))

	s.Clock = NewClock(c.start)
	var logTo io.Writer = s.Logs
	if c.discard {
		logTo = io.Discard
	}
	s.Log = logging.New(logTo, slog.LevelDebug)
	s.Outbox = notify.NewOutbox(io.Discard, s.Clock.Now)
	s.Hasher = password.New(c.params)
	s.Deps = auth.Deps{
		Store: s.Store, Hasher: s.Hasher, SMS: s.Outbox.SMS(), Email: s.Outbox.Email(),
		Clock: s.Clock.Now, Secret: []byte(stackSecret), Policy: auth.DefaultPolicy, Log: s.Log,
		Notifier: s.Notifier(),
	}
	for _, change := range c.deps {
		change(&s.Deps)
	}
	return s
}

// Service is the login service over Deps.
func (s *Stack) Service() *auth.Service { return auth.NewService(s.Deps) }

// Sessions are the sessions over Store, on the Stack's clock.
func (s *Stack) Sessions() *auth.Sessions { return auth.NewSessions(s.Store, s.Clock.Now, s.Log) }

// Applications is the application service over Store, on the Stack's clock.
func (s *Stack) Applications() *auth.Applications {
	return auth.NewApplications(s.Store, s.Clock.Now, uuid.NewString, s.Log)
}

// Users is the users service over Store, with the Stack's hasher, clock, the production mobile validator
// and the production password policy at its default length; a new number's code goes by Deps.SMS
// under Deps.Secret, Deps.Random and Deps.Policy, and notifications by Notifier.
func (s *Stack) Users() *auth.Users {
	return auth.NewUsers(auth.UsersDeps{Store: s.Store, Hasher: s.Hasher, Mobile: phone.Parse, NewID: uuid.NewString, Clock: s.Clock.Now, Log: s.Log,
		Passwords: auth.PasswordPolicy{Guessable: strength.Judge},
		SMS:       s.Deps.SMS, Secret: s.Deps.Secret, Random: s.Deps.Random, Policy: s.Deps.Policy, Notifier: s.Notifier()})
}

// Notifier is the notifier over the outbox's email, on the Stack's clock.
func (s *Stack) Notifier() *auth.Notifier {
	return auth.NewNotifier(s.Outbox.Email(), s.Clock.Now, s.Log)
}

// Accounts is the account lifecycle over Users and Service, with Notifier and the default links. A
// forgotPassword answer's wait moves the Stack's clock instead of sleeping, so that the time it waits
// is what a test reads.
func (s *Stack) Accounts() *auth.Accounts {
	return auth.NewAccounts(s.Users(), s.Service(), s.Store, s.Notifier(), auth.Links{}).
		WithSleep(func(_ context.Context, d time.Duration) {
			if d > 0 {
				s.Clock.Advance(d)
			}
		})
}

// Handlers are every handler the route table calls, wired as the functions' mains wire them, over
// Service, Sessions, Applications and Users; the guard is on the Stack's clock and rechecks a token whose
// verdict says AWS failed it.
func (s *Stack) Handlers() httpapi.Handlers {
	sessions := s.Sessions()
	return httpapi.Handlers{
		Auth:          httpapi.New(s.Service(), s.Log),
		Session:       httpapi.NewSession(sessions, s.Log),
		Applications:  httpapi.NewApplications(s.Applications(), s.Log),
		Users:         httpapi.NewUsers(s.Users(), s.Log),
		Accounts:      httpapi.NewAccounts(s.Accounts(), s.Log),
		SecondFactors: httpapi.NewSecondFactors(s.SecondFactors(), s.Log),
		Guard:         httpapi.NewGuard(s.Clock.Now, s.Log).Rechecking(sessions),
		Pages: httpapi.NewPages(web.MustNew(web.Options{
			MinPasswordLength: s.Deps.Policy.PasswordMinLength, ResendCooldown: s.Deps.Policy.ResendCooldown,
		}).Serve),
	}
}

// SecondFactors is the second-factor service over Service and Store, with Notifier and the QR
// encoder the account function links.
func (s *Stack) SecondFactors() *auth.SecondFactors {
	return auth.NewSecondFactors(s.Service(), s.Store, s.Notifier(), qr.PNG)
}

// Routers are the routers of the functions named (of every function when none is) over Handlers, by
// logical ID.
func (s *Stack) Routers(ids ...string) map[string]*httpapi.Router {
	return httpapi.Routers(s.Handlers(), ids...)
}

// Authorizer is the token authorizer over Sessions.
func (s *Stack) Authorizer() *httpapi.Authorizer { return httpapi.NewAuthorizer(s.Sessions()) }

// SeedDemo loads the demo seed (seed.Demo) and returns it, plain-text passwords included.
func (s *Stack) SeedDemo(tb testing.TB) seed.File {
	tb.Helper()
	data, err := seed.ParseBytes(seed.Demo)
	if err != nil {
		tb.Fatalf("demo seed: %v", err)
	}
	s.Seed(tb, data)
	return data
}

// Seed writes data's applications and users straight to the table (through Raw), passwords hashed by
// Hasher, created at the clock's time, and their authenticator apps sealed under Deps.Secret.
func (s *Stack) Seed(tb testing.TB, data seed.File) {
	tb.Helper()
	raw := dynamo.New(s.Raw, s.Table)
	if err := data.Load(s.Ctx, raw, s.Hasher, s.Clock.Now()); err != nil {
		tb.Fatalf("seed: %v", err)
	}
	deps := s.Deps
	deps.Store = raw
	if err := data.LoadApps(s.Ctx, auth.NewSecondFactors(auth.NewService(deps), raw, nil, nil)); err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

// Items are the table's items whose key starts with prefix (every item for ""), read through Raw.
func (s *Stack) Items(tb testing.TB, prefix string) []map[string]types.AttributeValue {
	tb.Helper()
	var out []map[string]types.AttributeValue
	var start map[string]types.AttributeValue
	for {
		page, err := s.Raw.Scan(s.Ctx, &dynamodb.ScanInput{TableName: &s.Table, ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			tb.Fatalf("scan: %v", err)
		}
		for _, it := range page.Items {
			if pk, _ := it["pk"].(*types.AttributeValueMemberS); pk != nil && strings.HasPrefix(pk.Value, prefix) {
				out = append(out, it)
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		start = page.LastEvaluatedKey
	}
}

// Item is the item under pk, read through Raw; nil when there is none.
func (s *Stack) Item(tb testing.TB, pk string) map[string]types.AttributeValue {
	tb.Helper()
	out, err := s.Raw.GetItem(s.Ctx, &dynamodb.GetItemInput{
		TableName: &s.Table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
	})
	if err != nil {
		tb.Fatalf("get %s: %v", pk, err)
	}
	if len(out.Item) == 0 {
		return nil
	}
	return out.Item
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// LastCode is the binding code in the newest outbox message.
func (s *Stack) LastCode(tb testing.TB) string {
	tb.Helper()
	entries := s.Outbox.Entries()
	if len(entries) == 0 {
		tb.Fatal("the outbox is empty")
	}
	// The newest message that carries a code: a notice (which never does) may follow it.
	for i := len(entries) - 1; i >= 0; i-- {
		if sixDigits.MatchString(entries[i].Body) {
			return CodeIn(tb, entries[i].Body)
		}
	}
	return CodeIn(tb, entries[len(entries)-1].Body)
}

// CodeIn is the six-digit code in a message body.
func CodeIn(tb testing.TB, body string) string {
	tb.Helper()
	m := sixDigits.FindStringSubmatch(body)
	if m == nil {
		tb.Fatalf("no six-digit code in %q", body)
	}
	return m[1]
}
