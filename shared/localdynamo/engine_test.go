package localdynamo_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"mfagateway/shared/localdynamo"
)

const table = "gateway"

func n(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s(pk)}
}

func start(t *testing.T) *localdynamo.Engine {
	t.Helper()
	e, err := localdynamo.Start(t.Context(), table)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func put(t *testing.T, e *localdynamo.Engine, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := e.Client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatalf("PutItem %v: %v", item, err)
	}
}

func get(t *testing.T, e *localdynamo.Engine, pk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := e.Client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem %s: %v", pk, err)
	}
	return out.Item
}

func number(t *testing.T, item map[string]types.AttributeValue, attr string) int {
	t.Helper()
	v, ok := item[attr].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("%s of %v is not a number", attr, item)
	}
	i, err := strconv.Atoi(v.Value)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

// TestTransactionAllOrNothing: a transaction whose one condition fails writes nothing, names that item
// in its reasons with the item as it stood, and the same transaction whose conditions hold writes all
// of it: a new item, an update, a delete.
func TestTransactionAllOrNothing(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	put(t, e, map[string]types.AttributeValue{"pk": s("A"), "n": n(1)})
	put(t, e, map[string]types.AttributeValue{"pk": s("C"), "n": n(1)})
	put(t, e, map[string]types.AttributeValue{"pk": s("E"), "n": n(1)})
	items := func(want int) []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": s("B"), "n": n(7)},
				ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			{Update: &types.Update{TableName: aws.String(table), Key: key("A"), UpdateExpression: aws.String("ADD n :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1)}}},
			{Delete: &types.Delete{TableName: aws.String(table), Key: key("C")}},
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table), Key: key("E"), ConditionExpression: aws.String("n = :want"),
				ExpressionAttributeValues:           map[string]types.AttributeValue{":want": n(want)},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		}
	}
	_, err := e.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items(2)})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || len(tce.CancellationReasons) != 4 {
		t.Fatalf("failing transaction: %v, want TransactionCanceledException with 4 reasons", err)
	}
	for i, r := range tce.CancellationReasons {
		want := "None"
		if i == 3 {
			want = "ConditionalCheckFailed"
		}
		if aws.ToString(r.Code) != want {
			t.Errorf("reason %d = %s, want %s", i, aws.ToString(r.Code), want)
		}
	}
	if old := tce.CancellationReasons[3].Item; number(t, old, "n") != 1 {
		t.Errorf("the failed check's item = %v, want E as it stood", old)
	}
	if get(t, e, "B") != nil || number(t, get(t, e, "A"), "n") != 1 || get(t, e, "C") == nil {
		t.Fatal("the cancelled transaction wrote some of its items")
	}
	if _, err := e.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items(1)}); err != nil {
		t.Fatalf("transaction: %v", err)
	}
	if number(t, get(t, e, "B"), "n") != 7 || number(t, get(t, e, "A"), "n") != 2 || get(t, e, "C") != nil {
		t.Fatal("the transaction did not write all of its items")
	}
	twice := []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: key("D")}},
		{Delete: &types.Delete{TableName: aws.String(table), Key: key("D")}},
	}
	_, err = e.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: twice})
	wantCode(t, "two operations on one item", err, "ValidationException")
	bad := append(items(1)[:1:1], types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: key("A"),
		UpdateExpression: aws.String("SET pk = :x"), ExpressionAttributeValues: map[string]types.AttributeValue{":x": s("Z")}}})
	_, err = e.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: bad})
	wantCode(t, "an update of the key", err, "ValidationException")
	if get(t, e, "Z") != nil {
		t.Error("a refused transaction wrote an item")
	}
}

