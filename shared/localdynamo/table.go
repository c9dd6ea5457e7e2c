package localdynamo

import (
	"math/big"
	"strconv"
	"time"

	"github.com/truora/minidyn/types"
)

// table is one table's items and indexes. Each item is found by its id (its key, as one string) and
// placed in the table's order and in the order of every index whose keys it has, so that a read, a
// write and a page of a Query or Scan cost the same whatever the table holds.
type table struct {
	name              string
	created           time.Time
	hashKey, rangeKey string
	attrTypes         map[string]string // declared key attributes: S, N or B
	defs              []attrDef         // as declared, for DescribeTable
	billing           string
	indexes           []*index
	items             map[string]*record
	order             ordered
	ttl               string // the TTL attribute, "" when TTL is off
	sweepFrom         *entry // where the next sweep goes on, nil for the start
}

type attrDef struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

// record is a stored item. Its attributes are never changed in place: a write stores a new map, so
// what a reader holds stays as it read it.
type record struct {
	attrs attrs
	at    entry // its place in the table's order
}

// index is a global or local secondary index: the items with its keys, in its order.
type index struct {
	name              string
	local             bool
	hashKey, rangeKey string
	projection        string   // ALL, KEYS_ONLY or INCLUDE
	nonKey            []string // INCLUDE's attributes
	order             ordered
}

// maxItemBytes is DynamoDB's limit on an item's size.
const maxItemBytes = 400 * 1024

// typeOf is the type of an attribute value as DynamoDB names it.
func typeOf(v *types.Item) string {
	switch {
	case v.S != nil:
		return "S"
	case v.N != nil:
		return "N"
	case v.B != nil:
		return "B"
	case v.BOOL != nil:
		return "BOOL"
	case v.NULL != nil:
		return "NULL"
	case v.SS != nil:
		return "SS"
	case v.NS != nil:
		return "NS"
	case v.BS != nil:
		return "BS"
	case v.L != nil:
		return "L"
	}
	return "M"
}

// part is a key attribute's value; false when it is not of the attribute's declared type.
func (t *table) part(attr string, v *types.Item) (keyPart, bool) {
	switch t.attrTypes[attr] {
	case "S":
		if v.S != nil {
			return keyPart{s: *v.S}, true
		}
	case "N":
		if v.N != nil {
			if r, ok := new(big.Rat).SetString(*v.N); ok {
				return keyPart{n: r}, true
			}
		}
	case "B":
		if v.B != nil {
			return keyPart{s: string(v.B)}, true
		}
	}
	return keyPart{}, false
}

func empty(v *types.Item) bool { return (v.S != nil && *v.S == "") || (v.B != nil && len(v.B) == 0) }

// keyOf is the place in the table's order and the id of the item a (exact: a is a Key, which must hold
// the key attributes and nothing else).
func (t *table) keyOf(a attrs, exact bool) (entry, string, *apiError) {
	keys := []string{t.hashKey}
	if t.rangeKey != "" {
		keys = append(keys, t.rangeKey)
	}
	if exact && len(a) != len(keys) {
		return entry{}, "", invalid("The provided key element does not match the schema")
	}
	var parts [2]keyPart
	for i, k := range keys {
		v, ok := a[k]
		if !ok {
			if exact {
				return entry{}, "", invalid("The provided key element does not match the schema")
			}
			return entry{}, "", invalid("One or more parameter values were invalid: Missing the key %s in the item", k)
		}
		p, ok := t.part(k, v)
		if !ok {
			if exact {
				return entry{}, "", invalid("The provided key element does not match the schema")
			}
			return entry{}, "", invalid("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s",
				k, t.attrTypes[k], typeOf(v))
		}
		if empty(v) {
			return entry{}, "", invalid("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", k)
		}
		parts[i] = p
	}
	h := parts[0].canonical()
	id := strconv.Itoa(len(h)) + ":" + h + parts[1].canonical()
	return entry{hash: parts[0], rng: parts[1], id: id}, id, nil
}

