package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"mfagateway/shared/auth"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/roundtrip"
)

// TestRecheckOneRead: a guard that checks a token itself, because the authorizer's verdict says AWS
// failed it, costs the authorizer's one read, token, application and user together, and refuses
// what the authorizer refuses.
func TestRecheckOneRead(t *testing.T) {
	unavailable := map[string]any{"valid": false, "unavailable": true}
	oneRead := func(t *testing.T, what string, calls roundtrip.Calls) {
		t.Helper()
		if calls.N() != 1 || calls.Operations[0] != "BatchGetItem" {
			t.Errorf("%s: the function made %s, want one BatchGetItem", what, calls)
		}
	}

	t.Run("good token served", func(t *testing.T) {
		v := newValidateEnv(t)
		a, calls := v.validate(t, "/api/auth/validateToken", unavailable)
		v.wantValid(t, a)
		oneRead(t, "good token", calls)
	})
	t.Run("the same random part naming another user: 401", func(t *testing.T) {
		v := newValidateEnv(t)
		b, err := base64.RawURLEncoding.DecodeString(v.bearer)
		if err != nil || len(b) != 48 {
			t.Fatalf("auth token %q: %d bytes, %v", v.bearer, len(b), err)
		}
		other := uuid.New()
		copy(b, other[:])
		v.bearer = base64.RawURLEncoding.EncodeToString(b)
		a, calls := v.validate(t, "/api/auth/validateToken", unavailable)
		wantError(t, a, http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
		oneRead(t, "renamed token", calls)
	})
	t.Run("blocked user: 401", func(t *testing.T) {
		v := newValidateEnv(t)
		blocked := auth.StatusBlocked
		if _, err := v.Users().Change(v.Ctx, auth.Session{UserID: "operator", Admin: true}, "patch", v.verdict["userId"].(string),
			auth.UserPatch{Status: &blocked}); err != nil {
			t.Fatal(err)
		}
		a, calls := v.validate(t, "/api/auth/validateToken", unavailable)
		wantError(t, a, http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
		oneRead(t, "blocked user", calls)
	})
	t.Run("the old 43-character shape: 401 without a read", func(t *testing.T) {
		v := newValidateEnv(t)
		v.bearer = base64.RawURLEncoding.EncodeToString(make([]byte, 32))
		a, calls := v.validate(t, "/api/auth/validateToken", unavailable)
		wantError(t, a, http.StatusUnauthorized, httpapi.CodeInvalidToken, "")
		if calls.N() != 0 {
			t.Errorf("the function made %s for a malformed token, want no read", calls)
		}
	})
}
