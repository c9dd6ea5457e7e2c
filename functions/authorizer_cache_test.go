package functions_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/testenv"
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
		// Without ReauthorizeEvery API Gateway caches for 300 s: it must be there, and be the code's.
		if got, ok := identity["ReauthorizeEvery"]; !ok || fmt.Sprint(got) != fmt.Sprint(httpapi.AuthorizerCacheSeconds) {
			t.Errorf("%s Identity.ReauthorizeEvery = %v, want httpapi.AuthorizerCacheSeconds (%d)", name, got, httpapi.AuthorizerCacheSeconds)
		}
	}
}

// translate is SAM's own translation of template.yaml (the transform AWS runs at deploy), printing each
// HTTP API authorizer as deployed: an AWS::ApiGatewayV2::Authorizer's properties, or the
// x-amazon-apigateway-authorizer of the Api's OpenAPI body, where SAM puts those of a Serverless::HttpApi.
const translate = `
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
class NoManagedPolicies:
    def load(self): return {}
tpl = yaml_parse(open(sys.argv[1]).read())
for res in tpl["Resources"].values():
    if res["Type"] == "AWS::Serverless::Function":
        res["Properties"]["CodeUri"] = "s3://bucket/bootstrap.zip"  # what sam package puts there
out = transform(tpl, {}, NoManagedPolicies())
found = {}
for name, res in out["Resources"].items():
    if res["Type"] == "AWS::ApiGatewayV2::Authorizer":
        found[name] = {"identitySource": res["Properties"].get("IdentitySource", []),
                       "authorizerResultTtlInSeconds": res["Properties"].get("AuthorizerResultTtlInSeconds")}
    if res["Type"] == "AWS::ApiGatewayV2::Api":
        for n, s in res["Properties"].get("Body", {}).get("components", {}).get("securitySchemes", {}).items():
            if "x-amazon-apigateway-authorizer" in s:
                found[n] = s["x-amazon-apigateway-authorizer"]
json.dump(found, sys.stdout)
`

// TestAuthorizerTranslated runs SAM's translator on template.yaml and checks what API Gateway gets:
// the authorizer with no identity source (a request with application credentials has no
// Authorization header, and any missing source would be 401 before the authorizer runs) and a result
// TTL of 0 written out (left out, API Gateway would cache for 300 s).
func TestAuthorizerTranslated(t *testing.T) {
	python := testenv.RequireTool(t, "python3", "run the SAM translator")
	if err := exec.Command(python, "-c", "import samtranslator").Run(); err != nil {
		if testenv.InCI() {
			t.Fatalf("required under CI=true: the samtranslator Python package (%v); it comes with cfn-lint", err)
		}
		t.Skipf("the samtranslator Python package is missing (%v); it comes with cfn-lint", err)
	}
	cmd := exec.Command(python, "-c", translate, filepath.Join(repoRoot, "template.yaml"))
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=eu-west-1") // the translator wants a region, any
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("SAM translator: %v\n%s", err, stderr.String())
	}
	var got map[string]struct {
		IdentitySource []string `json:"identitySource"`
		TTL            *int     `json:"authorizerResultTtlInSeconds"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("translator output %q: %v", stdout.String(), err)
	}
	for name := range authorizers {
		a, ok := got[name]
		switch {
		case !ok:
			t.Errorf("the translated template has no authorizer %s (it has %v)", name, got)
		case len(a.IdentitySource) != 0:
			t.Errorf("%s identitySource = %v, want none", name, a.IdentitySource)
		case a.TTL == nil || *a.TTL != httpapi.AuthorizerCacheSeconds:
			t.Errorf("%s authorizerResultTtlInSeconds = %v, want %d written out", name, a.TTL, httpapi.AuthorizerCacheSeconds)
		}
	}
}
