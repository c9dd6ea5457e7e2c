package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// errorFormat is the shape of a route's error bodies. A row's format follows from its path (formatOf),
// once, when a function's router is built; the router hands it to the handler in the context, so that
// fail and the guard write every error of the row in it.
type errorFormat uint8

const (
	plainErrors errorFormat = iota // {"code", "message", ...extra}: the /api routes
	odataErrors                    // {"error": {"code", "message", ...extra}}: OData's JSON error format, the /odata routes
)

// formatOf is the error format of a path: OData's under /odata, the plain one elsewhere.
func formatOf(path string) errorFormat {
	first, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if strings.EqualFold(first, "odata") {
		return odataErrors
	}
	return plainErrors
}

// response renders e in the format.
func (f errorFormat) response(e *Error) Response {
	body := map[string]any{"code": e.Code, "message": e.Message}
	for k, v := range e.Extra {
		body[k] = v
	}
	var v any = body
	if f == odataErrors {
		v = map[string]any{"error": body}
	}
	resp := respond(e.Status, v)
	if e.RetryAfter > 0 {
		resp.Headers["Retry-After"] = strconv.Itoa(e.RetryAfter)
	}
	return resp
}

type formatKey struct{}

// withFormat is ctx carrying the error format of the request's row.
func withFormat(ctx context.Context, f errorFormat) context.Context {
	return context.WithValue(ctx, formatKey{}, f)
}

// formatIn is the error format ctx carries; plain when it carries none (a handler called without a router).
func formatIn(ctx context.Context) errorFormat {
	f, _ := ctx.Value(formatKey{}).(errorFormat)
	return f
}

// format is the row's error format; every spelling of a row has the first one's.
func (r Route) format() errorFormat { return formatOf(r.Paths[0]) }

// ErrorResponse renders e in the error format of the row: {"error": {...}} on /odata, {"code", ...} elsewhere.
func (r Route) ErrorResponse(e *Error) Response {
	return r.format().response(e)
}

// NotFoundAt is the answer for a path no row of this function serves, in the error format of the path.
func NotFoundAt(path string) Response {
	return formatOf(path).response(noRoute())
}

func noRoute() *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "No such route."}
}

// preferenceApplied is the Preference-Applied value (RFC 7240) of a write that answers with the entity.
const preferenceApplied = "return=representation"

// prefersRepresentation reports whether the request's Prefer header (RFC 7240) asks for the entity in
// the answer of a write. The header may hold several preferences, comma-separated (API Gateway joins
// repeated headers that way too), each possibly with parameters after ";"; names and the value compare
// without regard to case, and only the first return preference counts, as RFC 7240 wants.
func prefersRepresentation(req Request) bool {
	for _, pref := range strings.Split(Header(req, "prefer"), ",") {
		pref, _, _ = strings.Cut(pref, ";")
		name, value, _ := strings.Cut(pref, "=")
		if strings.EqualFold(strings.TrimSpace(name), "return") {
			return strings.EqualFold(strings.Trim(strings.TrimSpace(value), `"`), "representation")
		}
	}
	return false
}

// decodeOData decodes an /odata body: strictly (an unknown property is 400), except that OData
// annotations ("@odata.etag", "name@odata.type", ...) are ignored, so that an entity a client read can
// be sent back as it is. The duplicate-name check runs on the body as sent, annotations included.
func decodeOData(req Request, dst any) *Error {
	return decodeBody(req, dst, true)
}

// withoutAnnotations is the JSON object b without its top-level OData annotations; b itself when it
// has none or is not one JSON object (the strict decoding then says what is wrong with it).
func withoutAnnotations(b []byte) []byte {
	if !bytes.Contains(b, []byte("@")) && !bytes.Contains(b, []byte(`\u`)) {
		return b // no name can be an annotation, not even an escaped one
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return b
	}
	dropped := false
	for name := range obj {
		if strings.Contains(strings.ToLower(name), "@odata.") {
			delete(obj, name)
			dropped = true
		}
	}
	if !dropped {
		return b
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return b
	}
	return out
}
