package dynamo_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
)

// contractStep is the step of a wrong code of c that needs no read, in a run of the challenge's own
// (cases share the contract email) and with a limit no case reaches: the cases about challenges leave
// the user's run out of the way.
func contractStep(c auth.Challenge) auth.WrongCodeStep {
	return auth.WrongCodeStep{Email: "run-" + c.ID[:16] + "@example.com", UserID: c.UserID, Below: auth.SecondFactorLock}
}

// contractRunCases are the cases of the user's run of wrong codes; contractCases lists them.
func contractRunCases() []contractCase {
	return []contractCase{
		{"CountAttempt counts the user's run across challenges", contractRunCounted},
		{"CountAttempt from a run seen", contractRunExactStep},
		{"CountAttempt refused by the run counts nothing", contractRunRefuses},
		{"CountAttempt: a run of another user counts as none", contractRunOtherUser},
		{"run rule: the store decides as the domain", contractWrongCodesRule},
		{"Consume ends the run", contractRunConsumed},
		{"LoadLogin reads the run", contractRunLoaded},
		{"UnblockUser and SetPassword end the run", contractRunForgotten},
	}
}

// contractRunChallenge stores a live challenge of a user of its own, whose run is the case's alone.
func contractRunChallenge(t *testing.T, e storeEnv, now time.Time) auth.Challenge {
	t.Helper()
	c := contractChallenge(t, now)
	c.UserID = "user-" + contractID(t)[:12]
	c.Email = c.UserID + "@example.com"
	contractCreate(t, e, c)
	return c
}

// contractFastStep is the step of a wrong code of c that needs no read, below limit.
func contractFastStep(c auth.Challenge, limit int) auth.WrongCodeStep {
	return auth.WrongCodeStep{Email: c.Email, UserID: c.UserID, Below: limit - 1}
}

// contractPutRun stores a run under email.
func contractPutRun(t *testing.T, e storeEnv, email string, run auth.WrongCodes) {
	t.Helper()
	item, err := attributevalue.MarshalMap(map[string]any{
		"pk": "MFAFAIL#" + email, "userId": run.UserID, "failures": run.Failures, "lockedUntil": contractMS(run.LockedUntil),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Raw.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &e.Table, Item: item}); err != nil {
		t.Fatalf("put run: %v", err)
	}
}

func contractMS(at time.Time) int64 {
	if at.IsZero() {
		return 0
	}
	return at.UnixMilli()
}

// contractRun is the run stored under email, read behind the store's back; zero when none.
func contractRun(t *testing.T, e storeEnv, email string) auth.WrongCodes {
	t.Helper()
	item := e.Item(t, "MFAFAIL#"+email)
	if item == nil {
		return auth.WrongCodes{}
	}
	if _, ok := item["ttl"]; ok {
		t.Errorf("the run of %s has a ttl: time must not end a run of consecutive failures", email)
	}
	run := auth.WrongCodes{UserID: contractS(item, "userId"), Failures: int(contractN(t, item, "failures"))}
	if ms := contractN(t, item, "lockedUntil"); ms != 0 {
		run.LockedUntil = time.UnixMilli(ms)
	}
	return run
}

func contractSameRun(t *testing.T, what string, got, want auth.WrongCodes) {
	t.Helper()
	if got.UserID != want.UserID || got.Failures != want.Failures || !got.LockedUntil.Equal(want.LockedUntil) {
		t.Errorf("%s: run %+v, want %+v", what, got, want)
	}
}

// contractChanged is err as a *ChangedError, failing the test otherwise.
func contractChanged(t *testing.T, what string, err error) *auth.ChangedError {
	t.Helper()
	var changed *auth.ChangedError
	if !errors.As(err, &changed) {
		t.Fatalf("%s: %v, want a *ChangedError", what, err)
	}
	return changed
}

