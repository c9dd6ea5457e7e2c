package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/global"

	"mfagateway/shared/config"
	"mfagateway/shared/testenv"
)

// samEnvFile is the functions' environment under sam local (samconfig.toml's env_vars, SAM's
// --env-vars). It lives beside the sample events but is none.
const samEnvFile = "env.json"

// samCommands are the samconfig.toml sections of the sam local commands that run the functions.
var samCommands = []string{"local_invoke", "local_start_api"}

// samFunction is one function of template.yaml as SAM CLI sees it after merging the Globals.
type samFunction struct {
	LogicalID       string
	Memory, Timeout int
	Handler         string
	// Variables are the declared environment variables, values as the template writes them
	// (intrinsics as goformation encodes them).
	Variables map[string]string
}

func samFunctions(t *testing.T, tpl *cloudformation.Template) []samFunction {
	t.Helper()
	globals, _ := tpl.Globals["Function"].(*global.Function)
	if globals == nil {
		globals = &global.Function{}
	}
	var out []samFunction
	for _, id := range slices.Sorted(maps.Keys(tpl.GetAllServerlessFunctionResources())) {
		fn := tpl.GetAllServerlessFunctionResources()[id]
		f := samFunction{LogicalID: id, Variables: effective(fn, globals).env, Handler: first(fn.Handler, globals.Handler),
			Memory: 128, Timeout: 3} // Lambda's defaults
		for _, n := range []struct{ dst, fn, global *int }{{&f.Memory, fn.MemorySize, globals.MemorySize}, {&f.Timeout, fn.Timeout, globals.Timeout}} {
			switch {
			case n.fn != nil:
				*n.dst = *n.fn
			case n.global != nil:
				*n.dst = *n.global
			}
		}
		out = append(out, f)
	}
	return out
}

// samPseudoParameters are SAM CLI's values of the pseudo parameters (samcli's IntrinsicsSymbolTable),
// on a machine whose shell sets no AWS_REGION.
var samPseudoParameters = map[string]string{
	"AWS::AccountId": "123456789012",
	"AWS::Partition": "aws",
	"AWS::Region":    "us-east-1",
	"AWS::StackName": "local",
	"AWS::StackId":   "arn:aws:cloudformation:us-east-1:123456789012:stack/local/51af3dc0-da77-11e4-872e-1234567db123",
	"AWS::URLSuffix": "localhost",
}

// samResolver resolves the intrinsics of a function's environment as SAM CLI does before a local run:
// a Parameter is its value from parameter_overrides, else its Default; a resource's Ref is its logical
// ID, its Arn an ARN made of that ID; Fn::Sub substitutes each of those. Every other intrinsic stays
// an object, which SAM hands the function as "".
type samResolver struct {
	parameters map[string]string // pseudo parameters, Defaults, then overrides
	defaults   map[string]any    // the Parameters' Default, where they have one
	resources  map[string]bool
	// unset names each Parameter that has neither a value nor a Default: SAM hands its Ref the
	// Parameter's own name, which no function can use.
	unset map[string]bool
}

func newSAMResolver(tpl *cloudformation.Template, overrides map[string]string) *samResolver {
	r := &samResolver{parameters: maps.Clone(samPseudoParameters), defaults: map[string]any{}, resources: map[string]bool{}, unset: map[string]bool{}}
	for name, p := range tpl.Parameters {
		if p.Default != nil {
			r.defaults[name] = p.Default
			r.parameters[name] = fmt.Sprint(p.Default)
		}
	}
	maps.Copy(r.parameters, overrides)
	for name := range tpl.Resources {
		r.resources[name] = true
	}
	return r
}

// ref resolves a Ref (samcli's resolve_symbols): an empty value given to a Parameter falls back to its
// Default, as SAM's lookup treats "" as not found.
func (r *samResolver) ref(name string) string {
	if v := r.parameters[name]; v != "" {
		return v
	}
	if d, ok := r.defaults[name]; ok {
		return fmt.Sprint(d)
	}
	if !r.resources[name] && !strings.HasPrefix(name, "AWS::") {
		r.unset[name] = true
	}
	return name
}

