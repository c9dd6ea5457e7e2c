package odata_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"mfagateway/shared/odata"
)

// TestParseSkipToken: $skiptoken is taken as it is with a query that pages by key, and refused,
// naming it, with anything that orders, skips or counts otherwise.
func TestParseSkipToken(t *testing.T) {
	for _, raw := range []string{
		"$skiptoken=abc",
		"$skiptoken=abc&$top=5&$filter=name%20eq%20'x'&$select=name",
		"$skiptoken=abc&$orderby=createDate",
		"$skiptoken=abc&$orderby=createDate%20asc",
		"$skiptoken=abc&$skip=0&$count=false",
		"$SkipToken=abc",
	} {
		q, err := odata.ParseRaw(raw, schema)
		if err != nil || q.SkipToken != "abc" || !q.Keyset() {
			t.Errorf("ParseRaw(%q) = %+v, %v; want the token, paging by key", raw, q, err)
		}
	}
	for raw, conflict := range map[string]string{
		"$skiptoken=abc&$orderby=name":                               "$orderby",
		"$skiptoken=abc&$orderby=createDate%20desc":                  "$orderby",
		"$skiptoken=abc&$orderby=createDate,name":                    "$orderby",
		"$skiptoken=abc&$skip=1":                                     "$skip",
		"$skiptoken=abc&$count=true":                                 "$count",
		"$skiptoken=abc&$top=0":                                      "$top=0",
		"$skiptoken=":                                                "nextLink",
		"$skiptoken=" + strings.Repeat("a", odata.MaxSkipTokenLen+1): "nextLink",
		"$skiptoken=a&$skiptoken=b":                                  "more than once",
		"$skiptoken=a&$SKIPTOKEN=b":                                  "more than once",
	} {
		_, err := odata.ParseRaw(raw, schema)
		var oe *odata.Error
		if !errors.As(err, &oe) || !strings.EqualFold(oe.Option, "$skiptoken") || !strings.Contains(oe.Reason, conflict) {
			t.Errorf("ParseRaw(%.60q) = %v; want $skiptoken refused, naming %s", raw, err, conflict)
		}
	}
	if _, err := odata.ParseRaw("$skiptoken="+strings.Repeat("a", odata.MaxSkipTokenLen), schema); err != nil {
		t.Errorf("a token of %d characters: %v", odata.MaxSkipTokenLen, err)
	}
}

// TestKeyset: which queries page by key, token or not.
func TestKeyset(t *testing.T) {
	for raw, want := range map[string]bool{
		"":                                  true,
		"$top=1000&$filter=name%20eq%20'a'": true,
		"$orderby=createDate":               true,
		"$orderby=name":                     false,
		"$orderby=createDate%20desc":        false,
		"$skip=3":                           false,
		"$count=true":                       false,
		"$top=0":                            false,
	} {
		q, err := odata.ParseRaw(raw, schema)
		if err != nil || q.Keyset() != want {
			t.Errorf("ParseRaw(%q).Keyset() = %v (%v), want %v", raw, q.Keyset(), err, want)
		}
	}
}

// TestTokenLink: the next page of a list read by key keeps every option but the token, which it
// replaces, in whatever spelling the request had it.
func TestTokenLink(t *testing.T) {
	raw := "$filter=name%20eq%20'a%26b'&$top=2&$select=name&$SkipToken=old&custom=1"
	link := odata.TokenLink("/odata/Applications", raw, "new-token_")
	path, query, _ := strings.Cut(link, "?")
	got, err := url.ParseQuery(query)
	if path != "/odata/Applications" || err != nil {
		t.Fatalf("TokenLink = %q (%v)", link, err)
	}
	want := url.Values{"$filter": {"name eq 'a&b'"}, "$top": {"2"}, "$select": {"name"}, "$skiptoken": {"new-token_"}, "custom": {"1"}}
	if got.Encode() != want.Encode() {
		t.Errorf("TokenLink options = %v, want %v", got, want)
	}
	q, err := odata.ParseRaw(query, schema)
	if err != nil || q.SkipToken != "new-token_" || q.Top != 2 || len(q.Filter) != 1 || q.Filter[0].Value.Str != "a&b" {
		t.Errorf("the link's options parse to %+v, %v", q, err)
	}
}
