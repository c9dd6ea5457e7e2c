package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// The password attempts of the store contract: AdmitAttempt on the account's counter (LOGIN#<email>)
// and the network's (LOGINNET#<email>#<network>), and the writes that take a right password's attempt
// back (SettleAttempt, IssueToken, CreateChallenge).

// contractNetwork is the source network of the contract's password attempts; contractOtherNetwork is
// another one.
var (
	contractNetwork      = auth.NetworkOf("203.0.113.10")
	contractOtherNetwork = auth.NetworkOf("198.51.100.7")
)

// contractNetKey is the key of the email's counter from network.
func contractNetKey(email string, network auth.Network) string {
	return "LOGINNET#" + email + "#" + string(network)
}

// contractCounter is a counter item as stored, read behind the store's back: its state and ttl; ok is
// false when there is no item.
func contractCounter(t *testing.T, e storeEnv, pk string) (a auth.LoginAttempts, ttl int64, ok bool) {
	t.Helper()
	item := e.Item(t, pk)
	if item == nil {
		return auth.LoginAttempts{}, 0, false
	}
	if _, has := item["failures"]; has {
		a.Failures = int(contractN(t, item, "failures"))
	}
	if _, has := item["lockedUntil"]; has && contractN(t, item, "lockedUntil") != 0 {
		a.LockedUntil = time.UnixMilli(contractN(t, item, "lockedUntil"))
	}
	ttl = contractN(t, item, "ttl")
	a.Expires = time.Unix(ttl, 0)
	return a, ttl, true
}

// contractCounterIs checks the counter item under pk holds want, lock and expiry included.
func contractCounterIs(t *testing.T, e storeEnv, what, pk string, want auth.LoginAttempts) {
	t.Helper()
	got, _, ok := contractCounter(t, e, pk)
	switch {
	case !ok:
		t.Errorf("%s: no %s item, want %+v", what, pk, want)
	case got.Failures != want.Failures || !got.LockedUntil.Equal(want.LockedUntil) || !got.Expires.Equal(want.Expires):
		t.Errorf("%s: %s holds %+v, want %+v", what, pk, got, want)
	}
}

// contractNoCounter checks there is no counter item under pk.
func contractNoCounter(t *testing.T, e storeEnv, what, pk string) {
	t.Helper()
	if got, _, ok := contractCounter(t, e, pk); ok {
		t.Errorf("%s: %s holds %+v, want no item", what, pk, got)
	}
}

// contractPutCounter writes a counter item in state st behind the store's back.
func contractPutCounter(t *testing.T, e storeEnv, pk string, st auth.LoginAttempts) {
	t.Helper()
	item := map[string]types.AttributeValue{
		"pk":       &types.AttributeValueMemberS{Value: pk},
		"failures": &types.AttributeValueMemberN{Value: strconv.Itoa(st.Failures)},
		"ttl":      &types.AttributeValueMemberN{Value: strconv.FormatInt(st.Expires.Unix(), 10)},
	}
	if !st.LockedUntil.IsZero() {
		item["lockedUntil"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(st.LockedUntil.UnixMilli(), 10)}
	}
	if _, err := e.Raw.PutItem(e.Ctx, &dynamodb.PutItemInput{TableName: &e.Table, Item: item}); err != nil {
		t.Fatalf("put %s: %v", pk, err)
	}
}

// contractCounted is what a counter in state st holds once rule r has counted an attempt on it.
func contractCounted(st auth.LoginAttempts, r auth.AttemptRule) auth.LoginAttempts {
	switch r.Mode {
	case auth.CountLocking:
		return auth.LoginAttempts{Failures: r.Failures + 1, LockedUntil: r.Until, Expires: r.Expires}
	case auth.CountAfresh:
		return auth.LoginAttempts{Failures: 1, LockedUntil: r.Until, Expires: r.Expires}
	}
	return auth.LoginAttempts{Failures: st.Failures + 1, LockedUntil: st.LockedUntil, Expires: r.Expires}
}

