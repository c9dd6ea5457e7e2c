package docs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

// apiDoc is the API document the tests below hold to the code.
const apiDoc = "docs/api.md"

// TestAPIDocRoutes holds the routes table of docs/api.md to httpapi's route table: every spelling of
// every row, and nothing else, with the row's function and whether it is public.
func TestAPIDocRoutes(t *testing.T) {
	want := map[string]httpapi.Route{}
	for _, r := range httpapi.Routes() {
		for _, key := range r.Keys() {
			want[key] = r
		}
	}
	tb := tableUnder(t, apiDoc, "Routes")
	documented := map[string]int{} // route key -> line
	for _, r := range tb.rows {
		method := tb.column(t, r, "method")
		paths := codeSpans(tb.column(t, r, "path"))
		if len(paths) == 0 {
			t.Errorf("%s:%d: no path in `backticks`", apiDoc, r.line)
		}
		for _, p := range paths {
			key := method + " " + p
			if line, dup := documented[key]; dup {
				t.Errorf("%s:%d: %s is documented already on line %d", apiDoc, r.line, key, line)
			}
			documented[key] = r.line
			route, ok := want[key]
			if !ok {
				t.Errorf("%s:%d: %s is not a route of httpapi's route table", apiDoc, r.line, key)
				continue
			}
			if fn := tb.column(t, r, "function"); fn != route.Function {
				t.Errorf("%s:%d: %s is served by %s, not %s", apiDoc, r.line, key, route.Function, fn)
			}
			if auth := tb.column(t, r, "auth"); (auth == "public") == route.Protected() {
				actual := "public"
				if route.Protected() {
					actual = "behind the token authorizer"
				}
				t.Errorf("%s:%d: %s: auth %q, but the route is %s", apiDoc, r.line, key, auth, actual)
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(want)) {
		if _, ok := documented[key]; !ok {
			t.Errorf("%s: the routes table lacks %s (%s)", apiDoc, key, want[key].Function)
		}
	}
}

// TestAPIDocErrorCodes holds the error codes table of docs/api.md to the code: exactly the codes of
// httpapi.Codes, each with the status the module answers it with.
func TestAPIDocErrorCodes(t *testing.T) {
	statuses := codeStatuses(t)
	tb := tableUnder(t, apiDoc, "Error codes")
	documented := map[string]bool{}
	for _, r := range tb.rows {
		code := strings.Trim(tb.column(t, r, "code"), "`")
		if documented[code] {
			t.Errorf("%s:%d: %s is documented twice", apiDoc, r.line, code)
		}
		documented[code] = true
		want, ok := statuses[code]
		if !ok {
			t.Errorf("%s:%d: %s is not an error code of httpapi.Codes", apiDoc, r.line, code)
			continue
		}
		if got := tb.column(t, r, "status"); got != strconv.Itoa(want) {
			t.Errorf("%s:%d: %s with status %s, but the code answers it with %d", apiDoc, r.line, code, got, want)
		}
	}
	for _, code := range httpapi.Codes() {
		if !documented[code] {
			t.Errorf("%s: the error codes table lacks %s (%d)", apiDoc, code, statuses[code])
		}
	}
}

// codeLike is what an error code looks like in `backticks`; with an underscore it can be nothing else
// in these documents (JSON properties are camelCase, variables upper case).
var codeLike = regexp.MustCompile(`^[a-z]+(_[a-z]+)+$`)

// TestAPIDocAnswers holds every error code the documents name with a status to the code: in a table
// of answers (a status column, and a body column), each code in the body of a row with an error status
// must be a code of httpapi.Codes answered with one of the row's statuses; in prose, "401 `invalid_token`"
// must be a code answered with 401. A code's second status (alsoAnswered) counts only where the text
// speaks of the route that answers it: under its heading, or in a row or line that names it.
func TestAPIDocAnswers(t *testing.T) {
	statuses := codeStatuses(t)
	known := func(where, context, code string, allowed []int) {
		t.Helper()
		status, ok := statuses[code]
		second, hasSecond := alsoAnswered[code]
		switch {
		case !ok:
			t.Errorf("%s: %s is not an error code of httpapi.Codes", where, code)
		case slices.Contains(allowed, status):
		case hasSecond && slices.Contains(allowed, second) && strings.Contains(context, alsoAnsweredAt):
		default:
			t.Errorf("%s: %s with status %v, but the code answers it with %d", where, code, allowed, status)
		}
	}
	files := []string{apiDoc, "README.md", "events/README.md", "docs/security.md"}
	checked := 0
	for _, file := range files {
		text := readDoc(t, file)
		for _, tb := range tables(file, text) {
			if !slices.Contains(tb.header, "status") || !slices.Contains(tb.header, "body") {
				continue
			}
			for _, r := range tb.rows {
				context := tb.heading + " " + strings.Join(slices.Collect(maps.Values(r.cells)), " ")
				var rowStatuses []int
				for _, f := range statusNumber.FindAllString(r.cells["status"], -1) {
					n, _ := strconv.Atoi(f)
					rowStatuses = append(rowStatuses, n)
				}
				if len(rowStatuses) == 0 || slices.Min(rowStatuses) < 400 {
					continue
				}
				for _, span := range codeSpans(r.cells["body"]) {
					if _, isCode := statuses[span]; isCode || codeLike.MatchString(span) {
						checked++
						known(file+":"+strconv.Itoa(r.line), context, span, rowStatuses)
					}
				}
			}
		}
		lines, prose := proseLines(text)
		heading := ""
		for i, l := range lines {
			if !prose[i] {
				continue
			}
			if m := atxHeading.FindStringSubmatch(l); m != nil {
				heading = strings.TrimSpace(m[2])
			}
			for _, m := range statusThenCode.FindAllStringSubmatch(l, -1) {
				if _, isCode := statuses[m[2]]; isCode || codeLike.MatchString(m[2]) {
					n, _ := strconv.Atoi(m[1])
					checked++
					known(file+":"+strconv.Itoa(i+1), heading+" "+l, m[2], []int{n})
				}
			}
		}
	}
	if checked < len(statuses) {
		t.Fatalf("only %d codes with a status found in %v; is the reader broken?", checked, files)
	}
}

// statusNumber is one status of a table's status cell ("503 / 500").
var statusNumber = regexp.MustCompile(`\b[1-5][0-9]{2}\b`)

// statusThenCode is a status followed by a code in prose: "answers 401 `invalid_token`".
var statusThenCode = regexp.MustCompile("\\b([1-5][0-9]{2}) `([a-z_]+)`")

// codeStatuses reads the module's sources (the Go files git tracks, tests aside) for the status each
// error code is answered with: every httpapi.Error literal that sets both. A code answered with two
// statuses fails the test, since the document gives one.
func codeStatuses(t *testing.T) map[string]int {
	t.Helper()
	statusByName := map[string]int{} // "StatusNotFound" -> 404
	for n := 100; n < 600; n++ {
		if text := http.StatusText(n); text != "" {
			statusByName["Status"+strings.NewReplacer(" ", "", "-", "", "'", "").Replace(text)] = n
		}
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range slices.Sorted(maps.Keys(trackedRepo(t).files)) {
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") || strings.Contains(p, "testdata/") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(repoRoot, filepath.FromSlash(p)), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	names := map[string]string{} // constant -> code
	for _, f := range files {
		if f.Name.Name == "httpapi" {
			for name, v := range stringConstants(f) {
				if strings.HasPrefix(name, "Code") {
					names[name] = v
				}
			}
		}
	}
	if got, want := slices.Sorted(maps.Values(names)), slices.Sorted(slices.Values(httpapi.Codes())); !slices.Equal(got, want) {
		t.Fatalf("package httpapi declares the codes %v, httpapi.Codes lists %v", got, want)
	}
	out := map[string]int{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || !isErrorType(lit.Type, f.Name.Name) {
				return true
			}
			code, status := "", -1
			for _, elt := range lit.Elts {
				kv, ok := elt.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				switch key, _ := kv.Key.(*ast.Ident); {
				case key == nil:
				case key.Name == "Code":
					code = names[lastName(kv.Value)]
				case key.Name == "Status":
					if s, ok := statusByName[lastName(kv.Value)]; ok {
						status = s
					} else if b, ok := kv.Value.(*ast.BasicLit); ok {
						status, _ = strconv.Atoi(b.Value)
					}
				}
			}
			if code == "" {
				return true
			}
			where := fset.Position(lit.Pos()).String()
			switch prev, seen := out[code]; {
			case status < 0:
				t.Errorf("%s: %s with a status this test cannot read", where, code)
			case alsoAnswered[code] == status:
				// The one code the contract answers with a second status; the tables give its own.
			case seen && prev != status:
				t.Errorf("%s: %s answered with %d here and %d elsewhere", where, code, status, prev)
			default:
				out[code] = status
			}
			return true
		})
	}
	for _, code := range httpapi.Codes() {
		if _, ok := out[code]; !ok {
			t.Errorf("no httpapi.Error literal answers %s", code)
		}
	}
	return out
}

// alsoAnswered are the codes answered with a second status besides their own: a wrong old password
// on updatePassword is invalid_credentials with 403, since the caller is signed in and its token is
// good (docs/api.md says so at the route).
var alsoAnswered = map[string]int{httpapi.CodeInvalidCredentials: 403}

// alsoAnsweredAt names the route that answers a second status, in its heading and where the text speaks of it.
const alsoAnsweredAt = "updatePassword"

// isErrorType: httpapi.Error, or Error inside package httpapi.
func isErrorType(e ast.Expr, pkg string) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return pkg == "httpapi" && e.Name == "Error"
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "httpapi" && e.Sel.Name == "Error"
	}
	return false
}

