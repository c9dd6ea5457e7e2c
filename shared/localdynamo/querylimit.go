package localdynamo

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
)

// queryLimit gives the engine's Query DynamoDB's meaning of Limit beside a FilterExpression. DynamoDB
// reads at most Limit items of the key condition, then filters them, and its LastEvaluatedKey is the
// last item read. minidyn (v0.8.2, core/table.go SearchData) also counts, towards Limit, the index's
// items of other partitions that it steps over, and may answer with one of them as LastEvaluatedKey,
// which a list paging by key then refuses as a key outside its partition.
//
// Such a Query is answered from two: the same without its filter and projection (what DynamoDB would
// read: the items, their count and LastEvaluatedKey) and the same without Limit (what passes the
// filter, projected); the answer is the items of the second that the first read, matched by the
// table's key "pk", which the gateway's lists always project. Every other request passes as it is.
type queryLimit struct{ engine http.Handler }

// queryOutput is the part of a Query's answer this rewrites.
type queryOutput struct {
	Items            []map[string]json.RawMessage `json:"Items"`
	LastEvaluatedKey map[string]json.RawMessage   `json:"LastEvaluatedKey,omitempty"`
}

func (q queryLimit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in map[string]json.RawMessage
	if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.Query" || json.Unmarshal(body, &in) != nil ||
		in["FilterExpression"] == nil || in["Limit"] == nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		q.engine.ServeHTTP(w, r)
		return
	}
	read, ok := q.query(w, r, in, "FilterExpression", "ProjectionExpression")
	if !ok {
		return
	}
	passed, ok := q.query(w, r, in, "Limit")
	if !ok {
		return
	}
	wasRead := make(map[string]bool, len(read.Items))
	for _, item := range read.Items {
		wasRead[string(item["pk"])] = true
	}
	kept := []map[string]json.RawMessage{}
	for _, item := range passed.Items {
		if wasRead[string(item["pk"])] {
			kept = append(kept, item)
		}
	}
	answer := map[string]any{"Items": kept, "Count": len(kept), "ScannedCount": len(read.Items)}
	if read.LastEvaluatedKey != nil {
		answer["LastEvaluatedKey"] = read.LastEvaluatedKey
	}
	out, err := json.Marshal(answer)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = w.Write(out)
}

// query runs the Query in without the fields named on the engine. An answer other than 200 goes to w
// as it is, and ok is false.
func (q queryLimit) query(w http.ResponseWriter, r *http.Request, in map[string]json.RawMessage, without ...string) (queryOutput, bool) {
	changed := make(map[string]json.RawMessage, len(in))
	for k, v := range in {
		changed[k] = v
	}
	for _, k := range without {
		delete(changed, k)
	}
	pruneUnused(changed)
	body, _ := json.Marshal(changed) // raw messages that decoded a moment ago
	req := r.Clone(r.Context())
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	rec := httptest.NewRecorder()
	q.engine.ServeHTTP(rec, req)
	var out queryOutput
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return queryOutput{}, false
	}
	return out, true
}

// placeholder is a name (#n) or value (:v) placeholder of an expression.
var placeholder = regexp.MustCompile(`[#:][A-Za-z0-9_]+`)

// pruneUnused drops the expression names and values that no expression left in the request uses,
// which the engine (as DynamoDB) refuses.
func pruneUnused(in map[string]json.RawMessage) {
	used := map[string]bool{}
	for _, field := range []string{"KeyConditionExpression", "FilterExpression", "ProjectionExpression"} {
		var expr string
		_ = json.Unmarshal(in[field], &expr) // absent: none
		for _, p := range placeholder.FindAllString(expr, -1) {
			used[p] = true
		}
	}
	for _, field := range []string{"ExpressionAttributeNames", "ExpressionAttributeValues"} {
		var m map[string]json.RawMessage
		if json.Unmarshal(in[field], &m) != nil {
			continue
		}
		for k := range m {
			if !used[k] {
				delete(m, k)
			}
		}
		in[field], _ = json.Marshal(m)
	}
}
