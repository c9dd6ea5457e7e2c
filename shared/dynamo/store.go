// Package dynamo is the gateway's single-table DynamoDB store: key builders, item structs and the
// conditional writes and transactions that settle every race.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/fault"
	"mfagateway/shared/odata"
)

// API is the slice of *dynamodb.Client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store implements auth.Store on one table.
type Store struct {
	db    API
	table string
	pages *odata.Sealer // seals the tokens of lists read by key
}

var _ auth.Store = (*Store)(nil)

// New returns a store over the table. The tokens of its lists open only in this process until
// WithPageSecret gives it the key every instance shares.
func New(db API, table string) *Store {
	return &Store{db: db, table: table, pages: odata.NewEphemeralSealer()}
}

// WithPageSecret is the store with the tokens of its lists sealed under a key derived from secret,
// so that a token one instance hands out opens at every other given the same secret. A token sealed
// under one of previous (the secret before its last rotation; empty is none) still opens.
func (s *Store) WithPageSecret(secret []byte, previous ...[]byte) *Store {
	c := *s
	c.pages = odata.NewSealer(secret, previous...)
	return &c
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: &types.AttributeValueMemberS{Value: pk}}
}

func sendsKey(s auth.SendSlot) string {
	return prefixSends + s.UserID + "#" + strconv.FormatInt(s.Window.Unix()/3600, 10)
}

func smsCapKey(s auth.SMSShard) string {
	return prefixSMSCap + strconv.FormatInt(s.Window.Unix()/3600, 10) + "#" + strconv.Itoa(s.Shard)
}

// maxBatchRounds bounds the retries of unprocessed BatchGetItem keys.
const maxBatchRounds = 4

// LoadLogin reads user, application and the email's run of wrong codes in one consistent BatchGetItem.
func (s *Store) LoadLogin(ctx context.Context, email string, app auth.AppRef) (auth.LoginRecord, error) {
	appPK := prefixApp + app.ID
	if app.ID == "" {
		appPK = prefixAppURL + app.URL
	}
	items, err := s.itemsByKey(ctx, prefixUser+email, appPK, prefixWrong+email)
	if err != nil {
		return auth.LoginRecord{}, err
	}
	var rec auth.LoginRecord
	if item, ok := items[prefixUser+email]; ok {
		if rec.User, err = found(decodeUser(item)); err != nil {
			return rec, err
		}
	}
	if item, ok := items[appPK]; ok {
		if rec.App, err = found(decodeApplication(item)); err != nil {
			return rec, err
		}
	}
	if item, ok := items[prefixWrong+email]; ok {
		run, err := decodeRun(item)
		if err != nil {
			return rec, fmt.Errorf("decode wrong codes: %w", err)
		}
		rec.WrongCodes = run
	}
	return rec, nil
}

// itemsByKey reads the items under pks in one consistent BatchGetItem, by key; a key without an item
// is not in the map.
func (s *Store) itemsByKey(ctx context.Context, pks ...string) (map[string]map[string]types.AttributeValue, error) {
	keys := make([]map[string]types.AttributeValue, len(pks))
	for i, pk := range pks {
		keys[i] = key(pk)
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]map[string]types.AttributeValue, len(items))
	for _, item := range items {
		if pk, _ := item[attrPK].(*types.AttributeValueMemberS); pk != nil {
			byKey[pk.Value] = item
		}
	}
	return byKey, nil
}

func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	var items []map[string]types.AttributeValue
	for round := 0; ; round++ {
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("batch get: %w", err)
		}
		items = append(items, out.Responses[s.table]...)
		if len(out.UnprocessedKeys) == 0 || len(out.UnprocessedKeys[s.table].Keys) == 0 {
			return items, nil
		}
		if round == maxBatchRounds {
			return nil, fmt.Errorf("batch get: keys left unprocessed: %w", fault.ErrThrottled)
		}
		req = out.UnprocessedKeys
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(10<<round) * time.Millisecond):
		}
	}
}

// clearFailures is the transaction item that forgets the email's account count of failed passwords.
func (s *Store) clearFailures(email string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(prefixLogin + email)}}
}

