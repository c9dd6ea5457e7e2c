package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// On AWS the functions that make or check codes and page tokens read the server secret from Secrets
// Manager at their cold start (CODE_HMAC_SECRET_ARN): two GetSecretValue calls at once, the current
// version and the previous one. The cold-start rows above give them the secret in CODE_HMAC_SECRET;
// these give them the secret's ARN on moto, paired with the same function's start with the value, so
// that the difference is the read.

// secretReaders are the functions whose template entry sets CODE_HMAC_SECRET_ARN.
var secretReaders = []string{"LoginFunction", "VerifyFunction", "ApplicationsFunction", "AccountFunction"}

// benchSecretName names the server secret the harness makes on moto.
const benchSecretName = "mfagateway-bench-server-secret"

// createServerSecret makes the server secret on moto as a rotated one, so that both reads of a cold
// start find a version: first a previous value, then hmacSecret put over it as the current one (a
// put-secret-value moves the value it replaces to AWSPREVIOUS). It returns the secret's ARN.
func createServerSecret(ctx context.Context, motoURL string) (string, error) {
	sm := secretsmanager.New(secretsmanager.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(motoURL),
		Credentials:  credentials.NewStaticCredentialsProvider("bench", "bench", ""),
	})
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(benchSecretName),
		SecretString: aws.String("bench-previous-server-secret-0123456789abcdef"),
	})
	if err != nil {
		return "", fmt.Errorf("create the server secret on moto: %w", err)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: out.ARN, SecretString: aws.String(hmacSecret),
	}); err != nil {
		return "", fmt.Errorf("rotate the server secret on moto: %w", err)
	}
	return aws.ToString(out.ARN), nil
}

// secretEnv is env with the server secret named by its ARN on moto instead of given by value.
func secretEnv(env []string, motoURL, arn string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "CODE_HMAC_SECRET=") })
	return append(out, "CODE_HMAC_SECRET_ARN="+arn, "AWS_ENDPOINT_URL_SECRETS_MANAGER="+motoURL)
}

// secretStart is one reader's cold starts with the secret by value and by ARN, in pairs.
type secretStart struct {
	byValue, byARN coldResult
}

// diffs are the pairs' differences, by ARN minus by value.
func (s *secretStart) diffs() []time.Duration {
	var out []time.Duration
	for i := range min(len(s.byValue.total), len(s.byARN.total)) {
		out = append(out, s.byARN.total[i]-s.byValue.total[i])
	}
	return out
}

// secretColdStarts starts each reader n times with the secret by value and n times by ARN, a pair at
// a time with the pair's order alternating, so that both see the same machine.
func secretColdStarts(ctx context.Context, rie string, bins map[string]string, env []string, motoURL string, ev events, n int) (map[string]*secretStart, error) {
	arn, err := createServerSecret(ctx, motoURL)
	if err != nil {
		return nil, err
	}
	byARN := secretEnv(env, motoURL, arn)
	res := map[string]*secretStart{}
	for _, id := range secretReaders {
		res[id] = &secretStart{}
	}
	for round := range n {
		for _, t := range functions {
			r, ok := res[t.ID]
			if !ok || r.byValue.err != nil || r.byARN.err != nil || ctx.Err() != nil {
				continue
			}
			runs := []struct {
				env []string
				to  *coldResult
			}{{env, &r.byValue}, {byARN, &r.byARN}}
			if round%2 == 1 {
				slices.Reverse(runs)
			}
			for _, run := range runs {
				d, _, err := coldStart(ctx, rie, t, bins[t.ID], run.env, ev)
				if err != nil {
					run.to.err = err
					break
				}
				run.to.total = append(run.to.total, d)
			}
		}
	}
	return res, nil
}

// secretRows adds the rows of the server secret's read at cold start.
func secretRows(t *table, m *measurements, o options) {
	var all []time.Duration
	for _, f := range functions {
		if !slices.Contains(secretReaders, f.ID) {
			continue
		}
		what := fmt.Sprintf("cold start %s with the server secret from Secrets Manager on moto (CODE_HMAC_SECRET_ARN: two GetSecretValue at once), median of %d (floor: the same with CODE_HMAC_SECRET, in pairs)", f.Name, o.starts)
		s := m.secretStarts[f.ID]
		switch {
		case !m.rie || m.motoMissing:
			t.missingRow(what, notMeasure, dash)
		case m.secretErr != nil:
			t.missingRow(what, "failed: "+m.secretErr.Error(), dash)
		case s == nil || s.byValue.err != nil || s.byARN.err != nil:
			var errs []error
			if s != nil {
				errs = append(errs, s.byARN.err, s.byValue.err)
			}
			t.missingRow(what, "failed: "+firstErr(errs...), dash)
		default:
			t.ratioRow(what, nsOf(median(s.byARN.total)), nsOf(median(s.byValue.total)), durf, 0)
			all = append(all, s.diffs()...)
		}
	}
	if len(all) > 0 {
		t.infoRow(fmt.Sprintf("↳ the server secret's read at cold start: median of the %d pairs' differences (by ARN − by value), the four functions together; moto on loopback, so without the network's round trip", len(all)),
			fmtDur(median(all)), dash, dash)
	}
}
