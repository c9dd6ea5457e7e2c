package dynamo_test

// Benchmarks of item marshalling, run by `make bench` (go run ./cmd/bench) with a bounded -benchtime:
// the store's calls over an in-memory stand-in for the DynamoDB client, so what is measured is item
// encoding and decoding and expression building, not I/O. The items are the store's own, captured
// from its writes. Each BenchmarkFloorX does the same with encoding/json on the same attributes (as a
// plain struct with the item's attribute names), measured in the same run for the ratio. Every identifier here starts with bench (other test
// files of this package own the plain names).

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
)

const benchTable = "bench-table"

var benchSink any

type benchItem = map[string]types.AttributeValue

// benchAPI answers the store's calls from memory and keeps the items it was asked to write.
// Calls the benchmarks do not make panic (nil embedded interface).
type benchAPI struct {
	dynamo.API
	puts []benchItem // items written by PutItem and by the Puts of TransactWriteItems, in order
	get  benchItem   // what GetItem answers
	upd  benchItem   // what UpdateItem answers as its new attributes
	read []benchItem // what BatchGetItem answers
}

func (a *benchAPI) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{Item: a.get}, nil
}

func (a *benchAPI) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	a.puts = append(a.puts, in.Item)
	return &dynamodb.PutItemOutput{}, nil
}

func (a *benchAPI) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return &dynamodb.UpdateItemOutput{Attributes: a.upd}, nil
}

func (a *benchAPI) BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return &dynamodb.BatchGetItemOutput{Responses: map[string][]benchItem{benchTable: a.read}}, nil
}

func (a *benchAPI) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		if it.Put != nil {
			a.puts = append(a.puts, it.Put.Item)
		}
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

var benchNow = time.Now()

var (
	benchUser = auth.User{
		ID: "0b7c3f7e-2d55-4b8f-9d0e-6a4f1c2b9e31", Email: "ada@example.com", Name: "Ada",
		PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
		Mobile:       "+31612345678", Admin: true,
		Applications: []string{"7d6c1f0e-6a47-4d38-9d1c-3f1f2a9e5b10", "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90"},
	}
	benchApp = auth.Application{
		ID: "2b0f9a52-8c1e-4d7a-9e3b-5a4c6d7e8f90", Name: "Demo", URL: "demo.localhost", UniqueIdentifier: "demo",
		CreateDate: benchNow, UpdateDate: benchNow, Version: 3,
	}
	benchToken = auth.Token{
		ID: "5f1e0c7d2b3a4958a6b7c8d9e0f1a2b35f1e0c7d2b3a4958a6b7c8d9e0f1a2b3", UserID: benchUser.ID,
		Email: benchUser.Email, Name: benchUser.Name, AppID: benchApp.ID, Admin: true,
		IssuedAt: benchNow, ExpiresAt: benchNow.Add(10 * time.Hour),
	}
	benchChallenge = auth.Challenge{
		ID: "9a8b7c6d5e4f30211203948576abcdef9a8b7c6d5e4f30211203948576abcdef", UserID: benchUser.ID,
		Email: benchUser.Email, Name: benchUser.Name, AppID: benchApp.ID, Admin: true,
		Channel: auth.ChannelSMS, Authenticator: "AmazonSNS", To: benchUser.Mobile, Destination: "+31******78",
		CodeHash:      "4c1f6bd1e0e4c5a7a1f1b8f0e2d3c4b5a69788796a5b4c3d2e1f00112233445566",
		CodeExpiresAt: benchNow.Add(5 * time.Minute), ExpiresAt: benchNow.Add(15 * time.Minute),
		Sends: 1, LastSentAt: benchNow,
	}
	benchSlot = auth.SendSlot{UserID: benchUser.ID, Window: benchNow.Truncate(time.Hour), Limit: 10, ExpiresAt: benchNow.Add(2 * time.Hour)}
	// benchNetwork is the login's source network, whose counted attempt the token or challenge write takes back.
	benchNetwork = auth.NetworkOf("203.0.113.10")
)

