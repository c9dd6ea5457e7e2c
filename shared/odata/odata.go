// Package odata parses the OData v4 system query options the gateway's collections accept: $filter
// (eq and ne joined by and), $orderby, $top, $skip, $count, $select, each held to the properties an
// entity set declares, and $skiptoken, the opaque mark of a page that the service itself handed out.
// Anything else is an *Error naming what was refused.
package odata

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Page sizes of $top.
const (
	DefaultTop = 100
	MaxTop     = 1000
)

// maxFilterLen bounds $filter before it is tokenised: no filter of a few properties is longer.
const maxFilterLen = 4096

// MaxSkipTokenLen bounds $skiptoken: the tokens the service hands out are a key of a few dozen bytes.
const MaxSkipTokenLen = 512

// Kind is the type of a declared property, which decides the literals a filter may compare it with.
type Kind uint8

const (
	String Kind = iota
	Bool
)

// Schema is what an entity set declares: the properties $filter may compare, those $orderby may sort
// on, and those $select may name.
type Schema struct {
	Filter  map[string]Kind
	OrderBy []string
	Select  []string
}

// Op is a comparison of $filter.
type Op string

const (
	Eq Op = "eq"
	Ne Op = "ne"
)

// Value is a literal of $filter: a string or a boolean, as its Kind says.
type Value struct {
	Kind Kind
	Str  string
	Bool bool
}

// Comparison is one term of $filter: Property Op Value.
type Comparison struct {
	Property string
	Op       Op
	Value    Value
}

// Order is one term of $orderby.
type Order struct {
	Property string
	Desc     bool
}

// Query is the parsed options of a request. Filter holds terms joined by and.
type Query struct {
	Filter  []Comparison
	OrderBy []Order
	Top     int
	Skip    int
	Count   bool
	Select  []string
	// SkipToken is $skiptoken as the client sent it: where the page starts in a list read by key. Parse
	// takes it only with a query that Keyset accepts; what it means is the list's to check.
	SkipToken string
}

// Keyset reports whether q can be answered a page at a time in the order of creation: one read of
// an index per page, starting after the last entity of the one before. That takes no order other
// than createDate ascending, no $skip (which counts from the first entity), no $count (which counts
// every entity) and at least one entity a page.
func (q Query) Keyset() bool {
	return q.keysetConflict() == ""
}

// keysetConflict names what keeps q from being read by key, "" when nothing does.
func (q Query) keysetConflict() string {
	switch {
	case len(q.OrderBy) > 1 || len(q.OrderBy) == 1 && (q.OrderBy[0].Property != "createDate" || q.OrderBy[0].Desc):
		return "$orderby other than createDate ascending"
	case q.Skip > 0:
		return "$skip"
	case q.Count:
		return "$count=true"
	case q.Top == 0:
		return "$top=0"
	}
	return ""
}

// Error is a refused query option; its message names the option and what in it was refused.
type Error struct {
	Option string
	Reason string
}

func (e *Error) Error() string { return e.Option + ": " + e.Reason }

func refuse(option, format string, args ...any) *Error {
	return &Error{Option: option, Reason: fmt.Sprintf(format, args...)}
}

// ParseRaw parses the options of a raw query string (as API Gateway passes it).
func ParseRaw(raw string, s Schema) (Query, error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return Query{}, refuse("query", "the query string is not well formed")
	}
	return Parse(values, s)
}

// Parse parses the system query options of values against s. Parameters without "$" are custom
// options and are left alone. Option names are matched without regard to case, as OData 4.01 services
// do (4.0 clients send them in lower case, which this accepts too); an option given twice is refused.
func Parse(values url.Values, s Schema) (Query, error) {
	q := Query{Top: DefaultTop}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names) // the first refusal named is the same on every run
	seen := map[string]bool{}
	for _, name := range names {
		if !strings.HasPrefix(name, "$") {
			continue
		}
		vs := values[name]
		if folded := strings.ToLower(name); len(vs) != 1 || seen[folded] {
			// $top and $TOP are one option: taking either would be a guess.
			return Query{}, refuse(optionName(name), "is given more than once")
		} else {
			seen[folded] = true
		}
		v := vs[0]
		var err *Error
		switch strings.ToLower(name) {
		case "$filter":
			q.Filter, err = parseFilter(v, s.Filter)
		case "$orderby":
			q.OrderBy, err = parseOrderBy(v, s.OrderBy)
		case "$top":
			q.Top, err = parseInt(name, v, 0, MaxTop) // $top=0 asks for the count alone
		case "$skip":
			q.Skip, err = parseInt(name, v, 0, maxSkip)
		case "$count":
			q.Count, err = parseBool(name, v)
		case "$select":
			q.Select, err = parseSelect(v, s.Select)
		case "$skiptoken":
			q.SkipToken, err = parseSkipToken(v)
		default:
			err = refuse(optionName(name), "is not a supported query option")
		}
		if err != nil {
			return Query{}, err
		}
	}
	if conflict := q.keysetConflict(); q.SkipToken != "" && conflict != "" {
		// A token marks a place in the order of creation; under another order, or counted from the
		// first entity, that place means nothing.
		return Query{}, refuse("$skiptoken", "cannot be combined with %s", conflict)
	}
	return q, nil
}

