// Package dynamo is the gateway's single-table DynamoDB store: key builders, item structs and the
// conditional writes and transactions that settle every race.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math"
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
// so that a token one instance hands out opens at every other given the same secret.
func (s *Store) WithPageSecret(secret []byte) *Store {
	c := *s
	c.pages = odata.NewSealer(secret)
	return &c
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{attrPK: &types.AttributeValueMemberS{Value: pk}}
}

func sendsKey(s auth.SendSlot) string {
	return prefixSends + s.UserID + "#" + strconv.FormatInt(s.Window.Unix()/3600, 10)
}

// maxBatchRounds bounds the retries of unprocessed BatchGetItem keys.
const maxBatchRounds = 4

// LoadLogin reads user and application in one consistent BatchGetItem.
func (s *Store) LoadLogin(ctx context.Context, email string, app auth.AppRef) (auth.LoginRecord, error) {
	appPK := prefixApp + app.ID
	if app.ID == "" {
		appPK = prefixAppURL + app.URL
	}
	items, err := s.itemsByKey(ctx, prefixUser+email, appPK)
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

// notLocked is the condition of an email without a lock in force.
func notLocked(now time.Time) expression.ConditionBuilder {
	lock := expression.Name(attrLockedUntil)
	return expression.AttributeNotExists(lock).Or(lock.LessThanEqual(expression.Value(ms(now))))
}

// Admit counts a password attempt if the email is unlocked, has fewer than below failures, and its
// count is not past its expiry.
func (s *Store) Admit(ctx context.Context, email string, now time.Time, below int, expires time.Time) (bool, auth.LoginAttempts, error) {
	failures := expression.Name(attrFailures)
	fewer := failures.LessThan(expression.Value(below))
	if below > 0 { // an email never seen has none; with a limit of one, even the first attempt locks
		fewer = expression.AttributeNotExists(failures).Or(fewer)
	}
	ttl := expression.Name(attrTTL)
	fresh := expression.AttributeNotExists(ttl).Or(ttl.GreaterThan(expression.Value(now.Unix())))
	cond := notLocked(now).And(fewer).And(fresh) // a stale count is refused, for the caller to forget it
	upd := expression.Add(failures, expression.Value(1)).Set(ttl, expression.Value(expires.Unix()))
	return s.admit(ctx, email, cond, upd)
}

// AdmitLocking counts a password attempt for an unlocked email with exactly failures failures, and
// locks it until until.
func (s *Store) AdmitLocking(ctx context.Context, email string, now time.Time, failures int, until, expires time.Time) (bool, auth.LoginAttempts, error) {
	name := expression.Name(attrFailures)
	match := name.Equal(expression.Value(failures))
	if failures == 0 {
		match = expression.AttributeNotExists(name).Or(match)
	}
	upd := expression.Set(name, expression.Value(failures+1)).
		Set(expression.Name(attrLockedUntil), expression.Value(ms(until))).
		Set(expression.Name(attrTTL), expression.Value(expires.Unix()))
	return s.admit(ctx, email, notLocked(now).And(match), upd)
}

func (s *Store) admit(ctx context.Context, email string, cond expression.ConditionBuilder, upd expression.UpdateBuilder) (bool, auth.LoginAttempts, error) {
	expr, err := expression.NewBuilder().WithCondition(cond).WithUpdate(upd).Build()
	if err != nil {
		return false, auth.LoginAttempts{}, err
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(prefixLogin + email),
		ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		if err != nil {
			return false, auth.LoginAttempts{}, fmt.Errorf("admit password attempt: %w", err)
		}
		return true, auth.LoginAttempts{}, nil
	}
	item := ccf.Item
	if item == nil { // engines that do not return the old item
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(prefixLogin + email), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return false, auth.LoginAttempts{}, fmt.Errorf("read password attempts: %w", err)
		}
		item = out.Item
	}
	var l loginItem
	if err := attributevalue.UnmarshalMap(item, &l); err != nil {
		return false, auth.LoginAttempts{}, fmt.Errorf("decode password attempts: %w", err)
	}
	return false, l.attempts(), nil
}

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

// ForgetAttempts deletes the email's password attempts, conditionally on their expiry when one is given.
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

// IssueToken stores a new auth token and forgets the email's password attempts, in one transaction.
func (s *Store) IssueToken(ctx context.Context, t auth.Token) error {
	put, err := s.putNew(newTokenItem(t))
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{put, s.clearFailures(t.Email)})
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

// countSend is the transaction item that counts one send in the user's hourly slot, refusing past its limit.
func (s *Store) countSend(slot auth.SendSlot) (types.TransactWriteItem, error) {
	n := expression.Name(attrCount)
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name(attrPK)).Or(n.LessThan(expression.Value(slot.Limit)))).
		WithUpdate(expression.Add(n, expression.Value(1)).Set(expression.Name(attrTTL), expression.Value(slot.ExpiresAt.Unix()))).
		Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(sendsKey(slot)),
		ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}}, nil
}

