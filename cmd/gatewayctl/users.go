package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/password"
	"mfagateway/shared/phone"
)

// maxPasswordBytes bounds a password read from stdin, so that a file piped by mistake is refused.
const maxPasswordBytes = 1024

func userCreate(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	rawEmail := fs.String("email", "", "login email (required)")
	name := fs.String("name", "", "display name (required)")
	rawMobile := fs.String("mobile", "", "mobile number with country code, e.g. +31612345678; codes go by SMS when set, by email otherwise")
	admin := fs.Bool("admin", false, "make the user an admin (may manage every application)")
	var apps appIDs
	fs.Var(&apps, "app", "appId of an application the user may log in to; repeat for several")
	if _, err := parse(fs, args); err != nil {
		if strings.Contains(err.Error(), "defined: -pass") {
			return usagef("", "%v: passwords are read from stdin, never from the command line", err)
		}
		return err
	}
	email, err := checkEmail("--email", *rawEmail)
	if err != nil {
		return err
	}
	u := auth.User{ID: uuid.NewString(), Email: email, Name: strings.TrimSpace(*name), Admin: *admin, Applications: apps}
	if u.Name == "" {
		return usagef("", "--name is required")
	}
	if *rawMobile != "" {
		if u.Mobile, err = checkMobile(*rawMobile); err != nil {
			return err
		}
	}
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	// Check what can be checked before asking for the password; CreateUser checks it all again.
	for _, id := range u.Applications {
		if err := appExists(ctx, store, id); err != nil {
			return err
		}
	}
	if _, err := store.GetUser(ctx, email); err == nil {
		return fmt.Errorf("a user with email %s already exists", email)
	} else if !errors.Is(err, auth.ErrNotFound) {
		return err
	}
	secret, err := c.readPassword(email)
	if err != nil {
		return err
	}
	if u.PasswordHash, err = password.New(password.Default).Hash(secret); err != nil {
		return err
	}
	if err := store.CreateUser(ctx, u); errors.Is(err, dynamo.ErrUserExists) {
		return fmt.Errorf("a user with email %s already exists", email)
	} else if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, u.ID)
	return nil
}

// readPassword reads one line from stdin; on a terminal it prompts on stderr first. The typed
// password is echoed: the module has no terminal package to turn echo off.
func (c *cli) readPassword(email string) (string, error) {
	if f, ok := c.stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintf(c.stderr, "Password for %s (shown as you type): ", email)
		}
	}
	line, err := bufio.NewReader(io.LimitReader(c.stdin, maxPasswordBytes+2)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	if errors.Is(err, io.EOF) && len(line) > maxPasswordBytes {
		return "", usagef("", "password on stdin is longer than %d bytes", maxPasswordBytes)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	switch {
	case strings.TrimSpace(line) == "":
		return "", usagef("", "empty password refused: give the password on stdin, one line")
	case len(line) > maxPasswordBytes:
		return "", usagef("", "password on stdin is longer than %d bytes", maxPasswordBytes)
	}
	return line, nil
}

func userShow(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, "EMAIL")
	if err != nil {
		return err
	}
	email, err := checkEmail("email", pos[0])
	if err != nil {
		return err
	}
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	u, err := getUser(ctx, store, email)
	if err != nil {
		return err
	}
	attempts, err := store.GetLoginAttempts(ctx, email)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "userId\t%s\n", u.ID)
	fmt.Fprintf(w, "email\t%s\n", u.Email)
	fmt.Fprintf(w, "name\t%s\n", u.Name)
	fmt.Fprintf(w, "mobile\t%s\n", orNone(u.Mobile))
	fmt.Fprintf(w, "admin\t%s\n", yesNo(u.Admin))
	ids := slices.Sorted(slices.Values(u.Applications))
	if len(ids) == 0 {
		fmt.Fprintln(w, "applications\tnone")
	}
	for i, id := range ids {
		label := ""
		if i == 0 {
			label = "applications"
		}
		app, err := store.GetApplication(ctx, id)
		switch {
		case errors.Is(err, auth.ErrNotFound):
			fmt.Fprintf(w, "%s\t%s  (no such application)\n", label, id)
		case err != nil:
			return err
		default:
			fmt.Fprintf(w, "%s\t%s  %s (%s, MFA %s)\n", label, id, app.Name, app.URL, onOff(app.MFA))
		}
	}
	failed := fmt.Sprint(attempts.Failures)
	if now := c.now(); attempts.LockedUntil.After(now) {
		failed += fmt.Sprintf(", locked until %s", attempts.LockedUntil.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "failed logins\t%s\n", failed)
	return w.Flush()
}

func userSetMobile(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, "EMAIL", "NUMBER|none")
	if err != nil {
		return err
	}
	email, err := checkEmail("email", pos[0])
	if err != nil {
		return err
	}
	mobile := ""
	if !strings.EqualFold(pos[1], "none") {
		if mobile, err = checkMobile(pos[1]); err != nil {
			return err
		}
	}
	return c.changeUser(ctx, email, func(u *auth.User) string {
		if u.Mobile == mobile {
			return ""
		}
		u.Mobile = mobile
		return "mobile " + orNone(mobile)
	})
}

