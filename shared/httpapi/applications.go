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

// RouteApplicationByURL is the route key of the public url lookup, for its logs.
const RouteApplicationByURL = "POST /odata/Applications/url"

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
	Name             *string            `json:"name"`
	URL              *string            `json:"url"`
	UniqueIdentifier *string            `json:"uniqueIdentifier"`
	MFA              optionalBool       `json:"enableMultiFactorAuthentication"`
	CultureInfo      optional[string]   `json:"cultureInfo"`
	PhoneCountryCode optional[string]   `json:"phoneCountryCode"`
	Authenticators   optional[[]string] `json:"multiFactorAuthenticators"`
	SMSCountries     optional[[]string] `json:"smsCountries"`
	AllowedOrigins   optional[[]string] `json:"allowedOrigins"`
	// The read-only properties are accepted with any value and ignored, so that an entity read with
	// GET can be sent back as it is: the path names the application, the server keeps the dates.
	ID         json.RawMessage `json:"id"`
	AppID      json.RawMessage `json:"appId"`
	CreateDate json.RawMessage `json:"createDate"`
	UpdateDate json.RawMessage `json:"updateDate"`
}

type applicationResponse struct {
	ID               string   `json:"id"` // OData's entity id: the appId
	AppID            string   `json:"appId"`
	Name             string   `json:"name"`
	URL              string   `json:"url"`
	UniqueIdentifier string   `json:"uniqueIdentifier"`
	MFA              bool     `json:"enableMultiFactorAuthentication"`
	CultureInfo      string   `json:"cultureInfo"`
	PhoneCountryCode string   `json:"phoneCountryCode"`
	Authenticators   []string `json:"multiFactorAuthenticators"`
	SMSCountries     []string `json:"smsCountries"`
	AllowedOrigins   []string `json:"allowedOrigins"`
	CreateDate       string   `json:"createDate"`
	UpdateDate       string   `json:"updateDate"`
}

func newApplicationResponse(a auth.Application) applicationResponse {
	return applicationResponse{
		ID: a.ID, AppID: a.ID, Name: a.Name, URL: a.URL, UniqueIdentifier: a.UniqueIdentifier, MFA: a.MFA,
		CultureInfo: a.CultureInfo, PhoneCountryCode: a.PhoneCountryCode,
		// Lists are never null in an answer: an application with no countries shows [].
		Authenticators: append([]string{}, channelStrings(a.Authenticators)...),
		SMSCountries:   append([]string{}, a.SMSCountries...),
		AllowedOrigins: append([]string{}, a.AllowedOrigins...),
		CreateDate:     a.CreateDate.UTC().Format(time.RFC3339), UpdateDate: a.UpdateDate.UTC().Format(time.RFC3339),
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
	// An id or appId in the body is ignored: the server assigns it, and the answer carries it.
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
	// The entity comes back whether or not the client asked for it (OData's default for a create).
	resp := written(req, http.StatusCreated, newApplicationResponse(app))
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
	if body.CultureInfo.set {
		p.CultureInfo = &body.CultureInfo.value
	}
	if body.PhoneCountryCode.set {
		p.PhoneCountryCode = &body.PhoneCountryCode.value
	}
	if body.Authenticators.set {
		list := toChannels(body.Authenticators.value)
		p.Authenticators = &list
	}
	if body.SMSCountries.set {
		p.SMSCountries = &body.SMSCountries.value
	}
	if body.AllowedOrigins.set {
		p.AllowedOrigins = &body.AllowedOrigins.value
	}
	app, err := h.apps.Patch(ctx, who, id, p)
	if err != nil {
		return h.fail(ctx, req, err)
	}
	return changed(req, newApplicationResponse(app))
}

func (h *Applications) put(ctx context.Context, req Request, who auth.Session, id string) Response {
	body, apiErr := decodeChange(req, id)
	if apiErr == nil && (body.Name == nil || strings.TrimSpace(*body.Name) == "") {
		apiErr = invalid("name is required.")
	}
	if apiErr != nil {
		return h.fail(ctx, req, apiErr)
	}
	app, err := h.apps.Replace(ctx, who, id, toApplication(body))
	if err != nil {
		return h.fail(ctx, req, err)
	}
	return changed(req, newApplicationResponse(app))
}

// changed answers a PATCH or PUT: 204, or 200 with the entity as stored when the client prefers
// return=representation.
func changed(req Request, entity any) Response {
	if prefersRepresentation(req) {
		return written(req, http.StatusOK, entity)
	}
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}
}

// written answers a write with the entity, saying so in Preference-Applied when the client asked for it.
func written(req Request, status int, entity any) Response {
	resp := respond(status, entity)
	if prefersRepresentation(req) {
		resp.Headers["Preference-Applied"] = preferenceApplied
	}
	return resp
}