// lastName is the name an identifier or a selector ends in: CodeNotFound for httpapi.CodeNotFound.
func lastName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

// stringConstants are a file's constants that are string literals: name -> value.
func stringConstants(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						out[name.Name] = v
					}
				}
			}
		}
	}
	return out
}

// TestOpenAPIErrorCodes holds the Error schema of docs/openapi.yaml to the same codes: its enum is
// httpapi.Codes, and its description gives each code with its status.
func TestOpenAPIErrorCodes(t *testing.T) {
	statuses := codeStatuses(t)
	schema := mapValue(mapValue(mapValue(mapValue(mapValue(load(t, openAPIPath),
		"components"), "schemas"), "Error"), "properties"), "code")
	code := mapValue(schema, "enum")
	if code == nil {
		t.Fatalf("%s: no components.schemas.Error.properties.code.enum", openAPIPath)
	}
	var enum []string
	for _, n := range code.Content {
		enum = append(enum, scalar(n))
	}
	if got, want := slices.Sorted(slices.Values(enum)), slices.Sorted(slices.Values(httpapi.Codes())); !slices.Equal(got, want) {
		t.Errorf("%s: Error code enum = %v, want httpapi.Codes %v", openAPIPath, got, want)
	}
	desc := scalar(mapValue(schema, "description"))
	// "400 `a`, `b`; 401 `c`": each code belongs to the status before it.
	status := 0
	found := 0
	for _, part := range statusOrCode.FindAllString(desc, -1) {
		if n, err := strconv.Atoi(part); err == nil {
			status = n
			continue
		}
		c := strings.Trim(part, "`")
		found++
		if want, ok := statuses[c]; !ok || want != status {
			t.Errorf("%s: the Error code description gives %s with %d, want %d", openAPIPath, c, status, want)
		}
	}
	if found != len(statuses) {
		t.Errorf("%s: the Error code description names %d codes, want all %d", openAPIPath, found, len(statuses))
	}
}

var statusOrCode = regexp.MustCompile("[1-5][0-9]{2}|`[a-z_]+`")
