// Package metrics publishes the gateway's counts of its decisions as CloudWatch embedded metric format
// (EMF): one JSON log line per decision, which CloudWatch Logs turns into metrics of the namespace
// MfaGateway without an API call or an agent. A line carries the outcome, the channel and the
// country code of a number, never an address, a code or a token.
package metrics

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "MfaGateway"

// The metrics and their dimensions. A dashboard divides Verifies{Outcome=token_issued, Channel=SMS,
// Country} by CodesSent{Channel=SMS, Country} to see SMS pumping: texts to a country whose codes
// never come back.
const (
	Logins        = "Logins"        // per login: Outcome
	CodesSent     = "CodesSent"     // per delivered code: Channel, and Channel with Country for a text
	Verifies      = "Verifies"      // per verify: Outcome and Channel, and with Country for a texted code
	SMSCapReached = "SMSCapReached" // per text refused by the deployment's hourly SMS cap
)

// The dimension names.
const (
	DimOutcome = "Outcome"
	DimChannel = "Channel"
	DimCountry = "Country"
)

// Recorder writes the metric lines. Its methods are safe for concurrent use.
type Recorder struct {
	log   *slog.Logger
	clock func() time.Time
}

// New returns a recorder writing one line per decision to w (the function's standard output, which
// Lambda hands to CloudWatch Logs); clock stamps the lines, time.Now when nil. Its lines pass at every
// LOG_LEVEL: they are counts, not diagnostics.
func New(w io.Writer, clock func() time.Time) *Recorder {
	if clock == nil {
		clock = time.Now
	}
	return &Recorder{log: slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), clock: clock}
}

// Login counts one login by its outcome.
func (r *Recorder) Login(ctx context.Context, outcome string) {
	r.count(ctx, Logins, []dimension{{DimOutcome, outcome}}, nil)
}

// CodeSent counts one code delivered on channel; country, the ISO 3166-1 alpha-2 code of a texted
// number, adds the count by country (empty: not known, or not a text).
func (r *Recorder) CodeSent(ctx context.Context, channel, country string) {
	r.count(ctx, CodesSent, []dimension{{DimChannel, channel}}, countryOf(country))
}

// Verify counts one verify by its outcome and the channel of the code tried; country, that of a
// texted code's number, adds the count by country.
func (r *Recorder) Verify(ctx context.Context, outcome, channel, country string) {
	r.count(ctx, Verifies, []dimension{{DimOutcome, outcome}, {DimChannel, channel}}, countryOf(country))
}

// SMSCapped counts one text the deployment's hourly SMS cap refused.
func (r *Recorder) SMSCapped(ctx context.Context) {
	r.count(ctx, SMSCapReached, nil, nil)
}

type dimension struct{ name, value string }

func countryOf(country string) *dimension {
	if country == "" {
		return nil
	}
	return &dimension{DimCountry, country}
}

// directive is the _aws block of an EMF line.
type directive struct {
	Timestamp         int64         `json:"Timestamp"`
	CloudWatchMetrics []metricBlock `json:"CloudWatchMetrics"`
}

type metricBlock struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

type definition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// count writes one line counting one of name under dims and, when detail is set, under dims and detail
// too: the second dimension set is the breakdown (by country), the first its total.
func (r *Recorder) count(ctx context.Context, name string, dims []dimension, detail *dimension) {
	names := make([]string, 0, len(dims))
	attrs := make([]slog.Attr, 0, len(dims)+3)
	for _, d := range dims {
		names = append(names, d.name)
		attrs = append(attrs, slog.String(d.name, orNone(d.value)))
	}
	sets := [][]string{names}
	if detail != nil {
		sets = append(sets, append(append([]string(nil), names...), detail.name))
		attrs = append(attrs, slog.String(detail.name, detail.value))
	}
	aws := directive{Timestamp: r.clock().UnixMilli(), CloudWatchMetrics: []metricBlock{{
		Namespace: Namespace, Dimensions: sets, Metrics: []definition{{Name: name, Unit: "Count"}},
	}}}
	attrs = append(attrs, slog.Any("_aws", aws), slog.Int(name, 1))
	r.log.LogAttrs(ctx, slog.LevelInfo, "metric", attrs...)
}

// orNone keeps a dimension's value non-empty, as CloudWatch requires.
func orNone(v string) string {
	if v == "" {
		return "None"
	}
	return v
}