// TestTransactionsIsolated: transfers between two counters race with consistent reads of both; every
// read sees the total the transfers keep, and the counters end where the successful transfers put
// them, none below zero.
func TestTransactionsIsolated(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	put(t, e, map[string]types.AttributeValue{"pk": s("X"), "n": n(10)})
	put(t, e, map[string]types.AttributeValue{"pk": s("Y"), "n": n(0)})
	move := func(from, to string) []types.TransactWriteItem {
		one := map[string]types.AttributeValue{":one": n(1)}
		return []types.TransactWriteItem{
			{Update: &types.Update{TableName: aws.String(table), Key: key(from), UpdateExpression: aws.String("SET n = n - :one"),
				ConditionExpression: aws.String("n >= :one"), ExpressionAttributeValues: one}},
			{Update: &types.Update{TableName: aws.String(table), Key: key(to), UpdateExpression: aws.String("SET n = n + :one"),
				ExpressionAttributeValues: one}},
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	moved := map[string]int{}
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	for w := range 8 {
		wg.Go(func() {
			from, to := "X", "Y"
			if w%2 == 1 {
				from, to = "Y", "X"
			}
			for range 15 {
				_, err := e.Client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: move(from, to)})
				var tce *types.TransactionCanceledException
				switch {
				case err == nil:
					mu.Lock()
					moved[from]++
					mu.Unlock()
				case !errors.As(err, &tce):
					fail("transfer %s→%s: %v", from, to, err)
				}
			}
		})
	}
	for range 4 {
		wg.Go(func() {
			for range 30 {
				out, err := e.Client.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
					{Get: &types.Get{TableName: aws.String(table), Key: key("X")}},
					{Get: &types.Get{TableName: aws.String(table), Key: key("Y")}},
				}})
				if err != nil {
					fail("read both: %v", err)
					return
				}
				x, _ := strconv.Atoi(out.Responses[0].Item["n"].(*types.AttributeValueMemberN).Value)
				y, _ := strconv.Atoi(out.Responses[1].Item["n"].(*types.AttributeValueMemberN).Value)
				if x+y != 10 || x < 0 || y < 0 {
					fail("a read saw X=%d, Y=%d", x, y)
				}
			}
		})
	}
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	x, y := number(t, get(t, e, "X"), "n"), number(t, get(t, e, "Y"), "n")
	if want := 10 - moved["X"] + moved["Y"]; x != want || x+y != 10 {
		t.Errorf("X=%d Y=%d after %d moves from X and %d from Y, want X=%d", x, y, moved["X"], moved["Y"], want)
	}
}

// TestConditionalWritesRace: of 30 racing conditional increments below a limit of 5, exactly 5 pass.
func TestConditionalWritesRace(t *testing.T) {
	e := start(t)
	put(t, e, map[string]types.AttributeValue{"pk": s("C"), "attempts": n(0)})
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for range 30 {
		wg.Go(func() {
			_, err := e.Client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("C"),
				UpdateExpression: aws.String("ADD attempts :one"), ConditionExpression: aws.String("attempts < :max"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":max": n(5)}})
			var ccf *types.ConditionalCheckFailedException
			switch {
			case err == nil:
				mu.Lock()
				passed++
				mu.Unlock()
			case !errors.As(err, &ccf):
				t.Errorf("UpdateItem: %v", err)
			}
		})
	}
	wg.Wait()
	if got := number(t, get(t, e, "C"), "attempts"); passed != 5 || got != 5 {
		t.Errorf("%d increments passed, attempts = %d; want 5 and 5", passed, got)
	}
}

