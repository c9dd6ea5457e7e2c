package main

import (
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/localdynamo"
)

// TestServeDynamo: the embedded engine is served to other processes with the gateway's own table,
// and the start says where; off serves it to none; an address in use stops the start naming the flag
// and the variable, from either.
func TestServeDynamo(t *testing.T) {
	t.Run("served", func(t *testing.T) {
		s := startLocal(t, "", nil)
		var out strings.Builder
		if err := s.app.serveDynamo("127.0.0.1:0", &out); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`^DynamoDB endpoint (http://127\.0\.0\.1:\d+), table (\S+), for other processes: gatewayctl --endpoint (\S+) --table (\S+); sam local with events/env.json\n$`).
			FindStringSubmatch(out.String())
		if m == nil || m[2] != defaultTable || m[3] != m[1] || m[4] != defaultTable {
			t.Fatalf("printed %q, want the endpoint and the table %s", out.String(), defaultTable)
		}
		desc, err := localdynamo.NewClient(m[1]).DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(defaultTable)})
		if err != nil {
			t.Fatalf("the served endpoint does not have the gateway's table: %v", err)
		}
		if n := aws.ToInt64(desc.Table.ItemCount); n == 0 {
			t.Errorf("the served table has no items; the demo seed's should be there")
		}
	})
	t.Run("off", func(t *testing.T) {
		s := startLocal(t, "", nil)
		var out strings.Builder
		if err := s.app.serveDynamo("off", &out); err != nil || out.Len() != 0 {
			t.Errorf("off: error %v, printed %q; want neither", err, out.String())
		}
	})
	t.Run("address in use", func(t *testing.T) {
		taken, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		addr := taken.Addr().String()
		check := func(t *testing.T, err error) {
			t.Helper()
			if err == nil {
				t.Fatal("started on an address in use")
			}
			for _, want := range []string{addr, "--dynamodb-addr", "LOCAL_DYNAMODB_ADDR"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
		}
		t.Run("flag", func(t *testing.T) {
			check(t, run([]string{"--addr", "127.0.0.1:0", "--dynamodb-addr", addr}, envOf(nil), io.Discard, io.Discard))
		})
		t.Run("variable", func(t *testing.T) {
			check(t, run(nil, envOf(map[string]string{"ADDR": "127.0.0.1:0", "LOCAL_DYNAMODB_ADDR": addr}), io.Discard, io.Discard))
		})
	})
	t.Run("default", func(t *testing.T) {
		var usage strings.Builder
		_ = run([]string{"-h"}, envOf(nil), io.Discard, &usage)
		if !strings.Contains(usage.String(), `-dynamodb-addr string`) || !strings.Contains(usage.String(), `(default "`+defaultDynamoAddr+`")`) {
			t.Errorf("usage %q does not give --dynamodb-addr the default %s", usage.String(), defaultDynamoAddr)
		}
	})
}

// TestSAMEnvFile holds events/env.json, which points sam local at make run, to this server's defaults:
// its DynamoDB endpoint and its table.
func TestSAMEnvFile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Parameters map[string]string }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("events/env.json: %v", err)
	}
	if got, want := file.Parameters["AWS_ENDPOINT_URL"], "http://"+defaultDynamoAddr; got != want {
		t.Errorf("events/env.json: AWS_ENDPOINT_URL %q, want make run's %q", got, want)
	}
	if got := file.Parameters["TABLE_NAME"]; got != defaultTable {
		t.Errorf("events/env.json: TABLE_NAME %q, want make run's %q", got, defaultTable)
	}
}
