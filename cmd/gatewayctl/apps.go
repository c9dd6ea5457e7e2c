package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"mfagateway/shared/auth"
)

func appCreate(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	name := fs.String("name", "", "application name (required)")
	rawURL := fs.String("url", "", "the application's address, e.g. demo.iot.example.com/sub (required; unique;\n"+
		"a leading http:// or https://, letter case and one trailing / are ignored)")
	uniqueID := fs.String("unique-identifier", "", "the application's uniqueIdentifier")
	mfa := fs.Bool("mfa", false, "require a second factor at login (enableMultiFactorAuthentication)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	app := auth.Application{Name: strings.TrimSpace(*name), URL: auth.NormalizeURL(*rawURL), UniqueIdentifier: *uniqueID, MFA: *mfa}
	switch {
	case app.Name == "":
		return usagef("", "--name is required")
	case app.URL == "":
		return usagef("", "--url is required")
	case strings.ContainsAny(app.URL, " \t\r\n"):
		return usagef("", "--url %q contains white space", *rawURL)
	}
	apps, err := c.applications(ctx)
	if err != nil {
		return err
	}
	created, err := apps.Create(ctx, operator, app)
	if errors.Is(err, auth.ErrURLTaken) {
		return fmt.Errorf("url %s already belongs to another application", app.URL)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, created.ID)
	return nil
}

func appList(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args); err != nil {
		return err
	}
	svc, err := c.applications(ctx)
	if err != nil {
		return err
	}
	apps, err := svc.List(ctx, operator)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "APP ID\tNAME\tURL\tMFA")
	for _, a := range apps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.ID, a.Name, a.URL, onOff(a.MFA))
	}
	return w.Flush()
}

func appMFA(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, "APP_ID", "on|off")
	if err != nil {
		return err
	}
	id, err := checkAppID(pos[0])
	if err != nil {
		return err
	}
	on, err := checkSwitch(pos[1])
	if err != nil {
		return err
	}
	apps, err := c.applications(ctx)
	if err != nil {
		return err
	}
	// Patch reads, changes and writes back under the application's version, retrying a concurrent change.
	_, err = apps.Patch(ctx, operator, id, auth.ApplicationPatch{MFA: &on})
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("no application has appId %s", id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "application %s: MFA %s\n", id, onOff(on))
	return nil
}
