package httpapi_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestApplicationPropertiesWritten: cultureInfo, phoneCountryCode, multiFactorAuthenticators and
// smsCountries are taken on POST, PATCH and PUT in their stored form, shown in every answer and a
// read afterwards, and a PUT that leaves them out resets them to their defaults.
func TestApplicationPropertiesWritten(t *testing.T) {
	e := newAPIEnv(t)
	created := callAnswer(t, e.appsRouter(), appsEvent(http.MethodPost, "/odata/Applications",
		`{"name": "Props", "url": "props.example.com", "cultureInfo": "nl_nl", "phoneCountryCode": "+31",
		  "multiFactorAuthenticators": ["sms", "Email"], "smsCountries": ["nl", "BE"]}`, appsVerdict(true)))
	if created.Status != http.StatusCreated {
		t.Fatalf("POST: %d %s", created.Status, created.Raw)
	}
	id, _ := created.Body["appId"].(string)
	want := map[string]any{"cultureInfo": "nl-NL", "phoneCountryCode": "+31",
		"multiFactorAuthenticators": []any{"SMS", "Email"}, "smsCountries": []any{"NL", "BE"}}
	wantProps(t, "POST answer", created, want)
	wantProps(t, "read after POST", e.getApp(t, id), want)

	patched := callAnswer(t, e.appsRouter(), withHeader(appsEvent(http.MethodPatch, "/odata/Applications/"+id,
		`{"smsCountries": [], "multiFactorAuthenticators": ["OTP"]}`, appsVerdict(true)), "prefer", "return=representation"))
	if patched.Status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", patched.Status, patched.Raw)
	}
	want["smsCountries"], want["multiFactorAuthenticators"] = []any{}, []any{"OTP"}
	wantProps(t, "PATCH answer", patched, want)

	put := callAnswer(t, e.appsRouter(), appsEvent(http.MethodPut, "/odata/Applications/"+id,
		`{"name": "Props", "url": "props.example.com"}`, appsVerdict(true)))
	if put.Status != http.StatusNoContent {
		t.Fatalf("PUT: %d %s", put.Status, put.Raw)
	}
	wantProps(t, "read after PUT", e.getApp(t, id), map[string]any{"cultureInfo": "", "phoneCountryCode": "",
		"multiFactorAuthenticators": []any{"OTP", "SMS", "Email"}, "smsCountries": []any{}})
}

func wantProps(t *testing.T, what string, a answer, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if !reflect.DeepEqual(a.Body[k], v) {
			t.Errorf("%s: %s = %#v, want %#v", what, k, a.Body[k], v)
		}
	}
}

// TestApplicationPropertiesRefused: a bad value of each property is 400 invalid_request naming the
// property, on POST, PATCH and PUT alike, and nothing is written.
func TestApplicationPropertiesRefused(t *testing.T) {
	cases := []struct {
		name, props, names string
	}{
		{"bad tag", `"cultureInfo": "not a tag"`, "cultureInfo"},
		{"unknown language", `"cultureInfo": "zz"`, "cultureInfo"},
		{"tag not a string", `"cultureInfo": 31`, "cultureInfo"},
		{"tag null", `"cultureInfo": null`, "cultureInfo"},
		{"phone country code too long", `"phoneCountryCode": "+1234567890123456789"`, "phoneCountryCode"},
		{"phone country code a number", `"phoneCountryCode": 31`, "phoneCountryCode"},
		{"phone country code null", `"phoneCountryCode": null`, "phoneCountryCode"},
		{"unknown authenticator", `"multiFactorAuthenticators": ["SMS", "Voice"]`, "multiFactorAuthenticators"},
		{"authenticator twice", `"multiFactorAuthenticators": ["SMS", "sms"]`, "multiFactorAuthenticators"},
		{"no authenticators", `"multiFactorAuthenticators": []`, "multiFactorAuthenticators"},
		{"authenticators a string", `"multiFactorAuthenticators": "SMS"`, "multiFactorAuthenticators"},
		{"authenticator a number", `"multiFactorAuthenticators": [1]`, "multiFactorAuthenticators"},
		{"authenticators null", `"multiFactorAuthenticators": null`, "multiFactorAuthenticators"},
		{"bad country", `"smsCountries": ["XX"]`, "smsCountries"},
		{"three-letter country", `"smsCountries": ["NLD"]`, "smsCountries"},
		{"country twice", `"smsCountries": ["NL", "nl"]`, "smsCountries"},
		{"countries a string", `"smsCountries": "NL"`, "smsCountries"},
		{"countries null", `"smsCountries": null`, "smsCountries"},
	}
	one := "/odata/Applications/" + demoPlain
	for _, tc := range cases {
		for _, w := range []struct{ method, path, body string }{
			{http.MethodPost, "/odata/Applications", `{"name": "New", "url": "new.example.com", ` + tc.props + `}`},
			{http.MethodPatch, one, `{` + tc.props + `}`},
			{http.MethodPut, one, `{"name": "Put", "url": "put.example.com", ` + tc.props + `}`},
		} {
			t.Run(tc.name+"/"+w.method, func(t *testing.T) {
				e := newAPIEnv(t)
				before := e.getApp(t, demoPlain)
				a := odataAnswer(t, callAnswer(t, e.appsRouter(), appsEvent(w.method, w.path, w.body, appsVerdict(true))))
				msg, _ := a.Body["message"].(string)
				if a.Status != http.StatusBadRequest || a.Body["code"] != "invalid_request" || !strings.Contains(msg, tc.names) {
					t.Fatalf("%d %v, want 400 invalid_request naming %s", a.Status, a.Body, tc.names)
				}
				if after := e.getApp(t, demoPlain); !reflect.DeepEqual(after.Body, before.Body) {
					t.Errorf("refused write changed the application: %s", after.Raw)
				}
			})
		}
	}
}
