package auth_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"mfagateway/shared/auth"
)

// loginFrom logs in as a client at the address ip.
func (f *fixture) loginFrom(ip, email, pw string) (auth.LoginResult, error) {
	return f.svc.Login(f.Ctx, auth.LoginInput{Email: email, Password: pw, App: auth.AppRef{ID: appPlain}, SourceIP: ip})
}

// wantChecked fails unless the login's password was checked: a token for the right one, invalid
// credentials for a wrong one.
func (f *fixture) wantChecked(t *testing.T, what string, res auth.LoginResult, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, auth.ErrInvalidCredentials) || err == nil && res.Token == "" {
		t.Fatalf("%s: %+v, %v; want the password checked", what, res, err)
	}
}

// wantBackoff fails unless the login was refused for the wait.
func wantBackoff(t *testing.T, what string, err error, wait time.Duration) {
	t.Helper()
	var rate *auth.RateLimitError
	if !errors.As(err, &rate) || rate.RetryAfter != wait {
		t.Fatalf("%s: %v, want a backoff of %s", what, err, wait)
	}
}

// networkFailures is the stored count of the email's failed passwords from network (0 when none).
func (f *fixture) networkFailures(t *testing.T, email string, network auth.Network) int {
	t.Helper()
	item := f.Item(t, "LOGINNET#"+email+"#"+string(network))
	if item == nil {
		return 0
	}
	var n int
	fmt.Sscan(numberAttr(t, item, "failures"), &n)
	return n
}

