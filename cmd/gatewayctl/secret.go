package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"mfagateway/shared/auth"
)

// appSecret issues a new secret of an application through the same service operation as getAppSecret,
// and prints it once, on stdout alone: stderr and the exit code tell the rest, so that the secret can
// be piped into a secret store without landing in a terminal's log.
func appSecret(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, "APP_ID")
	if err != nil {
		return err
	}
	id, err := checkAppID(pos[0])
	if err != nil {
		return err
	}
	apps, err := c.applications(ctx)
	if err != nil {
		return err
	}
	secret, err := apps.IssueSecret(ctx, operator, id)
	if err != nil {
		return noSuchApp(err, id)
	}
	fmt.Fprintln(c.stdout, secret)
	return nil
}

// noSuchApp words the service's ErrNotFound for the application id as an operator's message.
func noSuchApp(err error, id string) error {
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("no application has appId %s", id)
	}
	return err
}
