package localdynamo

import (
	"hash/fnv"

	"github.com/truora/minidyn/interpreter"
)

// readInput is a Query or a Scan.
type readInput struct {
	TableName                 string
	IndexName                 string
	KeyConditionExpression    string
	FilterExpression          string
	ProjectionExpression      string
	ExpressionAttributeNames  map[string]string
	ExpressionAttributeValues attrs
	Limit                     *int
	ExclusiveStartKey         attrs
	ScanIndexForward          *bool
	Select                    string
	ConsistentRead            bool
	Segment, TotalSegments    *int
}

// page is what a Query or a Scan answers.
type page struct {
	items   []map[string]any
	count   int
	scanned int
	last    attrs
}

func (p page) answer(countOnly bool) map[string]any {
	out := map[string]any{"Count": p.count, "ScannedCount": p.scanned}
	if !countOnly {
		out["Items"] = p.items
		if p.items == nil {
			out["Items"] = []map[string]any{}
		}
	}
	if p.last != nil {
		out["LastEvaluatedKey"] = wireItem(p.last)
	}
	return out
}

// source is what a read goes through: the table's order or an index's, checked against the request.
func (e *engine) source(in *readInput, exprs ...string) (*table, *index, *apiError) {
	if err := checkPlaceholders(in.ExpressionAttributeNames, in.ExpressionAttributeValues, exprs...); err != nil {
		return nil, nil, err
	}
	if in.Limit != nil && *in.Limit < 1 {
		return nil, nil, invalid("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
	}
	switch in.Select {
	case "", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT":
	case "SPECIFIC_ATTRIBUTES":
		if in.ProjectionExpression == "" {
			return nil, nil, invalid("SPECIFIC_ATTRIBUTES needs a ProjectionExpression")
		}
	default:
		return nil, nil, invalid("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint", in.Select)
	}
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, nil, err
	}
	if in.IndexName == "" {
		return t, nil, nil
	}
	for _, ix := range t.indexes {
		if ix.name == in.IndexName {
			if in.ConsistentRead && !ix.local {
				return nil, nil, invalid("Consistent reads are not supported on global secondary indexes")
			}
			return t, ix, nil
		}
	}
	return nil, nil, invalid("The table does not have the specified index: %s", in.IndexName)
}

// startAt is the place of a read's ExclusiveStartKey in the order it reads.
func (t *table) startAt(ix *index, start attrs) (entry, *apiError) {
	bad := invalid("The provided starting key is invalid: The provided key element does not match the schema")
	at, id, err := t.keyOf(t.keyAttrs(start, nil), true)
	if err != nil {
		return entry{}, bad
	}
	if ix == nil {
		if len(start) != len(t.keyAttrs(start, nil)) {
			return entry{}, bad
		}
		return at, nil
	}
	e, in, err := t.entryOf(ix, start, id)
	if err != nil || !in || len(start) != len(t.keyAttrs(start, ix)) {
		return entry{}, bad
	}
	return e, nil
}

// visit hands each item of the read, in order, to f (with its place), until f says stop.
func (t *table) visit(o *ordered, p pos, forward bool, f func(entry, attrs) bool) {
	if !forward {
		var ok bool
		if p, ok = o.prev(p); !ok {
			return
		}
	}
	for o.valid(p) {
		x := o.at(p)
		if !f(x, t.items[x.id].attrs) {
			return
		}
		if forward {
			p = o.next(p)
			continue
		}
		var ok bool
		if p, ok = o.prev(p); !ok {
			return
		}
	}
}

// take is one item a read reaches: counted against the Limit, filtered, projected. It says whether
// the read goes on.
func (e *engine) take(in *readInput, t *table, ix *index, pg *page, a attrs) (bool, *apiError) {
	pg.scanned++
	ok, err := e.holds(interpreter.ExpressionTypeFilter, in.FilterExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, a)
	if err != nil {
		return false, err
	}
	if ok {
		pg.count++
		if in.Select != "COUNT" {
			shown, err := e.project(t.projected(ix, a), in.ProjectionExpression, in.ExpressionAttributeNames)
			if err != nil {
				return false, err
			}
			pg.items = append(pg.items, wireItem(shown))
		}
	}
	if in.Limit != nil && pg.scanned == *in.Limit {
		pg.last = t.keyAttrs(a, ix)
		return false, nil
	}
	return true, nil
}