func (s *Store) putNew(item any) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	}}, nil
}

// ForgetAttempts deletes the email's account count of failed passwords, conditionally on its expiry
// when one is given.
func (s *Store) ForgetAttempts(ctx context.Context, email string, expires time.Time) error {
	in := &dynamodb.DeleteItemInput{TableName: &s.table, Key: key(prefixLogin + email)}
	if !expires.IsZero() {
		in.ConditionExpression = aws.String("#ttl = :ttl")
		in.ExpressionAttributeNames = map[string]string{"#ttl": attrTTL}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":ttl": &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)},
		}
	}
	_, err := s.db.DeleteItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) { // renewed meanwhile: another attempt counts now
		return nil
	}
	return err
}

// IssueToken stores a new auth token and takes back the login's counted attempt from the network
// from, in one transaction.
func (s *Store) IssueToken(ctx context.Context, t auth.Token, from auth.Network) error {
	put, err := s.putNew(newTokenItem(t))
	if err != nil {
		return err
	}
	err = s.transact(ctx, append([]types.TransactWriteItem{put}, s.settle(auth.PasswordAttempt{Email: t.Email, Network: from}, t.IssuedAt)...))
	if ownRetry(err) {
		return nil
	}
	return err
}

// ownRetry reports a transaction refused only because its first item, a put under a fresh 256-bit ID,
// already exists: that can only be this request's own earlier attempt, whose answer was lost and which
// the SDK retried. DynamoDB makes such retries idempotent by ClientRequestToken; engines that ignore the
// token get the same result this way.
func ownRetry(err error) bool {
	reasons, ok := cancelled(err)
	return ok && failedCondition(reasons, 0)
}

// countSends are the transaction items that count one send in the slot: in the user's hourly counter
// and, for a text, in the slot's shard of the deployment's SMS cap, each refusing past its limit; none
// for the zero slot.
func (s *Store) countSends(slot auth.SendSlot) ([]types.TransactWriteItem, error) {
	if slot == (auth.SendSlot{}) {
		return nil, nil
	}
	send, err := s.countIn(sendsKey(slot), slot.Limit, slot.ExpiresAt)
	if err != nil || slot.SMS == (auth.SMSShard{}) {
		return []types.TransactWriteItem{send}, err
	}
	sms, err := s.countIn(smsCapKey(slot.SMS), slot.SMS.Limit, slot.SMS.ExpiresAt)
	return []types.TransactWriteItem{send, sms}, err
}

// sendRefusal is the refusal of the count at index i of countSends' items: the user's, or the SMS cap's.
func sendRefusal(i int) error {
	if i == 0 {
		return auth.ErrSendLimit
	}
	return auth.ErrSMSCap
}

// sendsRefused returns the refusal of the first of the n counts from index first that failed.
func sendsRefused(reasons []types.CancellationReason, first, n int) (error, bool) {
	for i := range n {
		if failedCondition(reasons, first+i) {
			return sendRefusal(i), true
		}
	}
	return nil, false
}

// countIn is the transaction item that adds one to the counter under pk, refusing at limit.
func (s *Store) countIn(pk string, limit int, expires time.Time) (types.TransactWriteItem, error) {
	n := expression.Name(attrCount)
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name(attrPK)).Or(n.LessThan(expression.Value(limit)))).
		WithUpdate(expression.Add(n, expression.Value(1)).Set(expression.Name(attrTTL), expression.Value(expires.Unix()))).
		Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(pk),
		ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}}, nil
}

// CreateChallenge stores a challenge, counts its first send (none for the zero slot: nothing is sent),
// a text in its shard of the SMS cap too, and takes back the login's counted attempt from the network
// from, in one transaction.
func (s *Store) CreateChallenge(ctx context.Context, c auth.Challenge, slot auth.SendSlot, from auth.Network) error {
	put, err := s.putNew(newChallengeItem(c))
	if err != nil {
		return err
	}
	sends, err := s.countSends(slot)
	if err != nil {
		return err
	}
	items := append([]types.TransactWriteItem{put}, sends...)
	err = s.transact(ctx, append(items, s.settle(auth.PasswordAttempt{Email: c.Email, Network: from}, c.LastSentAt)...))
	if ownRetry(err) {
		return nil
	}
	if reasons, ok := cancelled(err); ok {
		if refusal, ok := sendsRefused(reasons, 1, len(sends)); ok {
			return refusal
		}
	}
	if err != nil {
		return fmt.Errorf("create challenge: %w", err)
	}
	return nil
}

