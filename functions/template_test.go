// Package functions_test checks the deployable pieces together: template.yaml (routes, build settings,
// least-privilege policies, the table), the Makefile's build-<LogicalId> targets, and the built
// bootstraps running under the Lambda Runtime Interface Emulator against moto.
package functions_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/global"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"

	"mfagateway/shared/config"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/testenv"
)

// repoRoot is where template.yaml, the Makefile and events/ live; go test runs in functions/.
const repoRoot = ".."

// route is one route of the HTTP API and the function behind it.
type route struct {
	Method, Path string
	Function     string // logical ID
	Authorizer   string // the Api's authorizer in front of it; "" for a public route
}

// Key is the route as API Gateway writes it in an event's routeKey.
func (r route) Key() string { return r.Method + " " + r.Path }

// protected is the token authorizer of every route that is not public.
const protected = "TokenAuthorizer"

// routes is every route of the HTTP API, one per path spelling of each row of httpapi's route table:
// the template test demands each in template.yaml, and the RIE test routes events by them.
var routes = tableRoutes()

func tableRoutes() []route {
	var rs []route
	for _, r := range httpapi.Routes() {
		authorizer := ""
		if r.Protected() {
			authorizer = protected
		}
		for _, p := range r.Paths {
			rs = append(rs, route{Method: r.Method, Path: p, Function: r.Function, Authorizer: authorizer})
		}
	}
	return rs
}

// authorizers maps each authorizer of the Api to the function that implements it.
var authorizers = map[string]string{protected: "AuthorizerFunction"}

// grant is what a function may, or with Deny may not, do on one resource.
type grant struct {
	Resource string // a literal, or an intrinsic as goformation encodes it (cloudformation.GetAtt, .Sub...)
	Actions  []string
	// LeadingKeys are the table key prefixes the grant is held to (a ForAllValues:StringLike condition
	// on dynamodb:LeadingKeys, each prefix followed by *); none: no condition.
	LeadingKeys []string
	Deny        bool
}

// The kinds of item of the single table, by their pk prefix (shared/dynamo's key builders).
const (
	userKeys      = "USER#" // by email: holds the password hash
	userIDKeys    = "USERID#"
	appKeys       = "APP#"
	appURLKeys    = "APPURL#"
	loginKeys     = "LOGIN#"
	loginNetKeys  = "LOGINNET#"
	challengeKeys = "MFA#"
	wrongKeys     = "MFAFAIL#"
	tokenKeys     = "TOKEN#"
	sendsKeys     = "SENDS#"
	smsCapKeys    = "SMSCAP#" // the deployment-wide SMS cap's hourly shards
	otpKeys       = "OTP#"
)

// smsOnly takes every SNS topic and endpoint off an sns:Publish on "*": what is left is SMS to a number.
var smsOnly = grant{Resource: "arn:aws:sns:*:*:*", Actions: []string{"sns:Publish"}, Deny: true}

var (
	tableARN  = cloudformation.GetAtt("Table", "Arn")
	senderARN = cloudformation.Sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderEmail}")
	// The server secret's ARN (Ref of an AWS::SecretsManager::Secret): the functions read that one
	// secret, and only it.
	serverSecretARN = cloudformation.Ref("ServerSecret")
	readSecret      = grant{Resource: serverSecretARN, Actions: []string{"secretsmanager:GetSecretValue"}}
)

// function is one Lambda of the template.
type function struct {
	LogicalID string
	Dir       string // ./functions/<Dir>
	// Grants are exactly the permissions the function needs: the template must grant these and nothing else.
	Grants []grant
	// Env is what the function reads beyond commonEnv, with the template value each must have.
	Env map[string]string
}

