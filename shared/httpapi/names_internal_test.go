package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// matchesField reports whether encoding/json decodes the property key into a field tagged name.
// ok is false when name is not a tag encoding/json accepts as a name.
func matchesField(name, key string) (matched, ok bool) {
	if !validTag(name) {
		return false, false
	}
	typ := reflect.StructOf([]reflect.StructField{{
		Name: "F", Type: reflect.TypeFor[*int](), Tag: reflect.StructTag("json:" + strconv.Quote(name)),
	}})
	k, err := json.Marshal(key)
	if err != nil {
		return false, false
	}
	v := reflect.New(typ)
	if err := json.Unmarshal([]byte("{"+string(k)+":1}"), v.Interface()); err != nil {
		return false, false
	}
	return !v.Elem().Field(0).IsNil(), true
}

// validTag is encoding/json's rule for a tag name (encode.go isValidTag); "-" drops the field.
func validTag(s string) bool {
	if s == "" || s == "-" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}

// unquoted is key as a JSON decoder hands it over: invalid UTF-8 replaced, as encoding keys does.
func unquoted(key string) string {
	k, _ := json.Marshal(key)
	var s string
	_ = json.Unmarshal(k, &s)
	return s
}

// foldPairs are names that encoding/json matches or tells apart, for the fold test and as fuzz seeds.
var foldPairs = [][2]string{
	{"email", "email"}, {"email", "EMAIL"}, {"email", "eMaIl"}, {"email", "emails"}, {"email", "emai"},
	{"token", "to\u212Aen"},       // Kelvin sign K folds with k and K
	{"password", "pa\u017Fsword"}, // long s ſ folds with s and S
	{"url", "URL"}, {"url", "ur1"}, {"enableMultiFactorAuthentication", "enablemultifactorauthentication"},
	{"\u00e5", "\u212B"},             // å and the angstrom sign
	{"\u03bc", "\u00b5"},             // Greek mu and the micro sign
	{"\u03c3", "\u03c2"},             // sigma and final sigma
	{"\u00df", "\u1e9e"},             // ß and capital ẞ
	{"i", "\u0131"}, {"i", "\u0130"}, // dotless ı and dotted İ fold with neither i nor I
	{"ss", "\u00df"}, // no full case folding: ß is not ss
	{"key", "kEy\u0000"}, {"a-b", "A-B"}, {"a_b", "a-b"},
}

// TestFoldNameMatchesEncodingJSON: two names fold alike exactly when encoding/json would decode the
// one into a field named the other.
func TestFoldNameMatchesEncodingJSON(t *testing.T) {
	for _, p := range foldPairs {
		matched, ok := matchesField(p[0], p[1])
		if !ok {
			t.Fatalf("%q is not a tag name", p[0])
		}
		if same := foldName(p[0]) == foldName(unquoted(p[1])); same != matched {
			t.Errorf("%q and %q: folds alike = %v, encoding/json matches = %v", p[0], p[1], same, matched)
		}
	}
}

func FuzzFoldName(f *testing.F) {
	for _, p := range foldPairs {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, name, key string) {
		matched, ok := matchesField(name, key)
		if !ok {
			t.Skip("not a name a struct tag can hold, or a key encoding/json cannot read: no matching to compare with")
		}
		if same := foldName(name) == foldName(unquoted(key)); same != matched {
			t.Errorf("%q and %q: folds alike = %v, encoding/json matches = %v", name, key, same, matched)
		}
	})
}

// referenceRepeated is the exact-key reader: it reads each object's names as written (unquoted) into a
// list and compares every pair with bytes.EqualFold, the comparison encoding/json's name folding is
// defined by. Quadratic, and independent of repeatedName's one-set-per-object scan.
func referenceRepeated(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var value func() (string, bool)
	value = func() (string, bool) {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch tok {
		case json.Delim('{'):
			var names []string
			for dec.More() {
				tok, _ := dec.Token()
				name := tok.(string)
				for _, earlier := range names {
					if bytes.EqualFold([]byte(earlier), []byte(name)) {
						return name, true
					}
				}
				names = append(names, name)
				if n, dup := value(); dup {
					return n, true
				}
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if n, dup := value(); dup {
					return n, true
				}
			}
			_, _ = dec.Token()
		}
		return "", false
	}
	return value()
}

