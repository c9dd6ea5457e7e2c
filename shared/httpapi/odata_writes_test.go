package httpapi_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
)

// countedAppsRouter is the applications function's router over the env's table, counting its DynamoDB calls.
func (e *apiEnv) countedAppsRouter() (*httpapi.Router, *roundtrip.Counter) {
	counter := roundtrip.New()
	store := dynamo.New(dynamodb.New(e.Client.Options(), counter.Attach), testTable)
	return httpapi.Function(httpapi.ApplicationsFunction, httpapi.Handlers{
		Applications: httpapi.NewApplications(auth.NewApplications(store, e.Clock.Now, nil, e.Log), e.Log),
		Users:        httpapi.NewUsers(auth.NewUsers(auth.UsersDeps{Store: store, Clock: e.Clock.Now, Log: e.Log}), e.Log),
		Guard:        httpapi.NewGuard(nil, e.Log),
	}), counter
}

// withHeader is the event with one more header.
func withHeader(req httpapi.Request, name, value string) httpapi.Request {
	req.Headers[name] = value
	return req
}

// getApp reads an application through the function, as a client would.
func (e *apiEnv) getApp(t *testing.T, id string) answer {
	t.Helper()
	a := callAnswer(t, e.appsRouter(), appsEvent(http.MethodGet, "/odata/Applications/"+id, "", appsVerdict(true)))
	if a.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", id, a.Status, a.Raw)
	}
	return a
}

// wantEntity checks an application entity: its id is its appId, and it has exactly the entity's properties.
func wantEntity(t *testing.T, a answer, appID string) {
	t.Helper()
	wantKeys(t, a, "id", "appId", "name", "url", "uniqueIdentifier", "enableMultiFactorAuthentication",
		"cultureInfo", "phoneCountryCode", "multiFactorAuthenticators", "smsCountries", "allowedOrigins", "createDate", "updateDate")
	if a.Body["id"] != appID || a.Body["appId"] != appID {
		t.Errorf("id %v, appId %v; want both %s (%s)", a.Body["id"], a.Body["appId"], appID, a.Raw)
	}
}

// TestPreferReturnRepresentation: with Prefer: return=representation a PATCH or PUT answers 200 with
// the application as stored (and a POST its usual 201 with it), each with Preference-Applied; without
// it PATCH and PUT answer 204. The header's name is case-insensitive, and its value may hold several
// preferences.
func TestPreferReturnRepresentation(t *testing.T) {
	one := "/odata/Applications/" + demoPlain
	writes := []struct {
		name, method, path, body string
		plain                    int // the status without the preference
		represented              int // with it
	}{
		{"POST", http.MethodPost, "/odata/Applications", `{"name": "Created", "url": "created.example.com"}`, 201, 201},
		{"PATCH", http.MethodPatch, one, `{"name": "Patched"}`, 204, 200},
		{"PATCH alias", http.MethodPatch, "/odata/Applications/Patch/" + demoPlain, `{"enableMultiFactorAuthentication": true}`, 204, 200},
		{"PUT", http.MethodPut, one, `{"name": "Put", "url": "put.example.com"}`, 204, 200},
		{"PUT alias", http.MethodPut, "/odata/Applications/Put/" + demoPlain, `{"name": "Put alias"}`, 204, 200},
	}
	prefers := []struct {
		name, header, value string
		honoured            bool
	}{
		{"absent", "", "", false},
		{"return=representation", "prefer", "return=representation", true},
		{"header name in mixed case", "Prefer", "return=representation", true},
		{"with another preference after", "prefer", "return=representation, odata.maxpagesize=10", true},
		{"with another preference before", "prefer", "odata.maxpagesize=10,return=representation", true},
		{"in other case, quoted, with a parameter", "prefer", `RETURN="Representation"; x=y`, true},
		{"return=minimal", "prefer", "return=minimal", false},
		{"the first return preference counts", "prefer", "return=minimal, return=representation", false},
		{"another preference only", "prefer", "odata.maxpagesize=10", false},
		{"not a preference", "prefer", "representation", false},
	}
	for _, w := range writes {
		for _, p := range prefers {
			t.Run(w.name+"/"+p.name, func(t *testing.T) {
				e := newAPIEnv(t)
				e.Clock.Advance(time.Hour) // a change gets an updateDate after the seed's createDate
				req := appsEvent(w.method, w.path, w.body, appsVerdict(true))
				if p.header != "" {
					req = withHeader(req, p.header, p.value)
				}
				a := callAnswer(t, e.appsRouter(), req)
				want := w.plain
				if p.honoured {
					want = w.represented
				}
				if a.Status != want {
					t.Fatalf("%d %s, want %d", a.Status, a.Raw, want)
				}
				if got := header(a.Headers, "Preference-Applied"); (got == "return=representation") != p.honoured ||
					(!p.honoured && hasHeader(a.Headers, "Preference-Applied")) {
					t.Errorf("Preference-Applied %q, want it exactly when the preference is honoured (%v)", got, p.honoured)
				}
				if a.Status == http.StatusNoContent {
					if a.Raw != "" {
						t.Errorf("204 with a body %q", a.Raw)
					}
					return
				}
				id, _ := a.Body["appId"].(string)
				wantEntity(t, a, id)
				if w.method != http.MethodPost && id != demoPlain {
					t.Fatalf("answered application %s, want the path's %s", id, demoPlain)
				}
				// What the answer shows is what is stored: a read afterwards shows the same.
				if got := e.getApp(t, id); !reflect.DeepEqual(got.Body, a.Body) {
					t.Errorf("answer %s, but a read shows %s", a.Raw, got.Raw)
				}
				if w.method != http.MethodPost && a.Body["updateDate"] != epoch.Add(time.Hour).Format(time.RFC3339) {
					t.Errorf("updateDate %v, want the time of the change", a.Body["updateDate"])
				}
			})
		}
	}
}