// contractRunCounted: wrong codes of two challenges of one user count in one run, with their
// challenges' attempts; the wrong code that would reach the limit is refused unread, the run it found
// returned, and nothing counted.
func contractRunCounted(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	const limit = 4
	a := contractRunChallenge(t, e, now)
	b := contractChallenge(t, now)
	b.UserID, b.Email = a.UserID, a.Email
	contractCreate(t, e, b)
	for i, c := range []*auth.Challenge{&a, &b, &a} {
		if err := e.Store.CountAttempt(ctx, *c, "", now, contractMaxAttempts, contractFastStep(*c, limit)); err != nil {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
		c.Attempts++
	}
	contractSameRun(t, "after three wrong codes", contractRun(t, e, a.Email), auth.WrongCodes{UserID: a.UserID, Failures: 3})
	err := e.Store.CountAttempt(ctx, b, "", now, contractMaxAttempts, contractFastStep(b, limit))
	changed := contractChanged(t, "the wrong code that reaches the limit, unread", err)
	if changed.Challenge != nil || changed.Run == nil {
		t.Fatalf("changed %+v, want the run alone", changed)
	}
	contractSameRun(t, "the run returned", *changed.Run, auth.WrongCodes{UserID: a.UserID, Failures: 3})
	if got := contractGet(t, e, b.ID).Attempts; got != 1 {
		t.Errorf("b's attempts = %d after the refusal, want 1", got)
	}
	contractSameRun(t, "after the refusal", contractRun(t, e, a.Email), auth.WrongCodes{UserID: a.UserID, Failures: 3})
}

// contractRunExactStep: a step from the run seen writes its next run, backoff included, only over
// exactly that run; from any other it is refused with the run as stored.
func contractRunExactStep(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	c := contractRunChallenge(t, e, now)
	seen := auth.WrongCodes{UserID: c.UserID, Failures: 9}
	contractPutRun(t, e, c.Email, seen)
	next := auth.WrongCodes{UserID: c.UserID, Failures: 10, LockedUntil: now.Add(time.Minute)}

	stale := auth.WrongCodes{UserID: c.UserID, Failures: 8}
	err := e.Store.CountAttempt(ctx, c, "", now, contractMaxAttempts, auth.WrongCodeStep{Email: c.Email, UserID: c.UserID, From: &stale, To: next})
	changed := contractChanged(t, "a step from a stale run", err)
	if changed.Run == nil {
		t.Fatalf("changed %+v, want the run", changed)
	}
	contractSameRun(t, "the run returned", *changed.Run, seen)
	none := auth.WrongCodes{}
	err = e.Store.CountAttempt(ctx, c, "", now, contractMaxAttempts, auth.WrongCodeStep{Email: c.Email, UserID: c.UserID, From: &none, To: next})
	contractChanged(t, "a step from no run, where one is stored", err)
	if got := contractGet(t, e, c.ID).Attempts; got != 0 {
		t.Errorf("attempts = %d after refused steps, want 0", got)
	}

	if err := e.Store.CountAttempt(ctx, c, "", now, contractMaxAttempts, auth.WrongCodeStep{Email: c.Email, UserID: c.UserID, From: &seen, To: next}); err != nil {
		t.Fatalf("the step from the run seen: %v", err)
	}
	contractSameRun(t, "after the step", contractRun(t, e, c.Email), next)
	if got := contractGet(t, e, c.ID).Attempts; got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}

	// From none, where none is stored: the first wrong code of a limit of one.
	d := contractRunChallenge(t, e, now)
	first := auth.WrongCodes{UserID: d.UserID, Failures: 1, LockedUntil: now.Add(time.Minute)}
	if err := e.Store.CountAttempt(ctx, d, "", now, contractMaxAttempts, auth.WrongCodeStep{Email: d.Email, UserID: d.UserID, From: &none, To: first}); err != nil {
		t.Fatalf("a step from no run: %v", err)
	}
	contractSameRun(t, "the first run", contractRun(t, e, d.Email), first)
	// With a limit of one not even the first wrong code is counted unread.
	f := contractRunChallenge(t, e, now)
	err = e.Store.CountAttempt(ctx, f, "", now, contractMaxAttempts, contractFastStep(f, 1))
	changed = contractChanged(t, "the first wrong code, unread, with a limit of one", err)
	if changed.Run == nil || changed.Run.UserID != "" {
		t.Errorf("changed %+v, want no run stored", changed)
	}
}

