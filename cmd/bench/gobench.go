package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
)

// benchResult is one Go benchmark's figures.
type benchResult struct {
	nsPerOp     float64
	bytesPerOp  int64
	allocsPerOp int64
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op(.*)$`)
var benchExtra = regexp.MustCompile(`(\d+) (B|allocs)/op`)

// runGoBenchmarks runs the compiled test binaries' benchmarks (not their tests) in their package
// directories, with a bounded -benchtime.
func runGoBenchmarks(ctx context.Context, root string, tests map[string]string, benchtime string) (map[string]benchResult, error) {
	out := map[string]benchResult{}
	for _, p := range benchPackages {
		bin, ok := tests[p.Pkg]
		if !ok {
			return out, fmt.Errorf("%s: no test binary", p.Pkg)
		}
		cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", p.Run, "-test.benchmem", "-test.benchtime", benchtime, "-test.count", "1")
		cmd.Dir = filepath.Join(root, p.Pkg)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return out, fmt.Errorf("%s benchmarks: %v\n%s%s", p.Pkg, err, clip(stdout.Bytes()), clip(stderr.Bytes()))
		}
		for _, line := range bytes.Split(stdout.Bytes(), []byte("\n")) {
			m := benchLine.FindSubmatch(line)
			if m == nil {
				continue
			}
			ns, _ := strconv.ParseFloat(string(m[2]), 64)
			r := benchResult{nsPerOp: ns}
			for _, x := range benchExtra.FindAllSubmatch(m[3], -1) {
				v, _ := strconv.ParseInt(string(x[1]), 10, 64)
				if string(x[2]) == "B" {
					r.bytesPerOp = v
				} else {
					r.allocsPerOp = v
				}
			}
			out[string(m[1])] = r
		}
	}
	return out, nil
}

// goBenchRows say which benchmark is a figure, what it is, and which floor benchmarks (summed) it is held against.
var goBenchRows = []struct {
	pkg, name, what string
	floors          []string
	floorWhat       string
}{
	{"httpapi", "DecodeLoginEvent", "decode a payload 2.0 login event (JSON → httpapi.Request)", []string{"FloorScanLoginEvent"}, "json.Valid over the same bytes"},
	{"httpapi", "DecodeAuthorizerEvent", "decode an authorizer request and its bearer token", []string{"FloorScanAuthorizerEvent"}, "json.Valid over the same bytes"},
	{"httpapi", "LoginRejected", "login handler up to a 400 (body, email check, error answer)", []string{"FloorDecodeBody"}, "encoding/json of the body into 3 strings"},
	{"httpapi", "VerifyRejected", "verify handler up to the domain's 401 (body, code check, answer)", []string{"FloorDecodeBody"}, "encoding/json of the body into 3 strings"},
	{"auth", "TokenID", "token hashing: auth.TokenID (SHA-256, hex)", []string{"FloorSHA256"}, "sha256.Sum256 alone"},
	{"auth", "Resend", "code generation + HMAC: Service.Resend without I/O", []string{"FloorRandomCode", "FloorHMAC"}, "crypto/rand 8 bytes + one HMAC-SHA256"},
	{"auth", "VerifyRightCode", "Service.Verify, right code, without I/O (HMAC, new token)", []string{"FloorSHA256", "FloorHMAC"}, "SHA-256 + one HMAC-SHA256"},
	{"auth", "VerifyWrongCode", "Service.Verify, wrong code, without I/O", []string{"FloorSHA256", "FloorHMAC"}, "SHA-256 + one HMAC-SHA256"},
	{"auth", "Authorize", "Sessions.Authorize without I/O", []string{"FloorSHA256"}, "sha256.Sum256 alone"},
	{"dynamo", "IssueToken", "marshal a token item (+ transaction)", []string{"FloorMarshalToken"}, "encoding/json, same attributes"},
	{"dynamo", "GetToken", "unmarshal a token item", []string{"FloorUnmarshalToken"}, "encoding/json, same attributes"},
	{"dynamo", "LoadLogin", "unmarshal a login's user + application items", []string{"FloorUnmarshalLogin"}, "encoding/json, same attributes"},
	{"dynamo", "CreateChallenge", "marshal a challenge item (+ send-count condition)", []string{"FloorMarshalChallenge"}, "encoding/json, same attributes"},
	{"dynamo", "CountAttempt", "attempt condition + unmarshal the challenge", []string{"FloorUnmarshalChallenge"}, "encoding/json, same attributes"},
}
