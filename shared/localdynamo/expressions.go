package localdynamo

import (
	"regexp"
	"slices"
	"strings"

	"github.com/truora/minidyn/interpreter"
	"github.com/truora/minidyn/interpreter/language"
	"github.com/truora/minidyn/types"
)

// Expressions (conditions, filters, key conditions, updates, projections) are minidyn's interpreter's
// to evaluate; what is here checks their placeholders and reads a key condition's partition.

// placeholder is a name (#n) or value (:v) placeholder of an expression.
var placeholder = regexp.MustCompile(`[#:][A-Za-z0-9_]+`)

// checkPlaceholders refuses, as DynamoDB does, expression names or values that no expression of the
// request uses, and placeholders that no map defines.
func checkPlaceholders(names map[string]string, values attrs, exprs ...string) *apiError {
	used := map[string]bool{}
	some := false
	for _, x := range exprs {
		some = some || strings.TrimSpace(x) != ""
		for _, p := range placeholder.FindAllString(x, -1) {
			used[p] = true
		}
	}
	if !some {
		switch {
		case len(names) > 0:
			return invalid("ExpressionAttributeNames can only be specified when using expressions")
		case len(values) > 0:
			return invalid("ExpressionAttributeValues can only be specified when using expressions")
		}
		return nil
	}
	if unused := unusedKeys(names, used); unused != "" {
		return invalid("Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", unused)
	}
	if unused := unusedKeys(values, used); unused != "" {
		return invalid("Value provided in ExpressionAttributeValues unused in expressions: keys: {%s}", unused)
	}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range used {
			if !yield(p) {
				return
			}
		}
	}) {
		if _, ok := names[p]; p[0] == '#' && !ok {
			return invalid("An expression attribute name used in the document path is not defined; attribute name: %s", p)
		}
		if _, ok := values[p]; p[0] == ':' && !ok {
			return invalid("An expression attribute value used in expression is not defined; attribute value: %s", p)
		}
	}
	return checkAttrs(values)
}

func unusedKeys[V any](m map[string]V, used map[string]bool) string {
	var unused []string
	for k := range m {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	slices.Sort(unused)
	return strings.Join(unused, ", ")
}

// holds evaluates a condition, filter or key condition on an item (nil: none); an empty expression holds.
func (e *engine) holds(kind interpreter.ExpressionType, expr string, names map[string]string, values, item attrs) (bool, *apiError) {
	if expr == "" {
		return true, nil
	}
	if item == nil {
		item = attrs{}
	}
	ok, err := e.lang.Match(interpreter.MatchInput{Expression: expr, ExpressionType: kind, Item: item, Aliases: names, Attributes: values})
	if err != nil {
		return false, invalid("%s", err.Error())
	}
	return ok, nil
}

// updated is the item after an update expression, as a new map (old stays as it was); for an item
// that does not exist, old is nil and the update starts from its key.
func (e *engine) updated(t *table, old, key attrs, expr string, names map[string]string, values attrs) (attrs, *apiError) {
	start := old
	if start == nil {
		start = key
	}
	work := clone(start)
	if strings.TrimSpace(expr) == "" {
		return work, nil
	}
	if err := language.ValidateUpdateExpressionDoesNotTargetPrimaryKey(expr, names, t.hashKey, t.rangeKey); err != nil {
		return nil, invalid("%s", err.Error())
	}
	if err := e.lang.Update(interpreter.UpdateInput{Expression: expr, Item: work, Attributes: values, Aliases: names}); err != nil {
		return nil, invalid("Invalid UpdateExpression: %s", err.Error())
	}
	// The interpreter writes a new value for every attribute the item keeps and leaves out the ones
	// REMOVE took, which work then still holds with their old value, the very same pointer.
	for k, v := range work {
		// A DELETE that takes a set's last element removes the attribute, as DynamoDB does: a set is
		// never empty.
		if start[k] == v || v != nil && (v.SS != nil && len(v.SS) == 0 || v.NS != nil && len(v.NS) == 0 || v.BS != nil && len(v.BS) == 0) {
			delete(work, k)
		}
	}
	return work, nil
}

// project keeps the attributes a projection expression names (all without one).
func (e *engine) project(a attrs, expr string, names map[string]string) (attrs, *apiError) {
	if expr == "" {
		return a, nil
	}
	out, err := e.lang.Project(interpreter.ProjectInput{Expression: expr, Item: a, Aliases: names})
	if err != nil {
		return nil, invalid("%s", err.Error())
	}
	return out, nil
}

// keyCondition is what a Query reads: the partition, and whether the condition says more (of the
// sort key) than which partition, so that each item of it must be matched.
type keyCondition struct {
	partition *types.Item
	more      bool
}

// readKeyCondition finds the partition a key condition names: the value its hash key must equal.
func readKeyCondition(expr string, names map[string]string, values attrs, hashKey string) (keyCondition, *apiError) {
	p := language.NewParser(language.NewLexer(expr))
	root := p.ParseConditionalExpression()
	if len(p.Errors()) > 0 || root.Expression == nil {
		return keyCondition{}, invalid("Invalid KeyConditionExpression: Syntax error; %s", strings.Join(p.Errors(), "; "))
	}
	name := func(x language.Expression) string {
		id, ok := x.(*language.Identifier)
		if !ok {
			return ""
		}
		if n, ok := names[id.Value]; ok {
			return n
		}
		return id.Value
	}
	value := func(x language.Expression) *types.Item {
		if id, ok := x.(*language.Identifier); ok && strings.HasPrefix(id.Value, ":") {
			return values[id.Value]
		}
		return nil
	}
	var kc keyCondition
	var walk func(x language.Expression)
	walk = func(x language.Expression) {
		in, ok := x.(*language.InfixExpression)
		if !ok {
			return
		}
		switch {
		case strings.EqualFold(in.Operator, "AND"):
			walk(in.Left)
			walk(in.Right)
		case in.Operator == "=" && name(in.Left) == hashKey && value(in.Right) != nil:
			kc.partition = value(in.Right)
		case in.Operator == "=" && name(in.Right) == hashKey && value(in.Left) != nil:
			kc.partition = value(in.Left)
		}
	}
	walk(root.Expression)
	if kc.partition == nil {
		return keyCondition{}, invalid("Query condition missed key schema element: %s", hashKey)
	}
	in, bare := root.Expression.(*language.InfixExpression)
	kc.more = !bare || in.Operator != "="
	return kc, nil
}
