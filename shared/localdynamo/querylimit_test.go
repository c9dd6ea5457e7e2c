package localdynamo_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/localdynamo"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// TestQueryLimitBesideAFilter: a Query of one partition of the list index with a filter and a Limit
// reads Limit items of that partition, as DynamoDB does, however many items of other partitions
// the index holds, and its LastEvaluatedKey is the last of them; paging through it reaches every
// item that passes the filter, once.
func TestQueryLimitBesideAFilter(t *testing.T) {
	ctx := t.Context()
	e, err := localdynamo.Start(ctx, "gateway")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	var want []string
	for _, list := range []string{"APP", "USER", "ZZZ"} { // partitions on both sides of USER
		for i := range 9 {
			id := fmt.Sprintf("%s%d", list, i)
			item := map[string]types.AttributeValue{"pk": s("X#" + id), "gsi1pk": s(list), "gsi1sk": s(id), "kind": s("odd")}
			if i%2 == 0 {
				item["kind"] = s("even")
				if list == "USER" {
					want = append(want, id)
				}
			}
			if _, err := e.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("gateway"), Item: item}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var got []string
	in := &dynamodb.QueryInput{
		TableName: aws.String("gateway"), IndexName: aws.String("gsi1"), Limit: aws.Int32(2),
		KeyConditionExpression: aws.String("#p = :p"), FilterExpression: aws.String("#k = :k"),
		ProjectionExpression:      aws.String("pk, gsi1sk"),
		ExpressionAttributeNames:  map[string]string{"#p": "gsi1pk", "#k": "kind"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("USER"), ":k": s("even")},
	}
	for pages := 0; ; pages++ {
		if pages > 6 {
			t.Fatal("the pages do not end")
		}
		out, err := e.Client.Query(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if out.ScannedCount > 2 || len(out.Items) > 2 {
			t.Fatalf("page %d read %d and answered %d items, want at most the Limit of 2", pages, out.ScannedCount, len(out.Items))
		}
		for _, item := range out.Items {
			if _, projected := item["kind"]; projected {
				t.Errorf("item %v has an attribute the projection left out", item)
			}
			got = append(got, item["gsi1sk"].(*types.AttributeValueMemberS).Value)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		if p := out.LastEvaluatedKey["gsi1pk"].(*types.AttributeValueMemberS).Value; p != "USER" {
			t.Fatalf("LastEvaluatedKey %v is outside the partition queried", out.LastEvaluatedKey)
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
}
