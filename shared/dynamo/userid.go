package dynamo

import (
	"context"
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
// on the list index. more reports that the index holds further users. An index is read eventually
// consistently: a user created or deleted a moment ago may be missing from, or still in, the list.
func (s *Store) UsersByCreateDate(ctx context.Context, limit int) (users []auth.User, more bool, err error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(indexList),
		KeyConditionExpression:    aws.String("#pk = :users"),
		ExpressionAttributeNames:  map[string]string{"#pk": attrGSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":users": &types.AttributeValueMemberS{Value: listUsers}},
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, false, fmt.Errorf("list users: %w", err)
	}
	users = make([]auth.User, 0, len(out.Items))
	for _, item := range out.Items {
		u, err := decodeUser(item)
		if err != nil {
			return nil, false, err
		}
		users = append(users, u)
	}
	return users, len(out.LastEvaluatedKey) > 0, nil
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
