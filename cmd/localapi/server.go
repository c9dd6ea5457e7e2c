package main

import (
	"net/http"
	"time"
)

// requestReadTimeout bounds the reading of one whole request, headers and body: a client that announces
// a body and never sends it loses its connection instead of holding it open (and a goroutine with it).
// API Gateway does not wait on a client for long either; no real request to this API takes a second.
const requestReadTimeout = 10 * time.Second

// newServer is the local gateway's HTTP server; readTimeout is requestReadTimeout except in tests.
func newServer(h http.Handler, readTimeout time.Duration) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readTimeout, ReadTimeout: readTimeout}
}
