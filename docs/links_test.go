package docs_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// The repository's Markdown must stand on its own in a clone: every link resolves to a tracked file of
// the repository (and, with a #fragment, to a heading of it), and nothing links outside. URLs inside
// fenced code blocks and inline code are commands to paste, not links, and are not checked. Indented
// code blocks are not recognised: the repository writes its code blocks fenced.

// repoRoot is the repository, relative to this package's directory (go test's working directory).
const repoRoot = ".."

// repo is the set of files links may point at, and a way to read them for their headings.
type repo struct {
	files map[string]bool // slash-separated paths relative to the root
	dirs  map[string]bool
	read  func(p string) (string, error)
	slugs map[string]map[string]bool // per Markdown file, its heading anchors
}

func newRepo(paths []string, read func(string) (string, error)) *repo {
	r := &repo{files: map[string]bool{}, dirs: map[string]bool{".": true}, read: read, slugs: map[string]map[string]bool{}}
	for _, p := range paths {
		r.files[p] = true
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			r.dirs[d] = true
		}
	}
	return r
}

// anchors returns the heading anchors of a Markdown file of the repository.
func (r *repo) anchors(p string) (map[string]bool, error) {
	if s, ok := r.slugs[p]; ok {
		return s, nil
	}
	text, err := r.read(p)
	if err != nil {
		return nil, err
	}
	s := headingAnchors(text)
	r.slugs[p] = s
	return s, nil
}

// trackedRepo is the repository as git tracks it: an untracked file that exists only here would be
// missing in a clone. Without git (an exported tree), every file below the root that is not hidden counts.
func trackedRepo(t *testing.T) *repo {
	t.Helper()
	read := func(p string) (string, error) {
		b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(p)))
		return string(b), err
	}
	out, err := exec.Command("git", "-C", repoRoot, "ls-files", "-z").Output()
	if err == nil {
		var paths []string
		for _, p := range strings.Split(string(out), "\x00") {
			if p != "" {
				paths = append(paths, p)
			}
		}
		return newRepo(paths, read)
	}
	t.Logf("git ls-files: %v; checking the files on disk instead", err)
	var paths []string
	err = filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot, p)
		if rel != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			paths = append(paths, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return newRepo(paths, read)
}

func TestMarkdownLinksStayInTheRepository(t *testing.T) {
	r := trackedRepo(t)
	var docs []string
	for p := range r.files {
		if strings.HasSuffix(strings.ToLower(p), ".md") {
			docs = append(docs, p)
		}
	}
	slices.Sort(docs)
	for _, want := range []string{"README.md", "docs/api.md"} {
		if !r.files[want] {
			t.Errorf("%s is not in the repository", want)
		}
	}
	links := 0
	for _, p := range docs {
		text, err := r.read(p)
		if err != nil {
			t.Fatal(err)
		}
		found, problems := checkLinks(r, p, text)
		links += found
		for _, pr := range problems {
			t.Error(pr)
		}
	}
	if links == 0 {
		t.Fatalf("found no links in %d Markdown files; is the link parser broken?", len(docs))
	}
	t.Logf("%d links in %d Markdown files", links, len(docs))
}