// channelUpdate sets the channel, provider and address of c.
func channelUpdate(c auth.Challenge) expression.UpdateBuilder {
	return expression.Set(expression.Name(attrChannel), expression.Value(string(c.Channel))).
		Set(expression.Name(attrAuthenticator), expression.Value(c.Authenticator)).
		Set(expression.Name(attrTo), expression.Value(c.To)).
		Set(expression.Name(attrDestination), expression.Value(c.Destination))
}

// SetChannel records the channel, provider and address a fallback used.
func (s *Store) SetChannel(ctx context.Context, c auth.Challenge) error {
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeExists(expression.Name(attrPK))).
		WithUpdate(channelUpdate(c)).
		Build()
	if err != nil {
		return err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(prefixChallenge + c.ID),
		ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	return err
}

// DeleteChallenge removes a challenge.
func (s *Store) DeleteChallenge(ctx context.Context, id string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: key(prefixChallenge + id)})
	return err
}

// GetChallenge reads a challenge with a consistent read.
func (s *Store) GetChallenge(ctx context.Context, id string) (auth.Challenge, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(prefixChallenge + id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return auth.Challenge{}, fmt.Errorf("get challenge: %w", err)
	}
	return decodeChallenge(out.Item)
}

func decodeChallenge(item map[string]types.AttributeValue) (auth.Challenge, error) {
	c, err := decodeChallengeItem(item)
	if err != nil {
		return auth.Challenge{}, err
	}
	return c.challenge(), nil
}

func decodeChallengeItem(item map[string]types.AttributeValue) (challengeItem, error) {
	var c challengeItem
	if len(item) == 0 {
		return c, auth.ErrChallengeGone
	}
	if err := attributevalue.UnmarshalMap(item, &c); err != nil {
		return c, fmt.Errorf("decode challenge: %w", err)
	}
	return c, nil
}

// The challenge conditions below are auth.Challenge.Usable and Verifiable written for DynamoDB; the
// contract suite holds them to those methods state by state (contractChallengeRule).

// liveChallenge is the condition of a challenge whose MFA token is unused and unexpired: Usable with
// no limit on attempts.
func liveChallenge(now time.Time) expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name(attrPK)).
		And(expression.Name(attrUsed).Equal(expression.Value(false))).
		And(expression.Name(attrExpiresAt).GreaterThan(expression.Value(ms(now))))
}

// usableChallenge is the condition of auth.Challenge.Usable.
func usableChallenge(now time.Time, maxAttempts int) expression.ConditionBuilder {
	return liveChallenge(now).And(expression.Name(attrAttempts).LessThan(expression.Value(maxAttempts)))
}

// verifiableChallenge is the condition of auth.Challenge.Verifiable.
func verifiableChallenge(now time.Time, maxAttempts int, channel auth.Channel) expression.ConditionBuilder {
	cond := usableChallenge(now, maxAttempts).
		And(expression.Name(attrCodeExpiresAt).GreaterThan(expression.Value(ms(now))))
	if channel != "" {
		cond = cond.And(expression.Name(attrChannel).Equal(expression.Value(string(channel))))
	}
	return cond
}

// checkedUpdate is the transaction item that updates the item under pk by expr, returning the item as
// it was when the condition fails.
func (s *Store) checkedUpdate(pk string, expr expression.Expression) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(pk),
		ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

