package docs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The template and the API document, relative to this package's directory (go test's working directory).
var (
	templatePath = filepath.Join("..", "template.yaml")
	openAPIPath  = "openapi.yaml"
)

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// templateRoute is one HttpApi event of an AWS::Serverless::Function.
type templateRoute struct {
	key    string // "METHOD /path"
	public bool   // Auth.Authorizer: NONE
	where  string // Resource.Events.Name, for messages
}

// operation is one OpenAPI operation.
type operation struct {
	key  string // "METHOD /path"
	node *yaml.Node
}

// TestOpenAPIMatchesTemplate fails when a route of template.yaml is missing from docs/openapi.yaml, or
// the document lists a route the template does not deploy.
func TestOpenAPIMatchesTemplate(t *testing.T) {
	tmpl := templateRoutes(t)
	ops := openAPIOperations(t)
	if len(tmpl) == 0 {
		t.Fatalf("%s: found no HttpApi events; has the template's layout changed?", templatePath)
	}

	inTemplate := map[string]string{}
	for _, r := range tmpl {
		if prev, dup := inTemplate[r.key]; dup {
			t.Errorf("%s: route %q is declared twice (%s and %s)", templatePath, r.key, prev, r.where)
		}
		inTemplate[r.key] = r.where
	}
	inDoc := map[string]bool{}
	for _, op := range ops {
		inDoc[op.key] = true
	}

	var onlyTemplate, onlyDoc []string
	for key, where := range inTemplate {
		if !inDoc[key] {
			onlyTemplate = append(onlyTemplate, fmt.Sprintf("%s (%s)", key, where))
		}
	}
	for key := range inDoc {
		if _, ok := inTemplate[key]; !ok {
			onlyDoc = append(onlyDoc, key)
		}
	}
	sort.Strings(onlyTemplate)
	sort.Strings(onlyDoc)
	if len(onlyTemplate) > 0 || len(onlyDoc) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "routes of %s and %s differ:\n", templatePath, openAPIPath)
		if len(onlyTemplate) > 0 {
			fmt.Fprintf(&b, "  in the template but not documented (add them to %s):\n", openAPIPath)
			for _, r := range onlyTemplate {
				fmt.Fprintf(&b, "    %s\n", r)
			}
		}
		if len(onlyDoc) > 0 {
			fmt.Fprintf(&b, "  documented but not in the template (remove them, or add the HttpApi event):\n")
			for _, r := range onlyDoc {
				fmt.Fprintf(&b, "    %s\n", r)
			}
		}
		t.Error(b.String())
	}
	t.Logf("%d routes in the template, %d operations in the document", len(inTemplate), len(inDoc))
}

// TestOpenAPIOperations checks each operation documents a client error, and that the document's
// security matches the template: public routes say `security: []`, protected ones do not.
func TestOpenAPIOperations(t *testing.T) {
	public := map[string]bool{}
	for _, r := range templateRoutes(t) {
		public[r.key] = r.public
	}
	for _, op := range openAPIOperations(t) {
		if !has4xx(mapValue(op.node, "responses")) {
			t.Errorf("%s: %s documents no 4xx response", openAPIPath, op.key)
		}
		isPublic, known := public[op.key]
		if !known {
			continue // reported by TestOpenAPIMatchesTemplate
		}
		sec := mapValue(op.node, "security")
		emptySecurity := sec != nil && sec.Kind == yaml.SequenceNode && len(sec.Content) == 0
		switch {
		case isPublic && !emptySecurity:
			t.Errorf("%s: %s is public in the template (Auth.Authorizer: NONE) but its operation lacks `security: []`", openAPIPath, op.key)
		case !isPublic && emptySecurity:
			t.Errorf("%s: %s is behind the token authorizer in the template but its operation says `security: []`", openAPIPath, op.key)
		}
	}
}

// templateRoutes reads every HttpApi event of every AWS::Serverless::Function. It uses yaml.v3's node
// API, which keeps CloudFormation's short tags (!Ref, !GetAtt, !Sub, !If) as plain tagged nodes.
func templateRoutes(t *testing.T) []templateRoute {
	t.Helper()
	root := load(t, templatePath)
	resources := mapValue(root, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		t.Fatalf("%s: no Resources mapping", templatePath)
	}
	var routes []templateRoute
	for i := 0; i+1 < len(resources.Content); i += 2 {
		name, res := resources.Content[i].Value, resources.Content[i+1]
		if scalar(mapValue(res, "Type")) != "AWS::Serverless::Function" {
			continue
		}
		events := mapValue(mapValue(res, "Properties"), "Events")
		if events == nil {
			continue
		}
		if events.Kind != yaml.MappingNode {
			t.Fatalf("%s: %s.Properties.Events is not a mapping", templatePath, name)
		}
		for j := 0; j+1 < len(events.Content); j += 2 {
			evName, ev := events.Content[j].Value, events.Content[j+1]
			if scalar(mapValue(ev, "Type")) != "HttpApi" {
				continue
			}
			where := name + ".Events." + evName
			props := mapValue(ev, "Properties")
			method, path := scalar(mapValue(props, "Method")), scalar(mapValue(props, "Path"))
			if method == "" || path == "" {
				t.Fatalf("%s: %s has no literal Method and Path (a catch-all HttpApi event cannot be documented route by route)", templatePath, where)
			}
			routes = append(routes, templateRoute{
				key:    strings.ToUpper(method) + " " + path,
				public: strings.EqualFold(scalar(mapValue(mapValue(props, "Auth"), "Authorizer")), "NONE"),
				where:  where,
			})
		}
	}
	return routes
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

// mapValue returns the value of key in a mapping node, or nil (also for a nil or non-mapping node).
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
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
