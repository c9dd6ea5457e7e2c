package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"mfagateway/shared/httpapi"
	"mfagateway/shared/logging"
	"mfagateway/shared/notify"
)

// authorizerHandler is the token authorizer as lambda.Start would call it.
type authorizerHandler func(context.Context, httpapi.AuthorizerRequest) (httpapi.AuthorizerResponse, error)

// gateway plays API Gateway: it matches a route of httpapi's table, turns the HTTP request into a payload
// 2.0 event, runs the authorizer for protected routes, calls the router of the route's function and
// writes its response back. Unlike a deployment it caches no authorizer result, so a logout shows at once.
type gateway struct {
	functions  map[string]*httpapi.Router // by logical ID, every function of the table
	authorizer authorizerHandler
	outbox     *notify.Outbox
	log        *slog.Logger
	cors       cors
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.cors.preflight(w, r) {
		return
	}
	g.cors.annotate(w.Header(), r)
	if r.URL.Path == "/_local/outbox" && r.Method == http.MethodGet {
		g.serveOutbox(w)
		return
	}
	m, ok := httpapi.Lookup(r.Method, r.URL.Path)
	fn := g.functions[m.Route.Function]
	if !ok || fn == nil {
		writeResponse(w, httpapi.NotFoundAt(r.URL.Path))
		return
	}
	ev, err := toEvent(r, m.Key)
	if err != nil {
		writeResponse(w, m.Route.ErrorResponse(&httpapi.Error{Status: http.StatusBadRequest, Code: httpapi.CodeInvalidRequest, Message: "The request body could not be read."}))
		return
	}
	if len(m.Params) > 0 {
		ev.PathParameters = m.Params
	}
	ctx := logging.WithRequestID(r.Context(), ev.RequestContext.RequestID)
	if m.Route.Protected() && !g.authorize(ctx, w, &ev) {
		return
	}
	resp, err := fn.Serve(ctx, ev)
	if err != nil { // what API Gateway does when a function fails
		g.log.ErrorContext(ctx, "function error", "route", m.Key, "error", err.Error())
		writeResponse(w, m.Route.ErrorResponse(&httpapi.Error{Status: http.StatusInternalServerError, Code: httpapi.CodeInternal, Message: "Internal Server Error"}))
		return
	}
	writeResponse(w, resp)
}

// authorize does what API Gateway does for a Lambda authorizer without identity sources or cache:
// it calls the authorizer for every protected request, with every header (Authorization and appId,
// or ClientId and ClientSecret, in the client's letter case), an error is 500, a denial 403, and an
// allowance hands its context (through JSON, as on AWS) to the function.
func (g *gateway) authorize(ctx context.Context, w http.ResponseWriter, ev *httpapi.Request) bool {
	gatewayError := func(status int, msg string) {
		writeResponse(w, httpapi.Response{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"},
			Body: `{"message":"` + msg + `"}`})
	}
	res, err := g.authorizer(ctx, httpapi.AuthorizerRequest{
		Version: "2.0", Type: "REQUEST", RouteKey: ev.RouteKey, RawPath: ev.RawPath, RawQueryString: ev.RawQueryString,
		Headers: ev.Headers, RequestContext: ev.RequestContext, PathParameters: ev.PathParameters,
	})
	if err != nil {
		g.log.ErrorContext(ctx, "authorizer error", "route", ev.RouteKey, "error", err.Error())
		gatewayError(http.StatusInternalServerError, "Internal Server Error")
		return false
	}
	if !res.IsAuthorized {
		gatewayError(http.StatusForbidden, "Forbidden")
		return false
	}
	raw, _ := json.Marshal(res.Context)
	var lambdaCtx map[string]any
	_ = json.Unmarshal(raw, &lambdaCtx)
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: lambdaCtx}
	return true
}

func (g *gateway) serveOutbox(w http.ResponseWriter) {
	entries := g.outbox.Entries()
	if entries == nil {
		entries = []notify.Entry{}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(entries)
}

// toEvent builds the payload 2.0 event API Gateway would send. It reads at most one byte past the
// handler's body limit, so an oversized body still reaches the handler as oversized.
func toEvent(r *http.Request, routeKey string) (httpapi.Request, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, httpapi.MaxBodyBytes+1))
	if err != nil {
		return httpapi.Request{}, err
	}
	headers := make(map[string]string, len(r.Header))
	for name, values := range r.Header {
		headers[strings.ToLower(name)] = strings.Join(values, ",")
	}
	sourceIP, _, _ := net.SplitHostPort(r.RemoteAddr)
	now := time.Now()
	ev := httpapi.Request{
		Version:        "2.0",
		RouteKey:       routeKey,
		RawPath:        r.URL.Path,
		RawQueryString: r.URL.RawQuery,
		Headers:        headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:  routeKey,
			Stage:     "$default",
			RequestID: requestID(),
			Time:      now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: sourceIP, UserAgent: r.UserAgent(),
			},
		},
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	return ev, nil
}

func writeResponse(w http.ResponseWriter, resp httpapi.Response) {
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(resp.Body); err == nil {
			body = b
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body)
}

func requestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
