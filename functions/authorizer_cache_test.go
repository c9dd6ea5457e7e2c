package functions_test

import (
	"fmt"
	"testing"

	"mfagateway/shared/httpapi"
)

// TestAuthorizerCacheLifetime: a guard that cannot check tokens itself answers a verdict of
// "unavailable" with a Retry-After of the cache's lifetime, so the code's figure must be the template's.
func TestAuthorizerCacheLifetime(t *testing.T) {
	api, err := openTemplate(t, nil).GetServerlessHttpApiWithName("Api")
	if err != nil || api.Auth == nil {
		t.Fatalf("no AWS::Serverless::HttpApi named Api with Auth: %v", err)
	}
	defined, _ := api.Auth.Authorizers.(map[string]any)
	for name := range authorizers {
		a, _ := defined[name].(map[string]any)
		identity, _ := a["Identity"].(map[string]any)
		if got := fmt.Sprint(identity["ReauthorizeEvery"]); got != fmt.Sprint(httpapi.AuthorizerCacheSeconds) {
			t.Errorf("%s Identity.ReauthorizeEvery = %s, want httpapi.AuthorizerCacheSeconds (%d)", name, got, httpapi.AuthorizerCacheSeconds)
		}
	}
}
