package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// The authenticator app of a user is one item, OTP#<userId>: its sealed secret, whether it is
// confirmed, the last time step accepted, the HMACs of its unused recovery codes and the tries of its
// own routes. A confirmed app's sealed secret is also on the user's two items (attribute otp), so a
// login reads it with the user; every write that confirms or removes the app changes all three in one
// transaction, and every verify that accepts one of its codes moves its last step, or uses up a
// recovery code, in the transaction that consumes the challenge.

var _ auth.SecondFactorStore = (*Store)(nil)

// Attribute names of the authenticator app's item.
const (
	attrSecret     = "secret"
	attrConfirmed  = "confirmed"
	attrLastStep   = "lastStep"
	attrRecovery   = "recovery"
	attrTries      = "tries"
	attrTriesSince = "triesSince"
)

type otpItem struct {
	PK         string   `dynamodbav:"pk"`
	UserID     string   `dynamodbav:"userId"`
	Secret     string   `dynamodbav:"secret"` // sealed; never the base32 secret
	Confirmed  bool     `dynamodbav:"confirmed"`
	CreateDate string   `dynamodbav:"createDate"`
	LastStep   int64    `dynamodbav:"lastStep"`
	Recovery   []string `dynamodbav:"recovery,stringset,omitempty"` // hex HMACs; absent when none is left
	Tries      int      `dynamodbav:"tries,omitempty"`
	TriesSince int64    `dynamodbav:"triesSince,omitempty"` // unix ms
}

func newOTPItem(a auth.AuthenticatorApp) otpItem {
	return otpItem{
		PK: prefixOTP + a.UserID, UserID: a.UserID, Secret: a.Secret, Confirmed: a.Confirmed, CreateDate: date(a.CreateDate),
		LastStep: a.LastStep, Recovery: a.Recovery, Tries: a.Tries, TriesSince: ms(a.TriesSince),
	}
}

func (i otpItem) app() auth.AuthenticatorApp {
	return auth.AuthenticatorApp{
		UserID: i.UserID, Secret: i.Secret, Confirmed: i.Confirmed, CreateDate: parseDate(i.CreateDate),
		LastStep: i.LastStep, Recovery: i.Recovery, Tries: i.Tries, TriesSince: fromMS(i.TriesSince),
	}
}

func decodeApp(item map[string]types.AttributeValue) (auth.AuthenticatorApp, error) {
	if _, set := item[attrRecovery].(*types.AttributeValueMemberSS); !set && item[attrRecovery] != nil {
		// DynamoDB removes a set that DELETE empties; the embedded engine leaves another value there.
		item = maps.Clone(item)
		delete(item, attrRecovery)
	}
	var i otpItem
	if err := attributevalue.UnmarshalMap(item, &i); err != nil {
		return auth.AuthenticatorApp{}, fmt.Errorf("decode authenticator app: %w", err)
	}
	return i.app(), nil
}

