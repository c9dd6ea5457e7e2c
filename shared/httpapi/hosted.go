package httpapi

import "context"

// Pages serves the rows of the hosted pages with what the web function's main plugs in (shared/web),
// so that the route table names those rows while this package, linked by every function, carries none
// of the pages' files.
type Pages struct {
	serve HandlerFunc
}

// NewPages returns the hosted pages' handler over serve.
func NewPages(serve HandlerFunc) *Pages {
	return &Pages{serve: serve}
}

// Serve handles GET of a hosted page or of one of its files.
func (p *Pages) Serve(ctx context.Context, req Request) (Response, error) {
	return p.serve(ctx, req)
}
