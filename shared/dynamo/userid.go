package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// maxBatchKeys is the most keys one BatchGetItem takes.
const maxBatchKeys = 100

// GetUserByID reads a user by userId: one consistent GetItem on its USERID# copy, which every write of
// the user keeps whole; auth.ErrNotFound when absent.
func (s *Store) GetUserByID(ctx context.Context, id string) (auth.User, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(prefixUserID + id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return auth.User{}, fmt.Errorf("get user by id: %w", err)
	}
	if len(out.Item) == 0 {
		return auth.User{}, auth.ErrNotFound
	}
	return decodeUser(out.Item)
}

// UsersByCreateDate reads the first limit users in the order of creation (then userId) with one Query
// on the list index, without their password hashes: the first page of UsersAfter. more reports that
// the index holds further users. An index is read eventually consistently: a user created or deleted
// a moment ago may be missing from, or still in, the list.
func (s *Store) UsersByCreateDate(ctx context.Context, limit int) (users []auth.User, more bool, err error) {
	users, next, err := s.UsersAfter(ctx, "", limit, nil)
	return users, next != "", err
}

// LoginAttemptsOf reads the failed-password state of each email with one consistent BatchGetItem per
// maxBatchKeys emails; an email without any is left out of the map.
func (s *Store) LoginAttemptsOf(ctx context.Context, emails []string) (map[string]auth.LoginAttempts, error) {
	out := make(map[string]auth.LoginAttempts, len(emails))
	seen := make(map[string]bool, len(emails))
	var keys []map[string]types.AttributeValue
	for _, e := range emails {
		if !seen[e] { // a batch refuses a key given twice
			seen[e] = true
			keys = append(keys, key(prefixLogin+e))
		}
	}
	for start := 0; start < len(keys); start += maxBatchKeys {
		items, err := s.batchGet(ctx, keys[start:min(start+maxBatchKeys, len(keys))])
		if err != nil {
			return nil, fmt.Errorf("read login attempts: %w", err)
		}
		for _, item := range items {
			var l loginItem
			if err := attributevalue.UnmarshalMap(item, &l); err != nil {
				return nil, fmt.Errorf("decode login attempts: %w", err)
			}
			out[l.PK[len(prefixLogin):]] = l.attempts()
		}
	}
	return out, nil
}

// CopyUsers writes the copy by userId of every user stored without one (users written before copies
// were kept), each in a transaction conditioned on the user being unchanged and the copy still
// missing, so that a write of the user meanwhile (which writes the copy itself) wins. It reports how
// many copies it wrote. It scans the table, so it is for operator tools only: the store's client must
// also be a Scanner (a *dynamodb.Client is).
func (s *Store) CopyUsers(ctx context.Context) (int, error) {
	db, ok := s.db.(Scanner)
	if !ok {
		return 0, errors.New("copy users: the store's client cannot scan")
	}
	in := &dynamodb.ScanInput{
		TableName: &s.table, ConsistentRead: aws.Bool(true),
		FilterExpression:          aws.String("begins_with(pk, :users)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":users": &types.AttributeValueMemberS{Value: prefixUser}},
	}
	written := 0
	for {
		out, err := db.Scan(ctx, in)
		if err != nil {
			return written, fmt.Errorf("copy users: %w", err)
		}
		for _, item := range out.Items {
			u, err := decodeUser(item)
			if err != nil {
				return written, err
			}
			copied, err := s.copyUser(ctx, u)
			if err != nil {
				return written, err
			}
			if copied {
				written++
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return written, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// copyUser writes u's copy by userId, provided it has none and u is still what is stored by email.
func (s *Store) copyUser(ctx context.Context, u auth.User) (bool, error) {
	byID, err := s.putNew(newUserCopy(u))
	if err != nil {
		return false, err
	}
	cond, err := unchanged(u)
	if err != nil {
		return false, err
	}
	check := types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(prefixUser + u.Email), ConditionExpression: cond.Condition(),
		ExpressionAttributeNames: cond.Names(), ExpressionAttributeValues: cond.Values(),
	}}
	err = s.transact(ctx, []types.TransactWriteItem{byID, check})
	if _, ok := cancelled(err); ok {
		return false, nil // it has a copy, or it changed (and its change wrote one)
	}
	if err != nil {
		return false, fmt.Errorf("copy user: %w", err)
	}
	return true, nil
}
