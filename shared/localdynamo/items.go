package localdynamo

import (
	"reflect"
	"slices"

	"github.com/truora/minidyn/interpreter"
)

// writeInput is a PutItem, UpdateItem, DeleteItem or a transaction's Put, Update, Delete or
// ConditionCheck: their fields are named alike.
type writeInput struct {
	TableName                           string
	Item                                attrs // Put
	Key                                 attrs // Update, Delete, ConditionCheck
	UpdateExpression                    string
	ConditionExpression                 string
	ExpressionAttributeNames            map[string]string
	ExpressionAttributeValues           attrs
	ReturnValues                        string
	ReturnValuesOnConditionCheckFailure string
}

type writeKind int

const (
	kindPut writeKind = iota
	kindUpdate
	kindDelete
	kindCheck
)

// change is a write worked out against the current state and not yet applied.
type change struct {
	t        *table
	id       string
	at       entry
	old, new attrs // new is nil for a delete or a check
	kind     writeKind
}

// target is the table and the id of the item a write is for; the caller holds the lock.
func (e *engine) target(kind writeKind, in *writeInput) (*table, entry, string, *apiError) {
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, entry{}, "", err
	}
	if kind == kindPut {
		at, id, err := t.check(in.Item)
		return t, at, id, err
	}
	if err := checkAttrs(in.Key); err != nil {
		return nil, entry{}, "", err
	}
	at, id, err := t.keyOf(in.Key, true)
	return t, at, id, err
}

// plan works the write out under the lock the caller holds. A failed condition is an error of type
// ConditionalCheckFailedException, and the change then still names its table and item.
func (e *engine) plan(kind writeKind, in *writeInput) (change, *apiError) {
	exprs := []string{in.ConditionExpression}
	if kind == kindUpdate {
		exprs = append(exprs, in.UpdateExpression)
	}
	if err := checkPlaceholders(in.ExpressionAttributeNames, in.ExpressionAttributeValues, exprs...); err != nil {
		return change{}, err
	}
	if rv := in.ReturnValuesOnConditionCheckFailure; rv != "" && rv != "NONE" && rv != "ALL_OLD" {
		return change{}, invalid("1 validation error detected: Value '%s' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]", rv)
	}
	if kind == kindCheck && in.ConditionExpression == "" {
		return change{}, invalid("The expression can not be empty; ConditionCheck needs a ConditionExpression")
	}
	t, at, id, err := e.target(kind, in)
	if err != nil {
		return change{}, err
	}
	c := change{t: t, id: id, at: at, old: t.get(id), kind: kind}
	ok, err := e.holds(interpreter.ExpressionTypeConditional, in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues, c.old)
	if err != nil {
		return change{}, err
	}
	if !ok {
		return c, checkFailed(c.old, in.ReturnValuesOnConditionCheckFailure == "ALL_OLD")
	}
	switch kind {
	case kindPut:
		c.new = in.Item
	case kindUpdate:
		if c.new, err = e.updated(t, c.old, in.Key, in.UpdateExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues); err != nil {
			return change{}, err
		}
		if _, _, err := t.check(c.new); err != nil {
			return change{}, err
		}
	}
	return c, nil
}

func (c change) apply() {
	switch c.kind {
	case kindPut, kindUpdate:
		c.t.put(c.id, c.at, c.new)
	case kindDelete:
		c.t.remove(c.id)
	}
}

// write serves PutItem, UpdateItem and DeleteItem.
func (e *engine) write(kind writeKind, body []byte, returns ...string) (any, *apiError) {
	var in writeInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.ReturnValues != "" && in.ReturnValues != "NONE" && !slices.Contains(returns, in.ReturnValues) {
		return nil, invalid("Return values set to invalid value: %s", in.ReturnValues)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c, err := e.plan(kind, &in)
	if err != nil {
		return nil, err
	}
	c.apply()
	var out attrs
	switch in.ReturnValues {
	case "ALL_OLD":
		out = c.old
	case "ALL_NEW":
		out = c.new
	case "UPDATED_OLD":
		out = changed(c.old, c.new, c.old)
	case "UPDATED_NEW":
		out = changed(c.old, c.new, c.new)
	}
	if len(out) == 0 {
		return map[string]any{}, nil
	}
	return map[string]any{"Attributes": wireItem(out)}, nil
}

// changed is the attributes of from that differ between old and new.
func changed(old, new, from attrs) attrs {
	out := attrs{}
	for k, v := range from {
		if !reflect.DeepEqual(old[k], new[k]) {
			out[k] = v
		}
	}
	return out
}

func (e *engine) putItem(body []byte) (any, *apiError) { return e.write(kindPut, body, "ALL_OLD") }

func (e *engine) updateItem(body []byte) (any, *apiError) {
	return e.write(kindUpdate, body, "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW")
}

func (e *engine) deleteItem(body []byte) (any, *apiError) {
	return e.write(kindDelete, body, "ALL_OLD")
}

// getInput is a GetItem, and a transaction's Get.
type getInput struct {
	TableName                string
	Key                      attrs
	ProjectionExpression     string
	ExpressionAttributeNames map[string]string
	ConsistentRead           bool
}

// get reads one item, projected, under the lock the caller holds; nil when there is none.
func (e *engine) get(in *getInput) (attrs, *apiError) {
	if err := checkPlaceholders(in.ExpressionAttributeNames, nil, in.ProjectionExpression); err != nil {
		return nil, err
	}
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, err
	}
	if err := checkAttrs(in.Key); err != nil {
		return nil, err
	}
	_, id, err := t.keyOf(in.Key, true)
	if err != nil {
		return nil, err
	}
	item := t.get(id)
	if item == nil {
		return nil, nil
	}
	return e.project(item, in.ProjectionExpression, in.ExpressionAttributeNames)
}

