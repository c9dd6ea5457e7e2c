package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
)

// Bulk loads: the items of PutUser and PutApplication written as plain puts, one PutItem each, with
// no transaction and no condition. They are for filling a table that nothing else writes meanwhile
// (load tests, large seeds), where a transaction per entity costs more than its items; some engines
// (moto) take time in proportion to the table for every transaction. A failure between the puts
// leaves a user without its copy by userId (Backfill writes it) or an application without its url
// copy (a PutApplication writes it).

// LoadUser writes u by email and its copy by userId.
func (s *Store) LoadUser(ctx context.Context, u auth.User) error {
	return s.putPlain(ctx, "user", newUserItem(u), newUserCopy(u))
}

// LoadApplication writes a by appId and, when it has a url, its url copy.
func (s *Store) LoadApplication(ctx context.Context, a auth.Application) error {
	items := []any{newAppItem(prefixApp+a.ID, a)}
	if a.URL != "" {
		items = append(items, newAppItem(prefixAppURL+a.URL, a))
	}
	return s.putPlain(ctx, "application", items...)
}

func (s *Store) putPlain(ctx context.Context, what string, items ...any) error {
	for _, item := range items {
		av, err := attributevalue.MarshalMap(item)
		if err != nil {
			return fmt.Errorf("encode %s: %w", what, err)
		}
		if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av}); err != nil {
			return fmt.Errorf("load %s: %w", what, err)
		}
	}
	return nil
}
