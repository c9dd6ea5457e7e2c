package localdynamo_test

import (
	"bytes"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"mfagateway/shared/localdynamo"
)

// TestServe: the endpoint Serve opens is the same engine, both ways, answers with DynamoDB's
// X-Amz-Crc32 of its body, and stops with the engine.
func TestServe(t *testing.T) {
	ctx := t.Context()
	e, err := localdynamo.Start(ctx, "gateway")
	if err != nil {
		t.Fatal(err)
	}
	url, err := e.Serve("127.0.0.1:0")
	if err != nil {
		_ = e.Close()
		t.Fatal(err)
	}
	other := localdynamo.NewClient(url)
	put := func(c *dynamodb.Client, pk string) {
		t.Helper()
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("gateway"), Item: map[string]types.AttributeValue{"pk": s(pk)}}); err != nil {
			t.Fatalf("put %s: %v", pk, err)
		}
	}
	has := func(c *dynamodb.Client, pk string) bool {
		t.Helper()
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("gateway"), Key: map[string]types.AttributeValue{"pk": s(pk)}})
		if err != nil {
			t.Fatalf("get %s: %v", pk, err)
		}
		return out.Item != nil
	}
	put(e.Client, "A")
	put(other, "B")
	if !has(other, "A") || !has(e.Client, "B") {
		t.Error("the served endpoint and the engine's own client do not see the same items")
	}

	body := []byte(`{"TableName": "gateway", "Key": {"pk": {"S": "A"}}}`)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if got, want := resp.Header.Get("X-Amz-Crc32"), strconv.FormatUint(uint64(crc32.ChecksumIEEE(answer)), 10); got != want {
		t.Errorf("X-Amz-Crc32 = %q, want %s, the CRC32 of %s", got, want, answer)
	}

	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Post(url, "application/x-amz-json-1.0", nil); err == nil {
		_ = resp.Body.Close()
		t.Error("the served endpoint still answers after Close")
	}
}
