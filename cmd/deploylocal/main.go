// Command deploylocal is local-only: it deploys template.yaml to moto as sam build and sam deploy
// would deploy it to AWS (see shared/localdeploy), and prints the stack's outputs. Without --endpoint
// it starts moto and keeps it serving the stack until interrupted.
//
//	go run ./cmd/deploylocal [--endpoint URL] [--stack NAME] [--param Key=Value]...
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"mfagateway/shared/localdeploy"
)

// senderEmail is the SenderEmail samconfig.toml deploys with, unless --param gives another.
const senderEmail = "no-reply@example.com"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "deploylocal:", err)
		os.Exit(1)
	}
}

// params collects --param Key=Value.
type params map[string]string

func (p params) String() string { return fmt.Sprint(map[string]string(p)) }

func (p params) Set(kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return fmt.Errorf("want Key=Value, got %q", kv)
	}
	p[k] = v
	return nil
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("deploylocal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", "", "moto's URL; empty: start moto_server on a free loopback port and keep it serving until interrupted")
	stack := fs.String("stack", "mfa-login-gateway", "the stack's name")
	root := fs.String("root", ".", "the checkout (template.yaml, the Makefile)")
	python := fs.String("python", "python3", "the Python with aws-sam-translator and boto3 (it runs moto too)")
	quiet := fs.Bool("quiet", false, "no progress and no build output on stderr")
	overrides := params{}
	fs.Var(overrides, "param", "a parameter override Key=Value (repeatable); SenderEmail defaults to "+senderEmail)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if _, ok := overrides["SenderEmail"]; !ok {
		overrides["SenderEmail"] = senderEmail
	}
	log := stderr
	if *quiet {
		log = io.Discard
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	py := localdeploy.Python(*python)
	if err := py.Check(ctx); err != nil {
		return err
	}
	url := *endpoint
	if url == "" {
		m, err := startMoto(ctx, *python)
		if err != nil {
			return err
		}
		defer m.stop()
		url = m.url
		fmt.Fprintln(log, "deploylocal: moto serves on", url)
	}

	d, err := localdeploy.Deploy(ctx, localdeploy.Options{
		Root: *root, Stack: *stack, Parameters: overrides, Endpoint: url, Python: py, Log: log,
	})
	if err != nil {
		return err
	}
	report(stdout, d, url)
	if *endpoint != "" {
		return nil
	}
	fmt.Fprintf(stdout, "\nmoto serves the stack on %s until Ctrl-C, e.g.\n  aws --endpoint-url %s --region %s cloudformation describe-stacks --stack-name %s\n", url, url, d.AWS.Region, d.Stack)
	<-ctx.Done()
	return nil
}

// report prints the stack's outputs, what moto skipped and the deployed code.
func report(w io.Writer, d *localdeploy.Deployment, url string) {
	resources, _ := d.Template["Resources"].(map[string]any)
	fmt.Fprintf(w, "Stack %s on %s: %d resources in the translated template, %d created, %d skipped by moto\n",
		d.Stack, url, len(resources), len(d.Resources), len(d.Skipped))
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "\nOutputs:")
	for _, o := range d.OutputList() {
		note := ""
		if o.Note != "" {
			note = "(" + o.Note + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", o.Key, o.Value, note)
	}
	fmt.Fprintln(tw, "\nSkipped by moto's CloudFormation:")
	for _, id := range sortedKeys(d.Skipped) {
		standIn := ""
		if s, ok := d.StandIns[id]; ok {
			standIn = "stand-in " + s.Ref
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", id, d.Skipped[id], standIn)
	}
	fmt.Fprintln(tw, "\nCode:")
	for _, id := range sortedKeys(d.Artifacts) {
		a := d.Artifacts[id]
		fmt.Fprintf(tw, "  %s\t%s\ts3://%s/%s\n", id, a.Arch, a.Bucket, a.Key)
	}
	_ = tw.Flush()
	var total time.Duration
	for _, s := range d.Steps {
		total += s.Took
	}
	fmt.Fprintf(w, "\nDeployed in %s.\n", total.Round(100*time.Millisecond))
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