func userSetEmail(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, "EMAIL", "NEW_EMAIL")
	if err != nil {
		return err
	}
	from, err := checkEmail("email", pos[0])
	if err != nil {
		return err
	}
	to, err := checkEmail("new email", pos[1])
	if err != nil {
		return err
	}
	if from == to {
		return usagef("", "the new email is the current one")
	}
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		u, err := getUser(ctx, store, from)
		if err != nil {
			return err
		}
		err = store.ChangeEmail(ctx, u, to)
		switch {
		case err == nil:
			fmt.Fprintf(c.stdout, "user %s: email now %s\n", from, to)
			return nil
		case errors.Is(err, dynamo.ErrUserExists):
			return fmt.Errorf("a user with email %s already exists", to)
		case (errors.Is(err, auth.ErrConflict) || errors.Is(err, auth.ErrNotFound)) && try < maxTries:
			continue // read again: a concurrent change, or the user is gone (then getUser says so)
		case errors.Is(err, auth.ErrConflict):
			return fmt.Errorf("user %s keeps changing; try again", from)
		default:
			return err
		}
	}
}

func userAddApp(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, id, err := emailAndApp(fs, args)
	if err != nil {
		return err
	}
	// The existence check is repeated inside the write's transaction; this one gives the clear error early.
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	if err := appExists(ctx, store, id); err != nil {
		return err
	}
	return c.changeUser(ctx, email, func(u *auth.User) string {
		if u.MemberOf(id) {
			return ""
		}
		u.Applications = append(u.Applications, id)
		return "added to application " + id
	})
}

func userRemoveApp(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, id, err := emailAndApp(fs, args)
	if err != nil {
		return err
	}
	return c.changeUser(ctx, email, func(u *auth.User) string {
		if !u.MemberOf(id) {
			return ""
		}
		u.Applications = slices.DeleteFunc(u.Applications, func(a string) bool { return a == id })
		return "removed from application " + id
	})
}

func userAdmin(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, "EMAIL", "on|off")
	if err != nil {
		return err
	}
	email, err := checkEmail("email", pos[0])
	if err != nil {
		return err
	}
	on, err := checkSwitch(pos[1])
	if err != nil {
		return err
	}
	return c.changeUser(ctx, email, func(u *auth.User) string {
		if u.Admin == on {
			return ""
		}
		u.Admin = on
		return "admin " + onOff(on)
	})
}

func userUnlock(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, "EMAIL")
	if err != nil {
		return err
	}
	email, err := checkEmail("email", pos[0])
	if err != nil {
		return err
	}
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	// Failed passwords are counted per email whether or not a user has it, so no user is required.
	cleared, err := store.Unlock(ctx, email)
	if err != nil {
		return err
	}
	if cleared {
		fmt.Fprintf(c.stdout, "%s: failed logins cleared, not locked\n", email)
	} else {
		fmt.Fprintf(c.stdout, "%s: no failed logins recorded, not locked\n", email)
	}
	return nil
}

// changeUser applies edit to the stored user and writes it back, provided nobody changed the user in
// between; a concurrent change is retried on a fresh read. edit returns what it changed, or "" when
// the user is already as wanted (then nothing is written).
func (c *cli) changeUser(ctx context.Context, email string, edit func(u *auth.User) string) error {
	store, err := c.open(ctx)
	if err != nil {
		return err
	}
	for try := 1; ; try++ {
		prev, err := getUser(ctx, store, email)
		if err != nil {
			return err
		}
		next := prev
		next.Applications = slices.Clone(prev.Applications)
		what := edit(&next)
		if what == "" {
			fmt.Fprintf(c.stdout, "user %s: already so, nothing changed\n", email)
			return nil
		}
		err = store.UpdateUser(ctx, prev, next)
		var missing *dynamo.MissingApplicationError
		switch {
		case err == nil:
			fmt.Fprintf(c.stdout, "user %s: %s\n", email, what)
			return nil
		case errors.As(err, &missing):
			return missing
		case (errors.Is(err, auth.ErrConflict) || errors.Is(err, auth.ErrNotFound)) && try < maxTries:
			continue // read again: a concurrent change, or the user is gone (then getUser says so)
		case errors.Is(err, auth.ErrConflict):
			return fmt.Errorf("user %s keeps changing; try again", email)
		default:
			return err
		}
	}
}

func getUser(ctx context.Context, store *dynamo.Store, email string) (auth.User, error) {
	u, err := store.GetUser(ctx, email)
	if errors.Is(err, auth.ErrNotFound) {
		return auth.User{}, fmt.Errorf("no user has email %s", email)
	}
	return u, err
}

func appExists(ctx context.Context, store *dynamo.Store, id string) error {
	_, err := store.GetApplication(ctx, id)
	if errors.Is(err, auth.ErrNotFound) {
		return &dynamo.MissingApplicationError{ID: id}
	}
	return err
}

func emailAndApp(fs *flag.FlagSet, args []string) (string, string, error) {
	pos, err := parse(fs, args, "EMAIL", "APP_ID")
	if err != nil {
		return "", "", err
	}
	email, err := checkEmail("email", pos[0])
	if err != nil {
		return "", "", err
	}
	id, err := checkAppID(pos[1])
	return email, id, err
}

func checkMobile(raw string) (string, error) {
	m, err := phone.Normalize(raw)
	if err != nil {
		return "", usagef("", "mobile %q: %v", raw, err)
	}
	return m, nil
}

// appIDs is a repeatable --app flag.
type appIDs []string

func (a *appIDs) String() string { return strings.Join(*a, ",") }

func (a *appIDs) Set(raw string) error {
	id, err := checkAppID(raw)
	if err != nil {
		return err
	}
	if !slices.Contains(*a, id) {
		*a = append(*a, id)
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
