package functions_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"mfagateway/shared/dynamo"
	"mfagateway/shared/localdeploy"
	"mfagateway/shared/localdynamo"
	"mfagateway/shared/password"
	"mfagateway/shared/seed"
	"mfagateway/shared/testenv"
)

// testDeployedBootstraps runs each function's deployed zip: the bytes moto's Lambda holds (by
// CodeSha256), an arm64 bootstrap, under the RIE (through qemu on another architecture) with the
// environment read back from the stack (SNS and SES on a moto of their own). Then a login by SMS, its verify, the authorizer and
// /api/auth/me go through them against the stack's table, and one public route of each other function.
func testDeployedBootstraps(t *testing.T, d *localdeploy.Deployment, moto *testenv.Moto, l *live) {
	rie := rieBinary(t)
	qemu := ""
	if runtime.GOARCH != "arm64" {
		qemu = testenv.RequireTool(t, "qemu-aarch64-static", "run the arm64 bootstraps on this machine; .ci/run installs qemu-user-static")
	}
	ctx := t.Context()
	tables := slices.Collect(maps.Keys(resourcesOfType(d, "AWS::DynamoDB::Table")))
	if len(tables) != 1 {
		t.Fatalf("%d tables in the stack, want one", len(tables))
	}
	table := d.PhysicalID(tables[0])
	// The demo users with a cheap hash (login takes its costs from the stored hash): under qemu the
	// production cost would be most of the test's time.
	demo, err := seed.ParseBytes(seed.Demo)
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Load(ctx, dynamo.New(localdynamo.NewClient(moto.URL), table), password.New(testenv.CheapPassword), time.Now()); err != nil {
		t.Fatalf("seed the stack's table %s: %v", table, err)
	}
	// moto cannot list what it sent once it holds a Lambda function (its data.json then asks Docker
	// for the function), so SNS and SES, which the stack does not create, are another moto's.
	notify := testenv.StartMoto(t)
	track(notify.Process.PID(), "moto_server (SNS, SES)")
	sesClient := ses.New(ses.Options{Region: d.AWS.Region, BaseEndpoint: aws.String(notify.URL), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	if _, err := sesClient.VerifyEmailIdentity(ctx, &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(d.Parameters["SenderEmail"])}); err != nil {
		t.Fatalf("verify the SES sender on moto: %v", err)
	}

	withStandIns := l.resolver(t, d, true)
	g := &gateway{backend: &backend{moto: notify}, functions: map[string]*lambdaFunction{}}
	fns := resourcesOfType(d, "AWS::Lambda::Function")
	for _, id := range slices.Sorted(maps.Keys(fns)) {
		bootstrap := deployedBootstrap(t, d.AWS, id, fns[id], l.functions[id]["CodeSha256"])
		env, err := d.Environment(ctx, id)
		if err != nil {
			t.Fatalf("%s: read its environment back: %v", id, err)
		}
		want := withStandIns.resolve(dig(fns[id], "Environment", "Variables"))
		got := map[string]any{}
		for k, v := range env {
			got[k] = v
		}
		for _, m := range mismatches(id+".Environment", want, got) {
			t.Error(m)
		}
		// The stack's environment, then moto's endpoint over the empty AWS_ENDPOINT_URL it declares
		// (on AWS the SDK's own endpoints), as the last value of a variable is the one a process gets.
		var vars []string
		for _, k := range slices.Sorted(maps.Keys(env)) {
			vars = append(vars, k+"="+env[k])
		}
		vars = append(append(vars, motoEnv(t, moto.URL)...), "AWS_ENDPOINT_URL_SNS="+notify.URL, "AWS_ENDPOINT_URL_SES="+notify.URL)
		g.functions[id] = startFunction(t, rie, d.PhysicalID(id), runner(t, qemu, bootstrap), vars)
	}
	if t.Failed() {
		t.FailNow()
	}

	start := time.Now()
	smsBefore, _ := g.backend.sent(t)
	login := g.invoke(t, readEvent(t, "login-mfa-header.json"))
	login.want(t, http.StatusForbidden, "")
	checkChallengeAnswer(t, login)
	smsNow, _ := g.backend.sent(t)
	code := newCode(t, smsNow, smsBefore, adaMobile)
	verify := g.invoke(t, withBody(t, readEvent(t, "verify.json"), map[string]string{"token": login.str(t, "token"), "authenticatorCode": "SMS", "bindingCode": code}))
	verify.want(t, http.StatusOK, "")
	checkAuthAnswer(t, verify)
	token := verify.str(t, "token")

	// The sample events name Demo; the challenge was of Demo (MFA).
	ofMFAApp := func(event []byte) []byte { return bytes.ReplaceAll(event, []byte(demoApp), []byte(demoMFAApp)) }
	v := g.authorize(t, ofMFAApp(withAuthToken(readEvent(t, "authorizer-good-token.json"), token)))
	if !*v.IsAuthorized || !v.valid() || v.Context["email"] != "ada@example.com" || v.Context["appId"] != demoMFAApp {
		t.Fatalf("the auth token of the verify: isAuthorized %v, context %v; want valid, ada in Demo (MFA)", *v.IsAuthorized, v.Context)
	}
	me := g.invoke(t, withAuthorizerContext(t, ofMFAApp(withAuthToken(readEvent(t, "me.json"), token)), v.Context))
	me.want(t, http.StatusOK, "")
	if me.str(t, "email") != "ada@example.com" || me.str(t, "appId") != demoMFAApp {
		t.Errorf("me answered %s, want ada in Demo (MFA)", me.Raw)
	}

	// The other functions start with the stack's environment and answer a public route.
	expected := readmeExpectations(t)
	for _, name := range []string{"applications-url.json", "users-forgot-password-unknown.json"} {
		exp := expected[name]
		g.invoke(t, readEvent(t, name)).want(t, exp.Status, exp.Code)
	}
	// The hosted pages' function answers its page.
	page, _ := json.Marshal(map[string]any{
		"version": "2.0", "routeKey": "GET /login", "rawPath": "/login", "rawQueryString": "url=demo.localhost",
		"headers":        map[string]string{"accept-language": "en"},
		"requestContext": map[string]any{"http": map[string]any{"method": "GET", "path": "/login", "sourceIp": "192.0.2.1"}},
	})
	var served apiResponse
	if err := json.Unmarshal(g.functions["WebFunction"].invokeRaw(t, page), &served); err != nil || served.StatusCode == nil || *served.StatusCode != http.StatusOK {
		t.Errorf("GET /login from the deployed WebFunction: %v, want 200", err)
	}
	t.Logf("login, verify, authorizer, me, the two public routes and a page in %s (cold starts included)", time.Since(start).Round(time.Millisecond))
	for _, fn := range functions {
		if g.functions[fn.LogicalID].bootstrap == 0 {
			t.Errorf("%s: no bootstrap ran under its RIE", fn.LogicalID)
		}
	}
}

// deployedBootstrap fetches the function's zip from moto's S3 where its Code says, checks it is the
// zip moto's Lambda holds (CodeSha256) and that its bootstrap is an executable arm64 file, and
// returns the bootstrap unpacked.
func deployedBootstrap(t *testing.T, api localdeploy.AWS, id string, props map[string]any, codeSHA256 any) string {
	t.Helper()
	bucket, key := fmt.Sprint(dig(props, "Code", "S3Bucket")), fmt.Sprint(dig(props, "Code", "S3Key"))
	var object struct{ Body []byte }
	if err := api.Do(t.Context(), localdeploy.Call{Service: "s3", Op: "get_object", Params: map[string]any{"Bucket": bucket, "Key": key}, Out: &object}); err != nil {
		t.Fatalf("%s: get s3://%s/%s: %v", id, bucket, key, err)
	}
	raw := object.Body
	sum := sha256.Sum256(raw)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != codeSHA256 {
		t.Fatalf("%s: s3://%s/%s has SHA-256 %s, Lambda's CodeSha256 is %v", id, bucket, key, got, codeSHA256)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("%s: the code is not a zip: %v", id, err)
	}
	f, err := zr.Open("bootstrap")
	if err != nil {
		t.Fatalf("%s: the zip has no bootstrap: %v", id, err)
	}
	defer f.Close()
	st, _ := f.Stat()
	if st.Mode().Perm()&0o111 == 0 {
		t.Errorf("%s: bootstrap is not executable in the zip (%s): Lambda could not start it", id, st.Mode())
	}
	path := filepath.Join(t.TempDir(), "bootstrap")
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, f); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if arch, err := localdeploy.Arch(path); err != nil || arch != "arm64" {
		t.Fatalf("%s: the deployed bootstrap is %s (%v), want arm64", id, arch, err)
	}
	return path
}

// runner is what the RIE starts for an arm64 bootstrap: the bootstrap itself with no qemu, else a
// script that execs it under qemu (the RIE starts one executable, and binfmt_misc may not be there).
func runner(t *testing.T, qemu, bootstrap string) string {
	t.Helper()
	if qemu == "" {
		return bootstrap
	}
	script := filepath.Join(filepath.Dir(bootstrap), "run-under-qemu")
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	body := "#!/bin/sh\nexec " + quote(qemu) + " " + quote(bootstrap) + " \"$@\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}
