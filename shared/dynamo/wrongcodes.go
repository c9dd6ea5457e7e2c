package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// A user's run of wrong binding codes (auth.WrongCodes) is one item under the email, which the login
// reads beside the user and the verify writes beside the challenge. It has no ttl: the run is of
// consecutive failures, which time must not end; a right code, an unblock and a password set by
// ticket delete it.

// wrongCodesItem is the MFAFAIL# item.
type wrongCodesItem struct {
	PK          string `dynamodbav:"pk"`
	UserID      string `dynamodbav:"userId"`
	Failures    int    `dynamodbav:"failures"`
	LockedUntil int64  `dynamodbav:"lockedUntil"` // unix ms; 0 for no backoff
}

func (i wrongCodesItem) run() auth.WrongCodes {
	return auth.WrongCodes{UserID: i.UserID, Failures: i.Failures, LockedUntil: fromMS(i.LockedUntil)}
}

// decodeRun is the run an item holds; no item is no run.
func decodeRun(item map[string]types.AttributeValue) (auth.WrongCodes, error) {
	var i wrongCodesItem
	if len(item) == 0 {
		return auth.WrongCodes{}, nil
	}
	if err := attributevalue.UnmarshalMap(item, &i); err != nil {
		return auth.WrongCodes{}, err
	}
	return i.run(), nil
}

// The conditions below are auth.WrongCodes.Refusal written for DynamoDB; the contract suite holds them
// to it state by state (contractWrongCodesRule).

// runAllows is the condition of a run that lets userID's second factor be tried now: none stored,
// another user's, or below the lock with no backoff in force.
func runAllows(userID string, now time.Time) expression.ConditionBuilder {
	return expression.AttributeNotExists(expression.Name(attrPK)).
		Or(expression.Name(attrUserID).NotEqual(expression.Value(userID))).
		Or(expression.Name(attrFailures).LessThan(expression.Value(auth.SecondFactorLock)).
			And(expression.Name(attrLockedUntil).LessThanEqual(expression.Value(ms(now)))))
}

// runStep is the condition and update of a wrong code's step (auth.WrongCodeStep).
func runStep(step auth.WrongCodeStep, now time.Time) (expression.ConditionBuilder, expression.UpdateBuilder) {
	failures, locked, user := expression.Name(attrFailures), expression.Name(attrLockedUntil), expression.Name(attrUserID)
	if step.From == nil {
		// Below the limit no backoff starts and the count is all that changes, so it needs no read. A run
		// that may not be tried matches neither part, and the refusal returns it.
		below := min(step.Below, auth.SecondFactorLock)
		cond := user.Equal(expression.Value(step.UserID)).
			And(failures.LessThan(expression.Value(below))).
			And(locked.LessThanEqual(expression.Value(ms(now))))
		if below > 0 { // with a limit of one, even the first wrong code starts a backoff
			cond = expression.AttributeNotExists(expression.Name(attrPK)).Or(cond)
		}
		return cond, expression.Add(failures, expression.Value(1)).
			Set(user, expression.Value(step.UserID)).
			Set(locked, expression.Value(0))
	}
	from := *step.From
	cond := expression.AttributeNotExists(expression.Name(attrPK))
	if from.UserID != "" {
		cond = user.Equal(expression.Value(from.UserID)).
			And(failures.Equal(expression.Value(from.Failures))).
			And(locked.Equal(expression.Value(ms(from.LockedUntil))))
	}
	return cond, expression.Set(user, expression.Value(step.To.UserID)).
		Set(failures, expression.Value(step.To.Failures)).
		Set(locked, expression.Value(ms(step.To.LockedUntil)))
}

// forgetRun is the transaction item that ends the email's run, whatever it holds.
func (s *Store) forgetRun(email string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(prefixWrong + email)}}
}

// runCheck is the transaction item that holds a send to the user's second factor being allowed: a
// code is never sent while the run of wrong codes backs it off or locks it.
func (s *Store) runCheck(email, userID string, now time.Time) (types.TransactWriteItem, error) {
	allows, err := expression.NewBuilder().WithCondition(runAllows(userID, now)).Build()
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(prefixWrong + email), ConditionExpression: allows.Condition(),
		ExpressionAttributeNames: allows.Names(), ExpressionAttributeValues: allows.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, nil
}

// refusedRun is the run a write refused by its condition on the run found: the item that came back
// with the refusal or, from an engine that returns none (the embedded one, for a transaction's
// Delete), a consistent read.
func (s *Store) refusedRun(ctx context.Context, email string, item map[string]types.AttributeValue) (auth.WrongCodes, error) {
	if len(item) == 0 {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(prefixWrong + email), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return auth.WrongCodes{}, fmt.Errorf("read wrong codes: %w", err)
		}
		item = out.Item
	}
	run, err := decodeRun(item)
	if err != nil {
		return run, fmt.Errorf("decode wrong codes: %w", err)
	}
	return run, nil
}
