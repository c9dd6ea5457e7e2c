package functions_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryItemKindGranted: every key prefix the store writes (shared/dynamo/items.go) is in the
// leading keys of some function's table grant, so that no item kind is left to a function that may
// not reach it — moto does not enforce IAM, so the deploy test alone would not notice.
func TestEveryItemKindGranted(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(repoRoot, "shared", "dynamo", "items.go"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var granted []string
	for _, m := range regexp.MustCompile(`dynamodb:LeadingKeys: \[([^\]]*)\]`).FindAllStringSubmatch(string(tpl), -1) {
		granted = append(granted, m[1])
	}
	prefixes := regexp.MustCompile(`(?m)^\s*prefix\w+\s*=\s*"([A-Z]+#)"`).FindAllStringSubmatch(string(src), -1)
	if len(prefixes) < 10 || len(granted) == 0 {
		t.Fatalf("read %d prefixes and %d grants: the patterns no longer match the files", len(prefixes), len(granted))
	}
	for _, p := range prefixes {
		found := false
		for _, g := range granted {
			found = found || strings.Contains(g, `"`+p[1]+`*"`)
		}
		if !found {
			t.Errorf("no function's table grant reaches %s items", p[1])
		}
	}
}
