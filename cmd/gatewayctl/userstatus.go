package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"mfagateway/shared/auth"
	"mfagateway/shared/odata"
)

// userList prints the users of the list index, by email: the first auth.MaxListedUsers by creation,
// as the users API lists them.
func userList(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args); err != nil {
		return err
	}
	users, err := c.users(ctx)
	if err != nil {
		return err
	}
	page, err := users.ListPage(ctx, operator, odata.Query{Top: auth.MaxListedUsers, OrderBy: []odata.Order{{Property: "email"}}})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "EMAIL\tSTATUS\tADMIN\tAPPS")
	for _, v := range page.Users {
		apps := strings.Join(v.User.Applications, ",")
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.User.Email, v.User.State(), yesNo(v.User.Admin), orNone(apps))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if page.Capped {
		fmt.Fprintf(c.stderr, "only the first %d users by creation are listed\n", auth.MaxListedUsers)
	}
	return nil
}

// userBlock sets a user Blocked: no login, and none of its tokens works from then on.
func userBlock(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, users, err := emailOnly(ctx, c, fs, args)
	if err != nil {
		return err
	}
	u, err := users.Get(ctx, operator, email)
	if err != nil {
		return userFailure(err, email, "")
	}
	if u.State() == auth.StatusBlocked {
		fmt.Fprintf(c.stdout, "user %s: already blocked, nothing changed\n", email)
		return nil
	}
	blocked := auth.StatusBlocked
	if _, err := users.Change(ctx, operator, "block", u.ID, auth.UserPatch{Status: &blocked}); err != nil {
		return userFailure(err, email, "")
	}
	fmt.Fprintf(c.stdout, "user %s: blocked\n", email)
	return nil
}

// userUnblock is the users API's unblock: the failed passwords forgotten and a Blocked user Activated.
func userUnblock(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, users, err := emailOnly(ctx, c, fs, args)
	if err != nil {
		return err
	}
	u, err := users.Get(ctx, operator, email)
	if err == nil {
		err = users.Unblock(ctx, operator, u.ID)
	}
	if err != nil {
		return userFailure(err, email, "")
	}
	fmt.Fprintf(c.stdout, "user %s: unblocked, failed logins cleared\n", email)
	return nil
}

// userBackfill writes the copy by userId of each user stored without one.
func userBackfill(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args); err != nil {
		return err
	}
	users, err := c.users(ctx)
	if err != nil {
		return err
	}
	n, err := users.Backfill(ctx, operator)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "%d users copied\n", n)
	return nil
}
