package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// table is one Markdown table of a document, with the heading it stands under.
type table struct {
	file    string
	line    int    // of the header row, from 1
	heading string // the nearest heading above it
	header  []string
	rows    []row
}

// row is one body row: its cells by column name (lower case), and where it is.
type row struct {
	line  int
	cells map[string]string
}

var (
	tableSeparator = regexp.MustCompile(`^\|(\s*:?-+:?\s*\|)+\s*$`)
	inlineCode     = regexp.MustCompile("`([^`]+)`")
)

// readDoc reads a Markdown file of the repository, by its path from the root.
func readDoc(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tables finds the tables of a Markdown text outside fenced code: a header row, a separator row, and
// the rows after them up to the first line that does not start with "|".
func tables(file, text string) []table {
	lines, prose := proseLines(text)
	var out []table
	heading := ""
	for i := 0; i < len(lines); i++ {
		if !prose[i] {
			continue
		}
		if m := atxHeading.FindStringSubmatch(lines[i]); m != nil {
			heading = strings.TrimSpace(m[2])
			continue
		}
		if !strings.HasPrefix(lines[i], "|") || i+1 >= len(lines) || !tableSeparator.MatchString(lines[i+1]) {
			continue
		}
		tb := table{file: file, line: i + 1, heading: heading}
		for _, c := range cells(lines[i]) {
			tb.header = append(tb.header, strings.ToLower(c))
		}
		i += 2
		for ; i < len(lines) && prose[i] && strings.HasPrefix(lines[i], "|"); i++ {
			r := row{line: i + 1, cells: map[string]string{}}
			for j, c := range cells(lines[i]) {
				if j < len(tb.header) {
					r.cells[tb.header[j]] = c
				}
			}
			tb.rows = append(tb.rows, r)
		}
		out = append(out, tb)
	}
	return out
}

// cells splits a table row on its unescaped pipes, trimming each cell.
func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	var out []string
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			b.WriteByte('|')
			i++
		case line[i] == '|':
			out = append(out, strings.TrimSpace(b.String()))
			b.Reset()
		default:
			b.WriteByte(line[i])
		}
	}
	return append(out, strings.TrimSpace(b.String()))
}

// codeSpans are the inline code spans of s, without their backticks.
func codeSpans(s string) []string {
	var out []string
	for _, m := range inlineCode.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// tableUnder is the one table of a document under the heading; the test fails without exactly one.
func tableUnder(t *testing.T, file, heading string) table {
	t.Helper()
	var found []table
	for _, tb := range tables(file, readDoc(t, file)) {
		if tb.heading == heading {
			found = append(found, tb)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d tables under the heading %q, want 1", file, len(found), heading)
	}
	return found[0]
}

// column is a row's cell of the named column; the test fails when the table has no such column.
func (tb table) column(t *testing.T, r row, name string) string {
	t.Helper()
	c, ok := r.cells[name]
	if !ok {
		t.Fatalf("%s:%d: the table under %q has no column %q (columns %v)", tb.file, tb.line, tb.heading, name, tb.header)
	}
	return c
}

func TestTables(t *testing.T) {
	doc := "# A\n\n| a | b |\n|---|:-:|\n| `x` | y \\| z |\n| 2 |\n\ntext\n\n```\n| c | d |\n|---|---|\n```\n\n## B\n\n| c |\n|---|\n| 3 |\n"
	got := tables("doc.md", doc)
	if len(got) != 2 {
		t.Fatalf("%d tables, want 2 (the fenced one is code): %+v", len(got), got)
	}
	a, b := got[0], got[1]
	if a.heading != "A" || a.line != 3 || len(a.rows) != 2 || a.rows[0].cells["a"] != "`x`" || a.rows[0].cells["b"] != "y | z" || a.rows[1].cells["a"] != "2" {
		t.Errorf("first table = %+v", a)
	}
	if _, ok := a.rows[1].cells["b"]; ok {
		t.Errorf("a short row has a cell for the missing column: %+v", a.rows[1])
	}
	if b.heading != "B" || len(b.rows) != 1 || b.rows[0].cells["c"] != "3" || b.rows[0].line != 19 {
		t.Errorf("second table = %+v", b)
	}
	if spans := codeSpans("`a` and `b c`"); len(spans) != 2 || spans[1] != "b c" {
		t.Errorf("codeSpans = %q", spans)
	}
}
