package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/localdynamo"
	"mfagateway/shared/password"
	"mfagateway/shared/password/strength"
	"mfagateway/shared/phone"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command was understood but could not be done (unknown user, url taken, AWS error)
	exitUsage   = 2 // the command line or stdin was wrong; nothing was written to the table
)

// command is one subcommand, e.g. "user create".
type command struct {
	name     string
	synopsis string // arguments, after the name
	summary  string
	run      func(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error
}

func commands() []command {
	return []command{
		{"app create", "--name NAME --url URL [--unique-identifier ID] [--mfa] [--culture-info TAG] [--phone-country-code CODE]\n" +
			"      [--authenticators OTP,SMS,Email] [--sms-countries NL,BE|all] [--allowed-origins ORIGINS]",
			"Create an application and print its new appId. The url must not be another application's.", appCreate},
		{"app list", "", "List every application: appId, name, url and whether MFA is on.", appList},
		{"app set", "APP_ID [--culture-info TAG|none] [--phone-country-code CODE|none] [--authenticators OTP,SMS,Email] [--sms-countries NL,BE|all]\n" +
			"      [--allowed-origins ORIGINS|none]",
			"Change an application's locale, second-factor properties and allowed origins for its next logins; what is not given stays.", appSet},
		{"app mfa", "APP_ID on|off", "Turn multi-factor authentication on or off for an application's next logins.", appMFA},
		{"app secret", "APP_ID", "Issue a new secret of an application (its ClientSecret) and print it once, to stdout. " +
			"The application keeps its two newest secrets; the oldest of them stops working.", appSecret},
		{"user create", "--email EMAIL --name NAME [--mobile +31612345678] [--admin] [--app APP_ID]...",
			"Create a user and print the new userId. The password is read from stdin (one line), never from the command line.", userCreate},
		{"user show", "EMAIL", "Show a user (never the password hash) and its failed-login state.", userShow},
		{"user set-mobile", "EMAIL NUMBER|none", "Save the mobile number that binding codes go to by SMS, or clear it with none. Give the country code: +31612345678.", userSetMobile},
		{"user set-email", "EMAIL NEW_EMAIL", "Move a user to a new email (its login name).", userSetEmail},
		{"user add-app", "EMAIL APP_ID", "Let a user log in to an application.", userAddApp},
		{"user remove-app", "EMAIL APP_ID", "Stop a user logging in to an application.", userRemoveApp},
		{"user admin", "EMAIL on|off", "Make a user an admin (may manage every application), or not.", userAdmin},
		{"user list", "", "List the users: email, status, admin and applications.", userList},
		{"user block", "EMAIL", "Block a user: no login, and none of its auth tokens works any more.", userBlock},
		{"user unblock", "EMAIL", "Forget a user's failed passwords and set a blocked user back to Activated.", userUnblock},
		{"user backfill", "", "Give every user stored before users had a copy by userId its copy, so that its tokens work and it is listed.", userBackfill},
		{"user unlock", "EMAIL", "Forget an email's failed passwords, lifting a temporary login lock.", userUnlock},
		{"user delete", "EMAIL", "Delete a user; its email is free again at once.", userDelete},
		{"user otp remove", "EMAIL", "Remove a user's authenticator app and its recovery codes (a lost phone); logins go back to SMS or email. Needs CODE_HMAC_SECRET.", userOTPRemove},
		{"user recovery reset", "EMAIL", "Give a user a fresh set of recovery codes and print them once, to stdout; the old set stops working. Needs CODE_HMAC_SECRET.", userRecoveryReset},
	}
}

// cli is one invocation: its streams, the table it works on, and the services over it, opened on
// first use. Every command acts through the services, never the store, so an operator meets the same
// rules as any other caller.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	table          string
	endpoint       string
	store          *dynamo.Store
}

// operator is who the services see acting: an admin, since table access is the operator's credential.
var operator = auth.Session{UserID: "gatewayctl", Admin: true}

// run executes one command line (without the program name).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now, table: getenv("TABLE_NAME")}
	top := flag.NewFlagSet("gatewayctl", flag.ContinueOnError)
	top.SetOutput(io.Discard)
	c.connectionFlags(top)
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			programUsage(stdout)
			return nil
		}
		return usagef("", "%v", err)
	}
	args = top.Args()
	if len(args) == 0 {
		return usagef("", "no command given")
	}
	if args[0] == "help" {
		if len(args) == 1 {
			programUsage(stdout)
			return nil
		}
		// help COMMAND is COMMAND -h: the command prints its usage and stops before doing anything.
		args = append(args[1:len(args):len(args)], "-h")
	}
	cmd, rest, err := lookup(args)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("gatewayctl "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.connectionFlags(fs)
	fs.Usage = func() { commandUsage(stdout, cmd, fs) }
	err = cmd.run(ctx, c, fs, rest)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	var u *usageError
	if errors.As(err, &u) && u.cmd == "" {
		u.cmd = cmd.name
	}
	return err
}

// connectionFlags are accepted before the command and among its own flags.
func (c *cli) connectionFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.table, "table", c.table, "DynamoDB table (default: $TABLE_NAME)")
	fs.StringVar(&c.endpoint, "endpoint", c.endpoint,
		"DynamoDB endpoint URL needing no real credentials (moto, the embedded engine); region us-east-1.\n"+
			"Without it, the usual AWS configuration from the environment applies (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL...)")
}

