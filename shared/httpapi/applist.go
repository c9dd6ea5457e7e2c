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
	if oe := (*odata.Error)(nil); errors.As(err, &oe) {
		return h.fail(ctx, req, invalid("%s %s.", oe.Option, oe.Reason)), nil
	}
	page, err := h.apps.ListPage(ctx, who, q)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	value := make([]any, 0, len(page.Apps))
	for _, app := range page.Apps {
		value = append(value, selected(newApplicationResponse(app), q.Select))
	}
	body := map[string]any{"value": value}
	if q.Count {
		body["@odata.count"] = page.Matched
	}
	if page.More && q.Top > 0 { // a page of none would link to itself
		body["@odata.nextLink"] = odata.NextLink(req.RawPath, req.RawQueryString, q, len(page.Apps))
	}
	return respond(http.StatusOK, body), nil
}

// applicationSchema is auth.ApplicationSchema with every property of the entity selectable: the JSON
// names of applicationResponse, so that a property added to the entity can be selected at once.
var applicationSchema = func() odata.Schema {
	s := auth.ApplicationSchema
	for f := range reflect.TypeFor[applicationResponse]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		s.Select = append(s.Select, name)
	}
	return s
}()

// selected is the entity with only the properties of $select, or the whole entity when it names none.
func selected(entity applicationResponse, props []string) any {
	if len(props) == 0 {
		return entity
	}
	var all map[string]json.RawMessage
	b, _ := json.Marshal(entity) // a struct of strings and a bool always encodes
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
