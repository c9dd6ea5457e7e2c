package functions_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/localdynamo"
)

// TestTemplateListIndex holds the template's table to the one shared/dynamo creates for local runs and
// tests: the same secondary indexes, keys and projection, so that the list's Query meets in AWS the
// index it meets locally.
func TestTemplateListIndex(t *testing.T) {
	tpl := openTemplate(t, nil)
	table, err := tpl.GetDynamoDBTableWithName("Table")
	if err != nil {
		t.Fatal(err)
	}
	type index struct{ name, hash, rang, projection string }
	var inTemplate []index
	for _, g := range table.GlobalSecondaryIndexes {
		ix := index{name: g.IndexName, projection: deref(g.Projection.ProjectionType)}
		for _, k := range g.KeySchema {
			if k.KeyType == "HASH" {
				ix.hash = k.AttributeName
			} else {
				ix.rang = k.AttributeName
			}
		}
		inTemplate = append(inTemplate, ix)
	}

	const name = "template-index-test"
	eng, err := localdynamo.Start(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	out, err := eng.Client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	var created []index
	for _, g := range out.Table.GlobalSecondaryIndexes {
		ix := index{name: aws.ToString(g.IndexName)}
		if g.Projection != nil {
			ix.projection = string(g.Projection.ProjectionType)
		}
		for _, k := range g.KeySchema {
			if k.KeyType == "HASH" {
				ix.hash = aws.ToString(k.AttributeName)
			} else {
				ix.rang = aws.ToString(k.AttributeName)
			}
		}
		created = append(created, ix)
	}
	if len(inTemplate) != 1 || len(created) != 1 || inTemplate[0] != created[0] {
		t.Fatalf("template.yaml's indexes %+v, dynamo.CreateTable's %+v: want the one list index in both", inTemplate, created)
	}
	if want := (index{"gsi1", "gsi1pk", "gsi1sk", "ALL"}); inTemplate[0] != want {
		t.Errorf("list index %+v, want %+v (shared/dynamo queries it by that name and keys)", inTemplate[0], want)
	}
}