// TestChangeAnswerRoundTrips: a PATCH answered with the application costs the read and the write of
// the change, nothing more: the domain returns what it wrote.
func TestChangeAnswerRoundTrips(t *testing.T) {
	e := newAPIEnv(t)
	router, counter := e.countedAppsRouter()
	req := withHeader(appsEvent(http.MethodPatch, "/odata/Applications/"+demoPlain, `{"name": "Counted"}`, appsVerdict(true)),
		"prefer", "return=representation")
	var a answer
	calls := counter.Measure(func() { a = callAnswer(t, router.Serve, req) })
	if a.Status != http.StatusOK || a.Body["name"] != "Counted" {
		t.Fatalf("%d %s, want 200 with the new name", a.Status, a.Raw)
	}
	if got := strings.Join(calls.Operations, ", "); got != "GetItem, TransactWriteItems" {
		t.Errorf("PATCH with return=representation cost %s, want GetItem, TransactWriteItems", calls)
	}
	t.Logf("PATCH with return=representation: %s", calls)
}

// TestEntityID: every answer that carries an application carries its id, equal to its appId.
func TestEntityID(t *testing.T) {
	e := newAPIEnv(t)
	wantEntity(t, e.getApp(t, demoMFA), demoMFA)
	created := callAnswer(t, e.appsRouter(), appsEvent(http.MethodPost, "/odata/Applications", `{"name": "New"}`, appsVerdict(true)))
	if created.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.Status, created.Raw)
	}
	id, _ := created.Body["appId"].(string)
	wantEntity(t, created, id)
	put := callAnswer(t, e.appsRouter(), withHeader(appsEvent(http.MethodPut, "/odata/Applications/"+id, `{"name": "Renamed"}`, appsVerdict(true)),
		"prefer", "return=representation"))
	wantEntity(t, put, id)
}

