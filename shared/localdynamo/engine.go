package localdynamo

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/truora/minidyn/interpreter"
)

// engine serves the DynamoDB JSON protocol (1.0) over tables kept in memory. One lock orders every
// request: reads share it, and a write, a batch or a transaction holds it alone, so each is atomic and
// sees one consistent state.
type engine struct {
	mu     sync.RWMutex
	tables map[string]*table
	lang   interpreter.Language
	now    func() time.Time // for the tables' creation times
}

func newEngine() *engine {
	return &engine{tables: map[string]*table{}, now: time.Now}
}

// operations are the DynamoDB operations the engine serves, by the name X-Amz-Target gives them.
var operations = map[string]func(*engine, []byte) (any, *apiError){
	"CreateTable": (*engine).createTable, "DescribeTable": (*engine).describeTable, "DeleteTable": (*engine).deleteTable,
	"ListTables": (*engine).listTables, "UpdateTimeToLive": (*engine).updateTimeToLive, "DescribeTimeToLive": (*engine).describeTimeToLive,
	"GetItem": (*engine).getItem, "PutItem": (*engine).putItem, "UpdateItem": (*engine).updateItem, "DeleteItem": (*engine).deleteItem,
	"Query": (*engine).query, "Scan": (*engine).scan, "BatchGetItem": (*engine).batchGetItem, "BatchWriteItem": (*engine).batchWriteItem,
	"TransactWriteItems": (*engine).transactWriteItems, "TransactGetItems": (*engine).transactGetItems,
}

