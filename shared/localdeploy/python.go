package localdeploy

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// awsPy is the Python half: the SAM transform (aws-sam-translator) and boto3, for the control-plane
// APIs (CloudFormation, S3, IAM, Lambda, CloudWatch Logs) this module has no Go client of.
//
//go:embed aws.py
var awsPy string

// Python runs aws.py: the interpreter that has aws-sam-translator and boto3 (python3 on PATH when
// empty).
type Python string

func (p Python) path() string {
	if p == "" {
		return "python3"
	}
	return string(p)
}

// Check reports why this Python cannot run the deploy: missing, or without aws-sam-translator or
// boto3.
func (p Python) Check(ctx context.Context) error {
	bin, err := exec.LookPath(p.path())
	if err != nil {
		return fmt.Errorf("%s not found on PATH (it runs the SAM transform and boto3)", p.path())
	}
	out, err := exec.CommandContext(ctx, bin, "-c", "import samtranslator.translator.transform, samtranslator.yaml_helper, boto3").CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("%s cannot import aws-sam-translator and boto3: %s", bin, lines[len(lines)-1])
	}
	return nil
}

// run sends one request to aws.py and decodes its answer into out.
func (p Python) run(ctx context.Context, region string, req map[string]any, out any) error {
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, p.path(), "-c", awsPy)
	// Nothing from this machine's AWS setup: the region is the deploy's, there is no instance metadata
	// to wait for, and the credentials are moto's dummies.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "AWS_PROFILE=") || strings.HasPrefix(kv, "AWS_DEFAULT_PROFILE=")
	})
	cmd.Env = append(env, "AWS_DEFAULT_REGION="+region, "AWS_REGION="+region, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("%s: %s", req["op"], msg)
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("%s: answer is not JSON: %w", req["op"], err)
	}
	return nil
}

// AWS is moto's (or any endpoint's) control plane through boto3.
type AWS struct {
	Endpoint, Region string
	Python           Python
}

// Call is one boto3 client call: service and operation as boto3 names them (snake_case operations),
// its parameters, and where the answer is decoded into (nil: dropped). A parameter value
// map[string]any{"$file": path} sends that file's bytes.
type Call struct {
	Service, Op string
	Params      map[string]any
	Out         any
}

// APIError is an error answer of the endpoint.
type APIError struct {
	Service, Op   string
	Code, Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Service, e.Op, e.Code, e.Message)
}

// Do runs the calls in order in one Python process, stopping at the first that fails (an *APIError
// when the endpoint refused it).
func (a AWS) Do(ctx context.Context, calls ...Call) error {
	if len(calls) == 0 {
		return nil
	}
	type wire struct {
		Service string         `json:"service"`
		Op      string         `json:"op"`
		Params  map[string]any `json:"params,omitempty"`
	}
	req := map[string]any{"op": "calls", "endpoint": a.Endpoint, "region": a.Region}
	var ws []wire
	for _, c := range calls {
		ws = append(ws, wire{c.Service, c.Op, c.Params})
	}
	req["calls"] = ws
	var answer struct {
		Results []json.RawMessage
		Error   *struct{ Code, Message string }
	}
	if err := a.Python.run(ctx, a.Region, req, &answer); err != nil {
		return err
	}
	for i, raw := range answer.Results {
		if calls[i].Out == nil {
			continue
		}
		if err := json.Unmarshal(raw, calls[i].Out); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", calls[i].Service, calls[i].Op, err)
		}
	}
	if answer.Error != nil {
		c := calls[len(answer.Results)]
		return &APIError{Service: c.Service, Op: c.Op, Code: answer.Error.Code, Message: answer.Error.Message}
	}
	if len(answer.Results) != len(calls) {
		return errors.New("aws.py answered fewer results than calls")
	}
	return nil
}

// File is a Call parameter that sends the file's bytes.
func File(path string) map[string]any { return map[string]any{"$file": path} }
