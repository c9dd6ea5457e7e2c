package httpapi_test

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/logging"
	"mfagateway/shared/testenv"
)

// TestGuardRefusesExpiredVerdict: API Gateway caches the authorizer's verdict (up to its TTL), so a
// protected function can be handed a "valid" verdict for a session that has expired meanwhile. The
// guard answers 401 invalid_token from the expiry in the verdict, by its own clock, to the second.
func TestGuardRefusesExpiredVerdict(t *testing.T) {
	expires := time.Date(2031, 5, 6, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		now    time.Time
		status int
	}{
		{"a second before expiry", expires.Add(-time.Second), http.StatusOK},
		{"at expiry", expires, http.StatusUnauthorized},
		{"a second past expiry", expires.Add(time.Second), http.StatusUnauthorized},
		{"a day past expiry", expires.Add(24 * time.Hour), http.StatusUnauthorized},
	} {
		// The verdict's numbers arrive as JSON numbers from API Gateway, as strings through a proxy.
		for _, form := range []struct {
			name      string
			expiresAt any
		}{{"number", float64(expires.Unix())}, {"string", strconv.FormatInt(expires.Unix(), 10)}} {
			t.Run(tt.name+"/"+form.name, func(t *testing.T) {
				logs := &testenv.LogBuffer{}
				log := logging.New(logs, slog.LevelDebug)
				me := httpapi.NewGuard(testenv.NewClock(tt.now).Now, log).Wrap(httpapi.RouteMe, httpapi.NewSession(nil, log).Me)
				verdict := map[string]any{"valid": true, "tokenId": "t", "userId": "u", "email": adaEmail, "name": "Ada",
					"appId": demoPlain, "admin": false, "expiresAt": form.expiresAt}
				resp, err := me(t.Context(), appsEvent(http.MethodGet, "/api/auth/me", "", verdict))
				if err != nil {
					t.Fatalf("handler error: %v", err)
				}
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d %s, want %d", resp.StatusCode, resp.Body, tt.status)
				}
				if tt.status == http.StatusOK {
					want := `{"userId":"u","email":"` + adaEmail + `","name":"Ada","appId":"` + demoPlain + `","expiresAt":"2031-05-06T10:00:00Z"}` + "\n"
					if resp.Body != want {
						t.Errorf("body %q, want %q (the caller's own email in full)", resp.Body, want)
					}
					return
				}
				if want := `"code":"invalid_token"`; !strings.Contains(resp.Body, want) {
					t.Errorf("body %s, want %s", resp.Body, want)
				}
				if !strings.Contains(logs.String(), `"msg":"request refused"`) || !strings.Contains(logs.String(), `"code":"invalid_token"`) {
					t.Errorf("the refusal is not logged by its code:\n%s", logs)
				}
			})
		}
	}
}
