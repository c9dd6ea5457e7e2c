package dynamo_test

// The store contract (contract_test.go) runs here against every engine we can run without AWS:
//
//   - embedded: shared/localdynamo served on loopback, one engine per contract case.
//   - moto: one moto_server per test binary, started by TestStoreEngines/moto and stopped by its
//     cleanup once every subtest has finished; one table per contract case.
//
// What an engine cannot do, and how the suite copes (TestStoreEngines/*/capabilities asserts these
// facts except the last, so an engine upgrade that changes one fails loudly and this list gets updated):
//
//   - TTL. Both engines accept and report the TTL setting. moto never sweeps expired items; the
//     embedded engine sweeps only when told to (Engine.Sweep, Engine.SweepEvery, which the local
//     server uses and the suite does not). So the suite never relies on sweeping: "expired, item
//     present" cases write challenges whose expiresAt is in the past and expect the store's own expiry
//     conditions to treat them as gone (as real DynamoDB must too, since its sweep lags by up to days).
//   - Table status. Both engines report ACTIVE at once. The suite never waits for a status: it uses
//     the table as soon as CreateTable returns, which both engines allow (real DynamoDB would need a
//     TableExists waiter).
//   - ReturnValuesOnConditionCheckFailure. Both engines return the old item with a failed
//     UpdateItem condition and in a cancelled transaction's reason (none when there is no item),
//     except that minidyn leaves it out for a transaction's Delete: when Consume's Delete of the
//     user's run of wrong codes is refused, the store reads the run instead (refusedRun). The
//     store relies on it for challenges: it tells the failed condition from that item alone and takes
//     a failure without one for a missing challenge (ErrChallengeGone), never reading it again. For
//     the refusal state of AdmitAttempt it falls back to a GetItem when no item came back, which
//     against these engines happens only when the refusing counter (LOGIN# or LOGINNET#) has no item.
//     The capabilities probe therefore also runs CountAttempt, RotateCode, Consume and AdmitAttempt
//     through itemStripper, a client that drops those items, and counts the store's reads: stripped,
//     every challenge refusal reads as ErrChallengeGone, while AdmitAttempt returns the same refusal
//     states either way.
//   - Concurrency. The embedded engine orders every request behind one lock (reads share it, a write
//     or a transaction holds it alone), so its conditional writes and transactions are atomic. moto_server is not: its threaded server evaluates a condition and then applies the write
//     without a lock, and TransactWriteItems deep-copies each table it touches beforehand and puts that
//     copy back when the transaction is cancelled (moto 5.2.1, moto/dynamodb/models/__init__.py
//     transact_write_items), wiping writes that committed meanwhile (observed: 6 CountAttempts passing
//     "attempts < 5", 4 of 20 Consumes succeeding with their tokens then erased). testenv.StartMoto
//     therefore serves moto's application one request at a time, which gives each conditional write the
//     atomicity DynamoDB guarantees; the clients stay concurrent, and the concurrent cases (30
//     AdmitAttempt twice, 20 locking AdmitAttempt, 30 CountAttempt, 20 Consume) run on both engines.
//   - Tables. Per contract case, the embedded engine is a fresh one (cheap, in-process); on
//     moto it is a fresh table with a unique name, deleted on cleanup.
//
// Both engines report the reason of a cancelled transaction at the index of the item that failed,
// which CreateChallenge and RotateCode need to tell a full send slot (index 1) from a changed
// challenge (index 0); the capabilities probe requires it of every engine.

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/testenv"
)

// engineCaps are the facts about an engine the suite depends on or works around.
type engineCaps struct {
	ttlAPI          bool // UpdateTimeToLive is accepted and DescribeTimeToLive reports it
	tableStatus     bool // DescribeTable reports ACTIVE
	itemOnCheckFail bool // UpdateItem returns the old item with ConditionalCheckFailedException (ALL_OLD)
	itemOnTxFail    bool // a cancelled transaction's reason carries the old item (ALL_OLD)
}

type storeEngine struct {
	name  string
	caps  engineCaps
	start func(t *testing.T) func(t *testing.T) storeEnv // per engine; returns the per-case table maker
}

func storeEngines() []storeEngine {
	return []storeEngine{
		{
			name:  "embedded",
			caps:  engineCaps{ttlAPI: true, tableStatus: true, itemOnCheckFail: true, itemOnTxFail: true},
			start: func(*testing.T) func(t *testing.T) storeEnv { return tablesOn() },
		},
		{
			name: "moto",
			caps: engineCaps{ttlAPI: true, tableStatus: true, itemOnCheckFail: true, itemOnTxFail: true},
			start: func(t *testing.T) func(t *testing.T) storeEnv {
				return tablesOn(testenv.OnMoto(testenv.StartMoto(t)))
			},
		},
	}
}

// TestStoreEngines runs the store contract and the capability probe on every engine.
func TestStoreEngines(t *testing.T) {
	for _, eng := range storeEngines() {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			newEnv := eng.start(t)
			t.Run("contract", func(t *testing.T) { testStoreContract(t, newEnv) })
			t.Run("capabilities", func(t *testing.T) { testEngineCaps(t, newEnv, eng.caps) })
		})
	}
}

