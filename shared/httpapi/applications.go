package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"mfagateway/shared/auth"
)

const (
	applicationsPath = "/odata/Applications" // where a created application lives, for its Location header
	maxNameLen       = 200
)

// Applications serves /odata/Applications.
type Applications struct {
	apps *auth.Applications
	log  *slog.Logger
}

// NewApplications returns the applications handler.
func NewApplications(apps *auth.Applications, log *slog.Logger) *Applications {
	return &Applications{apps: apps, log: log}
}

// applicationBody is the JSON of an application. Pointers tell a missing property from an empty one.
type applicationBody struct {
	AppID            *string      `json:"appId"`
	Name             *string      `json:"name"`
	URL              *string      `json:"url"`
	UniqueIdentifier *string      `json:"uniqueIdentifier"`
	MFA              optionalBool `json:"enableMultiFactorAuthentication"`
	CreateDate       *string      `json:"createDate"` // read-only, accepted so a GET body can be sent back
	UpdateDate       *string      `json:"updateDate"` // read-only
}

type applicationResponse struct {
	AppID            string `json:"appId"`
	Name             string `json:"name"`
	URL              string `json:"url"`
	UniqueIdentifier string `json:"uniqueIdentifier"`
	MFA              bool   `json:"enableMultiFactorAuthentication"`
	CreateDate       string `json:"createDate"`
	UpdateDate       string `json:"updateDate"`
}

func newApplicationResponse(a auth.Application) applicationResponse {
	return applicationResponse{
		AppID: a.ID, Name: a.Name, URL: a.URL, UniqueIdentifier: a.UniqueIdentifier, MFA: a.MFA,
		CreateDate: a.CreateDate.UTC().Format(time.RFC3339), UpdateDate: a.UpdateDate.UTC().Format(time.RFC3339),
	}
}

// Create handles POST /odata/Applications.
func (h *Applications) Create(ctx context.Context, req Request, who auth.Session) (Response, error) {
	return h.create(ctx, req, who), nil
}

// Get handles GET /odata/Applications/{appId}.
func (h *Applications) Get(ctx context.Context, req Request, who auth.Session) (Response, error) {
	return h.get(ctx, req, who, appID(req)), nil
}

// Patch handles PATCH /odata/Applications/{appId} and its alias PATCH /odata/Applications/Patch/{appId}.
func (h *Applications) Patch(ctx context.Context, req Request, who auth.Session) (Response, error) {
	return h.patch(ctx, req, who, appID(req)), nil
}

// Put handles PUT /odata/Applications/{appId} and its alias PUT /odata/Applications/Put/{appId}.
func (h *Applications) Put(ctx context.Context, req Request, who auth.Session) (Response, error) {
	return h.put(ctx, req, who, appID(req)), nil
}

// appID is the {appId} path parameter of the route.
func appID(req Request) string {
	return req.PathParameters["appId"]
}

func (h *Applications) create(ctx context.Context, req Request, who auth.Session) Response {
	// An appId in the body is ignored: the server assigns it, and the answer carries it.
	body, apiErr := decodeApplication(req)
	if apiErr == nil && (body.Name == nil || strings.TrimSpace(*body.Name) == "") {
		apiErr = invalid("name is required.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr)
	}
	app, err := h.apps.Create(ctx, who, toApplication(body))
	if err != nil {
		return h.fail(ctx, req, err)
	}
	resp := respond(http.StatusCreated, newApplicationResponse(app))
	resp.Headers["Location"] = applicationsPath + "/" + app.ID
	return resp
}

func (h *Applications) get(ctx context.Context, req Request, who auth.Session, id string) Response {
	if !plausibleID(id) {
		return h.fail(ctx, req, auth.ErrNotFound)
	}
	app, err := h.apps.Get(ctx, who, id)
	if err != nil {
		return h.fail(ctx, req, err)
	}
	return respond(http.StatusOK, newApplicationResponse(app))
}

func (h *Applications) patch(ctx context.Context, req Request, who auth.Session, id string) Response {
	body, apiErr := decodeChange(req, id)
	if apiErr == nil && body.Name != nil && strings.TrimSpace(*body.Name) == "" {
		apiErr = invalid("name must not be empty.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr)
	}
	p := auth.ApplicationPatch{Name: body.Name, URL: body.URL, UniqueIdentifier: body.UniqueIdentifier}
	if body.MFA.set {
		p.MFA = &body.MFA.value
	}
	if err := h.apps.Patch(ctx, who, id, p); err != nil {
		return h.fail(ctx, req, err)
	}
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}
}

func (h *Applications) put(ctx context.Context, req Request, who auth.Session, id string) Response {
	body, apiErr := decodeChange(req, id)
	if apiErr == nil && (body.Name == nil || strings.TrimSpace(*body.Name) == "") {
		apiErr = invalid("name is required.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr)
	}
	if err := h.apps.Replace(ctx, who, id, toApplication(body)); err != nil {
		return h.fail(ctx, req, err)
	}
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}
}

// decodeChange decodes a PATCH or PUT body for the application id; an appId in it must be that id.
func decodeChange(req Request, id string) (applicationBody, *Error) {
	if !plausibleID(id) {
		return applicationBody{}, errorFor(auth.ErrNotFound)
	}
	body, apiErr := decodeApplication(req)
	if apiErr == nil && body.AppID != nil && *body.AppID != id {
		apiErr = invalid("appId in the body is not the one in the path.")
	}
	return body, apiErr
}

// decodeApplication decodes strictly: an unknown property or a wrong type is 400.
func decodeApplication(req Request) (applicationBody, *Error) {
	var body applicationBody
	if apiErr := decodeStrict(req, &body); apiErr != nil {
		return body, apiErr
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"name", body.Name, maxNameLen}, {"url", body.URL, maxURLLen}, {"uniqueIdentifier", body.UniqueIdentifier, maxNameLen}} {
		if f.v != nil && (len(*f.v) > f.max || hasControl(*f.v)) {
			return body, invalid("%s must be at most %d characters without control characters.", f.name, f.max)
		}
	}
	if body.URL != nil && strings.ContainsAny(strings.TrimSpace(*body.URL), " \t") {
		return body, invalid("url must not contain spaces.")
	}
	return body, nil
}

// optionalBool is a JSON boolean that may be left out but not null: a null flag is not a boolean, and
// taking it for "left out" would let a PUT switch MFA off by accident.
type optionalBool struct {
	set, value bool
}

func (b *optionalBool) UnmarshalJSON(data []byte) error {
	var v *bool
	if err := json.Unmarshal(data, &v); err != nil || v == nil {
		return &json.UnmarshalTypeError{Value: string(data), Type: reflect.TypeFor[bool]()}
	}
	*b = optionalBool{set: true, value: *v}
	return nil
}

func toApplication(b applicationBody) auth.Application {
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return strings.TrimSpace(*p)
	}
	a := auth.Application{Name: deref(b.Name), URL: deref(b.URL), UniqueIdentifier: deref(b.UniqueIdentifier)}
	a.MFA = b.MFA.value
	return a
}

// plausibleID screens path ids before they become keys: appIds are UUIDs, far below this length.
func plausibleID(id string) bool {
	return id != "" && len(id) <= maxAppIDLen && !hasControl(id)
}

func (h *Applications) fail(ctx context.Context, req Request, err error) Response {
	return fail(ctx, h.log, req.RouteKey, err)
}
