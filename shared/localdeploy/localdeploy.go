// Package localdeploy is local-only: it deploys template.yaml to moto as sam build and sam deploy
// would deploy it to AWS. Each function is built by its BuildMethod in a copy of the checkout, zipped
// and uploaded to S3; the SAM transform (aws-sam-translator) turns the template into plain
// CloudFormation, and moto's CloudFormation creates the stack. moto checks no parameter constraints, so
// they are checked here first, with CloudFormation's messages.
//
// moto's CloudFormation skips some resource types without an error (Deployment.Skipped); for a skipped
// Secrets Manager secret a stand-in is made, so that the functions find the secret they are given.
package localdeploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options say what to deploy where. Zero values take the defaults named.
type Options struct {
	Root       string            // the checkout: template.yaml, the Makefile (".")
	Template   string            // the SAM template, relative to Root ("template.yaml")
	WorkDir    string            // builds and zips (Root/.aws-sam/deploylocal)
	Stack      string            // the stack's name ("mfa-login-gateway", as samconfig.toml)
	Parameters map[string]string // parameter overrides; the others take their defaults
	Endpoint   string            // moto's URL
	Region     string            // "us-east-1"
	Bucket     string            // the bucket the code goes to ("deploylocal-artifacts")
	Python     Python            // runs the transform and boto3
	Log        io.Writer         // progress and the builds' output (discarded when nil)
}

// Deployment is a created stack and how it came about.
type Deployment struct {
	AWS        AWS
	Stack      string
	StackID    string
	Parameters map[string]string // every parameter's value, given or default
	// Source is the SAM template as parsed; Template is what CloudFormation got: the transform's
	// output, with each function's CodeUri pointing at its uploaded zip.
	Source, Template map[string]any
	Artifacts        map[string]*Artifact // by function logical ID
	Resources        []StackResource      // what the stack created, by logical ID
	// Skipped are the template's resources the stack did not create (logical ID -> type).
	Skipped  map[string]string
	StandIns map[string]StandIn // made here for skipped resources, by logical ID
	Outputs  map[string]string  // the stack's outputs as CloudFormation reports them
	Steps    []Step             // what took how long
}

// StackResource is one resource of the stack as ListStackResources reports it.
type StackResource struct {
	LogicalResourceID  string `json:"LogicalResourceId"`
	PhysicalResourceID string `json:"PhysicalResourceId"`
	ResourceType       string
	ResourceStatus     string
}

// StandIn is what was made in place of a skipped resource: Ref is what !Ref of it would return.
type StandIn struct {
	Type, Ref string
}

// Step is one phase of the deploy and its duration.
type Step struct {
	Name string
	Took time.Duration
}

// Deploy validates the parameters, builds, uploads, transforms and creates the stack.
func Deploy(ctx context.Context, o Options) (*Deployment, error) {
	o = o.withDefaults()
	log := o.Log
	d := &Deployment{
		AWS:       AWS{Endpoint: o.Endpoint, Region: o.Region, Python: o.Python},
		Stack:     o.Stack,
		Artifacts: map[string]*Artifact{},
		Skipped:   map[string]string{},
		StandIns:  map[string]StandIn{},
	}
	step := func(name string, start time.Time) {
		d.Steps = append(d.Steps, Step{name, time.Since(start)})
		fmt.Fprintf(log, "deploylocal: %s (%s)\n", name, time.Since(start).Round(time.Millisecond))
	}

	start := time.Now()
	if err := o.Python.run(ctx, o.Region, map[string]any{"op": "parse", "path": filepath.Join(o.Root, o.Template)}, &d.Source); err != nil {
		return nil, fmt.Errorf("read %s: %w", o.Template, err)
	}
	declared, err := parametersOf(d.Source)
	if err != nil {
		return nil, err
	}
	if d.Parameters, err = resolveParameters(declared, o.Parameters); err != nil {
		return nil, fmt.Errorf("validate parameters: %w", err)
	}
	fns, err := samFunctions(d.Source)
	if err != nil {
		return nil, err
	}
	step("read the template and validate the parameters", start)

	start = time.Now()
	if err := d.buildAll(ctx, o, fns); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	step(fmt.Sprintf("build %d functions", len(fns)), start)

	start = time.Now()
	if err := d.upload(ctx, o.Bucket); err != nil {
		return nil, fmt.Errorf("upload the code: %w", err)
	}
	step(fmt.Sprintf("upload %d zips to s3://%s", len(d.Artifacts), o.Bucket), start)

	start = time.Now()
	packaged := deepCopy(d.Source)
	for id, a := range d.Artifacts {
		props, _ := Dig(packaged, "Resources", id, "Properties").(map[string]any)
		props["CodeUri"] = "s3://" + a.Bucket + "/" + a.Key // as sam package rewrites it
	}
	req := map[string]any{"op": "transform", "template": packaged, "parameters": d.Parameters, "region": o.Region}
	if err := o.Python.run(ctx, o.Region, req, &d.Template); err != nil {
		return nil, fmt.Errorf("SAM transform: %w", err)
	}
	if err := d.checkArchitectures(); err != nil {
		return nil, err
	}
	step("SAM transform", start)

	start = time.Now()
	if err := d.create(ctx); err != nil {
		return nil, err
	}
	step(fmt.Sprintf("create stack %s: %d resources created, %d skipped by moto", d.Stack, len(d.Resources), len(d.Skipped)), start)

	start = time.Now()
	if err := d.makeStandIns(ctx); err != nil {
		return nil, err
	}
	if len(d.StandIns) > 0 {
		step("stand-ins for "+strings.Join(sortedKeys(d.StandIns), ", "), start)
	}
	return d, nil
}