// contractRunRefuses: while the run backs off or is locked, a wrong code is refused with the run's
// refusal, counted neither in the challenge nor in the run.
func contractRunRefuses(t *testing.T, e storeEnv) {
	now := contractNow()
	tests := []struct {
		name string
		run  func(userID string) auth.WrongCodes
		want error
		wait time.Duration
	}{
		{"backing off", func(u string) auth.WrongCodes {
			return auth.WrongCodes{UserID: u, Failures: 12, LockedUntil: now.Add(90 * time.Second)}
		}, nil, 90 * time.Second},
		{"locked", func(u string) auth.WrongCodes { return auth.WrongCodes{UserID: u, Failures: auth.SecondFactorLock} }, auth.ErrSecondFactorLocked, 0},
		{"locked, its last backoff over", func(u string) auth.WrongCodes {
			return auth.WrongCodes{UserID: u, Failures: auth.SecondFactorLock, LockedUntil: now.Add(-time.Hour)}
		}, auth.ErrSecondFactorLocked, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := contractRunChallenge(t, e, now)
			run := tt.run(c.UserID)
			contractPutRun(t, e, c.Email, run)
			for _, step := range []auth.WrongCodeStep{contractFastStep(c, 10), contractFastStep(c, auth.SecondFactorLock+10)} {
				err := e.Store.CountAttempt(t.Context(), c, "", now, contractMaxAttempts, step)
				if tt.want != nil {
					contractErrIs(t, "CountAttempt", err, tt.want)
				} else {
					var rate *auth.RateLimitError
					if !errors.As(err, &rate) || rate.RetryAfter != tt.wait {
						t.Errorf("CountAttempt = %v, want a *RateLimitError of %s", err, tt.wait)
					}
				}
			}
			if got := contractGet(t, e, c.ID).Attempts; got != 0 {
				t.Errorf("attempts = %d after the refusal, want 0", got)
			}
			contractSameRun(t, "after the refusal", contractRun(t, e, c.Email), run)
		})
	}
}

// contractRunOtherUser: a run of an earlier holder of the email is not the user's: a wrong code finds
// it, unread, and the step from it starts the user's own run.
func contractRunOtherUser(t *testing.T, e storeEnv) {
	ctx := t.Context()
	now := contractNow()
	c := contractRunChallenge(t, e, now)
	other := auth.WrongCodes{UserID: "user-before", Failures: auth.SecondFactorLock}
	contractPutRun(t, e, c.Email, other)
	err := e.Store.CountAttempt(ctx, c, "", now, contractMaxAttempts, contractFastStep(c, 10))
	changed := contractChanged(t, "a wrong code over another user's run", err)
	if changed.Run == nil {
		t.Fatalf("changed %+v, want the run", changed)
	}
	contractSameRun(t, "the run returned", *changed.Run, other)
	own := auth.WrongCodes{UserID: c.UserID, Failures: 1}
	if err := e.Store.CountAttempt(ctx, c, "", now, contractMaxAttempts, auth.WrongCodeStep{Email: c.Email, UserID: c.UserID, From: changed.Run, To: own}); err != nil {
		t.Fatalf("the step from the other user's run: %v", err)
	}
	contractSameRun(t, "the user's own run", contractRun(t, e, c.Email), own)
	// A right code is not refused by another user's lock either.
	d := contractRunChallenge(t, e, now)
	contractPutRun(t, e, d.Email, other)
	if err := e.Store.Consume(ctx, d, contractToken(t, now), "", now, contractMaxAttempts); err != nil {
		t.Errorf("Consume over another user's locked run: %v", err)
	}
}