// TestUpdateItem: SET, ADD and REMOVE, each ReturnValues, a new item from its key, a failed
// condition's item, and the key left alone.
func TestUpdateItem(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	put(t, e, map[string]types.AttributeValue{"pk": s("U"), "a": s("x"), "b": n(1), "m": &types.AttributeValueMemberM{
		Value: map[string]types.AttributeValue{"inner": s("old")}}})
	update := func(expr string, rv types.ReturnValue, values map[string]types.AttributeValue) map[string]types.AttributeValue {
		t.Helper()
		out, err := e.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("U"),
			UpdateExpression: aws.String(expr), ExpressionAttributeValues: values, ReturnValues: rv})
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return out.Attributes
	}
	old := update("SET m.inner = :v, c = :c REMOVE a", types.ReturnValueAllOld, map[string]types.AttributeValue{":v": s("new"), ":c": s("c")})
	if _, ok := old["a"]; !ok || old["m"].(*types.AttributeValueMemberM).Value["inner"].(*types.AttributeValueMemberS).Value != "old" {
		t.Errorf("ALL_OLD = %v, want the item before the update", old)
	}
	now := get(t, e, "U")
	if _, ok := now["a"]; ok {
		t.Errorf("REMOVE a left it: %v", now)
	}
	if now["m"].(*types.AttributeValueMemberM).Value["inner"].(*types.AttributeValueMemberS).Value != "new" || now["c"] == nil {
		t.Errorf("SET did not write: %v", now)
	}
	if got := update("ADD b :one", types.ReturnValueUpdatedNew, map[string]types.AttributeValue{":one": n(1)}); len(got) != 1 || number(t, got, "b") != 2 {
		t.Errorf("UPDATED_NEW = %v, want b = 2 alone", got)
	}
	if got := update("ADD b :one", types.ReturnValueUpdatedOld, map[string]types.AttributeValue{":one": n(1)}); len(got) != 1 || number(t, got, "b") != 2 {
		t.Errorf("UPDATED_OLD = %v, want b = 2 alone", got)
	}
	if got := update("SET d = :d", types.ReturnValueAllNew, map[string]types.AttributeValue{":d": n(4)}); number(t, got, "d") != 4 || number(t, got, "b") != 3 {
		t.Errorf("ALL_NEW = %v", got)
	}
	_, err := e.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("NEW"),
		UpdateExpression: aws.String("SET v = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(1)}})
	if err != nil || number(t, get(t, e, "NEW"), "v") != 1 {
		t.Errorf("an update of a missing item: %v, %v; want it made from its key", err, get(t, e, "NEW"))
	}
	_, err = e.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("U"),
		UpdateExpression: aws.String("SET b = :v"), ConditionExpression: aws.String("b > :v"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":v": n(10)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) || number(t, ccf.Item, "b") != 3 {
		t.Errorf("failed condition: %v, want ConditionalCheckFailedException with the item", err)
	}
	_, err = e.Client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(table), Key: key("U"),
		UpdateExpression: aws.String("SET #k = :v"), ExpressionAttributeNames: map[string]string{"#k": "pk"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": s("V")}})
	wantCode(t, "an update of the key", err, "ValidationException")
}

// TestRequestsRefused: what DynamoDB refuses, the engine refuses with the same error code.
func TestRequestsRefused(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	put(t, e, key("K"))
	for _, c := range []struct {
		name string
		call func() error
		code string
	}{
		{"an unused expression value", func() error {
			_, err := e.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key("K"),
				ConditionExpression:       aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":unused": n(1)}})
			return err
		}, "ValidationException"},
		{"an undefined expression name", func() error {
			_, err := e.Client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key("K"),
				ConditionExpression: aws.String("attribute_exists(#missing)")})
			return err
		}, "ValidationException"},
		{"an item without its key", func() error {
			_, err := e.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{"x": n(1)}})
			return err
		}, "ValidationException"},
		{"a key of the wrong type", func() error {
			_, err := e.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{"pk": n(1)}})
			return err
		}, "ValidationException"},
		{"an index key of the wrong type", func() error {
			_, err := e.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
				"pk": s("I"), "gsi1pk": n(1), "gsi1sk": s("x")}})
			return err
		}, "ValidationException"},
		{"a consistent read of a global index", func() error {
			_, err := e.Client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String("gsi1"), ConsistentRead: aws.Bool(true),
				KeyConditionExpression: aws.String("gsi1pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("USER")}})
			return err
		}, "ValidationException"},
		{"a missing table", func() error {
			_, err := e.Client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("nowhere"), Key: key("K")})
			return err
		}, "ResourceNotFoundException"},
		{"a second table of one name", func() error {
			_, err := e.Client.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(table), BillingMode: types.BillingModePayPerRequest,
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}}})
			return err
		}, "ResourceInUseException"},
	} {
		t.Run(c.name, func(t *testing.T) { wantCode(t, c.name, c.call(), c.code) })
	}
	if get(t, e, "I") != nil {
		t.Error("a refused put was stored")
	}
}