// CreateChallenge stores a challenge, counts its first send (none for the zero slot: nothing is sent)
// and forgets the email's password attempts, in one transaction.
func (s *Store) CreateChallenge(ctx context.Context, c auth.Challenge, slot auth.SendSlot) error {
	put, err := s.putNew(newChallengeItem(c))
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{put}
	if slot != (auth.SendSlot{}) {
		send, err := s.countSend(slot)
		if err != nil {
			return err
		}
		items = append(items, send)
	}
	err = s.transact(ctx, append(items, s.clearFailures(c.Email)))
	if ownRetry(err) {
		return nil
	}
	if reasons, ok := cancelled(err); ok && failedCondition(reasons, 1) {
		return auth.ErrSendLimit
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

// CountAttempt uses one attempt, under the condition that the challenge is verifiable now: live, its
// attempts not used up, (when given) its channel the one named and its code unexpired. A refused
// attempt is not counted, and the old item tells which condition failed.
func (s *Store) CountAttempt(ctx context.Context, id string, channel auth.Channel, now time.Time, maxAttempts int) (auth.Challenge, error) {
	expr, err := expression.NewBuilder().WithCondition(verifiableChallenge(now, maxAttempts, channel)).
		WithUpdate(expression.Add(expression.Name(attrAttempts), expression.Value(1))).Build()
	if err != nil {
		return auth.Challenge{}, err
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(prefixChallenge + id),
		ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return auth.Challenge{}, why(ccf.Item, func(c auth.Challenge) error { return c.Verifiable(now, maxAttempts, channel) })
	}
	if err != nil {
		return auth.Challenge{}, fmt.Errorf("count attempt: %w", err)
	}
	return decodeChallenge(out.Attributes)
}

// why tells which condition on a challenge failed, from the old item DynamoDB returns with the
// failure (ReturnValuesOnConditionCheckFailure), by asking rule, the domain's method the condition
// was written from. No item means there was none: the challenge is gone. Reading it again instead
// would cost a round trip and a permission the verify function does not have. An item the rule
// passes failed on what the caller compared besides: a concurrent change.
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

// Consume marks the challenge used and stores the token in one transaction; only one of any number of
// racing verifies can pass the condition. ErrChallengeGone when the challenge is used or expired,
// ErrConflict when a resend replaced the compared code.
func (s *Store) Consume(ctx context.Context, c auth.Challenge, t auth.Token, now time.Time) error {
	expr, err := expression.NewBuilder().
		WithCondition(liveChallenge(now).And(expression.Name(attrCodeHash).Equal(expression.Value(c.CodeHash)))).
		WithUpdate(expression.Set(expression.Name(attrUsed), expression.Value(true)).
			Set(expression.Name(attrTokenID), expression.Value(t.ID))).
		Build()
	if err != nil {
		return err
	}
	put, err := s.putNew(newTokenItem(t))
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(prefixChallenge + c.ID),
			ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		put,
		s.epochCheck(c.UserID, c.Epoch),
	}})
	if collided(err) { // another verify or a resend is changing this challenge: answered as a code to retry
		return auth.ErrConflict
	}
	if reasons, ok := cancelled(err); ok && failedCondition(reasons, 2) {
		return fmt.Errorf("the user's sessions ended after the login: %w", auth.ErrChallengeGone)
	}
	if reasons, ok := cancelled(err); ok && failedCondition(reasons, 0) {
		if old, _ := decodeChallengeItem(reasons[0].Item); old.Used && old.TokenID == t.ID {
			return nil // this request's own earlier attempt consumed it; its answer was lost
		}
		// Used or expired: gone. Otherwise a resend replaced the compared code meanwhile (ErrConflict).
		// Attempts do not count here: the one this verify used may have been the last.
		if err := why(reasons[0].Item, func(c auth.Challenge) error { return c.Usable(now, math.MaxInt) }); errors.Is(err, auth.ErrChallengeGone) {
			return err
		}
		return auth.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("consume challenge: %w", err)
	}
	return nil
}

// RotateCode replaces the challenge's code, and its channel, provider and address with it (a resend
// may switch channel), and counts the send, in one transaction: a code never goes out on a channel
// the challenge does not name. The challenge must be exactly as read (same send count and code), live,
// and with attempts left.
func (s *Store) RotateCode(ctx context.Context, prev, next auth.Challenge, slot auth.SendSlot, maxAttempts int) error {
	now := next.LastSentAt
	expr, err := expression.NewBuilder().
		WithCondition(usableChallenge(now, maxAttempts).
			And(expression.Name(attrSends).Equal(expression.Value(prev.Sends))).
			And(expression.Name(attrCodeHash).Equal(expression.Value(prev.CodeHash)))).
		WithUpdate(channelUpdate(next).
			Set(expression.Name(attrCodeHash), expression.Value(next.CodeHash)).
			Set(expression.Name(attrCodeExpiresAt), expression.Value(ms(next.CodeExpiresAt))).
			Set(expression.Name(attrAttempts), expression.Value(0)).
			Set(expression.Name(attrSends), expression.Value(next.Sends)).
			Set(expression.Name(attrLastSentAt), expression.Value(ms(next.LastSentAt)))).
		Build()
	if err != nil {
		return err
	}
	send, err := s.countSend(slot)
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(prefixChallenge + prev.ID),
			ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		send,
		s.epochCheck(prev.UserID, prev.Epoch),
	})
	reasons, ok := cancelled(err)
	switch {
	case collided(err): // a verify or another resend is changing this challenge
		return auth.ErrConflict
	case ok && failedCondition(reasons, 2):
		return fmt.Errorf("the user's sessions ended after the login: %w", auth.ErrChallengeGone)
	case ok && failedCondition(reasons, 0):
		if old, _ := decodeChallengeItem(reasons[0].Item); old.CodeHash == next.CodeHash {
			return nil // this request's own earlier attempt rotated it; its answer was lost
		}
		// An expired code is no reason to refuse a resend: a new code is what it is for.
		return why(reasons[0].Item, func(c auth.Challenge) error { return c.Usable(now, maxAttempts) })
	case ok && failedCondition(reasons, 1):
		return auth.ErrSendLimit
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
