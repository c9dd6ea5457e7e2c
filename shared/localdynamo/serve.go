package localdynamo

import (
	"fmt"
	"hash/crc32"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Serve serves the engine also on addr (host:port; port 0 picks a free one), for other processes: the
// admin CLI, or a function under sam local invoke, then work on the same tables and items as the
// process that started the engine. It returns the endpoint's URL; Close stops it with the engine.
func (e *Engine) Serve(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: withCRC32{e.srv.Handler}, ReadHeaderTimeout: 5 * time.Second}
	// Serve returns only when Close shuts the server down.
	go func() { _ = srv.Serve(ln) }()
	e.served = append(e.served, srv)
	return "http://" + ln.Addr().String(), nil
}

// withCRC32 gives every answer DynamoDB's X-Amz-Crc32 header, the CRC32 of the body: the SDK checks it
// against the body it read, and a client with a logger (a function's) warns of every answer without it.
type withCRC32 struct{ engine http.Handler }

func (h withCRC32) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.engine.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(rec.Body.Bytes())), 10))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
