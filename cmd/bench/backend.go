package main

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/localdynamo"
	"mfagateway/shared/password"
	"mfagateway/shared/password/strength"
	"mfagateway/shared/seed"
)

// The deployment every bootstrap runs in.
const (
	tableName  = "mfagateway-bench"
	hmacSecret = "bench-code-hmac-secret-0123456789abcdefghij" // >= 32 bytes
	sesSender  = "no-reply@example.com"

	demoApp    = "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90" // the demo seed's application without MFA
	demoMFAApp = "7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10" // and with MFA
	demoURL    = "demo.localhost"                       // their urls
	demoMFAURL = "demo-mfa.localhost"

	// The harness's own user sets up challenges and tokens for the routes that need one; a cheap
	// hash keeps that setup fast (Verify takes its costs from the stored hash). The timed logins use
	// the demo seed's users, whose hashes have the production parameters.
	setupEmail    = "bench-setup@example.com"
	setupPassword = "bench-setup-password-1"
	setupMobile   = "+31612345670"
)

var cheapParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// sendsPerHour lifts the per-user hourly send cap, which hundreds of timed MFA logins would reach.
const sendsPerHour = 1_000_000

// backend is a DynamoDB endpoint with the gateway's table and seed.
type backend struct {
	name  string // "embedded engine" or "moto"
	url   string
	db    *dynamodb.Client
	close func()
}

