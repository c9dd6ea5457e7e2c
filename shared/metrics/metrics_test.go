package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"mfagateway/shared/metrics"
)

// Line is one metric line as CloudWatch reads it: the _aws directive and the top-level properties.
type Line struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
	Props map[string]any `json:"-"`
}

// parse reads buf's lines as EMF, failing on anything CloudWatch would not turn into a metric: a
// missing directive or namespace, a dimension that is not a non-empty string property, a metric that
// is not a number.
func parse(t *testing.T, buf *bytes.Buffer) []Line {
	t.Helper()
	var lines []Line
	for _, raw := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var l Line
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("line %s: %v", raw, err)
		}
		if err := json.Unmarshal([]byte(raw), &l.Props); err != nil {
			t.Fatalf("line %s: %v", raw, err)
		}
		if l.AWS.Timestamp == 0 || len(l.AWS.CloudWatchMetrics) != 1 {
			t.Fatalf("line %s: no timestamp or not one metric directive", raw)
		}
		d := l.AWS.CloudWatchMetrics[0]
		if d.Namespace != metrics.Namespace || len(d.Metrics) == 0 || len(d.Dimensions) == 0 {
			t.Fatalf("line %s: namespace %q, %d metrics, %d dimension sets", raw, d.Namespace, len(d.Metrics), len(d.Dimensions))
		}
		for _, set := range d.Dimensions {
			for _, name := range set {
				if v, ok := l.Props[name].(string); !ok || v == "" {
					t.Errorf("line %s: dimension %s is %v, want a non-empty string", raw, name, l.Props[name])
				}
			}
		}
		for _, m := range d.Metrics {
			if v, ok := l.Props[m.Name].(float64); !ok || v != 1 || m.Unit != "Count" {
				t.Errorf("line %s: metric %s is %v %s, want a count of 1", raw, m.Name, l.Props[m.Name], m.Unit)
			}
		}
		lines = append(lines, l)
	}
	return lines
}

func TestLinesAreEMF(t *testing.T) {
	at := time.Date(2031, 5, 6, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		record func(*metrics.Recorder)
		metric string
		sets   [][]string
		props  map[string]string
	}{
		{"login", func(r *metrics.Recorder) { r.Login(context.Background(), "code_sent") },
			metrics.Logins, [][]string{{"Outcome"}}, map[string]string{"Outcome": "code_sent"}},
		{"text by country", func(r *metrics.Recorder) { r.CodeSent(context.Background(), "SMS", "NL") },
			metrics.CodesSent, [][]string{{"Channel"}, {"Channel", "Country"}}, map[string]string{"Channel": "SMS", "Country": "NL"}},
		{"email", func(r *metrics.Recorder) { r.CodeSent(context.Background(), "Email", "") },
			metrics.CodesSent, [][]string{{"Channel"}}, map[string]string{"Channel": "Email"}},
		{"verify by country", func(r *metrics.Recorder) { r.Verify(context.Background(), "token_issued", "SMS", "BE") },
			metrics.Verifies, [][]string{{"Outcome", "Channel"}, {"Outcome", "Channel", "Country"}},
			map[string]string{"Outcome": "token_issued", "Channel": "SMS", "Country": "BE"}},
		{"verify of no challenge", func(r *metrics.Recorder) { r.Verify(context.Background(), "invalid_mfa_token", "", "") },
			metrics.Verifies, [][]string{{"Outcome", "Channel"}}, map[string]string{"Outcome": "invalid_mfa_token", "Channel": "None"}},
		{"sms cap", func(r *metrics.Recorder) { r.SMSCapped(context.Background()) },
			metrics.SMSCapReached, [][]string{{}}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.record(metrics.New(&buf, func() time.Time { return at }))
			lines := parse(t, &buf)
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1:\n%s", len(lines), buf.String())
			}
			l := lines[0]
			d := l.AWS.CloudWatchMetrics[0]
			if l.AWS.Timestamp != at.UnixMilli() {
				t.Errorf("timestamp %d, want the clock's %d", l.AWS.Timestamp, at.UnixMilli())
			}
			if len(d.Metrics) != 1 || d.Metrics[0].Name != tt.metric {
				t.Errorf("metrics %+v, want %s", d.Metrics, tt.metric)
			}
			if !slices.EqualFunc(d.Dimensions, tt.sets, slices.Equal) {
				t.Errorf("dimension sets %v, want %v", d.Dimensions, tt.sets)
			}
			for k, want := range tt.props {
				if got := l.Props[k]; got != want {
					t.Errorf("%s = %v, want %q", k, got, want)
				}
			}
		})
	}
}
