// Command localapi serves the gateway's handlers on a local address the way API Gateway would, with the
// embedded DynamoDB-compatible engine as storage (served to other processes too: the admin CLI, the
// functions under sam local) and a local outbox instead of SNS and SES.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/localdynamo"
	"mfagateway/shared/logging"
	"mfagateway/shared/mask"
	"mfagateway/shared/notify"
	"mfagateway/shared/password"
	"mfagateway/shared/password/strength"
	"mfagateway/shared/phone"
	"mfagateway/shared/qr"
	"mfagateway/shared/seed"
	"mfagateway/shared/web"
)

const (
	defaultAddr = "127.0.0.1:3000"
	// defaultDynamoAddr is where the embedded engine is served to other processes: DynamoDB Local's
	// usual port, which events/env.json points sam local at.
	defaultDynamoAddr = "127.0.0.1:8000"
	// defaultTable is the table's name unless TABLE_NAME gives one; events/env.json names it too.
	defaultTable = "mfa-gateway-local"
)

// sweepInterval is how often the embedded engine sweeps expired items, as DynamoDB's TTL would; each
// sweep looks at a bounded share of the table.
const sweepInterval = time.Second

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "localapi:", err)
		os.Exit(1)
	}
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	started := time.Now()
	fs := flag.NewFlagSet("localapi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", orDefault(getenv("ADDR"), defaultAddr), "address to listen on (env ADDR)")
	seedFile := fs.String("seed", getenv("SEED_FILE"), "seed file (env SEED_FILE); the demo seed when empty")
	dynamoAddr := fs.String("dynamodb-addr", orDefault(getenv("LOCAL_DYNAMODB_ADDR"), defaultDynamoAddr),
		"address the embedded DynamoDB engine is served on for other processes, or off (env LOCAL_DYNAMODB_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	a, err := newApp(ctx, *seedFile, localLinks(getenv, "http://"+ln.Addr().String()), stdout, stderr)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer a.close()
	if err := a.serveDynamo(*dynamoAddr, stdout); err != nil {
		_ = ln.Close()
		return err
	}
	srv := newServer(a.gateway, requestReadTimeout)
	fmt.Fprintf(stdout, "MFA login gateway ready on http://%s in %d ms (Ctrl-C stops it)\n", ln.Addr(), time.Since(started).Milliseconds())
	fmt.Fprintf(stdout, "Codes sent appear below and at http://%s/_local/outbox\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Fprintln(stdout, "stopping")
	return srv.Shutdown(shutdown)
}

// localLinks is getenv with the ticket links pointing at the local server at base, unless the
// environment sets them: an invitation or reset read in the outbox opens on this server.
func localLinks(getenv func(string) string, base string) func(string) string {
	defaults := map[string]string{
		"INVITE_URL":         base + "/accept-invite?ticket={ticket}",
		"PASSWORD_RESET_URL": base + "/reset-password?ticket={ticket}",
	}
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return defaults[name]
	}
}

// app is the local gateway with everything behind it.
type app struct {
	gateway *gateway
	engine  *localdynamo.Engine
	outbox  *notify.Outbox
	table   string
}

// serveDynamo serves the embedded engine on addr for other processes (the admin CLI, sam local
// invoke), unless addr is "off", and says where.
func (a *app) serveDynamo(addr string, stdout io.Writer) error {
	if addr == "off" {
		return nil
	}
	url, err := a.engine.Serve(addr)
	if err != nil {
		return fmt.Errorf("serve the embedded DynamoDB on %s (--dynamodb-addr or LOCAL_DYNAMODB_ADDR; off serves it to no other process): %w", addr, err)
	}
	fmt.Fprintf(stdout, "DynamoDB endpoint %s, table %s, for other processes: gatewayctl --endpoint %s --table %s; sam local with events/env.json\n",
		url, a.table, url, a.table)
	return nil
}

