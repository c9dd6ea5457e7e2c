package localdynamo

import (
	"net/http"
	"strings"
)

// A transaction is worked out whole against the state it finds, under the lock held alone: every
// item's condition is checked and every new item built before anything is written, and then all of it
// is written, or, when a condition fails, none of it. Nothing is copied but the items it writes.

const maxTransactItems = 100

func transactSize(n int) *apiError {
	if n == 0 || n > maxTransactItems {
		return invalid("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length from 1 to %d, not %d", maxTransactItems, n)
	}
	return nil
}

func (e *engine) transactWriteItems(body []byte) (any, *apiError) {
	var in struct {
		TransactItems []struct {
			Put, Update, Delete, ConditionCheck *writeInput
		}
		ClientRequestToken string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := transactSize(len(in.TransactItems)); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	changes := make([]change, len(in.TransactItems))
	reasons := make([]reason, len(in.TransactItems))
	seen := claims{}
	cancelled := false
	for i, item := range in.TransactItems {
		kind, w, ok := transactPart(item.Put, item.Update, item.Delete, item.ConditionCheck)
		if !ok {
			return nil, invalid("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		c, err := e.plan(kind, w)
		reasons[i] = reason{Code: "None"}
		switch {
		case err != nil && err.typ == "ConditionalCheckFailedException":
			reasons[i] = reason{Code: "ConditionalCheckFailed", Message: conditionFailed, Item: wireItem(err.item)}
			cancelled = true
		case err != nil:
			return nil, err
		}
		if !seen.claim(c.t, c.id) {
			return nil, invalid("Transaction request cannot include multiple operations on one item")
		}
		changes[i] = c
	}
	if cancelled {
		codes := make([]string, len(reasons))
		for i, r := range reasons {
			codes[i] = r.Code
		}
		return nil, &apiError{status: http.StatusBadRequest, typ: "TransactionCanceledException", reasons: reasons,
			msg: "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]"}
	}
	for _, c := range changes {
		c.apply()
	}
	return map[string]any{}, nil
}

// transactPart is the one write a transaction's item holds; false when it holds none or several.
func transactPart(put, update, del, check *writeInput) (writeKind, *writeInput, bool) {
	var kind writeKind
	var w *writeInput
	n := 0
	for k, x := range map[writeKind]*writeInput{kindPut: put, kindUpdate: update, kindDelete: del, kindCheck: check} {
		if x != nil {
			kind, w, n = k, x, n+1
		}
	}
	return kind, w, n == 1
}

func (e *engine) transactGetItems(body []byte) (any, *apiError) {
	var in struct {
		TransactItems []struct{ Get *getInput }
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := transactSize(len(in.TransactItems)); err != nil {
		return nil, err
	}
	// One read lock over every Get: no write lands between two of them.
	e.mu.RLock()
	defer e.mu.RUnlock()
	responses := make([]map[string]any, len(in.TransactItems))
	seen := claims{}
	for i, item := range in.TransactItems {
		if item.Get == nil {
			return nil, invalid("TransactItems can only contain Get")
		}
		if !seen.claimKey(e.tables[item.Get.TableName], item.Get.Key) {
			return nil, invalid("Transaction request cannot include multiple operations on one item")
		}
		got, err := e.get(item.Get)
		if err != nil {
			return nil, err
		}
		responses[i] = map[string]any{}
		if got != nil {
			responses[i]["Item"] = wireItem(got)
		}
	}
	return map[string]any{"Responses": responses}, nil
}