// benchItems captures the store's own items for a user, an application, a token and a challenge.
func benchItems(b *testing.B) (user, app, token, challenge benchItem) {
	b.Helper()
	api := &benchAPI{}
	s := dynamo.New(api, benchTable)
	ctx := context.Background()
	if err := s.PutUser(ctx, benchUser); err != nil {
		b.Fatal(err)
	}
	if err := s.PutApplication(ctx, benchApp); err != nil {
		b.Fatal(err)
	}
	if err := s.IssueToken(ctx, benchToken, benchNetwork); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateChallenge(ctx, benchChallenge, benchSlot, benchNetwork); err != nil {
		b.Fatal(err)
	}
	// PutUser's item by email and its copy by userId; PutApplication's item by appId and its url copy;
	// the token; the challenge.
	if len(api.puts) != 6 {
		b.Fatalf("captured %d items, want 6", len(api.puts))
	}
	return api.puts[0], api.puts[2], api.puts[4], api.puts[5]
}

// The floors' plain structs: the attribute names of the store's items, for encoding/json. They are
// the floor's own shapes, not the store's: an attribute the store adds later is only ignored here.
type (
	benchJSONToken struct {
		PK        string `json:"pk"`
		UserID    string `json:"userId"`
		Email     string `json:"email"`
		Name      string `json:"name"`
		AppID     string `json:"appId"`
		Admin     bool   `json:"admin"`
		IssuedAt  int64  `json:"issuedAt"`
		ExpiresAt int64  `json:"expiresAt"`
		Revoked   bool   `json:"revoked"`
		TTL       int64  `json:"ttl"`
	}
	benchJSONChallenge struct {
		PK            string `json:"pk"`
		UserID        string `json:"userId"`
		Email         string `json:"email"`
		Name          string `json:"name"`
		AppID         string `json:"appId"`
		Admin         bool   `json:"admin"`
		Channel       string `json:"channel"`
		Authenticator string `json:"authenticator"`
		To            string `json:"to"`
		Destination   string `json:"destination"`
		CodeHash      string `json:"codeHash"`
		CodeExpiresAt int64  `json:"codeExpiresAt"`
		ExpiresAt     int64  `json:"expiresAt"`
		Attempts      int    `json:"attempts"`
		Sends         int    `json:"sends"`
		LastSentAt    int64  `json:"lastSentAt"`
		Used          bool   `json:"used"`
		TTL           int64  `json:"ttl"`
	}
	benchJSONUser struct {
		PK           string   `json:"pk"`
		UserID       string   `json:"userId"`
		Email        string   `json:"email"`
		Name         string   `json:"name"`
		PasswordHash string   `json:"passwordHash"`
		Mobile       string   `json:"mobile"`
		Admin        bool     `json:"admin"`
		Applications []string `json:"applications"`
	}
	benchJSONApp struct {
		PK               string `json:"pk"`
		AppID            string `json:"appId"`
		Name             string `json:"name"`
		URL              string `json:"url"`
		UniqueIdentifier string `json:"uniqueIdentifier"`
		MFA              bool   `json:"enableMultiFactorAuthentication"`
		CreateDate       string `json:"createDate"`
		UpdateDate       string `json:"updateDate"`
		Version          int    `json:"version"`
	}
)

