package httpapi

import (
	"context"
	"net/http"

	"mfagateway/shared/auth"
)

// appSecretResponse is OData's answer of a function that returns a single value.
type appSecretResponse struct {
	Value string `json:"value"`
}

// GetAppSecret handles GET /odata/applications/{appId}/getAppSecret: it issues a new secret of the
// application and answers it, this once (no-store); the application keeps its two newest.
func (h *Applications) GetAppSecret(ctx context.Context, req Request, who auth.Session) (Response, error) {
	id := appID(req)
	if !plausibleID(id) {
		return h.fail(ctx, req, auth.ErrNotFound), nil
	}
	secret, err := h.apps.IssueSecret(ctx, who, id)
	if err != nil {
		return h.fail(ctx, req, err), nil
	}
	return respond(http.StatusOK, appSecretResponse{Value: secret}), nil
}
