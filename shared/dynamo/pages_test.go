package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/odata"
)

// pagesSecret seals the tokens of the stores of these tests.
var pagesSecret = []byte("a secret of at least 32 bytes for page tokens")

// queryRecorder is a table that answers each Query with the items it is given (as many as the Limit
// takes) and keeps the inputs.
type queryRecorder struct {
	dynamo.API // nil: any other operation panics
	items      []map[string]types.AttributeValue
	last       map[string]types.AttributeValue // LastEvaluatedKey, when the Limit took every item
	inputs     []*dynamodb.QueryInput
}

func (q *queryRecorder) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	q.inputs = append(q.inputs, in)
	n := min(len(q.items), int(*in.Limit))
	out := &dynamodb.QueryOutput{Items: q.items[:n], LastEvaluatedKey: q.last}
	if n < len(q.items) {
		out.LastEvaluatedKey = indexKey(q.items[n-1])
	}
	return out, nil
}

func indexKey(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": item["pk"], "gsi1pk": item["gsi1pk"], "gsi1sk": item["gsi1sk"]}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// userItems are n users of the list index as the table holds them: USERID#id, USER, createDate#id.
func userItems(n int) []map[string]types.AttributeValue {
	var out []map[string]types.AttributeValue
	for i := range n {
		id := fmt.Sprintf("user-%03d", i)
		out = append(out, map[string]types.AttributeValue{
			"pk": s("USERID#" + id), "userId": s(id), "email": s(id + "@example.com"),
			"gsi1pk": s("USER"), "gsi1sk": s(fmt.Sprintf("2031-05-06T09:%02d:00Z#%s", i%60, id)),
		})
	}
	return out
}

func sk(item map[string]types.AttributeValue) string {
	return item["gsi1sk"].(*types.AttributeValueMemberS).Value
}

// TestPageTokenNamesWhatThePageAnswered: a filtered page reads ten times its size in its one Query,
// answers the first that pass, and, when it fills, resumes after the last entity it answered, never
// after an item read beyond it, which the filter (or the caller's access) may keep from the caller.
// The token is sealed: it opens, with the list's name, under the store's secret only.
func TestPageTokenNamesWhatThePageAnswered(t *testing.T) {
	ctx := t.Context()
	pages := odata.NewSealer(pagesSecret)
	member := []odata.Comparison{{Property: "appId", Op: odata.Eq, Value: odata.Value{Kind: odata.String, Str: "app-1"}}}

	t.Run("a full page resumes after its last entity", func(t *testing.T) {
		table := &queryRecorder{items: userItems(30)}
		store := dynamo.New(table, "t").WithPageSecret(pagesSecret)
		users, next, err := store.UsersAfter(ctx, "", 2, member)
		if err != nil || len(users) != 2 {
			t.Fatalf("UsersAfter = %d users, %v; want 2", len(users), err)
		}
		if len(table.inputs) != 1 || *table.inputs[0].Limit != 20 {
			t.Fatalf("%d Queries, the first of Limit %d; want one of 20", len(table.inputs), *table.inputs[0].Limit)
		}
		mark, ok := pages.Open("USER", next)
		if !ok || mark != sk(table.items[1]) {
			t.Fatalf("the token opens to %q (%v), want the second user's key %q", mark, ok, sk(table.items[1]))
		}
		if strings.Contains(next, "user-") || strings.Contains(next, "2031") {
			t.Fatalf("token %q shows what it names", next)
		}

		// The next page starts after that entity.
		if _, _, err := store.UsersAfter(ctx, next, 2, member); err != nil {
			t.Fatal(err)
		}
		start := table.inputs[1].ExclusiveStartKey
		if got := start["gsi1sk"].(*types.AttributeValueMemberS).Value; got != sk(table.items[1]) || start["pk"].(*types.AttributeValueMemberS).Value != "USERID#user-001" {
			t.Fatalf("ExclusiveStartKey %v, want the second user's", start)
		}
	})

	t.Run("a page the read did not fill resumes where DynamoDB stopped", func(t *testing.T) {
		items := userItems(30)
		table := &queryRecorder{items: items[:3], last: indexKey(items[9])}
		store := dynamo.New(table, "t").WithPageSecret(pagesSecret)
		users, next, err := store.UsersAfter(ctx, "", 5, member)
		if err != nil || len(users) != 3 {
			t.Fatalf("UsersAfter = %d users, %v; want 3", len(users), err)
		}
		if mark, ok := pages.Open("USER", next); !ok || mark != sk(items[9]) {
			t.Fatalf("the token opens to %q (%v), want where the read stopped, %q", mark, ok, sk(items[9]))
		}
	})

	t.Run("a full page at the end of the list has no token", func(t *testing.T) {
		table := &queryRecorder{items: userItems(2)}
		if _, next, err := dynamo.New(table, "t").WithPageSecret(pagesSecret).UsersAfter(ctx, "", 2, nil); err != nil || next != "" {
			t.Fatalf("UsersAfter: next %q, %v; want none", next, err)
		}
		if *table.inputs[0].Limit != 2 {
			t.Fatalf("Limit %d without a filter, want the page's 2: every item passes", *table.inputs[0].Limit)
		}
	})

	t.Run("the read is at most a page's largest size", func(t *testing.T) {
		table := &queryRecorder{items: userItems(3)}
		if _, _, err := dynamo.New(table, "t").UsersAfter(ctx, "", 500, member); err != nil {
			t.Fatal(err)
		}
		if *table.inputs[0].Limit != odata.MaxTop {
			t.Fatalf("Limit %d, want %d", *table.inputs[0].Limit, odata.MaxTop)
		}
	})

	t.Run("a token that does not open is refused unread", func(t *testing.T) {
		table := &queryRecorder{items: userItems(30)}
		store := dynamo.New(table, "t").WithPageSecret(pagesSecret)
		_, userToken, err := store.UsersAfter(ctx, "", 1, nil)
		if err != nil || userToken == "" {
			t.Fatalf("UsersAfter: %q, %v", userToken, err)
		}
		_, otherSecret, _ := dynamo.New(table, "t").WithPageSecret([]byte("another secret of 32 bytes or more....")).UsersAfter(ctx, "", 1, nil)
		altered := []byte(userToken)
		altered[len(altered)/2] ^= 'A' ^ 'B'
		table.inputs = nil
		for name, token := range map[string]string{
			"of the users, to the applications": userToken,
			"under another secret":              otherSecret,
			"altered":                           string(altered),
			"plain base64 of a key":             "VVNFUiMyMDMxLTA1LTA2VDA5OjAwOjAwWiN1c2VyLTAwMQ",
		} {
			var err error
			if name == "of the users, to the applications" {
				_, _, err = store.ApplicationsAfter(ctx, token, 1, nil)
			} else {
				_, _, err = store.UsersAfter(ctx, token, 1, nil)
			}
			if oe := (*odata.Error)(nil); !errors.As(err, &oe) || oe.Option != "$skiptoken" {
				t.Errorf("%s: %v, want an *odata.Error naming $skiptoken", name, err)
			}
		}
		if len(table.inputs) != 0 {
			t.Fatalf("%d Queries for tokens that do not open, want none", len(table.inputs))
		}
	})

	t.Run("applications are listed without their secret hashes", func(t *testing.T) {
		table := &queryRecorder{}
		if _, _, err := dynamo.New(table, "t").ApplicationsAfter(ctx, "", 10, nil); err != nil {
			t.Fatal(err)
		}
		in := table.inputs[0]
		if in.ProjectionExpression == nil {
			t.Fatal("no ProjectionExpression: every attribute is read, secret hashes with them")
		}
		var names []string
		for _, n := range strings.Split(*in.ProjectionExpression, ", ") {
			names = append(names, in.ExpressionAttributeNames[n])
		}
		if slices.Contains(names, "secretHashes") || !slices.Contains(names, "gsi1sk") || !slices.Contains(names, "appId") {
			t.Fatalf("projection %v, want every attribute but secretHashes", names)
		}
	})
}

// operators counts what DynamoDB counts as operators of an expression: comparators, AND, OR, NOT,
// BETWEEN, IN and functions.
var operators = regexp.MustCompile(`\b(AND|OR|NOT|BETWEEN|IN)\b|[a-z_]+ ?\(|<>|<=|>=|=|<|>`)

// TestFilterExpressionFitsDynamoDB: the largest filter a list takes (odata.MaxComparisons of the
// comparisons with the longest expressions, with the membership of a Client session added) makes an
// expression well inside DynamoDB's 4 KB and 300 operators; a filter past them is refused, naming
// $filter, before any read, rather than failing the Query.
func TestFilterExpressionFitsDynamoDB(t *testing.T) {
	ctx := t.Context()
	str := func(p string, op odata.Op, v string) odata.Comparison {
		return odata.Comparison{Property: p, Op: op, Value: odata.Value{Kind: odata.String, Str: v}}
	}
	longest := []odata.Comparison{
		str("status", odata.Eq, string(auth.StatusActivated)), str("status", odata.Ne, string(auth.StatusActivated)),
		str("status", odata.Ne, string(auth.StatusBlocked)), str("appId", odata.Ne, "app-1"),
	}
	var worst []odata.Comparison
	for i := range odata.MaxComparisons {
		worst = append(worst, longest[i%len(longest)])
	}
	worst = append(worst, str("appId", odata.Eq, "the client's")) // auth adds it for a Client session

	table := &queryRecorder{}
	store := dynamo.New(table, "t")
	if _, _, err := store.UsersAfter(ctx, "", 10, worst); err != nil {
		t.Fatalf("the largest filter a list takes: %v", err)
	}
	filter := *table.inputs[0].FilterExpression
	size, ops := len(filter), len(operators.FindAllString(filter, -1))
	t.Logf("the largest filter: %d bytes, %d operators", size, ops)
	if size > 4096/2 || ops > 300/2 {
		t.Fatalf("the largest filter is %d bytes and %d operators: too near DynamoDB's 4096 and 300", size, ops)
	}
	table.inputs = nil
	if _, _, err := store.UsersAfter(ctx, "", 10, []odata.Comparison{str("appId", odata.Ne, "app-1")}); err != nil {
		t.Fatal(err)
	}
	if ne := *table.inputs[0].FilterExpression; len(operators.FindAllString(ne, -1)) != 2 {
		t.Fatalf("appId ne is %q, want NOT contains alone", ne)
	}

	for _, n := range []int{160, 400} { // past the operators at 160 (two of status ne each), past 4 KB at 400
		var many []odata.Comparison
		for range n {
			many = append(many, str("status", odata.Ne, string(auth.StatusActivated)))
		}
		table.inputs = nil
		_, _, err := store.UsersAfter(ctx, "", 10, many)
		if oe := (*odata.Error)(nil); !errors.As(err, &oe) || oe.Option != "$filter" {
			t.Errorf("%d comparisons: %v, want an *odata.Error naming $filter", n, err)
		}
		if len(table.inputs) != 0 {
			t.Errorf("%d comparisons: %d Queries, want none", n, len(table.inputs))
		}
	}
}
