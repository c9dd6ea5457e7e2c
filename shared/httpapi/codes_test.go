package httpapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mfagateway/shared/httpapi"
)

// codeShape is the shape of an error code: snake_case.
var codeShape = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// codeInBody is an error code written into a JSON body by hand.
var codeInBody = regexp.MustCompile(`"code"\s*:\s*"`)

// TestErrorCodesAreConstants parses every non-test Go file of the module: an error code is written
// only as one of the constants of codes.go (an httpapi.Error's Code, a "code" in a body or a log
// line, a comparison with a Code), every constant is written somewhere, and Codes lists them all.
func TestErrorCodesAreConstants(t *testing.T) {
	root := moduleRoot(t)
	codesFile := filepath.Join(root, "shared", "httpapi", "codes.go")
	declared := declaredCodes(t, codesFile)

	values := make([]string, 0, len(declared))
	for name, v := range declared {
		if !codeShape.MatchString(v) {
			t.Errorf("%s = %q is not snake_case", name, v)
		}
		values = append(values, v)
	}
	listed := httpapi.Codes()
	slices.Sort(values)
	slices.Sort(listed)
	if !slices.Equal(values, slices.Compact(slices.Clone(values))) {
		t.Errorf("two constants share a code: %v", values)
	}
	if !slices.Equal(listed, values) {
		t.Errorf("Codes() = %v, want exactly the declared codes %v", listed, values)
	}

	used := map[string]int{}
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor" || n == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		c := codeCheck{t: t, fset: fset, declared: declared, inPackage: f.Name.Name == "httpapi"}
		c.file(f)
		if path != codesFile {
			for name, n := range c.refs {
				used[name] += n
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("only %d Go files under %s: the walk missed the module", files, root)
	}
	for name, v := range declared {
		if used[name] == 0 {
			t.Errorf("%s (%q) is declared but nothing writes it", name, v)
		}
	}
}

// codeCheck finds the places one file writes an error code.
type codeCheck struct {
	t         *testing.T
	fset      *token.FileSet
	declared  map[string]string
	inPackage bool // the file is in package httpapi, where the constants need no qualifier
	refs      map[string]int
}

func (c *codeCheck) file(f *ast.File) {
	c.refs = map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			if _, ok := c.declared[n.Name]; ok && c.inPackage {
				c.refs[n.Name]++
			}
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && x.Name == "httpapi" {
				if _, ok := c.declared[n.Sel.Name]; ok {
					c.refs[n.Sel.Name]++
				}
			}
		case *ast.CompositeLit:
			if c.isErrorType(n.Type) {
				for _, elt := range n.Elts {
					kv, ok := elt.(*ast.KeyValueExpr)
					if !ok {
						c.fail(elt, "an Error literal without field names")
						continue
					}
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" && !c.isConstant(kv.Value) {
						c.fail(kv.Value, "Error.Code is not one of the constants of codes.go")
					}
				}
			}
		case *ast.KeyValueExpr: // map[string]any{"code": "x"}
			if isString(n.Key, "code") && isStringLit(n.Value) {
				c.fail(n.Value, `a "code" written as a string literal`)
			}
		case *ast.CallExpr: // log.Info(..., "code", "x")
			for i := 0; i+1 < len(n.Args); i++ {
				if isString(n.Args[i], "code") && isStringLit(n.Args[i+1]) {
					c.fail(n.Args[i+1], `a "code" written as a string literal`)
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if i < len(n.Rhs) && isCodeField(lhs) && isStringLit(n.Rhs[i]) {
					c.fail(n.Rhs[i], "a Code set to a string literal")
				}
			}
		case *ast.BinaryExpr:
			if (n.Op == token.EQL || n.Op == token.NEQ) &&
				(isCodeField(n.X) && isStringLit(n.Y) || isCodeField(n.Y) && isStringLit(n.X)) {
				c.fail(n, "a Code compared with a string literal")
			}
		case *ast.BasicLit:
			if s, ok := stringValue(n); ok && codeInBody.MatchString(s) {
				c.fail(n, "an error body written as a string literal")
			}
		}
		return true
	})
}

func (c *codeCheck) isErrorType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return c.inPackage && e.Name == "Error"
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "httpapi" && e.Sel.Name == "Error"
	}
	return false
}

func (c *codeCheck) isConstant(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		_, ok := c.declared[e.Name]
		return ok && c.inPackage
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		_, declared := c.declared[e.Sel.Name]
		return ok && x.Name == "httpapi" && declared
	}
	return false
}

func (c *codeCheck) fail(n ast.Node, what string) {
	c.t.Helper()
	c.t.Errorf("%s: %s", c.fset.Position(n.Pos()), what)
}

// isCodeField: x.Code.
func isCodeField(e ast.Expr) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && s.Sel.Name == "Code"
}

// isStringLit: a non-empty string literal ("" stands for "no code", not for a code).
func isStringLit(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok {
		return false
	}
	s, ok := stringValue(lit)
	return ok && s != ""
}

func isString(e ast.Expr, want string) bool {
	lit, ok := e.(*ast.BasicLit)
	if !ok {
		return false
	}
	s, ok := stringValue(lit)
	return ok && s == want
}

func stringValue(lit *ast.BasicLit) (string, bool) {
	if lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// declaredCodes reads the constants of codes.go: name → code.
func declaredCodes(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				s, isStr := "", false
				if ok {
					s, isStr = stringValue(lit)
				}
				if !isStr {
					t.Fatalf("%s: %s is not a string literal", path, name.Name)
				}
				codes[name.Name] = s
			}
		}
	}
	if len(codes) == 0 {
		t.Fatalf("no constants in %s", path)
	}
	return codes
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}