// accountFailures is the account's failed logins as the users API shows them.
func (f *fixture) accountFailures(t *testing.T, email string) int {
	t.Helper()
	a, err := f.Store.GetLoginAttempts(f.Ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	return a.FailedLogins(f.Clock.Now())
}

func TestNetworkOf(t *testing.T) {
	tests := []struct {
		addr string
		want auth.Network
	}{
		{"203.0.113.10", "203.0.113.0/24"},
		{"203.0.113.255", "203.0.113.0/24"},
		{"127.0.1.1", "127.0.1.0/24"},
		{" 198.51.100.7 ", "198.51.100.0/24"},
		{"::ffff:203.0.113.10", "203.0.113.0/24"}, // IPv4 written as IPv6
		{"203.0.113.10:4711", "203.0.113.0/24"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:DB8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"[2001:db8::1]:443", "2001:db8::/64"},
		{"", auth.UnknownNetwork},
		{"not an address", auth.UnknownNetwork},
		{"203.0.113", auth.UnknownNetwork},
		{"2001:db8::/64", auth.UnknownNetwork},
	}
	for _, tt := range tests {
		if got := auth.NetworkOf(tt.addr); got != tt.want {
			t.Errorf("NetworkOf(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

// Five wrong passwords from one network back that network off, the right password included, while the
// owner logs in from another network. The backoff ends; the next password from the network is checked,
// and a right one forgets the network's count.
func TestLockoutBacksOffOneNetwork(t *testing.T) {
	f := newFixture(t)
	for i := range auth.DefaultPolicy.LoginMaxFailures {
		res, err := f.loginFrom("127.0.1.1", graceEmail, "wrong")
		f.wantChecked(t, fmt.Sprintf("wrong password %d from 127.0.1.1", i+1), res, err)
	}
	_, err := f.loginFrom("127.0.1.77", graceEmail, gracePass)
	wantBackoff(t, "right password from the same /24", err, time.Second)
	res, err := f.loginFrom("127.0.2.1", graceEmail, gracePass)
	f.wantChecked(t, "the owner from 127.0.2.1", res, err)
	if res.Token == "" {
		t.Fatal("the owner from 127.0.2.1 got no token")
	}

	f.Clock.Advance(time.Second)
	res, err = f.loginFrom("127.0.1.1", graceEmail, gracePass)
	f.wantChecked(t, "right password from 127.0.1.1 after the backoff", res, err)
	if n := f.networkFailures(t, graceEmail, "127.0.1.0/24"); n != 0 {
		t.Errorf("127.0.1.0/24's count after its success = %d, want forgotten", n)
	}
	res, err = f.loginFrom("127.0.1.1", graceEmail, "wrong")
	f.wantChecked(t, "wrong password from 127.0.1.1 after its success", res, err)
}

// A success forgets its own network's count only: the other network's failures stay, and so do the
// account's failures of the hour (the success takes only its own attempt back).
func TestLockoutSuccessForgetsItsNetworkOnly(t *testing.T) {
	f := newFixture(t)
	const a, b = "192.0.2.1", "198.51.100.1"
	for range 4 {
		for _, ip := range []string{a, b} {
			res, err := f.loginFrom(ip, graceEmail, "wrong")
			f.wantChecked(t, "wrong password from "+ip, res, err)
		}
	}
	res, err := f.loginFrom(a, graceEmail, gracePass)
	f.wantChecked(t, "right password from "+a, res, err)
	if got := [2]int{f.networkFailures(t, graceEmail, auth.NetworkOf(a)), f.networkFailures(t, graceEmail, auth.NetworkOf(b))}; got != [2]int{0, 4} {
		t.Errorf("network counts after the success from %s = %v, want [0 4]", a, got)
	}
	if n := f.accountFailures(t, graceEmail); n != 8 {
		t.Errorf("account's failed logins after the success = %d, want the 8 failures of the hour", n)
	}
	// b is one failure from its backoff; a starts again.
	res, err = f.loginFrom(b, graceEmail, "wrong")
	f.wantChecked(t, "fifth wrong password from "+b, res, err)
	_, err = f.loginFrom(b, graceEmail, gracePass)
	wantBackoff(t, "right password from "+b+" after its fifth failure", err, time.Second)
	for i := range auth.DefaultPolicy.LoginMaxFailures - 1 {
		res, err := f.loginFrom(a, graceEmail, "wrong")
		f.wantChecked(t, fmt.Sprintf("wrong password %d from %s after its success", i+1, a), res, err)
	}
}

// Fifty failures an hour across networks back the account off everywhere, a new network and the right
// password included, with the same backoff as a network's; a lock never outlasts the clock hour, and the
// next hour counts afresh.
func TestLockoutAccountCeiling(t *testing.T) {
	f := newFixture(t)
	limit := auth.DefaultPolicy.LoginAccountMaxFailures
	network := 0
	next := func() string { network++; return fmt.Sprintf("10.%d.%d.1", network/256, network%256) }
	for i := range limit {
		res, err := f.loginFrom(next(), adaEmail, "wrong")
		f.wantChecked(t, fmt.Sprintf("wrong password %d", i+1), res, err)
	}
	_, err := f.loginFrom(next(), adaEmail, adaPassword)
	wantBackoff(t, "right password from a new network past the account's limit", err, time.Second)

	f.Clock.Advance(time.Second)
	res, err := f.loginFrom(next(), adaEmail, "wrong")
	f.wantChecked(t, "wrong password after the account's backoff", res, err)
	_, err = f.loginFrom(next(), adaEmail, adaPassword)
	wantBackoff(t, "right password after the second lock", err, 2*time.Second)
	if n := f.accountFailures(t, adaEmail); n != limit+1 {
		t.Errorf("account's failed logins = %d, want %d", n, limit+1)
	}

	// At 10:59:59 the next lock (4 s) is cut at the end of the hour.
	f.Clock.Set(t0.Add(time.Hour - time.Second))
	res, err = f.loginFrom(next(), adaEmail, "wrong")
	f.wantChecked(t, "wrong password a second before the hour ends", res, err)
	_, err = f.loginFrom(next(), adaEmail, adaPassword)
	wantBackoff(t, "right password under the lock cut at the hour's end", err, time.Second)

	f.Clock.Set(t0.Add(time.Hour))
	res, err = f.loginFrom(next(), adaEmail, adaPassword)
	f.wantChecked(t, "right password in the next hour", res, err)
	if res.Token == "" {
		t.Fatal("no token in the next hour")
	}
	if n := f.accountFailures(t, adaEmail); n != 0 {
		t.Errorf("account's failed logins in the next hour = %d, want 0", n)
	}
}

// An IPv6 client's network is its /64: addresses within one share a count, another /64 has its own.
// An IPv4 address written as IPv6 counts with its IPv4 network.
func TestLockoutGroupsIPv6By64(t *testing.T) {
	f := newFixture(t)
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:aaaa::1", "2001:db8:1:2::5", "2001:db8:1:2:ffff::7", "2001:db8:1:2::1"} {
		res, err := f.loginFrom(ip, graceEmail, "wrong")
		f.wantChecked(t, fmt.Sprintf("wrong password %d from %s", i+1, ip), res, err)
	}
	_, err := f.loginFrom("2001:db8:1:2:ffff:ffff:ffff:ffff", graceEmail, gracePass)
	wantBackoff(t, "right password from the same /64", err, time.Second)
	res, err := f.loginFrom("2001:db8:1:3::1", graceEmail, gracePass)
	f.wantChecked(t, "right password from the next /64", res, err)

	for i := range auth.DefaultPolicy.LoginMaxFailures {
		res, err := f.loginFrom("192.0.2.1", adaEmail, "wrong")
		f.wantChecked(t, fmt.Sprintf("wrong password %d from 192.0.2.1", i+1), res, err)
	}
	_, err = f.loginFrom("::ffff:192.0.2.99", adaEmail, adaPassword)
	wantBackoff(t, "right password from 192.0.2.99 written as IPv6", err, time.Second)
}

// guessesChecked is how many of the racing wrong passwords were checked (invalid credentials); the
// others must have been told to wait.
func guessesChecked(t *testing.T, errs []error) int {
	t.Helper()
	checked := 0
	for _, err := range errs {
		var rate *auth.RateLimitError
		switch {
		case errors.Is(err, auth.ErrInvalidCredentials):
			checked++
		case errors.As(err, &rate) && rate.RetryAfter > 0:
		default:
			t.Errorf("unexpected result: %v", err)
		}
	}
	return checked
}

// 50 wrong passwords at once from one network: exactly LOGIN_MAX_FAILURES are checked, the rest wait.
func TestRaceWrongPasswordsFromOneNetwork(t *testing.T) {
	f := newFixture(t, cryptoRandom())
	checked := guessesChecked(t, race(50, func(i int) error {
		_, err := f.loginFrom(fmt.Sprintf("127.0.1.%d", i+1), graceEmail, "wrong")
		return err
	}))
	if max := auth.DefaultPolicy.LoginMaxFailures; checked != max {
		t.Errorf("%d of 50 concurrent guesses from one network were checked, want exactly %d", checked, max)
	}
	if n := f.accountFailures(t, graceEmail); n != checked {
		t.Errorf("account's failed logins = %d, want the %d checked (refused attempts count nowhere)", n, checked)
	}
	res, err := f.loginFrom("127.0.2.1", graceEmail, gracePass)
	f.wantChecked(t, "the owner from another network after the burst", res, err)
}

// 60 wrong passwords at once from 60 networks: exactly LOGIN_ACCOUNT_MAX_FAILURES are checked.
func TestRaceWrongPasswordsFromManyNetworks(t *testing.T) {
	f := newFixture(t, cryptoRandom())
	const n = 60
	checked := guessesChecked(t, race(n, func(i int) error {
		_, err := f.loginFrom(fmt.Sprintf("10.0.%d.1", i), adaEmail, "wrong")
		return err
	}))
	if max := auth.DefaultPolicy.LoginAccountMaxFailures; checked != max {
		t.Errorf("%d of %d concurrent guesses from as many networks were checked, want exactly %d", checked, n, max)
	}
}

// A wrong old password of updatePassword counts like a login attempt: on the account, and on the
// network of the request (the unknown network's when it names none).
func TestUpdatePasswordCountsLikeALogin(t *testing.T) {
	f := newFixture(t)
	who := auth.Session{UserID: graceID, Email: graceEmail, Name: "Grace", AppID: appPlain}
	for i, from := range []string{"", "", "198.51.100.7"} {
		err := f.Accounts().UpdatePassword(f.Ctx, who, "not-grace's-password", "a brand new passphrase for grace", from)
		if !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("updatePassword %d with a wrong old password: %v, want invalid credentials", i+1, err)
		}
	}
	got := [3]int{f.accountFailures(t, graceEmail), f.networkFailures(t, graceEmail, auth.UnknownNetwork),
		f.networkFailures(t, graceEmail, auth.NetworkOf("198.51.100.7"))}
	if got != [3]int{3, 2, 1} {
		t.Errorf("account, unknown-network and 198.51.100.0/24 counts = %v, want [3 2 1]", got)
	}
}
