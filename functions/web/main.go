// Command web is the Lambda behind the hosted pages (GET /login, /reset-password, /accept-invite,
// /account and /assets/...). It serves built-in files only: no table, no secret, no AWS client.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"mfagateway/shared/config"
	"mfagateway/shared/httpapi"
	"mfagateway/shared/logging"
	"mfagateway/shared/web"
)

func main() {
	cfg, err := config.Load(os.Getenv, config.Need{})
	log := logging.New(os.Stdout, cfg.LogLevel)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	site, err := web.New(web.Options{MinPasswordLength: cfg.Policy.PasswordMinLength, ResendCooldown: cfg.Policy.ResendCooldown})
	if err != nil {
		log.Error("hosted pages", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(httpapi.Function(httpapi.WebFunction, httpapi.Handlers{Pages: httpapi.NewPages(site.Serve)}).Serve)
}