// sortedTable creates a table keyed by a partition and a numeric sort key, with an index by tag.
func sortedTable(t *testing.T, e *localdynamo.Engine, name string) {
	t.Helper()
	_, err := e.Client.CreateTable(t.Context(), &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("p"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("n"), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String("tag"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("p"), KeyType: types.KeyTypeHash}, {AttributeName: aws.String("n"), KeyType: types.KeyTypeRange}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byTag"),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String("tag"), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQueryPages: a Query reads its partition in sort-key order, numbers by value, forwards or
// backwards, with a sort-key condition, in pages of Limit; an index Query answers the index's
// projection; a start key outside the partition is refused.
func TestQueryPages(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	sortedTable(t, e, "sorted")
	for _, p := range []string{"a", "b", "c"} {
		for i := range 25 {
			item := map[string]types.AttributeValue{"p": s(p), "n": n(i * 3), "v": s(fmt.Sprint(p, i))}
			if i%5 == 0 {
				item["tag"] = s("five")
			}
			if _, err := e.Client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("sorted"), Item: item}); err != nil {
				t.Fatal(err)
			}
		}
	}
	read := func(in dynamodb.QueryInput) []int {
		t.Helper()
		var got []int
		for pages := 0; ; pages++ {
			if pages > 40 {
				t.Fatal("the pages do not end")
			}
			out, err := e.Client.Query(ctx, &in)
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if in.Limit != nil && len(out.Items) > int(*in.Limit) {
				t.Fatalf("a page of %d items, Limit %d", len(out.Items), *in.Limit)
			}
			for _, item := range out.Items {
				got = append(got, number(t, item, "n"))
			}
			if len(out.LastEvaluatedKey) == 0 {
				return got
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	values := func(more map[string]types.AttributeValue) map[string]types.AttributeValue {
		v := map[string]types.AttributeValue{":p": s("b")}
		for k, x := range more {
			v[k] = x
		}
		return v
	}
	var want []int
	for i := range 25 {
		if i*3 >= 30 {
			want = append(want, i*3)
		}
	}
	got := read(dynamodb.QueryInput{TableName: aws.String("sorted"), KeyConditionExpression: aws.String("p = :p AND n >= :from"),
		ExpressionAttributeValues: values(map[string]types.AttributeValue{":from": n(30)}), Limit: aws.Int32(4)})
	if !slices.Equal(got, want) {
		t.Errorf("forwards: %v, want %v", got, want)
	}
	got = read(dynamodb.QueryInput{TableName: aws.String("sorted"), KeyConditionExpression: aws.String("p = :p AND n >= :from"),
		ExpressionAttributeValues: values(map[string]types.AttributeValue{":from": n(30)}), Limit: aws.Int32(3), ScanIndexForward: aws.Bool(false)})
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("backwards: %v, want %v", got, want)
	}
	out, err := e.Client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("sorted"), IndexName: aws.String("byTag"),
		KeyConditionExpression: aws.String("tag = :t"), ExpressionAttributeValues: map[string]types.AttributeValue{":t": s("five")}})
	if err != nil || out.Count != 15 {
		t.Fatalf("index Query: %v, %d items, want 15", err, out.Count)
	}
	if _, projected := out.Items[0]["v"]; projected || out.Items[0]["p"] == nil || out.Items[0]["tag"] == nil {
		t.Errorf("index item %v, want the keys only", out.Items[0])
	}
	_, err = e.Client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("sorted"), KeyConditionExpression: aws.String("p = :p"),
		ExpressionAttributeValues: values(nil), ExclusiveStartKey: map[string]types.AttributeValue{"p": s("a"), "n": n(3)}})
	wantCode(t, "a start key of another partition", err, "ValidationException")
}

// TestScanPages: a Scan in pages of Limit, filtered, reaches every item once, and Select COUNT counts.
func TestScanPages(t *testing.T) {
	e := start(t)
	ctx := t.Context()
	for i := range 50 {
		put(t, e, map[string]types.AttributeValue{"pk": s(fmt.Sprintf("S%02d", i)), "odd": &types.AttributeValueMemberBOOL{Value: i%2 == 1}})
	}
	in := &dynamodb.ScanInput{TableName: aws.String(table), Limit: aws.Int32(7), FilterExpression: aws.String("odd = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}}
	seen := map[string]int{}
	scanned := 0
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("the pages do not end")
		}
		out, err := e.Client.Scan(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		scanned += int(out.ScannedCount)
		for _, item := range out.Items {
			seen[item["pk"].(*types.AttributeValueMemberS).Value]++
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if len(seen) != 25 || scanned != 50 {
		t.Errorf("%d odd items seen of %d scanned, want 25 of 50", len(seen), scanned)
	}
	for pk, times := range seen {
		if times != 1 {
			t.Errorf("%s seen %d times", pk, times)
		}
	}
	out, err := e.Client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount})
	if err != nil || out.Count != 50 || out.Items != nil {
		t.Errorf("Select COUNT: %v, count %d, %d items; want 50 and none", err, out.Count, len(out.Items))
	}
}

// TestDeleteLastSetElement: a DELETE that takes a set's last element removes the attribute, as
// DynamoDB does (a set is never empty), instead of refusing the update.
func TestDeleteLastSetElement(t *testing.T) {
	e := start(t)
	put(t, e, map[string]types.AttributeValue{"pk": s("k"), "codes": &types.AttributeValueMemberSS{Value: []string{"a"}}})
	_, err := e.Client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName: aws.String(table), Key: key("k"), UpdateExpression: aws.String("DELETE codes :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberSS{Value: []string{"a"}}},
	})
	if err != nil {
		t.Fatalf("DELETE of the last element: %v", err)
	}
	if item := get(t, e, "k"); item["codes"] != nil || item["pk"] == nil {
		t.Errorf("item after the DELETE: %v, want it without the set", item)
	}
}
