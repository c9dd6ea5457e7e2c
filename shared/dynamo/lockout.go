package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// A password attempt counts on two items: LOGIN#<email>, the account's counter, and
// LOGINNET#<email>#<network>, the email's counter from the attempt's network. Both are loginItems.

func loginNetKey(a auth.PasswordAttempt) string {
	return prefixLoginNet + a.Email + "#" + string(a.Network)
}

// notLocked is the condition of a counter without a lock in force.
func notLocked(now time.Time) expression.ConditionBuilder {
	lock := expression.Name(attrLockedUntil)
	return expression.AttributeNotExists(lock).Or(lock.LessThanEqual(expression.Value(ms(now))))
}

// countingRule is an auth.AttemptRule written for DynamoDB: the condition under which a counter counts
// the attempt, and the update that counts it. The contract suite holds the condition to
// auth.AttemptRule.Admits state by state.
func countingRule(r auth.AttemptRule, now time.Time) (expression.ConditionBuilder, expression.UpdateBuilder) {
	failures, ttl, lock := expression.Name(attrFailures), expression.Name(attrTTL), expression.Name(attrLockedUntil)
	expires := expression.Value(r.Expires.Unix())
	switch r.Mode {
	case auth.CountLocking:
		match := failures.Equal(expression.Value(r.Failures))
		if r.Failures == 0 {
			match = expression.AttributeNotExists(failures).Or(match)
		}
		return notLocked(now).And(match), expression.Set(failures, expression.Value(r.Failures+1)).
			Set(lock, expression.Value(ms(r.Until))).Set(ttl, expires)
	case auth.CountAfresh:
		// A lock of 0 is none (an item's lapsed lock, as the other modes leave it, ends in the past too).
		upd := expression.Set(failures, expression.Value(1)).Set(lock, expression.Value(ms(r.Until))).Set(ttl, expires)
		return notLocked(now).And(ttl.Equal(expression.Value(r.Stale.Unix()))), upd
	}
	fresh := expression.AttributeNotExists(ttl).Or(ttl.GreaterThan(expression.Value(now.Unix())))
	cond := fresh.And(failures.LessThan(expression.Value(r.Below)))
	if r.Below > 0 {
		// Nothing counted, however old the item: a count of none needs no forgetting.
		cond = expression.AttributeNotExists(failures).Or(failures.LessThanEqual(expression.Value(0))).Or(cond)
	}
	return notLocked(now).And(cond), expression.Add(failures, expression.Value(1)).Set(ttl, expires)
}

// AdmitAttempt counts a password attempt on the account's counter and on the network's, each under
// its rule, in one transaction: both count it or neither does. A counter whose rule refused comes back
// with the state that refused it. A transaction that kept colliding with others on these items is
// auth.ErrConflict.
func (s *Store) AdmitAttempt(ctx context.Context, a auth.PasswordAttempt, now time.Time, account, network auth.AttemptRule) (auth.Admission, error) {
	keys := []string{prefixLogin + a.Email, loginNetKey(a)}
	items := make([]types.TransactWriteItem, len(keys))
	for i, r := range []auth.AttemptRule{account, network} {
		cond, upd := countingRule(r, now)
		expr, err := expression.NewBuilder().WithCondition(cond).WithUpdate(upd).Build()
		if err != nil {
			return auth.Admission{}, err
		}
		items[i] = types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(keys[i]),
			ConditionExpression: expr.Condition(), UpdateExpression: expr.Update(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}}
	}
	err := s.transact(ctx, items)
	reasons, ok := cancelled(err)
	switch {
	case err == nil:
		return auth.Admission{Admitted: true}, nil
	case ok && (failedCondition(reasons, 0) || failedCondition(reasons, 1)):
		var adm auth.Admission
		states := []**auth.LoginAttempts{&adm.Account, &adm.Network}
		for i := range keys {
			if !failedCondition(reasons, i) {
				continue // its rule held, or the engine stopped at the first refusal
			}
			st, err := s.refusedCounter(ctx, keys[i], reasons[i].Item)
			if err != nil {
				return auth.Admission{}, err
			}
			*states[i] = &st
		}
		return adm, nil
	case collided(err):
		return auth.Admission{}, fmt.Errorf("admit password attempt: %w", auth.ErrConflict)
	}
	return auth.Admission{}, fmt.Errorf("admit password attempt: %w", err)
}

// refusedCounter is the state of a counter that refused an attempt: the old item the refusal carried,
// or, from engines that return none, the item as read now. No item is the zero state.
func (s *Store) refusedCounter(ctx context.Context, pk string, item map[string]types.AttributeValue) (auth.LoginAttempts, error) {
	if item == nil {
		out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return auth.LoginAttempts{}, fmt.Errorf("read password attempts: %w", err)
		}
		item = out.Item
	}
	var l loginItem
	if err := attributevalue.UnmarshalMap(item, &l); err != nil {
		return auth.LoginAttempts{}, fmt.Errorf("decode password attempts: %w", err)
	}
	return l.attempts(), nil
}

// settle is the transaction items that take back a right password's counted attempt: the email's
// count from the network is forgotten, and the attempt leaves the account's count, whose failures
// from other networks stay until its hour ends. The account's item is normally there (the attempt was
// just counted on it); where an unblock or a new password forgot it meanwhile, the item this makes
// holds a count below zero, which reads as none, and is swept an hour after at. An attempt without a
// network (none was counted) settles nothing.
func (s *Store) settle(a auth.PasswordAttempt, at time.Time) []types.TransactWriteItem {
	if a.Network == "" {
		return nil
	}
	return []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: key(loginNetKey(a))}},
		{Update: &types.Update{
			TableName: &s.table, Key: key(prefixLogin + a.Email),
			UpdateExpression:         aws.String("ADD #failures :back SET #ttl = if_not_exists(#ttl, :ttl)"),
			ExpressionAttributeNames: map[string]string{"#failures": attrFailures, "#ttl": attrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":back": &types.AttributeValueMemberN{Value: "-1"},
				":ttl":  &types.AttributeValueMemberN{Value: strconv.FormatInt(at.Add(time.Hour).Unix(), 10)},
			},
		}},
	}
}

// SettleAttempt takes back a right password's counted attempt, in one transaction.
func (s *Store) SettleAttempt(ctx context.Context, a auth.PasswordAttempt, now time.Time) error {
	items := s.settle(a, now)
	if len(items) == 0 {
		return nil
	}
	if err := s.transact(ctx, items); err != nil {
		return fmt.Errorf("settle password attempt: %w", err)
	}
	return nil
}