// SecondFactors reads the user by userId, its authenticator app and, when appID is given, the
// application, in one consistent BatchGetItem.
func (s *Store) SecondFactors(ctx context.Context, userID, appID string) (auth.SecondFactorRecord, error) {
	pks := []string{prefixUserID + userID, prefixOTP + userID}
	if appID != "" {
		pks = append(pks, prefixApp+appID)
	}
	items, err := s.itemsByKey(ctx, pks...)
	if err != nil {
		return auth.SecondFactorRecord{}, err
	}
	var rec auth.SecondFactorRecord
	if item, ok := items[prefixUserID+userID]; ok {
		if rec.User, err = found(decodeUser(item)); err != nil {
			return rec, err
		}
	}
	if item, ok := items[prefixOTP+userID]; ok {
		if rec.App, err = found(decodeApp(item)); err != nil {
			return rec, err
		}
	}
	if item, ok := items[prefixApp+appID]; ok && appID != "" {
		if rec.Application, err = found(decodeApplication(item)); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// PutAuthenticatorApp writes a new, unconfirmed authenticator app over none or an unconfirmed one.
func (s *Store) PutAuthenticatorApp(ctx context.Context, a auth.AuthenticatorApp) error {
	av, err := attributevalue.MarshalMap(newOTPItem(a))
	if err != nil {
		return fmt.Errorf("encode authenticator app: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR confirmed = :false"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":false": &types.AttributeValueMemberBOOL{Value: false}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return auth.ErrAuthenticatorAppConfirmed
	}
	if err != nil {
		return fmt.Errorf("put authenticator app: %w", err)
	}
	return nil
}

// CountAppTry counts a try of the user's authenticator app in the window that began after since, or
// starts a new window with it, each by a conditional write that returns the app as written.
func (s *Store) CountAppTry(ctx context.Context, userID string, now, since time.Time, maxTries int) (auth.AuthenticatorApp, error) {
	exists := expression.AttributeExists(expression.Name(attrPK))
	triesSince := expression.Name(attrTriesSince)
	inWindow := exists.And(triesSince.GreaterThan(expression.Value(ms(since)))).
		And(expression.Name(attrTries).LessThan(expression.Value(maxTries)))
	newWindow := exists.And(expression.AttributeNotExists(triesSince).Or(triesSince.LessThanEqual(expression.Value(ms(since)))))
	for range maxCollisions {
		app, old, err := s.updateApp(ctx, userID, inWindow, expression.Add(expression.Name(attrTries), expression.Value(1)))
		if !errors.Is(err, errAppCondition) {
			return app, err
		}
		if old == nil {
			return auth.AuthenticatorApp{}, auth.ErrNoAuthenticatorApp
		}
		if old.TriesSince.After(since) { // the window runs and its tries are used up
			return *old, auth.ErrAttemptsExhausted
		}
		app, old, err = s.updateApp(ctx, userID, newWindow,
			expression.Set(expression.Name(attrTries), expression.Value(1)).Set(triesSince, expression.Value(ms(now))))
		if !errors.Is(err, errAppCondition) {
			return app, err
		}
		if old == nil {
			return auth.AuthenticatorApp{}, auth.ErrNoAuthenticatorApp
		}
		// Another try began the window meanwhile: count this one in it.
	}
	return auth.AuthenticatorApp{}, auth.ErrConflict
}

// errAppCondition is updateApp's refusal: the condition failed, and the old item (nil when there was
// none) tells why.
var errAppCondition = errors.New("authenticator app condition failed")

// updateApp updates the user's authenticator app under cond and returns it as written; on a failed
// condition, errAppCondition and the app as it was (nil when there is none).
func (s *Store) updateApp(ctx context.Context, userID string, cond expression.ConditionBuilder, upd expression.UpdateBuilder) (auth.AuthenticatorApp, *auth.AuthenticatorApp, error) {
	expr, err := expression.NewBuilder().WithCondition(cond).WithUpdate(upd).Build()
	if err != nil {
		return auth.AuthenticatorApp{}, nil, err
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(prefixOTP + userID),
		ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		item := ccf.Item
		if item == nil { // engines that do not return the old item
			if item, err = s.getItem(ctx, prefixOTP+userID); err != nil {
				return auth.AuthenticatorApp{}, nil, err
			}
		}
		if len(item) == 0 {
			return auth.AuthenticatorApp{}, nil, errAppCondition
		}
		old, err := decodeApp(item)
		if err != nil {
			return auth.AuthenticatorApp{}, nil, err
		}
		return auth.AuthenticatorApp{}, &old, errAppCondition
	}
	if err != nil {
		return auth.AuthenticatorApp{}, nil, fmt.Errorf("update authenticator app: %w", err)
	}
	app, err := decodeApp(out.Attributes)
	return app, nil, err
}

func (s *Store) getItem(ctx context.Context, pk string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get item: %w", err)
	}
	return out.Item, nil
}

// sameApp is the condition that the user's authenticator app is still the one sealed as a.Secret,
// confirmed or not as confirmed says.
func sameApp(a auth.AuthenticatorApp, confirmed bool) expression.ConditionBuilder {
	return expression.Name(attrSecret).Equal(expression.Value(a.Secret)).
		And(expression.Name(attrConfirmed).Equal(expression.Value(confirmed)))
}

// stepAfter is the condition that step is later than the last one accepted.
func stepAfter(step int64) expression.ConditionBuilder {
	last := expression.Name(attrLastStep)
	return expression.AttributeNotExists(last).Or(last.LessThan(expression.Value(step)))
}

// appRefused tells why a write of a (with step, or a recovery code's hash, when given) failed its
// condition, from the item as it was.
func appRefused(item map[string]types.AttributeValue, a auth.AuthenticatorApp, step int64, hash string) error {
	if len(item) == 0 {
		return auth.ErrNoAuthenticatorApp
	}
	old, err := decodeApp(item)
	switch {
	case err != nil:
		return err
	case old.Secret != a.Secret:
		return auth.ErrConflict // replaced by another enrolment
	case step != 0 && old.LastStep >= step:
		return auth.ErrStepUsed
	case hash != "" && !slices.Contains(old.Recovery, hash):
		return auth.ErrRecoveryCodeUnknown
	}
	return auth.ErrConflict // confirmed or removed meanwhile
}

// appUpdate is the transaction item updating the user's authenticator app.
func (s *Store) appUpdate(userID string, cond expression.ConditionBuilder, upd expression.UpdateBuilder) (types.TransactWriteItem, error) {
	expr, err := expression.NewBuilder().WithCondition(cond).WithUpdate(upd).Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(prefixOTP + userID),
		ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, nil
}

// userOTP is the two transaction items that rewrite the user u, as read, with sealed as its copy of
// the authenticator app's secret (none for empty), on the item by email and the copy by userId; the
// item by email must still be exactly u, as for every other change of a user.
func (s *Store) userOTP(u auth.User, sealed string) ([]types.TransactWriteItem, error) {
	next := u
	next.OTP = sealed
	byEmail, err := s.putOver(u, newUserItem(next))
	if err != nil {
		return nil, err
	}
	byID, err := s.copyOver(u, next)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{byEmail, byID}, nil
}

// appTransaction runs a transaction whose first item writes the app a, and tells its refusals apart:
// the app's condition (appRefused), or the user's items changed or gone (ErrConflict).
func (s *Store) appTransaction(ctx context.Context, what string, a auth.AuthenticatorApp, step int64, hash string, items []types.TransactWriteItem) error {
	err := s.transact(ctx, items)
	reasons, ok := cancelled(err)
	switch {
	case collided(err):
		return auth.ErrConflict
	case ok && failedCondition(reasons, 0):
		item := reasons[0].Item
		if len(item) == 0 { // engines that return no old item with a failed Delete
			var gerr error
			if item, gerr = s.getItem(ctx, prefixOTP+a.UserID); gerr != nil {
				return gerr
			}
		}
		return appRefused(item, a, step, hash)
	case ok:
		return auth.ErrConflict // the user's items: the user changed meanwhile, or is gone
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// forgetTries is the update that forgets the app's tries. Written as zeros rather than removed: the
// embedded engine does not remove attributes (REMOVE), and zeros read as none.
func forgetTries(upd expression.UpdateBuilder) expression.UpdateBuilder {
	return upd.Set(expression.Name(attrTries), expression.Value(0)).Set(expression.Name(attrTriesSince), expression.Value(0))
}

// ConfirmAuthenticatorApp confirms a with its first step and recovery codes (either may be none) and
// copies its sealed secret to the user's items, in one transaction.
func (s *Store) ConfirmAuthenticatorApp(ctx context.Context, a auth.AuthenticatorApp, u auth.User, step int64, recovery []string) error {
	cond := sameApp(a, false)
	upd := forgetTries(expression.Set(expression.Name(attrConfirmed), expression.Value(true)))
	if step != 0 { // a code of it was shown; an operator's confirmation shows none
		cond = cond.And(stepAfter(step))
		upd = upd.Set(expression.Name(attrLastStep), expression.Value(step))
	}
	if len(recovery) > 0 { // DynamoDB has no empty sets
		upd = upd.Set(expression.Name(attrRecovery), expression.Value(&types.AttributeValueMemberSS{Value: recovery}))
	}
	app, err := s.appUpdate(a.UserID, cond, upd)
	if err != nil {
		return err
	}
	user, err := s.userOTP(u, a.Secret)
	if err != nil {
		return err
	}
	return s.appTransaction(ctx, "confirm authenticator app", a, step, "", append([]types.TransactWriteItem{app}, user...))
}

// ReplaceRecoveryCodes sets a's recovery codes, and its last step when one is given, in one
// conditional write.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, a auth.AuthenticatorApp, step int64, recovery []string) error {
	cond := sameApp(a, true)
	upd := forgetTries(expression.Set(expression.Name(attrRecovery), expression.Value(&types.AttributeValueMemberSS{Value: recovery})))
	if step != 0 {
		cond = cond.And(stepAfter(step))
		upd = upd.Set(expression.Name(attrLastStep), expression.Value(step))
	}
	_, old, err := s.updateApp(ctx, a.UserID, cond, upd)
	if errors.Is(err, errAppCondition) {
		if old == nil {
			return auth.ErrNoAuthenticatorApp
		}
		item, merr := attributevalue.MarshalMap(newOTPItem(*old))
		if merr != nil {
			return merr
		}
		return appRefused(item, a, step, "")
	}
	return err
}

// RemoveAuthenticatorApp deletes a, under its proof, and takes its sealed secret off the user's items,
// in one transaction.
func (s *Store) RemoveAuthenticatorApp(ctx context.Context, a auth.AuthenticatorApp, u auth.User, proof auth.AppProof) error {
	cond := expression.Name(attrSecret).Equal(expression.Value(a.Secret))
	if proof.Step != 0 {
		cond = cond.And(stepAfter(proof.Step))
	}
	if proof.RecoveryHash != "" {
		cond = cond.And(expression.Contains(expression.Name(attrRecovery), proof.RecoveryHash))
	}
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return err
	}
	del := types.TransactWriteItem{Delete: &types.Delete{
		TableName: &s.table, Key: key(prefixOTP + a.UserID), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
	user, err := s.userOTP(u, "")
	if err != nil {
		return err
	}
	return s.appTransaction(ctx, "remove authenticator app", a, proof.Step, proof.RecoveryHash, append([]types.TransactWriteItem{del}, user...))
}

// ConsumeOTP consumes the challenge for a code of its authenticator app of time step step: the
// challenge used, the token stored, the user's sessions unended, and the app, still the one sealed in
// the challenge, confirmed and with an earlier last step, moved to step, all in one transaction. Of
// any number of verifies racing with the same code, one passes.
func (s *Store) ConsumeOTP(ctx context.Context, c auth.Challenge, t auth.Token, step int64, now time.Time, maxAttempts int) error {
	app, err := s.appUpdate(c.UserID,
		sameApp(auth.AuthenticatorApp{Secret: c.OTP}, true).And(stepAfter(step)),
		expression.Set(expression.Name(attrLastStep), expression.Value(step)))
	if err != nil {
		return err
	}
	return s.consume(ctx, c, t, auth.ChannelOTP, now, maxAttempts, false, &app, func(item map[string]types.AttributeValue) error {
		if err := appRefused(item, auth.AuthenticatorApp{Secret: c.OTP}, step, ""); !errors.Is(err, auth.ErrStepUsed) {
			return auth.ErrAuthenticatorAppGone
		}
		return auth.ErrStepUsed
	})
}

// ConsumeRecoveryCode consumes the challenge for a recovery code of its user, removing the code's
// HMAC from the user's unused ones in the same transaction. The codes left are read alongside the
// transaction, not after it, so that it costs no round trip more: whether the read sees the set
// before the transaction or after it, the set without this code is what is left.
func (s *Store) ConsumeRecoveryCode(ctx context.Context, c auth.Challenge, t auth.Token, hash string, now time.Time, maxAttempts int) (int, error) {
	recovery := expression.Name(attrRecovery)
	app, err := s.appUpdate(c.UserID,
		expression.Name(attrConfirmed).Equal(expression.Value(true)).And(expression.Contains(recovery, hash)),
		expression.Delete(recovery, expression.Value(&types.AttributeValueMemberSS{Value: []string{hash}})))
	if err != nil {
		return 0, err
	}
	type read struct {
		item map[string]types.AttributeValue
		err  error
	}
	left := make(chan read, 1)
	go func() {
		item, err := s.getItem(ctx, prefixOTP+c.UserID)
		left <- read{item, err}
	}()
	err = s.consume(ctx, c, t, "", now, maxAttempts, true, &app, func(map[string]types.AttributeValue) error { return auth.ErrRecoveryCodeUnknown })
	got := <-left
	if err != nil {
		return 0, err
	}
	if got.err != nil || len(got.item) == 0 {
		return -1, nil // consumed: the token stands; only the count of codes left is unknown
	}
	codes, err := decodeApp(got.item)
	if err != nil {
		return 0, err
	}
	return len(slices.DeleteFunc(codes.Recovery, func(h string) bool { return h == hash })), nil
}