// CountAttempt counts a wrong code in one transaction: the challenge's attempt from exactly c.Attempts,
// under the condition that it is verifiable now and still holds c's code, and the step in its user's
// run; the challenge's session epoch is checked with them. A refused write counts nothing, and the
// old items tell which condition failed.
func (s *Store) CountAttempt(ctx context.Context, c auth.Challenge, channel auth.Channel, now time.Time, maxAttempts int, step auth.WrongCodeStep) error {
	attempts := expression.Name(attrAttempts)
	chExpr, err := expression.NewBuilder().
		WithCondition(verifiableChallenge(now, maxAttempts, channel).
			And(expression.Name(attrCodeHash).Equal(expression.Value(c.CodeHash))).
			And(attempts.Equal(expression.Value(c.Attempts)))).
		WithUpdate(expression.Set(attempts, expression.Value(c.Attempts+1))).
		Build()
	if err != nil {
		return err
	}
	runCond, runUpdate := runStep(step, now)
	runExpr, err := expression.NewBuilder().WithCondition(runCond).WithUpdate(runUpdate).Build()
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		s.checkedUpdate(prefixChallenge+c.ID, chExpr),
		s.checkedUpdate(prefixWrong+step.Email, runExpr),
		s.epochCheck(c.UserID, c.Epoch),
	})
	reasons, ok := cancelled(err)
	switch {
	case collided(err):
		return &auth.ChangedError{}
	case ok && failedCondition(reasons, 2):
		return fmt.Errorf("the user's sessions ended after the login: %w", auth.ErrChallengeGone)
	case !ok && err != nil:
		return fmt.Errorf("count attempt: %w", err)
	case !ok:
		return nil
	}
	changed := &auth.ChangedError{}
	if failedCondition(reasons, 0) {
		stored, err := decodeChallenge(reasons[0].Item)
		if err != nil {
			return err
		}
		switch err := stored.Verifiable(now, maxAttempts, channel); {
		case err != nil:
			return err
		case stored.CodeHash != c.CodeHash:
			return auth.ErrConflict
		}
		changed.Challenge = &stored
	}
	if failedCondition(reasons, 1) {
		run, err := s.refusedRun(ctx, step.Email, reasons[1].Item)
		if err != nil {
			return err
		}
		if err := run.Refusal(step.UserID, now); err != nil {
			return err
		}
		changed.Run = &run
	}
	if changed.Challenge == nil && changed.Run == nil {
		return fmt.Errorf("count attempt: %w", err)
	}
	return changed
}

// why tells which condition on a challenge failed, from the old item DynamoDB returns with the
// failure (ReturnValuesOnConditionCheckFailure), by asking rule, the domain's method the condition
// was written from. No item means there was none: the challenge is gone. Reading it again instead
// would cost a round trip. An item the rule passes failed on what the caller compared besides: a
// concurrent change.
func why(item map[string]types.AttributeValue, rule func(auth.Challenge) error) error {
	c, err := decodeChallenge(item)
	if err != nil {
		return err
	}
	if err := rule(c); err != nil {
		return err
	}
	return auth.ErrConflict
}

// Consume marks the challenge used, counting its attempt, stores the token and ends the user's run of
// wrong codes, in one transaction; only one of any number of racing verifies can pass the condition.
// The challenge must be verifiable now and hold the compared code (ErrConflict when a resend replaced
// it), and the run must let the user's second factor be tried.
func (s *Store) Consume(ctx context.Context, c auth.Challenge, t auth.Token, channel auth.Channel, now time.Time, maxAttempts int) error {
	return s.consume(ctx, c, t, channel, now, maxAttempts, false, nil, nil)
}