func (e *engine) getItem(body []byte) (any, *apiError) {
	var in getInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	item, err := e.get(&in)
	if err != nil || item == nil {
		return map[string]any{}, err
	}
	return map[string]any{"Item": wireItem(item)}, nil
}

func (e *engine) batchGetItem(body []byte) (any, *apiError) {
	var in struct {
		RequestItems map[string]struct {
			Keys                     []attrs
			ProjectionExpression     string
			ExpressionAttributeNames map[string]string
			ConsistentRead           bool
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	n := 0
	for _, r := range in.RequestItems {
		n += len(r.Keys)
	}
	if n == 0 || n > 100 {
		return nil, invalid("Too many items requested for the BatchGetItem call: %d keys, from 1 to 100 allowed", n)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	responses := map[string][]map[string]any{}
	seen := claims{}
	for name, r := range in.RequestItems {
		found := []map[string]any{}
		for _, key := range r.Keys {
			if !seen.claimKey(e.tables[name], key) {
				return nil, invalid("Provided list of item keys contains duplicates")
			}
			item, err := e.get(&getInput{TableName: name, Key: key, ProjectionExpression: r.ProjectionExpression,
				ExpressionAttributeNames: r.ExpressionAttributeNames})
			if err != nil {
				return nil, err
			}
			if item != nil {
				found = append(found, wireItem(item))
			}
		}
		responses[name] = found
	}
	return map[string]any{"Responses": responses, "UnprocessedKeys": map[string]any{}}, nil
}

func (e *engine) batchWriteItem(body []byte) (any, *apiError) {
	var in struct {
		RequestItems map[string][]struct {
			PutRequest    *struct{ Item attrs }
			DeleteRequest *struct{ Key attrs }
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	n := 0
	for _, reqs := range in.RequestItems {
		n += len(reqs)
	}
	if n == 0 || n > 25 {
		return nil, invalid("Too many items requested for the BatchWriteItem call: %d requests, from 1 to 25 allowed", n)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var changes []change
	seen := claims{}
	for name, reqs := range in.RequestItems {
		for _, r := range reqs {
			var w writeInput
			kind := kindPut
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				w = writeInput{TableName: name, Item: r.PutRequest.Item}
			case r.DeleteRequest != nil && r.PutRequest == nil:
				w, kind = writeInput{TableName: name, Key: r.DeleteRequest.Key}, kindDelete
			default:
				return nil, invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
			c, err := e.plan(kind, &w)
			if err != nil {
				return nil, err
			}
			if !seen.claim(c.t, c.id) {
				return nil, invalid("Provided list of item keys contains duplicates")
			}
			changes = append(changes, c)
		}
	}
	for _, c := range changes {
		c.apply()
	}
	return map[string]any{"UnprocessedItems": map[string]any{}}, nil
}

// claims are the items a batch or a transaction has named so far, by table and id.
type claims map[*table]map[string]bool

// claim reports whether the item is new to the batch, and claims it.
func (cl claims) claim(t *table, id string) bool {
	if cl[t] == nil {
		cl[t] = map[string]bool{}
	}
	if cl[t][id] {
		return false
	}
	cl[t][id] = true
	return true
}

// claimKey claims the item of a Key; one of a missing table or of a bad key is left for the read to
// refuse.
func (cl claims) claimKey(t *table, key attrs) bool {
	if t == nil {
		return true
	}
	_, id, err := t.keyOf(key, true)
	return err != nil || cl.claim(t, id)
}
