package functions_test

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/localdeploy"
	"mfagateway/shared/testenv"
)

// motoSkips are the resource types moto's CloudFormation does not create: it warns "not supported"
// and creates the rest. What the test holds them to instead is said for each. A type moto skips that is
// not here fails the test, and so does one here that moto creates or the template no longer has.
var motoSkips = map[string]string{
	"AWS::ApiGatewayV2::Api":           "routes, integrations and the authorizer: checked in the translated template",
	"AWS::ApiGatewayV2::Stage":         "throttling: checked in the translated template",
	"AWS::SecretsManager::Secret":      "the deploy makes a stand-in, which the functions read at their start",
	"AWS::CloudWatch::Alarm":           "metrics, thresholds and the topic they notify: checked in the translated template",
	"AWS::CodeDeploy::Application":     "the canary's application: checked in the translated template",
	"AWS::CodeDeploy::DeploymentGroup": "the canary and the alarms that roll it back: checked in the translated template",
}

// deployParams are the deploy test's parameter overrides: the rest take the template's defaults.
var deployParams = map[string]string{
	"SenderEmail": sesSender,
	"SmsSenderId": "MfaGateway",
	"LogLevel":    "DEBUG",
}

// requireDeployTools returns the Python that runs the SAM transform and boto3, skipping the test when
// a tool is missing (failing under CI=true).
func requireDeployTools(t *testing.T) localdeploy.Python {
	t.Helper()
	testenv.RequireTool(t, "make", "the Makefile's build-<LogicalId> targets")
	py := localdeploy.Python(testenv.RequireTool(t, "python3", "runs aws-sam-translator and boto3"))
	if err := py.Check(t.Context()); err != nil {
		if testenv.InCI() {
			t.Fatalf("required under CI=true: %v", err)
		}
		t.Skipf("%v; install aws-sam-translator and boto3 for it to run this test", err)
	}
	return py
}