// functions is every Lambda of the template.
var functions = []function{
	{
		LogicalID: "LoginFunction", Dir: "login",
		Grants: []grant{
			{Resource: tableARN, Actions: []string{"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"},
				// Never OTP#: a login learns of an authenticator app from the user's item.
				LeadingKeys: []string{userKeys, userIDKeys, appKeys, appURLKeys, loginKeys, loginNetKeys, challengeKeys, wrongKeys, tokenKeys, sendsKeys, smsCapKeys}},
			// SMS to a phone number has no resource ARN.
			{Resource: "*", Actions: []string{"sns:Publish"}},
			smsOnly,
			{Resource: senderARN, Actions: []string{"ses:SendEmail"}},
			readSecret,
		},
		Env: map[string]string{
			"CODE_HMAC_SECRET_ARN": serverSecretARN,
			"SES_SENDER":           cloudformation.Ref("SenderEmail"),
			"SMS_SENDER_ID":        cloudformation.Ref("SmsSenderId"),
		},
	},
	{
		LogicalID: "VerifyFunction", Dir: "verify",
		Grants: []grant{
			{Resource: tableARN, Actions: []string{"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"},
				// The challenge names its user by userId: no USER# item, no password hash.
				LeadingKeys: []string{challengeKeys, wrongKeys, tokenKeys, userIDKeys, otpKeys}},
			{Resource: senderARN, Actions: []string{"ses:SendEmail"}}, // the notices of a second factor backing off and of a recovery code used
			readSecret,
		},
		Env: map[string]string{
			"CODE_HMAC_SECRET_ARN": serverSecretARN,
			"SES_SENDER":           cloudformation.Ref("SenderEmail"),
		},
	},
	{
		LogicalID: "AuthorizerFunction", Dir: "authorizer",
		// A token, its application and its user in one BatchGetItem; an application alone (GetItem) for ClientId and ClientSecret.
		// USERID#, not USER#: the authorizer never reads a password hash.
		Grants: []grant{{Resource: tableARN, Actions: []string{"dynamodb:BatchGetItem", "dynamodb:GetItem"}, LeadingKeys: []string{tokenKeys, appKeys, userIDKeys}}},
	},
	{
		LogicalID: "ApplicationsFunction", Dir: "applications",
		Grants: []grant{
			{Resource: tableARN, Actions: []string{"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:UpdateItem"},
				// The guard's token, an unblock's run of wrong codes, a deleted user's authenticator app; no challenge.
				LeadingKeys: []string{appKeys, appURLKeys, userKeys, userIDKeys, loginKeys, wrongKeys, sendsKeys, tokenKeys, otpKeys, smsCapKeys}},
			{Resource: "*", Actions: []string{"sns:Publish"}},
			smsOnly,
			{Resource: senderARN, Actions: []string{"ses:SendEmail"}},
			// The list index only. Its partition key is not the table's pk: no leading-key condition.
			{Resource: cloudformation.Sub("${Table.Arn}/index/gsi1"), Actions: []string{"dynamodb:Query"}},
			readSecret,
		},
		Env: map[string]string{
			"CODE_HMAC_SECRET_ARN": serverSecretARN, // seals the lists' page tokens; keys the mobile code's HMAC
			"SES_SENDER":           cloudformation.Ref("SenderEmail"),
			"SMS_SENDER_ID":        cloudformation.Ref("SmsSenderId"),
		},
	},
	{
		LogicalID: "AccountFunction", Dir: "account",
		Grants: []grant{
			{Resource: tableARN, Actions: []string{"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"},
				// A password set by ticket answers as a login does; and the authenticator app.
				LeadingKeys: []string{userKeys, userIDKeys, appKeys, appURLKeys, loginKeys, loginNetKeys, challengeKeys, wrongKeys, tokenKeys, sendsKeys, otpKeys, smsCapKeys}},
			{Resource: "*", Actions: []string{"sns:Publish"}},
			smsOnly,
			{Resource: senderARN, Actions: []string{"ses:SendEmail"}},
			readSecret,
		},
		Env: map[string]string{
			"CODE_HMAC_SECRET_ARN": serverSecretARN,
			"SES_SENDER":           cloudformation.Ref("SenderEmail"),
			"SMS_SENDER_ID":        cloudformation.Ref("SmsSenderId"),
			"INVITE_URL":           cloudformation.Ref("InviteUrl"),
			"PASSWORD_RESET_URL":   cloudformation.Ref("PasswordResetUrl"),
		},
	},
	{
		// The hosted pages: built-in files only, so no grant at all.
		LogicalID: "WebFunction", Dir: "web",
	},
}

// readsTable reports whether the function is granted any action on the table.
func (f function) readsTable() bool {
	return slices.ContainsFunc(f.Grants, func(g grant) bool { return g.Resource == tableARN && !g.Deny })
}

// commonEnv is what every function reads (shared/config and the SDK): the table, the log level, the
// endpoint and the secret sam local sets, and each security setting of config.Settings that names no
// functions, from the template Parameter that lets a deployment change it.
var commonEnv = settingsEnv("")

// settingsEnv is the environment of the function with logicalID ("" for every function) from
// config.Settings.
func settingsEnv(logicalID string) map[string]string {
	env := map[string]string{}
	if logicalID == "" {
		env["TABLE_NAME"] = cloudformation.Ref("Table")
		env["LOG_LEVEL"] = cloudformation.Ref("LogLevel")
		// Declared empty, so that sam local's events/env.json may set them (samlocal_test.go); on AWS
		// the SDK's own endpoints and the secret in Secrets Manager apply.
		env["AWS_ENDPOINT_URL"] = ""
		env["CODE_HMAC_SECRET"] = ""
	}
	for _, s := range config.Settings() {
		if s.Parameter != "" && (len(s.Functions) == 0 && logicalID == "" || slices.Contains(s.Functions, logicalID)) {
			env[s.Env] = cloudformation.Ref(s.Parameter)
		}
	}
	return env
}