// entryOf is the item's place in the index; false when it lacks the index's keys (indexes are sparse).
func (t *table) entryOf(ix *index, a attrs, id string) (entry, bool, *apiError) {
	e := entry{id: id}
	for i, k := range []string{ix.hashKey, ix.rangeKey} {
		if k == "" {
			continue
		}
		v, ok := a[k]
		if !ok {
			return entry{}, false, nil
		}
		p, ok := t.part(k, v)
		if !ok {
			return entry{}, false, invalid("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s",
				k, t.attrTypes[k], typeOf(v), ix.name)
		}
		if empty(v) {
			return entry{}, false, invalid("One or more parameter values are not valid. A value specified for a secondary index key is not supported. "+
				"The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.name, k)
		}
		if i == 0 {
			e.hash = p
		} else {
			e.rng = p
		}
	}
	return e, true, nil
}

// check refuses an item DynamoDB would not store, and returns its place and id.
func (t *table) check(a attrs) (entry, string, *apiError) {
	if err := checkAttrs(a); err != nil {
		return entry{}, "", err
	}
	at, id, err := t.keyOf(a, false)
	if err != nil {
		return entry{}, "", err
	}
	for _, ix := range t.indexes {
		if _, _, err := t.entryOf(ix, a, id); err != nil {
			return entry{}, "", err
		}
	}
	if itemBytes(a) > maxItemBytes {
		return entry{}, "", invalid("Item size has exceeded the maximum allowed size")
	}
	return at, id, nil
}

func itemBytes(a attrs) int {
	n := 0
	for k, v := range a {
		n += len(k) + valueBytes(v)
	}
	return n
}

func valueBytes(v *types.Item) int {
	n := 1
	switch {
	case v.S != nil:
		n = len(*v.S)
	case v.N != nil:
		n = len(*v.N)
	case v.B != nil:
		n = len(v.B)
	}
	for _, s := range v.SS {
		n += len(*s)
	}
	for _, s := range v.NS {
		n += len(*s)
	}
	for _, b := range v.BS {
		n += len(b)
	}
	for _, e := range v.L {
		n += 1 + valueBytes(e)
	}
	for k, e := range v.M {
		n += 1 + len(k) + valueBytes(e)
	}
	return n
}

// get is the stored item of the id, nil for none.
func (t *table) get(id string) attrs {
	if r := t.items[id]; r != nil {
		return r.attrs
	}
	return nil
}

// put stores a (checked) under id at its place, in place of what was there, in every order it belongs to.
func (t *table) put(id string, at entry, a attrs) {
	old := t.items[id]
	for _, ix := range t.indexes {
		var was entry
		var wasIn bool
		if old != nil {
			was, wasIn, _ = t.entryOf(ix, old.attrs, id)
		}
		now, nowIn, _ := t.entryOf(ix, a, id)
		if wasIn && nowIn && was.cmp(now) == 0 {
			continue
		}
		if wasIn {
			ix.order.remove(was)
		}
		if nowIn {
			ix.order.insert(now)
		}
	}
	if old == nil {
		t.order.insert(at)
	}
	t.items[id] = &record{attrs: a, at: at}
}

// remove deletes the item of the id, if there is one, from every order.
func (t *table) remove(id string) {
	old := t.items[id]
	if old == nil {
		return
	}
	for _, ix := range t.indexes {
		if e, in, _ := t.entryOf(ix, old.attrs, id); in {
			ix.order.remove(e)
		}
	}
	t.order.remove(old.at)
	delete(t.items, id)
}

// keyAttrs is the part of an item a LastEvaluatedKey holds: the table's key, and the index's when
// reading one.
func (t *table) keyAttrs(a attrs, ix *index) attrs {
	out := attrs{}
	for _, k := range []string{t.hashKey, t.rangeKey} {
		if v, ok := a[k]; ok && k != "" {
			out[k] = v
		}
	}
	if ix != nil {
		for _, k := range []string{ix.hashKey, ix.rangeKey} {
			if v, ok := a[k]; ok && k != "" {
				out[k] = v
			}
		}
	}
	return out
}

// projected is the item as the index holds it.
func (t *table) projected(ix *index, a attrs) attrs {
	if ix == nil || ix.projection == "ALL" || ix.projection == "" {
		return a
	}
	out := t.keyAttrs(a, ix)
	if ix.projection == "INCLUDE" {
		for _, k := range ix.nonKey {
			if v, ok := a[k]; ok {
				out[k] = v
			}
		}
	}
	return out
}
