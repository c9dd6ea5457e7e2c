package localdeploy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parameter is one entry of a template's Parameters, the fields CloudFormation checks a value by.
type parameter struct {
	Type                  string
	Default               any
	AllowedValues         []any
	AllowedPattern        *string
	MinLength, MaxLength  *int
	MinValue, MaxValue    *float64
	ConstraintDescription string
}

// resolveParameters checks the given values against the template's Parameters as CloudFormation does
// before it creates anything, and returns every parameter's value: the given one, else the default.
// moto accepts any value, so without this a value the template refuses would deploy here and fail only
// on AWS. The messages are CloudFormation's.
func resolveParameters(declared map[string]parameter, given map[string]string) (map[string]string, error) {
	var unknown []string
	for name := range given {
		if _, ok := declared[name]; !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("Parameters: [%s] do not exist in the template", strings.Join(unknown, ", "))
	}
	values := map[string]string{}
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		p := declared[name]
		v, ok := given[name]
		if !ok {
			if p.Default == nil {
				missing = append(missing, name)
				continue
			}
			v = scalar(p.Default)
		}
		if err := p.check(name, v); err != nil {
			return nil, err
		}
		values[name] = v
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	return values, nil
}

// check is CloudFormation's validation of one value.
func (p parameter) check(name, v string) error {
	fail := func(rule string) error {
		if p.ConstraintDescription != "" {
			return fmt.Errorf("Parameter '%s' failed to satisfy constraint: %s", name, p.ConstraintDescription)
		}
		return fmt.Errorf("Parameter '%s' %s", name, rule)
	}
	switch p.Type {
	case "String":
	case "Number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("Parameter '%s' must be a number", name)
		}
		if p.MinValue != nil && n < *p.MinValue {
			return fail(fmt.Sprintf("must be a number not less than %v", *p.MinValue))
		}
		if p.MaxValue != nil && n > *p.MaxValue {
			return fail(fmt.Sprintf("must be a number not greater than %v", *p.MaxValue))
		}
	default:
		return fmt.Errorf("Parameter '%s': Type %s is not checked by this deploy; use String or Number", name, p.Type)
	}
	if len(p.AllowedValues) > 0 && !slices.ContainsFunc(p.AllowedValues, func(a any) bool { return scalar(a) == v }) {
		return fail("must be one of AllowedValues")
	}
	if p.AllowedPattern != nil {
		// CloudFormation matches the whole value against the pattern.
		re, err := regexp.Compile(`^(?:` + *p.AllowedPattern + `)$`)
		if err != nil {
			return fmt.Errorf("Parameter '%s': AllowedPattern %s: %w", name, *p.AllowedPattern, err)
		}
		if !re.MatchString(v) {
			return fail("must match pattern " + *p.AllowedPattern)
		}
	}
	n := utf8.RuneCountInString(v)
	if p.MinLength != nil && n < *p.MinLength {
		return fail(fmt.Sprintf("must contain at least %d characters", *p.MinLength))
	}
	if p.MaxLength != nil && n > *p.MaxLength {
		return fail(fmt.Sprintf("must contain at most %d characters", *p.MaxLength))
	}
	return nil
}

// scalar is a template scalar (a default, an allowed value) as CloudFormation passes it: text.
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
