package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"mfagateway/shared/auth"
)

// Placeholders of the sample events in events/ (see events/README.md).
const (
	mfaPlaceholder  = "REPLACE_WITH_MFA_TOKEN"
	authPlaceholder = "REPLACE_WITH_AUTH_TOKEN"
	// appSecretPlaceholder is the application secret in the events with application credentials.
	appSecretPlaceholder = "REPLACE_WITH_APP_SECRET"
)

// events are the sample events of events/, by file name.
type events map[string][]byte

func loadEvents(root string) (events, error) {
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no events/*.json under %s", root)
	}
	ev := events{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ev[filepath.Base(f)] = b
	}
	return ev, nil
}

func (ev events) get(name string) []byte {
	b, ok := ev[name]
	if !ok {
		panic("events/" + name + " is missing")
	}
	return b
}

// withToken puts a real MFA token where the sample has its placeholder.
func withToken(event []byte, token string) []byte {
	return bytes.ReplaceAll(event, []byte(mfaPlaceholder), []byte(token))
}

// edit decodes an event, lets change modify it and encodes it again.
func edit(event []byte, change func(e map[string]any)) []byte {
	var e map[string]any
	if err := json.Unmarshal(event, &e); err != nil {
		panic(err)
	}
	change(e)
	out, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return out
}

// withBody returns the event with another JSON body (and a matching content-length).
func withBody(event []byte, body any) []byte {
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return edit(event, func(e map[string]any) {
		e["body"], e["isBase64Encoded"] = string(b), false
		if h, ok := e["headers"].(map[string]any); ok {
			h["content-length"] = strconv.Itoa(len(b))
		}
	})
}

// withAuthHeader puts a real auth token where the sample has its placeholder (the authorizer's events).
func withAuthHeader(event []byte, token string) []byte {
	return bytes.ReplaceAll(event, []byte(authPlaceholder), []byte(token))
}

// withAuthToken puts a real auth token in the event's Authorization header and its ID in the
// authorizer context, as API Gateway hands a protected function a request the authorizer passed.
func withAuthToken(event []byte, token string) []byte {
	event = bytes.ReplaceAll(event, []byte(authPlaceholder), []byte(token))
	return edit(event, func(e map[string]any) {
		if l := authorizerContext(e); l != nil {
			l["tokenId"] = auth.TokenID(token)
		}
	})
}

// withCaller makes the user, signed in with the auth token, the caller of a protected event: the
// token in its Authorization header, and the authorizer context the authorizer gives that token.
func withCaller(event []byte, token string, u auth.User) []byte {
	event = bytes.ReplaceAll(event, []byte(authPlaceholder), []byte(token))
	return edit(event, func(e map[string]any) {
		if l := authorizerContext(e); l != nil {
			l["tokenId"], l["userId"], l["email"], l["name"], l["admin"] = auth.TokenID(token), u.ID, u.Email, u.Name, u.Admin
		}
	})
}

// authorizerContext is the authorizer's context in a decoded event (requestContext.authorizer.lambda), or nil.
func authorizerContext(e map[string]any) map[string]any {
	rc, _ := e["requestContext"].(map[string]any)
	az, _ := rc["authorizer"].(map[string]any)
	l, _ := az["lambda"].(map[string]any)
	return l
}

// withHeader returns the event with the header (a lower-case name, as API Gateway sends it) set to value.
func withHeader(event []byte, name, value string) []byte {
	return edit(event, func(e map[string]any) {
		if h, ok := e["headers"].(map[string]any); ok {
			h[name] = value
		}
	})
}

// withParam points an event at another entity: its path parameter name set to value, in the raw path too.
func withParam(event []byte, name, value string) []byte {
	return edit(event, func(e map[string]any) {
		old, _ := e["pathParameters"].(map[string]any)[name].(string)
		path := strings.Replace(e["rawPath"].(string), old, value, 1)
		e["rawPath"], e["pathParameters"] = path, map[string]any{name: value}
		if rc, ok := e["requestContext"].(map[string]any); ok {
			if h, ok := rc["http"].(map[string]any); ok {
				h["path"] = path
			}
		}
	})
}

// withAppSecret puts an application secret where the sample has its placeholder.
func withAppSecret(event []byte, secret string) []byte {
	return bytes.ReplaceAll(event, []byte(appSecretPlaceholder), []byte(secret))
}