// benchJSON is the item's attributes as JSON, decoded into the floor's struct v, for the encoding/json floors.
func benchJSON(b *testing.B, item benchItem, v any) []byte {
	b.Helper()
	var m map[string]any
	if err := attributevalue.UnmarshalMap(item, &m); err != nil {
		b.Fatal(err)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkIssueToken encodes a token item (and the transaction around it).
func BenchmarkIssueToken(b *testing.B) {
	s := dynamo.New(&benchAPI{}, benchTable)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.IssueToken(ctx, benchToken, benchNetwork); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorMarshalToken encodes the token item's attributes with encoding/json.
func BenchmarkFloorMarshalToken(b *testing.B) {
	_, _, token, _ := benchItems(b)
	var v benchJSONToken
	benchJSON(b, token, &v)
	b.ReportAllocs()
	for b.Loop() {
		out, err := json.Marshal(&v)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = out
	}
}

// BenchmarkGetToken decodes a token item (the authorizer's one read).
func BenchmarkGetToken(b *testing.B) {
	_, _, token, _ := benchItems(b)
	s := dynamo.New(&benchAPI{get: token}, benchTable)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := s.GetToken(ctx, benchToken.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorUnmarshalToken decodes the token item's attributes with encoding/json.
func BenchmarkFloorUnmarshalToken(b *testing.B) {
	_, _, token, _ := benchItems(b)
	raw := benchJSON(b, token, &benchJSONToken{})
	b.ReportAllocs()
	for b.Loop() {
		var v benchJSONToken
		if err := json.Unmarshal(raw, &v); err != nil {
			b.Fatal(err)
		}
		benchSink = v.PK
	}
}

// BenchmarkLoadLogin decodes the user and application items of a login.
func BenchmarkLoadLogin(b *testing.B) {
	user, app, _, _ := benchItems(b)
	s := dynamo.New(&benchAPI{read: []benchItem{user, app}}, benchTable)
	ctx := context.Background()
	ref := auth.AppRef{ID: benchApp.ID}
	b.ReportAllocs()
	for b.Loop() {
		rec, err := s.LoadLogin(ctx, benchUser.Email, ref)
		if err != nil || rec.User == nil || rec.App == nil {
			b.Fatalf("%+v, %v", rec, err)
		}
	}
}

// BenchmarkFloorUnmarshalLogin decodes the same two items' attributes with encoding/json.
func BenchmarkFloorUnmarshalLogin(b *testing.B) {
	user, app, _, _ := benchItems(b)
	rawUser := benchJSON(b, user, &benchJSONUser{})
	rawApp := benchJSON(b, app, &benchJSONApp{})
	b.ReportAllocs()
	for b.Loop() {
		var u benchJSONUser
		var a benchJSONApp
		if err := json.Unmarshal(rawUser, &u); err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(rawApp, &a); err != nil {
			b.Fatal(err)
		}
		benchSink = a.PK
	}
}

// BenchmarkCreateChallenge encodes a challenge item and builds the send-count condition.
func BenchmarkCreateChallenge(b *testing.B) {
	s := dynamo.New(&benchAPI{}, benchTable)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.CreateChallenge(ctx, benchChallenge, benchSlot, benchNetwork); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorMarshalChallenge encodes the challenge item's attributes with encoding/json.
func BenchmarkFloorMarshalChallenge(b *testing.B) {
	_, _, _, challenge := benchItems(b)
	var v benchJSONChallenge
	benchJSON(b, challenge, &v)
	b.ReportAllocs()
	for b.Loop() {
		out, err := json.Marshal(&v)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = out
	}
}

// BenchmarkCountAttempt decodes the challenge a verify reads and builds the conditions of the wrong
// code's transaction (a verify's two calls).
func BenchmarkCountAttempt(b *testing.B) {
	_, _, _, challenge := benchItems(b)
	s := dynamo.New(&benchAPI{get: challenge}, benchTable)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := s.GetChallenge(ctx, benchChallenge.ID)
		if err != nil {
			b.Fatal(err)
		}
		step := auth.WrongCodeStep{Email: c.Email, UserID: c.UserID, Below: 9}
		if err := s.CountAttempt(ctx, c, auth.ChannelSMS, benchNow, 5, step); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorUnmarshalChallenge decodes the challenge item's attributes with encoding/json.
func BenchmarkFloorUnmarshalChallenge(b *testing.B) {
	_, _, _, challenge := benchItems(b)
	raw := benchJSON(b, challenge, &benchJSONChallenge{})
	b.ReportAllocs()
	for b.Loop() {
		var v benchJSONChallenge
		if err := json.Unmarshal(raw, &v); err != nil {
			b.Fatal(err)
		}
		benchSink = v.PK
	}
}