var nameBodies = []string{
	`{"a":1,"b":2}`, `{"a":1,"a":2}`, `{"a":1,"A":2}`, `{"a":{"a":1},"b":{"a":1}}`, `{"a":{"x":1,"X":2}}`,
	`{"a":[{"x":1},{"x":2}]}`, `{"a":[{"x":1,"y":{"z":1,"Z":1}}]}`, `[{"k":1,"\u212a":2}]`, `{"em\u0061il":1,"EMAIL":2}`,
	`{"":1,"":2}`, `{"s":{},"S":[]}`, `{"a":"b","b":"a"}`, `{"x":[[],[{}],{"y":[{"q":1,"Q":2}]}]}`, `"a"`, `1`, `[]`, `{}`,
	`{"a":1}` + strings.Repeat(" ", 3), `{"\u00df":1,"\u1e9e":2}`, `{"ss":1,"\u00df":2}`,
}

// TestRepeatedNameMatchesReference compares the scan with the exact-key reader.
func TestRepeatedNameMatchesReference(t *testing.T) {
	for _, b := range nameBodies {
		gotName, got := repeatedName([]byte(b))
		wantName, want := referenceRepeated([]byte(b))
		if got != want || gotName != wantName {
			t.Errorf("%s: repeatedName = %q, %v; the exact-key reader says %q, %v", b, gotName, got, wantName, want)
		}
	}
}

func FuzzRepeatedName(f *testing.F) {
	for _, b := range nameBodies {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if !json.Valid([]byte(body)) {
			t.Skip("not valid JSON: the handlers refuse it before looking for repeated names")
		}
		gotName, got := repeatedName([]byte(body))
		wantName, want := referenceRepeated([]byte(body))
		if got != want || gotName != wantName {
			t.Errorf("%s: repeatedName = %q, %v; the exact-key reader says %q, %v", body, gotName, got, wantName, want)
		}
	})
}

// TestRepeatedNameIsCheap: on the largest bodies (one object of many names; objects nested thousands
// deep) the scan costs no more than a few times what decoding the body costs encoding/json, which is
// linear: a pairwise comparison of names would cost some fifteen times as much on the first body.
// Each side is the best of several runs, measured back to back, so that a busy machine slows both.
func TestRepeatedNameIsCheap(t *testing.T) {
	var flat bytes.Buffer
	flat.WriteString("{")
	for i := range 1200 {
		if i > 0 {
			flat.WriteString(",")
		}
		flat.WriteString(strconv.Quote("n"+strconv.Itoa(i)) + ":0")
	}
	flat.WriteString("}")
	nested := strings.Repeat(`{"a":`, 2700) + "0" + strings.Repeat("}", 2700)
	for _, body := range [][]byte{flat.Bytes(), []byte(nested)} {
		if len(body) > MaxBodyBytes {
			t.Fatalf("a body of %d bytes is over the limit", len(body))
		}
		if _, dup := repeatedName(body); dup {
			t.Fatalf("%.40s...: no name repeats", body)
		}
		best := func(f func()) time.Duration {
			d := time.Hour
			for range 9 {
				start := time.Now()
				f()
				d = min(d, time.Since(start))
			}
			return d
		}
		scan := best(func() { repeatedName(body) })
		decode := best(func() {
			var v any
			_ = json.Unmarshal(body, &v)
		})
		if scan > 5*decode {
			t.Errorf("%.40s... (%d bytes): the scan takes %v, decoding %v", body, len(body), scan, decode)
		}
	}
}
