package roundtrip_test

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
	"mfagateway/shared/testenv"
)

// The self-service routes, counted like the users routes. A message to the user (the code to a new
// number, the notice of a confirmed one) is written in the user's language, else the application's:
// the application is read only for a user whose cultureInfo chooses none.
var (
	patchMe         = cost{2, 2} // GetItem USERID#; TransactWriteItems {USER#, USERID#}
	patchMeShown    = cost{3, 3} // and GetItem LOGIN# for the answer
	patchMeNumber   = cost{3, 3} // GetItem USERID#; GetItem APP# (its smsCountries); TransactWriteItems {USER#, USERID#, SENDS#}
	patchMeNumberEN = cost{3, 3} // the same: the application read gives the SMS's language too
	confirmWrong    = cost{2, 2} // GetItem USERID#; TransactWriteItems {USER#, USERID#} attempts+1
	confirmRight    = cost{3, 3} // and TransactWriteItems {USER#, USERID#} the number moved
	confirmRightEN  = cost{4, 4} // and GetItem APP# for the notice's language
)

// graceID is the demo seed's grace, whom the me event's token names.
const graceID = "36841690-5a00-5f32-a499-a1bff4a8e267"

// TestSelfServiceRoundTrips counts PATCH /odata/users/me and POST /odata/users/me/confirmMobile through
// the applications function's router, for grace's token (the me event's).
func TestSelfServiceRoundTrips(t *testing.T) {
	type step struct {
		method, path, body string
		headers            map[string]string
		status             int
	}
	withCulture := step{http.MethodPatch, "/odata/users/me", `{"cultureInfo": "nl-NL"}`, nil, 204}
	newNumber := step{http.MethodPatch, "/odata/users/me", `{"mobilePhone": "+31687654321"}`, nil, 204}
	confirm := func(code string) step {
		return step{http.MethodPost, "/odata/users/me/confirmMobile", `{"bindingCode": "` + code + `"}`, nil, 0}
	}
	for _, tc := range []struct {
		name   string
		before []step
		step   step
		right  bool // the step confirms with the code texted last (else a wrong one)
		want   cost
	}{
		{"PATCH me", nil, step{http.MethodPatch, "/odata/users/me", `{"name": "Grace H."}`, nil, 204}, false, patchMe},
		{"PATCH me, the entity shown", nil, step{http.MethodPatch, "/odata/users/me", `{"name": "Grace H."}`,
			map[string]string{"prefer": "return=representation"}, 200}, false, patchMeShown},
		{"PATCH me, a new number", []step{withCulture}, newNumber, false, patchMeNumber},
		{"PATCH me, a new number, no cultureInfo", nil, newNumber, false, patchMeNumberEN},
		{"confirmMobile, a wrong code", []step{withCulture, newNumber}, confirm(""), false, confirmWrong},
		{"confirmMobile", []step{withCulture, newNumber}, confirm(""), true, confirmRight},
		{"confirmMobile, no cultureInfo", []step{newNumber}, confirm(""), true, confirmRightEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counter := roundtrip.New()
			latent := func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, roundtrip.Latency(latency)) }
			s := testenv.NewStack(t, testenv.WithTable(table), testenv.WithClientOptions(counter.Attach, latent))
			s.SeedDemo(t)
			h := s.Routers(httpapi.ApplicationsFunction)[httpapi.ApplicationsFunction]
			serve := func(st step) httpapi.Response {
				req := apiEvent(t, readEvent(t, "users-me.json"), nil)
				req.RouteKey, req.RawPath, req.Body = st.method+" "+st.path, st.path, st.body
				req.RequestContext.RouteKey, req.RequestContext.HTTP.Method, req.RequestContext.HTTP.Path = req.RouteKey, st.method, st.path
				for k, v := range st.headers {
					req.Headers[k] = v
				}
				resp, err := h.Serve(s.Ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			for _, st := range tc.before {
				if resp := serve(st); resp.StatusCode != st.status {
					t.Fatalf("%s %s: %d %s", st.method, st.path, resp.StatusCode, resp.Body)
				}
			}
			st, status := tc.step, tc.step.status
			if st.path == "/odata/users/me/confirmMobile" {
				code := s.LastCode(t)
				status = http.StatusNoContent
				if !tc.right {
					code, status = wrongOf(code), http.StatusUnauthorized
				}
				st = confirm(code)
			}
			calls := counter.Measure(func() {
				if resp := serve(st); resp.StatusCode != status {
					t.Fatalf("%s %s: %d %s, want %d", st.method, st.path, resp.StatusCode, resp.Body, status)
				}
			})
			if calls.N() != tc.want.ops || calls.Sequential != tc.want.sequential {
				t.Errorf("%s: %s DynamoDB operations, want exactly %d in %d sequential round trips", tc.name, calls, tc.want.ops, tc.want.sequential)
			}
			if calls.Attempts != calls.N() {
				t.Errorf("%s: %d HTTP attempts for %d operations: something was retried", tc.name, calls.Attempts, calls.N())
			}
		})
	}
}

// wrongOf is a six-digit code that is not code.
func wrongOf(code string) string {
	if code == "111111" {
		return "222222"
	}
	return "111111"
}
