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
	props := newAppFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	app := auth.Application{Name: strings.TrimSpace(*name), URL: auth.NormalizeURL(*rawURL), UniqueIdentifier: *uniqueID, MFA: *mfa}
	props.patch(fs).Apply(&app) // what is left out takes its default in the service
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
		return propertyUsage(err)
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
	if _, err = apps.Patch(ctx, operator, id, auth.ApplicationPatch{MFA: &on}); err != nil {
		return noSuchApp(err, id)
	}
	fmt.Fprintf(c.stdout, "application %s: MFA %s\n", id, onOff(on))
	return nil
}

// appFlags are the flags of an application's second-factor and locale properties, shared by
// app create and app set.
type appFlags struct {
	cultureInfo, phoneCountryCode, authenticators, smsCountries, allowedOrigins *string
}

// The flag of each application property, for messages.
var propertyFlags = map[string]string{
	"cultureInfo":               "--culture-info",
	"phoneCountryCode":          "--phone-country-code",
	"multiFactorAuthenticators": "--authenticators",
	"smsCountries":              "--sms-countries",
	"allowedOrigins":            "--allowed-origins",
}

func newAppFlags(fs *flag.FlagSet) appFlags {
	return appFlags{
		cultureInfo:      fs.String("culture-info", "", "the application's cultureInfo, a BCP 47 language tag such as nl-NL (none for no tag)"),
		phoneCountryCode: fs.String("phone-country-code", "", "the application's phoneCountryCode (none for no code)"),
		authenticators: fs.String("authenticators", "", "the second factors allowed, comma-separated from "+auth.AuthenticatorNames()+
			"\n(default all three; without Email, codes never go by email)"),
		smsCountries: fs.String("sms-countries", "", "the countries whose numbers get codes by SMS, comma-separated ISO 3166-1\n"+
			"alpha-2 codes such as NL,BE; others get email (all for every country, the default)"),
		allowedOrigins: fs.String("allowed-origins", "", "the origins the hosted login page may post a token to, comma-separated,\n"+
			"such as https://app.example.com (none for none, the default)"),
	}
}

// patch is the properties whose flags were given, read as the applications service takes them; the
// service holds them to their rules.
func (f appFlags) patch(fs *flag.FlagSet) auth.ApplicationPatch {
	var p auth.ApplicationPatch
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "culture-info":
			v := none(*f.cultureInfo)
			p.CultureInfo = &v
		case "phone-country-code":
			v := none(*f.phoneCountryCode)
			p.PhoneCountryCode = &v
		case "authenticators":
			list := []auth.Channel{} // given, even empty: the service refuses an empty list
			for _, name := range commaList(*f.authenticators) {
				list = append(list, auth.Channel(name))
			}
			p.Authenticators = &list
		case "sms-countries":
			list := commaList(*f.smsCountries)
			if len(list) == 1 && strings.EqualFold(list[0], "all") {
				list = nil
			}
			p.SMSCountries = &list
		case "allowed-origins":
			list := commaList(*f.allowedOrigins)
			if len(list) == 1 && strings.EqualFold(list[0], "none") {
				list = nil
			}
			p.AllowedOrigins = &list
		}
	})
	return p
}

// none reads a flag where the word none clears the property.
func none(v string) string {
	if strings.EqualFold(strings.TrimSpace(v), "none") {
		return ""
	}
	return v
}

// commaList splits a flag's comma-separated list; an empty flag is an empty list.
func commaList(v string) []string {
	var list []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			list = append(list, item)
		}
	}
	return list
}

// propertyUsage words a property the service refused as a usage error naming its flag.
func propertyUsage(err error) error {
	var perr *auth.PropertyError
	if errors.As(err, &perr) {
		return usagef("", "%s: %s", propertyFlags[perr.Property], perr.Reason)
	}
	return err
}

func appSet(ctx context.Context, c *cli, fs *flag.FlagSet, args []string) error {
	props := newAppFlags(fs)
	pos, err := parse(fs, args, "APP_ID")
	if err != nil {
		return err
	}
	id, err := checkAppID(pos[0])
	if err != nil {
		return err
	}
	p := props.patch(fs)
	if p == (auth.ApplicationPatch{}) {
		return usagef("", "give at least one of --culture-info, --phone-country-code, --authenticators, --sms-countries and --allowed-origins")
	}
	apps, err := c.applications(ctx)
	if err != nil {
		return err
	}
	app, err := apps.Patch(ctx, operator, id, p)
	if err != nil {
		return propertyUsage(noSuchApp(err, id))
	}
	countries := strings.Join(app.SMSCountries, ",")
	if countries == "" { // an empty list sends SMS to every country
		countries = "all"
	}
	names := make([]string, len(app.Authenticators))
	for i, a := range app.Authenticators {
		names[i] = string(a)
	}
	fmt.Fprintf(c.stdout, "application %s: cultureInfo %s, phoneCountryCode %s, authenticators %s, SMS countries %s, allowed origins %s\n",
		id, orNone(app.CultureInfo), orNone(app.PhoneCountryCode), strings.Join(names, ","), countries, orNone(strings.Join(app.AllowedOrigins, ",")))
	return nil
}