// TestDeploy deploys template.yaml on moto as sam build and sam deploy would (shared/localdeploy), and
// holds what moto created to the translated template; what moto does not keep is checked in the
// translated template itself. Then it runs the deployed arm64 bootstraps under the RIE with the
// environment the stack gave them, through a login with MFA against the stack's table.
func TestDeploy(t *testing.T) {
	if testing.Short() && !testenv.InCI() {
		t.Skip("-short: skipping the deploy on moto")
	}
	py := requireDeployTools(t)
	moto := testenv.StartMoto(t)
	track(moto.Process.PID(), "moto_server")
	options := func(t *testing.T, stack string, params map[string]string) localdeploy.Options {
		o := localdeploy.Options{Root: repoRoot, WorkDir: t.TempDir(), Stack: stack, Parameters: params, Endpoint: moto.URL, Python: py}
		if testing.Verbose() {
			o.Log = os.Stderr
		}
		return o
	}

	// First, on an empty moto: a value the template refuses stops the deploy before anything is built
	// or created, naming the parameter, as CloudFormation would.
	t.Run("bad parameters", func(t *testing.T) {
		for _, tt := range []struct{ name, value, want string }{
			{"SenderEmail", "no-reply.example.com", "Parameter 'SenderEmail' failed to satisfy constraint: must be an e-mail address"},
			{"SenderEmail", "no reply@example.com", "Parameter 'SenderEmail' failed to satisfy constraint"},
			{"SmsSenderId", "Mfa-Gateway", "Parameter 'SmsSenderId' failed to satisfy constraint: must be empty, or 1 to 11 letters or digits"},
			{"SmsSenderId", "MfaGateway12", "Parameter 'SmsSenderId' failed to satisfy constraint"},
			{"SmsSenderId", "0612345678", "Parameter 'SmsSenderId' failed to satisfy constraint: must be empty, or 1 to 11 letters or digits with at least one letter"},
			{"MfaMaxAttempts", "five", "Parameter 'MfaMaxAttempts' must be a number"},
			{"MfaMaxAttempts", "0", "Parameter 'MfaMaxAttempts' failed to satisfy constraint: must be a whole number from 1"},
			{"PasswordMinLength", "65", "Parameter 'PasswordMinLength' failed to satisfy constraint: must be a whole number from 15 to 64"},
			{"AlarmEmail", "ops", "Parameter 'AlarmEmail' failed to satisfy constraint: must be empty or an e-mail address"},
			{"AccessLogRetentionDays", "10", "Parameter 'AccessLogRetentionDays' must be one of AllowedValues"},
			{"Tracing", "On", "Parameter 'Tracing' must be one of AllowedValues"},
			{"LogLevel", "LOUD", "Parameter 'LogLevel' must be one of AllowedValues"},
			{"NoSuchParameter", "x", "Parameters: [NoSuchParameter] do not exist in the template"},
		} {
			t.Run(tt.name+"="+tt.value, func(t *testing.T) {
				params := maps.Clone(deployParams)
				params[tt.name] = tt.value
				o := options(t, "refused", params)
				_, err := localdeploy.Deploy(t.Context(), o)
				if err == nil || !strings.HasPrefix(err.Error(), "validate parameters: ") || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Deploy: %v, want it refused at parameter validation with %q", err, tt.want)
				}
				if built, _ := os.ReadDir(o.WorkDir); len(built) > 0 {
					t.Errorf("the deploy built before it validated the parameters: %s holds %d entries", o.WorkDir, len(built))
				}
			})
		}
		t.Run("without SenderEmail", func(t *testing.T) {
			params := maps.Clone(deployParams)
			delete(params, "SenderEmail")
			_, err := localdeploy.Deploy(t.Context(), options(t, "refused", params))
			if err == nil || !strings.Contains(err.Error(), "Parameters: [SenderEmail] must have values") {
				t.Fatalf("Deploy: %v, want SenderEmail named as missing", err)
			}
		})
		aws := localdeploy.AWS{Endpoint: moto.URL, Region: "us-east-1", Python: py}
		var apiErr *localdeploy.APIError
		err := aws.Do(t.Context(), localdeploy.Call{Service: "cloudformation", Op: "describe_stacks", Params: map[string]any{"StackName": "refused"}})
		if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, "does not exist") {
			t.Errorf("describe_stacks refused: %v, want that the stack does not exist", err)
		}
		var buckets struct{ Buckets []struct{ Name string } }
		if err := aws.Do(t.Context(), localdeploy.Call{Service: "s3", Op: "list_buckets", Out: &buckets}); err != nil || len(buckets.Buckets) > 0 {
			t.Errorf("S3 after refused deploys: %+v (%v), want no bucket", buckets.Buckets, err)
		}
	})

	start := time.Now()
	d, err := localdeploy.Deploy(t.Context(), options(t, "mfagateway-deploy-test", deployParams))
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	t.Logf("deployed in %s: %d resources in the translated template, %d created, %d skipped", time.Since(start).Round(time.Millisecond),
		len(d.Template["Resources"].(map[string]any)), len(d.Resources), len(d.Skipped))
	for _, s := range d.Steps {
		t.Logf("  %s: %s", s.Name, s.Took.Round(time.Millisecond))
	}
	l := readLive(t, d)

	t.Run("resources", func(t *testing.T) { testDeployResources(t, d) })
	t.Run("table", func(t *testing.T) { testDeployTable(t, d, l, l.resolver(t, d, false)) })
	t.Run("roles", func(t *testing.T) { testDeployRoles(t, d, l, l.resolver(t, d, false)) })
	t.Run("functions", func(t *testing.T) { testDeployFunctions(t, d, l, l.resolver(t, d, false)) })
	t.Run("permissions", func(t *testing.T) { testDeployPermissions(t, d, l, l.resolver(t, d, false)) })
	t.Run("log groups", func(t *testing.T) { testDeployLogGroups(t, d, l, l.resolver(t, d, false)) })
	t.Run("outputs", func(t *testing.T) {
		declared, _ := d.Template["Outputs"].(map[string]any)
		r := l.resolver(t, d, false)
		want, got := map[string]any{}, map[string]any{}
		for key, o := range declared {
			want[key] = r.resolve(dig(o, "Value"))
		}
		for key, v := range d.Outputs {
			got[key] = v
		}
		for _, m := range mismatches("Outputs", want, got) {
			t.Error(m)
		}
	})
	t.Run("translated template", func(t *testing.T) { testTranslatedTemplate(t, d) })
	t.Run("arm64 bootstraps under the RIE", func(t *testing.T) { testDeployedBootstraps(t, d, moto, l) })
}