// contractAttemptRule holds the store's counting conditions to auth.AttemptRule.Admits, state by state
// and rule by rule, on either counter: the store admits exactly when the rule does, a refusal carries
// the refusing counter's state and writes nothing on either counter, and an admitted attempt leaves
// both counters counted as the rule says.
func contractAttemptRule(t *testing.T, e storeEnv) {
	now := contractNow()
	fresh := now.Add(time.Hour).Truncate(time.Second)
	stale := now.Add(-time.Minute).Truncate(time.Second)
	expires := now.Add(2 * time.Hour).Truncate(time.Second)
	lock := now.Add(time.Minute)
	states := []struct {
		name    string
		st      auth.LoginAttempts
		present bool
	}{
		{"none", auth.LoginAttempts{}, false},
		{"fresh, none counted", auth.LoginAttempts{Expires: fresh}, true},
		{"fresh, 2", auth.LoginAttempts{Failures: 2, Expires: fresh}, true},
		{"fresh, 3", auth.LoginAttempts{Failures: 3, Expires: fresh}, true},
		{"fresh, 4", auth.LoginAttempts{Failures: 4, Expires: fresh}, true},
		{"fresh, below zero", auth.LoginAttempts{Failures: -1, Expires: fresh}, true},
		{"stale, none counted", auth.LoginAttempts{Expires: stale}, true},
		{"stale, 2", auth.LoginAttempts{Failures: 2, Expires: stale}, true},
		{"stale, below zero", auth.LoginAttempts{Failures: -1, Expires: stale}, true},
		{"expiring this second, 2", auth.LoginAttempts{Failures: 2, Expires: now.Truncate(time.Second)}, true},
		{"locked, 2", auth.LoginAttempts{Failures: 2, LockedUntil: lock, Expires: fresh}, true},
		{"locked, 3", auth.LoginAttempts{Failures: 3, LockedUntil: lock, Expires: fresh}, true},
		{"lock ended, 3", auth.LoginAttempts{Failures: 3, LockedUntil: now.Add(-time.Second), Expires: fresh}, true},
		{"lock ends now, 3", auth.LoginAttempts{Failures: 3, LockedUntil: now, Expires: fresh}, true},
	}
	later := now.Add(2 * time.Minute)
	rules := []struct {
		name string
		r    auth.AttemptRule
	}{
		{"below 3", auth.AttemptRule{Mode: auth.CountBelow, Below: 3, Expires: expires}},
		{"below 0", auth.AttemptRule{Mode: auth.CountBelow, Below: 0, Expires: expires}},
		{"locking at 3", auth.AttemptRule{Mode: auth.CountLocking, Failures: 3, Until: later, Expires: expires}},
		{"locking at 0", auth.AttemptRule{Mode: auth.CountLocking, Failures: 0, Until: later, Expires: expires}},
		{"afresh from the stale expiry", auth.AttemptRule{Mode: auth.CountAfresh, Stale: stale, Expires: expires}},
		{"afresh from the stale expiry, locking", auth.AttemptRule{Mode: auth.CountAfresh, Stale: stale, Until: later, Expires: expires}},
		{"afresh from another expiry", auth.AttemptRule{Mode: auth.CountAfresh, Stale: fresh, Expires: expires}},
	}
	anything := auth.AttemptRule{Mode: auth.CountBelow, Below: 1000, Expires: expires}
	n := 0
	for _, side := range []string{"account", "network"} {
		for _, s := range states {
			for _, r := range rules {
				n++
				a := auth.PasswordAttempt{Email: "rule" + strconv.Itoa(n) + "@example.com", Network: contractNetwork}
				pk, otherPK := "LOGIN#"+a.Email, contractNetKey(a.Email, a.Network)
				account, network := r.r, anything
				if side == "network" {
					pk, otherPK = otherPK, pk
					account, network = anything, r.r
				}
				what := fmt.Sprintf("%s %s, rule %s", side, s.name, r.name)
				if s.present {
					contractPutCounter(t, e, pk, s.st)
				}
				adm, err := e.Store.AdmitAttempt(t.Context(), a, now, account, network)
				if err != nil {
					t.Fatalf("%s: AdmitAttempt: %v", what, err)
				}
				want := r.r.Admits(s.st, now)
				if adm.Admitted != want {
					t.Errorf("%s: admitted = %v, the domain's rule says %v", what, adm.Admitted, want)
					continue
				}
				refused, other := adm.Account, adm.Network
				if side == "network" {
					refused, other = other, refused
				}
				if want {
					contractCounterIs(t, e, what+", counted", pk, contractCounted(s.st, r.r))
					contractCounterIs(t, e, what+", the other counter", otherPK, auth.LoginAttempts{Failures: 1, Expires: expires})
					continue
				}
				switch {
				case refused == nil:
					t.Errorf("%s: refused without the refusing counter's state", what)
				case refused.Failures != s.st.Failures || !refused.LockedUntil.Equal(s.st.LockedUntil) || !refused.Expires.Equal(s.st.Expires):
					t.Errorf("%s: refusal state %+v, want %+v", what, *refused, s.st)
				}
				if other != nil {
					t.Errorf("%s: the other counter, whose rule held, came back as %+v", what, *other)
				}
				if s.present {
					contractCounterIs(t, e, what+", refused", pk, s.st)
				} else {
					contractNoCounter(t, e, what+", refused", pk)
				}
				contractNoCounter(t, e, what+", the other counter of a refused attempt", otherPK)
			}
		}
	}
}