// TestReadOnlyPropertiesIgnored: id, appId, createDate, updateDate and @odata. annotations in a body are
// ignored, whatever their values, so that an entity read can be written back as it is; any other
// unknown property is still 400, and so is a name given twice, annotations included.
func TestReadOnlyPropertiesIgnored(t *testing.T) {
	// readBack is demoPlain's entity as a GET answers it, changed by edit, as a body.
	readBack := func(t *testing.T, e *apiEnv, edit func(map[string]any)) string {
		t.Helper()
		body := maps.Clone(e.getApp(t, demoPlain).Body)
		edit(body)
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Run("a GET body sent back as PUT", func(t *testing.T) {
		e := newAPIEnv(t)
		before := e.getApp(t, demoPlain)
		e.Clock.Advance(time.Minute)
		a := callAnswer(t, e.appsRouter(), appsEvent(http.MethodPut, "/odata/Applications/"+demoPlain, before.Raw, appsVerdict(true)))
		if a.Status != http.StatusNoContent {
			t.Fatalf("PUT of the GET body: %d %s, want 204", a.Status, a.Raw)
		}
		after := e.getApp(t, demoPlain)
		for k, v := range before.Body {
			if k != "updateDate" && !reflect.DeepEqual(after.Body[k], v) {
				t.Errorf("%s: %v after the PUT, was %v", k, after.Body[k], v)
			}
		}
		if after.Body["updateDate"] == before.Body["updateDate"] {
			t.Errorf("updateDate unchanged: the body's updateDate was taken")
		}
	})
	t.Run("a GET body with annotations and other read-only values", func(t *testing.T) {
		e := newAPIEnv(t)
		body := readBack(t, e, func(b map[string]any) {
			b["@odata.context"] = "$metadata#Applications/$entity"
			b["@odata.etag"] = `W/"1"`
			b["name@odata.type"] = "#String"
			b["id"], b["appId"] = demoMFA, 42 // another application's id, and not even a string
			b["createDate"], b["updateDate"] = "1999-01-01T00:00:00Z", nil
			b["name"] = "Renamed"
		})
		for _, method := range []string{http.MethodPut, http.MethodPatch} {
			a := callAnswer(t, e.appsRouter(), withHeader(appsEvent(method, "/odata/Applications/"+demoPlain, body, appsVerdict(true)),
				"prefer", "return=representation"))
			if a.Status != http.StatusOK {
				t.Fatalf("%s: %d %s, want 200", method, a.Status, a.Raw)
			}
			wantEntity(t, a, demoPlain)
			if a.Body["name"] != "Renamed" || a.Body["createDate"] != epoch.Format(time.RFC3339) {
				t.Errorf("%s: %s, want the new name and the stored createDate", method, a.Raw)
			}
		}
		if other := e.getApp(t, demoMFA); other.Body["name"] != "Demo (MFA)" {
			t.Errorf("the application the body's id named changed: %s", other.Raw)
		}
	})
	t.Run("a GET body sent as a create", func(t *testing.T) {
		e := newAPIEnv(t)
		body := readBack(t, e, func(b map[string]any) { b["url"], b["@odata.etag"] = "copy.example.com", "x" })
		a := callAnswer(t, e.appsRouter(), appsEvent(http.MethodPost, "/odata/Applications", body, appsVerdict(true)))
		if a.Status != http.StatusCreated || a.Body["appId"] == demoPlain || a.Body["createDate"] != epoch.Format(time.RFC3339) {
			t.Fatalf("create from a GET body: %d %s, want 201 with a new appId", a.Status, a.Raw)
		}
		wantEntity(t, a, a.Body["appId"].(string))
	})
	for _, tc := range []struct{ name, body, names string }{
		{"an unknown property", `{"name": "x", "parentId": "p"}`, `"parentId"`},
		{"an unknown property beside an annotation", `{"@odata.etag": "x", "parentId": "p"}`, `"parentId"`},
		{"an annotation of another namespace", `{"@custom.tag": "x"}`, `"@custom.tag"`},
		{"odata. without @", `{"odata.etag": "x"}`, `"odata.etag"`},
		{"an annotation twice", `{"@odata.etag": "a", "@odata.etag": "b"}`, `"@odata.etag"`},
		{"a read-only property twice", `{"id": "a", "ID": "b"}`, `"ID"`},
		{"a name twice beside an annotation", `{"@odata.etag": "a", "name": "A", "NAME": "B"}`, `"NAME"`},
		{"a wrong type beside an annotation", `{"@odata.etag": "a", "enableMultiFactorAuthentication": "yes"}`, "enableMultiFactorAuthentication"},
		{"an array", `[{"@odata.etag": "a"}]`, ""},
		{"trailing data after an annotated body", `{"@odata.etag": "a"} {}`, ""},
	} {
		t.Run("400: "+tc.name, func(t *testing.T) {
			e := newAPIEnv(t)
			a := odataAnswer(t, callAnswer(t, e.appsRouter(), appsEvent(http.MethodPatch, "/odata/Applications/"+demoPlain, tc.body, appsVerdict(true))))
			wantError(t, a, http.StatusBadRequest, "invalid_request", "")
			wantMessageNames(t, a, tc.names)
			if got := e.getApp(t, demoPlain); got.Body["updateDate"] != epoch.Format(time.RFC3339) {
				t.Errorf("a refused PATCH changed the application: %s", got.Raw)
			}
		})
	}
}