// testDeployResources holds the stack's resources to the translated template: each is created with
// its type, under its logical ID, except those of the types in motoSkips.
func testDeployResources(t *testing.T, d *localdeploy.Deployment) {
	resources, _ := d.Template["Resources"].(map[string]any)
	skippedTypes := map[string]bool{}
	for id, typ := range d.Skipped {
		skippedTypes[typ] = true
		if _, known := motoSkips[typ]; !known {
			t.Errorf("moto skipped %s (%s), a type not in motoSkips: nothing on moto checks it; add it to motoSkips with what checks it instead", id, typ)
		}
	}
	for typ := range motoSkips {
		if !skippedTypes[typ] {
			t.Errorf("motoSkips lists %s, which moto did not skip in this stack: check it on moto and take it off the list", typ)
		}
	}
	created := map[string]localdeploy.StackResource{}
	for _, r := range d.Resources {
		created[r.LogicalResourceID] = r
	}
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		typ, _ := resources[id].(map[string]any)["Type"].(string)
		r, ok := created[id]
		switch {
		case motoSkips[typ] != "":
			if ok {
				t.Errorf("%s (%s) was created, though motoSkips says moto skips its type", id, typ)
			}
		case !ok:
			t.Errorf("%s (%s) is in the translated template but was not created", id, typ)
		case r.ResourceType != typ || r.ResourceStatus != "CREATE_COMPLETE":
			t.Errorf("%s: created as %s, %s; want %s, CREATE_COMPLETE", id, r.ResourceType, r.ResourceStatus, typ)
		}
	}
	for id := range created {
		if _, ok := resources[id]; !ok {
			t.Errorf("the stack created %s, which the translated template does not have", id)
		}
	}
	var counts []string
	for _, typ := range slices.Sorted(maps.Keys(countTypes(d.Resources))) {
		counts = append(counts, fmt.Sprintf("%s %d", typ, countTypes(d.Resources)[typ]))
	}
	t.Logf("created: %s; skipped: %v", strings.Join(counts, ", "), d.Skipped)
}

func countTypes(rs []localdeploy.StackResource) map[string]int {
	n := map[string]int{}
	for _, r := range rs {
		n[r.ResourceType]++
	}
	return n
}

// live is what the services hold for the stack, each read through its own API.
type live struct {
	account   string
	attrs     map[string]map[string]string // logical ID -> attribute -> value, for Fn::GetAtt
	tables    map[string]map[string]any    // logical ID -> DescribeTable's Table
	functions map[string]map[string]any    // logical ID -> GetFunctionConfiguration
	policies  map[string][]map[string]any  // function or alias logical ID -> its resource policy's statements
	roles     map[string]map[string]any    // logical ID -> GetRole's Role
	inline    map[string]map[string]any    // role logical ID -> inline policy name -> document
	logGroups map[string]map[string]any    // by name
	code      map[string]map[string]any    // function logical ID -> GetFunction's Code
}

// resolver resolves the translated template for t against what l read; with standIns, a skipped
// resource that has a stand-in resolves to it.
func (l *live) resolver(t *testing.T, d *localdeploy.Deployment, standIns bool) *resolver {
	return &resolver{t: t, d: d, account: l.account, attrs: l.attrs, standIns: standIns}
}

