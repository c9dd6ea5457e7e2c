package functions_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/config"
)

// TestTemplateServerSecret holds the server secret to what the functions expect of it: the stack
// generates it in Secrets Manager (its value is in no parameter and not in the template), long enough
// for config.ParseSecret, letters and digits only so it pastes into a shell, and its description tells
// an operator how a rotation works. Who may read it is TestTemplateFunctions' grants table.
func TestTemplateServerSecret(t *testing.T) {
	tpl := openTemplate(t, nil)
	secret, err := tpl.GetSecretsManagerSecretWithName("ServerSecret")
	if err != nil {
		t.Fatalf("no AWS::SecretsManager::Secret named ServerSecret: %v", err)
	}
	if secret.SecretString != nil {
		t.Errorf("SecretString is set: the value would be in the template; let GenerateSecretString make it")
	}
	gen := secret.GenerateSecretString
	if gen == nil {
		t.Fatal("no GenerateSecretString: the stack must make the secret's first value")
	}
	if n := deref(gen.PasswordLength); n != 64 || n < config.MinSecretBytes {
		t.Errorf("GenerateSecretString.PasswordLength = %d, want 64 (at least config.MinSecretBytes, %d)", n, config.MinSecretBytes)
	}
	if !deref(gen.ExcludePunctuation) {
		t.Error("GenerateSecretString.ExcludePunctuation is not true: a rotation's value is typed into a shell")
	}
	if gen.SecretStringTemplate != nil || gen.GenerateStringKey != nil {
		t.Error("GenerateSecretString makes a JSON document: the functions read the secret string itself as the key")
	}
	d := deref(secret.Description)
	for _, want := range []string{"put-secret-value", "AWSCURRENT", "AWSPREVIOUS", "cold start"} {
		if !strings.Contains(d, want) {
			t.Errorf("Description does not say how a rotation works (no %q): %q", want, d)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(tpl.Parameters)) {
		if tpl.Parameters[name].NoEcho != nil && *tpl.Parameters[name].NoEcho {
			t.Errorf("Parameter %s is NoEcho: a secret passed as a parameter ends up in the functions' environment", name)
		}
	}
	readers := 0
	for _, fn := range functions {
		if fn.Env["CODE_HMAC_SECRET_ARN"] == serverSecretARN {
			readers++
			if !slices.ContainsFunc(fn.Grants, func(g grant) bool { return g.Resource == serverSecretARN }) {
				t.Errorf("%s is given CODE_HMAC_SECRET_ARN but no grant to read the secret", fn.LogicalID)
			}
		}
		if _, ok := fn.Env["CODE_HMAC_SECRET"]; ok {
			t.Errorf("%s is given CODE_HMAC_SECRET: on AWS the secret comes from Secrets Manager", fn.LogicalID)
		}
	}
	if readers != 4 {
		t.Errorf("%d functions read the server secret, want the four that make or check codes and page tokens", readers)
	}
}
