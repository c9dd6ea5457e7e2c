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

// lambdaHandler is a function's handler as lambda.Start would call it.
type lambdaHandler func(context.Context, httpapi.Request) (httpapi.Response, error)

// gateway plays API Gateway: it matches a route, turns the HTTP request into a payload 2.0 event,
// calls the function's handler and writes its response back.
type gateway struct {
	routes map[string]lambdaHandler // by "METHOD /path"
	outbox *notify.Outbox
	log    *slog.Logger
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_local/outbox" && r.Method == http.MethodGet {
		g.serveOutbox(w)
		return
	}
	routeKey := r.Method + " " + r.URL.Path
	h, ok := g.routes[routeKey]
	if !ok {
		writeResponse(w, httpapi.NotFound())
		return
	}
	ev, err := toEvent(r, routeKey)
	if err != nil {
		writeResponse(w, httpapi.ErrorResponse(&httpapi.Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "The request body could not be read."}))
		return
	}
	ctx := logging.WithRequestID(r.Context(), ev.RequestContext.RequestID)
	resp, err := h(ctx, ev)
	if err != nil { // what API Gateway does when a function fails
		g.log.ErrorContext(ctx, "function error", "route", routeKey, "error", err.Error())
		writeResponse(w, httpapi.ErrorResponse(&httpapi.Error{Status: http.StatusInternalServerError, Code: "internal_error", Message: "Internal Server Error"}))
		return
	}
	writeResponse(w, resp)
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
