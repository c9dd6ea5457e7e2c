package main

import (
	"io"
	"strings"
	"testing"
)

// TestRunRefusesBadArguments: a malformed argument stops the command before it starts moto or builds.
func TestRunRefusesBadArguments(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--param", "SenderEmail"}, "want Key=Value"},
		{[]string{"--param", "=x"}, "want Key=Value"},
		{[]string{"deploy"}, "unexpected arguments"},
		{[]string{"--no-such-flag"}, "not defined"},
	} {
		err := run(tt.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %q: %v, want an error with %q", tt.args, err, tt.want)
		}
	}
}

func TestParams(t *testing.T) {
	p := params{}
	for _, kv := range []string{"SenderEmail=a@b.co", "SmsSenderId=", "InviteUrl=https://x/?a=b"} {
		if err := p.Set(kv); err != nil {
			t.Fatal(err)
		}
	}
	if p["SenderEmail"] != "a@b.co" || p["SmsSenderId"] != "" || p["InviteUrl"] != "https://x/?a=b" {
		t.Errorf("params %v: want each value up to the end, an empty one kept", p)
	}
}