// decodeChange decodes a PATCH or PUT body for the application id, which only the path names.
func decodeChange(req Request, id string) (applicationBody, *Error) {
	if !plausibleID(id) {
		return applicationBody{}, errorFor(auth.ErrNotFound)
	}
	return decodeApplication(req)
}

// decodeApplication decodes strictly: an unknown property or a wrong type is 400.
func decodeApplication(req Request) (applicationBody, *Error) {
	var body applicationBody
	if apiErr := decodeOData(req, &body); apiErr != nil {
		return body, apiErr
	}
	if apiErr := checkTexts(textProp{"name", body.Name}, textProp{"uniqueIdentifier", body.UniqueIdentifier}); apiErr != nil {
		return body, apiErr
	}
	if body.URL != nil {
		return body, checkURL(*body.URL)
	}
	return body, nil
}

// textProp is a free-text property of a body, nil when the body leaves it out.
type textProp struct {
	name string
	v    *string
}

// checkTexts holds free-text properties to at most maxNameLen characters without control characters.
func checkTexts(props ...textProp) *Error {
	for _, p := range props {
		if p.v != nil && (len(*p.v) > maxNameLen || hasControl(*p.v)) {
			return invalid("%s must be at most %d characters without control characters.", p.name, maxNameLen)
		}
	}
	return nil
}

// checkURL holds an application address to what an application may have: the rule of writes, and of
// a lookup (an address that breaks it is no application's).
func checkURL(url string) *Error {
	switch {
	case len(url) > maxURLLen || hasControl(url):
		return invalid("url must be at most %d characters without control characters.", maxURLLen)
	case strings.ContainsAny(strings.TrimSpace(url), " \t"):
		return invalid("url must not contain spaces.")
	}
	return nil
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
	a.CultureInfo, a.PhoneCountryCode = b.CultureInfo.value, b.PhoneCountryCode.value
	if b.Authenticators.set { // left out is nil: the defaults
		a.Authenticators = toChannels(b.Authenticators.value)
	}
	a.SMSCountries = b.SMSCountries.value
	a.AllowedOrigins = b.AllowedOrigins.value
	return a
}

// toChannels keeps a given list, even empty, non-nil: an empty list is refused, a missing one is the defaults.
func toChannels(names []string) []auth.Channel {
	cs := make([]auth.Channel, len(names))
	for i, n := range names {
		cs[i] = auth.Channel(n)
	}
	return cs
}

func channelStrings(cs []auth.Channel) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = string(c)
	}
	return names
}

// optional is a JSON value that may be left out but not null, like optionalBool: a null list or tag
// is not one, and taking it for "left out" would let a PUT reset a property by accident.
type optional[T any] struct {
	set   bool
	value T
}

func (o *optional[T]) UnmarshalJSON(data []byte) error {
	var v *T
	if err := json.Unmarshal(data, &v); err != nil || v == nil {
		return &json.UnmarshalTypeError{Value: string(data), Type: reflect.TypeFor[T]()}
	}
	*o = optional[T]{set: true, value: *v}
	return nil
}

// plausibleID screens path ids before they become keys: appIds are UUIDs, far below this length.
func plausibleID(id string) bool {
	return id != "" && len(id) <= maxAppIDLen && !hasControl(id)
}

func (h *Applications) fail(ctx context.Context, req Request, err error) Response {
	return fail(ctx, h.log, req.RouteKey, err)
}

type urlLookupRequest struct {
	URL *string `json:"url"`
}

// applicationAtURL is what the public url lookup shows of an application: what a login page needs
// before anyone has signed in, and nothing more. The hosted login page hands a token only to one of
// the allowedOrigins; an origin is no secret (every request from it names it in its Origin header),
// and knowing the list lets nobody else receive a token.
type applicationAtURL struct {
	AppID          string   `json:"appId"`
	Name           string   `json:"name"`
	URL            string   `json:"url"`
	MFA            bool     `json:"enableMultiFactorAuthentication"`
	AllowedOrigins []string `json:"allowedOrigins"`
}

// ByURL handles POST /odata/Applications/url (public): the application with the body's url,
// normalised as for a login.
func (h *Applications) ByURL(ctx context.Context, req Request) (Response, error) {
	var in urlLookupRequest
	apiErr := decodeOData(req, &in)
	switch {
	case apiErr != nil:
	case in.URL == nil || auth.NormalizeURL(*in.URL) == "":
		apiErr = invalid("url is required.")
	default:
		apiErr = checkURL(*in.URL)
	}
	if apiErr != nil {
		return fail(ctx, h.log, RouteApplicationByURL, apiErr), nil
	}
	app, err := h.apps.ByURL(ctx, *in.URL)
	if err != nil {
		return fail(ctx, h.log, RouteApplicationByURL, err), nil
	}
	return respond(http.StatusOK, applicationAtURL{AppID: app.ID, Name: app.Name, URL: app.URL, MFA: app.MFA,
		AllowedOrigins: append([]string{}, app.AllowedOrigins...)}), nil
}
