package dynamo_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"

	"mfagateway/shared/dynamo"
	"mfagateway/shared/faultinject"
	"mfagateway/shared/localdynamo"
	"mfagateway/shared/testenv"
)

// TestCreateTableIdempotent: dynamo.CreateTable succeeds for a table that already exists with the
// gateway's key, which is what an SDK retry meets when the first attempt's answer was lost, and fails
// for a table of that name with another key. Each case makes its own table on its engine.
func TestCreateTableIdempotent(t *testing.T) {
	engines := []struct {
		name  string
		start func(t *testing.T) string // the engine's endpoint
	}{
		{"embedded", func(t *testing.T) string { return testenv.NewStack(t).URL }}, // its own table goes unused
		{"moto", func(t *testing.T) string { return testenv.StartMoto(t).URL }},
	}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			url := eng.start(t)

			t.Run("a second create succeeds", func(t *testing.T) {
				client, table := localdynamo.NewClient(url), "gateway-"+uuid.NewString()
				if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
					t.Fatalf("first create: %v", err)
				}
				// The engine itself refuses a second create, so the success below is CreateTable's doing.
				_, err := client.CreateTable(t.Context(), gatewayTableInput(table, "pk"))
				if inUse := (*types.ResourceInUseException)(nil); !errors.As(err, &inUse) {
					t.Fatalf("the engine's answer to a second CreateTable = %v, want ResourceInUseException", err)
				}
				if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
					t.Fatalf("second create: %v", err)
				}
				wantUsable(t, client, table)
			})

			t.Run("the first attempt's answer is lost", func(t *testing.T) {
				ft := faultinject.New(nil)
				ft.Set(faultinject.Rule{Op: "DynamoDB.CreateTable", Times: 1, Kind: faultinject.DropAfterSend})
				client := dynamodb.New(localdynamo.NewClient(url).Options(), func(o *dynamodb.Options) {
					o.HTTPClient = &http.Client{Transport: ft}
				})
				table := "gateway-" + uuid.NewString()
				if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
					t.Fatalf("create with the first answer lost: %v", err)
				}
				if got := ft.Calls("DynamoDB.CreateTable"); ft.Injected("DynamoDB.CreateTable") != 1 || got != 2 {
					t.Fatalf("CreateTable requests = %d (%d answers dropped), want the dropped one and the SDK's retry",
						got, ft.Injected("DynamoDB.CreateTable"))
				}
				wantUsable(t, client, table)
			})

			t.Run("a table of that name with another key", func(t *testing.T) {
				client, table := localdynamo.NewClient(url), "gateway-"+uuid.NewString()
				if _, err := client.CreateTable(t.Context(), gatewayTableInput(table, "id")); err != nil {
					t.Fatalf("create the other table: %v", err)
				}
				err := dynamo.CreateTable(t.Context(), client, table)
				if inUse := (*types.ResourceInUseException)(nil); !errors.As(err, &inUse) || !strings.Contains(err.Error(), "key") {
					t.Fatalf("CreateTable over a table keyed by id = %v, want ResourceInUseException naming the key", err)
				}
			})

			t.Run("a table of that name without the list index", func(t *testing.T) {
				client, table := localdynamo.NewClient(url), "gateway-"+uuid.NewString()
				if _, err := client.CreateTable(t.Context(), gatewayTableInput(table, "pk")); err != nil {
					t.Fatalf("create the older table: %v", err)
				}
				err := dynamo.CreateTable(t.Context(), client, table)
				if inUse := (*types.ResourceInUseException)(nil); !errors.As(err, &inUse) || !strings.Contains(err.Error(), "gsi1") {
					t.Fatalf("CreateTable over a table without gsi1 = %v, want ResourceInUseException naming the index", err)
				}
			})
		})
	}
}

// gatewayTableInput is an on-demand table with one string hash key.
func gatewayTableInput(table, key string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
	}
}

// wantUsable writes an item to the table and reads it back.
func wantUsable(t *testing.T, client *dynamodb.Client, table string) {
	t.Helper()
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "PROBE#1"}}
	if _, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: &table, Item: key}); err != nil {
		t.Fatalf("put into %s: %v", table, err)
	}
	out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || len(out.Item) == 0 {
		t.Fatalf("get from %s: %v, item %v", table, err, out)
	}
}
