package functions_test

import (
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mfagateway/shared/localdeploy"
)

// skipMark stands, in a resolved value, for what a resource moto skipped would have given: moto
// leaves out a property that is only that (an environment variable, a statement's Resource) and
// writes something of its own where it is part of a string (an ARN in a Fn::Sub).
const skipMark = "\x00skipped\x00"

// resolver evaluates the translated template's intrinsics against the created stack, as
// CloudFormation would have: parameters, pseudo parameters, physical IDs and attributes read from
// the services (not from the stack's own answers).
type resolver struct {
	t       *testing.T
	d       *localdeploy.Deployment
	account string
	attrs   map[string]map[string]string // logical ID -> attribute -> value
	// standIns: a skipped resource with a stand-in resolves to the stand-in, as the functions see it.
	standIns bool
}

func (r *resolver) resolve(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if strings.HasPrefix(k, "Fn::") || k == "Ref" {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := map[string]any{}
		for k, e := range v {
			out[k] = r.resolve(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = r.resolve(e)
		}
		return out
	}
	return v
}

func (r *resolver) intrinsic(name string, arg any) any {
	r.t.Helper()
	list, _ := arg.([]any)
	switch name {
	case "Ref":
		s, _ := arg.(string)
		return r.ref(s)
	case "Fn::GetAtt":
		if len(list) == 2 {
			id, _ := list[0].(string)
			attr, _ := list[1].(string)
			return r.getAtt(id, attr)
		}
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::If":
		if len(list) == 3 {
			cond, _ := list[0].(string)
			if r.condition(cond) {
				return r.resolve(list[1])
			}
			return r.resolve(list[2])
		}
	}
	r.t.Fatalf("the test does not resolve %s %v: extend the resolver", name, arg)
	return nil
}

func (r *resolver) ref(name string) any {
	r.t.Helper()
	switch name {
	case "AWS::Region":
		return r.d.AWS.Region
	case "AWS::AccountId":
		return r.account
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return r.d.Stack
	case "AWS::StackId":
		return r.d.StackID
	}
	if v, ok := r.d.Parameters[name]; ok {
		return v
	}
	if _, ok := r.d.Skipped[name]; ok {
		if s, ok := r.d.StandIns[name]; ok && r.standIns {
			return s.Ref
		}
		return skipMark
	}
	id := r.d.PhysicalID(name)
	if id == "" {
		r.t.Fatalf("Ref %s: neither a parameter nor a resource of the stack with a physical ID", name)
	}
	return id
}

func (r *resolver) getAtt(id, attr string) any {
	r.t.Helper()
	if _, ok := r.d.Skipped[id]; ok {
		return skipMark
	}
	v, ok := r.attrs[id][attr]
	if !ok {
		r.t.Fatalf("Fn::GetAtt %s.%s: the test reads no such attribute from the services; extend live", id, attr)
	}
	return v
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (r *resolver) sub(arg any) any {
	r.t.Helper()
	text, vars := arg, map[string]any{}
	if list, ok := arg.([]any); ok && len(list) == 2 {
		text = list[0]
		vars, _ = list[1].(map[string]any)
	}
	s, ok := text.(string)
	if !ok {
		r.t.Fatalf("Fn::Sub of %v", arg)
	}
	return subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		var v any
		switch {
		case strings.HasPrefix(name, "!"):
			return "${" + name[1:] + "}"
		case vars[name] != nil:
			v = r.resolve(vars[name])
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			id, attr, _ := strings.Cut(name, ".")
			v = r.getAtt(id, attr)
		default:
			v = r.ref(name)
		}
		str, ok := v.(string)
		if !ok {
			r.t.Fatalf("Fn::Sub %s: %v is not a string", m, v)
		}
		return str
	})
}

func (r *resolver) condition(name string) bool {
	r.t.Helper()
	def := dig(r.d.Template, "Conditions", name)
	if def == nil {
		r.t.Fatalf("no condition %s", name)
	}
	return r.evalCondition(def)
}

func (r *resolver) evalCondition(v any) bool {
	r.t.Helper()
	m, _ := v.(map[string]any)
	for k, arg := range m {
		list, _ := arg.([]any)
		switch k {
		case "Fn::Equals":
			if len(list) == 2 {
				return reflect.DeepEqual(r.resolve(list[0]), r.resolve(list[1]))
			}
		case "Fn::Not":
			if len(list) == 1 {
				return !r.evalCondition(list[0])
			}
		case "Condition":
			s, _ := arg.(string)
			return r.condition(s)
		}
	}
	r.t.Fatalf("the test does not evaluate the condition %v", v)
	return false
}

// mismatches compares what the services hold (got, decoded JSON) with the resolved template value
// (want), and lists each difference with its path. A property whose wanted value is skipMark must be
// missing; a string holding skipMark matches any text without ':' or '/' in its place.
func mismatches(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s = %v, want an object %v", path, got, w)}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, present := g[k]
			if w[k] == skipMark {
				if present {
					out = append(out, fmt.Sprintf("%s.%s = %v, want it left out (it names a resource moto skipped)", path, k, gv))
				}
				continue
			}
			if !present {
				out = append(out, fmt.Sprintf("%s.%s is missing, want %v", path, k, w[k]))
				continue
			}
			out = append(out, mismatches(path+"."+k, w[k], gv)...)
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s = %v, which the template does not set", path, k, g[k]))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s = %v, want %v", path, got, w)}
		}
		var out []string
		for i := range w {
			out = append(out, mismatches(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	case string:
		g, ok := got.(string)
		if !ok || !matchesResolved(w, g) {
			return []string{fmt.Sprintf("%s = %v, want %q", path, got, strings.ReplaceAll(w, skipMark, "<skipped>"))}
		}
		return nil
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s = %v, want %v", path, got, want)}
	}
	return nil
}

func matchesResolved(want, got string) bool {
	if !strings.Contains(want, skipMark) {
		return want == got
	}
	parts := strings.Split(want, skipMark)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, "[^:/]*") + "$").MatchString(got)
}

// dig walks nested JSON objects by key; nil when a key is missing.
var dig = localdeploy.Dig

// resourcesOfType are the translated template's resources of a type, by logical ID.
func resourcesOfType(d *localdeploy.Deployment, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	resources, _ := d.Template["Resources"].(map[string]any)
	for id, r := range resources {
		if m, _ := r.(map[string]any); m["Type"] == typ {
			props, _ := m["Properties"].(map[string]any)
			out[id] = props
		}
	}
	return out
}
