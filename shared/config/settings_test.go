package config_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/auth"
	"mfagateway/shared/config"
)

// TestSettingsTable checks the rows themselves: each names its variable, Parameter and meaning once,
// and its default, written as the variable would be, loads back as auth.DefaultPolicy.
func TestSettingsTable(t *testing.T) {
	seen := map[string]string{}
	vars := map[string]string{}
	for _, s := range config.Settings() {
		for _, name := range []string{s.Env, s.Parameter} {
			if name == "" {
				continue
			}
			if other, dup := seen[name]; dup {
				t.Errorf("%s: %q is also %s's", s.Env, name, other)
			}
			seen[name] = s.Env
		}
		if s.Kind != config.Duration && s.Kind != config.Count {
			t.Errorf("%s: kind %q", s.Env, s.Kind)
		}
		if s.Meaning == "" || strings.ContainsAny(s.Meaning, "\n|") {
			t.Errorf("%s: meaning %q, want one line that fits a Markdown table cell", s.Env, s.Meaning)
		}
		vars[s.Env] = s.Default()
	}
	c, err := config.Load(env(vars), config.Need{})
	if err != nil {
		t.Fatalf("Load with every default written out (%v): %v", vars, err)
	}
	if c.Policy != contractDefaults {
		t.Errorf("policy = %+v, want the contract's %+v", c.Policy, contractDefaults)
	}
}

// TestSettingsLandInPolicy sets each variable alone to a value other than its default: exactly one
// field of auth.Policy changes, Value reads it back, and no two settings share a field, so that
// together they cover the whole policy.
func TestSettingsLandInPolicy(t *testing.T) {
	fields := reflect.TypeFor[auth.Policy]().NumField()
	owner := map[string]string{} // Policy field -> variable
	for _, s := range config.Settings() {
		value := other(t, s)
		c, err := config.Load(env(map[string]string{s.Env: value}), config.Need{})
		if err != nil {
			t.Errorf("Load %s=%s: %v", s.Env, value, err)
			continue
		}
		changed := changedFields(contractDefaults, c.Policy)
		if len(changed) != 1 {
			t.Errorf("%s=%s changed the policy fields %v, want exactly one", s.Env, value, changed)
			continue
		}
		if prev, dup := owner[changed[0]]; dup {
			t.Errorf("%s lands in Policy.%s, as %s does", s.Env, changed[0], prev)
		}
		owner[changed[0]] = s.Env
		if got := s.Value(c.Policy); got != value {
			t.Errorf("%s: Value = %q, want the %q it was set to", s.Env, got, value)
		}
	}
	if len(owner) != fields {
		t.Errorf("the settings set %d of auth.Policy's %d fields: %v", len(owner), fields, owner)
	}
}

// other is a value of s that is not its default and contradicts no other default: a little longer or
// one more.
func other(t *testing.T, s config.Setting) string {
	t.Helper()
	switch s.Kind {
	case config.Duration:
		d, err := time.ParseDuration(s.Default())
		if err != nil {
			t.Fatalf("default %q: %v", s.Default(), err)
		}
		return strconv.Itoa(int((d+time.Second)/time.Second)) + "s"
	case config.Count:
		n, err := strconv.Atoi(s.Default())
		if err != nil {
			t.Fatalf("default %q: %v", s.Default(), err)
		}
		return strconv.Itoa(n + 1)
	}
	t.Fatalf("kind %q", s.Kind)
	return ""
}

// changedFields names the fields in which a and b differ.
func changedFields(a, b auth.Policy) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for i := range va.NumField() {
		if !va.Field(i).Equal(vb.Field(i)) {
			out = append(out, va.Type().Field(i).Name)
		}
	}
	return out
}

func TestSettingValueSpelling(t *testing.T) {
	var codeTTL config.Setting
	for _, s := range config.Settings() {
		if s.Env == "BINDING_CODE_TTL" {
			codeTTL = s
		}
	}
	tests := []struct {
		d    time.Duration
		want string
	}{
		{5 * time.Minute, "5m"},
		{10 * time.Hour, "10h"},
		{30 * time.Second, "30s"},
		{90 * time.Second, "90s"},
		{90 * time.Minute, "90m"},
		{48 * time.Hour, "48h"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		p := contractDefaults
		p.CodeTTL = tt.d
		if got := codeTTL.Value(p); got != tt.want {
			t.Errorf("Value(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