// TestLinkChecker runs the checker on small documents, so that a checker that finds nothing cannot pass.
func TestLinkChecker(t *testing.T) {
	files := map[string]string{
		"README.md":     "# Title\n\n## Try it: the MFA flow\n\n## Try it: the MFA flow\n\n## `me` and **logout**\n\n## POST /api/auth/login\n",
		"docs/api.md":   "# API\n\n## Errors\n\n### 5xx: transient vs permanent\n\nSetext heading\n--------------\n",
		"docs/x.go":     "package x\n",
		"events/a.json": "{}\n",
	}
	var paths []string
	for p := range files {
		paths = append(paths, p)
	}
	read := func(p string) (string, error) {
		if s, ok := files[p]; ok {
			return s, nil
		}
		return "", fs.ErrNotExist
	}
	tests := []struct {
		name string
		in   string // the text of docs/guide.md
		want []string
	}{
		{"relative file", "See [the API](api.md) and [events](../events/a.json).", nil},
		{"directory", "The [events](../events/) folder and [docs](.)", nil},
		{"anchor in another file", "[errors](api.md#errors), [5xx](api.md#5xx-transient-vs-permanent), [setext](api.md#setext-heading)", nil},
		{"github slugs", "[a](../README.md#try-it-the-mfa-flow) [b](../README.md#try-it-the-mfa-flow-1) [c](../README.md#me-and-logout) [d](../README.md#post-apiauthlogin)", nil},
		{"own heading", "# Guide\n\n## Step one\n\nGo to [step one](#step-one).", nil},
		{"image and title", `![diagram](x.go "the code") and [api](<api.md> 'API')`, nil},
		{"code line anchor", "[line](x.go#L1) [lines](x.go#L1-L2)", nil},
		{"reference definition", "[api][1]\n\n[1]: api.md#errors", nil},
		{"fenced code is not checked", "```sh\ncurl http://127.0.0.1:3000/api [x](missing.md)\n```\n\n~~~\nhttps://example.com\n~~~", nil},
		{"inline code is not checked", "Run `curl http://127.0.0.1:3000` or ``[x](missing.md)``.", nil},
		{"escaped brackets", `not a link: \[x\](missing.md)`, nil},

		{"broken file", "See [gone](gone.md).", []string{`"gone.md": no such file`}},
		{"untracked file", "See [tool](../bin/tool).", []string{`"../bin/tool": no such file`}},
		{"missing anchor", "See [x](api.md#nope).", []string{`"api.md#nope": no heading`}},
		{"missing own anchor", "# Guide\n\n[x](#guide-2)", []string{`"#guide-2": no heading`}},
		{"anchor on a non-Markdown file", "[x](../events/a.json#top)", []string{`cannot be checked`}},
		{"escapes the repository", "[contract](../../shared/api-contract.md)", []string{`outside the repository`}},
		{"absolute path", "[x](/docs/api.md)", []string{`absolute path`}},
		{"http link", "[site](https://example.com/x)", []string{`"https://example.com/x": points outside`}},
		{"mailto link", "[mail](mailto:a@example.com)", []string{`points outside`}},
		{"autolink", "<https://example.com>", []string{`points outside`}},
		{"bare URL", "Open http://example.com/page in a browser.", []string{`"http://example.com/page": a bare URL`}},
		{"html link", `<a href="https://example.com">x</a>`, []string{`points outside`}},
		{"empty target", "[x]()", []string{`empty link`}},
		{"link after a closed fence", "```\ncode\n```\n[x](gone.md)", []string{`no such file`}},
		{"unclosed inline code", "a ` b [x](gone.md)", []string{`no such file`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRepo(append(slices.Clone(paths), "docs/guide.md"), func(p string) (string, error) {
				if p == "docs/guide.md" {
					return tt.in, nil
				}
				return read(p)
			})
			_, got := checkLinks(r, "docs/guide.md", tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %q, want it to say %q", got[i], w)
				}
			}
		})
	}
}

