// Command gatewayctl is the operators' CLI: it manages the gateway's applications and users in its
// DynamoDB table, deployed (TABLE_NAME and the usual AWS configuration) or local (--endpoint), through
// the same domain services (auth.Applications, auth.Users) as the API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(report(err, os.Stderr))
}