// openTemplate parses template.yaml with its intrinsics kept visible: Ref, GetAtt, Sub... stay as
// goformation's encoded strings (compare them with cloudformation.Ref and friends). Conditions are
// the exception: a typed field such as the table's DeletionProtectionEnabled (a bool) cannot hold an
// encoded Fn::If, so Fn::If is evaluated, with the Parameters' defaults or the given overrides.
// goformation's types are stricter than CloudFormation and SAM in three ways, mended before they are
// filled (templateJSON): a numeric field (an alarm's Threshold, a log group's RetentionInDays) holding
// !Ref of a Number Parameter gets that Parameter's value; a property that is !Ref AWS::NoValue is left
// out, as CloudFormation does; and the HTTP API's AccessLogSettings, which goformation does not know,
// is taken out (apiAccessLogs reads it).
func openTemplate(t *testing.T, params map[string]any) *cloudformation.Template {
	t.Helper()
	return openTemplateWith(t, params, nil)
}

// openTemplateWith is openTemplate with the intrinsics of extra evaluated by their handlers.
func openTemplateWith(t *testing.T, params map[string]any, extra map[string]intrinsics.IntrinsicHandler) *cloudformation.Template {
	t.Helper()
	raw := templateJSONWith(t, params, extra)
	if props, ok := dig(raw, "Resources", "Api", "Properties").(map[string]any); ok {
		delete(props, "AccessLogSettings")
	}
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &cloudformation.Template{}
	if err := json.Unmarshal(b, tpl); err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	return tpl
}

// templateJSON is template.yaml as openTemplate reads it, before goformation's types: intrinsics
// encoded, conditions evaluated, numbers and AWS::NoValue mended.
func templateJSON(t *testing.T, params map[string]any) map[string]any {
	t.Helper()
	return templateJSONWith(t, params, nil)
}

// templateJSONWith is templateJSON with the intrinsics of extra evaluated by their handlers.
func templateJSONWith(t *testing.T, params map[string]any, extra map[string]intrinsics.IntrinsicHandler) map[string]any {
	t.Helper()
	handlers := maps.Clone(cloudformation.EncoderIntrinsics)
	delete(handlers, "Fn::If") // goformation's own FnIf, which reads the evaluated Conditions
	handlers["Fn::Equals"] = equalsWithParameters
	handlers["Fn::Not"] = notCondition
	maps.Copy(handlers, extra)
	data, err := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	processed, err := intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{
		IntrinsicHandlerOverrides: handlers,
		ParameterOverrides:        params,
		EvaluateConditions:        true,
	})
	if err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	var raw map[string]any
	if err := json.Unmarshal(processed, &raw); err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	declared, _ := raw["Parameters"].(map[string]any)
	number := func(v any) (any, bool) {
		name, _ := decodeIntrinsic(v)["Ref"].(string)
		p, _ := declared[name].(map[string]any)
		if p == nil || p["Type"] != "Number" {
			return nil, false
		}
		value := p["Default"]
		if given, ok := params[name]; ok {
			value = given
		}
		n, err := strconv.ParseFloat(fmt.Sprint(value), 64)
		return n, err == nil
	}
	var mend func(v any)
	mend = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if ref, _ := decodeIntrinsic(e)["Ref"].(string); ref == "AWS::NoValue" {
					delete(v, k)
					continue
				}
				if k == "Threshold" || k == "RetentionInDays" {
					if n, ok := number(e); ok {
						v[k] = n
						continue
					}
				}
				mend(e)
			}
		case []any:
			for _, e := range v {
				mend(e)
			}
		}
	}
	mend(raw["Resources"])
	return raw
}

// equalsWithParameters evaluates Fn::Equals for a condition, reading a Ref to a Parameter as that
// Parameter's default (the Ref itself arrives encoded, since Ref stays visible everywhere else).
func equalsWithParameters(_ string, input, template any) any {
	args, ok := input.([]any)
	if !ok || len(args) != 2 {
		return nil
	}
	for i, arg := range args {
		if ref, ok := decodeIntrinsic(arg)["Ref"].(string); ok {
			args[i] = intrinsics.Ref("Ref", ref, template)
		}
	}
	return reflect.DeepEqual(args[0], args[1])
}