func (r *samResolver) getAtt(resource, attribute string) (string, bool) {
	if attribute == "Ref" {
		return r.ref(resource), true
	}
	if attribute != "Arn" {
		return "", false
	}
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r.ref("AWS::Region"), r.ref("AWS::AccountId"), resource), true
}

var samSubVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

// value is what SAM makes of a template value: a literal as written, an intrinsic resolved, or "".
func (r *samResolver) value(v string) string {
	fn := decodeIntrinsic(v)
	if fn == nil {
		return v
	}
	switch {
	case fn["Ref"] != nil:
		name, _ := fn["Ref"].(string)
		return r.ref(name)
	case fn["Fn::GetAtt"] != nil:
		args, _ := fn["Fn::GetAtt"].([]any)
		if s, ok := fn["Fn::GetAtt"].(string); ok { // the short form, "Resource.Attribute"
			resource, attribute, _ := strings.Cut(s, ".")
			args = []any{resource, attribute}
		}
		if len(args) == 2 {
			resource, _ := args[0].(string)
			attribute, _ := args[1].(string)
			if s, ok := r.getAtt(resource, attribute); ok {
				return s
			}
		}
	case fn["Fn::Sub"] != nil:
		if s, ok := fn["Fn::Sub"].(string); ok {
			return samSubVariable.ReplaceAllStringFunc(s, func(m string) string {
				name := m[2 : len(m)-1]
				if resource, attribute, ok := strings.Cut(name, "."); ok {
					if s, ok := r.getAtt(resource, attribute); ok {
						return s
					}
					return "$" + name // SAM's placeholder for what it cannot resolve inside a Sub
				}
				return r.ref(name)
			})
		}
	}
	return ""
}

// samEnvValue is an --env-vars value as SAM passes it on: objects, lists and null become "", booleans
// true and false. A number would be Python's spelling of it; events/env.json writes strings instead.
func samEnvValue(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case float64:
		return "", fmt.Errorf("the number %s: write it as a string", raw)
	}
	return "", nil
}

// samEnvVars is an --env-vars file: "Parameters" for every function, a logical ID for one function.
type samEnvVars map[string]map[string]json.RawMessage

func readSAMEnvVars(t *testing.T, raw []byte) samEnvVars {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatalf("events/%s: %v", samEnvFile, err)
	}
	out := samEnvVars{}
	for key, v := range top {
		var vars map[string]json.RawMessage
		if err := json.Unmarshal(v, &vars); err != nil || vars == nil {
			t.Fatalf("events/%s: %q is not an object of variables, which SAM refuses (%v)", samEnvFile, key, err)
		}
		out[key] = vars
	}
	return out
}

// samEnvironment is the environment SAM CLI gives fn's container (samcli's EnvironmentVariables):
// its AWS_* variables, then each variable the function declares, with the value the template gives
// it, replaced by the shell's value of the same name, replaced by the --env-vars file's ("Parameters"
// first, the function's own entry over it). A variable the function does not declare is not passed,
// whatever the file says. The AWS credentials are SAM's placeholders, as on a machine without any.
func samEnvironment(t *testing.T, fn samFunction, r *samResolver, file samEnvVars, shell map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{
		"AWS_SAM_LOCAL":                   "true",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.Memory),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(fn.Timeout),
		"AWS_LAMBDA_FUNCTION_HANDLER":     fn.Handler,
		"AWS_LAMBDA_FUNCTION_NAME":        fn.LogicalID,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "aws/lambda/" + fn.LogicalID,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "$LATEST",
		"AWS_REGION":                      "us-east-1",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"AWS_ACCESS_KEY_ID":               "defaultkey",
		"AWS_SECRET_ACCESS_KEY":           "defaultsecret",
		"AWS_ACCOUNT_ID":                  "123456789012",
	}
	overrides := maps.Clone(file["Parameters"])
	if overrides == nil {
		overrides = map[string]json.RawMessage{}
	}
	maps.Copy(overrides, file[fn.LogicalID])
	for name, v := range fn.Variables {
		value := r.value(v)
		if s, ok := shell[name]; ok {
			value = s
		}
		if raw, ok := overrides[name]; ok {
			s, err := samEnvValue(raw)
			if err != nil {
				t.Fatalf("events/%s: %s: %v", samEnvFile, name, err)
			}
			value = s
		}
		env[name] = value
	}
	return env
}

