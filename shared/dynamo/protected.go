package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

var (
	_ auth.TokenStore       = (*Store)(nil)
	_ auth.ApplicationStore = (*Store)(nil)
	_ auth.ClientStore      = (*Store)(nil)
)

// GetToken reads an auth token with one consistent GetItem, so a logout is seen at once.
func (s *Store) GetToken(ctx context.Context, id string) (auth.Token, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(prefixToken + id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return auth.Token{}, false, fmt.Errorf("get token: %w", err)
	}
	if len(out.Item) == 0 {
		return auth.Token{}, false, auth.ErrNotFound
	}
	var t tokenItem
	if err := attributevalue.UnmarshalMap(out.Item, &t); err != nil {
		return auth.Token{}, false, fmt.Errorf("decode token: %w", err)
	}
	return t.token(id), t.Revoked, nil
}

// RevokeToken marks an auth token revoked.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(prefixToken + id),
		UpdateExpression:          aws.String("SET revoked = :true"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return auth.ErrNotFound
	}
	return err
}

// GetApplication reads an application by appId.
func (s *Store) GetApplication(ctx context.Context, id string) (auth.Application, error) {
	return s.getApplication(ctx, prefixApp+id)
}

// ApplicationByURL reads an application by its normalised url: one GetItem on the url copy, which
// every write of the application keeps whole.
func (s *Store) ApplicationByURL(ctx context.Context, url string) (auth.Application, error) {
	if url == "" {
		return auth.Application{}, auth.ErrNotFound // an application without a url has no url copy
	}
	return s.getApplication(ctx, prefixAppURL+url)
}

// getApplication reads one application item, consistently: a change applies to the next request.
func (s *Store) getApplication(ctx context.Context, pk string) (auth.Application, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(pk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return auth.Application{}, fmt.Errorf("get application: %w", err)
	}
	if len(out.Item) == 0 {
		return auth.Application{}, auth.ErrNotFound
	}
	var a appItem
	if err := attributevalue.UnmarshalMap(out.Item, &a); err != nil {
		return auth.Application{}, fmt.Errorf("decode application: %w", err)
	}
	return a.application(), nil
}

// CreateApplication writes a new application and its url index in one transaction.
func (s *Store) CreateApplication(ctx context.Context, a auth.Application) error {
	byID, err := s.putNew(newAppItem(prefixApp+a.ID, a))
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{byID}
	if a.URL != "" {
		byURL, err := s.putNew(newAppItem(prefixAppURL+a.URL, a))
		if err != nil {
			return err
		}
		items = append(items, byURL)
	}
	err = s.transact(ctx, items)
	reasons, ok := cancelled(err)
	switch {
	case ownRetry(err): // the appId is a fresh UUID: only this request's own lost-answer attempt has it
		return nil
	case ok && failedCondition(reasons, 1):
		return auth.ErrURLTaken
	case err != nil:
		return fmt.Errorf("create application: %w", err)
	}
	return nil
}

// ReplaceApplication writes next over prev in one transaction: the item by appId (only if still at
// prev's version), the url index under next's url, and the removal of prev's url index when it moved.
// The url index is a full copy of next, since a login by url reads only it, MFA flag included.
func (s *Store) ReplaceApplication(ctx context.Context, prev, next auth.Application) error {
	next.Version = prev.Version + 1
	byID, err := attributevalue.MarshalMap(newAppItem(prefixApp+next.ID, next))
	if err != nil {
		return fmt.Errorf("encode application: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.table, Item: byID,
		ConditionExpression: aws.String("attribute_exists(pk) AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":v": &types.AttributeValueMemberN{Value: strconv.Itoa(prev.Version)},
		},
	}}}
	if next.URL != "" {
		byURL, err := s.urlCopy(next)
		if err != nil {
			return err
		}
		items = append(items, byURL)
	}
	if prev.URL != "" && prev.URL != next.URL {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.table, Key: key(prefixAppURL + prev.URL),
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR appId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: prev.ID}},
		}})
	}
	err = s.transact(ctx, items)
	reasons, ok := cancelled(err)
	switch {
	case ok && failedCondition(reasons, 0):
		return auth.ErrConflict
	case ok && next.URL != "" && failedCondition(reasons, 1):
		return auth.ErrURLTaken
	case err != nil:
		return fmt.Errorf("replace application: %w", err)
	}
	return nil
}

// TokenForApp reads an auth token, the application appID and the user userID's USERID# copy with one
// consistent BatchGetItem, so that a logout, a deleted application, a deleted or blocked user and a
// changed admin flag are all seen at once, in one round trip: the token names its user, so the userId
// is known before the read. An empty appID or userID leaves that key out.
func (s *Store) TokenForApp(ctx context.Context, id, userID, appID string) (auth.TokenRecord, error) {
	keys := []map[string]types.AttributeValue{key(prefixToken + id)}
	if appID != "" {
		keys = append(keys, key(prefixApp+appID))
	}
	if userID != "" {
		keys = append(keys, key(prefixUserID+userID))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return auth.TokenRecord{}, fmt.Errorf("get token: %w", err)
	}
	var rec auth.TokenRecord
	found := false
	for _, item := range items {
		pk, _ := item[attrPK].(*types.AttributeValueMemberS)
		switch {
		case pk == nil:
		case appID != "" && pk.Value == prefixApp+appID:
			rec.AppExists = true
		case userID != "" && pk.Value == prefixUserID+userID:
			u, err := decodeUser(item)
			if err != nil {
				return auth.TokenRecord{}, fmt.Errorf("get token: %w", err)
			}
			rec.User = &u
		case pk.Value == prefixToken+id:
			var t tokenItem
			if err := attributevalue.UnmarshalMap(item, &t); err != nil {
				return auth.TokenRecord{}, fmt.Errorf("decode token: %w", err)
			}
			rec.Token, rec.Revoked, found = t.token(id), t.Revoked, true
		}
	}
	if !found {
		return auth.TokenRecord{}, auth.ErrNotFound
	}
	return rec, nil
}

func (t tokenItem) token(id string) auth.Token {
	return auth.Token{
		ID: id, UserID: t.UserID, Email: t.Email, Name: t.Name, AppID: t.AppID, Admin: t.Admin,
		IssuedAt: fromMS(t.IssuedAt), ExpiresAt: fromMS(t.ExpiresAt), Epoch: t.Epoch,
	}
}