// query reads one partition, from its start or after the ExclusiveStartKey, in the order of its sort
// key: Limit items of those the key condition matches, of which it answers those that pass the
// filter. It costs what it reads, however many items the table holds.
func (e *engine) query(body []byte) (any, *apiError) {
	var in readInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == "" {
		return nil, invalid("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, ix, err := e.source(&in, in.KeyConditionExpression, in.FilterExpression, in.ProjectionExpression)
	if err != nil {
		return nil, err
	}
	o, hashKey := &t.order, t.hashKey
	if ix != nil {
		o, hashKey = &ix.order, ix.hashKey
	}
	kc, err := readKeyCondition(in.KeyConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, hashKey)
	if err != nil {
		return nil, err
	}
	part, ok := t.part(hashKey, kc.partition)
	if !ok {
		return nil, invalid("One or more parameter values were invalid: Condition parameter type does not match schema type")
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	var p pos
	switch {
	case in.ExclusiveStartKey != nil:
		start, err := t.startAt(ix, in.ExclusiveStartKey)
		if err != nil {
			return nil, err
		}
		if start.hash.cmp(part) != 0 {
			return nil, invalid("The provided starting key is outside query boundaries based on provided conditions")
		}
		p = o.first(func(x entry) bool { c := x.cmp(start); return c > 0 || (!forward && c == 0) })
	case forward:
		p = o.first(func(x entry) bool { return x.hash.cmp(part) >= 0 })
	default:
		p = o.first(func(x entry) bool { return x.hash.cmp(part) > 0 })
	}
	return e.collect(&in, t, ix, o, p, forward, func(x entry, a attrs) (bool, bool, *apiError) {
		if x.hash.cmp(part) != 0 {
			return false, false, nil
		}
		if !kc.more {
			return true, true, nil
		}
		matched, err := e.holds(interpreter.ExpressionTypeKey, in.KeyConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, a)
		return matched, true, err
	})
}

// scan reads the table, or an index, in its order from the start or after the ExclusiveStartKey:
// Limit items, of which it answers those that pass the filter; with TotalSegments, only the items of
// its Segment.
func (e *engine) scan(body []byte) (any, *apiError) {
	var in readInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if (in.Segment == nil) != (in.TotalSegments == nil) ||
		(in.TotalSegments != nil && (*in.TotalSegments < 1 || *in.Segment < 0 || *in.Segment >= *in.TotalSegments)) {
		return nil, invalid("Segment and TotalSegments go together, 0 <= Segment < TotalSegments")
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, ix, err := e.source(&in, in.FilterExpression, in.ProjectionExpression)
	if err != nil {
		return nil, err
	}
	o := &t.order
	if ix != nil {
		o = &ix.order
	}
	p := pos{}
	if in.ExclusiveStartKey != nil {
		start, err := t.startAt(ix, in.ExclusiveStartKey)
		if err != nil {
			return nil, err
		}
		p = o.first(func(x entry) bool { return x.cmp(start) > 0 })
	}
	return e.collect(&in, t, ix, o, p, true, func(x entry, _ attrs) (bool, bool, *apiError) {
		return in.TotalSegments == nil || segment(x.id, *in.TotalSegments) == *in.Segment, true, nil
	})
}

// collect reads the items of the order o from p: those that reach says it reaches (and while it says
// the read goes on) are taken, until the Limit; it answers the page.
func (e *engine) collect(in *readInput, t *table, ix *index, o *ordered, p pos, forward bool,
	reach func(entry, attrs) (reached, goOn bool, err *apiError)) (any, *apiError) {
	var pg page
	var err *apiError
	t.visit(o, p, forward, func(x entry, a attrs) bool {
		var reached, goOn bool
		if reached, goOn, err = reach(x, a); err != nil || !reached {
			return goOn && err == nil
		}
		goOn, err = e.take(in, t, ix, &pg, a)
		return goOn
	})
	if err != nil {
		return nil, err
	}
	return pg.answer(in.Select == "COUNT"), nil
}

func segment(id string, total int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % uint32(total))
}
