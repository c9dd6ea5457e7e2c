package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// row is one figure of the table.
type row struct {
	what, measured, floor, ratio, goal, met string
}

// table collects the rows and keeps score of the goals.
type table struct {
	rows   []row
	goals  int
	missed []string
}

const (
	dash       = "—"
	notMeasure = "not measured (tool missing)"
)

// ratioRow adds a figure held against a floor; goal > 0 is the largest ratio that meets it.
func (t *table) ratioRow(what string, measured, floor float64, format func(float64) string, goal float64) {
	r := row{what: what, measured: format(measured), floor: format(floor), goal: dash, met: dash, ratio: dash}
	if floor > 0 {
		ratio := measured / floor
		r.ratio = fmt.Sprintf("%.2f×", ratio)
		if goal > 0 {
			r.goal = fmt.Sprintf("≤ %s×", strconv.FormatFloat(goal, 'g', -1, 64))
			t.goals++
			if ratio <= goal {
				r.met = "yes"
			} else {
				r.met = "**no**"
				t.missed = append(t.missed, fmt.Sprintf("%s: %.2f× (goal ≤ %s×)", what, ratio, strconv.FormatFloat(goal, 'g', -1, 64)))
			}
		}
	}
	t.rows = append(t.rows, r)
}

// bandRow adds a figure held against a floor whose ratio must lie within tolerance of goal.
func (t *table) bandRow(what string, measured, floor float64, format func(float64) string, goal, tolerance float64) {
	band := fmt.Sprintf("%.2f ± %.2f×", goal, tolerance)
	r := row{what: what, measured: format(measured), floor: format(floor), ratio: dash, goal: band, met: "yes"}
	t.goals++
	ratio := math.NaN()
	if floor > 0 {
		ratio = measured / floor
		r.ratio = fmt.Sprintf("%.3f×", ratio)
	}
	if !(math.Abs(ratio-goal) <= tolerance) {
		r.met = "**no**"
		t.missed = append(t.missed, fmt.Sprintf("%s: %s (goal %s)", what, r.ratio, band))
	}
	t.rows = append(t.rows, r)
}

// goalRow adds a figure with an absolute goal.
func (t *table) goalRow(what, measured, floor, goal string, met bool, missedText string) {
	r := row{what: what, measured: measured, floor: floor, ratio: dash, goal: goal, met: "yes"}
	t.goals++
	if !met {
		r.met = "**no**"
		t.missed = append(t.missed, missedText)
	}
	t.rows = append(t.rows, r)
}

// infoRow adds a figure without a goal.
func (t *table) infoRow(what, measured, floor, ratio string) {
	t.rows = append(t.rows, row{what: what, measured: measured, floor: floor, ratio: ratio, goal: dash, met: dash})
}

// missingRow adds a figure that could not be measured; goal > 0 still counts it as a goal not checked.
func (t *table) missingRow(what, why, goal string) {
	t.rows = append(t.rows, row{what: what, measured: why, floor: dash, ratio: dash, goal: goal, met: dash})
}

func (t *table) markdown() string {
	var b strings.Builder
	b.WriteString("| what | measured | floor | ratio | goal | met? |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, r := range t.rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", esc(r.what), esc(r.measured), esc(r.floor), esc(r.ratio), esc(r.goal), esc(r.met))
	}
	return b.String()
}

// Formats.

func msf(ms float64) string { return fmtDur(time.Duration(ms * float64(time.Millisecond))) }

func durf(ns float64) string { return fmtDur(time.Duration(ns)) }

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "−" + fmtDur(-d)
	}
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d >= 10*time.Microsecond:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.2f µs", float64(d)/1e3)
	}
	return fmt.Sprintf("%d ns", d.Nanoseconds())
}

func bytesf(v float64) string {
	switch {
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.0f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

// Statistics.

func median(ds []time.Duration) time.Duration { return percentile(ds, 50) }

// percentile is the nearest-rank percentile p (0 < p ≤ 100).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if p == 50 && len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func nsOf(d time.Duration) float64 { return float64(d.Nanoseconds()) }
