package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// The writes of the account lifecycle (auth.Accounts): a ticket and a password are attributes of the
// user's items, so each change is the user's own conditional rewrite, with what goes with it in the
// same transaction.

var _ auth.AccountStore = (*Store)(nil)

// UserAndApp reads the user's copy by userId and the application with one consistent BatchGetItem.
func (s *Store) UserAndApp(ctx context.Context, userID, appID string) (*auth.User, *auth.Application, error) {
	items, err := s.batchGet(ctx, []map[string]types.AttributeValue{key(prefixUserID + userID), key(prefixApp + appID)})
	if err != nil {
		return nil, nil, err
	}
	var (
		user *auth.User
		app  *auth.Application
	)
	for _, item := range items {
		pk, _ := item[attrPK].(*types.AttributeValueMemberS)
		switch {
		case pk == nil:
		case pk.Value == prefixUserID+userID:
			u, err := decodeUser(item)
			if err != nil {
				return nil, nil, err
			}
			user = &u
		case pk.Value == prefixApp+appID:
			var a appItem
			if err := attributevalue.UnmarshalMap(item, &a); err != nil {
				return nil, nil, fmt.Errorf("decode application: %w", err)
			}
			application := a.application()
			app = &application
		}
	}
	return user, app, nil
}

// SetTicket rewrites the user with its new ticket and counts the ticket's email in the hourly slot,
// in one transaction: auth.ErrSendLimit when the slot is full, and then the ticket is not stored.
func (s *Store) SetTicket(ctx context.Context, prev, next auth.User, slot auth.SendSlot) error {
	return s.rewriteSending(ctx, "set ticket", prev, next, slot)
}

// SetPassword rewrites the user with its new password (and session epoch, ticket and status) and
// forgets the email's failed passwords, in one transaction. A spare token moves to the new epoch in
// it, provided the token still exists (auth.ErrInvalidToken otherwise).
func (s *Store) SetPassword(ctx context.Context, prev, next auth.User, spare string) error {
	if prev.Email != next.Email || prev.ID != next.ID {
		return errors.New("set password: email and user ID cannot change")
	}
	extra := []types.TransactWriteItem{s.clearFailures(prev.Email), s.forgetRun(prev.Email)}
	if spare != "" {
		extra = append(extra, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(prefixToken + spare),
			ConditionExpression: aws.String("attribute_exists(pk) AND userId = :user"),
			UpdateExpression:    aws.String("SET sessionEpoch = :epoch"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":user":  &types.AttributeValueMemberS{Value: next.ID},
				":epoch": &types.AttributeValueMemberN{Value: strconv.Itoa(next.Epoch)},
			},
		}})
	}
	err := s.rewriteUser(ctx, "set password", prev, next, extra...)
	var refused extraRefused
	if errors.As(err, &refused) {
		return auth.ErrInvalidToken
	}
	return err
}