// contractAttemptBoth: an attempt counts on the account's counter and its network's, or on neither;
// a refusal names the counter that refused; counters are per email and per network.
func contractAttemptBoth(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	expires := now.Add(time.Hour).Truncate(time.Second)
	below := func(n int) auth.AttemptRule {
		return auth.AttemptRule{Mode: auth.CountBelow, Below: n, Expires: expires}
	}
	a := auth.PasswordAttempt{Email: contractEmail, Network: contractNetwork}
	accountPK, networkPK := "LOGIN#"+a.Email, contractNetKey(a.Email, a.Network)

	for i := range 3 {
		adm, err := e.Store.AdmitAttempt(ctx, a, now, below(1000), below(3))
		if err != nil || !adm.Admitted {
			t.Fatalf("attempt #%d = %+v, %v; want admitted", i+1, adm, err)
		}
	}
	contractCounterIs(t, e, "after 3 attempts", accountPK, auth.LoginAttempts{Failures: 3, Expires: expires})
	contractCounterIs(t, e, "after 3 attempts", networkPK, auth.LoginAttempts{Failures: 3, Expires: expires})

	// The network's rule refuses: the account does not count the attempt either.
	adm, err := e.Store.AdmitAttempt(ctx, a, now, below(1000), below(3))
	if err != nil || adm.Admitted || adm.Network == nil || adm.Account != nil {
		t.Fatalf("attempt past the network's limit = %+v, %v; want refused by the network alone", adm, err)
	}
	contractSameAttempts(t, "network's refusal state", *adm.Network, auth.LoginAttempts{Failures: 3})
	contractCounterIs(t, e, "after the network's refusal", accountPK, auth.LoginAttempts{Failures: 3, Expires: expires})

	// The account's rule refuses: the network does not count it.
	other := auth.PasswordAttempt{Email: a.Email, Network: contractOtherNetwork}
	adm, err = e.Store.AdmitAttempt(ctx, other, now, below(3), below(1000))
	if err != nil || adm.Admitted || adm.Account == nil || adm.Network != nil {
		t.Fatalf("attempt past the account's limit = %+v, %v; want refused by the account alone", adm, err)
	}
	contractSameAttempts(t, "account's refusal state", *adm.Account, auth.LoginAttempts{Failures: 3})
	contractNoCounter(t, e, "after the account's refusal", contractNetKey(a.Email, other.Network))

	// Both refuse: the refusal carries at least one of them (DynamoDB reports every failed condition,
	// an engine may stop at the first), each as stored.
	adm, err = e.Store.AdmitAttempt(ctx, a, now, below(3), below(3))
	if err != nil || adm.Admitted || (adm.Account == nil && adm.Network == nil) {
		t.Fatalf("attempt past both limits = %+v, %v; want refused with a state", adm, err)
	}
	for _, st := range []*auth.LoginAttempts{adm.Account, adm.Network} {
		if st != nil {
			contractSameAttempts(t, "refusal state past both limits", *st, auth.LoginAttempts{Failures: 3})
		}
	}

	// Another network of the email has a count of its own and shares the account's.
	if adm, err := e.Store.AdmitAttempt(ctx, other, now, below(1000), below(3)); err != nil || !adm.Admitted {
		t.Fatalf("attempt from another network = %+v, %v; want admitted", adm, err)
	}
	contractCounterIs(t, e, "another network", contractNetKey(a.Email, other.Network), auth.LoginAttempts{Failures: 1, Expires: expires})
	contractCounterIs(t, e, "the account after another network's attempt", accountPK, auth.LoginAttempts{Failures: 4, Expires: expires})
	contractCounterIs(t, e, "the first network after another network's attempt", networkPK, auth.LoginAttempts{Failures: 3, Expires: expires})

	// Another email from the same network has counts of its own.
	bob := auth.PasswordAttempt{Email: "bob@example.com", Network: contractNetwork}
	if adm, err := e.Store.AdmitAttempt(ctx, bob, now, below(1), below(1)); err != nil || !adm.Admitted {
		t.Fatalf("attempt of another email = %+v, %v; want admitted", adm, err)
	}
	contractCounterIs(t, e, "another email's account", "LOGIN#"+bob.Email, auth.LoginAttempts{Failures: 1, Expires: expires})
	contractCounterIs(t, e, "another email's network", contractNetKey(bob.Email, bob.Network), auth.LoginAttempts{Failures: 1, Expires: expires})
}

