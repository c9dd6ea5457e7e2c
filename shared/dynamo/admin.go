package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
)

// PutUser creates or replaces a user and its copy by userId unconditionally, in one transaction, for
// seeds; changes made for a user or an operator go through the conditional writes of users.go.
func (s *Store) PutUser(ctx context.Context, u auth.User) error {
	items := make([]types.TransactWriteItem, 0, 2)
	for _, item := range []userItem{newUserItem(u), newUserCopy(u)} {
		av, err := attributevalue.MarshalMap(item)
		if err != nil {
			return fmt.Errorf("encode user: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	return err
}

// PutApplication creates or replaces an application and its url copy in one transaction, for seeds;
// the url copy may only be taken over from the same application (auth.ErrURLTaken).
func (s *Store) PutApplication(ctx context.Context, a auth.Application) error {
	byID, err := attributevalue.MarshalMap(newAppItem(prefixApp+a.ID, a))
	if err != nil {
		return fmt.Errorf("encode application: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: byID}}}
	if a.URL != "" {
		byURL, err := s.urlCopy(a)
		if err != nil {
			return err
		}
		items = append(items, byURL)
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons, ok := cancelled(err); ok && failedCondition(reasons, 1) {
		return auth.ErrURLTaken
	}
	return err
}

// urlCopy writes the url index of an application; it may only replace the same application's.
func (s *Store) urlCopy(a auth.Application) (types.TransactWriteItem, error) {
	byURL, err := attributevalue.MarshalMap(newAppItem(prefixAppURL+a.URL, a))
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode application: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: &s.table, Item: byURL,
		ConditionExpression:       aws.String("attribute_not_exists(pk) OR appId = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: a.ID}},
	}}, nil
}

// CreateTable creates the gateway's table as the template declares it (string key "pk", on demand, the
// list index gsi1) and asks for TTL on "ttl" where the engine supports it. It is for local runs, tests
// and tooling; deployments get the table from the template.
//
// It is idempotent: when the table already exists with that key it succeeds. The SDK retries a
// CreateTable whose answer was lost (a connection reset after the engine acted), and the retry then
// meets ResourceInUseException for the table the first attempt created; the same happens when two
// processes create the table of one endpoint. A table of that name with another key is an error.
func CreateTable(ctx context.Context, db interface {
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(context.Context, *dynamodb.UpdateTimeToLiveInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}, table string) error {
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   &table,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrGSI1PK), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(attrGSI1SK), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(indexList),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(attrGSI1PK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attrGSI1SK), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	if inUse := (*types.ResourceInUseException)(nil); errors.As(err, &inUse) {
		err = existingTable(ctx, db, table, err)
	}
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	// Engines without a TTL API (the embedded one) still enforce expiry: the code checks it on every read.
	_, _ = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true)},
	})
	return nil
}

// existingTable settles a CreateTable refused with ResourceInUseException (inUse): nil when the table
// describes as the gateway's (hash key "pk" alone, the list index, not being deleted; "pk" a string
// and the table on demand where the engine reports those), else an error saying how it differs. The embedded engine
// describes only the key schema; moto describes all of it.
func existingTable(ctx context.Context, db interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}, table string, inUse error) error {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		return fmt.Errorf("%w; describing the existing table failed: %w", inUse, err)
	}
	d := out.Table
	if d == nil {
		return fmt.Errorf("%w; the engine describes no table", inUse)
	}
	var pkType types.ScalarAttributeType
	for _, a := range d.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == attrPK {
			pkType = a.AttributeType
		}
	}
	switch {
	case len(d.KeySchema) != 1 || aws.ToString(d.KeySchema[0].AttributeName) != attrPK || d.KeySchema[0].KeyType != types.KeyTypeHash:
		return fmt.Errorf("%w; the existing table's key is %s, not the hash key %q alone", inUse, keySchemaText(d.KeySchema), attrPK)
	case pkType != "" && pkType != types.ScalarAttributeTypeS:
		return fmt.Errorf("%w; the existing table's %q is of type %q, not a string", inUse, attrPK, pkType)
	case !hasListIndex(d.GlobalSecondaryIndexes):
		// An older table: the list of applications would fail on it with a ValidationException.
		return fmt.Errorf("%w; the existing table has no index %q keyed %s, %s", inUse, indexList, attrGSI1PK, attrGSI1SK)
	case d.TableStatus == types.TableStatusDeleting:
		return fmt.Errorf("%w; the existing table is being deleted", inUse)
	case d.BillingModeSummary != nil && d.BillingModeSummary.BillingMode != "" && d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest:
		return fmt.Errorf("%w; the existing table is billed %s, not on demand", inUse, d.BillingModeSummary.BillingMode)
	}
	return nil
}

// hasListIndex reports whether the described indexes include the list index with its keys.
func hasListIndex(gsis []types.GlobalSecondaryIndexDescription) bool {
	for _, g := range gsis {
		ks := g.KeySchema
		if aws.ToString(g.IndexName) == indexList && len(ks) == 2 &&
			aws.ToString(ks[0].AttributeName) == attrGSI1PK && ks[0].KeyType == types.KeyTypeHash &&
			aws.ToString(ks[1].AttributeName) == attrGSI1SK && ks[1].KeyType == types.KeyTypeRange {
			return true
		}
	}
	return false
}

func keySchemaText(ks []types.KeySchemaElement) string {
	parts := make([]string, 0, len(ks))
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %s", aws.ToString(k.AttributeName), k.KeyType))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