// notCondition evaluates Fn::Not of an evaluated condition.
func notCondition(_ string, input, _ any) any {
	args, ok := input.([]any)
	if !ok || len(args) != 1 {
		return nil
	}
	b, ok := args[0].(bool)
	if !ok {
		return nil
	}
	return !b
}

// decodeIntrinsic returns the intrinsic function object goformation encoded in v, or nil.
func decodeIntrinsic(v any) map[string]any {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil
	}
	var fn map[string]any
	if json.Unmarshal(raw, &fn) != nil || len(fn) != 1 {
		return nil
	}
	return fn
}

// show renders a template value for a failure message, intrinsics as their JSON.
func show(s string) string {
	if fn := decodeIntrinsic(s); fn != nil {
		b, _ := json.Marshal(fn)
		return string(b)
	}
	return strconv.Quote(s)
}

func TestTemplateRoutes(t *testing.T) {
	tpl := openTemplate(t, nil)
	api, err := tpl.GetServerlessHttpApiWithName("Api")
	if err != nil {
		t.Fatalf("no AWS::Serverless::HttpApi named Api: %v", err)
	}
	defaultAuthorizer := ""
	if api.Auth != nil {
		defaultAuthorizer = deref(api.Auth.DefaultAuthorizer)
	}
	want := map[string]route{}
	for _, r := range routes {
		if _, dup := want[r.Key()]; dup {
			t.Fatalf("httpapi's route table lists %s twice", r.Key())
		}
		want[r.Key()] = r
	}
	got := map[string]string{} // route key -> function
	for name, fn := range tpl.GetAllServerlessFunctionResources() {
		for eventName, ev := range fn.Events {
			where := name + ".Events." + eventName
			if ev.Type != "HttpApi" || ev.Properties == nil || ev.Properties.HttpApiEvent == nil {
				t.Errorf("%s: event of type %q; this API has only HttpApi routes", where, ev.Type)
				continue
			}
			e := ev.Properties.HttpApiEvent
			key := strings.ToUpper(deref(e.Method)) + " " + deref(e.Path)
			if other, dup := got[key]; dup {
				t.Errorf("%s: route %s is already served by %s", where, key, other)
			}
			got[key] = name
			if deref(e.ApiId) != cloudformation.Ref("Api") {
				t.Errorf("%s: ApiId = %s, want !Ref Api (the one HTTP API)", where, show(deref(e.ApiId)))
			}
			if v := deref(e.PayloadFormatVersion); v != "2.0" {
				t.Errorf("%s: PayloadFormatVersion = %q, want \"2.0\" (the handlers decode payload 2.0)", where, v)
			}
			// A route without its own Auth gets the Api's DefaultAuthorizer; NONE makes it public.
			authorizer := defaultAuthorizer
			if e.Auth != nil && e.Auth.Authorizer != nil {
				authorizer = *e.Auth.Authorizer
			}
			if authorizer == "NONE" {
				authorizer = ""
			}
			if r, known := want[key]; known && authorizer != r.Authorizer {
				t.Errorf("%s: route %s is behind authorizer %q, want %q (\"\" = public)", where, key, authorizer, r.Authorizer)
			}
		}
	}
	for _, r := range routes {
		switch fn, ok := got[r.Key()]; {
		case !ok:
			t.Errorf("route %s of httpapi's route table is missing from template.yaml (want it on %s)", r.Key(), r.Function)
		case fn != r.Function:
			t.Errorf("route %s goes to %s, want %s", r.Key(), fn, r.Function)
		}
	}
	for key, fn := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("template.yaml routes %s to %s, which httpapi's route table does not list", key, fn)
		}
	}
}

