package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// ApplicationsByCreateDate reads the first limit applications in the order of creation (then appId)
// with one Query on the list index: the first page of ApplicationsAfter. more reports that the index
// holds further applications. An index is read eventually consistently: an application created or
// deleted a moment ago may be missing from, or still in, the list.
func (s *Store) ApplicationsByCreateDate(ctx context.Context, limit int) (apps []auth.Application, more bool, err error) {
	apps, next, err := s.ApplicationsAfter(ctx, "", limit, nil)
	return apps, next != "", err
}

// DeleteApplication removes the application a and its url copy in one transaction, the first only if
// it is still at a's version (auth.ErrConflict otherwise), the url copy only if it is a's; the url is
// then free for another application.
func (s *Store) DeleteApplication(ctx context.Context, a auth.Application) error {
	items := []types.TransactWriteItem{{Delete: &types.Delete{
		TableName: &s.table, Key: key(prefixApp + a.ID),
		ConditionExpression: aws.String("attribute_exists(pk) AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":v": &types.AttributeValueMemberN{Value: fmt.Sprint(a.Version)},
		},
	}}}
	if a.URL != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.table, Key: key(prefixAppURL + a.URL),
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR appId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: a.ID}},
		}})
	}
	err := s.transact(ctx, items)
	if reasons, ok := cancelled(err); ok && failedCondition(reasons, 0) {
		return auth.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("delete application: %w", err)
	}
	return nil
}
