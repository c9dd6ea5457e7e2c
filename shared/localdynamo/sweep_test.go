package localdynamo_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func unix(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// TestSweep: the gateway's table has TTL on "ttl"; a sweep deletes the items whose ttl is a number of
// unix seconds before its time, from the table and from the list index, and leaves the rest: a ttl
// still ahead, one not a number, one more than five years old (DynamoDB leaves those too), none.
// Each sweep looks at a bounded number of items, so a large table takes several, each going on where
// the last stopped, until every expired item is gone.
func TestSweep(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	now := time.Date(2031, 5, 6, 9, 0, 0, 0, time.UTC)
	ttl, err := e.Client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "ttl" {
		t.Fatalf("DescribeTimeToLive: %+v, %v; want enabled on ttl", ttl, err)
	}
	keep := map[string]types.AttributeValue{
		"ahead":     unix(now.Add(time.Second)),
		"text":      s(strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)),
		"very-old":  unix(now.AddDate(-6, 0, 0)),
		"no-ttl":    nil,
		"this-very": unix(now),
	}
	for pk, v := range keep {
		item := key("KEEP#" + pk)
		if v != nil {
			item["ttl"] = v
		}
		put(t, e, item)
	}
	const expired = 2500
	for i := range expired {
		put(t, e, map[string]types.AttributeValue{"pk": s(fmt.Sprintf("OLD#%04d", i)), "ttl": unix(now.Add(-time.Minute)),
			"gsi1pk": s("USER"), "gsi1sk": s(fmt.Sprintf("%04d", i))})
	}
	deleted := 0
	for sweeps := 1; deleted < expired; sweeps++ {
		if sweeps > 10 {
			t.Fatalf("after %d sweeps %d of %d expired items are deleted", sweeps, deleted, expired)
		}
		d := e.Sweep(now)
		if d == 0 && sweeps > 1 && deleted < expired {
			// A sweep that found nothing went round the end of the table; the next starts again.
			continue
		}
		if d >= expired {
			t.Fatalf("one sweep deleted all %d expired items: its work is not bounded", d)
		}
		deleted += d
	}
	if deleted != expired || e.Sweep(now) != 0 {
		t.Errorf("deleted %d, want %d and then none", deleted, expired)
	}
	for pk := range keep {
		if get(t, e, "KEEP#"+pk) == nil {
			t.Errorf("%s was swept", pk)
		}
	}
	if get(t, e, "OLD#0042") != nil {
		t.Error("an expired item is still there")
	}
	out, err := e.Client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("gsi1"),
		KeyConditionExpression: aws.String("gsi1pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("USER")}})
	if err != nil || out.Count != 0 {
		t.Errorf("the list index after the sweeps: %v, %d items, want none", err, out.Count)
	}
}

// TestSweepEvery: sweeping by the wall clock deletes an item that expired a minute ago and keeps one
// that expires in an hour; Close stops it.
func TestSweepEvery(t *testing.T) {
	e := start(t)
	put(t, e, map[string]types.AttributeValue{"pk": s("GONE"), "ttl": unix(time.Now().Add(-time.Minute))})
	put(t, e, map[string]types.AttributeValue{"pk": s("LIVE"), "ttl": unix(time.Now().Add(time.Hour))})
	e.SweepEvery(10 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for get(t, e, "GONE") != nil {
		if time.Now().After(deadline) {
			t.Fatal("the expired item is still there after 10 s of sweeping")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if get(t, e, "LIVE") == nil {
		t.Error("the live item was swept")
	}
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
