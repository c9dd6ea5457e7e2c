package docs_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/config"
)

// settingsDoc and settingsHeading are where the API document lists the security settings.
const (
	settingsDoc     = "docs/api.md"
	settingsHeading = "Security settings"
)

// TestSettingsDocumented holds docs/api.md's table of security settings to config.Settings, the table
// config.Load reads: the same variables in the same order, each with its meaning, its default written as
// the variable takes it, and its template parameter.
func TestSettingsDocumented(t *testing.T) {
	tb := tableUnder(t, settingsDoc, settingsHeading)
	want := config.Settings()
	var got []string
	for _, r := range tb.rows {
		got = append(got, strings.Trim(tb.column(t, r, "variable"), "`"))
	}
	var names []string
	for _, s := range want {
		names = append(names, s.Env)
	}
	if !slices.Equal(got, names) {
		t.Fatalf("%s, %q: variables %v, want config.Settings' %v", settingsDoc, settingsHeading, got, names)
	}
	for i, s := range want {
		r := tb.rows[i]
		check := func(column, want string) {
			t.Helper()
			if got := tb.column(t, r, column); got != want {
				t.Errorf("%s:%d: %s %s = %q, want %q", settingsDoc, r.line, s.Env, column, got, want)
			}
		}
		check("setting", s.Meaning)
		check("default", "`"+s.Default()+"`")
		check("template parameter", parameterCell(s))
	}
}

// parameterCell is how a settings table names a setting's template parameter.
func parameterCell(s config.Setting) string {
	if s.Parameter == "" {
		return "none"
	}
	return "`" + s.Parameter + "`"
}

// TestSettingsElsewhere holds every other mention of a security setting's default to config.Settings:
// a table of README.md or docs/ that lists the settings lists every one of them, with its meaning and
// template parameter; any table row naming a setting's variable in a cell of its own starts its default
// cell with the default; and prose that gives a default in parentheses after the variable
// ("`RESEND_COOLDOWN` (30 s)") gives the right one.
func TestSettingsElsewhere(t *testing.T) {
	settings := map[string]config.Setting{}
	for _, s := range config.Settings() {
		settings[s.Env] = s
	}
	files := []string{"README.md", "events/README.md"}
	docs, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no docs/*.md (%v)", err)
	}
	for _, d := range docs {
		files = append(files, "docs/"+filepath.Base(d))
	}
	checkedRows := 0
	for _, file := range files {
		text := readDoc(t, file)
		for _, tb := range tables(file, text) {
			isList := slices.Contains(tb.header, "variable")
			listed := map[string]bool{}
			for _, r := range tb.rows {
				s, ok := settingIn(r, settings)
				if !ok {
					continue
				}
				checkedRows++
				listed[s.Env] = true
				def, ok := r.cells["default"]
				if !ok {
					t.Errorf("%s:%d: %s in a table without a default column", file, r.line, s.Env)
				} else if !strings.HasPrefix(def, "`"+s.Default()+"`") {
					t.Errorf("%s:%d: %s default %q, want it to start with `%s`", file, r.line, s.Env, def, s.Default())
				}
				if isList {
					if got := r.cells["setting"]; got != s.Meaning {
						t.Errorf("%s:%d: %s setting %q, want %q", file, r.line, s.Env, got, s.Meaning)
					}
					if got := r.cells["template parameter"]; got != parameterCell(s) {
						t.Errorf("%s:%d: %s template parameter %q, want %q", file, r.line, s.Env, got, parameterCell(s))
					}
				}
			}
			for env := range settings {
				if isList && len(listed) > 0 && !listed[env] {
					t.Errorf("%s:%d: the settings table under %q lacks %s", file, tb.line, tb.heading, env)
				}
			}
		}
		for _, p := range proseDefaults(text) {
			s, ok := settings[p.env]
			if !ok {
				continue
			}
			if !sameValue(s, p.value) {
				t.Errorf("%s:%d: `%s` (%s), but its default is %s", file, p.line, p.env, p.value, s.Default())
			}
		}
	}
	if checkedRows < len(settings) {
		t.Fatalf("found %d table rows naming a security setting; is the table reader broken?", checkedRows)
	}
}

// settingIn is the security setting a row names in a cell of its own.
func settingIn(r row, settings map[string]config.Setting) (config.Setting, bool) {
	for _, c := range r.cells {
		if name, ok := strings.CutPrefix(c, "`"); ok {
			if s, ok := settings[strings.TrimSuffix(name, "`")]; ok && strings.HasSuffix(name, "`") {
				return s, true
			}
		}
	}
	return config.Setting{}, false
}

// proseDefault is a default given in prose: "`ENV` (value)" or "`ENV` per code (value)".
type proseDefault struct {
	line       int
	env, value string
}

var proseDefaultRE = regexp.MustCompile("`([A-Z][A-Z0-9_]+)`([^()`|\n]{0,40})\\((\\d+(?: ?(?:s|min|m|h))?)\\)")

func proseDefaults(text string) []proseDefault {
	lines, prose := proseLines(text)
	var out []proseDefault
	for i, l := range lines {
		if !prose[i] {
			continue
		}
		for _, m := range proseDefaultRE.FindAllStringSubmatch(l, -1) {
			out = append(out, proseDefault{line: i + 1, env: m[1], value: m[3]})
		}
	}
	return out
}

// sameValue reports whether a value written for people ("30 s", "5 min", "10 h", "5") is s's default.
func sameValue(s config.Setting, v string) bool {
	v = strings.ReplaceAll(strings.ReplaceAll(v, " ", ""), "min", "m")
	if s.Kind == config.Count {
		n, err := strconv.Atoi(v)
		return err == nil && strconv.Itoa(n) == s.Default()
	}
	d, err := time.ParseDuration(v)
	def, _ := time.ParseDuration(s.Default())
	return err == nil && d == def
}

func TestProseDefaults(t *testing.T) {
	text := "within `RESEND_COOLDOWN` (30 s) of it; `MFA_MAX_ATTEMPTS` per code (5); `MFA_MAX_SENDS` (see below)\n" +
		"```\n`LOGIN_MAX_FAILURES` (7)\n```\n| `AUTH_TOKEN_TTL` | (10 h) |\n"
	got := proseDefaults(text)
	want := []proseDefault{{1, "RESEND_COOLDOWN", "30 s"}, {1, "MFA_MAX_ATTEMPTS", "5"}}
	if !slices.Equal(got, want) {
		t.Errorf("proseDefaults = %+v, want %+v", got, want)
	}
	s := config.Settings()
	for _, tt := range []struct {
		env, value string
		same       bool
	}{
		{"BINDING_CODE_TTL", "5 min", true}, {"BINDING_CODE_TTL", "5m", true}, {"BINDING_CODE_TTL", "300 s", true},
		{"BINDING_CODE_TTL", "6 min", false}, {"MFA_MAX_ATTEMPTS", "5", true}, {"MFA_MAX_ATTEMPTS", "6", false},
	} {
		i := slices.IndexFunc(s, func(s config.Setting) bool { return s.Env == tt.env })
		if got := sameValue(s[i], tt.value); got != tt.same {
			t.Errorf("sameValue(%s, %q) = %v, want %v", tt.env, tt.value, got, tt.same)
		}
	}
}
