package functions_test

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/localdeploy"
)

// basicExecutionRole is the one managed policy SAM gives a function's role: writing its own logs.
const basicExecutionRole = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

// liveAlias is the alias AutoPublishAlias gives every function; API Gateway calls a function only
// through it, so that a canary deploy moves every route and the authorizer together.
const liveAlias = "live"

// aliasOf is the logical ID of the alias SAM makes for a function's AutoPublishAlias.
func aliasOf(function string) string { return function + "Alias" + liveAlias }

// testTranslatedTemplate checks, in the template CloudFormation got, what moto does not keep or does
// not create: the table's TTL, point-in-time recovery and encryption, the functions' architecture and
// log format, the roles' managed policies, the HTTP API's routes, authorizer, throttling and access
// log, the alarms and the canary deploys.
func testTranslatedTemplate(t *testing.T, d *localdeploy.Deployment) {
	t.Run("table", func(t *testing.T) {
		for id, props := range resourcesOfType(d, "AWS::DynamoDB::Table") {
			// shared/dynamo writes each item's expiry to ttl.
			if got := props["TimeToLiveSpecification"]; !reflect.DeepEqual(got, map[string]any{"AttributeName": "ttl", "Enabled": true}) {
				t.Errorf("%s: TimeToLiveSpecification %v, want ttl enabled", id, got)
			}
			if got := dig(props, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"); got != true {
				t.Errorf("%s: PointInTimeRecoveryEnabled %v, want true", id, got)
			}
			if got := dig(props, "SSESpecification", "SSEEnabled"); got != true {
				t.Errorf("%s: SSEEnabled %v, want true", id, got)
			}
		}
	})

	t.Run("functions", func(t *testing.T) {
		for id, props := range resourcesOfType(d, "AWS::Lambda::Function") {
			if got := props["Architectures"]; !reflect.DeepEqual(got, []any{"arm64"}) {
				t.Errorf("%s: Architectures %v, want [arm64]", id, got)
			}
			if a := d.Artifacts[id]; a == nil || a.Arch != "arm64" {
				t.Errorf("%s: the built bootstrap is not arm64: %+v", id, a)
			}
			if got := dig(props, "LoggingConfig", "LogFormat"); got != "JSON" {
				t.Errorf("%s: LoggingConfig.LogFormat %v, want JSON (the functions log JSON lines)", id, got)
			}
			a := d.Artifacts[id]
			if code := props["Code"]; a == nil || !reflect.DeepEqual(code, map[string]any{"S3Bucket": a.Bucket, "S3Key": a.Key}) {
				t.Errorf("%s: Code %v, want the uploaded zip", id, code)
			}
			roles := localdeploy.References(props["Role"])
			if len(roles) != 1 {
				t.Errorf("%s: Role %v, want the function's own role", id, props["Role"])
				continue
			}
			role := resourcesOfType(d, "AWS::IAM::Role")[roles[0]]
			if got := role["ManagedPolicyArns"]; !reflect.DeepEqual(got, []any{basicExecutionRole}) {
				t.Errorf("%s: ManagedPolicyArns %v, want only %s", roles[0], got, basicExecutionRole)
			}
		}
	})

	apis := resourcesOfType(d, "AWS::ApiGatewayV2::Api")
	if len(apis) != 1 {
		t.Fatalf("%d AWS::ApiGatewayV2::Api in the translated template, want the one HTTP API", len(apis))
	}
	var apiID string
	for id := range apis {
		apiID = id
	}
	body, _ := apis[apiID]["Body"].(map[string]any)

	t.Run("routes", func(t *testing.T) {
		paths, _ := body["paths"].(map[string]any)
		seen := 0
		for _, r := range routes {
			op, _ := dig(paths, r.Path, strings.ToLower(r.Method)).(map[string]any)
			if op == nil {
				t.Errorf("%s: not in the HTTP API", r.Key())
				continue
			}
			seen++
			integration, _ := op["x-amazon-apigateway-integration"].(map[string]any)
			if integration["type"] != "aws_proxy" || integration["httpMethod"] != "POST" || integration["payloadFormatVersion"] != "2.0" {
				t.Errorf("%s: integration %v, want aws_proxy by POST with payload format 2.0", r.Key(), integration)
			}
			if refs := localdeploy.References(integration["uri"]); !slices.Equal(refs, []string{aliasOf(r.Function)}) {
				t.Errorf("%s: integration uri names %v, want %s, the alias of %s", r.Key(), refs, aliasOf(r.Function), r.Function)
			}
			// SAM marks a route without an authorizer with the scheme NONE, which it does not define.
			scheme := "NONE"
			if r.Authorizer != "" {
				scheme = r.Authorizer
			}
			if got := op["security"]; !reflect.DeepEqual(got, []any{map[string]any{scheme: []any{}}}) {
				t.Errorf("%s: security %v, want [{%s: []}]", r.Key(), got, scheme)
			}
		}
		total := 0
		for _, p := range paths {
			total += len(p.(map[string]any))
		}
		if total != seen {
			t.Errorf("the HTTP API has %d routes, httpapi's route table %d", total, seen)
		}
	})

	t.Run("authorizers", func(t *testing.T) {
		schemes, _ := dig(body, "components", "securitySchemes").(map[string]any)
		if got, want := slices.Sorted(maps.Keys(schemes)), slices.Sorted(maps.Keys(authorizers)); !slices.Equal(got, want) {
			t.Errorf("security schemes %v, want the authorizers %v", got, want)
		}
		for name, fn := range authorizers {
			a, _ := dig(schemes, name, "x-amazon-apigateway-authorizer").(map[string]any)
			if refs := localdeploy.References(a["authorizerUri"]); !slices.Equal(refs, []string{aliasOf(fn)}) {
				t.Errorf("%s: authorizerUri names %v, want %s, the alias of %s", name, refs, aliasOf(fn), fn)
			}
			// A request carries a token or application credentials: no identity source, so no cache.
			want := map[string]any{"type": "request", "authorizerPayloadFormatVersion": "2.0", "enableSimpleResponses": true,
				"identitySource": []any{}, "authorizerResultTtlInSeconds": float64(0)}
			for k, v := range want {
				if !reflect.DeepEqual(a[k], v) {
					t.Errorf("%s: %s = %v, want %v", name, k, a[k], v)
				}
			}
		}
	})

	// API Gateway invokes a function's alias only where a permission allows that route (or the
	// authorizer); the function itself ($LATEST) it may not invoke at all.
	t.Run("invoke permissions", func(t *testing.T) {
		type grant struct{ function, sourceTail string }
		have := map[grant]int{}
		for id, p := range resourcesOfType(d, "AWS::Lambda::Permission") {
			fn := localdeploy.References(p["FunctionName"])
			api := localdeploy.References(p["SourceArn"])
			text, _ := dig(p, "SourceArn", "Fn::Sub").([]any)
			if len(fn) != 1 || !slices.Contains(api, apiID) || len(text) != 2 {
				t.Errorf("%s: function %v, source %v; want one function and the HTTP API", id, fn, p["SourceArn"])
				continue
			}
			_, tail, _ := strings.Cut(fmt.Sprint(text[0]), "${__ApiId__}")
			have[grant{fn[0], tail}]++
		}
		want := map[grant]int{}
		for _, fn := range authorizers {
			want[grant{aliasOf(fn), "/authorizers/*"}]++
		}
		pathParam := regexp.MustCompile(`\{[^}]+\}`)
		for _, r := range routes {
			want[grant{aliasOf(r.Function), "/${__Stage__}/" + r.Method + pathParam.ReplaceAllString(r.Path, "*")}]++
		}
		for g, n := range want {
			if have[g] != n {
				t.Errorf("%s: %d permissions for %s, want %d", g.function, have[g], g.sourceTail, n)
			}
		}
		for g := range have {
			if want[g] == 0 {
				t.Errorf("%s: a permission for %s, which no route needs", g.function, g.sourceTail)
			}
		}
	})

	t.Run("throttling", func(t *testing.T) {
		stages := resourcesOfType(d, "AWS::ApiGatewayV2::Stage")
		if len(stages) != 1 {
			t.Fatalf("%d stages, want the one $default stage", len(stages))
		}
		var samAPI map[string]any
		for _, r := range dig(d.Source, "Resources").(map[string]any) {
			if dig(r, "Type") == "AWS::Serverless::HttpApi" {
				samAPI, _ = dig(r, "Properties").(map[string]any)
			}
		}
		for id, s := range stages {
			if s["StageName"] != "$default" || s["AutoDeploy"] != true || !slices.Equal(localdeploy.References(s["ApiId"]), []string{apiID}) {
				t.Errorf("%s: stage %v (auto deploy %v) of %v, want $default, auto-deployed, of %s", id, s["StageName"], s["AutoDeploy"], s["ApiId"], apiID)
			}
			settings, _ := s["DefaultRouteSettings"].(map[string]any)
			if !reflect.DeepEqual(settings, samAPI["DefaultRouteSettings"]) {
				t.Errorf("%s: DefaultRouteSettings %v, want the template's %v", id, settings, samAPI["DefaultRouteSettings"])
			}
			for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
				if n, _ := settings[k].(float64); n <= 0 {
					t.Errorf("%s: %s %v, want a limit above 0", id, k, settings[k])
				}
			}
			testAccessLog(t, d, id, s)
		}
	})

	t.Run("alarms", func(t *testing.T) { testAlarms(t, d) })
	t.Run("canary", func(t *testing.T) { testCanary(t, d) })
}