// buildAll builds the functions, as many at once as there are CPUs (samconfig.toml builds in
// parallel too). Each build's output goes to the log in one piece when it is done,
// or into the error when it failed.
func (d *Deployment) buildAll(ctx context.Context, o Options, fns []samFunction) error {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	slots := make(chan struct{}, runtime.NumCPU())
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			var out bytes.Buffer
			a, err := build(ctx, o.Root, o.WorkDir, fn, &out)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err) // with make's output
				return
			}
			_, _ = o.Log.Write(out.Bytes())
			a.Bucket = o.Bucket
			d.Artifacts[fn.LogicalID] = a
			fmt.Fprintf(o.Log, "deploylocal: built %s (%s) in %s\n", fn.LogicalID, a.Arch, a.BuildTime.Round(time.Millisecond))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.Root == "" {
		o.Root = "."
	}
	if o.Template == "" {
		o.Template = "template.yaml"
	}
	if o.WorkDir == "" {
		o.WorkDir = filepath.Join(o.Root, ".aws-sam", "deploylocal")
	}
	if abs, err := filepath.Abs(o.WorkDir); err == nil {
		o.WorkDir = abs
	}
	if o.Stack == "" {
		o.Stack = "mfa-login-gateway"
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Bucket == "" {
		o.Bucket = "deploylocal-artifacts"
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	return o
}

// parametersOf reads the template's Parameters.
func parametersOf(sam map[string]any) (map[string]parameter, error) {
	raw, err := json.Marshal(sam["Parameters"])
	if err != nil {
		return nil, err
	}
	declared := map[string]parameter{}
	if err := json.Unmarshal(raw, &declared); err != nil {
		return nil, fmt.Errorf("template Parameters: %w", err)
	}
	return declared, nil
}

// s3BucketOwned is S3's error code for a bucket that exists and is the caller's already.
const s3BucketOwned = "BucketAlreadyOwnedByYou"

func (d *Deployment) upload(ctx context.Context, bucket string) error {
	err := d.AWS.Do(ctx, Call{Service: "s3", Op: "create_bucket", Params: map[string]any{"Bucket": bucket}})
	var apiErr *APIError
	if err != nil && !(errors.As(err, &apiErr) && apiErr.Code == s3BucketOwned) {
		return err
	}
	var puts []Call
	for _, id := range sortedKeys(d.Artifacts) {
		a := d.Artifacts[id]
		puts = append(puts, Call{Service: "s3", Op: "put_object", Params: map[string]any{"Bucket": bucket, "Key": a.Key, "Body": File(a.Zip)}})
	}
	return d.AWS.Do(ctx, puts...)
}

// checkArchitectures holds each built bootstrap to its function's Architectures: a bootstrap of the
// wrong architecture deploys without a complaint and fails at its first invoke.
func (d *Deployment) checkArchitectures() error {
	for id, a := range d.Artifacts {
		want := "x86_64" // Lambda's default
		if archs, ok := Dig(d.Template, "Resources", id, "Properties", "Architectures").([]any); ok && len(archs) == 1 {
			want, _ = archs[0].(string)
		}
		if a.Arch != want {
			return fmt.Errorf("%s: make build-%s built a %s bootstrap, the function's Architectures say %s", id, id, a.Arch, want)
		}
	}
	return nil
}

// create creates the stack, waits for it and reads back what it created.
func (d *Deployment) create(ctx context.Context) error {
	body, err := json.Marshal(d.Template)
	if err != nil {
		return err
	}
	var params []map[string]any
	for _, name := range sortedKeys(d.Parameters) {
		params = append(params, map[string]any{"ParameterKey": name, "ParameterValue": d.Parameters[name]})
	}
	var created struct {
		StackID string `json:"StackId"`
	}
	err = d.AWS.Do(ctx, Call{Service: "cloudformation", Op: "create_stack", Out: &created, Params: map[string]any{
		"StackName": d.Stack, "TemplateBody": string(body), "Parameters": params,
		"Capabilities": []string{"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"},
	}})
	if err != nil {
		return fmt.Errorf("create stack %s: %w", d.Stack, err)
	}
	d.StackID = created.StackID

	var stacks struct {
		Stacks []struct {
			StackStatus, StackStatusReason string
			Outputs                        []struct{ OutputKey, OutputValue string }
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if err := d.AWS.Do(ctx, Call{Service: "cloudformation", Op: "describe_stacks", Params: map[string]any{"StackName": d.StackID}, Out: &stacks}); err != nil {
			return err
		}
		if len(stacks.Stacks) != 1 {
			return fmt.Errorf("describe stack %s: %d stacks", d.Stack, len(stacks.Stacks))
		}
		s := stacks.Stacks[0]
		if !strings.HasSuffix(s.StackStatus, "_IN_PROGRESS") {
			if s.StackStatus != "CREATE_COMPLETE" {
				return fmt.Errorf("stack %s: %s: %s", d.Stack, s.StackStatus, s.StackStatusReason)
			}
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stack %s still %s after 2 minutes", d.Stack, s.StackStatus)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	d.Outputs = map[string]string{}
	for _, o := range stacks.Stacks[0].Outputs {
		d.Outputs[o.OutputKey] = o.OutputValue
	}

	var page struct {
		StackResourceSummaries []StackResource
		NextToken              string
	}
	for params := map[string]any{"StackName": d.StackID}; ; {
		page.NextToken = ""
		if err := d.AWS.Do(ctx, Call{Service: "cloudformation", Op: "list_stack_resources", Params: params, Out: &page}); err != nil {
			return err
		}
		for _, r := range page.StackResourceSummaries {
			// moto lists each resource it skipped as an entry without a logical ID.
			if r.LogicalResourceID != "" {
				d.Resources = append(d.Resources, r)
			}
		}
		if page.NextToken == "" {
			break
		}
		params["NextToken"] = page.NextToken
	}
	slices.SortFunc(d.Resources, func(a, b StackResource) int { return strings.Compare(a.LogicalResourceID, b.LogicalResourceID) })
	resources, _ := d.Template["Resources"].(map[string]any)
	for id, r := range resources {
		if !slices.ContainsFunc(d.Resources, func(s StackResource) bool { return s.LogicalResourceID == id }) {
			d.Skipped[id], _ = r.(map[string]any)["Type"].(string)
		}
	}
	return nil
}

// PhysicalID is the physical ID of a created resource ("" when the stack has none).
func (d *Deployment) PhysicalID(logicalID string) string {
	for _, r := range d.Resources {
		if r.LogicalResourceID == logicalID {
			return r.PhysicalResourceID
		}
	}
	return ""
}

// Environment is the function's environment as the stack set it, read back from Lambda. A variable
// moto dropped because its value is !Ref of a skipped resource takes the stand-in's Ref.
func (d *Deployment) Environment(ctx context.Context, logicalID string) (map[string]string, error) {
	var cfg struct {
		Environment struct{ Variables map[string]string }
	}
	if err := d.AWS.Do(ctx, Call{Service: "lambda", Op: "get_function_configuration", Params: map[string]any{"FunctionName": d.PhysicalID(logicalID)}, Out: &cfg}); err != nil {
		return nil, err
	}
	env := maps.Clone(cfg.Environment.Variables)
	if env == nil {
		env = map[string]string{}
	}
	vars, _ := Dig(d.Template, "Resources", logicalID, "Properties", "Environment", "Variables").(map[string]any)
	for name, v := range vars {
		ref, _ := Dig(v, "Ref").(string)
		if s, ok := d.StandIns[ref]; ok {
			if _, set := env[name]; !set {
				env[name] = s.Ref
			}
		}
	}
	return env, nil
}

// Dig walks nested JSON objects by key; nil when a key is missing.
func Dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func deepCopy(m map[string]any) map[string]any {
	raw, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}