// samConfig is samconfig.toml: its tables by name ("default.local_invoke.parameters"), each key's
// value a string, bool, int64, float64 or []string.
type samConfig map[string]map[string]any

// value is a command's setting as SAM CLI takes it: the command's own table, else the global one.
func (c samConfig) value(command, key string) (any, bool) {
	for _, table := range []string{"default." + command + ".parameters", "default.global.parameters"} {
		if v, ok := c[table][key]; ok {
			return v, true
		}
	}
	return nil, false
}

// parameterOverrides reads a command's parameter_overrides: "Key=Value" items, a list or one string of
// them separated by spaces; a value in double quotes stands for what is inside them.
func (c samConfig) parameterOverrides(t *testing.T, command string) map[string]string {
	t.Helper()
	v, ok := c.value(command, "parameter_overrides")
	if !ok {
		return nil
	}
	var items []string
	switch v := v.(type) {
	case []string:
		items = v
	case string:
		items = strings.Fields(v)
	default:
		t.Fatalf("samconfig.toml: %s parameter_overrides is %T, want a list of Key=Value", command, v)
	}
	out := map[string]string{}
	for _, item := range items {
		key, value, ok := strings.Cut(item, "=")
		if !ok || key == "" {
			t.Fatalf("samconfig.toml: %s parameter_overrides item %q is not Key=Value", command, item)
		}
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		out[key] = value
	}
	return out
}

// readSAMConfig reads samconfig.toml: the TOML it is written in (tables, key = value, strings, booleans,
// numbers, lists of strings over several lines, comments). Anything else fails, so that this reading
// never silently differs from SAM CLI's.
func readSAMConfig(t *testing.T) samConfig {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := samConfig{"": {}}
	table := ""
	lines := strings.Split(string(raw), "\n")
	for i := 0; i < len(lines); i++ {
		where := fmt.Sprintf("samconfig.toml:%d", i+1)
		line := strings.TrimSpace(withoutTOMLComment(lines[i]))
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "["):
			if strings.HasPrefix(line, "[[") || !strings.HasSuffix(line, "]") {
				t.Fatalf("%s: %q is not a [table] header", where, line)
			}
			table = strings.TrimSpace(line[1 : len(line)-1])
			if _, dup := cfg[table]; dup {
				t.Fatalf("%s: table [%s] twice", where, table)
			}
			cfg[table] = map[string]any{}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not key = value", where, line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if strings.HasPrefix(value, "[") {
			for !strings.HasSuffix(value, "]") && i+1 < len(lines) {
				i++
				value += " " + strings.TrimSpace(withoutTOMLComment(lines[i]))
			}
		}
		v, err := tomlValue(value)
		if err != nil {
			t.Fatalf("%s: %s: %v", where, key, err)
		}
		if _, dup := cfg[table][key]; dup {
			t.Fatalf("%s: %s set twice in [%s]", where, key, table)
		}
		cfg[table][key] = v
	}
	return cfg
}

// withoutTOMLComment cuts a line at a # outside a string.
func withoutTOMLComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case quote != 0 && c == '\\' && quote == '"':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == '#':
			return line[:i]
		}
	}
	return line
}