// TestEventRoutes holds the sample events to httpapi's route table: the routeKey of each names a row
// (an authorizer request's a protected one), and its method and rawPath select that row's spelling with
// the event's pathParameters, as API Gateway would have set them.
func TestEventRoutes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events/*.json (%v)", err)
	}
	rows := map[string]httpapi.Route{} // by route key, every spelling
	for _, r := range httpapi.Routes() {
		for _, key := range r.Keys() {
			rows[key] = r
		}
	}
	checked := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			httpapi.Request
			Type string `json:"type"` // REQUEST for an authorizer request
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if ev.RouteKey == "" {
			continue
		}
		checked++
		name := filepath.Base(file)
		row, ok := rows[ev.RouteKey]
		if !ok {
			t.Errorf("%s: routeKey %q names no route of httpapi's route table", name, ev.RouteKey)
			continue
		}
		if ev.Type == "REQUEST" && !row.Protected() {
			t.Errorf("%s: an authorizer request for %s, a public route the authorizer never guards", name, ev.RouteKey)
		}
		m, ok := httpapi.Lookup(ev.RequestContext.HTTP.Method, ev.RawPath)
		switch {
		case !ok || m.Key != ev.RouteKey:
			t.Errorf("%s: %s %s selects route %q, not its routeKey %q", name, ev.RequestContext.HTTP.Method, ev.RawPath, m.Key, ev.RouteKey)
		case !maps.Equal(m.Params, ev.PathParameters):
			t.Errorf("%s: pathParameters %v, want %v from rawPath %s", name, ev.PathParameters, m.Params, ev.RawPath)
		}
	}
	if checked == 0 {
		t.Fatal("no event in events/ has a routeKey")
	}
}

// TestTemplateAuthorizers checks each authorizer of the Api: the function behind it, and the
// request and response formats that function handles (payload 2.0, simple responses, and no
// identity sources).
func TestTemplateAuthorizers(t *testing.T) {
	tpl := openTemplate(t, nil)
	api, err := tpl.GetServerlessHttpApiWithName("Api")
	if err != nil {
		t.Fatalf("no AWS::Serverless::HttpApi named Api: %v", err)
	}
	var defined map[string]any
	if api.Auth != nil {
		defined, _ = api.Auth.Authorizers.(map[string]any)
	}
	if got, want := slices.Sorted(maps.Keys(defined)), slices.Sorted(maps.Keys(authorizers)); !slices.Equal(got, want) {
		t.Errorf("Api authorizers = %v, want %v", got, want)
	}
	for name, function := range authorizers {
		t.Run(name, func(t *testing.T) {
			a, _ := defined[name].(map[string]any)
			if a == nil {
				t.Fatalf("Api has no authorizer %s", name)
			}
			// The alias AutoPublishAlias makes, so that a canary deploy moves the authorizer too;
			// !GetAtt .Arn would call $LATEST, the new code, before CodeDeploy shifts any traffic.
			if arn := a["FunctionArn"]; arn != cloudformation.Ref(function+".Alias") {
				t.Errorf("FunctionArn = %v, want !Ref %s.Alias", show(fmt.Sprint(arn)), function)
			}
			if v := a["AuthorizerPayloadFormatVersion"]; v != "2.0" {
				t.Errorf("AuthorizerPayloadFormatVersion = %v, want \"2.0\"", v)
			}
			if v := a["EnableSimpleResponses"]; v != true {
				t.Errorf("EnableSimpleResponses = %v, want true (the authorizer answers isAuthorized)", v)
			}
			// A request carries a token or application credentials, never both, and API Gateway refuses
			// one that lacks any identity source: so there are none.
			identity, _ := a["Identity"].(map[string]any)
			for _, source := range []string{"Headers", "QueryStrings", "Context", "StageVariables"} {
				if v, ok := identity[source]; ok {
					t.Errorf("Identity.%s = %v, want none (a request with application credentials has no Authorization)", source, v)
				}
			}
		})
	}
}

func TestTemplateFunctions(t *testing.T) {
	tpl := openTemplate(t, nil)
	all := tpl.GetAllServerlessFunctionResources()
	var names []string
	for _, f := range functions {
		names = append(names, f.LogicalID)
	}
	if got := slices.Sorted(maps.Keys(all)); !slices.Equal(got, slices.Sorted(slices.Values(names))) {
		t.Errorf("template functions = %v, the functions table lists %v", got, names)
	}
	globals, _ := tpl.Globals["Function"].(*global.Function)
	if globals == nil {
		globals = &global.Function{}
	}
	for _, want := range functions {
		t.Run(want.LogicalID, func(t *testing.T) {
			fn, ok := all[want.LogicalID]
			if !ok {
				t.Fatalf("%s is not in template.yaml", want.LogicalID)
			}
			props := effective(fn, globals)
			if props.codeURI != "." {
				t.Errorf("CodeUri = %q, want \".\" (the Makefile builds from the module root)", props.codeURI)
			}
			if m := fn.AWSCloudFormationMetadata["BuildMethod"]; m != "makefile" {
				t.Errorf("Metadata.BuildMethod = %v, want makefile (sam build runs make build-%s)", m, want.LogicalID)
			}
			if props.runtime != "provided.al2023" {
				t.Errorf("Runtime = %q, want provided.al2023", props.runtime)
			}
			if !slices.Equal(props.architectures, []string{"arm64"}) {
				t.Errorf("Architectures = %v, want [arm64] (the Makefile's LAMBDA_ARCH default)", props.architectures)
			}
			if props.handler != "bootstrap" {
				t.Errorf("Handler = %q, want bootstrap", props.handler)
			}
			wantEnv := maps.Clone(commonEnv)
			maps.Copy(wantEnv, want.Env)
			maps.Copy(wantEnv, settingsEnv(want.LogicalID))
			for _, name := range slices.Sorted(maps.Keys(wantEnv)) {
				got, ok := props.env[name]
				switch {
				case !ok:
					t.Errorf("environment has no %s (want %s)", name, show(wantEnv[name]))
				case got != wantEnv[name]:
					t.Errorf("environment %s = %s, want %s", name, show(got), show(wantEnv[name]))
				}
			}
			for _, name := range slices.Sorted(maps.Keys(props.env)) {
				if _, ok := wantEnv[name]; !ok {
					t.Errorf("environment sets %s = %s, which neither config.Settings nor the functions table gives it", name, show(props.env[name]))
				}
			}
			checkGrants(t, fn, want.Grants)
		})
	}
}

// TestTemplateSettings holds template.yaml's Parameters to config.Settings: each security setting the
// template exposes has its Parameter, whose default is the setting's default and whose description
// names the variable. A duration is a String whose pattern admits the default; a count is a Number
// bounded as config reads it (CloudFormation passes a Number to the environment as it was written).
func TestTemplateSettings(t *testing.T) {
	tpl := openTemplate(t, nil)
	for _, s := range config.Settings() {
		t.Run(s.Env, func(t *testing.T) {
			if s.Parameter == "" {
				return // TestTemplateFunctions refuses it in any function's environment: the default holds
			}
			p, ok := tpl.Parameters[s.Parameter]
			if !ok {
				t.Fatalf("template.yaml has no Parameter %s", s.Parameter)
			}
			switch s.Kind {
			case config.Count:
				if p.Type != "Number" {
					t.Errorf("%s: Type %s, want Number", s.Parameter, p.Type)
				}
				least, most := s.Bounds()
				if p.MinValue == nil || *p.MinValue != float64(least) || p.MaxValue == nil || *p.MaxValue != float64(most) {
					t.Errorf("%s: MinValue %s, MaxValue %s, want %d and %d (config.Setting.Bounds)", s.Parameter, fmtPtr(p.MinValue), fmtPtr(p.MaxValue), least, most)
				}
			default:
				if p.Type != "String" {
					t.Errorf("%s: Type %s, want String (a Go duration)", s.Parameter, p.Type)
				}
			}
			if def := fmt.Sprint(p.Default); def != s.Default() {
				t.Errorf("%s: Default %q, want %q (auth.DefaultPolicy)", s.Parameter, def, s.Default())
			}
			if p.AllowedPattern != nil {
				if re, err := regexp.Compile(*p.AllowedPattern); err != nil {
					t.Errorf("%s: AllowedPattern: %v", s.Parameter, err)
				} else if !re.MatchString(s.Default()) {
					t.Errorf("%s: AllowedPattern %s refuses the default %q", s.Parameter, *p.AllowedPattern, s.Default())
				}
			}
			if d := deref(p.Description); !strings.Contains(d, "Env "+s.Env+".") {
				t.Errorf("%s: Description %q does not name its variable (\"Env %s.\")", s.Parameter, d, s.Env)
			}
		})
	}
}

// properties are a function's settings after SAM merges in the Globals.
type properties struct {
	codeURI, runtime, handler string
	architectures             []string
	env                       map[string]string
}

func effective(fn *serverless.Function, g *global.Function) properties {
	p := properties{env: map[string]string{}}
	if g.CodeUri != nil {
		p.codeURI = deref(g.CodeUri.String)
	}
	if fn.CodeUri != nil {
		p.codeURI = deref(fn.CodeUri.String)
	}
	p.runtime = first(fn.Runtime, g.Runtime)
	p.handler = first(fn.Handler, g.Handler)
	p.architectures = fn.Architectures
	if p.architectures == nil && g.Architectures != nil {
		p.architectures = *g.Architectures
	}
	if g.Environment != nil {
		maps.Copy(p.env, g.Environment.Variables)
	}
	if fn.Environment != nil {
		maps.Copy(p.env, fn.Environment.Variables)
	}
	return p
}

// checkGrants asserts that fn's policies allow exactly the wanted actions on the wanted resources,
// in forms this test can read: inline statements only, no managed policies, no SAM policy templates.
func checkGrants(t *testing.T, fn *serverless.Function, want []grant) {
	t.Helper()
	if fn.Role != nil {
		t.Errorf("Role is set (%s): SAM then ignores Policies, and this test cannot see what the role allows", show(*fn.Role))
	}
	p := fn.Policies
	if p == nil && len(want) == 0 {
		return // a function that needs nothing is given nothing: its role only writes its logs
	}
	if p == nil {
		t.Fatal("Policies is empty: the function could not reach its table")
	}
	if p.String != nil {
		t.Errorf("Policies names a managed policy %q; list the statements instead", *p.String)
	}
	if p.StringArray != nil {
		for _, name := range *p.StringArray {
			if name != "" {
				t.Errorf("Policies names a managed policy %q; list the statements instead", name)
			}
		}
	}
	if p.SAMPolicyTemplateArray != nil {
		for _, tmpl := range *p.SAMPolicyTemplateArray {
			v := reflect.ValueOf(tmpl)
			for i := range v.NumField() {
				if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
					t.Errorf("Policies uses the SAM policy template %s; list the statements instead", v.Type().Field(i).Name)
				}
			}
		}
	}
	var docs []serverless.Function_IAMPolicyDocument
	if p.IAMPolicyDocumentArray != nil {
		docs = *p.IAMPolicyDocumentArray
	}
	if p.IAMPolicyDocument != nil {
		docs = append(docs, *p.IAMPolicyDocument)
	}

	got := map[string]bool{} // "[Deny ]action on resource[ for keys ...]"
	for _, doc := range docs {
		for i, raw := range doc.Statement {
			stmt, ok := raw.(map[string]any)
			if !ok {
				t.Errorf("statement %d is not an object: %v", i, raw)
				continue
			}
			sid, _ := stmt["Sid"].(string)
			where := "statement " + strconv.Itoa(i) + " " + strconv.Quote(sid)
			for key := range stmt {
				if !slices.Contains([]string{"Sid", "Effect", "Action", "Resource", "Condition"}, key) {
					t.Errorf("%s: %s is not checked by this test; extend checkGrants before using it", where, key)
				}
			}
			effect := ""
			switch stmt["Effect"] {
			case "Allow":
			case "Deny":
				effect = "Deny "
			default:
				t.Errorf("%s: Effect = %v, want Allow or Deny", where, stmt["Effect"])
			}
			keys, err := leadingKeys(stmt["Condition"])
			if err != nil {
				t.Errorf("%s: %v", where, err)
			}
			actions, resources := stringList(stmt["Action"]), stringList(stmt["Resource"])
			if len(actions) == 0 || len(resources) == 0 {
				t.Errorf("%s: want at least one Action and one Resource, got %v on %v", where, stmt["Action"], stmt["Resource"])
			}
			for _, a := range actions {
				if strings.Contains(a, "*") {
					t.Errorf("%s: wildcard action %q; name each action", where, a)
				}
				for _, r := range resources {
					got[permission(effect, a, show(r), keys)] = true
				}
			}
		}
	}
	wanted := map[string]bool{}
	for _, g := range want {
		effect := ""
		if g.Deny {
			effect = "Deny "
		}
		for _, a := range g.Actions {
			wanted[permission(effect, a, show(g.Resource), g.LeadingKeys)] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(wanted)) {
		if !got[k] {
			t.Errorf("missing permission: %s", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if !wanted[k] {
			t.Errorf("permission beyond what the function needs: %s", k)
		}
	}
}

// permission is one line of what a role allows or denies, for the failure messages.
func permission(effect, action, resource string, keys []string) string {
	p := effect + action + " on " + resource
	if len(keys) > 0 {
		p += " for keys " + strings.Join(slices.Sorted(slices.Values(keys)), " ")
	}
	return p
}

// leadingKeys reads a statement's Condition: none, or only a ForAllValues:StringLike on
// dynamodb:LeadingKeys whose patterns are each a key prefix followed by *. It returns the prefixes.
func leadingKeys(cond any) ([]string, error) {
	if cond == nil {
		return nil, nil
	}
	m, ok := cond.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("Condition %v: want only ForAllValues:StringLike on dynamodb:LeadingKeys", cond)
	}
	like, ok := m["ForAllValues:StringLike"].(map[string]any)
	if !ok || len(like) != 1 {
		return nil, fmt.Errorf("Condition %v: want only ForAllValues:StringLike on dynamodb:LeadingKeys (ForAnyValue, or a plain StringLike, would let one key of a batch reach any item)", cond)
	}
	patterns := stringList(like["dynamodb:LeadingKeys"])
	if len(patterns) == 0 {
		return nil, fmt.Errorf("Condition %v: want dynamodb:LeadingKeys patterns", cond)
	}
	var prefixes []string
	for _, p := range patterns {
		prefix, ok := strings.CutSuffix(p, "*")
		if !ok || !strings.HasSuffix(prefix, "#") || strings.ContainsAny(prefix, "*?") {
			return nil, fmt.Errorf("dynamodb:LeadingKeys pattern %q: want a key prefix ending in # and then *", p)
		}
		prefixes = append(prefixes, prefix)
	}
	return prefixes, nil
}

// stringList reads an IAM Action or Resource: one string or a list of strings.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

func TestTemplateTable(t *testing.T) {
	tests := []struct {
		name               string
		params             map[string]any
		deletionProtection bool
	}{
		{"defaults", nil, true},
		{"throw-away stack", map[string]any{"TableDeletionProtection": "false"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl := openTemplate(t, tt.params)
			table, err := tpl.GetDynamoDBTableWithName("Table")
			if err != nil {
				t.Fatalf("no AWS::DynamoDB::Table named Table: %v", err)
			}
			type key struct{ Name, Type string }
			var keys, attrs []key
			for _, k := range table.KeySchema {
				keys = append(keys, key{k.AttributeName, k.KeyType})
			}
			for _, a := range table.AttributeDefinitions {
				attrs = append(attrs, key{a.AttributeName, a.AttributeType})
			}
			if want := []key{{"pk", "HASH"}}; !slices.Equal(keys, want) {
				t.Errorf("KeySchema = %v, want %v (shared/dynamo keys every item by the string pk)", keys, want)
			}
			if want := []key{{"pk", "S"}, {"gsi1pk", "S"}, {"gsi1sk", "S"}}; !slices.Equal(attrs, want) {
				t.Errorf("AttributeDefinitions = %v, want %v", attrs, want)
			}
			ttl := deref(table.TimeToLiveSpecification)
			if !ttl.Enabled || deref(ttl.AttributeName) != "ttl" {
				t.Errorf("TimeToLiveSpecification: attribute %q enabled %v, want ttl enabled (shared/dynamo writes expiry to ttl)", deref(ttl.AttributeName), ttl.Enabled)
			}
			if pitr := deref(table.PointInTimeRecoverySpecification).PointInTimeRecoveryEnabled; pitr == nil || !*pitr {
				t.Errorf("PointInTimeRecoveryEnabled = %s, want true", fmtPtr(pitr))
			}
			if sse := deref(table.SSESpecification); !sse.SSEEnabled {
				t.Errorf("SSESpecification.SSEEnabled = false, want true")
			}
			if got := deref(table.BillingMode); got != "PAY_PER_REQUEST" {
				t.Errorf("BillingMode = %q, want PAY_PER_REQUEST", got)
			}
			if table.AWSCloudFormationDeletionPolicy != "Retain" || table.AWSCloudFormationUpdateReplacePolicy != "Retain" {
				t.Errorf("DeletionPolicy/UpdateReplacePolicy = %q/%q, want Retain/Retain (the table holds every user)",
					table.AWSCloudFormationDeletionPolicy, table.AWSCloudFormationUpdateReplacePolicy)
			}
			if got := table.DeletionProtectionEnabled; got == nil || *got != tt.deletionProtection {
				t.Errorf("DeletionProtectionEnabled = %v, want %v", fmtPtr(got), tt.deletionProtection)
			}
		})
	}
}

// TestMakefileBuildTargets checks, without building, that every function of the template has the
// build-<LogicalId> target SAM's makefile build method calls, building its own directory into
// ARTIFACTS_DIR/bootstrap. The RIE test runs the targets for real.
func TestMakefileBuildTargets(t *testing.T) {
	makeBin := testenv.RequireTool(t, "make", "the Makefile's build-<LogicalId> targets")
	for _, fn := range functions {
		t.Run(fn.LogicalID, func(t *testing.T) {
			cmd := exec.Command(makeBin, "-n", "-C", repoRoot, "build-"+fn.LogicalID, "ARTIFACTS_DIR=/artifacts", "LAMBDA_ARCH=arm64")
			cmd.Env = withoutMakeVars()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n build-%s: %v\n%s", fn.LogicalID, err, out)
			}
			for _, want := range []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "-tags lambda.norpc", "-o /artifacts/bootstrap", "./functions/" + fn.Dir} {
				if !strings.Contains(string(out), want) {
					t.Errorf("make -n build-%s does not contain %q:\n%s", fn.LogicalID, want, out)
				}
			}
		})
	}
}

// TestTemplateLint runs cfn-lint, which knows the resource schemas and SAM's rules; any finding fails.
func TestTemplateLint(t *testing.T) {
	lint := testenv.RequireTool(t, "cfn-lint", "lint template.yaml")
	cmd := exec.Command(lint, "template.yaml")
	cmd.Dir = repoRoot
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil || out.Len() > 0 {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out.String())
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func first(ps ...*string) string {
	for _, p := range ps {
		if p != nil {
			return *p
		}
	}
	return ""
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "<unset>"
	}
	b, _ := json.Marshal(*p)
	return string(b)
}