// contractWrongCodesRule holds the store's conditions on a run to the domain's rule,
// auth.WrongCodes.Refusal. Runs of the user and of another, below, at and past the limit and the lock,
// with a backoff ending a millisecond before, exactly at and a millisecond after now, meet a wrong
// code that needs no read and a right one (Consume): where the rule refuses, both are refused with its
// error; where it does not, Consume succeeds and the wrong code is counted, or refused unread with
// the run to decide from.
func contractWrongCodesRule(t *testing.T, e storeEnv) {
	now := contractNow()
	const limit = 10
	var runs []auth.WrongCodes
	for _, own := range []bool{true, false} {
		for _, failures := range []int{0, limit - 2, limit - 1, limit, auth.SecondFactorLock - 1, auth.SecondFactorLock} {
			for _, lock := range []struct {
				set bool
				d   time.Duration
			}{{false, 0}, {true, -time.Millisecond}, {true, 0}, {true, time.Millisecond}} {
				run := auth.WrongCodes{UserID: "owner", Failures: failures}
				if !own {
					run.UserID = "someone-else"
				}
				if lock.set {
					run.LockedUntil = now.Add(lock.d)
				}
				runs = append(runs, run)
			}
		}
	}
	seen, ran := map[string]bool{}, 0
	for _, run := range runs {
		t.Run(fmt.Sprintf("%+v", run), func(t *testing.T) {
			ran++
			ctx := t.Context()
			for _, op := range []string{"CountAttempt", "Consume"} {
				c := contractRunChallenge(t, e, now)
				stored := run
				if stored.UserID == "owner" {
					stored.UserID = c.UserID
				}
				contractPutRun(t, e, c.Email, stored)
				want := stored.Refusal(c.UserID, now)
				var err error
				if op == "CountAttempt" {
					err = e.Store.CountAttempt(ctx, c, "", now, contractMaxAttempts, contractFastStep(c, limit))
				} else {
					err = e.Store.Consume(ctx, c, contractToken(t, now), "", now, contractMaxAttempts)
				}
				var changed *auth.ChangedError
				var rate, wantRate *auth.RateLimitError
				switch {
				case errors.As(want, &wantRate):
					if !errors.As(err, &rate) || rate.RetryAfter != wantRate.RetryAfter {
						t.Errorf("%s = %v, want the domain's %v", op, err, want)
					}
					seen[op+" backoff"] = true
				case want != nil:
					contractErrIs(t, op, err, want)
					seen[op+" locked"] = true
				case op == "CountAttempt" && errors.As(err, &changed):
					if changed.Run == nil {
						t.Errorf("%s refused with %+v, want the run", op, changed)
					} else {
						contractSameRun(t, "the run returned", *changed.Run, stored)
					}
					seen[op+" unread"] = true
				case err != nil:
					t.Errorf("%s = %v, want it to pass: the domain allows the run", op, err)
				default:
					seen[op+" passed"] = true
				}
				if got := contractGet(t, e, c.ID).Attempts; (err == nil) != (got == 1) {
					t.Errorf("%s = %v, and the challenge has %d attempts", op, err, got)
				}
			}
		})
	}
	if ran < len(runs) {
		return
	}
	for _, what := range []string{"CountAttempt backoff", "CountAttempt locked", "CountAttempt unread", "CountAttempt passed",
		"Consume backoff", "Consume locked", "Consume passed"} {
		if !seen[what] {
			t.Errorf("no run of the table gives %s", what)
		}
	}
}