// lookup finds the command named by the first one or two words.
func lookup(args []string) (command, []string, error) {
	var groups []string
	for _, cmd := range commands() {
		group, name, _ := strings.Cut(cmd.name, " ")
		if group != args[0] {
			continue
		}
		// A name may be more than one word ("otp remove"): each must follow.
		words := strings.Fields(name)
		if len(args) > len(words) && slices.Equal(args[1:1+len(words)], words) {
			return cmd, args[1+len(words):], nil
		}
		groups = append(groups, name)
	}
	if len(groups) == 0 {
		return command{}, nil, usagef("", "unknown command %q", args[0])
	}
	if len(args) == 1 {
		return command{}, nil, usagef("", "%s: name a command: %s", args[0], strings.Join(groups, ", "))
	}
	return command{}, nil, usagef("", "%s: unknown command %q; the commands are %s", args[0], args[1], strings.Join(groups, ", "))
}

// errHelpShown ends a command whose usage was asked for (-h) and printed.
var errHelpShown = errors.New("help shown")

// parse parses a command's flags, which may come before, between or after its arguments, and
// requires exactly the named arguments.
func parse(fs *flag.FlagSet, args []string, names ...string) ([]string, error) {
	// The flag package prints the usage on every error; only -h should, and report says the rest.
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, errHelpShown
			}
			return nil, usagef("", "%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) != len(names) {
		if len(names) == 0 {
			return nil, usagef("", "unexpected argument %q", pos[0])
		}
		return nil, usagef("", "want %d argument(s), %s; got %d", len(names), strings.Join(names, " "), len(pos))
	}
	return pos, nil
}

// usageError is a wrong command line or input; nothing has been written to the table.
type usageError struct {
	cmd string // the command whose usage applies; empty for the program's
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usagef(cmd, format string, a ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, a...)}
}

// report prints err for the operator and returns the exit code.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "gatewayctl: %v\n", err)
	var u *usageError
	if !errors.As(err, &u) {
		return exitFailure
	}
	if u.cmd == "" {
		fmt.Fprintln(stderr, "Run 'gatewayctl help' for usage.")
	} else {
		fmt.Fprintf(stderr, "Run 'gatewayctl help %s' for usage.\n", u.cmd)
	}
	return exitUsage
}

func programUsage(w io.Writer) {
	fmt.Fprint(w, `gatewayctl manages the MFA login gateway's applications and users in its DynamoDB table.

Usage:
  gatewayctl [--table TABLE] [--endpoint URL] COMMAND [ARGS]
  gatewayctl help [COMMAND]

The table is $TABLE_NAME unless --table names one. Without --endpoint the usual AWS configuration
from the environment applies; --endpoint URL talks to a DynamoDB-compatible endpoint that needs no
real credentials (moto, the embedded engine), in us-east-1.

Commands:
`)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-16s %s\n", cmd.name, firstSentence(cmd.summary))
	}
	fmt.Fprint(w, `
Exit status: 0 done, 1 failed (unknown user or application, url or email taken, AWS error),
2 wrong command line or input (nothing was written).
`)
}

func commandUsage(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: gatewayctl %s %s\n\n%s\n\nFlags:\n", cmd.name, cmd.synopsis, cmd.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// open returns the store over the table, once the command line has been checked.
func (c *cli) open(ctx context.Context) (*dynamo.Store, error) {
	if c.store != nil {
		return c.store, nil
	}
	db, err := c.client(ctx)
	if err != nil {
		return nil, err
	}
	c.store = dynamo.New(db, c.table)
	return c.store, nil
}

// users is the users service over the table, holding new passwords to the policy the functions hold
// them to, PASSWORD_MIN_LENGTH included.
func (c *cli) users(ctx context.Context) (*auth.Users, error) {
	policy, err := config.LoadPolicy(c.getenv)
	if err != nil {
		return nil, usagef("", "%v", err)
	}
	store, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	return auth.NewUsers(auth.UsersDeps{
		Store: store, Hasher: password.New(password.Default), Mobile: phone.Parse, NewID: uuid.NewString, Clock: c.now,
		Passwords: auth.PasswordPolicy{MinLength: policy.PasswordMinLength, Guessable: strength.Judge},
	}), nil
}

// applications is the application service over the table.
func (c *cli) applications(ctx context.Context) (*auth.Applications, error) {
	store, err := c.open(ctx)
	if err != nil {
		return nil, err
	}
	return auth.NewApplications(store, c.now, uuid.NewString, nil), nil
}

func (c *cli) client(ctx context.Context) (*dynamodb.Client, error) {
	if c.table == "" {
		return nil, usagef("", "no table: set TABLE_NAME or pass --table")
	}
	if c.endpoint != "" {
		u, err := url.Parse(c.endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("", "--endpoint %q is not an http(s) URL", c.endpoint)
		}
		return localdynamo.NewClient(c.endpoint), nil
	}
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return dynamodb.NewFromConfig(cfg), nil
}

// Argument checks. Each returns a usage error naming what is wrong.

func checkEmail(what, raw string) (string, error) {
	email, err := auth.ParseEmail(raw)
	if err != nil {
		return "", usagef("", "%s %q is not an email address", what, raw)
	}
	return email, nil
}

func checkAppID(raw string) (string, error) {
	id := strings.TrimSpace(raw)
	if _, err := uuid.Parse(id); err != nil {
		return "", usagef("", "%q is not an appId (a UUID)", raw)
	}
	return id, nil
}

func checkSwitch(raw string) (bool, error) {
	switch strings.ToLower(raw) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, usagef("", "%q: want on or off", raw)
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