func readLive(t *testing.T, d *localdeploy.Deployment) *live {
	t.Helper()
	l := &live{
		attrs: map[string]map[string]string{}, tables: map[string]map[string]any{}, functions: map[string]map[string]any{},
		policies: map[string][]map[string]any{}, roles: map[string]map[string]any{}, inline: map[string]map[string]any{},
		logGroups: map[string]map[string]any{}, code: map[string]map[string]any{},
	}
	var identity struct{ Account string }
	calls := []localdeploy.Call{{Service: "sts", Op: "get_caller_identity", Out: &identity}}
	outs := map[string]*map[string]any{}
	add := func(key, service, op string, params map[string]any) {
		out := map[string]any{}
		outs[key] = &out
		calls = append(calls, localdeploy.Call{Service: service, Op: op, Params: params, Out: &out})
	}
	for id := range resourcesOfType(d, "AWS::DynamoDB::Table") {
		add("table "+id, "dynamodb", "describe_table", map[string]any{"TableName": d.PhysicalID(id)})
	}
	permitted := map[string]bool{}
	for _, p := range resourcesOfType(d, "AWS::Lambda::Permission") {
		for _, id := range localdeploy.References(p["FunctionName"]) {
			permitted[id] = true
		}
	}
	for id := range resourcesOfType(d, "AWS::Lambda::Function") {
		add("function "+id, "lambda", "get_function_configuration", map[string]any{"FunctionName": d.PhysicalID(id)})
		add("code "+id, "lambda", "get_function", map[string]any{"FunctionName": d.PhysicalID(id)})
		if permitted[id] {
			add("policy "+id, "lambda", "get_policy", map[string]any{"FunctionName": d.PhysicalID(id)})
		}
	}
	// API Gateway invokes the functions' aliases: the permissions are the aliases'. Ref of an alias,
	// its physical ID, is its ARN.
	for id := range resourcesOfType(d, "AWS::Lambda::Alias") {
		l.attrs[id] = map[string]string{"Arn": d.PhysicalID(id)}
		if permitted[id] {
			add("policy "+id, "lambda", "get_policy", map[string]any{"FunctionName": d.PhysicalID(id)})
		}
	}
	roles := resourcesOfType(d, "AWS::IAM::Role")
	for id := range roles {
		add("role "+id, "iam", "get_role", map[string]any{"RoleName": d.PhysicalID(id)})
		add("role policies "+id, "iam", "list_role_policies", map[string]any{"RoleName": d.PhysicalID(id)})
	}
	add("logs -", "logs", "describe_log_groups", map[string]any{"limit": 50})
	if err := d.AWS.Do(t.Context(), calls...); err != nil {
		t.Fatalf("read the stack's resources from moto: %v", err)
	}
	l.account = identity.Account

	for key, out := range outs {
		kind, id, _ := strings.Cut(key, " ")
		switch v := *out; kind {
		case "table":
			table, _ := v["Table"].(map[string]any)
			l.tables[id] = table
			l.attrs[id] = map[string]string{"Arn": fmt.Sprint(table["TableArn"])}
		case "function":
			l.functions[id] = v
			l.attrs[id] = map[string]string{"Arn": fmt.Sprint(v["FunctionArn"])}
		case "code":
			l.code[id], _ = v["Code"].(map[string]any)
		case "policy":
			for _, s := range dig(v, "Policy", "Statement").([]any) {
				stmt, _ := s.(map[string]any)
				l.policies[id] = append(l.policies[id], stmt)
			}
		case "role":
			role, _ := v["Role"].(map[string]any)
			l.roles[id] = role
			l.attrs[id] = map[string]string{"Arn": fmt.Sprint(role["Arn"]), "RoleId": fmt.Sprint(role["RoleId"])}
		case "logs":
			for _, g := range v["logGroups"].([]any) {
				group, _ := g.(map[string]any)
				l.logGroups[fmt.Sprint(group["logGroupName"])] = group
			}
		}
	}

	// The inline policies' documents, now that their names are known.
	calls = nil
	docs := map[string]*map[string]any{}
	for id := range roles {
		l.inline[id] = map[string]any{}
		names, _ := (*outs["role policies "+id])["PolicyNames"].([]any)
		for _, n := range names {
			name := fmt.Sprint(n)
			out := map[string]any{}
			docs[id+" "+name] = &out
			calls = append(calls, localdeploy.Call{Service: "iam", Op: "get_role_policy", Out: &out,
				Params: map[string]any{"RoleName": d.PhysicalID(id), "PolicyName": name}})
		}
	}
	if err := d.AWS.Do(t.Context(), calls...); err != nil {
		t.Fatalf("read the roles' inline policies from moto: %v", err)
	}
	for key, out := range docs {
		id, name, _ := strings.Cut(key, " ")
		l.inline[id][name] = (*out)["PolicyDocument"]
	}
	return l
}

// checkProperties sorts a resource's template properties into those compared on moto and those
// checked in the translated template, failing on any other: a property the template gains is noticed.
func checkProperties(t *testing.T, id string, props map[string]any, onMoto, static []string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if !slices.Contains(onMoto, k) && !slices.Contains(static, k) {
			t.Errorf("%s sets %s, which this test checks neither on moto nor in the translated template", id, k)
		}
	}
}

