package main

import (
	"context"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestLocalSweepsExpiredItems: the local server's engine deletes, on its own, an item whose ttl is a
// minute past, as DynamoDB's TTL would, and keeps the seed and an item whose ttl is an hour ahead.
func TestLocalSweepsExpiredItems(t *testing.T) {
	const tableName = "sweep-test"
	a, err := newApp(context.Background(), "", envOf(map[string]string{"TABLE_NAME": tableName}), io.Discard, io.Discard)
	if err != nil {
		t.Fatalf("newApp: %v", err)
	}
	t.Cleanup(a.close)
	db := a.engine.Client
	ttl := func(d time.Duration) types.AttributeValue {
		return &types.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(d).Unix(), 10)}
	}
	for pk, v := range map[string]types.AttributeValue{"MFA#spent": ttl(-time.Minute), "MFA#live": ttl(time.Hour)} {
		item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "ttl": v}
		if _, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(tableName), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	present := func(pk string) bool {
		out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(tableName),
			Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}
	deadline := time.Now().Add(20 * sweepInterval)
	for present("MFA#spent") {
		if time.Now().After(deadline) {
			t.Fatalf("the expired item is still there after %s", 20*sweepInterval)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !present("MFA#live") || !present("USER#ada@example.com") {
		t.Error("the sweep took a live item or the seed")
	}
}
