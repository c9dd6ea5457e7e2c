package localdynamo

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"

	"github.com/truora/minidyn/types"
)

// attrs is an item, a key or a set of expression values, in the interpreter's representation, whose
// fields are named as DynamoDB's JSON names them, so requests decode into it as they come.
type attrs = map[string]*types.Item

// apiError is an error answered as DynamoDB answers it: a 400 (500 for our own faults) whose body
// names the exception.
type apiError struct {
	status  int
	typ     string
	msg     string
	item    attrs    // ConditionalCheckFailedException: the item, asked for with ALL_OLD
	reasons []reason // TransactionCanceledException
}

// reason is why one item of a transaction was refused ("None" when it was not).
type reason struct {
	Code    string `json:"Code"`
	Message string `json:"Message,omitempty"`
	Item    any    `json:"Item,omitempty"`
}

func (e *apiError) Error() string { return e.typ + ": " + e.msg }

func invalid(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "ValidationException", msg: fmt.Sprintf(format, args...)}
}

func notFound(table string) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: "ResourceNotFoundException",
		msg: "Requested resource not found: Table: " + table + " not found"}
}

const conditionFailed = "The conditional request failed"

// checkFailed is a failed condition; old is the item as it stood, sent back when returnOld.
func checkFailed(old attrs, returnOld bool) *apiError {
	e := &apiError{status: http.StatusBadRequest, typ: "ConditionalCheckFailedException", msg: conditionFailed}
	if returnOld {
		e.item = old
	}
	return e
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#" + e.typ, "message": e.msg}
	if len(e.item) > 0 {
		body["Item"] = wireItem(e.item)
	}
	if e.reasons != nil {
		body["CancellationReasons"] = e.reasons
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	out, err := json.Marshal(body)
	if err != nil {
		status, out = http.StatusInternalServerError, []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

// wireItem is an item as DynamoDB's JSON writes it; nil for none, which the answer then leaves out.
func wireItem(a attrs) map[string]any {
	if a == nil {
		return nil
	}
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = wireValue(v)
	}
	return out
}

func wireValue(v *types.Item) any {
	switch {
	case v.S != nil:
		return map[string]any{"S": *v.S}
	case v.N != nil:
		return map[string]any{"N": *v.N}
	case v.B != nil:
		return map[string]any{"B": v.B}
	case v.BOOL != nil:
		return map[string]any{"BOOL": *v.BOOL}
	case v.NULL != nil:
		return map[string]any{"NULL": *v.NULL}
	case v.SS != nil:
		return map[string]any{"SS": v.SS}
	case v.NS != nil:
		return map[string]any{"NS": v.NS}
	case v.BS != nil:
		return map[string]any{"BS": v.BS}
	case v.L != nil:
		l := make([]any, len(v.L))
		for i, e := range v.L {
			l[i] = wireValue(e)
		}
		return map[string]any{"L": l}
	case v.M != nil:
		return map[string]any{"M": wireItem(v.M)}
	}
	return map[string]any{}
}

// checkAttrs refuses what DynamoDB refuses in an item or a key: a value of no type or of two, an
// empty set, a set with a member twice.
func checkAttrs(a attrs) *apiError {
	for _, v := range a {
		if err := checkValue(v); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(v *types.Item) *apiError {
	if v == nil {
		return invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	}
	kinds := 0
	for _, set := range []bool{v.S != nil, v.N != nil, v.B != nil, v.BOOL != nil, v.NULL != nil,
		v.SS != nil, v.NS != nil, v.BS != nil, v.L != nil, v.M != nil} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds == 0:
		return invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case kinds > 1:
		return invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	for set, empty := range map[string]bool{"string": v.SS != nil && len(v.SS) == 0,
		"number": v.NS != nil && len(v.NS) == 0, "binary": v.BS != nil && len(v.BS) == 0} {
		if empty {
			return invalid("One or more parameter values were invalid: An %s set  may not be empty", set)
		}
	}
	if err := types.ValidateItemAttributeValue(v); err != nil {
		return invalid("%s", err.Error())
	}
	for _, e := range v.L {
		if err := checkValue(e); err != nil {
			return err
		}
	}
	for _, e := range v.M {
		if err := checkValue(e); err != nil {
			return err
		}
	}
	return nil
}

// clone is a copy of the item's top level; the interpreter builds new values for what it changes.
func clone(a attrs) attrs {
	out := make(attrs, len(a))
	maps.Copy(out, a)
	return out
}
