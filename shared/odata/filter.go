package odata

import (
	"strings"
	"unicode/utf8"
)

// token is a lexeme of $filter: a name (a property, operator or keyword) or a string literal.
type token struct {
	text    string
	literal bool // a quoted string; text is its value, '' already turned into '
}

// MaxComparisons bounds the comparisons of $filter: the store turns them into one expression, which
// its database holds to a size and a count of operators that a few dozen comparisons would pass.
const MaxComparisons = 20

// parseFilter parses "prop op literal [and prop op literal ...]" against the declared properties.
func parseFilter(v string, declared map[string]Kind) ([]Comparison, *Error) {
	if len(v) > maxFilterLen {
		return nil, refuse("$filter", "is longer than %d bytes", maxFilterLen)
	}
	toks, err := tokenize(v)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, refuse("$filter", "is empty")
	}
	var out []Comparison
	for i := 0; ; i += 4 {
		if len(toks)-i < 3 {
			return nil, refuse("$filter", "ends before a comparison of the form property eq value")
		}
		c, err := comparison(toks[i], toks[i+1], toks[i+2], declared)
		if err != nil {
			return nil, err
		}
		if out = append(out, c); len(out) > MaxComparisons {
			return nil, refuse("$filter", "has more than %d comparisons", MaxComparisons)
		}
		switch {
		case len(toks) == i+3:
			return out, nil
		case toks[i+3].literal || toks[i+3].text != "and":
			return nil, refuse("$filter", "%s is not supported; comparisons are joined by and", quoteName(toks[i+3].text))
		}
	}
}

func comparison(prop, op, lit token, declared map[string]Kind) (Comparison, *Error) {
	if prop.literal {
		return Comparison{}, refuse("$filter", "a comparison must start with a property, not the string %s", quoteName(prop.text))
	}
	kind, ok := declared[prop.text]
	if !ok {
		return Comparison{}, refuse("$filter", "%s is not a property that can be filtered on", quoteName(prop.text))
	}
	if op.literal || (op.text != string(Eq) && op.text != string(Ne)) {
		return Comparison{}, refuse("$filter", "%s is not supported; the operators are eq and ne", quoteName(op.text))
	}
	c := Comparison{Property: prop.text, Op: Op(op.text), Value: Value{Kind: kind}}
	switch {
	case kind == String && lit.literal:
		c.Value.Str = lit.text
	case kind == Bool && !lit.literal && (lit.text == "true" || lit.text == "false"):
		c.Value.Bool = lit.text == "true"
	case kind == String:
		return Comparison{}, refuse("$filter", "%s compares with a string in single quotes, not %s", prop.text, quoteName(lit.text))
	default:
		return Comparison{}, refuse("$filter", "%s compares with true or false, not %s", prop.text, quoteName(lit.text))
	}
	return c, nil
}

// tokenize splits $filter into names and string literals. Names are letters, digits and "_" (not
// starting with a digit); any other character outside a literal (parentheses, operators of
// arithmetic, "/", "$", ...) is refused, so a function call or a path never gets as far as a comparison.
func tokenize(v string) ([]token, *Error) {
	if !utf8.ValidString(v) {
		return nil, refuse("$filter", "is not valid UTF-8")
	}
	var toks []token
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				j := strings.IndexByte(v[i:], '\'')
				if j < 0 {
					return nil, refuse("$filter", "has a string without its closing quote")
				}
				b.WriteString(v[i : i+j])
				i += j + 1
				if i < len(v) && v[i] == '\'' { // '' is a quote inside the string
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			toks = append(toks, token{text: b.String(), literal: true})
		case isNameByte(c) && !('0' <= c && c <= '9'):
			j := i
			for j < len(v) && isNameByte(v[j]) {
				j++
			}
			toks = append(toks, token{text: v[i:j]})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(v[i:])
			return nil, refuse("$filter", "%s is not supported here", quoteName(string(r)))
		}
	}
	return toks, nil
}

func isNameByte(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}
