package functions_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// rotatedSecret is the server secret's value after the test's rotation (letters and digits, as the
// stack generates them).
const rotatedSecret = "rieTestRotatedSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"

// secrets is a Secrets Manager client of moto.
func (b *backend) secrets() *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(b.moto.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// createSecret makes the server secret with its first value, as the stack's ServerSecret does, and
// returns its ARN: the functions' CODE_HMAC_SECRET_ARN.
func (b *backend) createSecret(t *testing.T, value string) string {
	t.Helper()
	out, err := b.secrets().CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{
		Name:         aws.String("mfagateway-rie-test-server-secret"),
		SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("create the server secret on moto: %v", err)
	}
	return aws.ToString(out.ARN)
}

// rotateSecret is an operator's rotation: put-secret-value makes value AWSCURRENT and moves the value
// it replaces to AWSPREVIOUS.
func (b *backend) rotateSecret(t *testing.T, value string) {
	t.Helper()
	if _, err := b.secrets().PutSecretValue(t.Context(), &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(b.secretARN),
		SecretString: aws.String(value),
	}); err != nil {
		t.Fatalf("rotate the server secret on moto: %v", err)
	}
}

// testSecretRotation rotates the server secret in the middle of a challenge. The running instances
// read the first value at their cold start (a secret without a previous version); instances started
// after the rotation read both. A code sent before the rotation verifies at a fresh instance; a code
// a fresh instance sends is under the new value, which an instance started before the rotation does
// not have. A secret the function cannot read stops its start.
func testSecretRotation(t *testing.T, g *gateway) {
	verifyCode := func(t *testing.T, f *lambdaFunction, token, code string) response {
		t.Helper()
		body := map[string]string{"token": token, "authenticatorCode": "SMS", "bindingCode": code}
		return f.invoke(t, withBody(t, readEvent(t, "verify.json"), body))
	}
	login := func(t *testing.T, f *lambdaFunction) (token, code string) {
		t.Helper()
		before, _ := g.backend.sent(t)
		r := f.invoke(t, readEvent(t, "login-mfa-header.json"))
		r.want(t, http.StatusForbidden, "")
		now, _ := g.backend.sent(t)
		return r.str(t, "token"), newCode(t, now, before, adaMobile)
	}

	// The RIE starts a bootstrap at its first invoke: both running instances must have read the secret
	// before the rotation, whichever subtests ran before this one.
	oldToken, oldCode := login(t, g.functions["LoginFunction"])
	unknown := strings.Repeat("A", 43) // the shape of an MFA token, naming no challenge
	g.functions["VerifyFunction"].invoke(t, withToken(readEvent(t, "verify.json"), unknown)).want(t, http.StatusUnauthorized, "invalid_mfa_token")
	g.backend.rotateSecret(t, rotatedSecret)
	rie, env := rieBinary(t), g.backend.functionEnv(t)
	freshLogin := startFunction(t, rie, "LoginFunction", build(t, "LoginFunction"), env)
	freshVerify := startFunction(t, rie, "VerifyFunction", build(t, "VerifyFunction"), env)

	r := verifyCode(t, freshVerify, oldToken, oldCode)
	r.want(t, http.StatusOK, "")
	checkAuthAnswer(t, r)

	newToken, newCode := login(t, freshLogin)
	verifyCode(t, g.functions["VerifyFunction"], newToken, newCode).want(t, http.StatusUnauthorized, "invalid_code")
	r = verifyCode(t, freshVerify, newToken, newCode)
	r.want(t, http.StatusOK, "")
	checkAuthAnswer(t, r)

	t.Run("a secret the function cannot read stops its start", func(t *testing.T) {
		absent := strings.Replace(g.backend.secretARN, ":secret:", ":secret:absent-", 1)
		env := append(g.backend.functionEnv(t), "CODE_HMAC_SECRET_ARN="+absent)
		refusedStart(t, build(t, "VerifyFunction"), env, "CODE_HMAC_SECRET_ARN")
	})
}
