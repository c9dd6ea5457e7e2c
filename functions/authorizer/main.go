// Command authorizer is the HTTP API Lambda authorizer (payload 2.0, simple responses) of the protected routes.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"mfagateway/shared/auth"
	"mfagateway/shared/awsclient"
	"mfagateway/shared/config"
	"mfagateway/shared/dynamo"
	"mfagateway/shared/httpapi"
)

func main() {
	cfg, awsCfg, log := awsclient.Boot(config.Need{Table: true})
	sessions := auth.NewSessions(dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table), nil, log)
	lambda.Start(httpapi.NewAuthorizer(sessions).Handle)
}
