package dynamo

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/odata"
)

// Lists read by key: one Query of the list index per page, in the order of creation, the page's
// filter applied by DynamoDB (FilterExpression) to the items the Query reads. A page's token is where
// DynamoDB stopped (LastEvaluatedKey), which the next page passes back as its ExclusiveStartKey; it
// reaches every entity, however many there are, and a page may hold fewer than its limit when the
// filter drops some.
//
// The token is base64url (unpadded) of gsi1pk#gsi1sk of the last item read, that is of
// LIST#createDate#id: the index key names the item, and the item's own key is the prefix of its list
// and the id, so the token carries the whole ExclusiveStartKey without the table's key layout. A
// token is checked before any read: it must decode, name this list's partition, a creation date in
// the items' form (or none, as items stored without one have) and an id; anything else is an
// *odata.Error naming $skiptoken.

// maxTokenID bounds the id in a token, as the API bounds appIds and userIds.
const maxTokenID = 128

// ApplicationsAfter reads one page of applications by key: at most limit items of the list index
// after the token after (from the first when empty), of which it returns those that pass filter, and
// the token of the next page, empty when the index holds no more.
func (s *Store) ApplicationsAfter(ctx context.Context, after string, limit int, filter []odata.Comparison) ([]auth.Application, string, error) {
	cond, err := conditionOf(filter, appCondition)
	if err != nil {
		return nil, "", err
	}
	items, next, err := s.listPage(ctx, listApps, prefixApp, after, limit, cond, nil)
	if err != nil {
		return nil, "", fmt.Errorf("list applications: %w", err)
	}
	apps := make([]auth.Application, 0, len(items))
	for _, item := range items {
		var a appItem
		if err := attributevalue.UnmarshalMap(item, &a); err != nil {
			return nil, "", fmt.Errorf("decode application: %w", err)
		}
		apps = append(apps, a.application())
	}
	return apps, next, nil
}

// UsersAfter reads one page of users by key, as ApplicationsAfter does applications. Their password
// hashes are not read.
func (s *Store) UsersAfter(ctx context.Context, after string, limit int, filter []odata.Comparison) ([]auth.User, string, error) {
	cond, err := conditionOf(filter, userCondition)
	if err != nil {
		return nil, "", err
	}
	proj := userListProjection()
	items, next, err := s.listPage(ctx, listUsers, prefixUserID, after, limit, cond, &proj)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	users := make([]auth.User, 0, len(items))
	for _, item := range items {
		u, err := decodeUser(item)
		if err != nil {
			return nil, "", err
		}
		users = append(users, u)
	}
	return users, next, nil
}