func newApp(ctx context.Context, seedFile string, getenv func(string) string, stdout, stderr io.Writer) (*app, error) {
	cfg, err := config.Load(getenv, config.Need{})
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if len(cfg.Secret) == 0 { // a fresh key per run is right locally: codes never outlive the process
		cfg.Secret = make([]byte, config.MinSecretBytes)
		_, _ = rand.Read(cfg.Secret)
	}
	if cfg.Table == "" {
		cfg.Table = defaultTable
	}
	origins, err := httpapi.ParseCORSOrigins(getenv("CORS_ALLOWED_ORIGINS"))
	if err != nil {
		return nil, fmt.Errorf("CORS_ALLOWED_ORIGINS: %w", err)
	}
	raw, name := seed.Demo, "demo seed"
	if seedFile != "" {
		if raw, err = os.ReadFile(seedFile); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		name = seedFile
	}
	data, err := seed.ParseBytes(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	engine, err := localdynamo.Start(ctx, cfg.Table)
	if err != nil {
		return nil, fmt.Errorf("embedded dynamodb: %w", err)
	}
	engine.SweepEvery(sweepInterval)
	store := dynamo.New(engine.Client, cfg.Table).WithPageSecret(cfg.Secret)
	hasher := password.New(password.Default)
	if err := data.Load(ctx, store, hasher, time.Now()); err != nil {
		_ = engine.Close()
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	log := logging.New(stderr, cfg.LogLevel)
	outbox := notify.NewOutbox(stdout, time.Now)
	svc := auth.NewService(auth.Deps{
		Store: store, Hasher: hasher, SMS: outbox.SMS(), Email: outbox.Email(),
		Secret: cfg.Secret, Policy: cfg.Policy, Log: log, Notifier: auth.NewNotifier(outbox.Email(), nil, log),
	})
	if err := data.LoadApps(ctx, auth.NewSecondFactors(svc, store, nil, qr.PNG)); err != nil {
		_ = engine.Close()
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	a := &app{engine: engine, outbox: outbox, table: cfg.Table, gateway: &gateway{
		outbox: outbox, log: log, functions: functions(svc, store, cfg.Links, log), cors: cors{origins: origins},
		authorizer: httpapi.NewAuthorizer(auth.NewSessions(store, nil, log)).Handle,
	}}
	printUsers(stdout, name, data)
	return a, nil
}

// functions builds the router of every function of the route table over the handlers the functions'
// mains wire, so the gateway serves every row of the table.
func functions(svc *auth.Service, store *dynamo.Store, links auth.Links, log *slog.Logger) map[string]*httpapi.Router {
	sessions := auth.NewSessions(store, nil, log)
	hasher, _ := svc.Hasher.(auth.PasswordHasher)
	notifier := auth.NewNotifier(svc.Email, nil, log)
	users := auth.NewUsers(auth.UsersDeps{
		Store: store, Hasher: hasher, Mobile: phone.Parse, NewID: uuid.NewString, Log: log,
		Passwords: auth.PasswordPolicy{MinLength: svc.Policy.PasswordMinLength, Guessable: strength.Judge},
		SMS:       svc.SMS, Secret: svc.Secret, Policy: svc.Policy, Notifier: notifier,
	})
	return httpapi.Routers(httpapi.Handlers{
		Auth:          httpapi.New(svc, log),
		Session:       httpapi.NewSession(sessions, log),
		Applications:  httpapi.NewApplications(auth.NewApplications(store, nil, uuid.NewString, log), log),
		Users:         httpapi.NewUsers(users, log),
		Accounts:      httpapi.NewAccounts(auth.NewAccounts(users, svc, store, notifier, links), log),
		SecondFactors: httpapi.NewSecondFactors(auth.NewSecondFactors(svc, store, notifier, qr.PNG), log),
		Guard:         httpapi.NewGuard(nil, log).Rechecking(sessions),
		Pages: httpapi.NewPages(web.MustNew(web.Options{
			MinPasswordLength: svc.Policy.PasswordMinLength, ResendCooldown: svc.Policy.ResendCooldown,
		}).Serve),
	})
}

func (a *app) close() {
	if err := a.engine.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		slog.Error("stop embedded dynamodb", "error", err.Error())
	}
}

// printUsers lists who can log in; the demo seed's passwords are printed because they are public.
// The channel of a user's codes is the domain's answer for each of the user's applications, each
// channel named once.
func printUsers(w io.Writer, name string, data seed.File) {
	fmt.Fprintf(w, "Loaded %d applications and %d users from the %s\n", len(data.Applications), len(data.Users), name)
	apps := map[string]auth.Application{}
	for _, a := range data.Applications {
		fmt.Fprintf(w, "  application %-20s appId %s  url %s  MFA %v\n", a.Name, a.AppID, a.URL, a.MFA)
		app, err := a.Stored(time.Time{})
		if err != nil { // the seed was parsed, so its applications keep their rules; shown without the properties otherwise
			app = auth.Application{ID: a.AppID, Name: a.Name, URL: a.URL, UniqueIdentifier: a.UniqueIdentifier, MFA: a.MFA}
		}
		apps[a.AppID] = app
	}
	for _, u := range data.Users {
		who, pw := mask.Email(u.Email), "(password not shown)"
		if name == "demo seed" { // public demo accounts: shown in full so they can be typed
			who, pw = u.Email, "password "+u.Password
		}
		user := auth.User{Email: u.Email, Mobile: u.Mobile, MobileCountry: u.MobileCountry(), Admin: u.Admin, Applications: u.Applications,
			OTP: u.TOTPSecret} // not sealed: only whether there is one counts here
		ids := u.Applications
		if len(ids) == 0 {
			ids = []string{""} // a user of no application still has a channel: the one for none in particular
		}
		var channels []string
		for _, id := range ids {
			c := "no channel" // the application allows none this user can be reached on
			if chain := auth.ChannelsFor(user, apps[id]); len(chain) > 0 {
				c = string(chain[0])
			}
			if !slices.Contains(channels, c) {
				channels = append(channels, c)
			}
		}
		fmt.Fprintf(w, "  user %-20s %s  codes by %s  admin %v\n", who, pw, strings.Join(channels, " or "), u.Admin)
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