// contractAttemptConcurrent: racing attempts below a limit get exactly the limit's counts, whichever
// counter sets the limit, and the refused ones count on neither counter.
func contractAttemptConcurrent(t *testing.T, e storeEnv) {
	const n, below = 30, 4
	now := contractNow()
	expires := now.Add(time.Hour)
	limited := auth.AttemptRule{Mode: auth.CountBelow, Below: below, Expires: expires}
	free := auth.AttemptRule{Mode: auth.CountBelow, Below: 1000, Expires: expires}
	// race runs the attempts at once, the network's counter limited (or else the account's), and returns
	// the admitted ones.
	race := func(t *testing.T, attempt func(i int) auth.PasswordAttempt, networkLimited bool) []int {
		account, network := free, limited
		if !networkLimited {
			account, network = limited, free
		}
		t.Helper()
		adms := make([]auth.Admission, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				adms[i], errs[i] = e.Store.AdmitAttempt(context.Background(), attempt(i), now, account, network)
			})
		}
		wg.Wait()
		var won []int
		for i, err := range errs {
			switch {
			case err != nil:
				t.Errorf("attempt #%d: %v", i, err)
			case adms[i].Admitted:
				won = append(won, i)
			default:
				// Refused only once the limit was reached, so every refusal saw exactly below failures.
				st := adms[i].Network
				if !networkLimited {
					st = adms[i].Account
				}
				if st == nil {
					t.Errorf("attempt #%d refused without the limited counter's state: %+v", i, adms[i])
					continue
				}
				contractSameAttempts(t, fmt.Sprintf("refusal state of attempt #%d", i), *st, auth.LoginAttempts{Failures: below})
			}
		}
		if len(won) != below {
			t.Errorf("%d of %d racing attempts below %d were admitted, want exactly %d", len(won), n, below, below)
		}
		return won
	}

	t.Run("one network", func(t *testing.T) {
		a := auth.PasswordAttempt{Email: "net@example.com", Network: contractNetwork}
		race(t, func(int) auth.PasswordAttempt { return a }, true)
		contractCounterIs(t, e, "the network after the race", contractNetKey(a.Email, a.Network), auth.LoginAttempts{Failures: below, Expires: time.Unix(expires.Unix(), 0)})
		contractCounterIs(t, e, "the account after the race", "LOGIN#"+a.Email, auth.LoginAttempts{Failures: below, Expires: time.Unix(expires.Unix(), 0)})
	})
	t.Run("many networks", func(t *testing.T) {
		const email = "account@example.com"
		network := func(i int) auth.Network { return auth.NetworkOf(fmt.Sprintf("192.0.%d.1", i)) }
		won := race(t, func(i int) auth.PasswordAttempt { return auth.PasswordAttempt{Email: email, Network: network(i)} }, false)
		contractCounterIs(t, e, "the account after the race", "LOGIN#"+email, auth.LoginAttempts{Failures: below, Expires: time.Unix(expires.Unix(), 0)})
		for i := range n {
			_, _, counted := contractCounter(t, e, contractNetKey(email, network(i)))
			if admitted := slices.Contains(won, i); counted != admitted {
				t.Errorf("network of attempt #%d counted = %v, admitted = %v", i, counted, admitted)
			}
		}
	})
}