// contractRunConsumed: a right code ends the user's run in the transaction that consumes the challenge.
func contractRunConsumed(t *testing.T, e storeEnv) {
	now := contractNow()
	c := contractRunChallenge(t, e, now)
	contractPutRun(t, e, c.Email, auth.WrongCodes{UserID: c.UserID, Failures: 14, LockedUntil: now})
	tok := contractToken(t, now)
	if err := e.Store.Consume(t.Context(), c, tok, "", now, contractMaxAttempts); err != nil {
		t.Fatalf("Consume: %v", err)
	}
	if e.Item(t, "MFAFAIL#"+c.Email) != nil {
		t.Error("the run is still stored after a right code")
	}
	// Refused by the run, nothing is written: no token, the challenge unused, the run kept.
	d := contractRunChallenge(t, e, now)
	locked := auth.WrongCodes{UserID: d.UserID, Failures: auth.SecondFactorLock}
	contractPutRun(t, e, d.Email, locked)
	refused := contractToken(t, now)
	err := e.Store.Consume(t.Context(), d, refused, "", now, contractMaxAttempts)
	contractErrIs(t, "Consume while locked", err, auth.ErrSecondFactorLocked)
	if e.Item(t, "TOKEN#"+refused.ID) != nil {
		t.Error("a refused Consume stored a token")
	}
	if got := contractGet(t, e, d.ID); got.Used || got.Attempts != 0 {
		t.Errorf("challenge used %v, attempts %d after a refused Consume; want unused, 0", got.Used, got.Attempts)
	}
	contractSameRun(t, "after the refused Consume", contractRun(t, e, d.Email), locked)
}

// contractRunLoaded: the login's one read carries the email's run.
func contractRunLoaded(t *testing.T, e storeEnv) {
	now := contractNow()
	u := auth.User{ID: "user-" + contractID(t)[:12], Email: "runner@example.com", Name: "Runner", PasswordHash: "x"}
	if err := e.Store.PutUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	rec, err := e.Store.LoadLogin(t.Context(), u.Email, auth.AppRef{ID: "no-such-app"})
	if err != nil {
		t.Fatalf("LoadLogin: %v", err)
	}
	contractSameRun(t, "no run stored", rec.WrongCodes, auth.WrongCodes{})
	run := auth.WrongCodes{UserID: u.ID, Failures: 11, LockedUntil: now.Add(2 * time.Minute)}
	contractPutRun(t, e, u.Email, run)
	rec, err = e.Store.LoadLogin(t.Context(), u.Email, auth.AppRef{ID: "no-such-app"})
	if err != nil {
		t.Fatalf("LoadLogin: %v", err)
	}
	contractSameRun(t, "the run", rec.WrongCodes, run)
	if rec.User == nil || rec.User.ID != u.ID {
		t.Errorf("user %+v, want %s", rec.User, u.ID)
	}
}

// contractRunForgotten: an unblock and a password set end the run with the user's rewrite.
func contractRunForgotten(t *testing.T, e storeEnv) {
	ctx := t.Context()
	for _, op := range []string{"UnblockUser", "SetPassword"} {
		t.Run(op, func(t *testing.T) {
			u := auth.User{ID: "user-" + contractID(t)[:12], Name: "Runner", PasswordHash: "x", Status: auth.StatusBlocked}
			u.Email = u.ID + "@example.com"
			if err := e.Store.PutUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			prev, err := e.Store.GetUser(ctx, u.Email)
			if err != nil {
				t.Fatal(err)
			}
			contractPutRun(t, e, u.Email, auth.WrongCodes{UserID: u.ID, Failures: auth.SecondFactorLock})
			next := prev
			next.Status = auth.StatusActivated
			if op == "UnblockUser" {
				err = e.Store.UnblockUser(ctx, prev, next)
			} else {
				next.PasswordHash, next.Epoch = "y", prev.Epoch+1
				err = e.Store.SetPassword(ctx, prev, next, "")
			}
			if err != nil {
				t.Fatalf("%s: %v", op, err)
			}
			if e.Item(t, "MFAFAIL#"+u.Email) != nil {
				t.Errorf("the run is still stored after %s", op)
			}
		})
	}
}