// testEngineCaps checks the engine facts the header of this file lists, and that the store reaches the
// same answer whether or not the engine hands back the item of a failed condition.
func testEngineCaps(t *testing.T, newEnv func(t *testing.T) storeEnv, want engineCaps) {
	e := newEnv(t)
	ctx := t.Context()

	t.Run("TTL API", func(t *testing.T) {
		out, err := e.Client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &e.Table})
		got := err == nil && out.TimeToLiveDescription != nil &&
			out.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabled &&
			aws.ToString(out.TimeToLiveDescription.AttributeName) == "ttl"
		t.Logf("DescribeTimeToLive: %+v, %v", out, err)
		if got != want.ttlAPI {
			t.Errorf("TTL on ttl enabled = %v (err %v), want %v", got, err, want.ttlAPI)
		}
	})
	t.Run("table status", func(t *testing.T) {
		out, err := e.Client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &e.Table})
		if err != nil {
			t.Fatalf("DescribeTable: %v", err)
		}
		t.Logf("TableStatus %q", out.Table.TableStatus)
		if got := out.Table != nil && out.Table.TableStatus == types.TableStatusActive; got != want.tableStatus {
			t.Errorf("status ACTIVE = %v (%+v), want %v", got, out.Table, want.tableStatus)
		}
	})

	put := func(t *testing.T, pk string, n int) {
		t.Helper()
		_, err := e.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &e.Table, Item: map[string]types.AttributeValue{
			"pk": &types.AttributeValueMemberS{Value: pk}, "n": &types.AttributeValueMemberN{Value: strconv.Itoa(n)},
		}})
		if err != nil {
			t.Fatalf("PutItem: %v", err)
		}
	}
	failingUpdate := func(pk string) *types.Update {
		return &types.Update{
			TableName: &e.Table, Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
			UpdateExpression:                    aws.String("SET m = :one"),
			ConditionExpression:                 aws.String("n < :one"),
			ExpressionAttributeValues:           map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}
	}
	okPut := func(pk string) *types.Put {
		return &types.Put{TableName: &e.Table, Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}}
	}

	t.Run("item on condition failure", func(t *testing.T) {
		put(t, "PROBE#update", 5)
		u := failingUpdate("PROBE#update")
		_, err := e.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
			ExpressionAttributeValues: u.ExpressionAttributeValues, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			t.Fatalf("UpdateItem: %v, want ConditionalCheckFailedException", err)
		}
		t.Logf("ConditionalCheckFailedException.Item = %v", ccf.Item)
		if got := len(ccf.Item) > 0; got != want.itemOnCheckFail {
			t.Errorf("item returned = %v (%v), want %v", got, ccf.Item, want.itemOnCheckFail)
		}
	})

	t.Run("transaction reasons", func(t *testing.T) {
		for i, items := range [][]types.TransactWriteItem{
			{{Update: failingUpdate("PROBE#tx0")}, {Put: okPut("PROBE#ok0")}},
			{{Put: okPut("PROBE#ok1")}, {Update: failingUpdate("PROBE#tx1")}},
		} {
			put(t, "PROBE#tx"+strconv.Itoa(i), 5)
			_, err := e.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
			var tce *types.TransactionCanceledException
			if !errors.As(err, &tce) {
				t.Fatalf("failing at %d: %v, want TransactionCanceledException", i, err)
			}
			r := tce.CancellationReasons
			for j, reason := range r {
				t.Logf("failing at %d: reason[%d] = %s %q item %v", i, j, aws.ToString(reason.Code), aws.ToString(reason.Message), reason.Item)
			}
			if len(r) != 2 {
				t.Fatalf("failing at %d: %d reasons %+v, want 2", i, len(r), r)
			}
			if got := aws.ToString(r[i].Code); got != "ConditionalCheckFailed" {
				t.Errorf("failing at %d: reason[%d] = %q, want ConditionalCheckFailed", i, i, got)
			}
			if got := aws.ToString(r[1-i].Code); got == "ConditionalCheckFailed" {
				t.Errorf("failing at %d: reason[%d] = %q, want no failure", i, 1-i, got)
			}
			if got := len(r[i].Item) > 0; got != want.itemOnTxFail {
				t.Errorf("failing at %d: item returned = %v, want %v", i, got, want.itemOnTxFail)
			}
			if e.Item(t, "PROBE#ok"+strconv.Itoa(i)) != nil {
				t.Errorf("failing at %d: the other item of the cancelled transaction was written", i)
			}
		}
	})

	// The store tells a failed challenge condition from the item that came with the failure, and takes
	// a failure without one for a missing challenge; it tells a refused AdmitAttempt from that item or
	// else from a fresh read. The stripped client shows what an engine without the item gets.
	for _, v := range []struct {
		name     string
		db       dynamo.API
		stripped bool
	}{{"as served", e.Client, false}, {"item stripped", itemStripper{e.Client}, true}} {
		t.Run("error kind, item "+v.name, func(t *testing.T) {
			db := &readCounter{API: v.db}
			store := dynamo.New(db, e.Table)
			reads := func(t *testing.T, what string, want int64) {
				t.Helper()
				if got := db.reads.Swap(0); got != want {
					t.Errorf("%s: %d reads, want %d", what, got, want)
				}
			}
			// reason is the error a challenge refusal gets: the real one only with the item.
			reason := func(err error) error {
				if v.stripped {
					return auth.ErrChallengeGone
				}
				return err
			}
			now := contractNow()
			c := contractChallenge(t, now)
			c.Attempts = contractMaxAttempts
			contractCreate(t, e, c)
			err := store.CountAttempt(ctx, c, "", now, contractMaxAttempts, contractStep(c))
			contractErrIs(t, "CountAttempt", err, reason(auth.ErrAttemptsExhausted))
			err = store.RotateCode(ctx, c, contractNext(c, now, "222222"), contractSlot(c.UserID, now, 10), contractMaxAttempts)
			contractErrIs(t, "RotateCode", err, reason(auth.ErrAttemptsExhausted))

			d := contractChallenge(t, now)
			d.CodeExpiresAt = now
			contractCreate(t, e, d)
			err = store.CountAttempt(ctx, d, auth.ChannelSMS, now, contractMaxAttempts, contractStep(d))
			contractErrIs(t, "CountAttempt", err, reason(auth.ErrCodeExpired))
			stale := d
			stale.CodeHash = contractCodeHash("000000")
			err = store.RotateCode(ctx, stale, contractNext(stale, now, "222222"), contractSlot(d.UserID, now, 10), contractMaxAttempts)
			contractErrIs(t, "RotateCode", err, reason(auth.ErrConflict))
			err = store.Consume(ctx, stale, contractToken(t, now), "", now, contractMaxAttempts)
			contractErrIs(t, "Consume", err, reason(auth.ErrCodeExpired))
			missing := contractChallenge(t, now)
			err = store.CountAttempt(ctx, missing, "", now, contractMaxAttempts, contractStep(missing))
			contractErrIs(t, "CountAttempt on a missing challenge", err, auth.ErrChallengeGone)
			reads(t, "challenge refusals", 0)

			// A refused AdmitAttempt returns the state of the counter that refused it, read either way.
			a := auth.PasswordAttempt{Email: contractID(t)[:16] + "@example.com", Network: contractNetwork}
			until := now.Add(time.Minute)
			expires := now.Add(time.Hour)
			fallback := int64(0) // reads per refusal when the refusing counter's item exists
			if v.stripped {
				fallback = 1
			}
			below := auth.AttemptRule{Mode: auth.CountBelow, Below: 10, Expires: expires}
			locking := func(failures int, until time.Time) auth.AttemptRule {
				return auth.AttemptRule{Mode: auth.CountLocking, Failures: failures, Until: until, Expires: expires}
			}
			if adm, err := store.AdmitAttempt(ctx, a, now, locking(0, until), below); err != nil || !adm.Admitted {
				t.Fatalf("locking attempt = %+v, %v; want admitted", adm, err)
			}
			reads(t, "admitted attempt", 0)
			locked := auth.LoginAttempts{Failures: 1, LockedUntil: until}
			adm, err := store.AdmitAttempt(ctx, a, now, below, below)
			if err != nil || adm.Admitted || adm.Account == nil {
				t.Fatalf("attempt under the account's lock = %+v, %v; want refused by the account", adm, err)
			}
			contractSameAttempts(t, "refusal state under the lock", *adm.Account, locked)
			reads(t, "refusal under the lock", fallback)
			adm, err = store.AdmitAttempt(ctx, a, until, locking(0, until.Add(time.Minute)), below)
			if err != nil || adm.Admitted || adm.Account == nil {
				t.Fatalf("locking attempt with a stale count = %+v, %v; want refused by the account", adm, err)
			}
			contractSameAttempts(t, "refusal state of a stale count", *adm.Account, locked)
			reads(t, "refusal of a stale count", fallback)
			nobody := auth.PasswordAttempt{Email: "nobody-" + a.Email, Network: a.Network}
			adm, err = store.AdmitAttempt(ctx, nobody, now, below, locking(3, until))
			if err != nil || adm.Admitted || adm.Network == nil {
				t.Fatalf("locking attempt on no item = %+v, %v; want refused by the network", adm, err)
			}
			contractSameAttempts(t, "refusal state without an item", *adm.Network, auth.LoginAttempts{})
			reads(t, "refusal without an item", 1)
		})
	}
}

// readCounter counts the GetItem calls the store makes through it.
type readCounter struct {
	dynamo.API
	reads atomic.Int64
}

func (r *readCounter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	r.reads.Add(1)
	return r.API.GetItem(ctx, in, optFns...)
}

// itemStripper is an engine that never returns the item of a failed condition.
type itemStripper struct{ *dynamodb.Client }

func (s itemStripper) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := s.Client.UpdateItem(ctx, in, optFns...)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		ccf.Item = nil
	}
	return out, err
}

func (s itemStripper) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	out, err := s.Client.TransactWriteItems(ctx, in, optFns...)
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i := range tce.CancellationReasons {
			tce.CancellationReasons[i].Item = nil
		}
	}
	return out, err
}
