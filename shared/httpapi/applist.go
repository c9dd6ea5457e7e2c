package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"

	"mfagateway/shared/auth"
	"mfagateway/shared/odata"
)

// List handles GET /odata/Applications: {"value": [...]} with the OData query options of
// auth.ApplicationSchema, "@odata.count" on $count=true and "@odata.nextLink" while pages remain.
func (h *Applications) List(ctx context.Context, req Request, who auth.Session) (Response, error) {
	q, err := odata.ParseRaw(req.RawQueryString, applicationSchema)
	if apiErr := queryError(err); apiErr != nil {
		return h.fail(ctx, req, apiErr), nil
	}
	page, err := h.apps.ListPage(ctx, who, q)
	if apiErr := queryError(err); apiErr != nil { // a $skiptoken the list did not hand out
		return h.fail(ctx, req, apiErr), nil
	}
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	value := make([]any, 0, len(page.Apps))
	for _, app := range page.Apps {
		value = append(value, newApplicationResponse(app))
	}
	return collection(req, q, value, page.Matched, page.More, page.Next), nil
}

// queryError is the answer to refused query options, nil when they were taken.
func queryError(err error) *Error {
	if oe := (*odata.Error)(nil); errors.As(err, &oe) {
		return invalid("%s %s.", oe.Option, oe.Reason)
	}
	return nil
}

// collection answers a list: {"value": [...]} with the entities' $select properties, "@odata.count"
// (of matched) on $count=true and "@odata.nextLink" while more remain: with $skiptoken next when the
// list pages by key, with $skip advanced past this page otherwise.
func collection(req Request, q odata.Query, entities []any, matched int, more bool, next string) Response {
	value := make([]any, 0, len(entities))
	for _, e := range entities {
		value = append(value, selected(e, q.Select))
	}
	body := map[string]any{"value": value}
	if q.Count {
		body["@odata.count"] = matched
	}
	switch {
	case next != "":
		body["@odata.nextLink"] = odata.TokenLink(req.RawPath, req.RawQueryString, next)
	case more && q.Top > 0: // a page of none would link to itself
		body["@odata.nextLink"] = odata.NextLink(req.RawPath, req.RawQueryString, q, len(entities))
	}
	return respond(http.StatusOK, body)
}

// applicationSchema is auth.ApplicationSchema with every property of the entity selectable.
var applicationSchema = selectable[applicationResponse](auth.ApplicationSchema)

// selectable is s with every property of the entity type E selectable: the JSON names of its fields,
// so that a property added to the entity can be selected at once.
func selectable[E any](s odata.Schema) odata.Schema {
	s.Select = nil
	for f := range reflect.TypeFor[E]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		s.Select = append(s.Select, name)
	}
	return s
}

// selected is the entity with only the properties of $select, or the whole entity when it names none.
func selected(entity any, props []string) any {
	if len(props) == 0 {
		return entity
	}
	var all map[string]json.RawMessage
	b, _ := json.Marshal(entity) // the entities are structs of plain values, which always encode
	_ = json.Unmarshal(b, &all)
	out := make(map[string]json.RawMessage, len(props))
	for _, p := range props {
		out[p] = all[p]
	}
	return out
}

// Delete handles DELETE /odata/Applications/{appId}: 204, the application and its url gone.
func (h *Applications) Delete(ctx context.Context, req Request, who auth.Session) (Response, error) {
	id := appID(req)
	if !plausibleID(id) {
		return h.fail(ctx, req, auth.ErrNotFound), nil
	}
	if err := h.apps.Delete(ctx, who, id); err != nil {
		return h.fail(ctx, req, err), nil
	}
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}, nil
}