func TestHeadingAnchors(t *testing.T) {
	text := "# MFA login gateway\n\n## Try it: the MFA flow with curl\n\n### Switch MFA for an application (admins)\n\n" +
		"## 5xx answers\n\n## `GET /api/auth/me`\n\n## [Linked](x.md) _emphasis_ and snake_case\n\n## Dup\n\n## Dup\n\n" +
		"```\n## not a heading\n```\n\n#not-a-heading either\n"
	got := headingAnchors(text)
	for _, want := range []string{"mfa-login-gateway", "try-it-the-mfa-flow-with-curl", "switch-mfa-for-an-application-admins",
		"5xx-answers", "get-apiauthme", "linked-emphasis-and-snake_case", "dup", "dup-1"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	for _, bad := range []string{"not-a-heading", "not-a-heading-either"} {
		if got[bad] {
			t.Errorf("anchor %q from a line that is no heading", bad)
		}
	}
}

var (
	fenceOpen    = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	atxHeading   = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextLine   = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	refDef       = regexp.MustCompile(`^ {0,3}\[([^\]]+)\]:[ \t]*(<[^>]*>|\S+)`)
	htmlLink     = regexp.MustCompile(`(?i)<(?:a|img)\b[^>]*?\s(?:href|src)\s*=\s*["']([^"']*)["']`)
	htmlAnchor   = regexp.MustCompile(`(?i)<a\b[^>]*?\s(?:name|id)\s*=\s*["']([^"']+)["']`)
	autolink     = regexp.MustCompile(`<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^<>\s]*)>`)
	bareURL      = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>()\[\]` + "`" + `]+`)
	scheme       = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	codeLineFrag = regexp.MustCompile(`^L\d+(-L\d+)?$`)
)

// proseLines returns the lines of a Markdown text with fenced code blocks blanked out (line numbers
// stay), and says for each line whether it is prose.
func proseLines(text string) ([]string, []bool) {
	lines := strings.Split(text, "\n")
	prose := make([]bool, len(lines))
	fence := ""
	for i, l := range lines {
		if fence != "" {
			// A closing fence is the same character, at least as long, and nothing else.
			if t := strings.TrimSpace(l); strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				fence = ""
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(l); m != nil {
			fence = m[1]
			continue
		}
		prose[i] = true
	}
	return lines, prose
}

// stripCode blanks out inline code spans (a run of backticks up to the next run of the same length);
// a run without a closer is literal text.
func stripCode(line string) string {
	runAt := func(i int) int { // length of the backtick run starting at i
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		return n
	}
	var b strings.Builder
	for i := 0; i < len(line); {
		switch {
		case line[i] == '\\' && i+1 < len(line):
			b.WriteString(line[i : i+2])
			i += 2
			continue
		case line[i] != '`':
			b.WriteByte(line[i])
			i++
			continue
		}
		n := runAt(i)
		end := -1
		for j := i + n; j < len(line); {
			if line[j] != '`' {
				j++
				continue
			}
			m := runAt(j)
			if m == n {
				end = j + m
				break
			}
			j += m
		}
		if end < 0 {
			b.WriteString(line[i : i+n])
			i += n
			continue
		}
		b.WriteString(strings.Repeat(" ", end-i))
		i = end
	}
	return b.String()
}

// headingAnchors returns the anchors GitHub gives a document's headings, and explicit HTML anchors.
func headingAnchors(text string) map[string]bool {
	lines, prose := proseLines(text)
	seen := map[string]int{}
	out := map[string]bool{}
	add := func(title string) {
		slug := slugify(title)
		n := seen[slug]
		seen[slug] = n + 1
		if n > 0 {
			slug += "-" + strconv.Itoa(n)
		}
		out[slug] = true
	}
	for i, l := range lines {
		if !prose[i] {
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(l, -1) {
			out[m[1]] = true
		}
		if m := atxHeading.FindStringSubmatch(l); m != nil {
			add(m[2])
			continue
		}
		if i > 0 && prose[i-1] && setextLine.MatchString(l) && strings.TrimSpace(lines[i-1]) != "" &&
			atxHeading.FindStringSubmatch(lines[i-1]) == nil && !strings.Contains(lines[i-1], "|") {
			add(strings.TrimSpace(lines[i-1]))
		}
	}
	return out
}

var (
	mdLinkText   = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTag      = regexp.MustCompile(`<[^>]+>`)
	emphasisOpen = regexp.MustCompile(`(^|[^\p{L}\p{N}])_+`)
	emphasisEnd  = regexp.MustCompile(`_+([^\p{L}\p{N}_]|$)`)
)

// slugify is GitHub's heading anchor: the heading's text, lower-cased, without punctuation, each space a hyphen.
func slugify(title string) string {
	s := mdLinkText.ReplaceAllString(title, "$1")
	s = htmlTag.ReplaceAllString(s, "")
	s = strings.NewReplacer("`", "", "*", "", `\`, "").Replace(s)
	s = emphasisOpen.ReplaceAllString(s, "$1")
	s = emphasisEnd.ReplaceAllString(s, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-', r == '_', unicode.IsLetter(r), unicode.IsNumber(r), unicode.Is(unicode.M, r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkLinks returns how many links the document at p has, and a sentence for every one that does not
// resolve inside the repository.
func checkLinks(r *repo, p, text string) (int, []string) {
	lines, prose := proseLines(text)
	var problems []string
	found := 0
	report := func(line int, target, why string) {
		problems = append(problems, fmt.Sprintf("%s:%d: %q: %s", p, line+1, target, why))
	}
	for i, raw := range lines {
		if !prose[i] {
			continue
		}
		l := stripCode(raw)
		// Escaped brackets and parentheses are literal text.
		l = strings.NewReplacer(`\[`, "  ", `\]`, "  ", `\(`, "  ", `\)`, "  ").Replace(l)
		var targets []string
		if m := refDef.FindStringSubmatch(l); m != nil {
			targets = append(targets, strings.Trim(m[2], "<>"))
			l = ""
		}
		inline, rest := inlineLinks(l)
		targets = append(targets, inline...)
		for _, m := range htmlLink.FindAllStringSubmatch(rest, -1) {
			targets = append(targets, m[1])
		}
		rest = htmlLink.ReplaceAllString(rest, "")
		for _, m := range autolink.FindAllStringSubmatch(rest, -1) {
			targets = append(targets, m[1])
		}
		rest = autolink.ReplaceAllString(rest, "")
		for _, u := range bareURL.FindAllString(rest, -1) {
			found++
			report(i, strings.TrimRight(u, ".,;:!?'\""), "a bare URL points outside the repository (GitHub links it); put a command in code, or link a file of the repository")
		}
		for _, target := range targets {
			found++
			if why := r.resolve(p, target); why != "" {
				report(i, target, why)
			}
		}
	}
	return found, problems
}

// inlineLinks finds the destinations of [text](destination "title") and ![alt](destination) in a line,
// and returns the line without them.
func inlineLinks(l string) ([]string, string) {
	var targets []string
	var rest bytes.Buffer
	for i := 0; i < len(l); i++ {
		if l[i] != ']' || i+1 >= len(l) || l[i+1] != '(' || !strings.Contains(l[:i], "[") {
			rest.WriteByte(l[i])
			continue
		}
		// The destination runs to the matching ')', allowing balanced parentheses inside.
		depth, j := 0, i+2
		for ; j < len(l); j++ {
			if l[j] == '(' {
				depth++
			} else if l[j] == ')' {
				if depth == 0 {
					break
				}
				depth--
			}
		}
		if j >= len(l) {
			rest.WriteByte(l[i])
			continue
		}
		dest := strings.TrimSpace(l[i+2 : j])
		if strings.HasPrefix(dest, "<") {
			if k := strings.IndexByte(dest, '>'); k > 0 {
				dest = dest[1:k]
			}
		} else if k := strings.IndexAny(dest, " \t"); k >= 0 {
			dest = dest[:k] // a title follows
		}
		targets = append(targets, dest)
		rest.WriteByte(']')
		i = j
	}
	return targets, rest.String()
}

// resolve says why a link target of the document at p does not resolve inside the repository, or "".
func (r *repo) resolve(p, target string) string {
	switch {
	case target == "":
		return "empty link"
	case strings.HasPrefix(target, "//"), scheme.MatchString(target):
		return "points outside the repository; link a file of the repository instead"
	case strings.HasPrefix(target, "/"):
		return "absolute path; use a path relative to this file"
	}
	file, frag, _ := strings.Cut(target, "#")
	file, _, _ = strings.Cut(file, "?")
	if unescaped, err := url.PathUnescape(file); err == nil {
		file = unescaped
	}
	dest := p
	if file != "" {
		dest = path.Join(path.Dir(p), file)
		if dest == ".." || strings.HasPrefix(dest, "../") {
			return "points outside the repository, which a clone does not have"
		}
		if !r.files[dest] && !r.dirs[dest] {
			return "no such file in the repository"
		}
	}
	if frag == "" {
		return ""
	}
	if !strings.HasSuffix(strings.ToLower(dest), ".md") {
		if r.files[dest] && codeLineFrag.MatchString(frag) {
			return ""
		}
		return "an anchor on a file that is not Markdown cannot be checked"
	}
	anchors, err := r.anchors(dest)
	if err != nil {
		return "cannot read " + dest + ": " + err.Error()
	}
	if unescaped, err := url.PathUnescape(frag); err == nil {
		frag = unescaped
	}
	if !anchors[strings.ToLower(frag)] {
		return "no heading with this anchor in " + dest
	}
	return ""
}