func tomlValue(s string) (any, error) {
	switch {
	case s == "true" || s == "false":
		return s == "true", nil
	case strings.HasPrefix(s, `"`):
		return tomlString(s)
	case strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'") && len(s) >= 2:
		return s[1 : len(s)-1], nil
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]"):
		var items []string
		rest := strings.TrimSpace(s[1 : len(s)-1])
		for rest != "" {
			end := tomlStringEnd(rest)
			if end < 0 {
				return nil, fmt.Errorf("list %s: only strings are read here", s)
			}
			item, err := tomlString(rest[:end])
			if err != nil {
				return nil, err
			}
			items = append(items, item)
			rest = strings.TrimSpace(rest[end:])
			if rest != "" && !strings.HasPrefix(rest, ",") {
				return nil, fmt.Errorf("list %s: want a comma after %q", s, item)
			}
			rest = strings.TrimSpace(strings.TrimPrefix(rest, ","))
		}
		return items, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	return nil, fmt.Errorf("value %q is not read here (strings, booleans, numbers and lists of strings are)", s)
}

// tomlStringEnd is the length of the double-quoted string s starts with, or -1.
func tomlStringEnd(s string) int {
	if !strings.HasPrefix(s, `"`) {
		return -1
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// tomlString reads a TOML basic string, whose escapes (\" \\ \n \t \uXXXX) Go's quoting shares.
func tomlString(s string) (string, error) {
	if tomlStringEnd(s) != len(s) {
		return "", fmt.Errorf("%s is not one double-quoted string", s)
	}
	return strconv.Unquote(s)
}

// samLocal is what sam local runs for one command of samconfig.toml: the settings, and each
// function's environment.
type samLocal struct {
	command   string
	envVars   samEnvVars
	functions []samFunction
	env       map[string]map[string]string // logical ID -> environment
	unset     []string                     // Parameters SAM would hand the functions by their own names
}

// resolveSAMLocal reproduces, for a samconfig.toml command, the environment SAM CLI gives each
// function from template.yaml, the command's parameter_overrides and its env_vars file, from a shell
// that sets none of the variables the template declares.
func resolveSAMLocal(t *testing.T, command string) samLocal {
	t.Helper()
	tpl := openTemplate(t, nil)
	cfg := readSAMConfig(t)
	file, _ := cfg.value(command, "env_vars")
	if file != "events/"+samEnvFile {
		t.Fatalf("samconfig.toml: %s env_vars = %v, want \"events/%s\"", command, file, samEnvFile)
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot, "events", samEnvFile))
	if err != nil {
		t.Fatal(err)
	}
	s := samLocal{command: command, envVars: readSAMEnvVars(t, raw), functions: samFunctions(t, tpl), env: map[string]map[string]string{}}
	r := newSAMResolver(tpl, cfg.parameterOverrides(t, command))
	for _, fn := range s.functions {
		s.env[fn.LogicalID] = samEnvironment(t, fn, r, s.envVars, nil)
	}
	s.unset = slices.Sorted(maps.Keys(r.unset))
	return s
}

// environ is fn's environment as a process's.
func (s samLocal) environ(logicalID string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(s.env[logicalID])) {
		out = append(out, k+"="+s.env[logicalID][k])
	}
	return out
}