// consume is Consume with app, when not nil, a write of the user's authenticator app in the same
// transaction, whose refused condition refused explains from the app as it was. A recovery code
// (recovery) consumes any usable challenge: its own code's expiry and a resend do not matter to it.
//
// The challenge must still have the attempts it was read with, as a wrong code's count must: a right
// code takes its attempt's place in line like any other, so that parallel guesses get no more tries
// than the limit. When only the attempts moved, the answer is a *auth.ChangedError with the challenge
// as stored, for the caller to decide again; a transaction that collided with another is one without.
func (s *Store) consume(ctx context.Context, c auth.Challenge, t auth.Token, channel auth.Channel, now time.Time, maxAttempts int,
	recovery bool, app *types.TransactWriteItem, refused func(map[string]types.AttributeValue) error) error {
	cond := verifiableChallenge(now, maxAttempts, channel).And(expression.Name(attrCodeHash).Equal(expression.Value(c.CodeHash)))
	rule := func(st auth.Challenge) error { return st.Verifiable(now, maxAttempts, channel) }
	if recovery {
		cond = usableChallenge(now, maxAttempts)
		rule = func(st auth.Challenge) error { return st.Usable(now, maxAttempts) }
	}
	cond = cond.And(expression.Name(attrAttempts).Equal(expression.Value(c.Attempts)))
	expr, err := expression.NewBuilder().
		WithCondition(cond).
		WithUpdate(expression.Set(expression.Name(attrUsed), expression.Value(true)).
			Set(expression.Name(attrTokenID), expression.Value(t.ID)).
			Add(expression.Name(attrAttempts), expression.Value(1))).
		Build()
	if err != nil {
		return err
	}
	put, err := s.putNew(newTokenItem(t))
	if err != nil {
		return err
	}
	forget := s.forgetRun(c.Email)
	allows, err := expression.NewBuilder().WithCondition(runAllows(c.UserID, now)).Build()
	if err != nil {
		return err
	}
	forget.Delete.ConditionExpression = allows.Condition()
	forget.Delete.ExpressionAttributeNames, forget.Delete.ExpressionAttributeValues = allows.Names(), allows.Values()
	forget.Delete.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	items := []types.TransactWriteItem{
		s.checkedUpdate(prefixChallenge+c.ID, expr),
		put,
		s.epochCheck(c.UserID, c.Epoch),
		forget,
	}
	if app != nil {
		items = append(items, *app)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if collided(err) { // another verify or a resend is changing this challenge: read it again
		return &auth.ChangedError{}
	}
	reasons, ok := cancelled(err)
	if ok && failedCondition(reasons, 2) {
		return fmt.Errorf("the user's sessions ended after the login: %w", auth.ErrChallengeGone)
	}
	if ok && failedCondition(reasons, 0) {
		old, derr := decodeChallengeItem(reasons[0].Item)
		if derr == nil && old.Used && old.TokenID == t.ID {
			return nil // this request's own earlier attempt consumed it; its answer was lost
		}
		stored, serr := decodeChallenge(reasons[0].Item)
		if serr == nil && len(reasons[0].Item) > 0 && rule(stored) == nil && (recovery || stored.CodeHash == c.CodeHash) && stored.Attempts != c.Attempts {
			return &auth.ChangedError{Challenge: &stored} // other attempts came first: decide again
		}
		// Not verifiable now: used, expired, attempts used up meanwhile... Otherwise a resend replaced
		// the compared code (ErrConflict).
		return why(reasons[0].Item, rule)
	}
	if ok && app != nil && failedCondition(reasons, 4) {
		return refused(reasons[4].Item)
	}
	if ok && failedCondition(reasons, 3) {
		run, err := s.refusedRun(ctx, c.Email, reasons[3].Item)
		if err != nil {
			return err
		}
		if err := run.Refusal(c.UserID, now); err != nil {
			return err
		}
		return auth.ErrConflict // the run changed back meanwhile: answered as a code to retry
	}
	if err != nil {
		return fmt.Errorf("consume challenge: %w", err)
	}
	return nil
}

// RotateCode replaces the challenge's code, and its channel, provider and address with it (a resend
// may switch channel), and counts the send, a text in its shard of the SMS cap too, in one transaction: a code never goes out on a channel
// the challenge does not name. The challenge must be exactly as read (same send count and code), live,
// and with attempts left; the attempts used stay used (NIST SP 800-63B-4 §3.1.3.2: a new secret does
// not restore them).
func (s *Store) RotateCode(ctx context.Context, prev, next auth.Challenge, slot auth.SendSlot, maxAttempts int) error {
	now := next.LastSentAt
	expr, err := expression.NewBuilder().
		WithCondition(usableChallenge(now, maxAttempts).
			And(expression.Name(attrSends).Equal(expression.Value(prev.Sends))).
			And(expression.Name(attrCodeHash).Equal(expression.Value(prev.CodeHash)))).
		WithUpdate(channelUpdate(next).
			Set(expression.Name(attrCodeHash), expression.Value(next.CodeHash)).
			Set(expression.Name(attrCodeExpiresAt), expression.Value(ms(next.CodeExpiresAt))).
			Set(expression.Name(attrSends), expression.Value(next.Sends)).
			Set(expression.Name(attrLastSentAt), expression.Value(ms(next.LastSentAt)))).
		Build()
	if err != nil {
		return err
	}
	sends, err := s.countSends(slot)
	if err != nil {
		return err
	}
	run, err := s.runCheck(prev.Email, prev.UserID, now)
	if err != nil {
		return err
	}
	err = s.transact(ctx, append([]types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(prefixChallenge + prev.ID),
			ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		s.epochCheck(prev.UserID, prev.Epoch),
		run,
	}, sends...))
	reasons, ok := cancelled(err)
	if ok && failedCondition(reasons, 2) {
		// The user's second factor backs off or is locked: nothing is sent.
		found, rerr := s.refusedRun(ctx, prev.Email, reasons[2].Item)
		if rerr != nil {
			return rerr
		}
		if refusal := found.Refusal(prev.UserID, now); refusal != nil {
			return refusal
		}
		return auth.ErrConflict
	}
	refusal, refused := sendsRefused(reasons, 3, len(sends))
	switch {
	case collided(err): // a verify or another resend is changing this challenge
		return auth.ErrConflict
	case ok && failedCondition(reasons, 1):
		return fmt.Errorf("the user's sessions ended after the login: %w", auth.ErrChallengeGone)
	case ok && failedCondition(reasons, 0):
		if old, _ := decodeChallengeItem(reasons[0].Item); old.CodeHash == next.CodeHash {
			return nil // this request's own earlier attempt rotated it; its answer was lost
		}
		// An expired code is no reason to refuse a resend: a new code is what it is for.
		return why(reasons[0].Item, func(c auth.Challenge) error { return c.Usable(now, maxAttempts) })
	case ok && refused:
		return refusal
	case err != nil:
		return fmt.Errorf("rotate code: %w", err)
	}
	return nil
}