// listPage is one Query of the list index's partition list: limit items read after the token after,
// those that pass cond (all with none), and the token of the next page, "" at the end. prefix is the
// table key's prefix of the list's items.
func (s *Store) listPage(ctx context.Context, list, prefix, after string, limit int,
	cond *expression.ConditionBuilder, proj *expression.ProjectionBuilder) ([]map[string]types.AttributeValue, string, error) {
	var start map[string]types.AttributeValue
	if after != "" {
		var err error
		if start, err = startKey(list, prefix, after); err != nil {
			return nil, "", err
		}
	}
	b := expression.NewBuilder().WithKeyCondition(expression.Key(attrGSI1PK).Equal(expression.Value(list)))
	if cond != nil {
		b = b.WithFilter(*cond)
	}
	if proj != nil {
		b = b.WithProjection(*proj)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, "", fmt.Errorf("build list query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(indexList),
		KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(), ProjectionExpression: expr.Projection(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		Limit: aws.Int32(int32(limit)), ExclusiveStartKey: start,
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	next, err := pageToken(out.LastEvaluatedKey)
	if err != nil {
		return nil, "", err
	}
	return out.Items, next, nil
}

// pageToken is the token of the page that starts after key, "" for no key.
func pageToken(key map[string]types.AttributeValue) (string, error) {
	if len(key) == 0 {
		return "", nil
	}
	pk, okPK := key[attrGSI1PK].(*types.AttributeValueMemberS)
	sk, okSK := key[attrGSI1SK].(*types.AttributeValueMemberS)
	if !okPK || !okSK {
		return "", fmt.Errorf("list index key without %s and %s: %v", attrGSI1PK, attrGSI1SK, key)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(pk.Value + "#" + sk.Value)), nil
}

// startKey is the ExclusiveStartKey a token of the list stands for, or an *odata.Error.
func startKey(list, prefix, token string) (map[string]types.AttributeValue, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, badToken("is not a token of this list")
	}
	sk, ok := strings.CutPrefix(string(raw), list+"#")
	if !ok {
		return nil, badToken("is not a token of this list")
	}
	created, id, ok := strings.Cut(sk, "#")
	if !ok || !plausibleTokenID(id) {
		return nil, badToken("does not name an entity")
	}
	if created != "" {
		if t, err := time.Parse(time.RFC3339, created); err != nil || date(t) != created {
			return nil, badToken("does not name an entity")
		}
	}
	return map[string]types.AttributeValue{
		attrPK:     &types.AttributeValueMemberS{Value: prefix + id},
		attrGSI1PK: &types.AttributeValueMemberS{Value: list},
		attrGSI1SK: &types.AttributeValueMemberS{Value: sk},
	}, nil
}

// plausibleTokenID holds an id to what the store can hold (the API's ids are at most 128 bytes of
// text without control characters), so that no token it handed out is refused.
func plausibleTokenID(id string) bool {
	return id != "" && len(id) <= maxTokenID && utf8.ValidString(id) && !strings.ContainsFunc(id, unicode.IsControl)
}

func badToken(reason string) error {
	return &odata.Error{Option: "$skiptoken", Reason: reason + "; take the token from a nextLink of this list"}
}

// conditionOf is the FilterExpression of a $filter, each comparison translated by one and the terms
// joined by AND; nil for no filter. The values go in as typed expression values, never into the text.
func conditionOf(filter []odata.Comparison, one func(odata.Comparison) (expression.ConditionBuilder, error)) (*expression.ConditionBuilder, error) {
	var cond *expression.ConditionBuilder
	for _, c := range filter {
		term, err := one(c)
		if err != nil {
			return nil, err
		}
		if cond == nil {
			cond = &term
		} else {
			joined := cond.And(term)
			cond = &joined
		}
	}
	return cond, nil
}

// compare is attribute op value for a property stored as it is shown.
func compare(attr string, c odata.Comparison) expression.ConditionBuilder {
	var v expression.ValueBuilder
	if c.Value.Kind == odata.Bool {
		v = expression.Value(c.Value.Bool)
	} else {
		v = expression.Value(c.Value.Str)
	}
	if c.Op == odata.Ne {
		return expression.Name(attr).NotEqual(v)
	}
	return expression.Name(attr).Equal(v)
}

// appCondition is one comparison of auth.ApplicationSchema's filter on the application item.
func appCondition(c odata.Comparison) (expression.ConditionBuilder, error) {
	switch c.Property {
	case "name", "url", "enableMultiFactorAuthentication":
		return compare(c.Property, c), nil // the item's attributes have the entity's names
	}
	return expression.ConditionBuilder{}, fmt.Errorf("list applications: no attribute for %q", c.Property)
}

// userCondition is one comparison of auth.UserSchema's filter on the user item, with the meaning the
// list in memory gives it (auth.User.matches): appId is membership, and a user without a status is
// Activated.
func userCondition(c odata.Comparison) (expression.ConditionBuilder, error) {
	eq := c.Op == odata.Eq
	switch c.Property {
	case "email", "admin":
		return compare(c.Property, c), nil
	case "appId":
		member := expression.Name(attrApplications).Contains(c.Value.Str)
		if eq {
			return member, nil
		}
		return expression.AttributeNotExists(expression.Name(attrApplications)).Or(expression.Not(member)), nil
	case "status":
		missing := expression.AttributeNotExists(expression.Name(attrStatus))
		switch {
		case c.Value.Str == string(auth.StatusActivated) && eq:
			return missing.Or(compare(attrStatus, c)), nil
		case c.Value.Str == string(auth.StatusActivated):
			return expression.AttributeExists(expression.Name(attrStatus)).And(compare(attrStatus, c)), nil
		case eq:
			return compare(attrStatus, c), nil
		default:
			return missing.Or(compare(attrStatus, c)), nil
		}
	}
	return expression.ConditionBuilder{}, fmt.Errorf("list users: no attribute for %q", c.Property)
}

// userListProjection is every attribute of the user item but its password hash, which no list shows;
// it is taken from userItem, so an attribute added there is listed without a change here.
func userListProjection() expression.ProjectionBuilder {
	var names []expression.NameBuilder
	for f := range reflect.TypeFor[userItem]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("dynamodbav"), ",")
		if name != attrPasswordHash {
			names = append(names, expression.Name(name))
		}
	}
	return expression.NamesList(names[0], names[1:]...)
}
