package dynamo

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/odata"
)

// Lists read by key: one Query of the list index per page, in the order of creation, the page's
// filter applied by DynamoDB (FilterExpression) to the items the Query reads. A filtered page reads up
// to ten times its size (readLimit), so that a filter that drops most items still fills it, and
// answers the first of those that pass. A page's token is where the next one starts, which it passes
// back as its ExclusiveStartKey: after the last item the page answered when the page filled, else
// where DynamoDB stopped (LastEvaluatedKey). It reaches every entity, however many there are, and a
// page may hold fewer than its limit when the filter drops some.
//
// The token is the index sort key (createDate#id) of that item, sealed (odata.Sealer) with the list's
// name as additional data: the sort key names the item, and the item's own key is the prefix of its
// list and the id, so the token carries the whole ExclusiveStartKey without the table's key layout.
// Sealed, it tells the caller nothing (the last item read may be one its filter, or its access,
// keeps from it), and a token that does not open (forged, altered, of the other list or of another
// secret) is an *odata.Error naming $skiptoken, refused before any read.

// Bounds DynamoDB holds an expression to: a longer one, or one of more operators, fails the Query.
const (
	maxExpressionBytes     = 4096
	maxExpressionOperators = 300
)

// attrSecretHashes is the attribute of appItem.SecretHashes, which no list reads.
const attrSecretHashes = "secretHashes"

// ApplicationsAfter reads one page of applications by key: at most limit applications of the list
// index after the token after (from the first when empty), those that pass filter, and the token of
// the next page, empty when the index holds no more. Their secret hashes are not read.
func (s *Store) ApplicationsAfter(ctx context.Context, after string, limit int, filter []odata.Comparison) ([]auth.Application, string, error) {
	cond, err := conditionOf(filter, appCondition)
	if err != nil {
		return nil, "", err
	}
	proj := listProjection[appItem](attrSecretHashes)
	items, next, err := s.listPage(ctx, listApps, prefixApp, after, limit, cond, proj)
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
	proj := listProjection[userItem](attrPasswordHash)
	items, next, err := s.listPage(ctx, listUsers, prefixUserID, after, limit, cond, proj)
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

// readLimit is how many items a page of limit entities reads: limit without a filter, which every
// item passes; with one, ten times as many (at most a page's largest size), so that a filter that
// passes few items still fills the page in its one read.
func readLimit(limit int, filtered bool) int {
	if !filtered {
		return limit
	}
	return min(odata.MaxTop, max(limit, 10*limit))
}

// listPage is one Query of the list index's partition list: the first limit items after the token
// after that pass cond (all with none), and the token of the next page, "" at the end. prefix is the
// table key's prefix of the list's items.
func (s *Store) listPage(ctx context.Context, list, prefix, after string, limit int,
	cond *expression.ConditionBuilder, proj expression.ProjectionBuilder) ([]map[string]types.AttributeValue, string, error) {
	var start map[string]types.AttributeValue
	if after != "" {
		var err error
		if start, err = s.startKey(list, prefix, after); err != nil {
			return nil, "", err
		}
	}
	b := expression.NewBuilder().WithKeyCondition(expression.Key(attrGSI1PK).Equal(expression.Value(list))).WithProjection(proj)
	if cond != nil {
		b = b.WithFilter(*cond)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, "", fmt.Errorf("build list query: %w", err)
	}
	if err := fitsDynamoDB(expr.Filter()); err != nil {
		return nil, "", err
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String(indexList),
		KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(), ProjectionExpression: expr.Projection(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		Limit: aws.Int32(int32(readLimit(limit, cond != nil))), ExclusiveStartKey: start,
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", err
	}
	items, resume := out.Items, out.LastEvaluatedKey
	if len(items) > limit {
		items = items[:limit]
	}
	if len(items) == limit && (len(out.Items) > limit || len(resume) > 0) {
		// The page is full: it resumes after its own last entity, which the caller has seen.
		resume = items[limit-1]
	}
	next, err := s.pageToken(list, resume)
	if err != nil {
		return nil, "", err
	}
	return items, next, nil
}

// fitsDynamoDB refuses a filter expression DynamoDB would refuse: longer than it takes or of more
// operators. The count is conservative: every comparator, every keyword (AND, OR, NOT, BETWEEN, IN)
// and every function is one, names and values (#n, :v) are none.
func fitsDynamoDB(filter *string) error {
	if filter == nil {
		return nil
	}
	if len(*filter) > maxExpressionBytes || expressionOperators(*filter) > maxExpressionOperators {
		return &odata.Error{Option: "$filter", Reason: "asks more of the store than it answers at once; use fewer comparisons"}
	}
	return nil
}

// expressionOperators counts the operators of an expression of placeholders, as fitsDynamoDB says.
func expressionOperators(expr string) int {
	n := 0
	for i := 0; i < len(expr); {
		c := expr[i]
		j := i + 1
		switch {
		case c == '<' || c == '>' || c == '=':
			for j < len(expr) && strings.IndexByte("<>=", expr[j]) >= 0 {
				j++
			}
			n++
		case c == '#' || c == ':' || c == '_' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)):
			for j < len(expr) && (expr[j] == '_' || unicode.IsLetter(rune(expr[j])) || unicode.IsDigit(rune(expr[j]))) {
				j++
			}
			if c != '#' && c != ':' {
				n++ // a keyword or a function
			}
		}
		i = j
	}
	return n
}

// pageToken is the token of the page that starts after key (an item of the list index, or the
// LastEvaluatedKey of a Query of it), "" for no key.
func (s *Store) pageToken(list string, key map[string]types.AttributeValue) (string, error) {
	if len(key) == 0 {
		return "", nil
	}
	sk, ok := key[attrGSI1SK].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("list index key without %s", attrGSI1SK)
	}
	return s.pages.Seal(list, sk.Value), nil
}

// startKey is the ExclusiveStartKey a token of the list stands for, or an *odata.Error. What opens
// was sealed here, from a sort key of the list, so it is taken as it is: an item without a creation
// date has a sort key of "#id", which is as good a place to start as any.
func (s *Store) startKey(list, prefix, token string) (map[string]types.AttributeValue, error) {
	sk, ok := s.pages.Open(list, token)
	if !ok {
		return nil, badToken("is not a token of this list")
	}
	_, id, ok := strings.Cut(sk, "#")
	if !ok || id == "" {
		return nil, badToken("does not name an entity")
	}
	return map[string]types.AttributeValue{
		attrPK:     &types.AttributeValueMemberS{Value: prefix + id},
		attrGSI1PK: &types.AttributeValueMemberS{Value: list},
		attrGSI1SK: &types.AttributeValueMemberS{Value: sk},
	}, nil
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
		// contains is false on a missing list, so NOT holds for a user of no application: one
		// function and one NOT, where attribute_not_exists OR NOT contains would be two more.
		return expression.Not(member), nil
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

// listProjection is every attribute of the item type T but omit (a secret no list shows); it is
// taken from T's fields, so an attribute added there is listed without a change here.
func listProjection[T any](omit string) expression.ProjectionBuilder {
	var names []expression.NameBuilder
	for f := range reflect.TypeFor[T]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("dynamodbav"), ",")
		if name != omit {
			names = append(names, expression.Name(name))
		}
	}
	return expression.NamesList(names[0], names[1:]...)
}