// contractAttemptLockingConcurrent: racers that all read the same count and bring their own lock;
// exactly one counts and locks, and the others see its lock.
func contractAttemptLockingConcurrent(t *testing.T, e storeEnv) {
	const n, prior = 20, 3
	now := contractNow()
	a := auth.PasswordAttempt{Email: contractEmail, Network: contractNetwork}
	e.CountAttempts(t, a, now, prior)
	untils := make([]time.Time, n)
	for i := range untils {
		untils[i] = now.Add(time.Duration(i+1) * time.Second)
	}
	free := auth.AttemptRule{Mode: auth.CountBelow, Below: 1000, Expires: now.Add(time.Hour)}
	adms := make([]auth.Admission, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			locking := auth.AttemptRule{Mode: auth.CountLocking, Failures: prior, Until: untils[i], Expires: now.Add(time.Hour)}
			adms[i], errs[i] = e.Store.AdmitAttempt(context.Background(), a, now, locking, free)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err != nil:
			t.Errorf("locking attempt #%d: %v", i, err)
		case adms[i].Admitted && winner >= 0:
			t.Errorf("locking attempt #%d admitted after #%d already was", i, winner)
		case adms[i].Admitted:
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no racing locking attempt was admitted, want exactly 1")
	}
	want := auth.LoginAttempts{Failures: prior + 1, LockedUntil: untils[winner]}
	for i := range n {
		if !adms[i].Admitted && errs[i] == nil {
			if adms[i].Account == nil {
				t.Errorf("locking attempt #%d refused without the account's state", i)
				continue
			}
			contractSameAttempts(t, fmt.Sprintf("refusal state of locking attempt #%d", i), *adms[i].Account, want)
		}
	}
	contractStored(t, e, "after the race", contractEmail, want)
}

// contractSettleAttempt: a right password's attempt is taken back: its network's count is forgotten,
// the account's count loses that one attempt and keeps its lock; other networks' and emails' counts
// stay. An attempt without a network settles nothing.
func contractSettleAttempt(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	a := auth.PasswordAttempt{Email: contractEmail, Network: contractNetwork}
	until := now.Add(time.Minute)
	contractCount(t, e, a.Email, now, 2)
	e.CountAttempts(t, auth.PasswordAttempt{Email: a.Email, Network: contractOtherNetwork}, now, 2)
	contractLock(t, e, a.Email, now, 4, until)
	contractCount(t, e, "bystander@example.com", now, 2)
	_, ttl, _ := contractLogin(t, e, a.Email)

	if err := e.Store.SettleAttempt(ctx, auth.PasswordAttempt{Email: a.Email}, now); err != nil {
		t.Fatalf("SettleAttempt without a network: %v", err)
	}
	contractStored(t, e, "after settling no attempt", a.Email, auth.LoginAttempts{Failures: 5, LockedUntil: until})

	if err := e.Store.SettleAttempt(ctx, a, now); err != nil {
		t.Fatalf("SettleAttempt: %v", err)
	}
	contractNoCounter(t, e, "the settled network", contractNetKey(a.Email, a.Network))
	contractCounterIs(t, e, "another network", contractNetKey(a.Email, contractOtherNetwork),
		auth.LoginAttempts{Failures: 2, Expires: time.Unix(now.Add(24*time.Hour).Unix(), 0)})
	contractCounterIs(t, e, "the account", "LOGIN#"+a.Email, auth.LoginAttempts{Failures: 4, LockedUntil: until, Expires: time.Unix(ttl, 0)})
	contractStored(t, e, "bystander", "bystander@example.com", auth.LoginAttempts{Failures: 2})

	// The account's count was forgotten meanwhile (an unblock): the attempt taken back leaves a count
	// below zero, which is no failed login, and an item that is swept.
	if _, err := e.Store.Unlock(ctx, a.Email); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SettleAttempt(ctx, auth.PasswordAttempt{Email: a.Email, Network: contractOtherNetwork}, now); err != nil {
		t.Fatalf("SettleAttempt after the unlock: %v", err)
	}
	got, err := e.Store.GetLoginAttempts(ctx, a.Email)
	if err != nil || got.Failures != -1 || got.Expires.IsZero() || got.FailedLogins(now) != 0 {
		t.Errorf("account after settling a forgotten count = %+v (failed logins %d), %v; want -1 with an expiry, 0 failed logins",
			got, got.FailedLogins(now), err)
	}
	contractNoCounter(t, e, "the other network, settled", contractNetKey(a.Email, contractOtherNetwork))
}

