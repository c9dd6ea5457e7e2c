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

	"mfagateway/shared/auth"
	"mfagateway/shared/phone"
)

// maxPasswordBytes bounds a password read from stdin; the rule is the users service's.
const maxPasswordBytes = auth.MaxPasswordBytes

func userCreate(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	rawEmail := fs.String("email", "", "login email (required)")
	rawName := fs.String("name", "", "display name (required)")
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
	// The command line is checked before the table is touched; the service checks it all again.
	email, err := checkEmail("--email", *rawEmail)
	if err != nil {
		return err
	}
	name, err := auth.CheckName(*rawName)
	if err != nil {
		return usagef("", "--name is required")
	}
	mobile := ""
	if *rawMobile != "" {
		if mobile, err = checkMobile(*rawMobile); err != nil {
			return err
		}
	}
	users, err := c.users(ctx)
	if err != nil {
		return err
	}
	n := auth.NewUser{Email: email, Name: name, Mobile: mobile, Admin: *admin, Applications: apps}
	// Check what can be checked before asking for the password; Create's write checks it all again.
	if n, err = users.Check(ctx, operator, n); err != nil {
		return userFailure(err, email, email)
	}
	if n.Password, err = c.readPassword(email); err != nil {
		return err
	}
	u, err := users.Create(ctx, operator, n)
	if err != nil {
		return userFailure(err, email, email)
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
	tooLong := usagef("", "password on stdin is longer than %d bytes", maxPasswordBytes)
	if errors.Is(err, io.EOF) && len(line) > maxPasswordBytes {
		return "", tooLong
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	switch err := auth.CheckPassword(line); {
	case errors.Is(err, auth.ErrPasswordEmpty):
		return "", usagef("", "empty password refused: give the password on stdin, one line")
	case errors.Is(err, auth.ErrPasswordTooLong):
		return "", tooLong
	case err != nil:
		return "", usagef("", "password refused: %v", err)
	}
	return line, nil
}

func userShow(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, users, err := emailOnly(ctx, c, fs, args)
	if err != nil {
		return err
	}
	d, err := users.Show(ctx, operator, email)
	if err != nil {
		return userFailure(err, email, "")
	}
	u := d.User
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "userId\t%s\n", u.ID)
	fmt.Fprintf(w, "email\t%s\n", u.Email)
	fmt.Fprintf(w, "name\t%s\n", u.Name)
	fmt.Fprintf(w, "mobile\t%s\n", orNone(u.Mobile))
	fmt.Fprintf(w, "admin\t%s\n", yesNo(u.Admin))
	if len(d.Applications) == 0 {
		fmt.Fprintln(w, "applications\tnone")
	}
	for i, m := range d.Applications {
		label := ""
		if i == 0 {
			label = "applications"
		}
		if m.App == nil {
			fmt.Fprintf(w, "%s\t%s  (no such application)\n", label, m.ID)
		} else {
			fmt.Fprintf(w, "%s\t%s  %s (%s, MFA %s)\n", label, m.ID, m.App.Name, m.App.URL, onOff(m.App.MFA))
		}
	}
	failed := fmt.Sprint(d.Attempts.Failures)
	if now := c.now(); d.Attempts.LockedUntil.After(now) {
		failed += fmt.Sprintf(", locked until %s", d.Attempts.LockedUntil.UTC().Format(time.RFC3339))
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
	return c.changeUser(ctx, email, "mobile "+orNone(mobile), func(users *auth.Users) (bool, error) {
		return users.SetMobile(ctx, operator, email, mobile)
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
	users, err := c.users(ctx)
	if err != nil {
		return err
	}
	if err := users.ChangeEmail(ctx, operator, from, to); err != nil {
		return userFailure(err, from, to)
	}
	fmt.Fprintf(c.stdout, "user %s: email now %s\n", from, to)
	return nil
}

func userAddApp(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, id, err := emailAndApp(fs, args)
	if err != nil {
		return err
	}
	return c.changeUser(ctx, email, "added to application "+id, func(users *auth.Users) (bool, error) {
		return users.AddApplications(ctx, operator, email, id)
	})
}

func userRemoveApp(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, id, err := emailAndApp(fs, args)
	if err != nil {
		return err
	}
	return c.changeUser(ctx, email, "removed from application "+id, func(users *auth.Users) (bool, error) {
		return users.RemoveApplications(ctx, operator, email, id)
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
	return c.changeUser(ctx, email, "admin "+onOff(on), func(users *auth.Users) (bool, error) {
		return users.SetAdmin(ctx, operator, email, on)
	})
}

func userUnlock(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, users, err := emailOnly(ctx, c, fs, args)
	if err != nil {
		return err
	}
	cleared, err := users.Unlock(ctx, operator, email)
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

func userDelete(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, users, err := emailOnly(ctx, c, fs, args)
	if err != nil {
		return err
	}
	if err := users.Delete(ctx, operator, email); err != nil {
		return userFailure(err, email, "")
	}
	fmt.Fprintf(c.stdout, "user %s: deleted\n", email)
	return nil
}

// changeUser runs one change of the users service and says what it did: what, or that the user was
// already so and nothing was written.
func (c *cli) changeUser(ctx context.Context, email, what string, change func(*auth.Users) (bool, error)) error {
	users, err := c.users(ctx)
	if err != nil {
		return err
	}
	changed, err := change(users)
	if err != nil {
		return userFailure(err, email, "")
	}
	if !changed {
		what = "already so, nothing changed"
	}
	fmt.Fprintf(c.stdout, "user %s: %s\n", email, what)
	return nil
}

// userFailure words a refusal of the users service for the operator; taken is the email a refused
// create or move wanted.
func userFailure(err error, email, taken string) error {
	var (
		missing *auth.MissingApplicationError
		weak    *auth.WeakPasswordError
	)
	switch {
	case errors.As(err, &missing):
		return missing
	case errors.As(err, &weak): // exit 2: stdin was wrong, and nothing was written
		return usagef("", "password refused: it is %s; nothing was written", weak.Reason)
	case errors.Is(err, auth.ErrUserNotFound):
		return fmt.Errorf("no user has email %s", email)
	case errors.Is(err, auth.ErrUserExists):
		return fmt.Errorf("a user with email %s already exists", taken)
	case errors.Is(err, auth.ErrSameEmail):
		return usagef("", "the new email is the current one")
	case errors.Is(err, auth.ErrInvalidEmail), errors.Is(err, auth.ErrInvalidMobile), errors.Is(err, auth.ErrNameRequired):
		return usagef("", "%v", err) // the command line was checked already; kept for a rule the service adds
	case errors.Is(err, auth.ErrConflict):
		return fmt.Errorf("user %s keeps changing; try again", email)
	}
	return err
}

// emailOnly parses a command whose one argument is an email and opens the users service.
func emailOnly(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) (string, *auth.Users, error) {
	email, err := oneEmail(fs, args)
	if err != nil {
		return "", nil, err
	}
	users, err := c.users(ctx)
	return email, users, err
}

// oneEmail parses a command whose one argument is an email.
func oneEmail(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parse(fs, args, "EMAIL")
	if err != nil {
		return "", err
	}
	return checkEmail("email", pos[0])
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