func testDeployTable(t *testing.T, d *localdeploy.Deployment, l *live, r *resolver) {
	tables := resourcesOfType(d, "AWS::DynamoDB::Table")
	if len(tables) == 0 {
		t.Fatal("the translated template has no AWS::DynamoDB::Table")
	}
	for id, props := range tables {
		checkProperties(t, id, props,
			[]string{"AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode", "DeletionProtectionEnabled"},
			[]string{"TimeToLiveSpecification", "PointInTimeRecoverySpecification", "SSESpecification"})
		got := l.tables[id]
		if got["TableName"] != d.PhysicalID(id) || got["TableStatus"] != "ACTIVE" {
			t.Errorf("%s: table %v is %v, want %s ACTIVE", id, got["TableName"], got["TableStatus"], d.PhysicalID(id))
		}
		for _, k := range []string{"AttributeDefinitions", "KeySchema"} {
			for _, m := range mismatches(id+"."+k, r.resolve(props[k]), got[k]) {
				t.Error(m)
			}
		}
		wantIndexes, _ := props["GlobalSecondaryIndexes"].([]any)
		gotIndexes, _ := got["GlobalSecondaryIndexes"].([]any)
		if len(gotIndexes) != len(wantIndexes) {
			t.Errorf("%s: %d global secondary indexes, want %d", id, len(gotIndexes), len(wantIndexes))
		}
		for _, w := range wantIndexes {
			name := dig(w, "IndexName")
			i := slices.IndexFunc(gotIndexes, func(g any) bool { return dig(g, "IndexName") == name })
			if i < 0 {
				t.Errorf("%s: no index %v", id, name)
				continue
			}
			for _, k := range []string{"KeySchema", "Projection"} {
				for _, m := range mismatches(fmt.Sprintf("%s.%v.%s", id, name, k), r.resolve(dig(w, k)), dig(gotIndexes[i], k)) {
					t.Error(m)
				}
			}
		}
		if want, got := r.resolve(props["BillingMode"]), dig(got, "BillingModeSummary", "BillingMode"); want != got {
			t.Errorf("%s: billing mode %v, want %v", id, got, want)
		}
		if want, got := r.resolve(props["DeletionProtectionEnabled"]), got["DeletionProtectionEnabled"]; want != got {
			t.Errorf("%s: deletion protection %v, want %v (TableDeletionProtection=%s)", id, got, want, d.Parameters["TableDeletionProtection"])
		}
	}
}

func testDeployRoles(t *testing.T, d *localdeploy.Deployment, l *live, r *resolver) {
	roles := resourcesOfType(d, "AWS::IAM::Role")
	if len(roles) == 0 {
		t.Fatal("the translated template has no AWS::IAM::Role")
	}
	for _, id := range slices.Sorted(maps.Keys(roles)) {
		props := roles[id]
		// moto attaches no AWS managed policy: ManagedPolicyArns is checked in the translated template.
		checkProperties(t, id, props, []string{"AssumeRolePolicyDocument", "Policies"}, []string{"ManagedPolicyArns", "Tags"})
		for _, m := range mismatches(id+".AssumeRolePolicyDocument", r.resolve(props["AssumeRolePolicyDocument"]), l.roles[id]["AssumeRolePolicyDocument"]) {
			t.Error(m)
		}
		want := map[string]any{}
		policies, _ := props["Policies"].([]any)
		for _, p := range policies {
			want[fmt.Sprint(dig(p, "PolicyName"))] = r.resolve(dig(p, "PolicyDocument"))
		}
		for _, m := range mismatches(id+".Policies", want, l.inline[id]) {
			t.Error(m)
		}
		// Every ARN is whole: the region and account of the stack, no intrinsic left.
		for name, doc := range l.inline[id] {
			statements, _ := dig(doc, "Statement").([]any)
			for _, s := range statements {
				for _, res := range stringList(dig(s, "Resource")) {
					if (res != "*" && !strings.HasPrefix(res, "arn:aws:")) || strings.ContainsAny(res, "${}") {
						t.Errorf("%s %s statement %v: resource %q is not a resolved ARN", id, name, dig(s, "Sid"), res)
					}
				}
			}
		}
	}
}

// onLambda are the function properties GetFunctionConfiguration reports as the template sets them.
var onLambda = []string{"Description", "Environment", "Handler", "MemorySize", "Role", "Runtime", "Timeout"}