// epochCheck is the transaction item that holds a challenge to its user's session epoch: a challenge
// made before the user's sessions were ended (a password set by ticket or changed) neither yields a
// token nor sends a code. A user stored without an epoch is at epoch zero; a user gone passes, as the
// authorizer refuses its tokens anyway.
func (s *Store) epochCheck(userID string, epoch int) types.TransactWriteItem {
	cond := "sessionEpoch = :epoch"
	if epoch == 0 {
		cond = "attribute_not_exists(sessionEpoch) OR " + cond
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(prefixUserID + userID), ConditionExpression: aws.String(cond),
		ExpressionAttributeValues: map[string]types.AttributeValue{":epoch": &types.AttributeValueMemberN{Value: strconv.Itoa(epoch)}},
	}}
}

// cancelled returns the cancellation reasons of a cancelled transaction.
func cancelled(err error) ([]types.CancellationReason, bool) {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		return tce.CancellationReasons, true
	}
	return nil, false
}

func failedCondition(reasons []types.CancellationReason, i int) bool {
	return i < len(reasons) && aws.ToString(reasons[i].Code) == "ConditionalCheckFailed"
}

// collided reports a transaction cancelled because another transaction was changing one of its items
// (reason TransactionConflict). The SDK does not retry it: the store decides per operation.
func collided(err error) bool {
	reasons, ok := cancelled(err)
	if !ok {
		return false
	}
	for _, r := range reasons {
		if aws.ToString(r.Code) == "TransactionConflict" {
			return true
		}
	}
	return false
}

// maxCollisions bounds the retries of a transaction that collided with another one.
const maxCollisions = 3

// transact runs a transaction, running it again when it merely collided with another transaction.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem) error {
	for try := 1; ; try++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if !collided(err) || try == maxCollisions {
			return err
		}
	}
}