func contractIssueToken(t *testing.T, e storeEnv) {
	now := contractNow()
	tests := []struct {
		name  string
		prior int          // failed attempts counted before the login's own
		lock  bool         // and the account locked by the login's attempt
		from  auth.Network // the login's network; empty for a sign-in without a password attempt
	}{
		{"no failures before", 0, false, contractNetwork},
		{"failures before", 2, false, contractNetwork},
		{"account locked", 2, true, contractNetwork},
		{"no password attempt", 2, false, ""},
	}
	// Another email's attempts, and another network's, are not the token's to settle.
	contractCount(t, e, "bystander@example.com", now, 2)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			tok := contractToken(t, now)
			tok.Email = "issue" + strconv.Itoa(i) + "@example.com"
			a := auth.PasswordAttempt{Email: tok.Email, Network: contractNetwork}
			e.CountAttempts(t, auth.PasswordAttempt{Email: tok.Email, Network: contractOtherNetwork}, now, 1)
			contractCount(t, e, tok.Email, now, tt.prior)
			account := auth.LoginAttempts{Failures: tt.prior + 1} // and the login's own attempt
			if tt.lock {
				account.LockedUntil = now.Add(time.Minute)
				e.LockAccount(t, a, now, tt.prior+1, account.LockedUntil)
			} else {
				contractCount(t, e, tok.Email, now, 1)
			}
			account.Failures++
			if tt.from != "" {
				account.Failures-- // the login's attempt, taken back
			}
			if err := e.Store.IssueToken(ctx, tok, tt.from); err != nil {
				t.Fatalf("IssueToken: %v", err)
			}
			item := e.Item(t, "TOKEN#"+tok.ID)
			if item == nil {
				t.Fatal("token not stored")
			}
			if contractS(item, "userId") != tok.UserID || contractS(item, "appId") != tok.AppID ||
				contractN(t, item, "expiresAt") != tok.ExpiresAt.UnixMilli() {
				t.Errorf("token item = %v", item)
			}
			contractStored(t, e, "the account", tok.Email, account)
			if tt.from != "" {
				contractNoCounter(t, e, "the login's network", contractNetKey(tok.Email, contractNetwork))
			} else if _, _, ok := contractCounter(t, e, contractNetKey(tok.Email, contractNetwork)); !ok {
				t.Error("a sign-in without a password attempt forgot the network's count")
			}
			if _, _, ok := contractCounter(t, e, contractNetKey(tok.Email, contractOtherNetwork)); !ok {
				t.Error("IssueToken forgot another network's count")
			}
			// A token ID is written once. A second write of the same fresh 256-bit ID can only be the
			// SDK retrying a write whose answer was lost: it reports success, overwrites nothing and
			// settles no attempt counted since (once any lock is over).
			contractCount(t, e, tok.Email, now.Add(time.Hour), 1)
			again := tok
			again.UserID = "someone-else"
			if err := e.Store.IssueToken(ctx, again, tt.from); err != nil {
				t.Errorf("IssueToken retried with its own ID: %v, want success", err)
			}
			if got := contractS(e.Item(t, "TOKEN#"+tok.ID), "userId"); got != tok.UserID {
				t.Errorf("token overwritten: userId = %q", got)
			}
			account.Failures++
			contractStored(t, e, "after a refused IssueToken", tok.Email, account)
			if _, _, ok := contractCounter(t, e, contractNetKey(tok.Email, contractNetwork)); !ok {
				t.Error("a refused IssueToken forgot the network's count")
			}
		})
	}
	contractStored(t, e, "bystander", "bystander@example.com", auth.LoginAttempts{Failures: 2})
}