// startEmbedded serves the embedded engine (localdynamo) on loopback, in this process.
func startEmbedded(ctx context.Context) (*backend, error) {
	e, err := localdynamo.Start(ctx, tableName)
	if err != nil {
		return nil, err
	}
	b := &backend{name: "embedded engine", url: e.URL, db: e.Client, close: func() { _ = e.Close() }}
	if err := b.seed(ctx); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// motoServer is a started moto_server, or why it is not there.
type motoServer struct {
	url     string
	proc    *proc
	missing bool
	err     error
	ready   chan struct{}
}

// startMoto starts moto_server in the background; wait reports when it answers.
func startMoto() *motoServer {
	m := &motoServer{ready: make(chan struct{})}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		m.missing, m.err = true, errors.New("moto_server is not on PATH")
		close(m.ready)
		return m
	}
	port, err := freePort()
	if err != nil {
		m.err = err
		close(m.ready)
		return m
	}
	m.url = fmt.Sprintf("http://127.0.0.1:%d", port)
	m.proc, m.err = startProc("moto_server", bin, []string{"-H", "127.0.0.1", "-p", strconv.Itoa(port)}, nil, nil, true)
	if m.err != nil {
		close(m.ready)
		return m
	}
	go func() {
		defer close(m.ready)
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Get(m.url + "/moto-api/")
			if err == nil {
				_ = resp.Body.Close()
				return
			}
			if m.proc.exited() {
				m.err = errors.New("moto_server exited at start")
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		m.err = errors.New("moto_server did not answer within 60 s")
	}()
	return m
}

// backend waits for moto and prepares the table on it.
func (m *motoServer) backend(ctx context.Context) (*backend, error) {
	<-m.ready
	if m.err != nil {
		return nil, m.err
	}
	db := localdynamo.NewClient(m.url)
	if err := dynamo.CreateTable(ctx, db, tableName); err != nil {
		return nil, fmt.Errorf("create table on moto: %w", err)
	}
	b := &backend{name: "moto", url: m.url, db: db, close: func() {}}
	return b, b.seed(ctx)
}

// seed loads the demo seed (production hash parameters) and the harness's setup user (cheap hash).
func (b *backend) seed(ctx context.Context) error {
	demo, err := seed.ParseBytes(seed.Demo)
	if err != nil {
		return err
	}
	demo.Users = append(demo.Users, seed.User{
		Email: setupEmail, Name: "Bench", Password: setupPassword, Mobile: setupMobile,
		Applications: []string{demoApp, demoMFAApp},
	})
	store := dynamo.New(b.db, tableName)
	// Demo users with the production parameters, the setup user with cheap ones.
	hasher := seedHasher{real: password.New(password.Default), cheap: password.New(cheapParams)}
	return demo.Load(ctx, store, &hasher, time.Now())
}

type seedHasher struct{ real, cheap *password.Hasher }

func (h *seedHasher) Hash(pw string) (string, error) {
	if pw == setupPassword {
		return h.cheap.Hash(pw)
	}
	return h.real.Hash(pw)
}

// functionEnv is the deployment's environment as the template sets it: DynamoDB at dynamoURL,
// SNS and SES at the harness's stand-in, nothing from this machine's AWS setup.
func functionEnv(dynamoURL, notifyURL string) []string {
	return []string{
		"TABLE_NAME=" + tableName,
		"CODE_HMAC_SECRET=" + hmacSecret,
		"SES_SENDER=" + sesSender,
		"MFA_SENDS_PER_HOUR=" + strconv.Itoa(sendsPerHour),
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=bench",
		"AWS_SECRET_ACCESS_KEY=bench",
		"AWS_ENDPOINT_URL=" + notifyURL,
		"AWS_ENDPOINT_URL_DYNAMODB=" + dynamoURL,
		"AWS_ENDPOINT_URL_SNS=" + notifyURL,
		"AWS_ENDPOINT_URL_SES=" + notifyURL,
		"AWS_CONFIG_FILE=/nonexistent/bench-aws-config",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent/bench-aws-credentials",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// notifyStub stands in for SNS Publish and SES SendEmail on loopback: it answers as they do and
// counts the messages. It keeps the MFA routes measurable without AWS, and the same for both backends.
type notifyStub struct {
	url  string
	srv  *http.Server
	sent atomic.Int64
}

func startNotifyStub() (*notifyStub, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &notifyStub{url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(s.serve)}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *notifyStub) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := uuid.NewString()
	w.Header().Set("Content-Type", "text/xml")
	switch r.PostForm.Get("Action") {
	case "Publish":
		s.sent.Add(1)
		fmt.Fprintf(w, "<PublishResponse><PublishResult><MessageId>%s</MessageId></PublishResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></PublishResponse>", id, id)
	case "SendEmail":
		s.sent.Add(1)
		fmt.Fprintf(w, "<SendEmailResponse><SendEmailResult><MessageId>%s</MessageId></SendEmailResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></SendEmailResponse>", id, id)
	default:
		w.WriteHeader(http.StatusBadRequest)
		type errResp struct {
			XMLName xml.Name `xml:"ErrorResponse"`
			Code    string   `xml:"Error>Code"`
			Message string   `xml:"Error>Message"`
		}
		_ = xml.NewEncoder(w).Encode(errResp{Code: "InvalidAction", Message: "the bench stub serves Publish and SendEmail only"})
	}
}

func (s *notifyStub) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// setup is an in-process service over a backend's table, with the functions' secret and policy,
// that makes the challenges and tokens the timed routes consume. It is never timed.
type setup struct {
	store    *dynamo.Store
	hasher   *password.Hasher
	svc      *auth.Service
	apps     *auth.Applications
	users    *auth.Users
	accounts *auth.Accounts
	sender   *captureSender
	shift    atomic.Int64 // added to the clock: a challenge made an hour ago is past its resend cooldown
}

func newSetup(b *backend) *setup {
	store, hasher := dynamo.New(b.db, tableName), password.New(password.Default)
	s := &setup{store: store, hasher: hasher, sender: &captureSender{}}
	policy := auth.DefaultPolicy
	policy.SendsPerHour = sendsPerHour
	log := slog.New(slog.DiscardHandler)
	s.svc = auth.NewService(auth.Deps{
		Store: store, Hasher: hasher,
		SMS: s.sender, Email: s.sender, Secret: []byte(hmacSecret), Policy: policy,
		Clock: func() time.Time { return time.Now().Add(time.Duration(s.shift.Load())) },
		Log:   log,
	})
	s.apps = auth.NewApplications(store, nil, uuid.NewString, log)
	// The production hasher: a password the setup sets is verified by a timed route.
	s.users = auth.NewUsers(auth.UsersDeps{Store: store, Hasher: hasher, NewID: uuid.NewString, Log: log,
		Passwords: auth.PasswordPolicy{Guessable: strength.Judge}})
	s.accounts = auth.NewAccounts(s.users, s.svc, store, nil, auth.Links{})
	return s
}

// benchAdmin is who the setup acts as.
var benchAdmin = auth.Session{UserID: "bench", Admin: true}

// user creates a user without a password, the i-th of a run, and returns its userId.
func (s *setup) user(ctx context.Context, i int) (string, error) {
	v, err := s.users.CreatePending(ctx, benchAdmin, auth.NewUser{
		Email: fmt.Sprintf("bench-%d-%d@example.com", time.Now().UnixNano(), i), Name: "Bench", Applications: []string{demoApp},
	})
	return v.User.ID, err
}

// accountUser creates a Pending user of both demo applications, without a password, for the
// account routes that set one.
func (s *setup) accountUser(ctx context.Context) (auth.User, error) {
	v, err := s.users.CreatePending(ctx, benchAdmin, auth.NewUser{
		Email: fmt.Sprintf("bench-account-%d@example.com", time.Now().UnixNano()), Name: "Bench",
		Applications: []string{demoApp, demoMFAApp},
	})
	return v.User, err
}

// ticket has the user sent a reset ticket for the application with the url and returns it.
func (s *setup) ticket(ctx context.Context, userID, url string) (string, error) {
	if err := s.accounts.ResetPassword(ctx, benchAdmin, userID, url); err != nil {
		return "", err
	}
	return s.sender.ticket()
}

// signedIn gives the user the password by a ticket of the application without MFA and returns the
// auth token that answers it.
func (s *setup) signedIn(ctx context.Context, u auth.User, pw string) (string, error) {
	ticket, err := s.ticket(ctx, u.ID, demoURL)
	if err != nil {
		return "", err
	}
	set, err := s.accounts.ChangePassword(ctx, ticket, pw, "")
	if err != nil {
		return "", err
	}
	return set.Login.Token, nil
}

// passwordOf is which of the passwords the user has, as stored.
func (s *setup) passwordOf(ctx context.Context, userID string, passwords ...string) (int, error) {
	u, err := s.store.GetUserByID(ctx, userID)
	if err != nil {
		return 0, err
	}
	for i, pw := range passwords {
		if ok, err := s.hasher.Verify(pw, u.PasswordHash); err == nil && ok {
			return i, nil
		}
	}
	return 0, errors.New("the user has none of the passwords")
}

// secret issues a secret of the MFA demo application (the one the client-credentials events name).
func (s *setup) secret(ctx context.Context) (string, error) {
	return s.apps.IssueSecret(ctx, benchAdmin, demoMFAApp)
}

// application creates an application, the i-th of a run, and returns its appId.
func (s *setup) application(ctx context.Context, i int) (string, error) {
	app, err := s.apps.Create(ctx, benchAdmin, auth.Application{
		Name: fmt.Sprintf("Bench delete %d", i), URL: fmt.Sprintf("bench-delete-%d-%d.localhost", time.Now().UnixNano(), i),
	})
	return app.ID, err
}

// token logs the setup user in to the application without MFA and returns the auth token.
func (s *setup) token(ctx context.Context) (string, error) {
	res, err := s.svc.Login(ctx, auth.LoginInput{Email: setupEmail, Password: setupPassword, App: auth.AppRef{ID: demoApp}})
	if err != nil {
		return "", err
	}
	return res.Token, nil
}

// challenge logs the setup user in to the application with MFA, ago in the past, and returns the
// MFA token and the code sent.
func (s *setup) challenge(ctx context.Context, ago time.Duration) (string, string, error) {
	s.shift.Store(int64(-ago))
	defer s.shift.Store(0)
	res, err := s.svc.Login(ctx, auth.LoginInput{Email: setupEmail, Password: setupPassword, App: auth.AppRef{ID: demoMFAApp}})
	if err != nil {
		return "", "", err
	}
	if res.MFA == nil {
		return "", "", errors.New("setup login: no challenge")
	}
	return res.MFA.Token, s.sender.code(), nil
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// ticketLink is the ticket in an invitation's or a reset's link.
var ticketLink = regexp.MustCompile(fmt.Sprintf(`[?&]ticket=([A-Za-z0-9_-]{%d})(?:[^A-Za-z0-9_-]|$)`, auth.TicketLen))

type captureSender struct {
	mu   sync.Mutex
	last string
}

func (c *captureSender) Send(_ context.Context, m auth.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = m.Body
	return nil
}

func (c *captureSender) Name() string { return "BenchOutbox" }

func (c *captureSender) code() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return sixDigits.FindString(c.last)
}

// ticket is the ticket of the link in the last message.
func (c *captureSender) ticket() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := ticketLink.FindStringSubmatch(c.last)
	if m == nil {
		return "", fmt.Errorf("no ticket link in the last message: %q", c.last)
	}
	return m[1], nil
}