// parseSkipToken takes a token of a plausible size; the list that handed it out checks the rest.
func parseSkipToken(v string) (string, *Error) {
	if v == "" || len(v) > MaxSkipTokenLen {
		return "", refuse("$skiptoken", "must be the token of a nextLink, 1 to %d characters", MaxSkipTokenLen)
	}
	return v, nil
}

// maxSkip keeps $skip an int on every platform; no collection is that long.
const maxSkip = 1 << 30

func parseInt(option, v string, lowest, highest int) (int, *Error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lowest || n > highest || strings.HasPrefix(v, "+") {
		return 0, refuse(option, "must be a whole number from %d to %d", lowest, highest)
	}
	return n, nil
}

func parseBool(option, v string) (bool, *Error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, refuse(option, "must be true or false")
}

func parseSelect(v string, declared []string) ([]string, *Error) {
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(declared, p) {
			return nil, refuse("$select", "%s is not a property that can be selected", quoteName(p))
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

func parseOrderBy(v string, declared []string) ([]Order, *Error) {
	var out []Order
	for _, term := range strings.Split(v, ",") {
		fields := strings.Fields(term)
		if len(fields) == 0 || len(fields) > 2 {
			return nil, refuse("$orderby", "%s is not a property with an optional asc or desc", quoteName(strings.TrimSpace(term)))
		}
		o := Order{Property: fields[0]}
		if !slices.Contains(declared, o.Property) {
			return nil, refuse("$orderby", "%s is not a property that can be sorted on", quoteName(o.Property))
		}
		if len(fields) == 2 {
			switch fields[1] {
			case "asc":
			case "desc":
				o.Desc = true
			default:
				return nil, refuse("$orderby", "%s must be asc or desc", quoteName(fields[1]))
			}
		}
		if slices.ContainsFunc(out, func(p Order) bool { return p.Property == o.Property }) {
			return nil, refuse("$orderby", "%s is named twice", quoteName(o.Property))
		}
		out = append(out, o)
	}
	return out, nil
}

// quoteName shows a client's text in a message, cut short and with its control characters escaped.
// optionName is a client's option name fit for a message: as it is when it is a plain name ($top),
// quoted and clipped otherwise, so that no control character or page-long name reaches the answer.
func optionName(s string) string {
	if len(s) <= 32 && !strings.ContainsFunc(s[1:], func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
		return s
	}
	return quoteName(s)
}

func quoteName(s string) string {
	const limit = 64
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…"
	}
	return strconv.Quote(s)
}

// Matches reports whether an entity passes every term of the filter; get reads one of its properties.
func (q Query) Matches(get func(property string) Value) bool {
	for _, c := range q.Filter {
		v := get(c.Property)
		equal := v.Kind == c.Value.Kind && v.Str == c.Value.Str && v.Bool == c.Value.Bool
		if equal != (c.Op == Eq) {
			return false
		}
	}
	return true
}

// NextLink is the URL of the page after the one q answered with n entities: the same path and options
// with $skip advanced by n. rawQuery is the request's query string.
func NextLink(path, rawQuery string, q Query, n int) string {
	return withOption(path, rawQuery, "$skip", strconv.Itoa(q.Skip+n))
}

// TokenLink is the URL of the page that starts at token in a list read by key: the same path and
// options ($filter, $top, $select, ...) with $skiptoken set to token.
func TokenLink(path, rawQuery, token string) string {
	return withOption(path, rawQuery, "$skiptoken", token)
}

// withOption is path with the options of rawQuery, name set to value in place of any spelling of it.
func withOption(path, rawQuery, name, value string) string {
	values, _ := url.ParseQuery(rawQuery) // parsed once already by ParseRaw
	for n := range values {
		if strings.EqualFold(n, name) {
			delete(values, n)
		}
	}
	values.Set(name, value)
	return path + "?" + values.Encode()
}
