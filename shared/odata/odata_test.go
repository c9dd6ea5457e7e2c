package odata_test

import (
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/odata"
)

var schema = odata.Schema{
	Filter:  map[string]odata.Kind{"name": odata.String, "url": odata.String, "enableMultiFactorAuthentication": odata.Bool},
	OrderBy: []string{"name", "createDate"},
	Select:  []string{"id", "name", "url"},
}

func str(s string) odata.Value { return odata.Value{Kind: odata.String, Str: s} }

func TestParseAccepts(t *testing.T) {
	long := strings.Repeat("x", 3000)
	cases := []struct {
		name, raw string
		want      odata.Query
	}{
		{"nothing", "", odata.Query{Top: 100}},
		{"custom options are left alone", "foo=bar&appId=1", odata.Query{Top: 100}},
		{"eq string", "$filter=name eq 'Portal'", odata.Query{Top: 100, Filter: []odata.Comparison{{"name", odata.Eq, str("Portal")}}}},
		{"ne bool and eq", "$filter=enableMultiFactorAuthentication ne true and url eq 'a.example'", odata.Query{Top: 100, Filter: []odata.Comparison{
			{"enableMultiFactorAuthentication", odata.Ne, odata.Value{Kind: odata.Bool, Bool: true}}, {"url", odata.Eq, str("a.example")}}}},
		{"false", "$filter=enableMultiFactorAuthentication eq false", odata.Query{Top: 100, Filter: []odata.Comparison{
			{"enableMultiFactorAuthentication", odata.Eq, odata.Value{Kind: odata.Bool}}}}},
		{"escaped quote", "$filter=name eq 'O''Brien'''", odata.Query{Top: 100, Filter: []odata.Comparison{{"name", odata.Eq, str("O'Brien'")}}}},
		{"empty string", "$filter=name eq ''", odata.Query{Top: 100, Filter: []odata.Comparison{{"name", odata.Eq, str("")}}}},
		{"injection is a literal", "$filter=" + url.QueryEscape(`name eq 'x'' or 1 eq 1 --\\"; DROP'`), odata.Query{Top: 100, Filter: []odata.Comparison{{"name", odata.Eq, str(`x' or 1 eq 1 --\\"; DROP`)}}}},
		{"unicode literal", "$filter=" + url.QueryEscape("name eq 'Zoë 名前 🚀'"), odata.Query{Top: 100, Filter: []odata.Comparison{{"name", odata.Eq, str("Zoë 名前 🚀")}}}},
		{"long literal", "$filter=name eq '" + long + "'", odata.Query{Top: 100, Filter: []odata.Comparison{{"name", odata.Eq, str(long)}}}},
		{"orderby", "$orderby=name desc,createDate", odata.Query{Top: 100, OrderBy: []odata.Order{{"name", true}, {"createDate", false}}}},
		{"orderby asc", "$orderby=createDate asc", odata.Query{Top: 100, OrderBy: []odata.Order{{"createDate", false}}}},
		{"top skip count", "$top=5&$skip=10&$count=true", odata.Query{Top: 5, Skip: 10, Count: true}},
		{"top bounds", "$top=1000&$skip=0&$count=false", odata.Query{Top: 1000}},
		{"select", "$select=name, url,name", odata.Query{Top: 100, Select: []string{"name", "url"}}},
		{"the most comparisons", "$filter=" + url.QueryEscape(comparisons(odata.MaxComparisons)), odata.Query{Top: 100, Filter: slices.Repeat(
			[]odata.Comparison{{"name", odata.Ne, str("x")}}, odata.MaxComparisons)}},
		{"option names in any case", "$TOP=2&$Filter=name eq 'a'", odata.Query{Top: 2, Filter: []odata.Comparison{{"name", odata.Eq, str("a")}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := odata.ParseRaw(c.raw, schema)
			if err != nil {
				t.Fatalf("ParseRaw(%q): %v", c.raw, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("ParseRaw(%q) = %+v, want %+v", c.raw, got, c.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	cases := []struct {
		name, raw, option, mentions string
	}{
		{"unknown option", "$expand=x", "$expand", "$expand"},
		{"search", "$search=x", "$search", ""},
		{"twice", "$top=1&$top=2", "$top", "more than once"},
		{"twice in two cases", "$top=1&$TOP=2", "$top", "more than once"},
		{"filter twice in two cases", "$filter=name eq 'a'&$Filter=name eq 'b'", "$filter", "more than once"},
		{"name with a control character", "$x%0Ay=1", `"$x\ny"`, "not a supported"},
		{"top negative", "$top=-1", "$top", ""},
		{"top too big", "$top=1001", "$top", ""},
		{"top not a number", "$top=ten", "$top", ""},
		{"top plus", "$top=%2B5", "$top", ""},
		{"top empty", "$top=", "$top", ""},
		{"skip negative", "$skip=-1", "$skip", ""},
		{"skip huge", "$skip=99999999999999999999", "$skip", ""},
		{"count other", "$count=yes", "$count", "true or false"},
		{"count case", "$count=True", "$count", ""},
		{"select unknown", "$select=passwordHash", "$select", "passwordHash"},
		{"select empty", "$select=", "$select", ""},
		{"orderby unknown", "$orderby=url", "$orderby", `"url"`},
		{"orderby direction", "$orderby=name up", "$orderby", `"up"`},
		{"orderby three words", "$orderby=name asc desc", "$orderby", ""},
		{"orderby twice", "$orderby=name,name desc", "$orderby", "twice"},
		{"orderby empty term", "$orderby=name,", "$orderby", ""},
		{"filter empty", "$filter=", "$filter", "empty"},
		{"filter unknown property", "$filter=secret eq 'x'", "$filter", `"secret"`},
		{"filter case of property", "$filter=Name eq 'x'", "$filter", `"Name"`},
		{"filter or", "$filter=name eq 'a' or name eq 'b'", "$filter", `"or"`},
		{"filter gt", "$filter=name gt 'a'", "$filter", `"gt"`},
		{"filter function", "$filter=contains(name,'a')", "$filter", `"("`},
		{"filter parentheses", "$filter=(name eq 'a')", "$filter", `"("`},
		{"filter arithmetic", "$filter=name eq 'a' add name", "$filter", `"add"`},
		{"filter not", "$filter=not name eq 'a'", "$filter", `"not"`},
		{"filter unterminated", "$filter=name eq 'a", "$filter", "closing quote"},
		{"filter dangling and", "$filter=name eq 'a' and", "$filter", "ends before"},
		{"filter missing value", "$filter=name eq", "$filter", "ends before"},
		{"filter string for bool", "$filter=enableMultiFactorAuthentication eq 'true'", "$filter", "true or false"},
		{"filter bool for string", "$filter=name eq true", "$filter", "single quotes"},
		{"filter number", "$filter=name eq 1", "$filter", `"1"`},
		{"filter null", "$filter=name eq null", "$filter", `"null"`},
		{"filter literal first", "$filter='a' eq name", "$filter", "start with a property"},
		{"filter backslash", "$filter=" + url.QueryEscape(`name eq \'a\'`), "$filter", `"\\"`},
		{"filter unicode outside literal", "$filter=" + url.QueryEscape("naïve eq 'a'"), "$filter", ""},
		{"filter too long", "$filter=name eq '" + strings.Repeat("x", 5000) + "'", "$filter", "longer"},
		{"filter path", "$filter=name/x eq 'a'", "$filter", `"/"`},
		{"filter of too many comparisons", "$filter=" + url.QueryEscape(comparisons(odata.MaxComparisons+1)), "$filter", "more than 20 comparisons"},
		{"bad escape", "$filter=%zz", "query", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := odata.ParseRaw(c.raw, schema)
			var oe *odata.Error
			if !errors.As(err, &oe) {
				t.Fatalf("ParseRaw(%q) error = %v, want an *odata.Error", c.raw, err)
			}
			if oe.Option != c.option {
				t.Errorf("option = %q, want %q (%v)", oe.Option, c.option, err)
			}
			if !strings.Contains(err.Error(), c.mentions) {
				t.Errorf("error %q does not mention %q", err, c.mentions)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	q, err := odata.ParseRaw("$filter=name eq 'a' and enableMultiFactorAuthentication ne true", schema)
	if err != nil {
		t.Fatal(err)
	}
	entity := func(name string, mfa bool) func(string) odata.Value {
		return func(p string) odata.Value {
			if p == "name" {
				return str(name)
			}
			return odata.Value{Kind: odata.Bool, Bool: mfa}
		}
	}
	for _, c := range []struct {
		name string
		mfa  bool
		want bool
	}{{"a", false, true}, {"a", true, false}, {"b", false, false}, {"A", false, false}} {
		if got := q.Matches(entity(c.name, c.mfa)); got != c.want {
			t.Errorf("Matches(%q, %v) = %v, want %v", c.name, c.mfa, got, c.want)
		}
	}
}

func TestNextLink(t *testing.T) {
	raw := "$top=2&$SKIP=4&$filter=" + url.QueryEscape("name eq 'a b'")
	q, err := odata.ParseRaw(raw, schema)
	if err != nil {
		t.Fatal(err)
	}
	link := odata.NextLink("/odata/Applications", raw, q, 2)
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/odata/Applications" {
		t.Errorf("path = %q", u.Path)
	}
	next, err := odata.ParseRaw(u.RawQuery, schema)
	if err != nil {
		t.Fatalf("the next link's options do not parse: %v", err)
	}
	if next.Skip != 6 || next.Top != 2 || !reflect.DeepEqual(next.Filter, q.Filter) {
		t.Errorf("next page = %+v, want skip 6, top 2 and the same filter", next)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"$filter=name eq 'a' and url ne 'b'", "$filter=name eq 'O''x'", "$orderby=name desc", "$top=5&$skip=1",
		"$count=true&$select=name,url", "$filter=(", "$filter='", "$filter=name eq '\u00e9'", "%", "$x=1",
		"$skiptoken=VVNFUiMyMDMxLTA1LTA2VDA5OjAwOjAxWiNh&$top=5&$orderby=createDate",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := odata.ParseRaw(raw, schema)
		if err != nil {
			var oe *odata.Error
			if !errors.As(err, &oe) || oe.Option == "" {
				t.Fatalf("ParseRaw(%q) error %v is not an *odata.Error naming an option", raw, err)
			}
			return
		}
		if q.Top < 1 || q.Top > odata.MaxTop || q.Skip < 0 {
			t.Fatalf("ParseRaw(%q) = %+v: page out of bounds", raw, q)
		}
		for _, c := range q.Filter {
			if _, ok := schema.Filter[c.Property]; !ok {
				t.Fatalf("ParseRaw(%q) filters on undeclared %q", raw, c.Property)
			}
		}
		if q.SkipToken != "" && (!q.Keyset() || len(q.SkipToken) > odata.MaxSkipTokenLen) {
			t.Fatalf("ParseRaw(%q) = %+v: a token with a query that does not page by key", raw, q)
		}
		_ = odata.NextLink("/x", raw, q, 1)
		_ = odata.TokenLink("/x", raw, "t")
	})
}

// TestParseTopZero: $top=0 asks for no entities, which with $count=true is the count alone.
func TestParseTopZero(t *testing.T) {
	q, err := odata.ParseRaw("$top=0&$count=true", odata.Schema{})
	if err != nil || q.Top != 0 || !q.Count {
		t.Fatalf("ParseRaw($top=0&$count=true) = %+v, %v; want top 0 with the count", q, err)
	}
}

// comparisons is a $filter of n comparisons joined by and.
func comparisons(n int) string {
	return strings.Join(slices.Repeat([]string{"name ne 'x'"}, n), " and ")
}
