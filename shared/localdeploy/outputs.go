package localdeploy

import (
	"regexp"
	"slices"
	"strings"
)

// Output is one of the template's Outputs as this deploy can give it.
type Output struct {
	Key, Value string
	// Note says why the value is not CloudFormation's: it names a skipped resource (moto left it out
	// or unresolved), or it is a stand-in's.
	Note string
}

// OutputList is every Output of the template, by key: the stack's value; a stand-in's Ref where the
// output is !Ref of a skipped resource that has one; or a note naming the skipped resources it needs.
func (d *Deployment) OutputList() []Output {
	declared, _ := d.Template["Outputs"].(map[string]any)
	var out []Output
	for _, key := range sortedKeys(declared) {
		o := Output{Key: key, Value: d.Outputs[key]}
		value := Dig(declared[key], "Value")
		var skipped []string
		for _, id := range References(value) {
			if _, ok := d.Skipped[id]; ok {
				skipped = append(skipped, id)
			}
		}
		ref, _ := Dig(value, "Ref").(string)
		switch s, ok := d.StandIns[ref]; {
		case ok:
			o.Value, o.Note = s.Ref, "stand-in for "+ref+", which moto skipped"
		case len(skipped) > 0:
			o.Note = "needs " + strings.Join(skipped, ", ") + ", which moto skipped"
		}
		out = append(out, o)
	}
	return out
}

// subRef is a ${Name} or ${Name.Attribute} of Fn::Sub (not ${!Literal}).
var subRef = regexp.MustCompile(`\$\{([^!}][^}.]*)(\.[^}]*)?\}`)

// References are the logical IDs (and parameters) a template value names through Ref, Fn::GetAtt and
// Fn::Sub, sorted; pseudo parameters (AWS::...) are left out.
func References(v any) []string {
	seen := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["Ref"].(string); ok && len(v) == 1 {
				seen[ref] = true
				return
			}
			if ga, ok := v["Fn::GetAtt"].([]any); ok && len(v) == 1 && len(ga) > 0 {
				if id, ok := ga[0].(string); ok {
					seen[id] = true
				}
				return
			}
			if sub, ok := v["Fn::Sub"]; ok && len(v) == 1 {
				text, vars := sub, map[string]any{}
				if list, ok := sub.([]any); ok && len(list) == 2 {
					text = list[0]
					vars, _ = list[1].(map[string]any)
				}
				s, _ := text.(string)
				for _, m := range subRef.FindAllStringSubmatch(s, -1) {
					if _, isVar := vars[m[1]]; !isVar {
						seen[m[1]] = true
					}
				}
				for _, value := range vars {
					walk(value)
				}
				return
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	var ids []string
	for id := range seen {
		if !strings.HasPrefix(id, "AWS::") {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