func (e *engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	serve, ok := operations[op]
	if r.Method != http.MethodPost || !ok {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "UnknownOperationException", msg: "operation " + op + " is not served"})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, &apiError{status: http.StatusBadRequest, typ: "SerializationException", msg: "read the request"})
		return
	}
	out, aerr := serve(e, body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func decode(body []byte, in any) *apiError {
	if err := json.Unmarshal(body, in); err != nil {
		return &apiError{status: http.StatusBadRequest, typ: "SerializationException", msg: err.Error()}
	}
	return nil
}

// table is the table of the name; the caller holds the lock.
func (e *engine) table(name string) (*table, *apiError) {
	t, ok := e.tables[name]
	if !ok {
		return nil, notFound(name)
	}
	return t, nil
}

type keyElement struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

type projection struct {
	ProjectionType   string   `json:"ProjectionType"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type indexInput struct {
	IndexName  string
	KeySchema  []keyElement
	Projection projection
}

type createTableInput struct {
	TableName              string
	AttributeDefinitions   []attrDef
	KeySchema              []keyElement
	GlobalSecondaryIndexes []indexInput
	LocalSecondaryIndexes  []indexInput
	BillingMode            string
}

var tableName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

// keysOf reads a key schema: its hash key and its range key ("" for none).
func keysOf(ks []keyElement) (hash, rng string, ok bool) {
	switch {
	case len(ks) == 1 && ks[0].KeyType == "HASH":
		return ks[0].AttributeName, "", true
	case len(ks) == 2 && ks[0].KeyType == "HASH" && ks[1].KeyType == "RANGE":
		return ks[0].AttributeName, ks[1].AttributeName, true
	}
	return "", "", false
}

func (e *engine) createTable(body []byte) (any, *apiError) {
	var in createTableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !tableName.MatchString(in.TableName) {
		return nil, invalid("TableName must be at least 3 characters long and at most 255 characters long, of a-z, A-Z, 0-9, '_', '-' and '.'")
	}
	t := &table{name: in.TableName, created: e.now(), attrTypes: map[string]string{}, defs: in.AttributeDefinitions,
		billing: in.BillingMode, items: map[string]*record{}}
	if t.billing == "" {
		t.billing = "PROVISIONED"
	}
	for _, d := range in.AttributeDefinitions {
		if d.AttributeType != "S" && d.AttributeType != "N" && d.AttributeType != "B" {
			return nil, invalid("Member must satisfy enum value set: [B, N, S]; attribute %s", d.AttributeName)
		}
		t.attrTypes[d.AttributeName] = d.AttributeType
	}
	var ok bool
	if t.hashKey, t.rangeKey, ok = keysOf(in.KeySchema); !ok {
		return nil, invalid("Invalid KeySchema: a HASH key, and at most one RANGE key after it")
	}
	used := map[string]bool{t.hashKey: true, t.rangeKey: true}
	for _, list := range []struct {
		local   bool
		indexes []indexInput
	}{{false, in.GlobalSecondaryIndexes}, {true, in.LocalSecondaryIndexes}} {
		for _, ix := range list.indexes {
			hash, rng, ok := keysOf(ix.KeySchema)
			if !ok || ix.IndexName == "" || slices.ContainsFunc(t.indexes, func(x *index) bool { return x.name == ix.IndexName }) {
				return nil, invalid("One or more parameter values were invalid: index %q: a unique name and a HASH key, and at most one RANGE key", ix.IndexName)
			}
			if list.local && hash != t.hashKey {
				return nil, invalid("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s", ix.IndexName)
			}
			kind := ix.Projection.ProjectionType
			if kind == "" {
				kind = "ALL"
			}
			t.indexes = append(t.indexes, &index{name: ix.IndexName, local: list.local, hashKey: hash, rangeKey: rng,
				projection: kind, nonKey: ix.Projection.NonKeyAttributes})
			used[hash], used[rng] = true, true
		}
	}
	delete(used, "")
	for k := range used {
		if t.attrTypes[k] == "" {
			return nil, invalid("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s]", k)
		}
	}
	if len(used) != len(t.attrTypes) {
		return nil, invalid("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, exists := e.tables[in.TableName]; exists {
		return nil, &apiError{status: http.StatusBadRequest, typ: "ResourceInUseException", msg: "Table already exists: " + in.TableName}
	}
	e.tables[in.TableName] = t
	return map[string]any{"TableDescription": t.describe("ACTIVE")}, nil
}

type tableInput struct{ TableName string }

// onTable serves a request that names only a table: f answers it under the lock, held alone when
// it writes.
func (e *engine) onTable(body []byte, writes bool, f func(t *table) any) (any, *apiError) {
	var in tableInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if writes {
		e.mu.Lock()
		defer e.mu.Unlock()
	} else {
		e.mu.RLock()
		defer e.mu.RUnlock()
	}
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, err
	}
	return f(t), nil
}

func (e *engine) describeTable(body []byte) (any, *apiError) {
	return e.onTable(body, false, func(t *table) any { return map[string]any{"Table": t.describe("ACTIVE")} })
}

func (e *engine) deleteTable(body []byte) (any, *apiError) {
	return e.onTable(body, true, func(t *table) any {
		delete(e.tables, t.name)
		return map[string]any{"TableDescription": t.describe("DELETING")}
	})
}

func (e *engine) listTables([]byte) (any, *apiError) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	names := []string{}
	for name := range e.tables {
		names = append(names, name)
	}
	slices.Sort(names)
	return map[string]any{"TableNames": names}, nil
}

type ttlSpecification struct {
	AttributeName string `json:"AttributeName"`
	Enabled       bool   `json:"Enabled"`
}

func (e *engine) updateTimeToLive(body []byte) (any, *apiError) {
	var in struct {
		TableName               string
		TimeToLiveSpecification ttlSpecification
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	spec := in.TimeToLiveSpecification
	if spec.AttributeName == "" {
		return nil, invalid("TimeToLiveSpecification.AttributeName must be given")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.table(in.TableName)
	if err != nil {
		return nil, err
	}
	switch {
	case spec.Enabled && t.ttl != "":
		return nil, invalid("TimeToLive is already enabled")
	case !spec.Enabled && t.ttl == "":
		return nil, invalid("TimeToLive is already disabled")
	case !spec.Enabled && spec.AttributeName != t.ttl:
		return nil, invalid("TimeToLive is active on a different AttributeName: current AttributeName is %s", t.ttl)
	case spec.Enabled:
		t.ttl = spec.AttributeName
	default:
		t.ttl = ""
	}
	t.sweepFrom = nil
	return map[string]any{"TimeToLiveSpecification": spec}, nil
}

func (e *engine) describeTimeToLive(body []byte) (any, *apiError) {
	return e.onTable(body, false, func(t *table) any {
		if t.ttl == "" {
			return map[string]any{"TimeToLiveDescription": map[string]any{"TimeToLiveStatus": "DISABLED"}}
		}
		return map[string]any{"TimeToLiveDescription": map[string]any{"TimeToLiveStatus": "ENABLED", "AttributeName": t.ttl}}
	})
}

func keySchema(hash, rng string) []keyElement {
	ks := []keyElement{{AttributeName: hash, KeyType: "HASH"}}
	if rng != "" {
		ks = append(ks, keyElement{AttributeName: rng, KeyType: "RANGE"})
	}
	return ks
}

// describe is the table as DescribeTable tells it.
func (t *table) describe(status string) map[string]any {
	arn := "arn:aws:dynamodb:us-east-1:000000000000:table/" + t.name
	d := map[string]any{
		"TableName": t.name, "TableArn": arn, "TableStatus": status,
		"CreationDateTime": float64(t.created.UnixMilli()) / 1000,
		"ItemCount":        len(t.items), "TableSizeBytes": 0,
		"KeySchema": keySchema(t.hashKey, t.rangeKey), "AttributeDefinitions": t.defs,
		"BillingModeSummary":    map[string]any{"BillingMode": t.billing},
		"ProvisionedThroughput": map[string]any{"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0},
	}
	var global, local []map[string]any
	for _, ix := range t.indexes {
		desc := map[string]any{
			"IndexName": ix.name, "IndexArn": arn + "/index/" + ix.name, "KeySchema": keySchema(ix.hashKey, ix.rangeKey),
			"Projection": projection{ProjectionType: ix.projection, NonKeyAttributes: ix.nonKey}, "ItemCount": ix.order.len(),
			"IndexSizeBytes": 0,
		}
		if ix.local {
			local = append(local, desc)
			continue
		}
		desc["IndexStatus"] = "ACTIVE"
		desc["ProvisionedThroughput"] = map[string]any{"ReadCapacityUnits": 0, "WriteCapacityUnits": 0, "NumberOfDecreasesToday": 0}
		global = append(global, desc)
	}
	if global != nil {
		d["GlobalSecondaryIndexes"] = global
	}
	if local != nil {
		d["LocalSecondaryIndexes"] = local
	}
	return d
}
