package docs_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"mfagateway/shared/httpapi"
)

// openAPIPath is the API document, relative to this package's directory (go test's working directory).
const openAPIPath = "openapi.yaml"

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operation is one OpenAPI operation.
type operation struct {
	key  string // "METHOD /path"
	node *yaml.Node
}

// spellings maps the route key of every spelling of every row of httpapi's route table to its row.
func spellings() map[string]httpapi.Route {
	rows := map[string]httpapi.Route{}
	for _, r := range httpapi.Routes() {
		for _, key := range r.Keys() {
			rows[key] = r
		}
	}
	return rows
}

// TestOpenAPIMatchesRoutes fails when a spelling of a row of httpapi's route table is not documented in
// docs/openapi.yaml, or the document lists an operation that is no spelling of any row.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	rows := spellings()
	inDoc := map[string]bool{}
	var onlyDoc, undocumented []string
	for _, op := range openAPIOperations(t) {
		inDoc[op.key] = true
		if _, ok := rows[op.key]; !ok {
			onlyDoc = append(onlyDoc, op.key)
		}
	}
	for _, r := range httpapi.Routes() {
		for _, key := range r.Keys() {
			if !inDoc[key] {
				undocumented = append(undocumented, fmt.Sprintf("%s (%s)", key, r.Function))
			}
		}
	}
	sort.Strings(onlyDoc)
	if len(undocumented) > 0 || len(onlyDoc) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "routes of httpapi's route table and %s differ:\n", openAPIPath)
		if len(undocumented) > 0 {
			fmt.Fprintf(&b, "  in the table but not documented (add them to %s):\n", openAPIPath)
			for _, r := range undocumented {
				fmt.Fprintf(&b, "    %s\n", r)
			}
		}
		if len(onlyDoc) > 0 {
			fmt.Fprintf(&b, "  documented but no route of the table (remove them, or add the row to shared/httpapi/table.go):\n")
			for _, r := range onlyDoc {
				fmt.Fprintf(&b, "    %s\n", r)
			}
		}
		t.Error(b.String())
	}
	t.Logf("%d rows in the table, %d operations in the document", len(httpapi.Routes()), len(inDoc))
}

// TestOpenAPIOperations checks each operation documents a client error and has an operationId of its
// own, and that the document's security matches the table: public routes say `security: []`, protected
// ones do not.
func TestOpenAPIOperations(t *testing.T) {
	rows := spellings()
	ids := map[string]string{} // operationId -> route key
	for _, op := range openAPIOperations(t) {
		id := scalar(mapValue(op.node, "operationId"))
		if other, dup := ids[id]; dup || id == "" {
			t.Errorf("%s: %s has operationId %q, which is empty or %s's already", openAPIPath, op.key, id, other)
		}
		ids[id] = op.key
		if !has4xx(mapValue(op.node, "responses")) {
			t.Errorf("%s: %s documents no 4xx response", openAPIPath, op.key)
		}
		row, known := rows[op.key]
		if !known {
			continue // reported by TestOpenAPIMatchesRoutes
		}
		sec := mapValue(op.node, "security")
		emptySecurity := sec != nil && sec.Kind == yaml.SequenceNode && len(sec.Content) == 0
		switch {
		case !row.Protected() && !emptySecurity:
			t.Errorf("%s: %s is a public route of the table but its operation lacks `security: []`", openAPIPath, op.key)
		case row.Protected() && emptySecurity:
			t.Errorf("%s: %s is behind the token authorizer in the table but its operation says `security: []`", openAPIPath, op.key)
		}
	}
}

// openAPIOperations lists the operations under paths.
func openAPIOperations(t *testing.T) []operation {
	t.Helper()
	root := load(t, openAPIPath)
	if v := scalar(mapValue(root, "openapi")); !strings.HasPrefix(v, "3.0.") {
		t.Errorf("%s: openapi is %q, want 3.0.x", openAPIPath, v)
	}
	paths := mapValue(root, "paths")
	if paths == nil || paths.Kind != yaml.MappingNode {
		t.Fatalf("%s: no paths mapping", openAPIPath)
	}
	var ops []operation
	for i := 0; i+1 < len(paths.Content); i += 2 {
		path, item := paths.Content[i].Value, paths.Content[i+1]
		if item.Kind != yaml.MappingNode {
			t.Fatalf("%s: path %s is not a mapping", openAPIPath, path)
		}
		n := 0
		for j := 0; j+1 < len(item.Content); j += 2 {
			key := item.Content[j].Value
			if slices.Contains(httpMethods, key) {
				ops = append(ops, operation{key: strings.ToUpper(key) + " " + path, node: item.Content[j+1]})
				n++
			}
		}
		if n == 0 {
			t.Errorf("%s: path %s has no operation", openAPIPath, path)
		}
	}
	return ops
}

func has4xx(responses *yaml.Node) bool {
	if responses == nil || responses.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(responses.Content); i += 2 {
		if code := responses.Content[i].Value; len(code) == 3 && code[0] == '4' {
			return true
		}
	}
	return false
}

// load parses a YAML file into its document's top node.
func load(t *testing.T, path string) *yaml.Node {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		t.Fatalf("%s: not a single YAML document", path)
	}
	return doc.Content[0]
}

// mapValue returns the value of key in a mapping node, or nil (also for a nil or non-mapping node). A
// value that is a YAML alias (`*name`) is the node it names: the other spellings of a route share their
// bodies and answers with the first's that way.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			return v
		}
	}
	return nil
}

// scalar is the value of a scalar node, or "" for anything else (a missing node, a mapping, a !Ref...).
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || (n.Tag != "" && !strings.HasPrefix(n.Tag, "!!")) {
		return ""
	}
	return n.Value
}