// TestSAMLocalEnvironment holds what sam local invoke and sam local start-api give the functions, as
// SAM CLI resolves it from template.yaml, samconfig.toml and events/env.json, to what makes them work
// against make run's DynamoDB endpoint and nothing else: every variable env.json sets is one the
// template declares (SAM drops the others without a word), no Parameter is left to SAM's fallback of
// its own name, AWS_ENDPOINT_URL names a loopback endpoint in every function (so no call reaches AWS
// with this machine's credentials), the server secret is env.json's and no Secrets Manager ARN, and
// every function's settings load; a missing or wrong one fails naming the variable.
func TestSAMLocalEnvironment(t *testing.T) {
	cfg := readSAMConfig(t)
	var reference samLocal // the first command's, which the others must equal
	for _, command := range samCommands {
		t.Run(command, func(t *testing.T) {
			if v, _ := cfg.value(command, "docker_network"); v != "host" {
				t.Errorf("samconfig.toml: %s docker_network = %v, want host (the container reaches make run on 127.0.0.1)", command, v)
			}
			s := resolveSAMLocal(t, command)
			for _, p := range s.unset {
				t.Errorf("Parameter %s has no Default and no parameter_overrides value for %s: SAM would hand the functions the string %q", p, command, p)
			}
			for key, vars := range s.envVars {
				for name := range vars {
					declared := slices.ContainsFunc(s.functions, func(fn samFunction) bool {
						_, ok := fn.Variables[name]
						return ok && (key == "Parameters" || key == fn.LogicalID)
					})
					if !declared {
						t.Errorf("events/%s sets %s under %q, but template.yaml declares it for no function there: SAM drops it", samEnvFile, name, key)
					}
				}
			}
			endpoint := s.envVars["Parameters"]["AWS_ENDPOINT_URL"]
			for _, fn := range s.functions {
				env := s.env[fn.LogicalID]
				if u, err := url.Parse(env["AWS_ENDPOINT_URL"]); err != nil || u.Scheme != "http" || !isLoopback(u.Hostname()) {
					t.Errorf("%s: AWS_ENDPOINT_URL = %q (events/%s: %s), want a loopback http:// endpoint, so that no call reaches AWS",
						fn.LogicalID, env["AWS_ENDPOINT_URL"], samEnvFile, endpoint)
				}
				if v, ok := env["CODE_HMAC_SECRET_ARN"]; ok && v != "" {
					t.Errorf("%s: CODE_HMAC_SECRET_ARN = %q, want empty: there is no Secrets Manager locally", fn.LogicalID, v)
				}
				need := config.Need{Table: true, Secret: true}
				_, need.SESSender = fn.Variables["SES_SENDER"]
				if _, err := config.Load(func(k string) string { return env[k] }, need); err != nil {
					t.Errorf("%s under sam %s: %v", fn.LogicalID, strings.ReplaceAll(command, "_", " "), err)
				}
			}
			if reference.env == nil {
				reference = s
			} else if !maps.EqualFunc(reference.env, s.env, maps.Equal) {
				t.Errorf("%s gives the functions another environment than %s", command, reference.command)
			}
		})
	}
	if port, _ := cfg.value("local_start_api", "port"); port == nil || port == int64(3000) {
		t.Errorf("samconfig.toml: local_start_api port = %v, want one other than make run's 3000", port)
	}
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// TestSAMEnvironmentRules holds this file's reproduction of SAM CLI to the rules it reproduces, on a
// template of its own: a resource's Ref is its logical ID, a Parameter its override or Default, a
// Parameter with neither is reported, an intrinsic SAM leaves unresolved is "", the env_vars file's
// "Parameters" apply to every function and a function's own entry over them, the shell's value sits
// between the template's and the file's, and only declared variables are passed at all.
func TestSAMEnvironmentRules(t *testing.T) {
	tpl := &cloudformation.Template{
		Parameters: cloudformation.Parameters{
			"Level":  {Type: "String", Default: "INFO"},
			"Sender": {Type: "String"},
			"Empty":  {Type: "String", Default: ""},
		},
		Resources: cloudformation.Resources{"Table": nil, "Fn": nil},
	}
	r := newSAMResolver(tpl, map[string]string{"Level": "DEBUG", "Empty": ""})
	fn := samFunction{LogicalID: "Fn", Memory: 512, Timeout: 10, Handler: "bootstrap", Variables: map[string]string{
		"TABLE":     cloudformation.Ref("Table"),
		"LEVEL":     cloudformation.Ref("Level"),
		"EMPTY":     cloudformation.Ref("Empty"),
		"SENDER":    cloudformation.Ref("Sender"),
		"ARN":       cloudformation.GetAtt("Table", "Arn"),
		"SUB":       cloudformation.Sub("${AWS::Region}/${Table}"),
		"UNKNOWN":   cloudformation.ImportValue("Elsewhere"),
		"PLAIN":     "as written",
		"FROM_FILE": "template",
		"OWN":       "template",
		"SHELL":     "template",
	}}
	file := readSAMEnvVars(t, []byte(`{"Parameters": {"FROM_FILE": "file", "OWN": "file", "UNDECLARED": "x", "SHELL": "file"},
		"Fn": {"OWN": "own", "FLAG": true}, "Other": {"PLAIN": "not for Fn"}}`))
	fn.Variables["FLAG"] = ""
	got := samEnvironment(t, fn, r, file, map[string]string{"SHELL": "shell", "PLAIN": "shell", "UNDECLARED": "shell"})
	want := map[string]string{
		"TABLE": "Table", "LEVEL": "DEBUG", "EMPTY": "", "SENDER": "Sender",
		"ARN": "arn:aws:lambda:us-east-1:123456789012:function:Table", "SUB": "us-east-1/Table", "UNKNOWN": "",
		"PLAIN": "shell", "FROM_FILE": "file", "OWN": "own", "SHELL": "file", "FLAG": "true",
		"AWS_LAMBDA_FUNCTION_NAME": "Fn", "AWS_LAMBDA_FUNCTION_TIMEOUT": "10", "AWS_ACCESS_KEY_ID": "defaultkey",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["UNDECLARED"]; ok {
		t.Error("a variable the function does not declare was passed")
	}
	if !r.unset["Sender"] || len(r.unset) != 1 {
		t.Errorf("unset Parameters %v, want [Sender]", slices.Sorted(maps.Keys(r.unset)))
	}
}

// containerEnv is what the Lambda image adds to SAM's environment that the functions could read: its
// PATH, and a home without AWS configuration (no ~/.aws inside the container).
func containerEnv(t *testing.T) []string {
	return []string{"PATH=/usr/local/bin:/usr/bin/:/bin", "HOME=" + t.TempDir()}
}

// TestSAMLocalInvoke runs what `sam local invoke FUNCTION -e events/FILE` runs: each built bootstrap
// under the Lambda Runtime Interface Emulator with exactly the environment SAM CLI gives it from
// template.yaml, samconfig.toml's local_invoke and events/env.json (TestSAMLocalEnvironment's
// reproduction), and nothing of this machine's. The one change is the endpoint: moto, seeded with the
// demo seed as make run's engine is, instead of make run's 127.0.0.1:8000, so that the SMS and email
// the events send have somewhere to go. Every file of events/ then answers as events/README.md says.
func TestSAMLocalInvoke(t *testing.T) {
	rie := rieBinary(t)
	testenv.RequireTool(t, "moto_server", "local DynamoDB, SNS and SES")
	s := resolveSAMLocal(t, "local_invoke")
	table := s.env["LoginFunction"]["TABLE_NAME"]
	b := startBackendWith(t, table)
	for id, env := range s.env {
		if env["TABLE_NAME"] != table {
			t.Fatalf("%s: TABLE_NAME %q, LoginFunction's %q: one table for every function", id, env["TABLE_NAME"], table)
		}
		env["AWS_ENDPOINT_URL"] = b.moto.URL
	}
	g := &gateway{backend: b, functions: map[string]*lambdaFunction{}}
	for _, fn := range s.functions {
		environ := append(s.environ(fn.LogicalID), containerEnv(t)...)
		bootstrap := build(t, fn.LogicalID)
		configuredStart(t, fn.LogicalID, bootstrap, environ)
		g.functions[fn.LogicalID] = runFunction(t, rie, fn.LogicalID, bootstrap, environ)
	}
	t.Run("events", func(t *testing.T) { testEvents(t, g) })

	// Were CODE_HMAC_SECRET not declared, SAM would drop env.json's value, and the functions that make
	// codes would stop at start naming it.
	t.Run("an undeclared secret stops the start", func(t *testing.T) {
		var env []string
		for _, kv := range s.environ("LoginFunction") {
			if !strings.HasPrefix(kv, "CODE_HMAC_SECRET=") {
				env = append(env, kv)
			}
		}
		refusedStart(t, build(t, "LoginFunction"), env, "CODE_HMAC_SECRET")
	})
}

// configuredStart runs bootstrap with environ outside the RIE, where it stops for want of the Lambda
// Runtime API once its settings are loaded: a setting it refuses fails the test naming the function
// and the variable, which under the RIE would only be a failed invoke.
func configuredStart(t *testing.T, logicalID, bootstrap string, environ []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bootstrap)
	cmd.Env = environ
	out, _ := cmd.CombinedOutput() // it exits with an error either way
	for _, line := range bytes.Split(out, []byte("\n")) {
		var l struct{ Level, Msg, Error string }
		if json.Unmarshal(line, &l) == nil && l.Level == "ERROR" {
			t.Fatalf("%s refuses the environment sam local invoke gives it: %s: %s", logicalID, l.Msg, l.Error)
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("%s did not stop outside Lambda within 30 s:\n%s", logicalID, out)
	}
}

// TestSAMLocalAgainstMakeRun is sam local invoke with make run beside it, as the README has them: the
// local server (built from cmd/localapi) serves its embedded engine on a free port (make run's
// 127.0.0.1:8000, moved), and the login and authorizer functions run under the RIE with exactly the
// environment of TestSAMLocalInvoke but that port. A login answered under the RIE leaves a token in the
// local server's table, which its own gateway then accepts: both work on the same data.
func TestSAMLocalAgainstMakeRun(t *testing.T) {
	rie := rieBinary(t)
	goBin := testenv.RequireTool(t, "go", "build the local server")
	s := resolveSAMLocal(t, "local_invoke")
	server := filepath.Join(t.TempDir(), "localapi")
	compile := exec.Command(goBin, "build", "-o", server, "./cmd/localapi")
	compile.Dir, compile.Env = repoRoot, withoutMakeVars()
	if out, err := compile.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/localapi: %v\n%s", err, out)
	}
	gw := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	endpoint := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	p := testenv.Start(t, server, []string{"--addr", gw, "--dynamodb-addr", endpoint}, nil)
	track(p.PID(), "localapi")
	testenv.WaitHTTP(t, p, "http://"+gw+"/_local/outbox", 60*time.Second)

	run := func(id string) *lambdaFunction {
		env := s.env[id]
		env["AWS_ENDPOINT_URL"] = strings.Replace(env["AWS_ENDPOINT_URL"], "127.0.0.1:8000", endpoint, 1)
		if env["AWS_ENDPOINT_URL"] != "http://"+endpoint {
			t.Fatalf("events/%s: AWS_ENDPOINT_URL %q, want make run's http://127.0.0.1:8000", samEnvFile, env["AWS_ENDPOINT_URL"])
		}
		environ := append(s.environ(id), containerEnv(t)...)
		return runFunction(t, rie, id, build(t, id), environ)
	}
	login, authorizer := run("LoginFunction"), run("AuthorizerFunction")

	answer := login.invoke(t, readEvent(t, "login-mfa-off.json"))
	answer.want(t, http.StatusOK, "")
	token := answer.str(t, "token")
	v := authorizer.authorize(t, withAuthToken(readEvent(t, "authorizer-good-token.json"), token))
	if !*v.IsAuthorized || !v.valid() {
		t.Fatalf("the authorizer under the RIE refused the token its login issued: context %v", v.Context)
	}

	req, _ := http.NewRequest(http.MethodGet, "http://"+gw+"/api/auth/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("appId", demoApp)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil || resp.StatusCode != http.StatusOK || me["email"] != "ada@example.com" {
		t.Fatalf("make run's /api/auth/me with the token sam local issued: %d %v (%v), want 200 for ada", resp.StatusCode, me, err)
	}
}
