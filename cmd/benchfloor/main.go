// Command benchfloor is the cold-start and warm-latency floor of `make bench`: the smallest Lambda an
// aws-lambda-go function can be. It is built with the functions' flags (-tags lambda.norpc, stripped) and
// run under the same Runtime Interface Emulator, so what a function costs above it is its own doing.
// It reads no configuration, creates no AWS client and answers every event with the same small
// API Gateway payload 2.0 response.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

type response struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

func handle(_ context.Context, _ json.RawMessage) (response, error) {
	return response{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: "{}"}, nil
}

func main() {
	lambda.Start(handle)
}
