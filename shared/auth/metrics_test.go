package auth_test

import (
	"encoding/json"
	"strings"
	"testing"

	"mfagateway/shared/auth"
	"mfagateway/shared/metrics"
	"mfagateway/shared/testenv"
)

// metricLines is what a recorder wrote, read a step at a time.
type metricLines struct {
	testenv.LogBuffer
	read int // bytes taken so far
}

// take returns the lines written since the last take, each decoded.
func (b *metricLines) take(t *testing.T) []map[string]any {
	t.Helper()
	written := b.String()
	fresh := written[b.read:]
	b.read = len(written)
	var lines []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(fresh), "\n") {
		if raw == "" {
			continue
		}
		var l map[string]any
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("metric line %s: %v", raw, err)
		}
		if _, ok := l["_aws"].(map[string]any); !ok {
			t.Fatalf("metric line without an _aws directive: %s", raw)
		}
		lines = append(lines, l)
	}
	return lines
}

// metricOf is the name of the one metric a line counts, with its dimension values.
func metricOf(l map[string]any) (name string, dims map[string]any) {
	directive := l["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	name = directive["Metrics"].([]any)[0].(map[string]any)["Name"].(string)
	dims = map[string]any{}
	for _, set := range directive["Dimensions"].([]any) {
		for _, d := range set.([]any) {
			dims[d.(string)] = l[d.(string)]
		}
	}
	return name, dims
}

const codeLen = 6

// TestMetricsOneLinePerDecision follows a user through a login, a wrong code, a resend and a right
// code: each decision writes one metric line, with the outcome, the channel and the number's country,
// and none of them holds an address, a password, a code or a token.
func TestMetricsOneLinePerDecision(t *testing.T) {
	out := &metricLines{}
	f := newFixture(t, testenv.WithDeps(func(d *auth.Deps) { d.Metrics = metrics.New(out, d.Clock) }))
	type want struct {
		metric string
		dims   map[string]any
	}
	expect := func(t *testing.T, step string, wants ...want) {
		t.Helper()
		lines := out.take(t)
		if len(lines) != len(wants) {
			t.Fatalf("%s: %d metric lines, want %d: %v", step, len(lines), len(wants), lines)
		}
		for i, w := range wants {
			name, dims := metricOf(lines[i])
			if name != w.metric || len(dims) != len(w.dims) {
				t.Errorf("%s: line %d counts %s by %v, want %s by %v", step, i, name, dims, w.metric, w.dims)
				continue
			}
			for k, v := range w.dims {
				if dims[k] != v {
					t.Errorf("%s: line %d %s = %v, want %v", step, i, k, dims[k], v)
				}
			}
		}
	}
	var secrets []string

	if _, err := f.login(adaEmail, "not the password", appMFA); err == nil {
		t.Fatal("a wrong password logged in")
	}
	expect(t, "wrong password", want{metrics.Logins, map[string]any{"Outcome": "invalid_credentials"}})

	res, err := f.login(adaEmail, adaPassword, appMFA)
	if err != nil || res.MFA == nil {
		t.Fatalf("login = %+v, %v", res, err)
	}
	code := f.LastCode(t)
	secrets = append(secrets, res.MFA.Token, code)
	expect(t, "login",
		want{metrics.CodesSent, map[string]any{"Channel": "SMS", "Country": "NL"}},
		want{metrics.Logins, map[string]any{"Outcome": "code_sent"}})

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if _, err := f.svc.Verify(f.Ctx, res.MFA.Token, "", wrong); err == nil {
		t.Fatal("a wrong code verified")
	}
	expect(t, "wrong code", want{metrics.Verifies, map[string]any{"Outcome": "invalid_code", "Channel": "SMS", "Country": "NL"}})

	f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
	if _, err := f.svc.Resend(f.Ctx, res.MFA.Token); err != nil {
		t.Fatalf("resend: %v", err)
	}
	code = f.LastCode(t)
	secrets = append(secrets, code)
	expect(t, "resend", want{metrics.CodesSent, map[string]any{"Channel": "SMS", "Country": "NL"}})

	v, err := f.svc.Verify(f.Ctx, res.MFA.Token, "", code)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	secrets = append(secrets, v.Token)
	expect(t, "right code", want{metrics.Verifies, map[string]any{"Outcome": "token_issued", "Channel": "SMS", "Country": "NL"}})

	if _, err := f.svc.Verify(f.Ctx, "not a token", "", code); err == nil {
		t.Fatal("a malformed token verified")
	}
	expect(t, "malformed token", want{metrics.Verifies, map[string]any{"Outcome": "invalid_mfa_token", "Channel": "None"}})

	res, err = f.login(graceEmail, gracePass, appMFA)
	if err != nil || res.MFA == nil {
		t.Fatalf("login = %+v, %v", res, err)
	}
	secrets = append(secrets, res.MFA.Token, f.LastCode(t))
	expect(t, "email login",
		want{metrics.CodesSent, map[string]any{"Channel": "Email"}},
		want{metrics.Logins, map[string]any{"Outcome": "code_sent"}})

	if _, err := f.login(graceEmail, gracePass, appPlain); err != nil {
		t.Fatalf("login without MFA: %v", err)
	}
	expect(t, "login without MFA", want{metrics.Logins, map[string]any{"Outcome": "token_issued"}})

	// Everything written, again, for what must never be in it.
	f.Clock.Advance(auth.DefaultPolicy.ResendCooldown)
	all := &metricLines{}
	f.svc = auth.NewService(func() auth.Deps { d := f.Deps; d.Metrics = metrics.New(all, d.Clock); return d }())
	res, err = f.login(adaEmail, adaPassword, appMFA)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	code = f.LastCode(t)
	if _, err := f.svc.Verify(f.Ctx, res.MFA.Token, "", code); err != nil {
		t.Fatalf("verify: %v", err)
	}
	written := all.String()
	if written == "" {
		t.Fatal("nothing written")
	}
	for _, s := range append(secrets, res.MFA.Token, `"`+code+`"`, "example.com", adaMobile, adaMobile[3:], adaPassword, gracePass) {
		if len(s) == codeLen { // a code's six digits could be part of a timestamp, never a value of their own
			s = `"` + s + `"`
		}
		if strings.Contains(written, s) {
			t.Errorf("a metric line holds %q:\n%s", s, written)
		}
	}
}
