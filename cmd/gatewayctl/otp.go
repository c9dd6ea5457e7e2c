package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"mfagateway/shared/auth"
	"mfagateway/shared/config"
)

// The operator's part of authenticator apps: removing a user's app (a lost phone) and giving a user
// new recovery codes, through the same second-factor service as the API.

func userOTPRemove(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, factors, err := emailAndFactors(ctx, c, fs, args)
	if err != nil {
		return err
	}
	removed, err := factors.RemoveFor(ctx, operator, email)
	if err != nil {
		return userFailure(err, email, "")
	}
	if removed {
		fmt.Fprintf(c.stdout, "%s: authenticator app and recovery codes removed; logins go by SMS or email\n", email)
	} else {
		fmt.Fprintf(c.stdout, "%s: no authenticator app\n", email)
	}
	return nil
}

// userRecoveryReset prints the new recovery codes on stdout alone, one a line, so that they can be
// handed to the user without landing in a log.
func userRecoveryReset(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	email, factors, err := emailAndFactors(ctx, c, fs, args)
	if err != nil {
		return err
	}
	codes, err := factors.ResetRecoveryCodesFor(ctx, operator, email)
	if errors.Is(err, auth.ErrNoAuthenticatorApp) {
		return fmt.Errorf("%s has no confirmed authenticator app: recovery codes belong to one", email)
	}
	if err != nil {
		return userFailure(err, email, "")
	}
	for _, code := range codes {
		fmt.Fprintln(c.stdout, code)
	}
	return nil
}

// emailAndFactors parses a command whose one argument is an email and opens the second-factor
// service, which needs the functions' server secret (CODE_HMAC_SECRET): recovery codes are kept as
// an HMAC under a key derived from it.
func emailAndFactors(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) (string, *auth.SecondFactors, error) {
	email, err := oneEmail(fs, args)
	if err != nil {
		return "", nil, err
	}
	cfg, err := config.Load(c.getenv, config.Need{Secret: true})
	if err != nil {
		return "", nil, usagef("", "%v (the functions' server secret: recovery codes are kept as an HMAC under it)", err)
	}
	store, err := c.open(ctx)
	if err != nil {
		return "", nil, err
	}
	svc := auth.NewService(auth.Deps{Store: store, Secret: cfg.Secret, Clock: c.now, Policy: cfg.Policy})
	return email, auth.NewSecondFactors(svc, store, nil, nil), nil
}