func contractCreateChallenge(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	c := contractChallenge(t, now)
	slot := contractSlot(c.UserID, now, 10)
	until := now.Add(time.Minute)
	contractCount(t, e, c.Email, now, 2)
	e.CountAttempts(t, auth.PasswordAttempt{Email: c.Email, Network: contractOtherNetwork}, now, 1)
	contractLock(t, e, c.Email, now, 3, until) // the login's attempt
	contractCount(t, e, "bystander@example.com", now, 2)
	if err := e.Store.CreateChallenge(ctx, c, slot, contractNetwork); err != nil {
		t.Fatalf("CreateChallenge: %v", err)
	}
	contractSame(t, "stored challenge", contractGet(t, e, c.ID), c)
	if got := contractSends(t, e, slot); got != 1 {
		t.Errorf("sends counted = %d, want 1", got)
	}
	// The login's attempt is taken back in the same transaction: its network's count goes, the account
	// keeps the other failures and its lock; another network's and another email's stay.
	contractNoCounter(t, e, "the login's network", contractNetKey(c.Email, contractNetwork))
	contractStored(t, e, "the account", c.Email, auth.LoginAttempts{Failures: 3, LockedUntil: until})
	if _, _, ok := contractCounter(t, e, contractNetKey(c.Email, contractOtherNetwork)); !ok {
		t.Error("CreateChallenge forgot another network's count")
	}
	contractStored(t, e, "bystander", "bystander@example.com", auth.LoginAttempts{Failures: 2})

	// Without a password attempt (a password set by ticket) the challenge is stored all the same, the
	// slot counts on, and no count changes.
	c2 := contractChallenge(t, now)
	if err := e.Store.CreateChallenge(ctx, c2, slot, ""); err != nil {
		t.Fatalf("CreateChallenge without a password attempt: %v", err)
	}
	contractSame(t, "second stored challenge", contractGet(t, e, c2.ID), c2)
	contractStored(t, e, "the account after a challenge without an attempt", c.Email, auth.LoginAttempts{Failures: 3, LockedUntil: until})
	if got := contractSends(t, e, slot); got != 2 {
		t.Errorf("sends counted = %d, want 2", got)
	}
	item := e.Item(t, "SENDS#"+slot.UserID+"#"+strconv.FormatInt(slot.Window.Unix()/3600, 10))
	if got := contractN(t, item, "ttl"); got != slot.ExpiresAt.Unix() {
		t.Errorf("slot ttl = %d, want %d", got, slot.ExpiresAt.Unix())
	}

	// An existing ID can only be the SDK retrying this request's own write whose answer was lost: it
	// reports success, overwrites nothing, counts no second send and settles no attempt counted since
	// (counted once the lock is over).
	contractCount(t, e, c.Email, until, 1)
	dup := c
	dup.CodeHash = contractCodeHash("222222")
	if err := e.Store.CreateChallenge(ctx, dup, slot, contractNetwork); err != nil {
		t.Errorf("CreateChallenge retried with its own ID: %v, want success", err)
	}
	if got := contractGet(t, e, c.ID).CodeHash; got != c.CodeHash {
		t.Error("existing challenge overwritten")
	}
	if got := contractSends(t, e, slot); got != 2 {
		t.Errorf("sends counted = %d after a refused create, want 2", got)
	}
	contractStored(t, e, "after a refused create", c.Email, auth.LoginAttempts{Failures: 4, LockedUntil: until})
	if _, _, ok := contractCounter(t, e, contractNetKey(c.Email, contractNetwork)); !ok {
		t.Error("a refused create forgot the network's count")
	}
}

func contractCreateChallengeSendCap(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	slot := contractSlot(contractUserID, now, 2)
	for i := range 2 {
		if err := e.Store.CreateChallenge(ctx, contractChallenge(t, now), slot, ""); err != nil {
			t.Fatalf("CreateChallenge #%d: %v", i+1, err)
		}
	}
	contractCount(t, e, contractEmail, now, 1)
	over := contractChallenge(t, now)
	err := e.Store.CreateChallenge(ctx, over, slot, contractNetwork)
	contractErrIs(t, "CreateChallenge past the cap", err, auth.ErrSendLimit)
	_, err = e.Store.GetChallenge(ctx, over.ID)
	contractErrIs(t, "refused challenge", err, auth.ErrChallengeGone)
	if got := contractSends(t, e, slot); got != 2 {
		t.Errorf("sends counted = %d, want 2", got)
	}
	// The refused transaction settles nothing.
	contractStored(t, e, "after a refused CreateChallenge", contractEmail, auth.LoginAttempts{Failures: 1})
	if _, _, ok := contractCounter(t, e, contractNetKey(contractEmail, contractNetwork)); !ok {
		t.Error("a refused CreateChallenge forgot the network's count")
	}
	// Another user, and the next hour, have their own slots.
	if err := e.Store.CreateChallenge(ctx, over, contractSlot("user-bob", now, 2), ""); err != nil {
		t.Errorf("CreateChallenge for another user: %v", err)
	}
	if err := e.Store.CreateChallenge(ctx, contractChallenge(t, now), contractSlot(contractUserID, now.Add(time.Hour), 2), ""); err != nil {
		t.Errorf("CreateChallenge in the next hour: %v", err)
	}
}