func testDeployFunctions(t *testing.T, d *localdeploy.Deployment, l *live, r *resolver) {
	fns := resourcesOfType(d, "AWS::Lambda::Function")
	var ids []string
	for _, fn := range functions {
		ids = append(ids, fn.LogicalID)
	}
	if got := slices.Sorted(maps.Keys(fns)); !slices.Equal(got, slices.Sorted(slices.Values(ids))) {
		t.Errorf("translated functions %v, the functions table lists %v", got, ids)
	}
	for _, id := range slices.Sorted(maps.Keys(fns)) {
		props := fns[id]
		// Code: the zip (CodeSha256 here, the bootstrap in the RIE test); Architectures: moto reports
		// x86_64 whatever the template says.
		checkProperties(t, id, props, onLambda, []string{"Architectures", "Code", "LoggingConfig", "Tags"})
		for _, k := range onLambda {
			for _, m := range mismatches(id+"."+k, r.resolve(props[k]), l.functions[id][k]) {
				t.Error(m)
			}
		}
		if got, want := l.functions[id]["CodeSha256"], d.Artifacts[id].SHA256; got != want {
			t.Errorf("%s: CodeSha256 %v, want %s (the zip built and uploaded)", id, got, want)
		}
	}
}

func testDeployPermissions(t *testing.T, d *localdeploy.Deployment, l *live, r *resolver) {
	type permission struct{ id, action, principal, sourceARN string }
	want := map[string][]permission{} // function logical ID -> permissions
	for id, p := range resourcesOfType(d, "AWS::Lambda::Permission") {
		checkProperties(t, id, p, []string{"Action", "FunctionName", "Principal", "SourceArn"}, nil)
		fn := localdeploy.References(p["FunctionName"])
		if len(fn) != 1 {
			t.Errorf("%s: FunctionName %v names %d functions", id, p["FunctionName"], len(fn))
			continue
		}
		want[fn[0]] = append(want[fn[0]], permission{id, fmt.Sprint(p["Action"]), fmt.Sprint(p["Principal"]), fmt.Sprint(r.resolve(p["SourceArn"]))})
	}
	total := 0
	for _, fn := range slices.Sorted(maps.Keys(want)) {
		statements := slices.Clone(l.policies[fn])
		arn := l.attrs[fn]["Arn"]
		for _, p := range want[fn] {
			// moto files a permission on an alias under its function, with the function's ARN as
			// Resource and the alias's in the FunctionName it was given; Lambda's Resource is the alias's.
			i := slices.IndexFunc(statements, func(s map[string]any) bool {
				return s["Effect"] == "Allow" && s["Action"] == p.action && dig(s, "Principal", "Service") == p.principal &&
					(s["Resource"] == arn || s["FunctionName"] == arn) && matchesResolved(p.sourceARN, fmt.Sprint(dig(s, "Condition", "ArnLike", "AWS:SourceArn")))
			})
			if i < 0 {
				t.Errorf("%s: %s has no statement allowing %s %s from %s", p.id, fn, p.principal, p.action, strings.ReplaceAll(p.sourceARN, skipMark, "<skipped>"))
				continue
			}
			statements = slices.Delete(statements, i, i+1)
			total++
		}
		for _, s := range statements {
			t.Errorf("%s's policy allows %v, which no permission of the template gives", fn, s)
		}
	}
	t.Logf("%d Lambda permissions on %d functions", total, len(want))
}

func testDeployLogGroups(t *testing.T, d *localdeploy.Deployment, l *live, r *resolver) {
	groups := map[string]bool{}
	for id, props := range resourcesOfType(d, "AWS::Logs::LogGroup") {
		checkProperties(t, id, props, []string{"LogGroupName", "RetentionInDays"}, nil)
		name := fmt.Sprint(r.resolve(props["LogGroupName"]))
		groups[name] = true
		g, ok := l.logGroups[name]
		if !ok {
			t.Errorf("%s: no log group %s", id, name)
			continue
		}
		// A Number parameter's Ref is text; the service answers a number.
		if got, want := g["retentionInDays"], r.resolve(props["RetentionInDays"]); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: retention %v days, want %v", id, got, want)
		}
	}
	// Lambda writes to /aws/lambda/<function name>: each function's logs must go to a group the stack
	// keeps for a limited time, not to one Lambda would create without a retention.
	for id := range resourcesOfType(d, "AWS::Lambda::Function") {
		if name := "/aws/lambda/" + d.PhysicalID(id); !groups[name] {
			t.Errorf("%s: the stack has no log group %s", id, name)
		}
	}
	for name := range l.logGroups {
		if !groups[name] {
			t.Errorf("log group %s, which the template does not create", name)
		}
	}
}
